import LingerWire

/// The per-connection timers (tcp_timer.c): retransmission with its loss-probe,
/// reordering and zero-window-probe uses, delayed ACK, and keepalive (which
/// also times orphaned FIN_WAIT2).
extension TCPSocket {
    // MARK: - Arming

    /// Runs `body` with the stack borrowed, not retained. Calling a method on
    /// the unowned(unsafe) `stack` makes a strong copy first (a retain and a
    /// release around each call); the stack outlives its sockets (see
    /// `stack`), so a borrowed reference is safe for the call.
    @inline(__always)
    func withStack<Result>(_ body: (NetworkStack) -> Result) -> Result {
        Unmanaged.passUnretained(stack)._withUnsafeGuaranteedRef(body)
    }

    /// inet_csk_reset_xmit_timer for the retransmission timer's uses.
    func resetRetransmitTimer(_ what: PendingTimer, after delay: Int64) {
        let when = min(max(delay, 0), maximumRTO)
        pending = what
        withStack { stack in
            timeoutAt = stack.now + when
            stack.rearm(&retransmitTimer, at: timeoutAt, .retransmit(self))
        }
    }

    /// inet_csk_clear_xmit_timer(ICSK_TIME_RETRANS): as in Linux (which
    /// builds without INET_CSK_CLEAR_TIMERS), only the pending event is
    /// cleared; the timer stays armed, the next resetRetransmitTimer moves it
    /// (mod_timer), and if it fires first, writeTimerFired finds nothing
    /// pending and does nothing. An ACK that empties the flight and the next
    /// send thus move one timer instead of cancelling and scheduling one.
    /// clearTimers (tcp_clear_xmit_timers) still disarms it when the
    /// connection ends.
    func clearRetransmitTimer() {
        pending = .none
    }

    /// tcp_clear_xmit_timers: only armed timers are cancelled, through one
    /// reference to the stack.
    func clearTimers() {
        pending = .none
        ackPending = 0
        guard retransmitTimer != nil || delackTimer != nil || keepaliveTimer != nil || pacingTimer != nil else { return }
        withStack { stack in
            stack.cancel(&retransmitTimer)
            stack.cancel(&delackTimer)
            stack.cancel(&keepaliveTimer)
            stack.cancel(&pacingTimer)
        }
    }

    /// inet_csk_reset_keepalive_timer.
    func resetKeepaliveTimer(_ delay: Int64) {
        withStack { stack in
            stack.rearm(&keepaliveTimer, at: stack.now + max(0, delay), .keepalive(self))
        }
    }

    func deleteKeepaliveTimer() { stack.cancel(&keepaliveTimer) }

    /// keepalive_time_when.
    var keepaliveTimeWhen: Int64 {
        keepaliveTime > 0 ? keepaliveTime : Int64(stack.sysctls.tcpKeepaliveTime) * 1_000_000
    }

    /// keepalive_intvl_when.
    var keepaliveIntervalWhen: Int64 {
        keepaliveInterval > 0 ? keepaliveInterval : Int64(stack.sysctls.tcpKeepaliveIntvl) * 1_000_000
    }

    /// keepalive_probes.
    var keepaliveProbeCount: Int {
        keepaliveProbes > 0 ? keepaliveProbes : stack.sysctls.tcpKeepaliveProbes
    }

    /// tcp_fin_time: linger2 or tcp_fin_timeout, at least 3.5 RTO.
    var finTime: Int64 {
        var tmo = linger2 > 0 ? linger2 : Int64(stack.sysctls.tcpFinTimeout) * 1_000_000
        let rtoBound = (rto << 2) - (rto >> 1)
        if tmo < rtoBound { tmo = rtoBound }
        return tmo
    }

    // MARK: - Retransmission timer

    /// tcp_write_timer_handler.
    func writeTimerFired() {
        if state == .close || state == .listen || pending == .none { return }
        let event = pending
        switch event {
        case .reorder:
            rackReorderTimeout()
        case .lossProbe:
            stack.reason = .tailLossProbe
            sendLossProbe()
        case .retrans:
            pending = .none
            retransmitTimerFired()
        case .probe0:
            pending = .none
            probeTimerFired()
        case .none:
            break
        }
        stack.runWakeups()
    }

