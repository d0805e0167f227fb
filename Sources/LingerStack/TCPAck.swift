import LingerWire

/// Flags of one ACK's processing (tcp_input.c's FLAG_*).
struct AckFlags: OptionSet {
    var rawValue: UInt32
    static let data = AckFlags(rawValue: 0x01)
    static let winUpdate = AckFlags(rawValue: 0x02)
    static let dataAcked = AckFlags(rawValue: 0x04)
    static let retransDataAcked = AckFlags(rawValue: 0x08)
    static let synAcked = AckFlags(rawValue: 0x10)
    static let dataSacked = AckFlags(rawValue: 0x20)
    static let ece = AckFlags(rawValue: 0x40)
    static let lostRetrans = AckFlags(rawValue: 0x80)
    static let slowPath = AckFlags(rawValue: 0x100)
    static let origSackAcked = AckFlags(rawValue: 0x200)
    static let sndUnaAdvanced = AckFlags(rawValue: 0x400)
    static let dsackingAck = AckFlags(rawValue: 0x800)
    static let sackReneging = AckFlags(rawValue: 0x2000)
    static let updateTsRecent = AckFlags(rawValue: 0x4000)
    static let noChallengeAck = AckFlags(rawValue: 0x8000)
    static let ackMaybeDelayed = AckFlags(rawValue: 0x10000)
    static let dsackTLP = AckFlags(rawValue: 0x20000)
    static let setXmitTimer = AckFlags(rawValue: 0x1000)

    static let acked: AckFlags = [.dataAcked, .synAcked]
    static let notDup: AckFlags = [.data, .winUpdate, .acked]
    static let caAlert: AckFlags = [.dataSacked, .ece, .dsackingAck]
    static let forwardProgress: AckFlags = [.acked, .dataSacked]
}

/// What an ACK's SACK blocks did (tcp_sacktag_state).
struct SackTagState {
    var flag: AckFlags = []
    var reord: SequenceNumber
    var firstSackTime: Int64 = 0
    var lastSackTime: Int64 = 0
    var sackDelivered: UInt32 = 0
    /// The delivery-rate sample this ACK builds (sack_state.rate).
    var rate = RateSample()
}

