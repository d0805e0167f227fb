import LingerWire

/// Nagle modes (TCP_NAGLE_*).
struct NagleMode: OptionSet {
    var rawValue: UInt8
    static let off = NagleMode(rawValue: 1)
    static let cork = NagleMode(rawValue: 2)
    static let push = NagleMode(rawValue: 4)
}

extension SendRecord {
    /// Adds `chunk` bytes of data at the end (a write joining the tail record),
    /// first clearing PSH when `clearingPush`. Returns the new data length.
    @inline(__always)
    fileprivate mutating func extend(by chunk: Int, clearingPush: Bool) -> Int {
        if clearingPush { flags.remove(.psh) }
        endSeq = endSeq + chunk
        return dataLength
    }
}

/// TCP output: building segments, the send queue and its transmission
/// (tcp_output.c, and tcp_sendmsg_locked from tcp.c).
extension TCPSocket {
    // MARK: - Segment building

    /// The socket's own nagle setting (tp->nonagle).
    var nagleMode: NagleMode {
        var m: NagleMode = []
        if noDelay { m.insert(.off) }
        if cork { m.insert(.cork) }
        if nonaglePush { m.insert(.push) }
        return m
    }

    /// Builds the header fields common to every segment of this connection and
    /// sends it. Mirrors __tcp_transmit_skb: options, window, ACK bookkeeping.
    /// `continuesBurst`: a later segment of one TSO skb (IP counts the skb once).
    @discardableResult
    func transmit(seq: SequenceNumber, flags: TCPFlags, payloadOffset: Int, payloadLength: Int,
                  countAsNew: Bool, departure: Int64? = nil, truesize: Int? = nil,
                  continuesBurst: Bool = false) -> Bool {
        guard let tuple else { return false }
        // The stack borrowed for the whole call: each use of the unowned
        // property, or one strong copy of it, would retain and release it.
        return withStack { stack in
            let stamp = departure ?? takeDepartureStamp().stamp
            var h = OutboundHeader(tuple: tuple, seq: seq, ack: rcvNxt, flags: flags, window: 0)
            if flags.contains(.syn) {
                h.mss = UInt16(truncatingIfNeeded: advmss)
                if stack.sysctls.tcpTimestamps != 0 { h.timestamp = (stack.timestampClock &+ tsOffset, tsRecent) }
                if stack.sysctls.tcpWindowScaling != 0 { h.windowScale = rcvWscale }
                h.sackPermitted = stack.sysctls.tcpSack != 0
                h.window = UInt16(truncatingIfNeeded: min(rcvWnd, 65535))
                if fastOpenRequest { h.fastOpenCookie = fastOpenCookie.map(FastOpenCookieBytes.init) ?? FastOpenCookieBytes() }
            } else {
                if timestampOK { h.timestamp = (stack.timestampClock &+ tsOffset, tsRecent) }
                // The blocks live in the rarely used state: without it there are none.
                if sackOK && rare != nil { h.sackBlocks = outgoingSackBlocks() }
                h.window = selectWindow()
            }
            h.tos = tosByte
            h.ipID = ipID
            ipID &+= 1
            if flags.contains(.ack) { eventAckSent() }
            if payloadLength > 0 {
                eventDataSent()
                dataSegsOut &+= 1
                bytesSent &+= UInt64(payloadLength)
            }
            if countAsNew { stack.counters.increment(.tcpOutSegs) }
            segsOut &+= 1
            // The payload goes from the send queue into the packet in one pass
            // that also sums it, in a buffer the link may have handed back. The
            // closure gets the payload's place in the ring, not the socket: it
            // captures no reference to retain.
            // The option length once, for the buffer and the builder.
            let optionLength = min(SegmentBuilder.optionLength(h), SegmentBuilder.maximumOptionLength)
            var bytes = stack.packetBuffer(length: SegmentBuilder.packetLength(
                h, optionLength: optionLength, payloadLength: payloadLength))
            let payload = sendBytes.runs(offset: payloadOffset, length: payloadLength)
            SegmentBuilder.build(&h, optionLength: optionLength, payloadLength: payloadLength,
                                 checksumOffload: stack.addresses.checksumOffload, into: &bytes) { destination, sum in
                if let payload {
                    payload.copy(to: destination, summing: &sum)
                } else {
                    destination.initializeMemory(as: UInt8.self, repeating: 0, count: payloadLength)
                }
            }
            let charge = truesize ?? (payloadLength + sendSkbOverhead)
            if stack.emit(consume bytes, departure: stamp, owner: self, truesize: charge,
                          gsoContinuation: continuesBurst ? payloadLength : nil) { return true }
            // The device queue refused it: local congestion (err > 0 in __tcp_transmit_skb).
            enterCWR()
            return false
        }
    }

    /// The SACK blocks the next segment carries: a D-SACK first, then the receive
    /// side's blocks, as many as the option space allows. Clears the D-SACK.
    func outgoingSackBlocks() -> SackBlockList {
        // Both live in the rarely used state: without it there is nothing to send.
        guard sackOK, let rare, rare.duplicateSack != nil || !rare.selectiveAcks.isEmpty else { return [] }
        let room = timestampOK ? 3 : 4
        var blocks = SackBlockList()
        if let d = rare.duplicateSack { blocks.append(d) }
        for b in rare.selectiveAcks where blocks.count < room { blocks.append(b) }
        rare.duplicateSack = nil
        return blocks
    }

    /// The start of __tcp_transmit_skb: the packet leaves no earlier than the
    /// pacing stamp, and no earlier than now. Returns the stamp before and after.
    func takeDepartureStamp() -> (prior: Int64, stamp: Int64) {
        let prior = departureStampNs
        departureStampNs = max(departureStampNs, stack.now * 1000)
        return (prior, departureStampNs)
    }

    /// tcp_update_skb_after_send: with pacing, the next packet may leave only
    /// when this one's bytes have drained at the pacing rate (less up to half for
    /// time already lost to jitter); fq lets the first ten segments through unpaced.
    func advanceDepartureStamp(length: Int, prior: Int64) {
        guard pacingStatus != .none, pacingRate != .max, pacingRate > 0, dataSegsOut >= 10 else { return }
        var lengthNs = Int64(min(UInt64(length) * 1_000_000_000 / pacingRate, UInt64(Int64.max / 2)))
        let credit = departureStampNs - prior
        lengthNs -= min(lengthNs / 2, credit)
        departureStampNs += lengthNs
    }

    /// tcp_pacing_check: with internal pacing, writing waits for the pacing stamp.
    func pacingHolds() -> Bool {
        guard pacingStatus == .needed, departureStampNs > stack.now * 1000 else { return false }
        if pacingTimer == nil {
            pacingTimer = stack.schedule(at: (departureStampNs + 999) / 1000, .pacing(self))
        }
        return true
    }

