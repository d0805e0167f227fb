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

/// One nstat counter's value: Linux's name (`TcpActiveOpens`, `TcpExtTCPAbortOnClose`)
/// and a number.
public struct CounterValue: Sendable, Hashable {
    /// The name nstat prints.
    public var name: String
    /// The value, or a change of it.
    public var value: Int64

    /// Creates a value.
    public init(name: String, value: Int64) {
        self.name = name
        self.value = value
    }
}

/// Showing the socket table of the system under test, as `ss` prints it.
public protocol SocketTableSource {
    /// What `ss ARGUMENTS` prints now (standard output): the kernel backend runs
    /// the host's ss inside its namespace, the simulated one formats its stack's
    /// sockets the way ss 6.1.0 does. `linger run --ss` shows `-tanoi`.
    func socketTable(arguments: [String]) throws(BackendError) -> String
}

/// Reading the counters of the system under test.
public protocol CounterSource {
    /// Every counter nstat knows, in nstat's order (the kernel backend reads its
    /// namespace's /proc/net/snmp, netstat and snmp6; the simulated one its own).
    func counterValues() -> [CounterValue]
}

extension CounterValue {
    /// The counters that changed between two readings, in the later reading's
    /// order, as nstat reports them (gauges such as TcpCurrEstab included).
    public static func changes(from before: [CounterValue], to after: [CounterValue]) -> [CounterValue] {
        // Two readings of one source list the same names in the same order.
        if before.count == after.count {
            var out: [CounterValue] = []
            var aligned = true
            for (old, new) in zip(before, after) {
                guard old.name == new.name else {
                    aligned = false
                    break
                }
                let delta = new.value &- old.value
                if delta != 0 { out.append(CounterValue(name: new.name, value: delta)) }
            }
            if aligned { return out }
        }
        var earlier: [String: Int64] = [:]
        for counter in before { earlier[counter.name] = counter.value }
        var out: [CounterValue] = []
        for counter in after {
            let delta = counter.value &- (earlier[counter.name] ?? 0)
            if delta != 0 { out.append(CounterValue(name: counter.name, value: delta)) }
        }
        return out
    }

    /// Parses the kernel's counter files into nstat's names: /proc/net/snmp and
    /// /proc/net/netstat hold pairs of lines (`Tcp: ActiveOpens ...` then
    /// `Tcp: 3 ...`), named prefix + field; /proc/net/snmp6 holds `Name value`
    /// lines. Lines that do not fit are skipped.
    public static func parseProcCounters(snmp: String, netstat: String, snmp6: String) -> [CounterValue] {
        var out: [CounterValue] = []
        // nstat's order: snmp, snmp6, netstat.
        out += pairedLines(snmp)
        for line in snmp6.split(separator: "\n") {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if fields.count == 2, let number = Int64(fields[1]) {
                out.append(CounterValue(name: String(fields[0]), value: number))
            }
        }
        out += pairedLines(netstat)
        // nstat leaves out the constants and the gauge of the Tcp MIB.
        return out.filter { !nstatOmits.contains($0.name) }
    }

    /// The /proc/net/snmp values nstat does not print: constants and a gauge.
    public static let nstatOmits: Set<String> = ["IpForwarding", "IpDefaultTTL", "TcpRtoAlgorithm", "TcpRtoMin", "TcpRtoMax", "TcpMaxConn", "TcpCurrEstab"]

    private static func pairedLines(_ text: String) -> [CounterValue] {
        var out: [CounterValue] = []
        let lines = text.split(separator: "\n")
        var index = 0
        while index + 1 < lines.count {
            let names = lines[index].split(separator: " ")
            let values = lines[index + 1].split(separator: " ")
            index += 2
            guard let prefix = names.first, prefix.hasSuffix(":"), values.first == prefix,
                  names.count == values.count else { continue }
            let group = prefix.dropLast()
            for (name, value) in zip(names.dropFirst(), values.dropFirst()) {
                if let number = Int64(value) { out.append(CounterValue(name: String(group) + String(name), value: number)) }
            }
        }
        return out
    }
}

extension CounterValue {
    /// Counters as `nstat` prints them: a `#kernel` line, then one line per
    /// counter (name in 32 columns, value in 16, then the rate, which a run's
    /// change has none of: 0.0).
    public static func nstatText(_ counters: [CounterValue]) -> String {
        var text = "#kernel\n"
        for counter in counters {
            text += nstatLine(name: counter.name, value: counter.value) + "\n"
        }
        return text
    }

    /// One counter's line as nstat prints it (`%-32s%-16llu%6.1f`, rate 0.0).
    public static func nstatLine(name: String, value: Int64) -> String {
        var bytes: [UInt8] = []
        appendNstatLine(name: name, value: value, to: &bytes)
        bytes.removeLast()  // the newline
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends ``nstatLine(name:value:)`` and a newline to `bytes`.
    public static func appendNstatLine(name: String, value: Int64, to bytes: inout [UInt8]) {
        // printf's %-Ns: at least N bytes, never truncated.
        let nameStart = bytes.count
        bytes.append(contentsOf: name.utf8)
        while bytes.count - nameStart < 32 { bytes.append(0x20) }
        let valueStart = bytes.count
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        let digitsStart = bytes.count
        repeat {
            bytes.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
            magnitude /= 10
        } while magnitude > 0
        bytes[digitsStart...].reverse()
        while bytes.count - valueStart < 16 { bytes.append(0x20) }
        bytes.append(contentsOf: "   0.0\n".utf8)
    }
}
