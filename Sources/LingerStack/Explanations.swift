public import LingerRun
import LingerWire

/// Why the stack is about to send a segment or change a socket's state: set by
/// the code that decides, read by ``NetworkStack``'s explanation log when
/// `linger run --trace` asks for one. Setting it costs a store; nothing is
/// formatted unless the log is on.
enum StackReason: Equatable {
    /// No site said: the log derives a reason from the segment's flags or the
    /// state change.
    case none
    /// tcp_close: the receive queue held bytes the application never read.
    case closeUnreadData(bytes: Int)
    /// tcp_close with SO_LINGER {1, 0}: tcp_disconnect.
    case closeLingerZero
    /// tcp_close: tcp_close_state's table, a FIN where it says so.
    case closeSendsFin
    /// tcp_close on a listener: inet_csk_listen_stop resets what was not accepted.
    case closeListener
    /// shutdown(SHUT_WR): tcp_shutdown -> tcp_close_state.
    case shutdownSendsFin
    /// The orphaned FIN_WAIT2 socket's time (tcp_fin_timeout or TCP_LINGER2) is up.
    case finWait2Timeout
    /// TCP_LINGER2 < 0: no FIN_WAIT2 time at all.
    case linger2Negative
    /// tcp_out_of_resources / tcp_close: more orphans than tcp_max_orphans.
    case tooManyOrphans
    /// tcp_write_timeout: the retries (tcp_retries2 or tcp_orphan_retries) ran out.
    case retriesExhausted
    /// tcp_retransmit_timer: the retransmission timeout fired.
    case retransmissionTimeout
    /// tcp_send_loss_probe: the tail loss probe timer fired.
    case tailLossProbe
    /// tcp_xmit_retransmit_queue from recovery: fast retransmit.
    case fastRetransmit
    /// tcp_keepalive_timer: a probe after tcp_keepalive_time of silence.
    case keepaliveProbe
    /// tcp_keepalive_timer: tcp_keepalive_probes unanswered.
    case keepaliveDeath
    /// tcp_probe_timer: zero-window probe.
    case zeroWindowProbe
    /// tcp_delack_timer_handler: the delayed-ACK timer fired.
    case delayedAck
    /// __tcp_ack_snd_check: an ACK now (quick-ACK mode, more than one full
    /// segment unacknowledged, or out-of-order data).
    case quickAck
    /// tcp_send_dupack: a duplicate or out-of-window segment is acknowledged.
    case duplicateAck
    /// tcp_send_challenge_ack (RFC 5961).
    case challengeAck
    /// tcp_rcv_state_process: data after the receive side was shut -> RST.
    case dataAfterShutdown
    /// A segment for no socket: tcp_v4_send_reset.
    case noSocket
    /// tcp_timewait_state_process answers with an ACK.
    case timeWaitAck
    /// tcp_timewait_state_process: TCP_TW_RST.
    case timeWaitReset
    /// tcp_rcv_state_process / tcp_reset: the peer's RST.
    case resetReceived
    /// tcp_time_wait: the socket becomes a time-wait entry.
    case timeWait(seconds: Int64)
    /// tcp_write_xmit: a window update after the application read.
    case windowUpdate
}

/// The log `--trace` reads: what the stack sent and which states changed, each
/// with its reason and the counters its step moved.
final class ExplanationLog {
    var records: [Explanation] = []
    /// Counter values at the last point counters were handed out.
    var counted: Counters
    /// Where the current step's records start.
    var stepStart = 0
    /// A socket whose place a time-wait entry just took: its own move to CLOSE
    /// that follows is not news.
    var replacedByTimeWait: ObjectIdentifier?

    init(counters: Counters) { counted = counters }

    /// The counters every packet moves: left out of the explanations.
    static let everyPacket: Set<Counter> = [
        .ipInReceives, .ipInDelivers, .ipOutRequests, .ipOutTransmits, .tcpInSegs, .tcpOutSegs,
        .ipExtInOctets, .ipExtOutOctets, .ipExtInNoECTPkts, .tcpCurrEstab,
        .ip6InReceives, .ip6InDelivers, .ip6OutRequests, .ip6InOctets, .ip6OutOctets, .ip6InNoECTPkts, .ip6OutTransmits,
    ]
}

extension NetworkStack {
    /// Turns the explanation log on or off (`--trace`).
    var isExplaining: Bool {
        get { explanationLog != nil }
        set {
            explanationLog = newValue ? ExplanationLog(counters: counters) : nil
            reason = .none
        }
    }

    /// The records kept since the last call.
    func takeExplanations() -> [Explanation] {
        guard let log = explanationLog else { return [] }
        endExplanationStep()
        let records = log.records
        log.records.removeAll()
        log.stepStart = 0
        return records
    }

