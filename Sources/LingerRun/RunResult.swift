/// How a run ended.
public struct ScriptRunResult: Sendable, Hashable {
    /// The verdict.
    public enum Verdict: String, Sendable, Hashable {
        /// Every event happened as the script says.
        case passed
        /// An expectation failed, or the script is wrong; ``ScriptRunResult/message`` says where and why.
        case failed
        /// The script needs something Linger does not do; the message names it.
        case unsupported
    }

    /// The verdict.
    public var verdict: Verdict
    /// For a failure, packetdrill's text (`script.pkt:12: error handling packet: ...`,
    /// possibly several lines); for an unsupported feature, a plain sentence.
    public var message: String?
    /// Warnings printed along the way (non-fatal packet mismatches, skipped code blocks).
    public var warnings: [String]
    /// The nstat counters the script's events changed, with their changes, when the
    /// run passed and the backend can read its counters (see ``CounterSource``).
    /// Taken after the last event, before the end-of-script closing and resets.
    public var counterChanges: [CounterValue]?

    /// Creates a result.
    public init(verdict: Verdict, message: String? = nil, warnings: [String] = [], counterChanges: [CounterValue]? = nil) {
        self.verdict = verdict
        self.message = message
        self.warnings = warnings
        self.counterChanges = counterChanges
    }
}

/// Why a run stopped: a failed expectation or a bad script (packetdrill's wording),
/// a feature Linger does not support, or the backend failing.
public struct RunFailure: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of stop.
    public enum Kind: Sendable, Hashable {
        /// The script's expectations were not met or the script is wrong.
        case failed
        /// The script uses something Linger does not support.
        case unsupported
    }

    /// What kind of stop.
    public var kind: Kind
    /// The full message.
    public var message: String

    /// Creates a failure.
    public init(kind: Kind, message: String) {
        self.kind = kind
        self.message = message
    }

    /// A failed expectation or bad script.
    public static func script(_ message: String) -> RunFailure { RunFailure(kind: .failed, message: message) }
    /// An unsupported feature.
    public static func unsupported(_ message: String) -> RunFailure { RunFailure(kind: .unsupported, message: message) }

    public var description: String { message }
}

/// One thing that happened during a run, for `--verbose`.
public struct RunTraceEntry: Sendable, Hashable {
    /// Script time in microseconds (time since the first event).
    public var time: Int64
    /// The script line, when the entry belongs to an event.
    public var line: Int?
    /// What happened, e.g. `inbound injected packet:  0.100000 S 0:0(0) win 32792 <mss 1460>`.
    public var text: String

    /// Creates an entry.
    public init(time: Int64, line: Int?, text: String) {
        self.time = time
        self.line = line
        self.text = text
    }
}

/// A packet of a run, as the runner met it.
public struct ObservedPacket: Sendable, Hashable {
    /// Which way it went.
    public enum Direction: Sendable, Hashable {
        /// Injected by the script, into the system under test.
        case inbound
        /// Sent by the system under test.
        case outbound
    }

    /// Which way it went.
    public var direction: Direction
    /// Script time in microseconds (since the first event; negative before it).
    public var time: Int64
    /// The IP packet.
    public var bytes: [UInt8]

    /// Creates an observed packet.
    public init(direction: Direction, time: Int64, bytes: [UInt8]) {
        self.direction = direction
        self.time = time
        self.bytes = bytes
    }
}