    /// tcp_small_queue_check: at most two packets or about a millisecond of data
    /// (twice that for retransmissions) may sit in the device queue.
    func smallQueueFull(truesize: Int, factor: Int) -> Bool {
        guard queuedTruesize > 0 else { return false }
        var limit = max(2 * truesize, Int(min(pacingRate >> 10, UInt64(Int.max >> 2))))
        if pacingStatus == .none { limit = min(limit, stack.sysctls.tcpLimitOutputBytes) }
        limit <<= factor
        // sk_wmem_alloc starts at one.
        guard queuedTruesize + 1 > limit else { return false }
        // An empty or one-skb retransmission queue always sends.
        if sendHead == 0 { return false }
        var single = true
        for i in 1..<max(1, sendHead) where sendQueue[i].skbID != sendQueue[0].skbID {
            single = false
            break
        }
        if single { return false }
        smallQueueThrottled = true
        return true
    }

    /// tcp_tsq_handler / tcp_pace_kick: queued memory was freed or the pacing
    /// time came; write what is waiting.
    func smallQueueHandler() {
        switch state {
        case .established, .finWait1, .closing, .closeWait, .lastAck:
            break
        default:
            return
        }
        if lostOut > retransOut && cwnd > packetsInFlight { xmitRetransmitQueue() }
        if writeXmit(mss: currentMSS, nonagle: nagleMode, pushOne: 0) { checkProbeTimer() }
    }

    /// tcp_event_ack_sent: an ACK went out; leave quick-ACK mode by one, stop the
    /// delayed-ACK timer.
    func eventAckSent() {
        if ackQuick > 0 {
            let pkts: UInt32 = ackScheduled ? 1 : 0
            if pkts >= ackQuick {
                ackQuick = 0
                ackAto = 40_000
            } else {
                ackQuick -= pkts
            }
        }
        // The delayed-ACK timer stays armed, as inet_csk_clear_xmit_timer leaves
        // it: with the pending bits clear its firing does nothing, and the next
        // delayed ACK moves it instead of scheduling a new one.
        ackPending = 0
        lastAckSentSeq = rcvNxt
    }

    /// tcp_event_data_sent.
    func eventDataSent() {
        let now = stack.now
        if packetsInFlight == 0 { congestionTxStart() }
        lastSndTime = now
        if now - ackLrcvtime < ackAto { ackPingpong = min(ackPingpong + 1, 255) }
    }

    /// tcp_current_mss: the MSS less whatever option space differs from the usual
    /// (SACK blocks about to be sent).
    var currentMSS: Int {
        var mss = mssCache
        guard sackOK else { return mss }
        // Both live in the rarely used state; read in place, not copied out.
        guard let rare else { return max(1, mss) }
        let count = min((rare.duplicateSack != nil ? 1 : 0) + rare.selectiveAcks.count, timestampOK ? 3 : 4)
        if count > 0 { mss -= 4 + 8 * count }
        return max(1, mss)
    }

    // MARK: - Receive window

    /// tcp_select_window: the window field, never shrinking what was offered.
    func selectWindow() -> UInt16 {
        if ackPending & AckPendingBits.nomem != 0 {
            rcvWnd = 0
            rcvWup = rcvNxt
            return 0
        }
        let oldWin = rcvWnd
        let curWin = receiveWindow
        var newWin = computeWindow()
        if newWin < curWin {
            if stack.sysctls.tcpShrinkWindow == 0 || rcvWscale == 0 {
                let align = UInt32(1) << UInt32(rcvWscale)
                newWin = (curWin + align - 1) / align * align
            }
        }
        rcvWnd = newWin
        rcvWup = rcvNxt
        if rcvWscale == 0 && stack.sysctls.tcpWorkaroundSignedWindows != 0 {
            newWin = min(newWin, 32767)
        } else {
            newWin = min(newWin, UInt32(65535) << UInt32(rcvWscale))
        }
        newWin >>= UInt32(rcvWscale)
        if newWin == 0 {
            fastPathWindow = nil
            if oldWin != 0 { stack.counters.increment(.tcpExtTCPToZeroWindowAdv) }
        }
        if newWin != 0 && oldWin == 0 { stack.counters.increment(.tcpExtTCPFromZeroWindowAdv) }
        return UInt16(truncatingIfNeeded: newWin)
    }

    /// __tcp_select_window: the window we would like to offer now.
    func computeWindow() -> UInt32 {
        var mss = ackRcvMss
        var freeSpace = space
        let allowedSpace = fullSpace
        let full = min(Int(windowClamp), allowedSpace)
        let scale = Int(rcvWscale)
        if mss > full {
            mss = full
            if mss <= 0 { return 0 }
        }
        if stack.sysctls.tcpShrinkWindow != 0 && scale > 0 {
            freeSpace = (freeSpace >> scale) << scale
            if freeSpace < (full >> 1) {
                ackQuick = 0
                if freeSpace < (allowedSpace >> 4) || freeSpace < mss || freeSpace < (1 << scale) { return 0 }
            }
            if freeSpace > Int(rcvSsthresh) {
                freeSpace = Int(rcvSsthresh)
                freeSpace = ((freeSpace + (1 << scale) - 1) >> scale) << scale
            }
            return UInt32(max(0, freeSpace))
        }
        if freeSpace < (full >> 1) {
            ackQuick = 0
            freeSpace = (freeSpace >> scale) << scale
            if freeSpace < (allowedSpace >> 4) || freeSpace < mss { return 0 }
        }
        if freeSpace > Int(rcvSsthresh) { freeSpace = Int(rcvSsthresh) }
        var window: Int
        if scale > 0 {
            window = ((freeSpace + (1 << scale) - 1) >> scale) << scale
        } else {
            window = Int(rcvWnd)
            if window <= freeSpace - mss || window > freeSpace {
                window = mss > 0 ? freeSpace / mss * mss : freeSpace
            } else if mss == full && freeSpace > window + (full >> 1) {
                window = freeSpace
            }
        }
        return UInt32(max(0, window))
    }

    // MARK: - ACKs and resets

    /// tcp_send_ack.
    func sendAck() {
        guard state != .close else { return }
        transmit(seq: acceptableSeq, flags: [.ack], payloadOffset: 0, payloadLength: 0, countAsNew: true)
    }

    /// tcp_acceptable_seq.
    var acceptableSeq: SequenceNumber {
        let end = windowEnd
        if end >= sndNxt || (wscaleOK && Int(end.distance(to: sndNxt)) < (1 << Int(rcvWscale))) {
            return sndNxt
        }
        return end
    }

