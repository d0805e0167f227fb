/// Why the system under test did something: a segment it sent or a state change
/// of one of its sockets, with the rule behind it and the counters it moved.
///
/// Only Linger's own stack can say why; the live kernel does not tell its reasons.
public struct Explanation: Sendable, Hashable {
    /// What happened.
    public enum Event: Sendable, Hashable {
        /// The stack sent this IP packet.
        case sent(bytes: [UInt8])
        /// A socket changed state (Linux's names: `ESTABLISHED`, `FIN_WAIT1`, ...).
        /// `connection` names it as tcpdump names an address pair
        /// (`192.168.0.1.8080 > 192.0.2.1.40000`).
        case stateChange(connection: String, from: String, to: String)
        /// The stack took in this IP packet (a marker for ordering: no reason).
        case received(bytes: [UInt8])
        /// A system call of the script returned (a marker for ordering: no reason).
        case callReturned
    }

    /// When, in microseconds on the backend's clock.
    public var time: Int64
    /// What happened.
    public var event: Event
    /// The rule, in plain words naming the kernel function and RFC where they
    /// exist, e.g. `close() with 300 unread bytes -> tcp_close sends an active
    /// reset (RFC 2525 2.17)`.
    public var reason: String
    /// The counters this step moved (nstat's names, with the change), without
    /// the ones every packet moves (IpInReceives, TcpOutSegs, ...).
    public var counters: [CounterValue]

    /// Creates an explanation.
    public init(time: Int64, event: Event, reason: String, counters: [CounterValue] = []) {
        self.time = time
        self.event = event
        self.reason = reason
        self.counters = counters
    }

    /// The counters as the trace shows them: `TcpExtTCPAbortOnClose +1, TcpOutRsts +1`.
    public var countersText: String { counters.changesText }
}

extension Array where Element == CounterValue {
    /// Counter changes as the trace shows them: `TcpExtTCPAbortOnClose +1, TcpOutRsts +1`.
    public var changesText: String {
        map { "\($0.name) \($0.value >= 0 ? "+" : "")\($0.value)" }.joined(separator: ", ")
    }
}

/// A backend that can say why its stack did what it did (Linger's own stack).
///
/// Explaining costs nothing until ``isExplaining`` is set: the stack then keeps a
/// log that the runner drains after each event.
public protocol ExplanationSource: AnyObject {
    /// Whether the stack keeps explanations.
    var isExplaining: Bool { get set }
    /// The explanations kept since the last call, oldest first.
    func takeExplanations() -> [Explanation]
}

/// A system call of a run with its result, as the script line shows it.
public struct ObservedCall: Sendable, Hashable {
    /// Script time of the return, in microseconds.
    public var time: Int64
    /// Script time of the start (differs from ``time`` for blocking calls).
    public var startTime: Int64
    /// The script line.
    public var line: Int
    /// The call with the result it returned, e.g. `close(4) = 0` or
    /// `connect(3, ..., ...) = -1 ECONNREFUSED (Connection refused)`.
    public var text: String

    /// Creates an observed call.
    public init(time: Int64, startTime: Int64, line: Int, text: String) {
        self.time = time
        self.startTime = startTime
        self.line = line
        self.text = text
    }
}
