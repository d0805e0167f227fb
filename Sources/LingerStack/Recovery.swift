import LingerWire

/// Loss detection and recovery on the sending side: the SACK scoreboard, RACK,
/// the congestion-state machine with PRR, and undo (tcp_input.c, tcp_recovery.c).
extension TCPSocket {
    // MARK: - SACK scoreboard

    /// tcp_sacktag_write_queue: marks what the ACK's SACK blocks cover.
    func sackTagWriteQueue(_ seg: InboundSegment, priorSndUna: SequenceNumber, state: inout SackTagState) -> AckFlags {
        let o = seg.options
        guard o.sackCount > 0, sendHead > 0 || highestSackSeq != nil else { return [] }
        var blocks: [(start: SequenceNumber, end: SequenceNumber, dsack: Bool)] = []
        let firstIsDSACK = checkDSACK(o, ack: seg.ack, priorSndUna: priorSndUna, state: &state)
        for i in 0..<o.sackCount {
            let b = o.sackBlock(i)
            let dup = i == 0 && firstIsDSACK
            if !sackBlockValid(isDSACK: dup, start: b.start, end: b.end) {
                if dup {
                    stack.counters.increment(.tcpExtTCPDSACKIgnoredNoUndo)
                } else if i == 0 || !(b.start < priorSndUna) {
                    stack.counters.increment(.tcpExtTCPSACKDiscard)
                }
                continue
            }
            if !dup && b.end <= priorSndUna { continue }
            blocks.append((b.start, b.end, dup))
        }
        for block in blocks {
            for i in 0..<sendHead {
                var record = sendQueue[i]
                guard record.seq >= block.start && record.endSeq <= block.end else { continue }
                record.sacked = sackTagOne(&state, record.sacked, start: record.seq, end: record.endSeq,
                                           dupSack: block.dsack, xmitTime: record.txTime)
                rateSkbDelivered(&record, &state.rate)
                sendQueue[i] = record
                if record.sacked.contains(.acked) && !block.dsack {
                    if highestSackSeq.map({ record.endSeq > $0 }) ?? true { highestSackSeq = record.endSeq }
                }
            }
        }
        if state.reord < (highestSackSeq ?? sndUna) && state.reord < sndNxt {
            // A hole below SACKed data was filled by an original transmission.
            if !state.flag.isEmpty && state.reord != sndNxt { checkSackReordering(lowSeq: state.reord, ts: false) }
        }
        return state.flag
    }

    /// tcp_check_dsack: whether the first block reports a duplicate.
    func checkDSACK(_ o: SegmentOptions, ack: SequenceNumber, priorSndUna: SequenceNumber, state: inout SackTagState) -> Bool {
        let b0 = o.sackBlock(0)
        if b0.start < ack {
            stack.counters.increment(.tcpExtTCPDSACKRecv)
        } else if o.sackCount > 1 {
            let b1 = o.sackBlock(1)
            if b0.end > b1.end || b0.start < b1.start { return false }
            stack.counters.increment(.tcpExtTCPDSACKOfoRecv)
        } else {
            return false
        }
        let dupSegs = dsackSeen(b0.start, b0.end, state: &state)
        if dupSegs == 0 {
            stack.counters.increment(.tcpExtTCPDSACKIgnoredDubious)
            return false
        }
        if undoMarkerSet && undoRetrans > 0 && b0.end <= priorSndUna && b0.end > undoMarker {
            undoRetrans = max(0, undoRetrans - Int32(dupSegs))
        }
        return true
    }

    /// tcp_dsack_seen.
    func dsackSeen(_ start: SequenceNumber, _ end: SequenceNumber, state: inout SackTagState) -> UInt32 {
        guard start < end else { return 0 }
        let length = UInt32(start.distance(to: end))
        if length > maxWindow { return 0 }
        var dupSegs: UInt32 = 1
        if length > UInt32(mssCache) {
            dupSegs = (length + UInt32(mssCache) - 1) / UInt32(mssCache)
        } else if tlpHighSeqSet && tlpHighSeq == end {
            state.flag.insert(.dsackTLP)
        }
        dsackDups &+= dupSegs
        if dsackDups > totalRetrans { return 0 }
        if reordSeen > 0 && !state.flag.contains(.dsackTLP) { rack.dsackSeen = true }
        state.flag.insert(.dsackingAck)
        state.sackDelivered &+= dupSegs
        return dupSegs
    }