    /// tcp_send_delayed_ack: arms the delayed-ACK timer (or ACKs now if it is about
    /// to expire).
    func sendDelayedAck() {
        var ato = ackAto
        if ato > 40_000 {
            var maxAto: Int64 = 500_000
            if isPingPong || ackPending & AckPendingBits.pushed != 0 { maxAto = 200_000 }
            if srttUs > 0 {
                let rtt = max(jiffiesRoundUp(Int64(srttUs >> 3)), 40_000)
                if rtt < maxAto { maxAto = rtt }
            }
            ato = min(ato, maxAto)
        }
        ato = min(ato, delackMax)
        let now = stack.now
        var timeout = now + ato
        if ackPending & AckPendingBits.timer != 0 {
            if ackTimeout <= now + (ato >> 2) {
                sendAck()
                return
            }
            if timeout >= ackTimeout { timeout = ackTimeout }
        }
        ackPending |= AckPendingBits.sched | AckPendingBits.timer
        ackTimeout = timeout
        // Borrowed: the rearm's out-of-line calls would retain the stack.
        withStack { stack in stack.rearm(&delackTimer, at: timeout, .delayedAck(self)) }
    }

    /// tcp_delack_max: 200 ms, but below the minimum RTO.
    var delackMax: Int64 { min(200_000, max(Int64(stack.sysctls.tcpRtoMinUs), 2000) - 1000) }

    /// Arms the delayed-ACK timer for `delay` (inet_csk_reset_xmit_timer ICSK_TIME_DACK).
    func resetDelackTimer(after delay: Int64) {
        ackPending |= AckPendingBits.timer
        withStack { stack in
            ackTimeout = stack.now + delay
            stack.rearm(&delackTimer, at: ackTimeout, .delayedAck(self))
        }
    }

    /// tcp_send_active_reset: RST+ACK at the next sequence number.
    func sendActiveReset() {
        stack.counters.increment(.tcpOutRsts)
        transmit(seq: acceptableSeq, flags: [.rst, .ack], payloadOffset: 0, payloadLength: 0, countAsNew: true)
    }

    // MARK: - The send queue

    /// Bytes of a record's payload relative to the start of `sendBytes`.
    func payloadOffset(of record: SendRecord) -> Int {
        let dataStart = record.flags.contains(.syn) ? record.seq + 1 : record.seq
        return Int(sendDataBase.distance(to: dataStart))
    }

    /// What the kernel would charge against the send buffer for a record.
    func recordTruesize(_ record: SendRecord) -> Int { record.dataLength + record.headerTruesize }

    /// SKB_TRUESIZE of an skb allocated for MAX_TCP_HEADER: what every send skb
    /// costs before its data (`ss -m` shows w1132 after a 300-byte write).
    var sendSkbOverhead: Int { 832 }

    /// sk_wmem_schedule + sk_wmem_queued_add + sk_mem_charge: send memory comes
    /// out of the forward allocation, which grows in whole pages.
    func chargeSend(_ size: Int) {
        if size > forwardAlloc { forwardAlloc += (size - forwardAlloc + 4095) / 4096 * 4096 }
        forwardAlloc -= size
        wmemQueued += size
    }

    /// sk_wmem_queued_add(-size) + sk_mem_uncharge: freed memory returns to the
    /// forward allocation; whole free pages go back (sk_mem_reclaim).
    func unchargeSend(_ size: Int) {
        wmemQueued -= size
        forwardAlloc += size
        if forwardAlloc >= 4096 { forwardAlloc %= 4096 }
    }

    /// sk_stream_memory_free's opposite.
    var sendBufferFull: Bool {
        if wmemQueued >= sendBufferSize { return true }
        return notSentBytes >= effectiveNotsentLowat
    }

    var notSentBytes: Int { max(0, Int(sndNxt.distance(to: writeSeq))) }

    var effectiveNotsentLowat: Int {
        let v = notsentLowat > 0 ? notsentLowat : stack.sysctls.tcpNotsentLowat
        return v <= 0 ? Int.max : v
    }

    /// tcp_xmit_size_goal: how big a new send-queue record may grow.
    func sizeGoal(mss: Int) -> Int {
        var goal = 65536
        if maxWindow > 0 {
            let half = Int(maxWindow >> 1)
            let cutoff = Int(maxWindow) > defaultMSS ? half : Int(maxWindow)
            goal = min(goal, max(cutoff, 68 - 20))
        }
        let segs = max(1, goal / max(1, mss))
        return max(segs * mss, mss)
    }

    /// tcp_sendmsg_locked's copying loop: appends up to `count` bytes (from
    /// `bytes` or zeros) to the send queue, pushing full records out as Linux does.
    /// Returns how many bytes were taken; fewer than `count` means the buffer is full.
    func appendToSendQueue(_ data: UnsafeRawBufferPointer?, count: Int, more: Bool, eor: Bool) -> Int {
        let mss = currentMSS
        let goal = sizeGoal(mss: mss)
        var copied = 0
        while copied < count {
            var tailIndex = sendQueue.count - 1
            var room = 0
            if tailIndex >= sendHead, tailIndex >= 0 {
                let tail = sendQueue[tailIndex]
                if !tail.eor && !tail.flags.contains(.fin) && !tail.flags.contains(.syn) {
                    room = goal - tail.dataLength
                }
            }
            if room <= 0 {
                if sendBufferFull { break }
                var record = SendRecord(seq: writeSeq, endSeq: writeSeq, flags: [])
                record.headerTruesize = sendSkbOverhead
                sendQueue.append(record)
                nonaglePush = false
                slowStartAfterIdleCheck()
                if sendHead == sendQueue.count - 1 { chronoStart(.busy) }
                chargeSend(sendSkbOverhead)
                tailIndex = sendQueue.count - 1
                room = goal
            }
            let chunk = min(room, count - copied)
            if let data {
                sendBytes.append(UnsafeRawBufferPointer(rebasing: data[copied..<(copied + chunk)]))
            } else {
                sendBytes.appendZeros(chunk)
            }
            // The tail grows where it lies: no copy of the record out and back.
            let tailLength = sendQueue[tailIndex].extend(by: chunk, clearingPush: copied == 0)
            chargeSend(chunk)
            writeSeq = writeSeq + chunk
            copied += chunk
            if copied == count {
                if eor { sendQueue[tailIndex].eor = true }
                break
            }
            if tailLength < goal { continue }
            if forcedPush {
                markPush(tailIndex)
                writeXmit(mss: mss, nonagle: .push, pushOne: 0)
            } else if tailIndex == sendHead {
                writeXmit(mss: mss, nonagle: .push, pushOne: 1)
            }
        }
        return copied
    }

    /// forced_push.
    var forcedPush: Bool { writeSeq > pushedSeq + Int(maxWindow >> 1) }

    /// tcp_mark_push.
    func markPush(_ index: Int) {
        sendQueue[index].flags.insert(.psh)
        pushedSeq = writeSeq
    }

