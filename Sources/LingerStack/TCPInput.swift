import LingerWire

/// TCP input: the per-state processing of a segment that found its socket
/// (tcp_input.c: tcp_rcv_established, tcp_rcv_state_process, tcp_data_queue,
/// tcp_fin and what they call).
extension TCPSocket {
    // MARK: - Entry points

    /// A segment for an ESTABLISHED socket. Returns true when the caller must send a
    /// reset. Mirrors tcp_rcv_established (its slow path; the fast path gives the
    /// same result).
    func receiveEstablished(_ seg: InboundSegment, _ raw: UnsafeRawBufferPointer) -> Bool {
        sawTimestamp = false
        if receiveFastPath(seg, raw) { return false }
        if !seg.hasAck && !seg.isRst && !seg.isSyn { return false }
        if !validateIncoming(seg, synInErr: true) { return false }
        let result = processAck(seg, raw, flags: [.slowPath, .updateTsRecent])
        if result < 0 { return false }
        receiveRTTMeasureTS(seg)
        dataQueue(seg, raw)
        dataSendCheck()
        ackSendCheck()
        return false
    }

    /// The header-prediction fast path of tcp_rcv_established: an in-order pure
    /// ACK or data segment whose header is what pred_flags predicts. Returns false
    /// when the segment needs the slow path.
    func receiveFastPath(_ seg: InboundSegment, _ raw: UnsafeRawBufferPointer) -> Bool {
        guard let window = fastPathWindow, seg.window == window,
              seg.flags.subtracting(.psh) == [.ack],
              seg.tcpHeaderLength == 20 + (timestampOK ? timestampOptionLength : 0),
              seg.seq == rcvNxt, seg.ack >= sndUna, seg.ack <= sndNxt else { return false }
        if timestampOK {
            guard seg.alignedTimestamp else { return false }
            sawTimestamp = true
            rcvTsval = seg.options.tsVal
            rcvTsecr = seg.options.tsEcr &- (seg.options.tsEcr != 0 ? tsOffset : 0)
            if Int32(bitPattern: rcvTsval &- tsRecent) < 0 { return false }
        }
        if seg.payloadCount == 0 {
            if timestampOK && rcvNxt == rcvWup {
                tsRecent = rcvTsval
                tsRecentStamp = stack.seconds
            }
            _ = processAck(seg, raw, flags: [])
            dataSendCheck()
            return true
        }
        if timestampOK && rcvNxt == rcvWup {
            tsRecent = rcvTsval
            tsRecentStamp = stack.seconds
        }
        let truesize = inboundTruesize(seg)
        // Not enough memory reserved: the slow path charges it (goto step5).
        if truesize > forwardAlloc { return false }
        receiveRTTMeasureTS(seg)
        stack.counters.increment(.tcpExtTCPHPHits)
        receiveBytes.append(UnsafeRawBufferPointer(rebasing: raw[seg.payloadStart..<(seg.payloadStart + seg.payloadCount)]))
        queueReceiveBuffer(dataEnd: rcvNxt + seg.payloadCount, length: seg.payloadCount, fin: false, truesize: truesize,
                           tailroom: inboundTailroom(seg), charged: false)
        bytesReceived &+= UInt64(seg.payloadCount)
        rcvNxt = rcvNxt + seg.payloadCount
        lastDataRecvTime = stack.now
        eventDataReceived(length: seg.payloadCount, truesize: truesize, psh: seg.flags.contains(.psh))
        if seg.ack != sndUna {
            _ = processAck(seg, raw, flags: [.data])
            dataSendCheck()
            if ackScheduled { ackSendCheckNow(ofoPossible: false) }
        } else {
            sndWl1 = seg.seq
            ackSendCheckNow(ofoPossible: false)
        }
        wakeWaiters()
        return true
    }

    /// tcp_fast_path_on: predict the next segment's header.
    func fastPathOn() {
        fastPathWindow = UInt16(truncatingIfNeeded: sndWnd >> UInt32(sndWscale))
    }

    /// tcp_fast_path_check.
    func fastPathCheck() {
        if outOfOrder.isEmpty && rcvWnd > 0 && rmemAlloc < receiveBufferSize { fastPathOn() }
    }

    /// A segment for a socket in any state but LISTEN and ESTABLISHED. Returns true
    /// when the caller must send a reset. Mirrors tcp_rcv_state_process.
    func receiveStateProcess(_ seg: InboundSegment, _ raw: UnsafeRawBufferPointer) -> Bool {
        switch state {
        case .close:
            return false
        case .listen:
            return listenReceive(seg, raw)
        case .synSent:
            sawTimestamp = false
            return receiveSynSent(seg, raw)
        case .established:
            return receiveEstablished(seg, raw)
        default:
            break
        }
        sawTimestamp = false
        if !seg.hasAck && !seg.isRst && !seg.isSyn { return false }
        if !validateIncoming(seg, synInErr: false) { return false }
        // Step 5: check the ACK field.
        let result = processAck(seg, raw, flags: [.slowPath, .updateTsRecent, .noChallengeAck])
        if result <= 0 {
            if state == .synReceived { return true }
            if result < 0 {
                sendChallengeAck()
                return false
            }
        }
        switch state {
        case .synReceived:
            delivered &+= 1
            if timestampOK { advmss -= timestampOptionLength }
            retransStamp = 0
            initTransfer()
            copiedSeq = rcvNxt
            setState(.established)
            wakeWaiters()
            sndUna = seg.ack
            sndWnd = UInt32(seg.window) << UInt32(sndWscale)
            sndWl1 = seg.seq
            lastSndTime = stack.now
            initializeReceiveMSS()
            fastPathOn()
            if shutdownMask.contains(.send) { shutdownSend() }
        case .finWait1:
            guard sndUna == writeSeq else { break }
            setState(.finWait2)
            shutdownMask.insert(.send)
            if !isOrphan {
                wakeWaiters()
                break
            }
            if linger2 < 0 {
                stack.reason = .linger2Negative
                done()
                stack.counters.increment(.tcpExtTCPAbortOnData)
                return true
            }
            if seg.endSeq != seg.seq && seg.endSeq - (seg.isFin ? 1 : 0) > rcvNxt {
                stack.reason = .dataAfterShutdown
                done()
                stack.counters.increment(.tcpExtTCPAbortOnData)
                return true
            }
            let tmo = finTime
            if tmo > timeWaitLength {
                resetKeepaliveTimer(tmo - timeWaitLength)
            } else if seg.isFin {
                resetKeepaliveTimer(tmo)
            } else {
                stack.enterTimeWait(self, substate: .finWait2, timeout: tmo)
                return false
            }
        case .closing:
            if sndUna == writeSeq {
                stack.enterTimeWait(self, substate: .timeWait, timeout: 0)
                return false
            }
        case .lastAck:
            if sndUna == writeSeq {
                done()
                return false
            }
        default:
            break
        }
        // Step 7: process the segment text.
        switch state {
        case .closeWait, .closing, .lastAck, .finWait1, .finWait2:
            // After the peer's FIN, new data is ignored.
            if (state == .closeWait || state == .closing || state == .lastAck) && seg.seq >= rcvNxt { break }
            // RFC 1122: data after our receive side is shut resets the connection.
            if shutdownMask.contains(.receive) && seg.endSeq != seg.seq
                && seg.endSeq - (seg.isFin ? 1 : 0) > rcvNxt {
                stack.counters.increment(.tcpExtTCPAbortOnData)
                stack.reason = .dataAfterShutdown
                reset(from: seg)
                return true
            }
            dataQueue(seg, raw)
        case .established:
            dataQueue(seg, raw)
        default:
            break
        }
        if state != .close {
            dataSendCheck()
            ackSendCheck()
        }
        return false
    }

