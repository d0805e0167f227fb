/// The world a script runs against: the live Linux kernel (through a TUN device in a
/// private network namespace) or Linger's own stack on a virtual clock.
///
/// The runner drives a backend from one thread. Times are microseconds on the
/// backend's own clock; the runner takes the time of the script's first event as
/// its zero. Nothing here is specific to the kernel: the simulated backend
/// implements the same calls with virtual time.
public protocol Backend: AnyObject {
    /// The addresses, ports and MTU the backend's network was set up with.
    var network: NetworkConfiguration { get }

    /// The backend's clock, in microseconds.
    func now() -> Int64

    /// The time to count the script's first event from, chosen just before the
    /// first event runs. The kernel backend aligns it with the kernel's clock tick,
    /// as packetdrill does, so that the kernel's tick-based timers fall at the same
    /// points of each run; the default is ``now()``.
    func startTime() -> Int64

    /// Lets time pass until `time` (the kernel backend sleeps; the simulated one
    /// advances its clock, running every timer that falls due on the way).
    func wait(until time: Int64)

    /// Delivers an inbound IP packet (complete, checksums filled in) to the system
    /// under test now.
    func inject(_ packet: [UInt8]) throws(BackendError)

    /// The next IP packet the system under test sent, waiting for one at most
    /// until `deadline`; nil when none came by then.
    func nextOutboundPacket(deadline: Int64) throws(BackendError) -> CapturedPacket?

    /// Starts a system call.
    ///
    /// Returns `.finished` when the call completed without blocking, or
    /// `.blocked` when it is waiting inside the system under test (a blocking
    /// accept, read, connect, close with linger, poll, ...). At most one call is
    /// blocked at a time: the runner finishes it (``awaitBlockedCall(deadline:)``)
    /// before it starts another.
    func start(_ call: SocketCall) -> CallStart

    /// Waits until the blocked call returns, at most until `deadline`; nil when it
    /// is still blocked then.
    func awaitBlockedCall(deadline: Int64) -> CallCompletion?

    /// Runs a shell command line (a script's backtick command) in the backend's
    /// world with `/bin/sh -c`, in `directory`.
    func runCommand(_ commandLine: String, in directory: String) throws(BackendError) -> CommandOutcome

    /// Ends the run: closes what the script left open, as the exit of its process
    /// would, and releases the backend's resources.
    func finish()
}

extension Backend {
    /// The time to count the script's first event from: now.
    public func startTime() -> Int64 { now() }
}

/// A packet the system under test sent, with the time it was seen.
public struct CapturedPacket: Sendable, Hashable {
    /// The IP packet's bytes.
    public var bytes: [UInt8]
    /// When it was seen, in microseconds on the backend's clock.
    public var time: Int64

    /// Creates a captured packet.
    public init(bytes: [UInt8], time: Int64) {
        self.bytes = bytes
        self.time = time
    }
}

/// How a started system call went.
public enum CallStart: Sendable {
    /// It returned at once.
    case finished(CallCompletion)
    /// It is blocked inside the system under test.
    case blocked
}

/// A system call's return, with the time it returned.
public struct CallCompletion: Sendable {
    /// What the call returned.
    public var result: SocketCallResult
    /// When it returned, in microseconds on the backend's clock.
    public var time: Int64

    /// Creates a completion.
    public init(result: SocketCallResult, time: Int64) {
        self.result = result
        self.time = time
    }
}

/// What a shell command did.
public struct CommandOutcome: Sendable, Hashable {
    /// The exit status (128 + signal number when a signal ended it).
    public var status: Int32
    /// What it wrote to standard output and standard error, interleaved.
    public var output: String

    /// Creates an outcome.
    public init(status: Int32, output: String) {
        self.status = status
        self.output = output
    }
}

/// A failure of the backend itself (not of the script's expectations).
public struct BackendError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong and, where it helps, what to do about it.
    public var message: String

    /// Creates an error.
    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