    /// tcp_push: marks the tail pushed and sends what Nagle allows.
    func push(more: Bool, nonagle: NagleMode) {
        guard sendQueue.count > sendHead, let lastIndex = Optional(sendQueue.count - 1) else { return }
        if !more || forcedPush { markPush(lastIndex) }
        pushPendingFrames(nonagle: more ? .cork : nonagle)
    }

    /// tcp_push_pending_frames / __tcp_push_pending_frames.
    func pushPendingFrames(nagleOff: Bool = false) {
        pushPendingFrames(nonagle: nagleOff ? .off : nagleMode)
    }

    func pushPendingFrames(nonagle: NagleMode) {
        guard state != .close, sendHead < sendQueue.count else { return }
        if writeXmit(mss: currentMSS, nonagle: nonagle, pushOne: 0) { checkProbeTimer() }
    }

    /// tcp_check_probe_timer.
    func checkProbeTimer() {
        if packetsOut == 0 && pending == .none {
            resetRetransmitTimer(.probe0, after: probe0Base)
        }
    }

    /// tcp_cwnd_test.
    func cwndTest() -> Int {
        let inFlight = packetsInFlight
        if inFlight >= cwnd { return 0 }
        let half = max(cwnd >> 1, 1)
        return Int(min(half, cwnd - inFlight))
    }

    /// tcp_tso_segs / tcp_tso_autosize.
    func tsoSegs(mss: Int) -> Int {
        var bytes: UInt64 = pacingRate == .max ? 65536 : pacingRate >> 10
        let r = minRTT.value >> 9
        if r < 32 { bytes += UInt64(65536 >> r) }
        bytes = min(bytes, 65536)
        return max(Int(bytes) / max(1, mss), stack.sysctls.tcpMinTsoSegs)
    }

    /// tcp_minshall_check.
    var minshallCheck: Bool { sndSml > sndUna && sndSml <= sndNxt }

    /// tcp_nagle_check.
    func nagleCheck(partial: Bool, nonagle: NagleMode) -> Bool {
        partial && (nonagle.contains(.cork) || (nonagle.isEmpty && packetsOut > 0 && minshallCheck))
    }

    /// tcp_nagle_test.
    func nagleTest(_ r: SendRecord, mss: Int, nonagle: NagleMode) -> Bool {
        if nonagle.contains(.push) { return true }
        if r.flags.contains(.fin) { return true }
        return !nagleCheck(partial: r.dataLength < mss, nonagle: nonagle)
    }

    /// tcp_snd_wnd_test.
    func sendWindowTest(_ r: SendRecord, mss: Int) -> Bool {
        var end = r.endSeq
        if r.dataLength > mss { end = r.seq + mss }
        return end <= windowEnd
    }

    /// tcp_mss_split_point.
    func mssSplitPoint(_ index: Int, mss: Int, maxSegs: Int, nonagle: NagleMode) -> Int {
        let r = sendQueue[index]
        let window = Int(r.seq.distance(to: windowEnd))
        let maxLength = mss * maxSegs
        if maxLength <= window && index != sendQueue.count - 1 { return maxLength }
        let needed = min(r.dataLength, window)
        if maxLength <= needed { return maxLength }
        let partial = needed % mss
        if nagleCheck(partial: partial != 0, nonagle: nonagle) { return needed - partial }
        return needed
    }

    /// tcp_grow_skb: pulls bytes from the following unsent records into this one.
    /// A record carrying the FIN is left alone: the live kernel keeps it apart, so
    /// a FIN that does not fit the peer's window waits with its segment.
    func growRecord(_ index: Int, by amount: Int) {
        var remaining = amount
        while remaining > 0 && index + 1 < sendQueue.count {
            var r = sendQueue[index]
            var next = sendQueue[index + 1]
            if r.eor || r.flags.contains(.fin) || next.flags.contains(.fin) { return }
            let take = min(remaining, next.dataLength)
            if take > 0 {
                r.endSeq = r.endSeq + take
                next.seq = next.seq + take
                remaining -= take
            }
            if next.dataLength == 0 {
                // The next record is used up: take its flags (FIN, PSH, EOR) too.
                r.endSeq = next.endSeq
                r.flags.formUnion(next.flags)
                r.eor = next.eor
                unchargeSend(next.headerTruesize)
                sendQueue[index] = r
                sendQueue.remove(at: index + 1)
                continue
            }
            sendQueue[index] = r
            sendQueue[index + 1] = next
            return
        }
    }

    /// tso_fragment: cuts an unsent record after `length` bytes; PSH and FIN stay
    /// with the second part.
    func fragmentUnsent(_ index: Int, length: Int) {
        var first = sendQueue[index]
        guard length < first.dataLength else { return }
        var second = first
        let cut = first.seq + length
        first.endSeq = cut
        first.flags.remove([.fin, .psh])
        first.eor = false
        second.seq = cut
        second.headerTruesize = sendSkbOverhead
        sendQueue[index] = first
        sendQueue.insert(second, at: index + 1)
        chargeSend(sendSkbOverhead)
    }

    /// tcp_tso_should_defer: waits for more data or ACKs before sending a
    /// less-than-full TSO burst, when that is likely to pay off.
    func tsoShouldDefer(_ index: Int, maxSegs: Int, cwndLimited: inout Bool, rwndLimited: inout Bool) -> Bool {
        if caState.rawValue >= CAState.recovery.rawValue { return false }
        if stack.now * 1000 - departureStampNs - 1_000_000 > 0 { return false }
        let r = sendQueue[index]
        let inFlight = packetsInFlight
        let sendWin = Int(r.seq.distance(to: windowEnd))
        let congWin = (Int(cwnd) - Int(inFlight)) * mssCache
        let limit = min(sendWin, congWin)
        if limit >= maxSegs * mssCache { return false }
        if index != sendQueue.count - 1 && limit >= r.dataLength { return false }
        let divisor = stack.sysctls.tcpTsoWinDivisor
        if divisor > 0 {
            let chunk = min(Int(sndWnd), Int(cwnd) * mssCache) / divisor
            if limit >= chunk { return false }
        } else if limit > 3 * mssCache {
            return false
        }
        guard sendHead > 0, let head = sendQueue.first else { return false }
        let srtt = Int64(srttUs >> 3)
        let expectedAck = head.txTime + srtt
        let howFar = expectedAck - stack.now
        let threshold = min(srtt >> 1, 1000)
        if howFar - threshold > 0 { return false }
        if congWin < sendWin {
            if congWin <= r.dataLength {
                cwndLimited = true
                return true
            }
        } else if sendWin <= r.dataLength {
            rwndLimited = true
            return true
        }
        if r.flags.contains(.fin) || r.eor { return false }
        return true
    }