    // MARK: - Validation (RFC 793 steps 1-4, RFC 5961)

    /// tcp_validate_incoming: PAWS, the sequence check, RST and SYN handling.
    func validateIncoming(_ seg: InboundSegment, synInErr: Bool) -> Bool {
        parseTimestamp(seg)
        // RFC 7323 PAWS; a RST is accepted even if it fails the check.
        if sawTimestamp && !seg.isRst,
           !pawsCheck(tsRecent: tsRecent, tsRecentStamp: tsRecentStamp, tsVal: rcvTsval, window: 1,
                      nowSeconds: stack.seconds) {
            switch disorderedAckCheck(seg) {
            case .acceptable:
                break
            case .oldAck:
                if seg.isSyn { return synChallenge(synInErr) }
                // Old ACKs are common: counted, not answered.
                stack.counters.increment(.tcpExtPAWSOldAck)
                return false
            case .reject:
                if seg.isSyn { return synChallenge(synInErr) }
                stack.counters.increment(.tcpExtPAWSEstab)
                var last = lastOOWAckTime
                if !stack.outOfWindowRateLimited(seg, last: &last, skipped: .tcpExtTCPACKSkippedPAWS) {
                    sendDupAck(seg)
                }
                lastOOWAckTime = last
                return false
            }
        }
        // Step 1: sequence number (tcp_sequence as in Linux 6.18: data ending
        // beyond the window is refused unless nothing waits to be read; a FIN
        // just past it is let through).
        let windowEnd = rcvNxt + Int(receiveWindow)
        let beyondWindow = seg.endSeq - (seg.isFin ? 1 : 0) > windowEnd
            && (seg.seq > windowEnd || !receiveRecords.isEmpty)
        if seg.endSeq < rcvWup || beyondWindow {
            if !seg.isRst {
                if seg.isSyn { return synChallenge(synInErr) }
                if beyondWindow { stack.counters.increment(.tcpExtBeyondWindow) }
                var last = lastOOWAckTime
                if !stack.outOfWindowRateLimited(seg, last: &last, skipped: .tcpExtTCPACKSkippedSeq) {
                    sendDupAck(seg)
                }
                lastOOWAckTime = last
            } else if resetCheck(seg) {
                reset(from: seg)
            }
            return false
        }
        // Step 2: RST.
        if seg.isRst {
            if seg.seq == rcvNxt || resetCheck(seg) {
                reset(from: seg)
                return false
            }
            if sackOK, !selectiveAcks.isEmpty {
                var maxSack = selectiveAcks[0].end
                for b in selectiveAcks.dropFirst() where b.end > maxSack { maxSack = b.end }
                if seg.seq == maxSack {
                    reset(from: seg)
                    return false
                }
            }
            sendChallengeAck()
            return false
        }
        // Step 4: SYN.
        if seg.isSyn {
            if state == .synReceived && seg.hasAck && seg.seq + 1 == seg.endSeq && seg.seq + 1 == rcvNxt && seg.ack == sndNxt {
                return true
            }
            return synChallenge(synInErr)
        }
        return true
    }

    private func synChallenge(_ synInErr: Bool) -> Bool {
        if synInErr { stack.counters.increment(.tcpInErrs) }
        stack.counters.increment(.tcpExtTCPSYNChallenge)
        sendChallengeAck()
        return false
    }

    /// tcp_reset_check: a RST at rcv_nxt - 1 after the peer's FIN.
    func resetCheck(_ seg: InboundSegment) -> Bool {
        seg.seq == rcvNxt - 1 && (state == .closeWait || state == .lastAck || state == .closing)
    }

    /// Reads the timestamp option into rcv_tsval / rcv_tsecr (tcp_fast_parse_options).
    func parseTimestamp(_ seg: InboundSegment) {
        if seg.options.hasTimestamp && timestampOK {
            sawTimestamp = true
            rcvTsval = seg.options.tsVal
            rcvTsecr = seg.options.tsEcr &- (seg.options.tsEcr != 0 ? tsOffset : 0)
        } else {
            sawTimestamp = false
        }
    }

    /// What tcp_disordered_ack_check makes of a segment that failed PAWS.
    enum DisorderedAck {
        /// A pure duplicate ACK within the replay window: processed anyway.
        case acceptable
        /// A pure ACK below rcv_nxt (SKB_DROP_REASON_TCP_RFC7323_PAWS_ACK):
        /// dropped silently, counted as PAWSOldAck.
        case oldAck
        /// Dropped and answered with a duplicate ACK (PAWSEstab).
        case reject
    }