    /// The counters changed since the last hand-out, without the per-packet ones.
    private func countersMoved(_ log: ExplanationLog) -> [CounterValue] {
        var moved: [CounterValue] = []
        for (counter, value) in counters.allValues where !ExplanationLog.everyPacket.contains(counter) {
            let delta = value &- log.counted[counter]
            if delta != 0 && counter.isShownByNstat { moved.append(CounterValue(name: counter.nstatName, value: delta)) }
        }
        log.counted = counters
        return moved
    }

    /// A packet is leaving: record it with the reason in force (used up) and the
    /// counters moved since the last record that took counters.
    func explainSent(_ bytes: [UInt8]) {
        guard let log = explanationLog else { return }
        let text = Self.sentReasonText(reason, bytes: bytes)
        reason = .none
        log.records.append(Explanation(time: now, event: .sent(bytes: bytes), reason: text, counters: countersMoved(log)))
    }

    /// A socket changes state: record it with the reason in force (kept for the
    /// segment the same decision sends).
    func explainStateChange(_ sk: TCPSocket, from old: TCPState, to new: TCPState, newName: String? = nil) {
        guard let log = explanationLog else { return }
        if new == .close, log.replacedByTimeWait == ObjectIdentifier(sk) {
            log.replacedByTimeWait = nil
            return
        }
        log.records.append(Explanation(
            time: now, event: .stateChange(connection: Self.connectionName(sk), from: old.kernelName, to: newName ?? new.kernelName),
            reason: Self.stateReasonText(reason, from: old, to: new)))
    }

    /// A marker: a packet came in, or a call returned (the trace orders the
    /// script's events among the stack's by them).
    func explainMarker(_ event: Explanation.Event) {
        guard let log = explanationLog else { return }
        log.records.append(Explanation(time: now, event: event, reason: ""))
        log.stepStart = log.records.count
    }

    /// A socket's place is taken by a time-wait entry (tcp_time_wait).
    func explainTimeWait(_ sk: TCPSocket, substate: TCPState, length: Int64) {
        guard explanationLog != nil else { return }
        let saved = reason
        if reason == .none { reason = .timeWait(seconds: length / 1_000_000) }
        explainStateChange(sk, from: sk.state, to: substate == .finWait2 ? .finWait2 : .timeWait,
                           newName: substate == .finWait2 ? "FIN_WAIT2 (time-wait entry)" : "TIME_WAIT")
        explanationLog?.replacedByTimeWait = ObjectIdentifier(sk)
        reason = saved
    }

    /// A time-wait entry's timer ran out (tw_timer_handler -> inet_twsk_kill).
    func explainTimeWaitEnd(_ tuple: FourTuple, finWait2: Bool) {
        guard let log = explanationLog else { return }
        let why = finWait2
            ? "the orphaned FIN_WAIT2's time (tcp_fin_timeout or TCP_LINGER2) is up -> tw_timer_handler -> inet_twsk_kill; the peer's next segment meets no socket"
            : "TIME_WAIT is over (TCP_TIMEWAIT_LEN) -> tw_timer_handler -> inet_twsk_kill: the 4-tuple is free again"
        log.records.append(Explanation(
            time: now, event: .stateChange(connection: "\(tuple.local) > \(tuple.remote)",
                                           from: finWait2 ? "FIN_WAIT2 (time-wait entry)" : "TIME_WAIT", to: "CLOSE"),
            reason: why))
    }

    /// The end of one step of the stack (a packet in, a timer, a system call):
    /// counters moved after the step's last packet go to its last record, and
    /// the reason is forgotten. The check for a log is inlined: every step
    /// ends here, and only explained runs keep one.
    @inline(__always)
    func endExplanationStep() {
        if let log = explanationLog { endExplanationStep(log) }
    }

    private func endExplanationStep(_ log: ExplanationLog) {
        reason = .none
        if log.records.count > log.stepStart {
            let moved = countersMoved(log)
            if !moved.isEmpty { log.records[log.records.count - 1].counters += moved }
        } else {
            // Nothing to explain (a pure ACK in, a quiet timer): its counters are
            // not attributed to a later step.
            log.counted = counters
        }
        log.stepStart = log.records.count
    }

    static func connectionName(_ sk: TCPSocket) -> String {
        let local = sk.localAddress.map { "\($0).\(sk.localPort)" } ?? "*.\(sk.localPort)"
        guard let remote = sk.remoteAddress, sk.remotePort != 0 else { return local }
        return "\(local) > \(remote).\(sk.remotePort)"
    }