    /// tcp_is_sackblock_valid.
    func sackBlockValid(isDSACK: Bool, start: SequenceNumber, end: SequenceNumber) -> Bool {
        if end > sndNxt || !(start < end) { return false }
        if !(start < sndNxt) { return false }
        if start > sndUna { return true }
        if !isDSACK || !undoMarkerSet { return false }
        if end > sndUna { return false }
        if start >= undoMarker { return true }
        if end <= undoMarker { return false }
        return start >= end - Int(maxWindow)
    }

    /// tcp_sacktag_one.
    func sackTagOne(_ state: inout SackTagState, _ sackedIn: SackedBits, start: SequenceNumber, end: SequenceNumber,
                    dupSack: Bool, xmitTime: Int64) -> SackedBits {
        var sacked = sackedIn
        let everRetransmitted = sacked.contains(.retrans) || sacked.contains(.everRetrans)
        if dupSack && everRetransmitted {
            if undoMarkerSet && undoRetrans > 0 && end > undoMarker { undoRetrans = max(0, undoRetrans - 1) }
            if sacked.contains(.acked) && start < state.reord { state.reord = start }
        }
        if end <= sndUna { return sacked }
        if !sacked.contains(.acked) {
            rackAdvance(sacked: sacked, endSeq: end, xmitTime: xmitTime)
            if sacked.contains(.retrans) {
                if sacked.contains(.lost) {
                    sacked.remove([.lost, .retrans])
                    lostOut = lostOut > 0 ? lostOut - 1 : 0
                    retransOut = retransOut > 0 ? retransOut - 1 : 0
                }
            } else {
                if !everRetransmitted {
                    if let high = highestSackSeq, start < high, start < state.reord { state.reord = start }
                    if end <= highSeq { state.flag.insert(.origSackAcked) }
                    if state.firstSackTime == 0 { state.firstSackTime = xmitTime }
                    state.lastSackTime = xmitTime
                }
                if sacked.contains(.lost) {
                    sacked.remove(.lost)
                    lostOut = lostOut > 0 ? lostOut - 1 : 0
                }
            }
            sacked.insert(.acked)
            state.flag.insert(.dataSacked)
            sackedOut += 1
            state.sackDelivered += 1
        }
        if dupSack && sacked.contains(.retrans) {
            sacked.remove(.retrans)
            retransOut = retransOut > 0 ? retransOut - 1 : 0
        }
        return sacked
    }

    /// tcp_check_sack_reordering.
    func checkSackReordering(lowSeq: SequenceNumber, ts: Bool) {
        let fack = highestSackSeq ?? sndUna
        guard lowSeq < fack else { return }
        let metric = UInt32(lowSeq.distance(to: fack))
        let mss = UInt32(max(1, mssCache))
        if metric > reordering * mss {
            reordering = min((metric + mss - 1) / mss, UInt32(stack.sysctls.tcpMaxReordering))
        }
        reordSeen &+= 1
        stack.counters.increment(ts ? .tcpExtTCPTSReorder : .tcpExtTCPSACKReorder)
    }

    // MARK: - Reno (no SACK) duplicate-ACK accounting

    func addRenoSack(_ numDupAck: Int) {
        guard numDupAck > 0 else { return }
        let prior = sackedOut
        sackedOut += UInt32(numDupAck)
        checkRenoReordering(0)
        if sackedOut > prior { delivered &+= sackedOut - prior }
    }

    func checkRenoReordering(_ addend: Int) {
        // tcp_limit_reno_sacked
        let holes = min(max(lostOut, 1), packetsOut)
        if sackedOut + holes > packetsOut {
            sackedOut = packetsOut - holes
            reordering = min(UInt32(Int(packetsOut) + addend), UInt32(stack.sysctls.tcpMaxReordering))
            reordSeen &+= 1
            stack.counters.increment(.tcpExtTCPRenoReorder)
        }
    }