/// Processing the ACK field of a segment (tcp_ack and its helpers).
extension TCPSocket {
    /// tcp_ack: returns 1 when the ACK was processed, 0 for an old ACK, a negative
    /// value when the segment must be dropped.
    func processAck(_ seg: InboundSegment, _ raw: UnsafeRawBufferPointer, flags initial: AckFlags) -> Int {
        var flag = initial
        let priorSndUna = sndUna
        let ackSeq = seg.seq
        let ack = seg.ack
        let priorPackets = packetsOut
        let priorDelivered = delivered
        var rexmit = Rexmit.none
        var sack = SackTagState(reord: sndNxt)
        if ack < priorSndUna {
            let maxWin = UInt32(min(UInt64(maxWindow), bytesAcked))
            if ack < priorSndUna - Int(maxWin) {
                if !flag.contains(.noChallengeAck) { sendChallengeAck() }
                return -1
            }
            // Old ACK.
            if flag.contains(.updateTsRecent) { replaceTsRecent(seg.seq) }
            if seg.options.sackCount > 0 && sackOK {
                flag.formUnion(sackTagWriteQueue(seg, priorSndUna: priorSndUna, state: &sack))
                fastRetransAlert(priorSndUna: priorSndUna, numDupAck: 0, flag: &flag, rexmit: &rexmit)
                newlyDelivered(priorDelivered)
                xmitRecovery(rexmit)
            }
            return 0
        }
        // An ACK of data never sent: dropped with a challenge ACK (RFC 5961 5.2;
        // the live 6.18 kernel answers it in ESTABLISHED too, 6.12 stayed silent).
        if ack > sndNxt {
            if !flag.contains(.noChallengeAck) { sendChallengeAck() }
            return -1
        }
        if ack > priorSndUna {
            flag.insert(.sndUnaAdvanced)
            retransmits = 0
        }
        let priorFack = sackOK ? highestSackSeq ?? sndUna : sndUna
        let priorInFlight = packetsInFlight
        if flag.contains(.updateTsRecent) { replaceTsRecent(seg.seq) }
        if !flag.contains(.slowPath) && flag.contains(.sndUnaAdvanced) {
            sndWl1 = ackSeq
            sndUnaUpdate(ack)
            flag.insert(.winUpdate)
            stack.counters.increment(.tcpExtTCPHPAcks)
        } else {
            if ackSeq != seg.endSeq {
                flag.insert(.data)
            } else {
                stack.counters.increment(.tcpExtTCPPureAcks)
            }
            flag.formUnion(ackUpdateWindow(seg, ack: ack, ackSeq: ackSeq))
            if seg.options.sackCount > 0 && sackOK {
                flag.formUnion(sackTagWriteQueue(seg, priorSndUna: priorSndUna, state: &sack))
            }
            if seg.flags.contains(.ece) && ecnOK { flag.insert(.ece) }
            if sack.sackDelivered > 0 { delivered &+= sack.sackDelivered }
        }
        softError = 0
        probesOut = 0
        lastAckRecvTime = stack.now
        _ = priorInFlight
        if priorPackets == 0 {
            // no_queue
            if flag.contains(.dsackingAck) {
                fastRetransAlert(priorSndUna: priorSndUna, numDupAck: 0, flag: &flag, rexmit: &rexmit)
                newlyDelivered(priorDelivered)
            }
            ackProbe()
            if tlpHighSeq.rawValue != 0 || tlpActive { processTLPAck(ack, flag) }
            return 1
        }
        flag.formUnion(cleanRetransmitQueue(seg, priorFack: priorFack, priorSndUna: priorSndUna, sack: &sack))
        if tlpActive { processTLPAck(ack, flag) }
        if ackIsDubious(flag) {
            var numDupAck = 0
            if flag.intersection([.sndUnaAdvanced, .data, .winUpdate, .dataAcked, .synAcked, .dsackingAck]).isEmpty {
                numDupAck = 1
            }
            fastRetransAlert(priorSndUna: priorSndUna, numDupAck: numDupAck, flag: &flag, rexmit: &rexmit)
        }
        if flag.contains(.setXmitTimer) { setXmitTimer() }
        let newly = newlyDelivered(priorDelivered)
        rateGen(delivered: newly, isSackReneg: flag.contains(.sackReneging), &sack.rate)
        congestionControl(ack: ack, ackedSacked: newly, flag: flag)
        xmitRecovery(rexmit)
        return 1
    }

    var tlpActive: Bool { tlpHighSeqSet }

    /// tcp_ack_update_window.
    func ackUpdateWindow(_ seg: InboundSegment, ack: SequenceNumber, ackSeq: SequenceNumber) -> AckFlags {
        var flag: AckFlags = []
        var nwin = UInt32(seg.window)
        if !seg.isSyn { nwin <<= UInt32(sndWscale) }
        if mayUpdateWindow(ack: ack, ackSeq: ackSeq, window: nwin) {
            flag.insert(.winUpdate)
            sndWl1 = ackSeq
            if sndWnd != nwin {
                sndWnd = nwin
                fastPathWindow = nil
                fastPathCheck()
                if sendHead < sendQueue.count { slowStartAfterIdleCheck() }
                if nwin > maxWindow {
                    maxWindow = nwin
                    syncMSS(pmtu: stack.addresses.mtu)
                }
            }
        }
        sndUnaUpdate(ack)
        return flag
    }

    /// tcp_snd_una_update.
    func sndUnaUpdate(_ ack: SequenceNumber) {
        let delta = sndUna.distance(to: ack)
        if delta > 0 { bytesAcked &+= UInt64(delta) }
        sndUna = ack
    }

    /// tcp_ack_is_dubious.
    func ackIsDubious(_ flag: AckFlags) -> Bool {
        flag.intersection(.notDup).isEmpty || !flag.intersection(.caAlert).isEmpty || caState != .open
    }