    /// tcp_disordered_ack_check (Linux 6.15 and later): a pure ACK that is a
    /// duplicate, does not move the window and whose timestamp lags by no more
    /// than the replay window (tcp_tsval_replay: 1.2 x RTO in milliseconds) may
    /// pass; an old pure ACK is told apart from other rejects.
    func disorderedAckCheck(_ seg: InboundSegment) -> DisorderedAck {
        guard seg.hasAck && seg.seq == seg.endSeq else { return .reject }
        if seg.seq != rcvNxt { return seg.seq < rcvNxt ? .oldAck : .reject }
        if seg.ack != sndUna { return .reject }
        if mayUpdateWindow(ack: seg.ack, ackSeq: seg.seq, window: UInt32(seg.window) << UInt32(sndWscale)) {
            return .reject
        }
        let hz = Int64(max(stack.sysctls.hz, 1))
        let rtoJiffies = rto / (1_000_000 / hz)
        let replay = rtoJiffies * 1200 / hz
        if Int64(Int32(bitPattern: tsRecent &- rcvTsval)) > replay { return .reject }
        return .acceptable
    }

    func mayUpdateWindow(ack: SequenceNumber, ackSeq: SequenceNumber, window: UInt32) -> Bool {
        ack > sndUna || ackSeq > sndWl1 || (ackSeq == sndWl1 && (window > sndWnd || window == 0))
    }

    /// tcp_replace_ts_recent.
    func replaceTsRecent(_ seq: SequenceNumber) {
        if sawTimestamp && seq <= rcvWup {
            let seconds = stack.seconds
            if pawsCheck(tsRecent: tsRecent, tsRecentStamp: tsRecentStamp, tsVal: rcvTsval, window: 0,
                         nowSeconds: seconds) {
                tsRecent = rcvTsval
                tsRecentStamp = seconds
            }
        }
    }

    /// tcp_send_dupack: an immediate ACK for an out-of-window or old segment, with a
    /// D-SACK for what was duplicated.
    func sendDupAck(_ seg: InboundSegment) {
        if seg.endSeq != seg.seq && seg.seq < rcvNxt {
            stack.counters.increment(.tcpExtDelayedACKLost)
            enterQuickAckMode(16)
            if sackOK && stack.sysctls.tcpDsack != 0 {
                var end = seg.endSeq
                if end > rcvNxt { end = rcvNxt }
                dsackSet(seg.seq, end)
            }
        }
        stack.reason = .duplicateAck
        sendAck()
    }

    /// tcp_send_challenge_ack: rate limited per socket and per namespace.
    func sendChallengeAck() {
        var last = lastOOWAckTime
        let elapsed = stack.now - last
        if elapsed >= 0 && elapsed < Int64(stack.sysctls.tcpInvalidRatelimit) * 1000 {
            stack.counters.increment(.tcpExtTCPACKSkippedChallenge)
            return
        }
        last = stack.now
        lastOOWAckTime = last
        if stack.challengeAckAllowed() {
            stack.counters.increment(.tcpExtTCPChallengeACK)
            stack.reason = .challengeAck
            sendAck()
        }
    }

    // MARK: - Reset and done

    /// tcp_reset: the peer reset the connection.
    func reset(from seg: InboundSegment?) {
        if stack.reason == .none { stack.reason = .resetReceived }
        let err: Int32
        switch state {
        case .synSent: err = ECONNREFUSED
        case .closeWait: err = EPIPE
        case .close: return
        default: err = ECONNRESET
        }
        doneWithError(err)
    }

    /// tcp_done_with_error: reports `err`, drops what was to be sent, closes.
    func doneWithError(_ err: Int32) {
        error = err
        writeQueuePurge()
        done()
        if !isOrphan { wakeWaiters() }
    }

    /// tcp_done: the connection is over; the socket lives on only while a
    /// descriptor refers to it.
    func done() {
        if state == .synSent || state == .synReceived { stack.counters.increment(.tcpAttemptFails) }
        setState(.close)
        // destroy() clears the timers first thing: cleared here only when
        // it will not run.
        if !isOrphan || isDestroyed { clearTimers() }
        shutdownMask = .both
        if !isOrphan {
            wakeWaiters()
        } else {
            destroy()
        }
    }

    /// tcp_set_state: counters and table membership follow the state.
    func setState(_ new: TCPState) {
        let old = state
        if old == new { return }
        withStack { stack in
            if stack.explanationLog != nil { explainStateChange(from: old, to: new) }
            switch new {
            case .established:
                stack.counters.increment(.tcpCurrEstab)
            case .closeWait:
                if old == .synReceived { stack.counters.increment(.tcpCurrEstab) }
            case .close:
                if old == .closeWait || old == .established { stack.counters.increment(.tcpEstabResets) }
                stack.unhashEstablished(self)
                if old == .listen { stack.removeListener(self) }
                if !explicitlyBound { stack.removeBound(self) }
                fallthrough
            default:
                if old == .established || old == .closeWait { stack.counters.decrement(.tcpCurrEstab) }
            }
        }
        state = new
    }

    /// setState's explanation, out of line: it is made only while
    /// explaining, and inlined it made setState's closure too big to inline.
    @inline(never)
    private func explainStateChange(from old: TCPState, to new: TCPState) {
        stack.explainStateChange(self, from: old, to: new)
    }

    // MARK: - Data