    func removeRenoSacks(_ acked: Int) {
        if acked > 0 {
            delivered &+= UInt32(max(acked - Int(sackedOut), 1))
            if acked - 1 >= Int(sackedOut) {
                sackedOut = 0
            } else {
                sackedOut -= UInt32(acked - 1)
            }
        }
        checkRenoReordering(acked)
    }

    // MARK: - The congestion state machine

    var undoMarkerSet: Bool { undoMarkerValid }

    /// tcp_fastretrans_alert: what a dubious ACK does to the recovery state.
    func fastRetransAlert(priorSndUna: SequenceNumber, numDupAck: Int, flag: inout AckFlags, rexmit: inout Rexmit) {
        let ece = flag.contains(.ece)
        var doLost = numDupAck > 0 || (flag.contains(.dataSacked) && forceFastRetransmit)
        if packetsOut == 0 && sackedOut > 0 { sackedOut = 0 }
        if ece { priorSsthresh = 0 }
        if checkSackReneging(&flag) { return }
        if caState == .open {
            retransStamp = 0
        } else if sndUna >= highSeq {
            switch caState {
            case .cwr:
                if sndUna != highSeq {
                    endCwndReduction()
                    setCAState(.open)
                }
            case .recovery:
                if !sackOK { sackedOut = 0 }
                if tryUndoRecovery() { return }
                endCwndReduction()
            default:
                break
            }
        }
        var fastRexmit = false
        var handled = false
        switch caState {
        case .recovery:
            if !flag.contains(.sndUnaAdvanced) {
                if !sackOK { addRenoSack(numDupAck) }
            } else if tryUndoPartial(priorSndUna: priorSndUna, doLost: &doLost) {
                return
            }
            if tryUndoDSACK() { tryToOpen(flag) }
            identifyPacketLoss(&flag)
            if caState != .recovery {
                if !timeToRecover { return }
                enterRecovery(ece: ece)
            }
            handled = true
        case .loss:
            processLoss(flag, numDupAck: numDupAck, rexmit: &rexmit)
            identifyPacketLoss(&flag)
            if !(caState == .open || flag.contains(.lostRetrans)) { return }
        default:
            break
        }
        if !handled {
            if !sackOK {
                if flag.contains(.sndUnaAdvanced) { sackedOut = 0 }
                addRenoSack(numDupAck)
            }
            if caState.rawValue <= CAState.disorder.rawValue { _ = tryUndoDSACK() }
            identifyPacketLoss(&flag)
            if !timeToRecover {
                tryToOpen(flag)
                return
            }
            enterRecovery(ece: ece)
            fastRexmit = true
        }
        if !isRACK && doLost { updateScoreboard(fastRexmit: fastRexmit) }
        rexmit = .lost
    }

    var isRACK: Bool { stack.sysctls.tcpRecovery & 1 != 0 }

    /// tcp_force_fast_retransmit.
    var forceFastRetransmit: Bool {
        guard let high = highestSackSeq else { return false }
        return high > sndUna + Int(reordering) * mssCache
    }

    /// tcp_time_to_recover.
    var timeToRecover: Bool {
        if lostOut > 0 { return true }
        if !isRACK && sackedOut + 1 > reordering { return true }
        return false
    }

    /// tcp_check_sack_reneging.
    func checkSackReneging(_ flag: inout AckFlags) -> Bool {
        guard flag.contains(.sackReneging), flag.contains(.sndUnaAdvanced) else { return false }
        let delay = max(Int64(srttUs >> 4), 10_000)
        resetRetransmitTimer(.retrans, after: min(delay, rto))
        stack.counters.increment(.tcpExtTCPSACKReneging)
        flag.remove(.setXmitTimer)
        return true
    }

