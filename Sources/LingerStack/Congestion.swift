/// The congestion-control algorithms a socket can use (tcp_cong.c).
enum CongestionAlgorithm: String {
    case cubic
    case reno

    /// The algorithm named by `tcp_congestion_control` or TCP_CONGESTION.
    init?(named name: String) {
        // The usual case, a bare name, without splitting a string per socket.
        if let algorithm = CongestionAlgorithm(rawValue: name) {
            self = algorithm
            return
        }
        let trimmed = name.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\0" }).first.map(String.init) ?? ""
        self.init(rawValue: trimmed)
    }
}

/// CUBIC's per-connection state (struct bictcp). Widest fields first: every
/// connection carries it, so it should have no padding.
struct CubicState {
    var lastTime: Int64 = 0
    var epochStart: Int64 = 0
    var roundStart: Int64 = 0
    var lastAck: Int64 = 0
    var cnt: UInt32 = 0
    var lastMaxCwnd: UInt32 = 0
    var lastCwnd: UInt32 = 0
    var originPoint: UInt32 = 0
    var k: UInt32 = 0
    var delayMin: UInt32 = 0
    var ackCount: UInt32 = 0
    var tcpCwnd: UInt32 = 0
    var endSeq = SequenceNumber(0)
    var currentRTT: UInt32 = .max
    var epochStartSet = false
    var sampleCount: UInt8 = 0
    var found = false
}

import LingerWire

/// CUBIC (tcp_cubic.c) and Reno (tcp_cong.c), called through the same hooks as
/// struct tcp_congestion_ops.
extension TCPSocket {
    private static let beta: UInt32 = 717
    private static let bicScale: UInt32 = 41
    private static var betaScale: UInt32 { 8 * (1024 + beta) / 3 / (1024 - beta) }
    private static var cubeRTTScale: UInt64 { UInt64(bicScale) * 10 }
    private static var cubeFactor: UInt64 { (UInt64(1) << 40) / (UInt64(bicScale) * 10) }

    /// tcp_init_congestion_control.
    func congestionInit() {
        if congestionAlgorithm == .cubic { cubicReset(hystart: true) }
    }

    /// bictcp_reset + bictcp_hystart_reset.
    func cubicReset(hystart: Bool) {
        let delayMin = cubic.delayMin
        cubic = CubicState()
        cubic.delayMin = 0
        _ = delayMin
        if hystart {
            cubic.roundStart = stack.now
            cubic.lastAck = stack.now
            cubic.endSeq = sndNxt
            cubic.currentRTT = .max
            cubic.sampleCount = 0
        }
    }

    /// ssthresh(): the slow-start threshold after a loss.
    func congestionSsthresh() -> UInt32 {
        switch congestionAlgorithm {
        case .reno:
            return max(cwnd >> 1, 2)
        case .cubic:
            cubic.epochStartSet = false
            if cwnd < cubic.lastMaxCwnd {
                cubic.lastMaxCwnd = (cwnd * (1024 + Self.beta)) / (2 * 1024)
            } else {
                cubic.lastMaxCwnd = cwnd
            }
            return max((cwnd * Self.beta) / 1024, 2)
        }
    }

    /// undo_cwnd(): tcp_reno_undo_cwnd for both.
    func congestionUndoCwnd() -> UInt32 { max(cwnd, priorCwnd) }

    /// CA_EVENT_LOSS.
    func congestionEventLoss() {}

    /// CA_EVENT_TX_START: CUBIC shifts its epoch over an idle period.
    func congestionTxStart() {
        guard congestionAlgorithm == .cubic, cubic.epochStartSet else { return }
        let delta = stack.now - lastSndTime
        if delta > 0 {
            cubic.epochStart += delta
            if cubic.epochStart > stack.now { cubic.epochStart = stack.now }
        }
    }

    /// pkts_acked(): CUBIC's delay sampling for HyStart.
    func congestionPacketsAcked(_ acked: UInt32, rtt: Int64) {
        guard congestionAlgorithm == .cubic, rtt >= 0 else { return }
        if cubic.epochStartSet && stack.now - cubic.epochStart < 1_000_000 { return }
        let delay = UInt32(clamping: max(rtt, 1))
        if cubic.delayMin == 0 || cubic.delayMin > delay { cubic.delayMin = delay }
        if !cubic.found && inSlowStart { hystartUpdate(delay) }
    }