    /// tcp_retransmit_timer.
    func retransmitTimerFired() {
        if packetsOut == 0 || sendHead == 0 { return }
        if sndWnd == 0 && !isOrphan && state != .synSent && state != .synReceived {
            let stamp = retransStamp != 0 ? retransStamp : sendQueue[0].txTime
            let rtxDelta = stack.now - stamp
            if rtxProbe0TimedOut(rtxDelta) {
                writeError()
                return
            }
            enterLoss()
            retransmitRecord(0)
            backoffAndRearm()
            return
        }
        stack.counters.increment(.tcpExtTCPTimeouts)
        stack.reason = .retransmissionTimeout
        if writeTimeout() { return }
        if retransmits == 0 {
            var counter: Counter?
            if caState == .recovery {
                counter = sackOK ? .tcpExtTCPSackRecoveryFail : .tcpExtTCPRenoRecoveryFail
            } else if caState == .loss {
                counter = .tcpExtTCPLossFailures
            } else if caState == .disorder || sackedOut > 0 {
                counter = sackOK ? .tcpExtTCPSackFailures : .tcpExtTCPRenoFailures
            }
            if let counter { stack.counters.increment(counter) }
        }
        enterLoss()
        // tcp_update_rto_stats
        if retransmits == 0 {
            totalRTORecoveries &+= 1
            rtoStamp = stack.now
        }
        retransmits += 1
        totalRTO &+= 1
        if !retransmitRecord(0) && stack.dropsOutboundPackets {
            // Local congestion: try again soon (TCP_RESOURCE_PROBE_INTERVAL).
            resetRetransmitTimer(.retrans, after: 500_000)
            return
        }
        backoffAndRearm()
    }

    private func backoffAndRearm() {
        let syn = state == .synSent
        if state == .established && (thinLinearTimeouts || stack.sysctls.tcpThinLinearTimeouts != 0)
            && packetsOut < 4 && retransmits <= 6 {
            backoff = 0
            let base = jiffiesRoundUp(Int64(srttUs >> 3) + Int64(rttvarUs))
            rto = min(max(base, Int64(stack.sysctls.tcpRtoMinUs)), maximumRTO)
        } else if !syn || Int(totalRTO) > synLinearTimeouts {
            backoff += 1
            rto = min(rto << 1, maximumRTO)
        }
        resetRetransmitTimer(.retrans, after: clampRTOToUserTimeout())
    }

    /// tcp_syn_linear_timeouts (4 on current kernels).
    var synLinearTimeouts: Int { stack.sysctls.tcpSynLinearTimeouts }

    /// tcp_clamp_rto_to_user_timeout.
    func clampRTOToUserTimeout() -> Int64 {
        guard userTimeout > 0 else { return rto }
        let elapsed = (stack.now - retransStamp) / 1000 * 1000
        let remaining = userTimeout - elapsed
        if remaining <= 0 { return 1000 }
        return min(rto, remaining)
    }

    /// tcp_rtx_probe0_timed_out.
    func rtxProbe0TimedOut(_ rtxDelta: Int64) -> Bool {
        var timeout = maximumRTO * 2
        if userTimeout > 0 {
            if rtxDelta > userTimeout { return true }
            timeout = min(timeout, userTimeout)
        }
        let rcvDelta = timeoutAt - lastAckRecvTime
        if rcvDelta <= timeout { return false }
        return rtxDelta > timeout
    }

    /// tcp_model_timeout: what `boundary` doublings from `base` add up to.
    func modelTimeout(boundary: Int, base: Int64) -> Int64 {
        var threshold = 0
        var v = maximumRTO / base
        while v > 1 {
            v >>= 1
            threshold += 1
        }
        if boundary <= threshold {
            return ((2 << Int64(boundary)) - 1) * base
        }
        return ((2 << Int64(threshold)) - 1) * base + Int64(boundary - threshold) * maximumRTO
    }

    /// retransmits_timed_out: has the retry budget (as time) run out?
    func retransmitsTimedOut(boundary: Int, timeout custom: Int64) -> Bool {
        if retransmits == 0 { return false }
        var timeout = custom
        if timeout == 0 {
            var base = Int64(stack.sysctls.tcpRtoMinUs)
            if state == .synSent || state == .synReceived { base = initialRTO }
            timeout = modelTimeout(boundary: boundary, base: base)
        }
        let nowMs = (stack.clockBase + stack.now) / 1000
        let startMs = (stack.clockBase + retransStamp) / 1000
        return nowMs - startMs - timeout / 1000 >= 0
    }

    /// tcp_orphan_retries.
    func orphanRetries(alive: Bool) -> Int {
        var retries = stack.sysctls.tcpOrphanRetries
        if softError != 0 && !alive { retries = 0 }
        if retries == 0 && alive { retries = 8 }
        return retries
    }

    /// tcp_write_timeout: true when the connection was given up.
    func writeTimeout() -> Bool {
        var expired = false
        var retryUntil: Int
        if state == .synSent || state == .synReceived {
            retryUntil = synRetriesOption > 0 ? synRetriesOption : stack.sysctls.tcpSynRetries
            var maxRetransmits = retryUntil
            if state == .synSent { maxRetransmits += synLinearTimeouts }
            expired = retransmits >= maxRetransmits
        } else {
            retryUntil = stack.sysctls.tcpRetries2
            if isOrphan {
                let alive = rto < maximumRTO
                retryUntil = orphanRetries(alive: alive)
                let doReset = alive || !retransmitsTimedOut(boundary: retryUntil, timeout: 0)
                if outOfResources(doReset: doReset) { return true }
            }
        }
        if !expired { expired = retransmitsTimedOut(boundary: retryUntil, timeout: userTimeout) }
        if expired {
            stack.reason = .retriesExhausted
            writeError()
            return true
        }
        // sk_rethink_txhash: a new flow label/path after each timeout (net.core.txrehash).
        stack.counters.increment(.tcpExtTcpTimeoutRehash)
        return false
    }