    /// tcp_identify_packet_loss.
    func identifyPacketLoss(_ flag: inout AckFlags) {
        guard sendHead > 0 else { return }
        if !sackOK {
            newRenoMarkLost(sndUnaAdvanced: flag.contains(.sndUnaAdvanced))
        } else if isRACK {
            let priorRetrans = retransOut
            if rackMarkLost() { flag.remove(.setXmitTimer) }
            if priorRetrans > retransOut { flag.insert(.lostRetrans) }
        }
    }

    /// tcp_newreno_mark_lost.
    func newRenoMarkLost(sndUnaAdvanced: Bool) {
        if (caState.rawValue < CAState.recovery.rawValue && sackedOut >= reordering)
            || (caState == .recovery && sndUnaAdvanced) {
            guard sendHead > 0 else { return }
            if sendQueue[0].sacked.contains(.lost) { return }
            markRecordLost(0)
        }
    }

    /// tcp_mark_skb_lost.
    func markRecordLost(_ index: Int) {
        var record = sendQueue[index]
        if record.sacked.contains(.acked) { return }
        if record.sacked.contains(.lost) {
            if record.sacked.contains(.retrans) {
                record.sacked.remove(.retrans)
                retransOut = retransOut > 0 ? retransOut - 1 : 0
                stack.counters.increment(.tcpExtTCPLostRetransmit)
                lost &+= 1
            }
        } else {
            lostOut += 1
            record.sacked.insert(.lost)
            lost &+= 1
        }
        sendQueue[index] = record
    }

    /// tcp_update_scoreboard (without RACK).
    func updateScoreboard(fastRexmit: Bool) {
        guard sackOK else { return }
        let sackedUpto = Int(sackedOut) - Int(reordering)
        if sackedUpto >= 0 {
            markHeadLost(sackedUpto, markHead: false)
        } else if fastRexmit {
            markHeadLost(1, markHead: true)
        }
    }

    func markHeadLost(_ packets: Int, markHead: Bool) {
        var count = 0
        for i in 0..<sendHead {
            let r = sendQueue[i]
            if r.endSeq > sndNxt { break }
            if r.sacked.contains(.acked) { count += 1 }
            if count > packets { break }
            if !r.sacked.contains(.lost) { markRecordLost(i) }
            if markHead { break }
        }
    }

    /// tcp_enter_recovery.
    func enterRecovery(ece: Bool) {
        if !anyRetransDone { retransStamp = 0 }
        stack.counters.increment(sackOK ? .tcpExtTCPSackRecovery : .tcpExtTCPRenoRecovery)
        priorSsthresh = 0
        initUndo()
        if !inCwndReduction {
            if !ece { priorSsthresh = currentSsthresh }
            initCwndReduction()
        }
        setCAState(.recovery)
    }

    /// tcp_current_ssthresh.
    var currentSsthresh: UInt32 {
        if caState == .cwr || caState == .recovery { return ssthresh }
        return max(ssthresh, (cwnd >> 1) + (cwnd >> 2))
    }

    var inCwndReduction: Bool { caState == .cwr || caState == .recovery }

    /// tcp_init_undo.
    func initUndo() {
        undoMarker = sndUna
        undoMarkerValid = true
        undoRetrans = Int32(truncatingIfNeeded: retransOut)
        if tlpHighSeqSet && tlpRetrans { undoRetrans += 1 }
        if undoRetrans == 0 { undoRetrans = -1 }
    }

    /// tcp_init_cwnd_reduction.
    func initCwndReduction() {
        highSeq = sndNxt
        tlpHighSeqSet = false
        cwndCount = 0
        priorCwnd = cwnd
        prrDelivered = 0
        prrOut = 0
        ssthresh = congestionSsthresh()
    }