    /// The words for a segment the stack sends.
    static func sentReasonText(_ reason: StackReason, bytes: [UInt8]) -> String {
        let (flags, payload) = segmentShape(bytes)
        let kind: String
        if flags.contains(.rst) { kind = "RST" }
        else if flags.contains(.syn) { kind = flags.contains(.ack) ? "SYN-ACK" : "SYN" }
        else if flags.contains(.fin) { kind = payload > 0 ? "data+FIN" : "FIN" }
        else if payload > 0 { kind = "data" }
        else { kind = "ACK" }
        let why: String
        switch reason {
        case .none:
            switch kind {
            case "RST": why = "tcp_send_active_reset aborts the connection (RFC 9293 3.10.7.1)"
            case "SYN": why = "connect() -> tcp_connect opens the connection (RFC 9293 3.5)"
            case "SYN-ACK": why = "a SYN on a listener -> tcp_conn_request answers with tcp_make_synack (RFC 9293 3.5)"
            case "FIN", "data+FIN": why = "tcp_send_fin: the application closed its sending side (RFC 9293 3.6)"
            case "data": why = "tcp_write_xmit sends queued data within cwnd and the peer's window"
            default: why = "tcp_send_ack acknowledges what arrived (RFC 9293 3.10.7.4)"
            }
        default:
            why = phrase(reason)
        }
        return "\(kind): \(why)"
    }

    /// The words for a state change.
    static func stateReasonText(_ reason: StackReason, from old: TCPState, to new: TCPState) -> String {
        if reason != .none { return phrase(reason) }
        switch (old, new) {
        case (_, .synSent): return "connect() -> tcp_v4_connect sends the SYN (RFC 9293 3.5)"
        case (_, .listen): return "listen() -> inet_csk_listen_start"
        case (.synSent, .established): return "SYN-ACK received -> tcp_rcv_synsent_state_process (RFC 9293 3.5)"
        case (.synReceived, .established), (.newSynReceived, .established):
            return "the handshake's final ACK -> tcp_rcv_state_process (RFC 9293 3.5)"
        case (_, .synReceived): return "SYN received -> tcp_conn_request (RFC 9293 3.5)"
        case (.established, .closeWait): return "FIN received -> tcp_fin: the peer closed its side (RFC 9293 3.10.7.4)"
        case (.finWait1, .finWait2): return "our FIN was acknowledged -> tcp_rcv_state_process (RFC 9293 3.10.7.4)"
        case (.finWait1, .closing): return "FIN received before the ACK of ours: simultaneous close -> tcp_fin (RFC 9293 3.6)"
        case (.lastAck, .close): return "our FIN was acknowledged in LAST_ACK -> tcp_rcv_state_process -> tcp_done (RFC 9293 3.6)"
        case (_, .close): return "tcp_done: the connection is gone"
        default: return "tcp_set_state"
        }
    }