    /// tcp_data_queue: in-order data to the receive queue, out-of-order data to
    /// the out-of-order queue, duplicates answered at once.
    func dataQueue(_ seg: InboundSegment, _ raw: UnsafeRawBufferPointer) {
        if seg.seq == seg.endSeq { return }
        duplicateSack = nil
        let truesize = inboundTruesize(seg)
        if seg.seq == rcvNxt {
            if receiveWindow == 0 {
                if !(seg.payloadCount == 0 && seg.isFin) {
                    stack.counters.increment(.tcpExtTCPZeroWindowDrop)
                    enterQuickAckMode(16)
                    scheduleAck()
                    return
                }
            }
            queueAndOut(seg, raw, skip: 0, truesize: truesize)
            return
        }
        if seg.endSeq <= rcvNxt {
            stack.counters.increment(.tcpExtDelayedACKLost)
            dsackSet(seg.seq, seg.endSeq)
            enterQuickAckMode(16)
            scheduleAck()
            return
        }
        if seg.seq >= rcvNxt + Int(receiveWindow) {
            enterQuickAckMode(16)
            scheduleAck()
            return
        }
        if seg.seq < rcvNxt {
            dsackSet(seg.seq, rcvNxt)
            if receiveWindow == 0 {
                stack.counters.increment(.tcpExtTCPZeroWindowDrop)
                enterQuickAckMode(16)
                scheduleAck()
                return
            }
            queueAndOut(seg, raw, skip: Int(seg.seq.distance(to: rcvNxt)), truesize: truesize)
            return
        }
        dataQueueOutOfOrder(seg, raw, truesize: truesize)
    }

    private func queueAndOut(_ seg: InboundSegment, _ raw: UnsafeRawBufferPointer, skip: Int, truesize: Int) {
        let length = max(0, seg.payloadCount - skip)
        if !tryReceiveMemory(length: seg.payloadCount, seq: seg.seq) {
            // Out of receive memory: answer at once with a zero window; data is
            // dropped unless the queue is empty (a bare FIN still goes in).
            ackPending |= AckPendingBits.nomem | AckPendingBits.now
            scheduleAck()
            if !receiveRecords.isEmpty && seg.payloadCount > 0 {
                stack.counters.increment(.tcpExtTCPRcvQDrop)
                return
            }
        }
        if length > 0 {
            let start = seg.payloadStart + skip
            receiveBytes.append(UnsafeRawBufferPointer(rebasing: raw[start..<(start + length)]))
        }
        let newEnd = rcvNxt + (length + (seg.isFin ? 1 : 0))
        queueReceiveBuffer(dataEnd: rcvNxt + length, length: length, fin: seg.isFin, truesize: truesize,
                           tailroom: inboundTailroom(seg), charged: false)
        // tcp_rcv_nxt_update: bytes_received counts the sequence space, FIN included.
        bytesReceived &+= UInt64(max(0, rcvNxt.distance(to: newEnd)))
        rcvNxt = newEnd
        if length > 0 {
            lastDataRecvTime = stack.now
            eventDataReceived(length: seg.payloadCount, truesize: truesize, psh: seg.flags.contains(.psh))
        }
        if seg.isFin { fin() }
        if !outOfOrder.isEmpty {
            ofoQueue()
            if outOfOrder.isEmpty { ackPending |= AckPendingBits.now }
        }
        if !selectiveAcks.isEmpty { sackRemove() }
        fastPathCheck()
        if !isOrphan { wakeWaiters() }
    }

    /// tcp_queue_rcv with tcp_try_coalesce: a segment small enough to fit the free
    /// room of the queue's last buffer is copied there (and charged nothing more);
    /// otherwise it becomes a new buffer, charged its truesize. `charged` says the
    /// buffer was already charged (it comes from the out-of-order queue).
    func queueReceiveBuffer(dataEnd: SequenceNumber, length: Int, fin: Bool, truesize: Int, tailroom: Int,
                            charged: Bool) {
        if var last = receiveRecords.last, !last.hasFin,
           let delta = Self.coalesceCharge(tailroom: last.tailroom, length: length, truesize: truesize) {
            last.dataEnd = dataEnd
            if delta == 0 { last.tailroom -= length }
            last.truesize += delta
            last.hasFin = fin
            receiveRecords[receiveRecords.count - 1] = last
            stack.counters.increment(.tcpExtTCPRcvCoalesce)
            if charged {
                uncharge(truesize - delta)
            } else {
                charge(delta)
            }
            return
        }
        receiveRecords.append(ReceiveRecord(dataEnd: dataEnd, truesize: truesize, tailroom: tailroom, hasFin: fin))
        if !charged { charge(truesize) }
    }

    /// sk_rmem_schedule + skb_set_owner_r: memory is reserved in whole pages.
    func charge(_ truesize: Int) {
        if truesize > forwardAlloc { forwardAlloc += (truesize - forwardAlloc + 4095) / 4096 * 4096 }
        forwardAlloc -= truesize
        rmemAlloc += truesize
    }

    /// sock_rfree + sk_mem_reclaim: whole free pages go back.
    func uncharge(_ truesize: Int) {
        rmemAlloc -= truesize
        forwardAlloc += truesize
        if forwardAlloc >= 4096 { forwardAlloc %= 4096 }
    }

    /// The free room after the data of an inbound buffer (0 for page fragments).
    func inboundTailroom(_ seg: InboundSegment) -> Int {
        let packetLength = seg.payloadStart + seg.payloadCount
        guard 64 + packetLength < 4096 else { return 0 }
        // A head of at most 256 bytes comes from skb_small_head_cache (576-byte
        // objects with skb_shared_info); bigger ones from kmalloc's power-of-two
        // sizes. Measured on the live kernel: after a 140-byte packet 52 bytes
        // still coalesce and 56 do not; after a 1040-byte one, 550 do.
        if 64 + packetLength <= 256 { return 256 - 64 - packetLength }
        return Self.kmallocSize(64 + packetLength + 320) - 320 - 64 - packetLength
    }

    /// tcp_try_rmem_schedule with tcp_can_ingest (Linux 6.18: the queued memory
    /// plus the new payload must fit the receive buffer) and tcp_prune_queue.
    /// Collapsing the receive queue into compact buffers is not modelled.
    func tryReceiveMemory(length: Int, seq: SequenceNumber) -> Bool {
        if rmemAlloc + length <= receiveBufferSize { return true }
        // tcp_prune_queue
        stack.counters.increment(.tcpExtPruneCalled)
        if rmemAlloc >= receiveBufferSize { clampWindow() }
        if rmemAlloc + length <= receiveBufferSize { return true }
        if pruneOutOfOrder(beyond: seq, length: length) && rmemAlloc + length <= receiveBufferSize { return true }
        stack.counters.increment(.tcpExtRcvPruned)
        fastPathWindow = nil
        return false
    }