    /// tcp_newly_delivered.
    @discardableResult
    func newlyDelivered(_ prior: UInt32) -> UInt32 {
        let n = delivered &- prior
        if n > 0 { stack.counters.increment(.tcpExtTCPDelivered, by: Int64(n)) }
        return n
    }

    /// tcp_clean_rtx_queue: drops what the ACK covers, measures RTT, updates counts.
    func cleanRetransmitQueue(_ seg: InboundSegment, priorFack: SequenceNumber, priorSndUna: SequenceNumber,
                              sack: inout SackTagState) -> AckFlags {
        var flag: AckFlags = []
        let priorSacked = sackedOut
        var reord = sndNxt
        var firstAckt: Int64 = 0
        var lastAckt: Int64 = 0
        var pktsAcked: UInt32 = 0
        var partialHead = false
        var removedBytes = 0
        while sendHead > 0, let record = sendQueue.first {
            if record.endSeq > sndUna {
                // A partially acknowledged multi-segment skb has its head trimmed
                // (tcp_tso_acked); a one-segment skb stays whole until fully acked.
                let oneSegment = (sendHead < 2 || sendQueue[1].skbID != record.skbID)
                if record.seq < sndUna && record.dataLength > 0 && !oneSegment {
                    var trimmed = record
                    let cut = Int(record.seq.distance(to: sndUna))
                    trimmed.seq = sndUna
                    if trimmed.flags.contains(.syn) { trimmed.flags.remove(.syn) }
                    sendQueue[0] = trimmed
                    removedBytes += cut
                    partialHead = true
                }
                break
            }
            let sacked = record.sacked
            if sacked.contains(.retrans) || sacked.contains(.everRetrans) {
                if sacked.contains(.retrans) { retransOut = retransOut > 0 ? retransOut - 1 : 0 }
                flag.insert(.retransDataAcked)
            } else if !sacked.contains(.acked) {
                lastAckt = record.txTime
                if firstAckt == 0 { firstAckt = lastAckt }
                if record.seq < reord { reord = record.seq }
                if record.endSeq <= highSeq { flag.insert(.origSackAcked) }
            }
            if sacked.contains(.acked) {
                sackedOut = sackedOut > 0 ? sackedOut - 1 : 0
            } else if sackOK {
                delivered &+= 1
                rackAdvance(sacked: sacked, endSeq: record.endSeq, xmitTime: record.txTime)
            }
            if sacked.contains(.lost) { lostOut = lostOut > 0 ? lostOut - 1 : 0 }
            packetsOut = packetsOut > 0 ? packetsOut - 1 : 0
            pktsAcked += 1
            var delivered = record
            rateSkbDelivered(&delivered, &sack.rate)
            if record.flags.contains(.syn) {
                flag.insert(.synAcked)
                retransStamp = 0
            } else {
                flag.insert(.dataAcked)
            }
            removedBytes += record.dataLength
            unchargeSend(recordTruesize(record))
            if record.flags.contains(.fin) { /* the FIN is acknowledged */ }
            sendQueue.removeFirst()
            sendHead -= 1
        }
        if sendHead == 0 { chronoStop(.busy) }
        if removedBytes > 0 {
            sendBytes.removeFirst(removedBytes)
            sendDataBase = sendDataBase + removedBytes
        }
        if sendDataBase < sndUna && sendHead == 0 && sendQueue.isEmpty {
            sendDataBase = sndUna
        }
        if sndUp >= priorSndUna && sndUp <= sndUna { sndUp = sndUna }
        if sendHead > 0, let head = sendQueue.first, head.sacked.contains(.acked) {
            flag.insert(.sackReneging)
        }
        if highestSackSeq.map({ $0 <= sndUna }) ?? false { highestSackSeq = nil }
        var seqRTT: Int64 = -1
        var caRTT: Int64 = -1
        var sackRTT: Int64 = -1
        if firstAckt != 0 && !flag.contains(.retransDataAcked) {
            seqRTT = stack.now - firstAckt
            caRTT = stack.now - lastAckt
            if pktsAcked == 1 && !partialHead && priorSacked == 0 && Int(priorSndUna.distance(to: sndUna)) < mssCache
                && flag.intersection(AckFlags.caAlert.union(.synAcked)).isEmpty {
                flag.insert(.ackMaybeDelayed)
            }
        }
        if sack.firstSackTime != 0 {
            sackRTT = stack.now - sack.firstSackTime
            caRTT = stack.now - sack.lastSackTime
        }
        let rttUpdate = ackUpdateRTT(synAcked: false, flag: flag, seqRTT: seqRTT, sackRTT: sackRTT, caRTT: caRTT)
        if !flag.intersection(.acked).isEmpty {
            flag.insert(.setXmitTimer)
            if !sackOK {
                removeRenoSacks(Int(pktsAcked))
                if flag.contains(.retransDataAcked) { flag.remove(.origSackAcked) }
            } else {
                if reord < priorFack { checkSackReordering(lowSeq: reord, ts: false) }
            }
        } else if sendHead > 0, let head = sendQueue.first, rttUpdate, sackRTT >= 0, sackRTT > stack.now - head.txTime {
            flag.insert(.setXmitTimer)
        }
        congestionPacketsAcked(pktsAcked, rtt: caRTT)
        if packetsOut == 0 && sackOK {
            lostOut = 0
            sackedOut = 0
            retransOut = 0
        }
        return flag
    }