    private func hystartUpdate(_ delay: UInt32) {
        if sndUna > cubic.endSeq { cubicReset(hystartOnly: true) }
        if cwnd < 16 { return }
        let now = stack.now
        if now - cubic.lastAck <= 2000 {
            cubic.lastAck = now
            var threshold = Int64(cubic.delayMin) + hystartAckDelay
            threshold >>= 1
            if now - cubic.roundStart > threshold {
                cubic.found = true
                stack.counters.increment(.tcpExtTCPHystartTrainDetect)
                stack.counters.increment(.tcpExtTCPHystartTrainCwnd, by: Int64(cwnd))
                ssthresh = cwnd
            }
        }
        if cubic.currentRTT > delay { cubic.currentRTT = delay }
        if cubic.sampleCount < 8 {
            cubic.sampleCount += 1
        } else {
            let thresh = min(max(cubic.delayMin >> 3, 4000), 16000)
            if cubic.currentRTT > cubic.delayMin + thresh {
                cubic.found = true
                stack.counters.increment(.tcpExtTCPHystartDelayDetect)
                stack.counters.increment(.tcpExtTCPHystartDelayCwnd, by: Int64(cwnd))
                ssthresh = cwnd
            }
        }
    }

    private func cubicReset(hystartOnly: Bool) {
        cubic.roundStart = stack.now
        cubic.lastAck = stack.now
        cubic.endSeq = sndNxt
        cubic.currentRTT = .max
        cubic.sampleCount = 0
    }

    private var hystartAckDelay: Int64 {
        guard pacingRate > 0, pacingRate != .max else { return 0 }
        return Int64(min(UInt64(1000), UInt64(65536) * 4 * 1_000_000 / pacingRate))
    }

    var inSlowStart: Bool { cwnd < ssthresh }

    /// tcp_is_cwnd_limited.
    var isCwndLimitedForGrowth: Bool {
        if isCwndLimited { return true }
        if inSlowStart { return cwnd < 2 * maxPacketsOut }
        return false
    }

    /// tcp_cong_control without a cong_control hook: PRR in reduction, else
    /// cong_avoid when allowed; then the pacing rate.
    func congestionControl(ack: SequenceNumber, ackedSacked: UInt32, flag: AckFlags) {
        if inCwndReduction {
            cwndReduction(newlyAckedSacked: Int(ackedSacked), newlyLost: 0, flag: flag)
        } else if mayRaiseCwnd(flag) {
            congestionAvoid(acked: ackedSacked)
            cwndStamp = stack.now
        }
        updatePacingRate()
    }

    /// tcp_may_raise_cwnd.
    func mayRaiseCwnd(_ flag: AckFlags) -> Bool {
        if reordering > UInt32(stack.sysctls.tcpReordering) { return !flag.intersection(.forwardProgress).isEmpty }
        return flag.contains(.dataAcked)
    }

    /// cong_avoid(): slow start, then CUBIC or Reno growth.
    func congestionAvoid(acked ackedIn: UInt32) {
        guard isCwndLimitedForGrowth else { return }
        var acked = ackedIn
        if inSlowStart {
            acked = slowStart(acked)
            if acked == 0 { return }
        }
        switch congestionAlgorithm {
        case .reno:
            congestionAvoidAI(w: cwnd, acked: acked)
        case .cubic:
            cubicUpdate(acked: acked)
            congestionAvoidAI(w: cubic.cnt, acked: acked)
        }
    }

    /// tcp_slow_start.
    func slowStart(_ acked: UInt32) -> UInt32 {
        let newCwnd = min(cwnd &+ acked, ssthresh)
        let rest = acked &- (newCwnd &- cwnd)
        cwnd = min(newCwnd, cwndClamp)
        return rest
    }

    /// tcp_cong_avoid_ai.
    func congestionAvoidAI(w wIn: UInt32, acked: UInt32) {
        let w = max(wIn, 1)
        if cwndCount >= w {
            cwndCount = 0
            cwnd += 1
        }
        cwndCount += acked
        if cwndCount >= w {
            let delta = cwndCount / w
            cwndCount -= delta * w
            cwnd += delta
        }
        cwnd = min(cwnd, cwndClamp)
    }