    /// tcp_clamp_window: the socket hit its memory bounds.
    func clampWindow() {
        ackQuick = 0
        let rmem2 = stack.sysctls.tcpRmem.max
        if receiveBufferSize < rmem2 && !receiveBufferLocked {
            receiveBufferSize = min(rmemAlloc, rmem2)
        }
        if rmemAlloc > receiveBufferSize { rcvSsthresh = min(windowClamp, UInt32(2 * advmss)) }
    }

    /// tcp_prune_ofo_queue: drops out-of-order data from the highest sequence
    /// down (not below the incoming segment) until an eighth of the buffer is free.
    func pruneOutOfOrder(beyond seq: SequenceNumber, length: Int) -> Bool {
        guard !outOfOrder.isEmpty else { return false }
        var goal = receiveBufferSize >> 3
        var pruned = false
        while let last = outOfOrder.last, !(seq > last.seq) {
            pruned = true
            outOfOrder.removeLast()
            uncharge(last.truesize)
            goal -= last.truesize
            if outOfOrder.isEmpty || goal <= 0 {
                if rmemAlloc + length <= receiveBufferSize { break }
                goal = receiveBufferSize >> 3
            }
        }
        if pruned {
            stack.counters.increment(.tcpExtOfoPruned)
            if sackOK {
                selectiveAcks.removeAll()
                duplicateSack = nil
            }
        }
        return pruned
    }

    /// tcp_data_queue_ofo.
    func dataQueueOutOfOrder(_ seg: InboundSegment, _ raw: UnsafeRawBufferPointer, truesize: Int) {
        if !tryReceiveMemory(length: seg.payloadCount, seq: seg.seq) {
            stack.counters.increment(.tcpExtTCPOFODrop)
            wakeWaiters()
            return
        }
        measureReceiveMSS(length: seg.payloadCount, truesize: truesize, psh: seg.flags.contains(.psh))
        fastPathWindow = nil
        scheduleAck()
        rcvOOOPackets &+= 1
        stack.counters.increment(.tcpExtTCPOFOQueue)
        let seq = seg.seq
        let end = seg.endSeq
        var bytes: [UInt8] = []
        if seg.payloadCount > 0 {
            bytes = Array(UnsafeRawBufferPointer(rebasing: raw[seg.payloadStart..<(seg.payloadStart + seg.payloadCount)]))
        }
        var segment = OutOfOrderSegment(seq: seq, bytes: bytes, fin: seg.isFin, truesize: truesize,
                                        tailroom: inboundTailroom(seg))
        if outOfOrder.isEmpty {
            if sackOK {
                selectiveAcks = [(seq, end)]
                growWindow(length: seg.payloadCount, truesize: truesize)
            }
            outOfOrder.append(segment)
            charge(truesize)
            return
        }
        // tcp_ooo_try_coalesce: appended to the segment it continues, when the
        // buffers allow; the window grows by the added fragments only.
        if let prior = outOfOrder.lastIndex(where: { $0.endSeq == seq && !$0.fin }),
           prior + 1 == outOfOrder.count || end <= outOfOrder[prior + 1].seq,
           let delta = Self.coalesceCharge(tailroom: outOfOrder[prior].tailroom, length: seg.payloadCount,
                                           truesize: truesize) {
            var merged = outOfOrder[prior]
            merged.bytes += bytes
            merged.fin = seg.isFin
            merged.truesize += delta
            if delta == 0 { merged.tailroom -= seg.payloadCount }
            outOfOrder[prior] = merged
            charge(delta)
            if sackOK {
                growWindow(length: seg.payloadCount, truesize: truesize)
                sackNewOutOfOrder(seq, end)
            }
            return
        }
        // Find the insertion point, handling overlaps.
        var index = outOfOrder.count
        for (i, existing) in outOfOrder.enumerated() where seq < existing.seq || (seq < existing.endSeq) {
            index = i
            break
        }
        if index < outOfOrder.count {
            let existing = outOfOrder[index]
            if seq >= existing.seq && seq < existing.endSeq {
                if end <= existing.endSeq {
                    stack.counters.increment(.tcpExtTCPOFOMerge)
                    dsackSet(seq, end)
                    if sackOK { sackNewOutOfOrder(seq, end) }
                    return
                }
                if seq > existing.seq {
                    dsackSet(seq, existing.endSeq)
                    // Keep only the new part.
                    let overlap = Int(seq.distance(to: existing.endSeq))
                    if overlap > 0 && overlap <= segment.bytes.count {
                        segment.bytes.removeFirst(overlap)
                        segment.seq = existing.endSeq
                    }
                    index += 1
                } else {
                    dsackExtend(existing.seq, existing.endSeq)
                    stack.counters.increment(.tcpExtTCPOFOMerge)
                    uncharge(existing.truesize)
                    outOfOrder.remove(at: index)
                }
            }
        }
        // Remove later segments covered by this one.
        while index < outOfOrder.count {
            let next = outOfOrder[index]
            if end <= next.seq { break }
            if end < next.endSeq {
                dsackExtend(next.seq, end)
                let overlap = Int(next.seq.distance(to: end))
                if overlap > 0 && overlap <= segment.bytes.count {
                    segment.bytes.removeLast(overlap)
                }
                break
            }
            dsackExtend(next.seq, next.endSeq)
            stack.counters.increment(.tcpExtTCPOFOMerge)
            uncharge(next.truesize)
            outOfOrder.remove(at: index)
        }
        outOfOrder.insert(segment, at: index)
        if sackOK {
            sackNewOutOfOrder(seq, end)
            growWindow(length: seg.payloadCount, truesize: truesize)
        }
        charge(truesize)
    }

