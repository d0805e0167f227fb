public import LingerScript
import LingerWire

/// Runs a parsed packetdrill script against a ``Backend`` the way packetdrill runs
/// one against the kernel: the same timing rules, sequence mapping, packet and
/// system call checks, and the same messages.
///
/// ```swift
/// let configuration = try RunConfiguration.make(scriptOptions: script.options, scriptPath: path)
/// let backend = try makeBackend(configuration.network)
/// let result = ScriptRunner(script: script, scriptPath: path, configuration: configuration,
///                           backend: backend).run()
/// ```
public final class ScriptRunner {
    let script: Script
    let scriptPath: String
    let configuration: RunConfiguration
    let backend: any Backend
    let trace: ((RunTraceEntry) -> Void)?
    /// Called with every packet of the run, inbound and outbound, in the order the
    /// runner meets them (for `--pcap`); outbound packets the script never waited
    /// for are collected at the end.
    public var packetObserver: ((ObservedPacket) -> Void)?
    /// Called with every system call of the script when it returns, with its result
    /// (for `--trace`).
    public var callObserver: ((ObservedCall) -> Void)?
    /// Called with the stack's explanations, times in script microseconds, when the
    /// backend is an ``ExplanationSource`` (for `--trace` on the sim); setting it
    /// turns the stack's explanation log on for the run.
    public var explanationObserver: ((Explanation) -> Void)?

    /// Timing of the event being run, in script microseconds (adjusted as packetdrill does).
    struct EventTiming {
        var kind: EventTime.Kind
        var time: Int64
        var end: Int64?
        var offset: Int64 = 0
        var line: Int
        var isInboundPacket: Bool
        var blockingEnd: Int64?
    }

    var liveStart: Int64 = 0
    var current: EventTiming?
    var last: EventTiming?
    var scriptLastTime: Int64 = 0
    var eventCount = 0
    var warnings: [String] = []

    /// Every descriptor and socket followed, newest first (packetdrill's fd list).
    var entries: [TrackedSocket] = []
    /// The socket packets are mapped for.
    var socketUnderTest: TrackedSocket?
    /// Ports for passive opens' remote ends, handed out in order.
    var nextEphemeralPort: UInt16

    /// The blocking call in progress, if any.
    var pending: PendingCall?
    /// Whether the script's process has exited (`exit()`): every descriptor is closed.
    var processExited = false
    /// Each code event: its line, the tcp_info sampled there, the block's text and
    /// the line its `%{` is on.
    var codeSamples: [(line: Int, values: [(name: String, value: UInt64)], text: String, blockLine: Int)] = []
    var initCommandRan = false
    /// The counters just before the first event, when the backend can read them.
    var countersAtStart: [CounterValue]?
    /// `linger run --ss`: when to take the socket table (``SocketTableSource``) and
    /// where to send it; nil: `ss()` calls do nothing.
    public var socketTables: (mode: SocketTableMode, report: (SocketTableReport) -> Void)?

    /// Creates a runner.
    ///
    /// - Parameters:
    ///   - script: the parsed script.
    ///   - scriptPath: its path: messages start with it, and commands run in its directory.
    ///   - configuration: from ``RunConfiguration/make(scriptOptions:commandLine:scriptPath:)``;
    ///     the backend must have been set up with its ``RunConfiguration/network``.
    ///   - backend: the world to run in.
    ///   - firstEphemeralPort: the remote port of the first passive connection (packetdrill
    ///     asks the kernel for a free ephemeral port; Linger picks them in order from here).
    ///   - trace: called for every event and packet, for `--verbose`.
    public init(
        script: Script, scriptPath: String, configuration: RunConfiguration, backend: any Backend,
        firstEphemeralPort: UInt16 = 40_000, trace: ((RunTraceEntry) -> Void)? = nil
    ) {
        self.script = script
        self.scriptPath = scriptPath
        self.configuration = configuration
        self.backend = backend
        self.trace = trace
        self.nextEphemeralPort = firstEphemeralPort
    }

