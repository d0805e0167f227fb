import LingerWire

/// Closing: close(), shutdown(), disconnect and orphans (tcp.c: __tcp_close,
/// tcp_close_state, tcp_shutdown, tcp_disconnect; af_inet.c: inet_shutdown;
/// inet_connection_sock.c: inet_csk_listen_stop).
extension TCPSocket {
    /// The new_state table of tcp_close_state: where close() takes each state
    /// and whether a FIN goes out.
    static func closeTransition(_ s: TCPState) -> (next: TCPState, sendFin: Bool) {
        switch s {
        case .established: return (.finWait1, true)
        case .synSent: return (.close, false)
        case .synReceived: return (.finWait1, true)
        case .finWait1: return (.finWait1, false)
        case .finWait2: return (.finWait2, false)
        case .timeWait: return (.close, false)
        case .close: return (.close, false)
        case .closeWait: return (.lastAck, true)
        case .lastAck: return (.lastAck, false)
        case .listen: return (.close, false)
        case .closing: return (.closing, false)
        case .newSynReceived: return (.close, false)
        }
    }

    /// tcp_close_state.
    func closeState() -> Bool {
        let t = Self.closeTransition(state)
        setState(t.next)
        return t.sendFin
    }

    /// __tcp_close up to sk_stream_wait_close: drops unread data, resets or sends
    /// the FIN. Returns whether close() must wait for the FIN (linger > 0).
    /// `lingerTimeout` is the SO_LINGER time in force (0 when none or exiting).
    func closeBegin(lingerTimeout: Int64) -> Bool {
        // The stack borrowed for the call (see withStack).
        withStack { stack in
            shutdownMask = .both
            if state == .listen {
                stack.reason = .closeListener
                setState(.close)
                listenStop()
                return false
            }
            var dataWasUnread = false
            let unreadEnd = finReceived ? rcvNxt - 1 : rcvNxt
            if unreadEnd > copiedSeq { dataWasUnread = true }
            receiveBytes.removeAll()
            receiveRecords.removeAll()
            forwardAlloc = (forwardAlloc + rmemAlloc) % 4096
            rmemAlloc = 0
            // copied_seq stays: what was never read still counts in ss's Recv-Q.
            if state == .close { return false }
            stack.reason = dataWasUnread ? .closeUnreadData(bytes: Int(copiedSeq.distance(to: unreadEnd))) : lingerOn && lingerSeconds == 0 ? .closeLingerZero : .closeSendsFin
            if dataWasUnread {
                stack.counters.increment(.tcpExtTCPAbortOnClose)
                setState(.close)
                sendActiveReset()
            } else if lingerOn && lingerSeconds == 0 {
                disconnect()
                stack.counters.increment(.tcpExtTCPAbortOnData)
            } else if closeState() {
                sendFin()
            }
            return lingerTimeout > 0 && (state == .finWait1 || state == .closing || state == .lastAck)
        }
    }

    /// The "adjudge to death" half of __tcp_close: the socket becomes an orphan and
    /// lives on under the stack's care, or is destroyed.
    func closeFinish() {
        // The stack borrowed for the call (see withStack).
        withStack { stack in
            isOrphan = true
            hasFile = false
            stack.orphanAdded()
            if state == .finWait2 {
                if linger2 < 0 {
                    stack.reason = .linger2Negative
                    setState(.close)
                    sendActiveReset()
                    stack.counters.increment(.tcpExtTCPAbortOnLinger)
                } else {
                    let tmo = finTime
                    if tmo > timeWaitLength {
                        resetKeepaliveTimer(tmo - timeWaitLength)
                    } else {
                        stack.enterTimeWait(self, substate: .finWait2, timeout: tmo)
                        return
                    }
                }
            }
            if state != .close && stack.tooManyOrphans(shift: 0) {  // tcp_check_oom
                stack.reason = .tooManyOrphans
                setState(.close)
                sendActiveReset()
                stack.counters.increment(.tcpExtTCPAbortOnMemory)
            }
            if state == .close { destroy() }
        }
    }