    /// tcp_ofo_queue: moves now-in-order segments to the receive queue.
    func ofoQueue() {
        var dsackHigh = rcvNxt
        while let first = outOfOrder.first {
            if first.seq > rcvNxt { break }
            if first.seq < dsackHigh {
                var dsackEnd = dsackHigh
                if first.endSeq < dsackHigh { dsackEnd = first.endSeq }
                dsackExtend(first.seq, dsackEnd)
            }
            outOfOrder.removeFirst()
            if first.endSeq <= rcvNxt {
                uncharge(first.truesize)
                continue
            }
            let skip = Int(first.seq.distance(to: rcvNxt))
            let length = max(0, first.bytes.count - skip)
            if length > 0 {
                first.bytes.withUnsafeBytes { receiveBytes.append(UnsafeRawBufferPointer(rebasing: $0[skip...])) }
            }
            queueReceiveBuffer(dataEnd: rcvNxt + length, length: length, fin: first.fin, truesize: first.truesize,
                               tailroom: first.tailroom, charged: true)
            bytesReceived &+= UInt64(max(0, rcvNxt.distance(to: first.endSeq)))
            rcvNxt = first.endSeq
            dsackHigh = rcvNxt
            if first.fin {
                fin()
                break
            }
        }
    }

    /// tcp_fin: the peer's FIN is in order.
    func fin() {
        scheduleAck()
        shutdownMask.insert(.receive)
        sockDone = true
        finReceived = true
        switch state {
        case .synReceived, .established:
            setState(.closeWait)
            enterPingPongMode()
        case .closeWait, .closing, .lastAck:
            break
        case .finWait1:
            sendAck()
            setState(.closing)
        case .finWait2:
            sendAck()
            // The stack borrowed for the call (see withStack).
            withStack { $0.enterTimeWait(self, substate: .timeWait, timeout: 0) }
        default:
            break
        }
        // Read before written: an empty queue (nearly every FIN) is left alone,
        // which spares the rarely-used state's accessors.
        if !outOfOrder.isEmpty {
            for segment in outOfOrder { uncharge(segment.truesize) }
            outOfOrder.removeAll()
        }
        // tcp_sack_reset: the D-SACK goes too.
        if sackOK {
            if !selectiveAcks.isEmpty { selectiveAcks.removeAll() }
            if duplicateSack != nil { duplicateSack = nil }
        }
        if !isOrphan { wakeWaiters() }
    }

    // MARK: - SACK blocks we send (receiver side)

    func sackNewOutOfOrder(_ seq: SequenceNumber, _ end: SequenceNumber) {
        if selectiveAcks.isEmpty {
            selectiveAcks = [(seq, end)]
            return
        }
        for i in 0..<selectiveAcks.count {
            var block = selectiveAcks[i]
            if seq <= block.end && block.start <= end {
                if seq < block.start { block.start = seq }
                if end > block.end { block.end = end }
                selectiveAcks.remove(at: i)
                selectiveAcks.insert(block, at: 0)
                sackMaybeCoalesce()
                return
            }
        }
        if selectiveAcks.count >= 4 { selectiveAcks.removeLast() }
        selectiveAcks.insert((seq, end), at: 0)
    }

    private func sackMaybeCoalesce() {
        guard var first = selectiveAcks.first else { return }
        var i = 1
        while i < selectiveAcks.count {
            let b = selectiveAcks[i]
            if b.start <= first.end && first.start <= b.end {
                if b.start < first.start { first.start = b.start }
                if b.end > first.end { first.end = b.end }
                selectiveAcks.remove(at: i)
                continue
            }
            i += 1
        }
        selectiveAcks[0] = first
    }

    /// tcp_sack_remove.
    func sackRemove() {
        if outOfOrder.isEmpty {
            selectiveAcks.removeAll()
            return
        }
        selectiveAcks.removeAll { rcvNxt >= $0.start }
    }

    /// tcp_dsack_set.
    func dsackSet(_ seq: SequenceNumber, _ end: SequenceNumber) {
        guard sackOK && stack.sysctls.tcpDsack != 0 else { return }
        stack.counters.increment(seq < rcvNxt ? .tcpExtTCPDSACKOldSent : .tcpExtTCPDSACKOfoSent)
        duplicateSack = (seq, end)
    }

    /// tcp_dsack_extend.
    func dsackExtend(_ seq: SequenceNumber, _ end: SequenceNumber) {
        guard var d = duplicateSack else {
            dsackSet(seq, end)
            return
        }
        if seq <= d.end && d.start <= end {
            if seq < d.start { d.start = seq }
            if end > d.end { d.end = end }
            duplicateSack = d
        }
    }

    // MARK: - Receive-side bookkeeping

    /// What Linux charges for a received segment (skb->truesize of a packet a TUN
    /// device hands in): the packet in a kmalloc'd head with NET_SKB_PAD (64) in
    /// front and skb_shared_info (320) behind, rounded to the allocator's size,
    /// plus the sk_buff (256). Packets too big for a 4 KiB head keep their
    /// headers in the head and the data in page fragments.
    func inboundTruesize(_ seg: InboundSegment) -> Int {
        let packetLength = seg.payloadStart + seg.payloadCount
        if 64 + packetLength < 4096 {
            return Self.kmallocSize(64 + packetLength + 320) + 256
        }
        // A bigger packet fills a 4 KiB head (3712 bytes after NET_SKB_PAD and
        // skb_shared_info: 4352 with the sk_buff) and puts the rest in page
        // fragments of up to 32 KiB (alloc_skb_with_frags). The live kernel's
        // windows bear this out: 4040 bytes cost 8448, 9040 bytes 12544.
        var remaining = packetLength - (4096 - 64 - 320)
        var pages = 0
        while remaining > 0 {
            let aligned = (remaining + 4095) / 4096 * 4096
            var order = 3
            while order > 0 && aligned < 4096 << order { order -= 1 }
            pages += 4096 << order
            remaining -= min(remaining, 4096 << order)
        }
        return 4096 + 256 + pages
    }

    /// skb_try_coalesce's charge for appending a buffer to another: nothing when
    /// its data fits the other's free room; nil when it cannot be merged (a
    /// kmalloc'd head is never stolen, so no other merge happens here).
    static func coalesceCharge(tailroom: Int, length: Int, truesize: Int) -> Int? {
        if length <= tailroom { return 0 }
        return nil
    }