    /// tcp_write_xmit: sends what cwnd, the peer's window and Nagle allow.
    /// `pushOne` 1 sends at most one burst, 2 forces one out (a loss probe).
    /// Returns true when nothing is in flight yet data waits (probe timer needed).
    @discardableResult
    func writeXmit(mss: Int, nonagle: NagleMode, pushOne: Int) -> Bool {
        var sentPackets = 0
        var cwndLimited = false
        var rwndLimited = false
        let maxSegs = tsoSegs(mss: mss)
        while sendHead < sendQueue.count {
            if pushOne == 0 && pacingHolds() { break }
            var quota = cwndTest()
            if quota == 0 {
                if pushOne == 2 { quota = 1 } else { break }
            }
            quota = min(quota, maxSegs)
            let missing = quota * mss - sendQueue[sendHead].dataLength
            if missing > 0 { growRecord(sendHead, by: missing) }
            let record = sendQueue[sendHead]
            let segs = record.dataLength > mss ? (record.dataLength + mss - 1) / mss : 1
            if !sendWindowTest(record, mss: mss) {
                rwndLimited = true
                break
            }
            let isLast = sendHead == sendQueue.count - 1
            if segs == 1 {
                if !nagleTest(record, mss: mss, nonagle: isLast ? nonagle : .push) { break }
            } else if pushOne == 0 && tsoShouldDefer(sendHead, maxSegs: maxSegs, cwndLimited: &cwndLimited, rwndLimited: &rwndLimited) {
                break
            }
            var limit = mss
            if segs > 1 { limit = mssSplitPoint(sendHead, mss: mss, maxSegs: quota, nonagle: nonagle) }
            if record.dataLength > limit { fragmentUnsent(sendHead, length: limit) }
            // The few fields still needed, read from the queue (fragmenting may
            // have changed the head): no second copy of the whole record.
            let sendSeq = sendQueue[sendHead].seq
            let sendEnd = sendQueue[sendHead].endSeq
            let sendLength = sendQueue[sendHead].dataLength
            if sendEnd == sendSeq { break }
            if smallQueueFull(truesize: sendLength + sendQueue[sendHead].headerTruesize, factor: 0) { break }
            let pieces = transmitNew(sendHead, mss: mss)
            if pieces == 0 { break }
            if sendLength < pieces * mss { sndSml = sendEnd }
            sentPackets += pieces
            if pushOne != 0 { break }
        }
        if rwndLimited {
            chronoStart(.rwndLimited)
        } else {
            chronoStop(.rwndLimited)
        }
        if packetsInFlight >= cwnd { cwndLimited = true }
        if sentPackets > 0 || cwndLimited { cwndValidate(cwndLimited) }
        if sentPackets > 0 {
            if inCwndReduction { prrOut &+= UInt32(sentPackets) }
            if pushOne != 2 { _ = scheduleLossProbe(advancingRTO: false) }
            return false
        }
        return packetsOut == 0 && sendHead < sendQueue.count
    }

    /// Sends the unsent record at `index` as one TSO burst of MSS-sized segments,
    /// each becoming its own record in the retransmission queue. Mirrors
    /// tcp_transmit_skb + tcp_event_new_data_sent for a fresh skb. Returns the
    /// number of segments.
    @discardableResult
    func transmitNew(_ index: Int, mss: Int) -> Int {
        let record = sendQueue[index]
        if stack.dropsOutboundPackets {
            // tcp_transmit_skb failed: the record stays at the send head.
            transmit(seq: record.seq, flags: record.flags.union([.ack]), payloadOffset: payloadOffset(of: record),
                     payloadLength: min(record.dataLength, mss), countAsNew: true)
            return 0
        }
        let total = record.dataLength
        let pieces = total > mss ? (total + mss - 1) / mss : 1
        let skbID = nextSkbID
        nextSkbID &+= 1
        // One piece keeps the record's sequence range: only its skb changes,
        // in place below, with its send times (no array of pieces, no removal
        // and insertion).
        if pieces > 1 { splitForTransmit(record, at: index, pieces: pieces, mss: mss, skbID: skbID) }
        let (priorStamp, stamp) = takeDepartureStamp()
        let truesize = total + sendSkbOverhead
        let now = stack.now
        for k in 0..<pieces {
            // Stamped where it lies: no copy of the record out and back.
            markSent(&sendQueue[index + k], skbID: skbID, now: now)
            let piece = sendQueue[index + k]
            var flags = piece.flags.union(piece.flags.contains(.syn) ? [] : [.ack])
            if pieces > 1 && k == pieces - 1 { flags.insert(.psh) }
            transmit(seq: piece.seq, flags: flags, payloadOffset: payloadOffset(of: piece),
                     payloadLength: piece.dataLength, countAsNew: true, departure: stamp,
                     truesize: k == 0 ? truesize : 0, continuesBurst: k > 0)
        }
        advanceDepartureStamp(length: total, prior: priorStamp)
        // tcp_event_new_data_sent
        let priorPackets = packetsOut
        sndNxt = record.endSeq
        sendHead = index + pieces
        packetsOut += UInt32(pieces)
        if highestSackSeq == nil { /* nothing sacked yet */ }
        if priorPackets == 0 || pending == .lossProbe { rearmRTO() }
        stack.counters.increment(.tcpExtTCPOrigDataSent, by: Int64(pieces))
        return pieces
    }

    /// A piece of a new burst leaving now: its skb, send times and rate-sample state.
    @inline(__always)
    private func markSent(_ piece: inout SendRecord, skbID: UInt32, now: Int64) {
        piece.skbID = skbID
        piece.txTime = now
        if piece.firstTxTime == 0 { piece.firstTxTime = now }
        rateSkbSent(&piece)
    }

    /// tcp_fragment for a record longer than the MSS: the record becomes
    /// `pieces` records of one skb, at most `mss` bytes each, in its place.
    private func splitForTransmit(_ record: SendRecord, at index: Int, pieces: Int, mss: Int, skbID: UInt32) {
        let total = record.dataLength
        var seq = record.seq
        var newRecords: [SendRecord] = []
        newRecords.reserveCapacity(pieces)
        for p in 0..<pieces {
            let length = p == pieces - 1 ? total - p * mss : mss
            var piece = record
            piece.seq = seq
            piece.endSeq = seq + length
            if p == pieces - 1 {
                piece.endSeq = record.endSeq
            } else {
                piece.flags.remove([.fin, .psh])
                piece.eor = false
                piece.headerTruesize = 0
            }
            piece.skbID = skbID
            newRecords.append(piece)
            seq = piece.endSeq
        }
        sendQueue.remove(at: index)
        for (k, piece) in newRecords.enumerated() {
            sendQueue.insert(piece, at: index + k)
        }
    }