    /// tcp_cwnd_reduction: proportional rate reduction (RFC 6937).
    func cwndReduction(newlyAckedSacked: Int, newlyLost: Int, flag: AckFlags) {
        guard newlyAckedSacked > 0, priorCwnd > 0 else { return }
        var sndcnt = 0
        let delta = Int(ssthresh) - Int(packetsInFlight)
        prrDelivered &+= UInt32(newlyAckedSacked)
        if delta < 0 {
            let dividend = UInt64(ssthresh) * UInt64(prrDelivered) + UInt64(priorCwnd) - 1
            sndcnt = Int(dividend / UInt64(priorCwnd)) - Int(prrOut)
        } else {
            sndcnt = max(Int(prrDelivered) - Int(prrOut), newlyAckedSacked)
            if flag.contains(.sndUnaAdvanced) && newlyLost == 0 { sndcnt += 1 }
            sndcnt = min(delta, sndcnt)
        }
        sndcnt = max(sndcnt, prrOut > 0 ? 0 : 1)
        cwnd = UInt32(max(0, Int(packetsInFlight) + sndcnt))
    }

    /// tcp_end_cwnd_reduction.
    func endCwndReduction() {
        if ssthresh < 0x7fff_ffff && (caState == .cwr || undoMarkerValid) {
            cwnd = ssthresh
            cwndStamp = stack.now
        }
    }

    /// tcp_enter_cwr.
    func enterCWR() {
        priorSsthresh = 0
        if caState.rawValue < CAState.cwr.rawValue {
            undoMarkerValid = false
            initCwndReduction()
            setCAState(.cwr)
        }
    }

    /// tcp_try_keep_open.
    func tryKeepOpen() {
        var s = CAState.open
        if sackedOut + lostOut > 0 || anyRetransDone { s = .disorder }
        if caState != s {
            setCAState(s)
            highSeq = sndNxt
        }
    }

    /// tcp_try_to_open.
    func tryToOpen(_ flag: AckFlags) {
        if !anyRetransDone { retransStamp = 0 }
        if flag.contains(.ece) { enterCWR() }
        if caState != .cwr { tryKeepOpen() }
    }

    /// tcp_any_retrans_done.
    var anyRetransDone: Bool {
        if retransOut > 0 { return true }
        if sendHead > 0, let head = sendQueue.first, head.sacked.contains(.everRetrans) { return true }
        return false
    }

    /// tcp_packet_delayed: the timestamps show the original arrived.
    var packetDelayed: Bool {
        if retransStamp != 0 {
            guard sawTimestamp, rcvTsecr != 0 else { return false }
            let stampTicks = UInt32(truncatingIfNeeded: (stack.clockBase + retransStamp) / 1000)
            return Int32(bitPattern: rcvTsecr &- stampTicks) < 0
        }
        if !sackOK && sndUna >= highSeq { return false }
        if state == .synSent { return false }
        return true
    }

    /// tcp_may_undo.
    var mayUndo: Bool { undoMarkerValid && (undoRetrans == 0 || packetDelayed) }

    /// tcp_undo_cwnd_reduction.
    func undoCwndReduction(unmarkLoss: Bool) {
        if unmarkLoss {
            for i in 0..<sendHead {
                var r = sendQueue[i]
                r.sacked.remove(.lost)
                sendQueue[i] = r
            }
            lostOut = 0
        }
        if priorSsthresh > 0 {
            cwnd = congestionUndoCwnd()
            if priorSsthresh > ssthresh { ssthresh = priorSsthresh }
        }
        cwndStamp = stack.now
        undoMarkerValid = false
        rack.advanced = true
    }

    /// tcp_try_undo_recovery.
    func tryUndoRecovery() -> Bool {
        if mayUndo {
            undoCwndReduction(unmarkLoss: false)
            stack.counters.increment(caState == .loss ? .tcpExtTCPLossUndo : .tcpExtTCPFullUndo)
        } else if rack.reoWndPersist > 0 {
            rack.reoWndPersist -= 1
        }
        if !sackOK && sndUna == highSeq && anyRetransDone {
            // tcp_is_non_sack_preventing_reopen: hold the state one more ACK.
            retransStamp = 0
            return true
        }
        setCAState(.open)
        isSackReneg = false
        return false
    }