    /// The size kmalloc really hands out for a request of `n` bytes.
    static func kmallocSize(_ n: Int) -> Int {
        if n <= 8 { return 8 }
        if n > 64 && n <= 96 { return 96 }
        if n > 128 && n <= 192 { return 192 }
        // The next power of two, without a loop (every inbound segment asks).
        return 1 << (Int.bitWidth - (n - 1).leadingZeroBitCount)
    }

    /// tcp_event_data_recv: schedules the ACK, measures, runs the delayed-ACK
    /// timing heuristics and grows the window.
    func eventDataReceived(length: Int, truesize: Int, psh: Bool) {
        scheduleAck()
        measureReceiveMSS(length: length, truesize: truesize, psh: psh)
        receiveRTTMeasure()
        let now = stack.now
        if ackAto == 0 {
            incrementQuickAck(16)
            ackAto = 40_000
        } else {
            let m = now - ackLrcvtime
            if m <= 20_000 {
                ackAto = (ackAto >> 1) + 20_000
            } else if m < ackAto {
                ackAto = min((ackAto >> 1) + m, rto, 200_000)
            } else if m > rto {
                incrementQuickAck(16)
            }
        }
        ackLrcvtime = now
        if length >= 128 { growWindow(length: length, truesize: truesize) }
    }

    /// tcp_set_window_clamp for a non-zero value: a smaller clamp pulls
    /// rcv_ssthresh down, a larger one lets it rise to the advertised window.
    func setWindowClamp(_ value: Int) {
        let newClamp = UInt32(max(value, minimumReceiveBuffer / 2))
        let oldClamp = windowClamp
        guard newClamp != oldClamp else { return }
        windowClamp = newClamp
        if newClamp < oldClamp {
            rcvSsthresh = min(rcvSsthresh, newClamp)
        } else {
            rcvSsthresh = max(min(rcvWnd, newClamp), rcvSsthresh)
        }
    }

    /// tcp_measure_rcv_mss.
    func measureReceiveMSS(length skbLength: Int, truesize: Int, psh: Bool) {
        let lss = ackLastSegSize
        ackLastSegSize = 0
        // A segmentation-offload buffer counts as segments of its gso_size.
        let gsoSize = stack.inboundSegmentSize
        let length = gsoSize > 0 && skbLength > gsoSize ? gsoSize : skbLength
        if length >= ackRcvMss {
            if length != ackRcvMss && truesize > 0 {
                let value = (skbLength << 8) / truesize
                let old = scalingRatio
                scalingRatio = value > 0 ? min(value, 255) : 1
                if old != scalingRatio {
                    // The live 6.18 kernel moves the clamp with tcp_set_window_clamp
                    // (rcv_ssthresh follows it up to the last advertised window).
                    setWindowClamp(winFromSpace(receiveBufferSize))
                    if Int(windowClamp) < rcvSpace.space { rcvSpace.space = Int(windowClamp) }
                }
            }
            ackRcvMss = min(length, advmss)
            if psh { ackPending |= AckPendingBits.pushed }
        } else {
            var len = length + 20 + (timestampOK ? timestampOptionLength : 0)
            if len >= defaultMSS + 20 || (!psh && len >= 88 + 20) {
                len -= 20 + (timestampOK ? timestampOptionLength : 0)
                ackLastSegSize = len
                if len == lss {
                    ackRcvMss = len
                    return
                }
            }
            if ackPending & AckPendingBits.pushed != 0 { ackPending |= AckPendingBits.pushed2 }
            ackPending |= AckPendingBits.pushed
        }
    }

    /// tcp_rcv_rtt_measure.
    func receiveRTTMeasure() {
        if rcvRTT.time != 0 {
            if rcvNxt < rcvRTT.seq { return }
            let delta = max(1, stack.now - rcvRTT.time)
            receiveRTTUpdate(UInt32(clamping: delta), windowDependent: true)
        }
        rcvRTT.seq = rcvNxt + Int(rcvWnd)
        rcvRTT.time = stack.now
    }

    /// tcp_rcv_rtt_measure_ts.
    func receiveRTTMeasureTS(_ seg: InboundSegment) {
        guard sawTimestamp, rcvTsecr != 0 else { return }
        if Int(seg.seq.distance(to: seg.endSeq)) >= ackRcvMss {
            let delta = Int64(stack.timestampClock &- rcvTsecr) * 1000
            if delta > 0 { receiveRTTUpdate(UInt32(clamping: delta), windowDependent: false) }
        }
    }

    func receiveRTTUpdate(_ sample: UInt32, windowDependent: Bool) {
        let old = rcvRTT.rttUs
        let m = sample << 3
        if old == 0 || m < old {
            rcvRTT.rttUs = m
        } else {
            if windowDependent { return }
            rcvRTT.rttUs = old - (old >> 3) + sample
        }
    }

    /// tcp_grow_window: raises rcv_ssthresh as data arrives with a good
    /// payload-to-truesize ratio.
    func growWindow(length: Int, truesize: Int) {
        let room = min(Int(windowClamp), space) - Int(rcvSsthresh)
        if room <= 0 { return }
        var incr: Int
        if winFromSpace(truesize) <= length {
            incr = 2 * advmss
        } else {
            var t = winFromSpace(truesize) >> 1
            let rmem2 = stack.sysctls.tcpRmem.max
            var window = winFromSpace(rmem2) >> 1
            incr = 0
            while Int(rcvSsthresh) <= window {
                if t <= length {
                    incr = 2 * ackRcvMss
                    break
                }
                t >>= 1
                window >>= 1
            }
        }
        if incr > 0 {
            incr = max(incr, 2 * length)
            rcvSsthresh += UInt32(min(room, incr))
            ackQuick |= 1
        }
    }

    /// tcp_win_from_space.
    func winFromSpace(_ space: Int) -> Int { (space * scalingRatio) >> 8 }

    func fullSpaceWithRatio(_ ratio: Int) -> Int { (receiveBufferSize * ratio) >> 8 }

    /// tcp_space: window-sized free receive space.
    var space: Int { winFromSpace(receiveBufferSize - rmemAlloc) }