    /// tcp_cwnd_validate.
    func cwndValidate(_ limited: Bool) {
        if sndUna >= cwndUsageSeq || limited || (!isCwndLimited && packetsOut > maxPacketsOut) {
            isCwndLimited = limited
            maxPacketsOut = packetsOut
            cwndUsageSeq = sndNxt
        }
        if isCwndLimitedForGrowth {
            cwndUsed = 0
            cwndStamp = stack.now
        } else {
            if packetsOut > cwndUsed { cwndUsed = packetsOut }
            if stack.sysctls.tcpSlowStartAfterIdle != 0 && stack.now - cwndStamp >= rto {
                cwndApplicationLimited()
            }
            // Starved by the application hitting its send buffer.
            if sendHead == sendQueue.count && noSpace && (state == .established || state == .closeWait) {
                chronoStart(.sndbufLimited)
            }
        }
    }

    /// tcp_slow_start_after_idle_check: after an idle period longer than the RTO,
    /// restart from the initial window.
    func slowStartAfterIdleCheck() {
        guard stack.sysctls.tcpSlowStartAfterIdle != 0, packetsOut == 0 else { return }
        let delta = stack.now - lastSndTime
        if delta > rto { cwndRestart(idle: delta) }
    }

    /// tcp_cwnd_restart (RFC 2861): halve the window per idle RTO, down to the
    /// restart window.
    func cwndRestart(idle: Int64) {
        let restart = min(UInt32(10), cwnd)
        ssthresh = currentSsthresh
        var delta = idle
        var w = cwnd
        while true {
            delta -= rto
            if delta <= 0 || w <= restart { break }
            w >>= 1
        }
        cwnd = max(w, restart)
        cwndStamp = stack.now
        cwndUsed = 0
    }

    /// tcp_cwnd_application_limited.
    func cwndApplicationLimited() {
        if caState == .open && !noSpace {
            let winUsed = max(cwndUsed, 10)
            if winUsed < cwnd {
                ssthresh = currentSsthresh
                cwnd = (cwnd + winUsed) >> 1
            }
            cwndUsed = 0
        }
        cwndStamp = stack.now
    }

    /// tcp_send_fin: the FIN rides on the last unsent record, or goes alone.
    func sendFin() {
        if sendQueue.count > sendHead, let lastIndex = Optional(sendQueue.count - 1) {
            var tail = sendQueue[lastIndex]
            tail.flags.insert(.fin)
            tail.endSeq = tail.endSeq + 1
            sendQueue[lastIndex] = tail
            writeSeq = writeSeq + 1
        } else {
            var fin = SendRecord(seq: writeSeq, endSeq: writeSeq + 1, flags: [.fin])
            fin.headerTruesize = sendSkbOverhead
            sendQueue.append(fin)
            chargeSend(sendSkbOverhead)
            writeSeq = writeSeq + 1
        }
        finQueued = true
        pushPendingFrames(nonagle: .off)
    }

    // MARK: - Retransmission

    /// tcp_retransmit_skb: resends the record at `index` (and, as one TSO burst, up
    /// to `segs - 1` following lost records of the same original burst).
    @discardableResult
    func retransmitRecord(_ index: Int, segs: Int = 1, counted: Bool = true) -> Bool {
        guard index < sendHead else { return false }
        var first = sendQueue[index]
        if first.seq < sndUna {
            if first.flags.contains(.syn) {
                first.flags.remove(.syn)
                first.seq = first.seq + 1
            }
            if first.endSeq <= sndUna { return false }
            first.seq = sndUna
            sendQueue[index] = first
        }
        let mss = currentMSS
        var availWindow = Int(first.seq.distance(to: windowEnd))
        if availWindow <= 0 {
            if first.seq != sndUna { return false }
            availWindow = mss
        }
        // Group following records of the same burst that are also due.
        var count = 1
        var length = first.dataLength
        while count < segs && index + count < sendHead {
            let next = sendQueue[index + count]
            guard next.skbID == first.skbID, next.sacked.contains(.lost),
                  next.sacked.intersection([.acked, .retrans]).isEmpty,
                  length + next.dataLength <= availWindow else { break }
            length += next.dataLength
            count += 1
        }
        if count == 1 && first.dataLength < min(availWindow, mss) {
            retransTryCollapse(index, space: min(availWindow, mss))
            first = sendQueue[index]
            length = first.dataLength
        }
        let (priorStamp, stamp) = takeDepartureStamp()
        for k in 0..<count {
            var r = sendQueue[index + k]
            var flags = r.flags.union(r.flags.contains(.syn) ? [] : [.ack])
            if count > 1 && k == count - 1 { flags.insert(.psh) }
            r.txTime = stack.now
            rateSkbSent(&r)
            stack.counters.increment(.tcpRetransSegs)
            if r.flags.contains(.syn) { stack.counters.increment(.tcpExtTCPSynRetrans) }
            totalRetrans &+= 1
            bytesRetrans &+= UInt64(r.dataLength)
            let sent = transmit(seq: r.seq, flags: flags, payloadOffset: payloadOffset(of: r),
                                payloadLength: r.dataLength, countAsNew: false, departure: stamp,
                                truesize: k == 0 ? length + sendSkbOverhead : 0)
            r.sacked.insert(.everRetrans)
            if !sent {
                sendQueue[index + k] = r
                return false
            }
            if counted {
                r.sacked.insert(.retrans)
                retransOut += 1
                if retransStamp == 0 { retransStamp = r.txTime }
                if undoRetrans < 0 { undoRetrans = 0 }
                undoRetrans += 1
            }
            sendQueue[index + k] = r
        }
        advanceDepartureStamp(length: length, prior: priorStamp)
        return true
    }

    /// tcp_retrans_try_collapse: a short segment being resent takes the
    /// one-segment skbs sent after it along (their data, PSH and FIN) while
    /// they fit its MSS and the peer's window, so an orphan's unacknowledged
    /// data and FIN go out again as one `FP.` segment.
    func retransTryCollapse(_ index: Int, space: Int) {
        guard stack.sysctls.tcpRetransCollapse != 0 else { return }
        var to = sendQueue[index]
        if to.flags.contains(.syn) || to.sacked.contains(.acked) { return }
        var room = space - to.dataLength
        while !to.eor && index + 1 < sendHead {
            let next = sendQueue[index + 1]
            // tcp_can_collapse: only a one-segment skb that is not SACKed.
            if index + 2 < sendHead && sendQueue[index + 2].skbID == next.skbID { break }
            if next.sacked.contains(.acked) { break }
            room -= next.dataLength
            if room < 0 || next.endSeq > windowEnd { break }
            // tcp_collapse_retrans
            to.endSeq = next.endSeq
            to.flags.formUnion(next.flags)
            if next.sacked.contains(.everRetrans) { to.sacked.insert(.everRetrans) }
            to.eor = next.eor
            // tcp_adjust_pcount for the skb that goes away.
            packetsOut = packetsOut > 0 ? packetsOut - 1 : 0
            if next.sacked.contains(.retrans) { retransOut = retransOut > 0 ? retransOut - 1 : 0 }
            if next.sacked.contains(.lost) { lostOut = lostOut > 0 ? lostOut - 1 : 0 }
            if !sackOK && sackedOut > 0 { sackedOut -= 1 }
            unchargeSend(next.headerTruesize)
            sendQueue[index] = to
            sendQueue.remove(at: index + 1)
            sendHead -= 1
        }
    }

