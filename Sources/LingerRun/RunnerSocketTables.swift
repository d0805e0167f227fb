import LingerScript

/// When `linger run --ss` shows the socket table of the system under test.
public enum SocketTableMode: String, Sendable, Hashable, CaseIterable {
    /// At each `ss()` pseudo-call of the script.
    case calls
    /// After every event (and at `ss()` calls).
    case each
}

/// One socket table taken during a run, for `linger run --ss`.
public struct SocketTableReport: Sendable, Hashable {
    /// Script time in microseconds (time since the first event).
    public var time: Int64
    /// The script line of the event it follows.
    public var line: Int
    /// Why it was taken: `ss()`, or the event it follows (`inbound packet`, ...).
    public var trigger: String
    /// The ss command line, e.g. `ss -tanoi`.
    public var command: String
    /// What ss printed, or why no table could be taken.
    public var text: String

    /// Creates a report.
    public init(time: Int64, line: Int, trigger: String, command: String, text: String) {
        self.time = time
        self.line = line
        self.trigger = trigger
        self.command = command
        self.text = text
    }
}

/// The `ss()` pseudo-call, Linger's addition to the script language:
///
///     +0 ss() = 0
///     +0 ss("-tn state time-wait") = 0
///
/// It returns 0 and changes nothing. With `linger run --ss` the socket table is
/// shown there (`ss -tanoi`, or the options given in the string, split at
/// blanks); without it the call does nothing. packetdrill cannot run it.
extension ScriptRunner {
    /// The pseudo-call's name.
    static let socketTableCallName = "ss"
    /// What `ss()` and `--ss=each` show: every TCP socket, numeric, with timers and TCP information.
    static let standardSocketTableArguments = ["-tanoi"]

    func runSocketTableEvent(_ spec: SyscallSpec, event: Event) throws(RunFailure) {
        currentAction = event.action
        let line = event.location.line
        // No waiting for a blocked call: ss() only looks.
        try waitForEvent()
        var arguments = Self.standardSocketTableArguments
        do throws(SyscallError) {
            switch spec.arguments.count {
            case 0:
                break
            case 1:
                guard case .string(let bytes) = try evaluate(spec.arguments[0]) else {
                    throw SyscallError("ss() takes no argument or one string of ss options, e.g. ss(\"-tn state time-wait\")")
                }
                arguments = String(decoding: bytes, as: UTF8.self).split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            default:
                throw SyscallError("ss() takes no argument or one string of ss options, e.g. ss(\"-tn state time-wait\")")
            }
            let expected = try Self.int32(try evaluate(spec.result))
            guard expected == 0 else { throw SyscallError("ss() always returns 0, the script expects \(expected)") }
            if let errno = spec.errno { throw SyscallError("ss() sets no errno, the script expects \(errno.name)") }
        } catch {
            throw .script("\(scriptPath):\(line): runtime error in ss call: \(error.message)")
        }
        emit("ss() at \(ScriptPackets.seconds(scriptTime(backend.now())))")
        if socketTables != nil {
            reportSocketTable(arguments: arguments, line: line, trigger: "ss()")
        }
    }

    /// `--ss=each`: the table after an event other than `ss()`.
    func reportSocketTableAfterEvent(_ event: Event) {
        guard let socketTables, socketTables.mode == .each else { return }
        if case .syscall(let spec) = event.action, spec.name == Self.socketTableCallName { return }
        let trigger: String
        switch event.action {
        case .packet(let packet): trigger = packet.direction == .inbound ? "inbound packet" : "outbound packet"
        case .syscall(let spec): trigger = spec.name + "()"
        case .command: trigger = "command"
        case .code: trigger = "code"
        }
        reportSocketTable(arguments: Self.standardSocketTableArguments, line: event.location.line, trigger: trigger)
    }

    func reportSocketTable(arguments: [String], line: Int, trigger: String) {
        guard let socketTables else { return }
        let text: String
        if let source = backend as? any SocketTableSource {
            do {
                text = try source.socketTable(arguments: arguments)
            } catch {
                text = "(no socket table: \(error.message))\n"
            }
        } else {
            text = "(this backend cannot show its sockets)\n"
        }
        socketTables.report(SocketTableReport(
            time: scriptTime(backend.now()), line: line, trigger: trigger,
            command: (["ss"] + arguments).joined(separator: " "), text: text))
    }
}