    /// tcp_full_space.
    var fullSpace: Int { winFromSpace(receiveBufferSize) }

    /// tcp_receive_window: what is left of the window we last advertised.
    var receiveWindow: UInt32 {
        let win = Int64(rcvWup.distance(to: rcvNxt))
        let left = Int64(rcvWnd) - win
        return left < 0 ? 0 : UInt32(left)
    }

    /// tcp_init_buffer_space.
    func initBufferSpace() {
        if !sendBufferLocked { sndbufExpand() }
        rcvSpace.time = stack.now
        rcvSpace.seq = copiedSeq
        let maxwin = fullSpace
        if Int(windowClamp) >= maxwin {
            windowClamp = UInt32(max(0, maxwin))
            let appWin = stack.sysctls.tcpAppWin
            if appWin > 0 && maxwin > 4 * advmss {
                windowClamp = UInt32(max(maxwin - (maxwin >> appWin), 4 * advmss))
            }
        }
        if stack.sysctls.tcpAppWin > 0 && Int(windowClamp) > 2 * advmss && Int(windowClamp) + advmss > maxwin {
            windowClamp = UInt32(max(2 * advmss, maxwin - advmss))
        }
        rcvSsthresh = min(rcvSsthresh, windowClamp)
        cwndStamp = stack.now
        rcvSpace.space = Int(min(rcvSsthresh, rcvWnd, UInt32(10 * advmss)))
    }

    /// tcp_rcv_space_adjust: receive-buffer autotuning after the application reads.
    func receiveSpaceAdjust() {
        let time = stack.now - rcvSpace.time
        if rcvRTT.rttUs == 0 || time < Int64(rcvRTT.rttUs >> 3) { return }
        var copied = Int(rcvSpace.seq.distance(to: copiedSeq))
        let inq = Int(copiedSeq.distance(to: rcvNxt))
        copied -= inq
        if copied > rcvSpace.space {
            if stack.sysctls.tcpModerateRcvbuf != 0 && !receiveBufferLocked {
                var rcvwin = (copied << 1) + 16 * advmss
                let grow = rcvSpace.space > 0 ? rcvwin * (copied - rcvSpace.space) / rcvSpace.space : 0
                rcvwin += grow << 1
                let rmem2 = stack.sysctls.tcpRmem.max
                let rcvbuf = min(scalingRatio > 0 ? (rcvwin << 8) / scalingRatio : rcvwin, rmem2)
                if rcvbuf > receiveBufferSize {
                    receiveBufferSize = rcvbuf
                    windowClamp = UInt32(max(0, winFromSpace(rcvbuf)))
                }
            }
            rcvSpace.space = copied
        }
        rcvSpace.seq = copiedSeq
        rcvSpace.time = stack.now
    }

    // MARK: - Delayed ACK decisions

    func scheduleAck() { ackPending |= AckPendingBits.sched }
    var ackScheduled: Bool { ackPending & AckPendingBits.sched != 0 }

    /// tcp_incr_quickack.
    func incrementQuickAck(_ maxQuickacks: UInt32) {
        var quickacks = ackRcvMss > 0 ? rcvWnd / UInt32(2 * ackRcvMss) : 2
        if quickacks == 0 { quickacks = 2 }
        quickacks = min(quickacks, maxQuickacks)
        if quickacks > ackQuick { ackQuick = quickacks }
    }

    /// tcp_enter_quickack_mode.
    func enterQuickAckMode(_ maxQuickacks: UInt32) {
        incrementQuickAck(maxQuickacks)
        ackPingpong = 0
        ackAto = 40_000
    }

    var isPingPong: Bool { ackPingpong >= 1 }
    func enterPingPongMode() { ackPingpong = 1 }

    /// tcp_in_quickack_mode.
    var inQuickAckMode: Bool { ackQuick > 0 && !isPingPong }

    /// tcp_ack_snd_check.
    func ackSendCheck() {
        guard ackScheduled else { return }
        ackSendCheckNow(ofoPossible: true)
    }

    /// __tcp_ack_snd_check: ACK now, or arm the delayed-ACK timer.
    func ackSendCheckNow(ofoPossible: Bool) {
        let received = Int(rcvWup.distance(to: rcvNxt))
        let unread = Int(copiedSeq.distance(to: rcvNxt))
        if (received > ackRcvMss && (unread < receiveLowat || computeWindow() >= rcvWnd))
            || inQuickAckMode || ackPending & AckPendingBits.now != 0 {
            stack.reason = .quickAck
            sendAck()
            return
        }
        if !ofoPossible || outOfOrder.isEmpty {
            sendDelayedAck()
            return
        }
        if !sackOK {
            sendAck()
            return
        }
        // SACK compression is not modelled: Linux sends the first duplicate ACKs at once.
        sendAck()
    }

    /// tcp_data_snd_check.
    func dataSendCheck() {
        pushPendingFrames()
        checkSpace()
    }

    /// tcp_check_space: when a writer found the buffer full, announce the space
    /// ACKs have freed.
    func checkSpace() {
        guard noSpace else { return }
        newSpace()
        if !noSpace { chronoStop(.sndbufLimited) }
    }

    /// tcp_new_space: grow an unlocked send buffer while cwnd has room, then
    /// sk_stream_write_space: wake writers once a third of the buffer is free.
    func newSpace() {
        if !sendBufferLocked && packetsInFlight < cwnd {
            sndbufExpand()
            cwndStamp = stack.now
        }
        if isWriteable {
            noSpace = false
            wakeWaiters()
        }
    }
}

extension NetworkStack {
    /// tcp_challenge_ack_allowed: the namespace-wide RFC 5961 budget per second.
    func challengeAckAllowed() -> Bool {
        let limit = sysctls.tcpChallengeAckLimit
        if limit >= Int(Int32.max) { return true }
        let second = now / 1_000_000
        if second != lastChallengeAckTime {
            lastChallengeAckTime = second
            challengeAckCount = limit
        }
        if challengeAckCount > 0 {
            challengeAckCount -= 1
            return true
        }
        return false
    }
}