    /// tcp_xmit_retransmit_queue: resends records marked lost while cwnd allows.
    func xmitRetransmitQueue() {
        guard packetsOut > 0 else { return }
        let maxSegs = tsoSegs(mss: currentMSS)
        var rearm = false
        var i = 0
        while i < sendHead {
            var segs = Int(cwnd) - Int(packetsInFlight)
            if segs <= 0 { break }
            segs = min(segs, maxSegs)
            let sacked = sendQueue[i].sacked
            if retransOut >= lostOut { break }
            if !sacked.contains(.lost) {
                i += 1
                continue
            }
            if sacked.contains(.acked) || sacked.contains(.retrans) {
                i += 1
                continue
            }
            if smallQueueFull(truesize: recordTruesize(sendQueue[i]), factor: 1) { break }
            let before = retransOut
            if caState != .loss { stack.reason = .fastRetransmit }
            if !retransmitRecord(i, segs: segs) { break }
            let sent = Int(retransOut - before)
            stack.counters.increment(caState != .loss ? .tcpExtTCPFastRetrans : .tcpExtTCPSlowStartRetrans, by: Int64(sent))
            if inCwndReduction { prrOut &+= UInt32(sent) }
            if i == 0 && pending != .reorder { rearm = true }
            i += max(1, sent)
        }
        if rearm { resetRetransmitTimer(.retrans, after: rto) }
    }

    /// tcp_schedule_loss_probe: arms the tail-loss-probe timer when RACK-TLP applies.
    func scheduleLossProbe(advancingRTO: Bool) -> Bool {
        let early = stack.sysctls.tcpEarlyRetrans
        if (early != 3 && early != 4) || packetsOut == 0 || !sackOK || (caState != .open && caState != .cwr) {
            return false
        }
        var timeout: Int64
        if srttUs > 0 {
            var us = Int64(srttUs >> 2)
            us += packetsOut == 1 ? Int64(stack.sysctls.tcpRtoMinUs) : 2000
            timeout = jiffiesRoundUp(us)
        } else {
            timeout = initialRTO
        }
        let rtoDeltaUs = advancingRTO ? rto : rtoDelta
        if rtoDeltaUs > 0 { timeout = min(timeout, jiffiesRoundUp(rtoDeltaUs)) }
        resetRetransmitTimer(.lossProbe, after: timeout)
        return true
    }

    /// tcp_send_loss_probe: new data if any may go, else the last segment again.
    func sendLossProbe() {
        let mss = currentMSS
        if tlpHighSeqSet {
            rearmRTO()
            return
        }
        tlpRetrans = false
        if sendHead < sendQueue.count && sendWindowTest(sendQueue[sendHead], mss: mss) {
            let before = packetsOut
            writeXmit(mss: mss, nonagle: .off, pushOne: 2)
            if packetsOut > before {
                tlpHighSeq = sndNxt
                tlpHighSeqSet = true
                stack.counters.increment(.tcpExtTCPLossProbes)
                pending = .none
            }
            rearmRTO()
            return
        }
        guard sendHead > 0 else {
            pending = .none
            return
        }
        if !retransmitRecord(sendHead - 1, segs: 1, counted: false) {
            rearmRTO()
            return
        }
        tlpRetrans = true
        tlpHighSeq = sndNxt
        tlpHighSeqSet = true
        stack.counters.increment(.tcpExtTCPLossProbes)
        pending = .none
        rearmRTO()
    }

    /// tcp_write_wakeup: sends a window probe or keepalive. Returns 0 when sent.
    @discardableResult
    func writeWakeup(counter: Counter) -> Int {
        if state == .close { return -1 }
        if sendHead < sendQueue.count && sendQueue[sendHead].seq < windowEnd {
            let mss = currentMSS
            var record = sendQueue[sendHead]
            var segSize = Int(record.seq.distance(to: windowEnd))
            if pushedSeq < record.endSeq { pushedSeq = record.endSeq }
            if segSize < record.length || record.dataLength > mss {
                segSize = min(segSize, mss)
                record.flags.insert(.psh)
                sendQueue[sendHead] = record
                if segSize < record.dataLength { fragmentUnsent(sendHead, length: segSize) }
            }
            record = sendQueue[sendHead]
            record.flags.insert(.psh)
            sendQueue[sendHead] = record
            return transmitNew(sendHead, mss: max(mss, record.dataLength)) > 0 ? 0 : 1
        }
        if sndUp > sndUna && sndUp <= sndUna + 0xFFFF { xmitProbe(urgent: true, counter: counter) }
        return xmitProbe(urgent: false, counter: counter) ? 0 : 1
    }

    /// tcp_xmit_probe_skb: a bare ACK with an old sequence number, to draw an ACK.
    @discardableResult
    func xmitProbe(urgent: Bool, counter: Counter) -> Bool {
        stack.counters.increment(counter)
        return transmit(seq: urgent ? sndUna : sndUna - 1, flags: [.ack], payloadOffset: 0, payloadLength: 0,
                        countAsNew: true)
    }

    /// tcp_send_probe0: the zero-window probe timer fired.
    func sendProbe0() {
        let err = writeWakeup(counter: .tcpExtTCPWinProbe)
        if packetsOut > 0 || sendHead >= sendQueue.count {
            probesOut = 0
            backoff = 0
            probesTstamp = 0
            return
        }
        probesOut += 1
        var timeout: Int64
        if err <= 0 {
            if backoff < stack.sysctls.tcpRetries2 { backoff += 1 }
            timeout = probe0When()
        } else {
            timeout = 500_000
        }
        timeout = clampProbe0ToUserTimeout(timeout)
        resetRetransmitTimer(.probe0, after: timeout)
    }

    /// tcp_probe0_base.
    var probe0Base: Int64 { max(rto, Int64(stack.sysctls.tcpRtoMinUs)) }

    /// tcp_probe0_when.
    func probe0When() -> Int64 { min(probe0Base << Int64(min(backoff, 30)), maximumRTO) }