    /// The directory commands run in: the script's own.
    var scriptDirectory: String {
        guard let slash = scriptPath.lastIndex(of: "/") else { return "." }
        let directory = String(scriptPath[..<slash])
        return directory.isEmpty ? "/" : directory
    }

    /// Runs the script to its end or its first failure, then ends the backend's run.
    /// Silent on success: the result carries any warnings.
    public func run() -> ScriptRunResult {
        do throws(RunFailure) {
            try checkSystemCallsBeforeRunning()
            try runEvents()
            var changes: [CounterValue]?
            if let source = backend as? any CounterSource, let countersAtStart {
                changes = CounterValue.changes(from: countersAtStart, to: source.counterValues())
            }
            try finishSuccessfully()
            return ScriptRunResult(verdict: .passed, warnings: warnings, counterChanges: changes)
        } catch {
            runCleanupCommandAfterFailure()
            backend.finish()
            return ScriptRunResult(verdict: error.kind == .failed ? .failed : .unsupported,
                                   message: error.message, warnings: warnings)
        }
    }

    // MARK: - The event loop (run.c's run_script)

    func runEvents() throws(RunFailure) {
        for command in configuration.initScripts {
            let outcome = try runShell(command)
            if let problem = Self.commandProblem(outcome) {
                throw .script("\(scriptPath): error executing init script '\(command)': \(problem)")
            }
        }
        if let initCommand = script.initCommand {
            let outcome = try runShell(initCommand.commandLine)
            if let problem = Self.commandProblem(outcome) {
                throw .script("\(scriptPath): error executing init command: \(problem)")
            }
            initCommandRan = true
        }
        // The symbol and errno tables are built on first use: build them before the
        // clock starts rather than in the script's first system call.
        _ = LinuxSymbols.value(of: "SOCK_STREAM")
        _ = LinuxErrno.number(named: "EAGAIN")
        _ = LinuxErrno.text(of: 11)
        countersAtStart = (backend as? any CounterSource)?.counterValues()
        liveStart = backend.startTime()
        if explanationObserver != nil, let source = backend as? any ExplanationSource {
            _ = source.takeExplanations()
            source.isExplaining = true
        }
        for (index, event) in script.events.enumerated() {
            try checkBlockedCallCompletion()
            try startEvent(event, isFirst: index == 0)
            switch event.action {
            case .packet(let packet): try runPacketEvent(packet, event: event)
            case .syscall(let syscall) where syscall.name == Self.socketTableCallName:
                try runSocketTableEvent(syscall, event: event)
            case .syscall(let syscall): try runSyscallEvent(syscall, event: event)
            case .command(let command): try runCommandEvent(command, event: event)
            case .code(let code): try runCodeEvent(code, event: event)
            }
            reportSocketTableAfterEvent(event)
            reportExplanations()
            eventCount += 1
        }
    }

    /// get_next_event and adjust_relative_event_times.
    func startEvent(_ event: Event, isFirst: Bool) throws(RunFailure) {
        let line = event.location.line
        var timing = EventTiming(kind: event.time.kind, time: event.time.startMicroseconds ?? 0, line: line,
                                 isInboundPacket: { if case .packet(let p) = event.action { p.direction == .inbound } else { false } }())
        switch event.time {
        case .absoluteRange(_, let end), .relativeRange(_, let end): timing.end = end
        default: break
        }
        if case .syscall(let syscall) = event.action { timing.blockingEnd = syscall.blockingEndMicroseconds }
        if isFirst {
            if timing.time != 0 { throw .script("\(scriptPath):\(line): first event should be at time 0") }
            scriptLastTime = 0
        } else if let previous = current {
            scriptLastTime = previous.time
            last = previous
            if previous.kind == .absolute || previous.kind == .absoluteRange,
               timing.kind == .absolute || timing.kind == .absoluteRange, timing.time < scriptLastTime {
                throw .script("\(scriptPath):\(line): time goes backward in script from \(scriptLastTime) usec to \(timing.time) usec")
            }
        }
        if timing.kind == .any || timing.kind == .relative || timing.kind == .relativeRange {
            let offset: Int64
            if let last, last.isInboundPacket, timing.isInboundPacket {
                offset = last.time
            } else {
                offset = backend.now() - liveStart
            }
            timing.offset = offset
            timing.time &+= offset
            if timing.kind == .relativeRange, let end = timing.end { timing.end = end &+ offset }
            if timing.kind == .relative, let end = timing.blockingEnd { timing.blockingEnd = end &+ offset }
        }
        current = timing
    }