    /// tcp_ack_update_rtt (the SYN-ACK form takes `synAcked`).
    @discardableResult
    func ackUpdateRTT(synAcked: Bool, flag: AckFlags = [], seqRTT seqIn: Int64, sackRTT: Int64, caRTT caIn: Int64) -> Bool {
        var seqRTT = seqIn
        var caRTT = caIn
        let acked = synAcked || !flag.intersection(.acked).isEmpty
        if seqRTT < 0 { seqRTT = sackRTT }
        if seqRTT < 0 && sawTimestamp && rcvTsecr != 0 && acked {
            let delta = Int64(stack.timestampClock &- rcvTsecr) * 1000
            if delta >= 0 && delta < Int64(Int32.max) {
                seqRTT = max(delta, 1)
                caRTT = seqRTT
            }
        }
        lastRTTSample = caRTT
        if seqRTT < 0 { return false }
        updateRTTMin(UInt32(clamping: caRTT), flag: flag)
        rttEstimator(seqRTT)
        setRTO()
        backoff = 0
        return true
    }

    /// tcp_update_rtt_min.
    func updateRTTMin(_ rtt: UInt32, flag: AckFlags) {
        if flag.contains(.ackMaybeDelayed) && rtt > minRTT.value { return }
        minRTT.update(window: Int64(stack.sysctls.tcpMinRttWlen) * 1_000_000, time: stack.now, value: rtt == 0 ? 1000 : rtt)
    }

    /// tcp_rtt_estimator: Jacobson's smoothed RTT and mean deviation, Linux-scaled.
    func rttEstimator(_ mrtt: Int64) {
        var m = mrtt
        var srtt = Int64(srttUs)
        let rtoMin = Int64(stack.sysctls.tcpRtoMinUs)
        if srtt != 0 {
            m -= srtt >> 3
            srtt += m
            if m < 0 {
                m = -m
                m -= Int64(mdevUs >> 2)
                if m > 0 { m >>= 3 }
            } else {
                m -= Int64(mdevUs >> 2)
            }
            mdevUs = UInt32(clamping: Int64(mdevUs) + m)
            if mdevUs > mdevMaxUs {
                mdevMaxUs = mdevUs
                if mdevMaxUs > rttvarUs { rttvarUs = mdevMaxUs }
            }
            if sndUna > rttSeq {
                if mdevMaxUs < rttvarUs { rttvarUs -= (rttvarUs - mdevMaxUs) >> 2 }
                rttSeq = sndNxt
                mdevMaxUs = UInt32(clamping: rtoMin)
            }
        } else {
            srtt = m << 3
            mdevUs = UInt32(clamping: m << 1)
            rttvarUs = max(mdevUs, UInt32(clamping: rtoMin))
            mdevMaxUs = rttvarUs
            rttSeq = sndNxt
        }
        srttUs = UInt32(clamping: max(1, srtt))
    }