    /// tcp_try_undo_partial.
    func tryUndoPartial(priorSndUna: SequenceNumber, doLost: inout Bool) -> Bool {
        if undoMarkerValid && packetDelayed {
            checkSackReordering(lowSeq: priorSndUna, ts: true)
            if retransOut > 0 { return true }
            if !anyRetransDone { retransStamp = 0 }
            undoCwndReduction(unmarkLoss: true)
            stack.counters.increment(.tcpExtTCPPartialUndo)
            tryKeepOpen()
        } else {
            doLost = forceFastRetransmit
        }
        return false
    }

    /// tcp_try_undo_dsack.
    func tryUndoDSACK() -> Bool {
        if undoMarkerValid && undoRetrans == 0 {
            rack.reoWndPersist = min(16, rack.reoWndPersist + 1)
            undoCwndReduction(unmarkLoss: false)
            stack.counters.increment(.tcpExtTCPDSACKUndo)
            return true
        }
        return false
    }

    /// tcp_try_undo_loss.
    func tryUndoLoss(frtoUndo: Bool) -> Bool {
        if frtoUndo || mayUndo {
            undoCwndReduction(unmarkLoss: true)
            stack.counters.increment(.tcpExtTCPLossUndo)
            if frtoUndo { stack.counters.increment(.tcpExtTCPSpuriousRTOs) }
            retransmits = 0
            if !sackOK && sndUna == highSeq && anyRetransDone {
                retransStamp = 0
                return true
            }
            if frtoUndo || sackOK {
                setCAState(.open)
                isSackReneg = false
            }
            return true
        }
        return false
    }

    /// tcp_process_loss.
    func processLoss(_ flag: AckFlags, numDupAck: Int, rexmit: inout Rexmit) {
        let recovered = sndUna >= highSeq
        if flag.contains(.sndUnaAdvanced) && tryUndoLoss(frtoUndo: false) { return }
        if frtoActive {
            if flag.contains(.origSackAcked) && tryUndoLoss(frtoUndo: true) { return }
            if sndNxt > highSeq {
                if flag.contains(.dataSacked) || numDupAck > 0 { frtoActive = false }
            } else if flag.contains(.sndUnaAdvanced) && !recovered {
                highSeq = sndNxt
                if sendHead < sendQueue.count && windowEnd > sndNxt {
                    rexmit = .new
                    return
                }
                frtoActive = false
            }
        }
        if recovered {
            _ = tryUndoRecovery()
            return
        }
        if !sackOK {
            if sndNxt > highSeq && numDupAck > 0 {
                addRenoSack(numDupAck)
            } else if flag.contains(.sndUnaAdvanced) {
                sackedOut = 0
            }
        }
        rexmit = .lost
    }

    /// tcp_enter_loss: the RTO fired; everything outstanding is presumed lost.
    func enterLoss() {
        let newRecovery = caState.rawValue < CAState.recovery.rawValue
        timeoutMarkLost()
        if caState.rawValue <= CAState.disorder.rawValue || !(highSeq > sndUna) || (caState == .loss && retransmits == 0) {
            priorSsthresh = currentSsthresh
            priorCwnd = cwnd
            ssthresh = congestionSsthresh()
            congestionEventLoss()
            initUndo()
        }
        cwnd = packetsInFlight + 1
        cwndCount = 0
        cwndStamp = stack.now
        let sysReordering = UInt32(stack.sysctls.tcpReordering)
        if caState.rawValue <= CAState.disorder.rawValue && sackedOut >= sysReordering {
            reordering = min(reordering, sysReordering)
        }
        setCAState(.loss)
        highSeq = sndNxt
        tlpHighSeqSet = false
        frtoActive = stack.sysctls.tcpFrto != 0 && (newRecovery || retransmits > 0)
    }

    /// tcp_timeout_mark_lost.
    func timeoutMarkLost() {
        guard sendHead > 0 else { return }
        let isReneg = sendQueue[0].sacked.contains(.acked)
        if isReneg {
            stack.counters.increment(.tcpExtTCPSACKReneging)
            sackedOut = 0
            isSackReneg = true
        } else if !sackOK {
            sackedOut = 0
        }
        for i in 0..<sendHead {
            if isReneg {
                var r = sendQueue[i]
                r.sacked.remove(.acked)
                sendQueue[i] = r
            } else if isRACK && i > 0 && rackRecordTimeout(sendQueue[i], reoWindow: 0) > 0 {
                continue
            }
            markRecordLost(i)
        }
    }