    /// Script time of a live time.
    func scriptTime(_ live: Int64) -> Int64 { live &- liveStart }

    /// wait_for_event: lets time pass to the event's time, then checks it was not missed.
    func waitForEvent() throws(RunFailure) {
        guard let timing = current else { return }
        let target = liveStart &+ timing.time
        if backend.now() < target { backend.wait(until: target) }
        if eventCount > 0 { try checkEventTime(backend.now(), description: nil) }
    }

    func eventDescription(_ timing: EventTiming, action: Action?) -> String {
        switch action {
        case .packet(let p)?: p.direction == .inbound ? "inbound packet" : "outbound packet"
        case .syscall?: "system call start"
        case .command?: "command"
        case .code?: "data collection for code"
        case nil: "event"
        }
    }

    var currentAction: Action?

    func checkEventTime(_ live: Int64, description: String?) throws(RunFailure) {
        guard let timing = current else { return }
        if let error = verifyTime(kind: timing.kind, scriptTime: timing.time, scriptEnd: timing.end ?? 0, live: live,
                                  lastEventTime: last?.time, offset: timing.offset,
                                  description: description ?? eventDescription(timing, action: currentAction)) {
            throw .script("\(scriptPath):\(timing.line): \(error)")
        }
    }

    /// verify_time: nil when `live` is within the script's window, else packetdrill's message.
    func verifyTime(kind: EventTime.Kind, scriptTime expected: Int64, scriptEnd: Int64, live: Int64, lastEventTime: Int64?,
                    offset: Int64, description: String) -> String? {
        if kind == .any { return nil }
        let actual = scriptTime(live)
        let scriptTime = expected
        var tolerance = configuration.toleranceMicroseconds
        if let lastEventTime {
            let delta = scriptTime &- lastEventTime
            let dynamic = Int64((configuration.tolerancePercent / 100.0) * Double(delta))
            if dynamic > tolerance { tolerance = dynamic }
        }
        if kind == .absoluteRange || kind == .relativeRange {
            if actual < scriptTime &- tolerance || actual > scriptEnd &+ tolerance {
                if kind == .absoluteRange {
                    return "timing error: expected \(description) in time range \(ScriptPackets.seconds(scriptTime, width: 0))~\(ScriptPackets.seconds(scriptEnd, width: 0)) sec but happened at \(ScriptPackets.seconds(actual, width: 0)) sec"
                }
                return "timing error: expected \(description) in relative time range +\(ScriptPackets.seconds(scriptTime &- offset, width: 0))~+\(ScriptPackets.seconds(scriptEnd &- offset, width: 0)) sec but happened at \(ScriptPackets.signedSeconds(actual &- offset)) sec"
            }
            return nil
        }
        if actual < scriptTime &- tolerance || actual > scriptTime &+ tolerance {
            return "timing error: expected \(description) at \(ScriptPackets.seconds(scriptTime, width: 0)) sec but happened at \(ScriptPackets.seconds(actual, width: 0)) sec; tolerance \(ScriptPackets.seconds(tolerance, width: 0)) sec"
        }
        return nil
    }

    func emit(_ text: String, time: Int64? = nil, line: Int? = nil) {
        guard let trace else { return }
        trace(RunTraceEntry(time: time ?? scriptTime(backend.now()), line: line ?? current?.line, text: text))
    }