    /// tcp_set_rto: srtt + 4 * mdev (as rttvar), in whole jiffies, at most 120 s.
    func setRTO() {
        let us = Int64(srttUs >> 3) + Int64(rttvarUs)
        rto = min(jiffiesRoundUp(us), maximumRTO)
    }

    /// usecs_to_jiffies and back: rounds up to a whole jiffy (1 ms at HZ=1000).
    /// Inlined: the RTT, RTO and delayed-ACK paths round several times per
    /// ACK, and the call cost as much as the rounding.
    @inline(__always)
    func jiffiesRoundUp(_ us: Int64) -> Int64 {
        let hz = stack.sysctls.hz
        // HZ=1000 is the usual case: a constant divisor costs a multiply, not
        // two divisions, and the RTT and delayed-ACK paths round on every ACK.
        if hz == 1000 { return (us + 999) / 1000 * 1000 }
        let tick = Int64(1_000_000 / max(1, min(hz, 1_000_000)))
        return (us + tick - 1) / tick * tick
    }

    /// tcp_rto_delta_us: how far in the future the RTO would fire, measured from the
    /// head segment's transmission.
    var rtoDelta: Int64 {
        guard let head = sendQueue.first, sendHead > 0 else { return rto }
        let rtoTime = head.txTime + rto
        return rtoTime - stack.now
    }

    /// tcp_set_xmit_timer.
    func setXmitTimer() {
        if !scheduleLossProbe(advancingRTO: true) { rearmRTO() }
    }

    /// tcp_rearm_rto.
    func rearmRTO() {
        if packetsOut == 0 {
            clearRetransmitTimer()
            return
        }
        var timeout = rto
        if pending == .reorder || pending == .lossProbe {
            timeout = jiffiesRoundUp(max(rtoDelta, 1))
        }
        resetRetransmitTimer(.retrans, after: timeout)
    }

    /// tcp_ack_probe: the peer opened its window; stop probing or probe on.
    func ackProbe() {
        guard sendHead < sendQueue.count else { return }
        let head = sendQueue[sendHead]
        if head.endSeq <= windowEnd {
            backoff = 0
            probesTstamp = 0
            if pending == .probe0 { clearRetransmitTimer() }
        } else {
            var when = probe0When()
            when = clampProbe0ToUserTimeout(when)
            resetRetransmitTimer(.probe0, after: when)
        }
    }

    /// tcp_process_tlp_ack.
    func processTLPAck(_ ack: SequenceNumber, _ flag: AckFlags) {
        guard tlpHighSeqSet else { return }
        if ack < tlpHighSeq { return }
        if !tlpRetrans {
            tlpHighSeqSet = false
        } else if flag.contains(.dsackTLP) {
            tlpHighSeqSet = false
        } else if ack > tlpHighSeq {
            initCwndReduction()
            setCAState(.cwr)
            endCwndReduction()
            tryKeepOpen()
            stack.counters.increment(.tcpExtTCPLossProbeRecovery)
        } else if flag.intersection([.sndUnaAdvanced, .data, .winUpdate, .dataAcked, .synAcked, .dataSacked]).isEmpty {
            tlpHighSeqSet = false
        }
    }

    /// The right edge of the peer's window (tcp_wnd_end).
    var windowEnd: SequenceNumber { sndUna + Int(sndWnd) }

    /// tcp_packets_in_flight: packets out, minus those known to have left the
    /// network, plus retransmissions in flight.
    var packetsInFlight: UInt32 {
        let left = sackedOut + lostOut
        let base = packetsOut > left ? packetsOut - left : 0
        return base + retransOut
    }
}

/// What recovery asks to (re)transmit after an ACK (REXMIT_*).
enum Rexmit {
    case none
    case lost
    case new
}
