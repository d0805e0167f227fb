public import LingerRun
import LingerWire

/// LingerRun's ``Backend`` on Linger's own stack and a virtual clock.
///
/// The script plays the remote peer; the stack sits at the configuration's local
/// address. Time moves only when the runner asks it to: waiting 10,000 s costs
/// only the timers that fall due on the way. Every run with the same script and
/// seed is the same, byte for byte.
public final class SimBackend: Backend {
    /// The network the runner configured.
    public let network: NetworkConfiguration
    /// The stack under test.
    public let stack: NetworkStack
    /// The script's process: its descriptors and system calls.
    public let process: SocketLayer
    /// Commands that were skipped because they only concern a real host.
    public private(set) var skippedCommands: [String] = []

    private let readFile: (String) -> String?
    private let hostCommand: ((String, String) -> CommandOutcome)?
    private var blocked: BlockedCall?
    private var blockedCompletion: CallCompletion?
    private var wakeupID: UInt64?
    private var nstatHistory = Counters()

    /// A simulated host for `network`.
    ///
    /// - Parameters:
    ///   - network: addresses, MTU and ports, as the runner set them up.
    ///   - seed: the seed of the stack's random choices (ISNs, ports, timestamps).
    ///   - readFile: reads a file a command refers to (a shell script of sysctls);
    ///     the stack itself does no I/O.
    ///   - hostCommand: runs, on the host, the commands the runner itself issues to
    ///     evaluate `%{ }%` code blocks outside the runner's in-process subset of
    ///     Python (`command -v python3 ...`, `python3 file.py`), and the text tools a
    ///     script pipes `ss` or `nstat` into that ``PipelineTextTools`` does not run
    ///     (awk, sort, grep options it lacks, ...); without it such code blocks are
    ///     reported as skipped and such pipelines stop the run.
    ///   - inboundSegmentSize: the script's `--mss` (RunConfiguration.mss): injected
    ///     packets bigger than it arrive as GSO buffers of that segment size, as
    ///     packetdrill writes them to its TUN device; 0 for none.
    public init(network: NetworkConfiguration, seed: UInt64 = 1, readFile: @escaping (String) -> String? = { _ in nil },
                hostCommand: ((String, String) -> CommandOutcome)? = nil, inboundSegmentSize: Int = 0) {
        self.network = network
        var addresses = StackAddresses(mtu: network.mtu)
        switch network.localAddress {
        case .v4(let a): addresses.ipv4 = a
        case .v6(let a): addresses.ipv6 = a
        }
        // The clock starts away from zero: TCP, like Linux, uses 0 for "never".
        stack = NetworkStack(addresses: addresses, seed: seed, now: 1_000_000)
        stack.inboundSegmentSize = inboundSegmentSize
        process = SocketLayer(stack: stack)
        self.readFile = readFile
        self.hostCommand = hostCommand
    }

    /// What a `tc qdisc` command on the device does to the sim: a pfifo with
    /// limit 0 drops every packet, fq paces by TCP's departure times, deleting the
    /// root qdisc or adding another one passes packets straight through; nil for
    /// other commands.
    static func queueDiscipline(_ command: String) -> QueueDiscipline? {
        let words = command.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard words.count >= 3, words[0] == "tc", words[1] == "qdisc" else { return nil }
        switch words[2] {
        case "del", "delete":
            return words.contains("root") ? .passThrough : nil
        case "add", "replace", "change":
            guard let root = words.firstIndex(of: "root") else { return nil }
            if let pfifo = words.firstIndex(of: "pfifo"), pfifo + 2 < words.count, words[pfifo + 1] == "limit" {
                return words[pfifo + 2] == "0" ? .dropAll : .passThrough
            }
            if root + 1 < words.count, words[root + 1] == "fq" { return .fairQueue }
            return .passThrough
        default:
            return nil
        }
    }

    /// Whether a command line is the runner's own code-block evaluation rather than
    /// a script command.
    static func isCodeEvaluation(_ commandLine: String) -> Bool {
        let words = commandLine.split(separator: " ")
        guard let first = words.first else { return false }
        if first == "command" && words.count >= 3 && words[1] == "-v" { return true }
        return words.count == 2 && words[1].hasSuffix(".py") && first.hasPrefix("python")
    }

    public func now() -> Int64 { stack.now }

    /// Moves the clock to `time`, running the timers due before it. Timers due at
    /// exactly `time` wait for the next operation: an inbound packet injected at
    /// that instant is processed first, any other operation runs them first. On
    /// the live kernel a timer armed for the instant a script's packet arrives
    /// fires a little after it (RTTs measured in real time come out a fraction
    /// above the script's, and the RTO is rounded up to whole jiffies), so a
    /// script written against the kernel sees the packet win such ties.
    public func wait(until time: Int64) {
        if time > stack.now { advance(to: time - 1) }
        stack.moveClock(to: time)
    }

    /// Runs what is due now (timers left by ``wait(until:)``).
    private func runDueTimers() { advance(to: stack.now) }

    /// Runs every timer and blocked-call deadline up to `time`, in order.
    private func advance(to time: Int64) {
        while true {
            var next = stack.nextDeadline() ?? Int64.max
            if blockedCompletion == nil, let d = blocked?.deadline { next = min(next, d) }
            guard next <= time else { break }
            stack.advance(to: next)
            if let b = blocked, blockedCompletion == nil, let d = b.deadline, d <= stack.now {
                complete(b.poll() ?? b.expire())
            }
        }
        stack.advance(to: max(time, stack.now))
    }