    // MARK: - Commands

    func runShell(_ commandLine: String) throws(RunFailure) -> CommandOutcome {
        do {
            return try backend.runCommand(commandLine, in: scriptDirectory)
        } catch {
            throw .script("\(scriptPath): backend error running `\(commandLine)`: \(error.message)")
        }
    }

    /// safe_system's verdict on an exit status (nil: success).
    static func commandProblem(_ outcome: CommandOutcome) -> String? {
        switch outcome.status {
        case 0: return nil
        case 128 + 2: return "got signal 2 (Interrupt)"
        case 128 + 3: return "got signal 3 (Quit)"
        default: return "non-zero status \(outcome.status)"
        }
    }

    func runCommandEvent(_ command: ShellCommand, event: Event) throws(RunFailure) {
        currentAction = event.action
        try waitForEvent()
        emit("command: `\(command.commandLine)`")
        let outcome = try runShell(command.commandLine)
        if !outcome.output.isEmpty { emit("command output:\n" + outcome.output) }
        if let problem = Self.commandProblem(outcome) {
            throw .script("\(scriptPath):\(event.location.line): error executing `\(command.commandLine)` command: \(problem)")
        }
    }

    func runCleanupCommandAfterFailure() {
        guard initCommandRan, let cleanup = script.cleanupCommand else { return }
        if let outcome = try? runShell(cleanup.commandLine), let problem = Self.commandProblem(outcome) {
            warnings.append("\(scriptPath): error executing cleanup command: \(problem)")
        }
    }

    // MARK: - End of script (run.c after the loop, state_free)

    func finishSuccessfully() throws(RunFailure) {
        if initCommandRan, let cleanup = script.cleanupCommand {
            let outcome = try runShell(cleanup.commandLine)
            if let problem = Self.commandProblem(outcome) {
                throw .script("\(scriptPath): error executing cleanup command: \(problem)")
            }
        }
        try executeCode()
        if let pending {
            if let completion = backend.awaitBlockedCall(deadline: backend.now() &+ 1_000_000) {
                try completeBlockedCall(pending, completion)
            } else {
                throw .script("\(scriptPath):\(pending.timing.line): runtime error: exiting while a blocking system call is in progress")
            }
        }
        try closeAllDescriptors()
        drainOutboundForObserver()
        reportExplanations()
        backend.finish()
    }

    /// Hands the explanation observer what the stack explained since the last time.
    func reportExplanations() {
        guard let explanationObserver, let source = backend as? any ExplanationSource else { return }
        for var explanation in source.takeExplanations() {
            explanation.time = scriptTime(explanation.time)
            explanationObserver(explanation)
        }
    }

    /// Hands the observer the packets the stack sent that no event waited for.
    func drainOutboundForObserver() {
        guard let packetObserver else { return }
        while let captured = try? backend.nextOutboundPacket(deadline: backend.now()) {
            packetObserver(ObservedPacket(direction: .outbound, time: scriptTime(captured.time), bytes: captured.bytes))
        }
    }

    /// close_all_fds: close what the script left open and reset each TCP connection
    /// with a RST the stack accepts, so nothing lingers into the next run.
    ///
    /// packetdrill closes each descriptor with close(), which blocks on a socket with
    /// SO_LINGER {1, t}; Linger ends the script's process instead (the `exit()`
    /// pseudo-call, unless the script made it), so what is left is closed as Linux
    /// closes it when a program ends: without lingering, and each open file once.
    func closeAllDescriptors() throws(RunFailure) {
        if !processExited {
            switch backend.start(.exit) {
            case .finished: break
            case .blocked: _ = backend.awaitBlockedCall(deadline: backend.now() &+ 1_000_000)
            }
            processExited = true
        }
        for entry in entries {
            entry.isClosed = true
            if entry.isSocket, entry.protocolNumber == 6, entry.live.local.port != 0, entry.live.remote.port != 0 {
                try resetConnection(entry)
            }
        }
    }
}