    func setCAState(_ new: CAState) {
        if new == .loss && congestionAlgorithm == .cubic { cubicReset(hystart: true) }
        caState = new
    }

    // MARK: - RACK

    /// tcp_rack_reo_wnd.
    func rackReorderWindow() -> Int64 {
        if reordSeen == 0 {
            if caState.rawValue >= CAState.recovery.rawValue { return 0 }
            if sackedOut >= reordering && stack.sysctls.tcpRecovery & 4 == 0 { return 0 }
        }
        return min(Int64(minRTT.value >> 2) * Int64(rack.reoWndSteps), Int64(srttUs >> 3))
    }

    func rackRecordTimeout(_ r: SendRecord, reoWindow: Int64) -> Int64 {
        Int64(rack.rttUs) + reoWindow - (stack.now - r.txTime)
    }

    /// tcp_rack_detect_loss: returns the time until the next record could be
    /// declared lost (0 when none waits).
    func rackDetectLoss() -> Int64 {
        var reoTimeout: Int64 = 0
        let reoWindow = rackReorderWindow()
        for i in 0..<sendHead {
            let r = sendQueue[i]
            if r.sacked.contains(.acked) { continue }
            if r.sacked.contains(.lost) && !r.sacked.contains(.retrans) { continue }
            if !sentAfter(rack.mstamp, r.txTime, rack.endSeq, r.endSeq) { continue }
            let remaining = rackRecordTimeout(r, reoWindow: reoWindow)
            if remaining <= 0 {
                markRecordLost(i)
            } else {
                reoTimeout = max(reoTimeout, remaining)
            }
        }
        return reoTimeout
    }

    /// tcp_rack_mark_lost.
    func rackMarkLost() -> Bool {
        guard rack.advanced else { return false }
        rack.advanced = false
        let timeout = rackDetectLoss()
        if timeout > 0 {
            let t = jiffiesRoundUp(timeout + 2000)
            resetRetransmitTimer(.reorder, after: min(t, rto))
        }
        return timeout > 0
    }

    /// tcp_rack_advance.
    func rackAdvance(sacked: SackedBits, endSeq: SequenceNumber, xmitTime: Int64) {
        let rtt = stack.now - xmitTime
        if rtt < Int64(minRTT.value) && (sacked.contains(.retrans) || sacked.contains(.everRetrans)) { return }
        rack.advanced = true
        rack.rttUs = UInt32(clamping: rtt)
        if sentAfter(xmitTime, rack.mstamp, endSeq, rack.endSeq) {
            rack.mstamp = xmitTime
            rack.endSeq = endSeq
        }
    }

    /// tcp_skb_sent_after.
    func sentAfter(_ t1: Int64, _ t2: Int64, _ seq1: SequenceNumber, _ seq2: SequenceNumber) -> Bool {
        t1 > t2 || (t1 == t2 && seq1 > seq2)
    }

    /// tcp_rack_reo_timeout: the reordering timer fired.
    func rackReorderTimeout() {
        let priorInFlight = packetsInFlight
        let priorLost = lost
        _ = rackDetectLoss()
        if priorInFlight != packetsInFlight {
            if caState != .recovery {
                enterRecovery(ece: false)
                cwndReduction(newlyAckedSacked: 1, newlyLost: Int(lost &- priorLost), flag: [])
            }
            xmitRetransmitQueue()
        }
        if pending != .retrans { rearmRTO() }
    }

    /// tcp_xmit_recovery.
    func xmitRecovery(_ rexmit: Rexmit) {
        if rexmit == .none || state == .synSent { return }
        if rexmit == .new {
            pushPendingFrames(nagleOff: true)
            if sndNxt > highSeq { return }
            frtoActive = false
        }
        xmitRetransmitQueue()
    }
}