    public func inject(_ packet: [UInt8]) throws(BackendError) {
        stack.receive(packet)
        runDueTimers()
    }

    public func nextOutboundPacket(deadline: Int64) throws(BackendError) -> CapturedPacket? {
        while true {
            if let p = stack.takeOutbound() { return CapturedPacket(bytes: p.bytes, time: p.time) }
            var next = stack.nextDeadline() ?? Int64.max
            if blockedCompletion == nil, let d = blocked?.deadline { next = min(next, d) }
            if next > deadline || next >= NetworkStack.endOfTime {
                // Nothing is due before the deadline (or ever): time moves to the
                // deadline, unless that is "forever".
                if deadline < NetworkStack.endOfTime { advance(to: max(deadline, stack.now)) }
                return stack.takeOutbound().map { CapturedPacket(bytes: $0.bytes, time: $0.time) }
            }
            advance(to: next)
        }
    }

    public func start(_ call: SocketCall) -> CallStart {
        runDueTimers()
        defer { stack.endExplanationStep() }
        switch process.start(call) {
        case .completed(let result):
            stack.endExplanationStep()
            if stack.isExplaining { stack.explainMarker(.callReturned) }
            return .finished(CallCompletion(result: result, time: stack.now))
        case .blocked(let b):
            blocked = b
            blockedCompletion = nil
            wakeupID = stack.addWakeup { [unowned self] in
                guard let b = self.blocked, self.blockedCompletion == nil, let r = b.poll() else { return }
                self.complete(r)
            }
            return .blocked
        }
    }

    private func complete(_ result: SocketCallResult) {
        blockedCompletion = CallCompletion(result: result, time: stack.now)
        if stack.isExplaining { stack.explainMarker(.callReturned) }
        if let id = wakeupID { stack.removeWakeup(id) }
        wakeupID = nil
    }

    public func awaitBlockedCall(deadline: Int64) -> CallCompletion? {
        guard blocked != nil else { return nil }
        while blockedCompletion == nil {
            var next = stack.nextDeadline() ?? Int64.max
            if let d = blocked?.deadline { next = min(next, d) }
            if next > deadline || next >= NetworkStack.endOfTime {
                // Nothing can wake the call before the deadline (or ever).
                if deadline < NetworkStack.endOfTime { advance(to: max(deadline, stack.now)) }
                break
            }
            advance(to: next)
        }
        guard let c = blockedCompletion else { return nil }
        blocked = nil
        blockedCompletion = nil
        return c
    }

    public func runCommand(_ commandLine: String, in directory: String) throws(BackendError) -> CommandOutcome {
        runDueTimers()
        if Self.isCodeEvaluation(commandLine) {
            guard let hostCommand else { return CommandOutcome(status: 1, output: "") }
            return hostCommand(commandLine, directory)
        }
        var sysctls = stack.sysctls
        let environment = SysctlCommandEnvironment(
            directory: directory, readFile: readFile,
            counters: { [unowned self] absolute, updateHistory in
                let values: [(name: String, value: Int64)]
                if absolute {
                    values = self.stack.counters.nstatValues
                } else {
                    values = self.stack.counters.changes(since: self.nstatHistory).map { ($0.name, $0.delta) }
                }
                if updateHistory { self.nstatHistory = self.stack.counters }
                return values
            },
            snapshot: { [unowned self] in self.stack.snapshot() },
            hostShell: hostCommand.map { run in { commandLine in run(commandLine, directory) } })
        let result: SysctlCommandResult
        do {
            result = try SysctlCommands.run(commandLine, sysctls: &sysctls, environment: environment)
        } catch {
            throw BackendError("the sim backend cannot run `\(commandLine)`: \(error)")
        }
        stack.sysctls = sysctls
        var output = result.output
        for action in result.actions {
            switch action {
            case .assign, .flushTCPMetrics:
                break
            case .rejected(let name, let value, let error):
                output += "sysctl: setting \(name) to \(value): \(error)\n"
            case .skip(let command, let reason):
                if let discipline = Self.queueDiscipline(command) {
                    stack.queueDiscipline = discipline
                    break
                }
                skippedCommands.append(command)
                output += "skipped on the sim backend: \(command) (\(reason))\n"
            }
        }
        return CommandOutcome(status: result.exitStatus, output: output)
    }

    public func finish() {
        if let id = wakeupID { stack.removeWakeup(id) }
        blocked = nil
        blockedCompletion = nil
        process.exitProcess()
    }
}

extension SimBackend: SocketTableSource {
    /// The stack's sockets as `ss ARGUMENTS` prints them (``SocketTableFormatter``).
    public func socketTable(arguments: [String]) throws(BackendError) -> String {
        let services = readFile("/etc/services").map { ServiceNames.cached(etcServices: $0) } ?? ServiceNames()
        let options: SocketTableOptions
        do throws(SocketTableError) {
            options = try SocketTableOptions.parse(arguments, services: services)
        } catch {
            throw BackendError("ss \(arguments.joined(separator: " ")): \(error)")
        }
        let sysctls = stack.sysctls
        let formatter = SocketTableFormatter(
            options: options, services: services,
            ephemeralPorts: sysctls.ipLocalPortRangeLow...max(sysctls.ipLocalPortRangeLow, sysctls.ipLocalPortRangeHigh))
        return formatter.render(stack.snapshot())
    }
}

extension SimBackend: CounterSource {
    /// The stack's counters, in nstat's order.
    public func counterValues() -> [CounterValue] {
        stack.counters.nstatValues.map { CounterValue(name: $0.name, value: $0.value) }
    }
}