    static func phrase(_ reason: StackReason) -> String {
        switch reason {
        case .none: return "tcp_set_state"
        case .closeUnreadData(let n):
            return "close() with \(n) unread bytes -> tcp_close sends an active reset (RFC 2525 2.17)"
        case .closeLingerZero:
            return "close() with SO_LINGER {1, 0} -> tcp_close calls tcp_disconnect, which resets (RFC 9293 3.10.4 ABORT)"
        case .closeSendsFin:
            return "close() -> tcp_close -> tcp_close_state sends a FIN (RFC 9293 3.10.4 CLOSE)"
        case .closeListener:
            return "close() of a listener -> inet_csk_listen_stop resets each connection not yet accepted"
        case .shutdownSendsFin:
            return "shutdown(SHUT_WR) -> tcp_shutdown -> tcp_close_state sends a FIN (RFC 9293 3.10.4)"
        case .finWait2Timeout:
            return "orphaned FIN_WAIT2 for tcp_fin_timeout (or TCP_LINGER2) -> tcp_keepalive_timer ends it"
        case .linger2Negative:
            return "TCP_LINGER2 < 0: no FIN_WAIT2 time -> tcp_close / tcp_rcv_state_process reset at once"
        case .tooManyOrphans:
            return "more orphans than tcp_max_orphans -> tcp_out_of_resources resets"
        case .retriesExhausted:
            return "retransmissions ran out (tcp_retries2, or tcp_orphan_retries for an orphan) -> tcp_write_timeout -> tcp_write_err (RFC 9293 3.8.3 R2)"
        case .retransmissionTimeout:
            return "retransmission timeout -> tcp_retransmit_timer resends the first unacknowledged segment, RTO doubles (RFC 6298 5.4-5.6)"
        case .tailLossProbe:
            return "tail loss probe -> tcp_send_loss_probe (RFC 8985 7)"
        case .fastRetransmit:
            return "loss detected by duplicate ACKs/SACK -> tcp_xmit_retransmit_queue: fast retransmit (RFC 5681 3.2, RFC 8985)"
        case .keepaliveProbe:
            return "tcp_keepalive_time of silence -> tcp_keepalive_timer sends a probe (RFC 1122 4.2.3.6)"
        case .keepaliveDeath:
            return "tcp_keepalive_probes unanswered -> tcp_keepalive_timer resets and gives up with ETIMEDOUT (RFC 1122 4.2.3.6)"
        case .zeroWindowProbe:
            return "the peer's window is zero -> tcp_probe_timer sends a zero-window probe (RFC 9293 3.8.6.1)"
        case .delayedAck:
            return "the delayed-ACK timer fired -> tcp_delack_timer_handler (RFC 1122 4.2.3.2)"
        case .quickAck:
            return "__tcp_ack_snd_check acknowledges at once (quick-ACK mode, two full segments, or out-of-order data; RFC 1122 4.2.3.2, RFC 5681 4.2)"
        case .duplicateAck:
            return "a duplicate or out-of-window segment -> tcp_send_dupack (RFC 9293 3.10.7.4)"
        case .challengeAck:
            return "a suspicious RST/SYN/ACK -> tcp_send_challenge_ack (RFC 5961 3-5)"
        case .dataAfterShutdown:
            return "data after the application closed or shut its receive side -> tcp_rcv_state_process resets; TCPAbortOnData (RFC 9293 3.10.7.4, RFC 2525 2.17)"
        case .noSocket:
            return "a segment for no socket -> tcp_v4_send_reset (RFC 9293 3.10.7.1)"
        case .timeWaitAck:
            return "a segment for a TIME_WAIT entry -> tcp_timewait_state_process re-ACKs (RFC 9293 3.10.7.4)"
        case .timeWaitReset:
            return "a segment the TIME_WAIT/FIN_WAIT2 entry must refuse -> tcp_timewait_state_process TCP_TW_RST"
        case .resetReceived:
            return "RST received -> tcp_reset: the connection is aborted (RFC 9293 3.10.7.4)"
        case .timeWait(let seconds):
            return "tcp_time_wait: a time-wait entry holds the connection for \(seconds) s (TIME_WAIT: TCP_TIMEWAIT_LEN, RFC 9293 3.6 2*MSL; FIN_WAIT2: what is left of tcp_fin_timeout)"
        case .windowUpdate:
            return "the application read: tcp_cleanup_rbuf announces the larger window (RFC 9293 3.8.6.2.2)"
        }
    }

    /// The TCP flags and payload length of an outbound IP packet.
    static func segmentShape(_ bytes: [UInt8]) -> (TCPFlags, Int) {
        guard let first = bytes.first else { return ([], 0) }
        let ipHeader: Int
        let total: Int
        if first >> 4 == 6 {
            guard bytes.count >= 40 else { return ([], 0) }
            ipHeader = 40
            total = 40 + Int(bytes[4]) << 8 + Int(bytes[5])
        } else {
            ipHeader = Int(first & 0x0F) * 4
            guard bytes.count >= 4 else { return ([], 0) }
            total = Int(bytes[2]) << 8 + Int(bytes[3])
        }
        guard bytes.count >= ipHeader + 14 else { return ([], 0) }
        let dataOffset = Int(bytes[ipHeader + 12] >> 4) * 4
        let flags = TCPFlags(rawValue: UInt16(bytes[ipHeader + 12] & 1) << 8 | UInt16(bytes[ipHeader + 13]))
        return (flags, max(0, min(total, bytes.count) - ipHeader - dataOffset))
    }
}

extension TCPState {
    /// The kernel's name without `TCP_` (include/net/tcp_states.h).
    var kernelName: String {
        switch self {
        case .established: "ESTABLISHED"
        case .synSent: "SYN_SENT"
        case .synReceived: "SYN_RECV"
        case .finWait1: "FIN_WAIT1"
        case .finWait2: "FIN_WAIT2"
        case .timeWait: "TIME_WAIT"
        case .close: "CLOSE"
        case .closeWait: "CLOSE_WAIT"
        case .lastAck: "LAST_ACK"
        case .listen: "LISTEN"
        case .closing: "CLOSING"
        case .newSynReceived: "NEW_SYN_RECV"
        }
    }
}

extension SimBackend: ExplanationSource {
    /// Whether the stack keeps its explanation log.
    public var isExplaining: Bool {
        get { stack.isExplaining }
        set { stack.isExplaining = newValue }
    }

    /// What the stack explained since the last call.
    public func takeExplanations() -> [Explanation] { stack.takeExplanations() }
}