    /// bictcp_update: the CUBIC window target.
    private func cubicUpdate(acked: UInt32) {
        let jiffies = stack.now / 1000
        cubic.ackCount &+= acked
        if cubic.lastCwnd == cwnd && jiffies - cubic.lastTime / 1000 <= 31 { return }
        if !(cubic.epochStartSet && jiffies == cubic.lastTime / 1000) {
            cubic.lastCwnd = cwnd
            cubic.lastTime = stack.now
            if !cubic.epochStartSet {
                cubic.epochStartSet = true
                cubic.epochStart = stack.now
                cubic.ackCount = acked
                cubic.tcpCwnd = cwnd
                if cubic.lastMaxCwnd <= cwnd {
                    cubic.k = 0
                    cubic.originPoint = cwnd
                } else {
                    cubic.k = cubicRoot(Self.cubeFactor &* UInt64(cubic.lastMaxCwnd - cwnd))
                    cubic.originPoint = cubic.lastMaxCwnd
                }
            }
            var t = UInt64(max(0, jiffies - cubic.epochStart / 1000))
            t += UInt64((cubic.delayMin + 999) / 1000)
            t <<= 10
            t /= 1000
            let offs: UInt64 = t < UInt64(cubic.k) ? UInt64(cubic.k) - t : t - UInt64(cubic.k)
            let delta = UInt32(truncatingIfNeeded: (Self.cubeRTTScale &* offs &* offs &* offs) >> 40)
            let target: UInt32 = t < UInt64(cubic.k) ? cubic.originPoint &- delta : cubic.originPoint &+ delta
            if target > cwnd {
                cubic.cnt = cwnd / (target - cwnd)
            } else {
                cubic.cnt = 100 * cwnd
            }
            if cubic.lastMaxCwnd == 0 && cubic.cnt > 20 { cubic.cnt = 20 }
        }
        // TCP friendliness.
        let scale = Self.betaScale
        let delta = (cwnd * scale) >> 3
        if delta > 0 {
            while cubic.ackCount > delta {
                cubic.ackCount -= delta
                cubic.tcpCwnd += 1
            }
        }
        if cubic.tcpCwnd > cwnd {
            let d = cubic.tcpCwnd - cwnd
            let maxCnt = cwnd / d
            if cubic.cnt > maxCnt { cubic.cnt = maxCnt }
        }
        cubic.cnt = max(cubic.cnt, 2)
    }

    /// cubic_root: an integer cube root, as tcp_cubic.c computes it.
    private func cubicRoot(_ a: UInt64) -> UInt32 {
        let v: [UInt32] = [
            0, 54, 54, 54, 118, 118, 118, 118, 123, 129, 134, 138, 143, 147, 151, 156,
            157, 161, 164, 168, 170, 173, 176, 179, 181, 185, 187, 190, 192, 194, 197, 199,
            200, 202, 204, 206, 209, 211, 213, 215, 217, 219, 221, 222, 224, 225, 227, 229,
            231, 232, 234, 236, 237, 239, 240, 242, 244, 245, 246, 248, 250, 251, 252, 254,
        ]
        let bits = a == 0 ? 0 : 64 - a.leadingZeroBitCount
        if bits < 7 { return (v[Int(a)] + 35) >> 6 }
        let b = UInt32(((bits * 84) >> 8) - 1)
        let shift = Int(a >> UInt64(b * 3))
        guard shift < v.count else { return 0 }
        var x = ((v[shift] + 10) << b) >> 6
        guard x > 1 else { return x }
        x = 2 * x + UInt32(truncatingIfNeeded: a / (UInt64(x) * UInt64(x - 1)))
        x = (x * 341) >> 10
        return x
    }

    /// tcp_update_pacing_rate: sk_pacing_rate, 200 % of cwnd*mss/srtt in slow start,
    /// 120 % after.
    func updatePacingRate() {
        var rate = UInt64(mssCache) * ((1_000_000 / 100) << 3)
        if cwnd < ssthresh / 2 {
            rate *= UInt64(stack.sysctls.tcpPacingSsRatio)
        } else {
            rate *= UInt64(stack.sysctls.tcpPacingCaRatio)
        }
        rate *= UInt64(max(cwnd, packetsOut))
        if srttUs > 0 { rate /= UInt64(srttUs) }
        pacingRate = min(rate, maxPacingRate)
    }
}