    /// inet_csk_destroy_sock: forget everything; the object stays only while
    /// something still refers to it.
    func destroy() {
        guard !isDestroyed else { return }
        isDestroyed = true
        clearTimers()
        withStack { stack in
            stack.unhashEstablished(self)
            stack.removeBound(self)
            if state == .listen { stack.removeListener(self) }
        }
        writeQueuePurge()
        receiveBytes.removeAll()
        receiveRecords.removeAll()
        // Only a socket with rare state can have an out-of-order queue.
        if let rare { rare.outOfOrder.removeAll() }
        withStack { stack in
            stack.keepSpareStorage(of: self)
            if isOrphan { stack.orphanRemoved() }
        }
    }

    /// tcp_shutdown: SHUT_WR sends the FIN where the state allows.
    func shutdownSend() {
        if state == .established || state == .synSent || state == .closeWait {
            if stack.reason == .none { stack.reason = .shutdownSendsFin }
            if closeState() { sendFin() }
        }
    }

    /// inet_shutdown. Returns 0 or a positive errno.
    func shutdown(how: Int32) -> Int32 {
        let mask = how &+ 1
        if mask & ~3 != 0 || mask == 0 { return EINVAL }
        var err: Int32 = 0
        switch state {
        case .listen, .synSent:
            // SHUT_WR leaves a listener alone; anything else disconnects, and the
            // socket may connect() or listen() again (SS_UNCONNECTED).
            if state == .listen && mask & 1 == 0 { break }
            err = disconnect()
            connectState = err != 0 ? .disconnecting : .unconnected
        default:
            if state == .close { err = ENOTCONN }
            shutdownMask.formUnion(ShutdownMask(rawValue: UInt8(truncatingIfNeeded: mask)))
            if mask & 2 != 0 { shutdownSend() }
        }
        wakeWaiters()
        return err
    }

    /// tcp_disconnect: abort the connection, with a reset where the state needs one.
    @discardableResult
    func disconnect() -> Int32 {
        let old = state
        if old != .close { setState(.close) }
        if old == .listen {
            listenStop()
        } else if Self.needsReset(old) {
            sendActiveReset()
            error = ECONNRESET
        } else if sndNxt != writeSeq && (old == .closing || old == .lastAck) {
            sendActiveReset()
            error = ECONNRESET
        } else if old == .synSent {
            error = ECONNRESET
        }
        clearTimers()
        receiveBytes.removeAll()
        receiveRecords.removeAll()
        forwardAlloc = (forwardAlloc + rmemAlloc) % 4096
        rmemAlloc = 0
        copiedSeq = rcvNxt
        writeQueuePurge()
        outOfOrder.removeAll()
        remotePort = 0
        shutdownMask = []
        sockDone = false
        finReceived = false
        srttUs = 0
        mdevUs = UInt32(initialRTO)
        var seq = writeSeq + Int(maxWindow) + 2
        if seq.rawValue == 0 { seq = SequenceNumber(1) }
        writeSeq = seq
        backoff = 0
        probesOut = 0
        probesTstamp = 0
        rto = initialRTO
        ssthresh = 0x7fff_ffff
        cwnd = 10
        cwndCount = 0
        isCwndLimited = false
        maxPacketsOut = 0
        windowClamp = 0
        delivered = 0
        // A bubble in the pipe until at least the first ACK.
        appLimited = .max
        rateAppLimited = true
        caState = .open
        isSackReneg = false
        totalRetrans = 0
        ackPending = 0
        ackQuick = 0
        ackPingpong = 0
        ackAto = 0
        ackRcvMss = 88
        timestampOK = false
        sackOK = false
        wscaleOK = false
        tsRecent = 0
        tsRecentStamp = 0
        selectiveAcks.removeAll()
        duplicateSack = nil
        tlpHighSeqSet = false
        rack = RACKState()
        wakeWaiters()
        return 0
    }

    /// tcp_need_reset.
    static func needsReset(_ s: TCPState) -> Bool {
        s == .established || s == .closeWait || s == .finWait1 || s == .finWait2 || s == .synReceived
    }

    /// inet_csk_listen_stop: every child not yet accepted is disconnected (a reset
    /// when it is established) and destroyed; pending requests are dropped.
    func listenStop() {
        for child in acceptQueue {
            stack.reason = .closeListener
            child.inAcceptQueue = false
            // inet_child_forget: orphaned (and counted) on its way to destruction.
            child.disconnect()
            child.isOrphan = true
            stack.orphanAdded()
            child.destroy()
        }
        acceptQueue.removeAll()
        for (_, req) in synQueue {
            if let h = req.timer { stack.timers.drop(h) }
        }
        synQueue.removeAll()
        stack.removeListener(self)
    }
}