    /// tcp_clamp_probe0_to_user_timeout.
    func clampProbe0ToUserTimeout(_ when: Int64) -> Int64 {
        guard userTimeout > 0, probesTstamp != 0 else { return when }
        let elapsed = max(0, stack.now - probesTstamp)
        let remaining = max(userTimeout - elapsed, 2000)
        return min(remaining, when)
    }

    /// tcp_sndbuf_expand.
    func sndbufExpand() {
        // MAX_TCP_HEADER is 256 on x86-64 (the 832-byte skb overhead follows from it).
        var perMSS = max(mssClamp, mssCache) + 256 + 320
        var p = 1
        while p < perMSS { p <<= 1 }
        perMSS = p + 256
        var segs = max(10, Int(cwnd))
        segs = max(segs, Int(reordering) + 1)
        let sndmem = 2 * segs * perMSS
        if sendBufferSize < sndmem {
            let wmem2 = stack.sysctls.tcpWmem.max
            sendBufferSize = min(sndmem, wmem2)
        }
    }

    /// tcp_write_queue_purge: drops everything not yet acknowledged.
    func writeQueuePurge() {
        chronoStop(.busy)
        sendQueue.removeAll()
        sendHead = 0
        sendBytes.removeAll()
        sendDataBase = sndUna
        unchargeSend(wmemQueued)
        packetsOut = 0
        sackedOut = 0
        lostOut = 0
        retransOut = 0
    }

    // MARK: - Chronographs (tcp_chrono_*): busy, rwnd-limited and sndbuf-limited time

    /// tcp_chrono_set.
    func chronoSet(_ new: Chrono) {
        let now = stack.now / 1000
        if chronoType != .unspecified { chronoStats[Int(chronoType.rawValue) - 1] += now - chronoStartTime }
        chronoStartTime = now
        chronoType = new
    }

    /// tcp_chrono_start: a more interesting condition takes over.
    func chronoStart(_ type: Chrono) {
        if type.rawValue > chronoType.rawValue { chronoSet(type) }
    }

    /// tcp_chrono_stop.
    func chronoStop(_ type: Chrono) {
        if sendQueue.isEmpty {
            chronoSet(.unspecified)
        } else if type == chronoType {
            chronoSet(.busy)
        }
    }

    /// The three chronographs in microseconds (tcp_get_info_chrono_stats).
    var chronoMicroseconds: (busy: Int64, rwnd: Int64, sndbuf: Int64) {
        var stats = chronoStats
        if chronoType != .unspecified { stats[Int(chronoType.rawValue) - 1] += stack.now / 1000 - chronoStartTime }
        let busy = stats[0] * 1000, rwnd = stats[1] * 1000, sndbuf = stats[2] * 1000
        return (busy + rwnd + sndbuf, rwnd, sndbuf)
    }

    // MARK: - Delivery-rate sampling (tcp_rate.c), kept for tcp_info

    /// tcp_rate_skb_sent: the delivery state a segment carries when it goes out.
    func rateSkbSent(_ r: inout SendRecord) {
        if packetsOut == 0 {
            firstTxTime = stack.now
            deliveredTime = stack.now
        }
        r.txDelivered = delivered
        r.txDeliveredTime = deliveredTime
        r.txFirstTime = firstTxTime
        r.txAppLimited = appLimited != 0
    }

    /// tcp_rate_skb_delivered: a segment was (S)ACKed; the most recently sent one
    /// of this ACK starts the sample. A SACKed segment is marked so that its
    /// cumulative ACK later does not count it again.
    func rateSkbDelivered(_ r: inout SendRecord, _ rs: inout RateSample) {
        guard r.txDeliveredTime != 0 else { return }
        let sentAfter = r.txTime > firstTxTime || (r.txTime == firstTxTime && r.endSeq > rs.lastEndSeq)
        if !rs.hasPrior || sentAfter {
            rs.hasPrior = true
            rs.priorDelivered = r.txDelivered
            rs.priorTime = r.txDeliveredTime
            rs.isAppLimited = r.txAppLimited
            rs.lastEndSeq = r.endSeq
            firstTxTime = r.txTime
            rs.intervalUs = r.txTime - r.txFirstTime
        }
        if r.sacked.contains(.acked) { r.txDeliveredTime = 0 }
    }

    /// tcp_rate_gen: closes the sample at the end of an ACK and keeps it when it is
    /// not application-limited or shows more bandwidth than the one kept.
    func rateGen(delivered newlyDelivered: UInt32, isSackReneg: Bool, _ rs: inout RateSample) {
        if appLimited != 0 && Int32(bitPattern: delivered &- appLimited) > 0 { appLimited = 0 }
        if newlyDelivered > 0 { deliveredTime = stack.now }
        guard rs.hasPrior, rs.priorTime != 0, !isSackReneg else {
            rs.delivered = -1
            rs.intervalUs = -1
            return
        }
        rs.delivered = Int64(Int32(bitPattern: delivered &- rs.priorDelivered))
        let sendPhase = rs.intervalUs
        let ackPhase = stack.now - rs.priorTime
        rs.intervalUs = max(sendPhase, ackPhase)
        if rs.intervalUs < Int64(minRTT.value) {
            rs.intervalUs = -1
            return
        }
        if !rs.isAppLimited || rs.delivered * rateIntervalUs >= Int64(rateDelivered) * rs.intervalUs {
            rateDelivered = UInt32(truncatingIfNeeded: rs.delivered)
            rateIntervalUs = rs.intervalUs
            rateAppLimited = rs.isAppLimited
        }
    }

    /// tcp_rate_check_app_limited, at each send call: less than a segment left
    /// to send, room in the window, no loss waiting for retransmission, so the
    /// samples to come measure the application, not the network.
    func rateCheckAppLimited() {
        if Int(sndNxt.distance(to: writeSeq)) < mssCache && packetsInFlight < cwnd && lostOut <= retransOut {
            let value = delivered &+ packetsInFlight
            appLimited = value != 0 ? value : 1
        }
    }

    /// tcp_compute_delivery_rate: bytes per second of the kept sample.
    var deliveryRate: UInt64 {
        guard rateDelivered > 0, rateIntervalUs > 0 else { return 0 }
        return UInt64(rateDelivered) * UInt64(max(0, mssCache)) * 1_000_000 / UInt64(rateIntervalUs)
    }
}

/// struct rate_sample: one ACK's delivery-rate measurement.
struct RateSample {
    // Widest fields first: no padding holes, so the per-ACK zero setup is a
    // few wide stores.
    var priorTime: Int64 = 0
    var delivered: Int64 = 0
    var intervalUs: Int64 = 0
    var priorDelivered: UInt32 = 0
    var lastEndSeq = SequenceNumber(0)
    /// Whether a delivered segment has set the prior fields.
    var hasPrior = false
    var isAppLimited = false
}