    /// tcp_write_err: give up with sk_err_soft or ETIMEDOUT.
    func writeError() {
        doneWithError(softError != 0 ? softError : ETIMEDOUT)
        stack.counters.increment(.tcpExtTCPAbortOnTimeout)
    }

    /// tcp_out_of_resources: too many orphans -> reset and close. An orphan
    /// that has sent nothing for 2 x TCP_RTO_MAX, or is past its retries, or
    /// had an ICMP error, counts double (or fourfold) against tcp_max_orphans.
    func outOfResources(doReset: Bool) -> Bool {
        var shift = 0
        if stack.now - lastSndTime > 2 * maximumRTO || !doReset { shift += 1 }
        if softError != 0 { shift += 1 }
        if checkOOM(shift: shift) {
            var reset = doReset
            if stack.now - lastSndTime <= timeWaitLength || (sndWnd == 0 && packetsOut == 0) { reset = true }
            stack.reason = .tooManyOrphans
            if reset { sendActiveReset() }
            done()
            stack.counters.increment(.tcpExtTCPAbortOnMemory)
            return true
        }
        return false
    }

    /// tcp_check_oom: too many orphans (memory pressure, the tcp_mem half, is
    /// not modelled).
    func checkOOM(shift: Int) -> Bool { stack.tooManyOrphans(shift: shift) }

    /// tcp_probe_timer: the zero-window probe timer.
    func probeTimerFired() {
        if packetsOut > 0 || sendHead >= sendQueue.count {
            probesOut = 0
            probesTstamp = 0
            return
        }
        if probesTstamp == 0 {
            probesTstamp = stack.now
        } else if userTimeout > 0 && stack.now - probesTstamp >= userTimeout {
            writeError()
            return
        }
        var maxProbes = stack.sysctls.tcpRetries2
        if isOrphan {
            let alive = min(rto << Int64(min(backoff, 30)), maximumRTO) < maximumRTO
            maxProbes = orphanRetries(alive: alive)
            if !alive && backoff >= maxProbes {
                writeError()
                return
            }
            if outOfResources(doReset: true) { return }
        }
        if probesOut >= maxProbes {
            writeError()
        } else {
            stack.reason = .zeroWindowProbe
            sendProbe0()
        }
    }

    // MARK: - Delayed ACK

    /// tcp_delack_timer_handler.
    func delayedAckTimerFired() {
        if state == .close || state == .listen { return }
        if ackPending & AckPendingBits.timer == 0 { return }
        if ackTimeout > stack.now {
            delackTimer = stack.schedule(at: ackTimeout, .delayedAck(self))
            return
        }
        ackPending &= ~AckPendingBits.timer
        if ackScheduled {
            if !isPingPong {
                ackAto = min(ackAto << 1, rto, 200_000)
            } else {
                ackPingpong = 0
                ackAto = 40_000
            }
            stack.reason = .delayedAck
            sendAck()
            stack.counters.increment(.tcpExtDelayedACKs)
        }
        stack.runWakeups()
    }

    // MARK: - Keepalive (and orphaned FIN_WAIT2)

    /// tcp_keepalive_timer.
    func keepaliveTimerFired() {
        defer { stack.runWakeups() }
        if state == .listen { return }
        if state == .finWait2 && isOrphan {
            stack.reason = .finWait2Timeout
            if linger2 >= 0 {
                let tmo = finTime - timeWaitLength
                if tmo > 0 {
                    stack.enterTimeWait(self, substate: .finWait2, timeout: tmo)
                    return
                }
            }
            sendActiveReset()
            done()
            return
        }
        if !keepaliveEnabled || state == .close || state == .synSent { return }
        var elapsed = keepaliveTimeWhen
        if packetsOut > 0 || sendHead < sendQueue.count {
            resetKeepaliveTimer(elapsed)
            return
        }
        elapsed = min(stack.now - ackLrcvtime, stack.now - lastAckRecvTime)
        if elapsed >= keepaliveTimeWhen {
            if (userTimeout != 0 && elapsed >= userTimeout && probesOut > 0)
                || (userTimeout == 0 && probesOut >= keepaliveProbeCount) {
                stack.reason = .keepaliveDeath
                sendActiveReset()
                writeError()
                return
            }
            stack.reason = .keepaliveProbe
            if writeWakeup(counter: .tcpExtTCPKeepAlive) <= 0 {
                probesOut += 1
                elapsed = keepaliveIntervalWhen
            } else {
                elapsed = 500_000
            }
        } else {
            elapsed = keepaliveTimeWhen - elapsed
        }
        resetKeepaliveTimer(elapsed)
    }
}
