import ArgumentParser
import Foundation
import LingerKernel
import LingerObserve
import LingerRun
import LingerScript
import LingerStack
import LingerWire

/// `linger run`: execute packetdrill scripts against a backend, like packetdrill.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run packetdrill scripts against the live kernel or Linger's stack.",
        discussion: """
            Each script runs on a fresh backend. The default, --backend sim, is \
            Linger's own TCP stack on a virtual clock: no root, deterministic, and a \
            script that waits 10,000 seconds finishes in milliseconds. Its shell \
            commands are read, not run: sysctl assignments (also inside the shell \
            scripts they call) apply to the simulated stack, host-only commands \
            (tc, ip tcp_metrics, ...) are skipped, anything else is an error. With \
            --backend kernel it is the \
            host's live Linux kernel inside a private network namespace of its own, \
            reached through a TUN device, in real time (needs root and /dev/net/tun); \
            nothing the script does touches the host. Scripts are checked exactly as \
            packetdrill checks them: packets, system call results and errno, timing \
            within --tolerance_usecs.

            Like packetdrill, a passing script prints nothing; a failing one prints \
            script.pkt:LINE: and what differed. With several scripts a summary line \
            follows. Exit status: 0 when every script passed, 1 when one failed, 2 \
            when one needs a feature Linger does not support.

            Examples:
              linger run Tests/Scripts/close-unread-data-rst.pkt
              sudo linger run --backend kernel Tests/Scripts/close-unread-data-rst.pkt
              sudo linger run --backend kernel --verbose --tolerance_usecs=20000 x.pkt
              sudo linger run --backend kernel Tests/Scripts
              linger run --ss x.pkt                     the socket table at x.pkt's ss() calls
              linger run --ss=each x.pkt                ... and after every event

            A script may call ss(), Linger's pseudo-call (packetdrill has none): \
            `+0 ss() = 0` or `+0 ss("-tn state time-wait") = 0`. It returns 0 and \
            changes nothing; with --ss the table is printed there, as the kernel's \
            ss prints it (--backend kernel runs the host's ss inside the namespace) \
            or as Linger formats its own stack's sockets. On the sim, a backtick \
            `ss ...` command prints the same table, and pipelines starting with ss \
            or nstat run their text tools (grep, wc, awk, ...) on the host.
            """
    )

    /// The backends a script can run on.
    enum BackendKind: String, ExpressibleByArgument, CaseIterable {
        /// Linger's own stack on a virtual clock.
        case sim
        /// The host's live kernel in a private network namespace.
        case kernel
    }

    @Argument(help: "Script files or directories (every .pkt under them, sorted).")
    var paths: [String] = []

    @Option(help: "Where to run: sim (Linger's own stack, virtual time) or kernel (the live Linux kernel).")
    var backend: BackendKind = .sim

    @Flag(name: [.short, .long], help: "Print every event, packet and system call as it happens.")
    var verbose = false

    @Option(name: [.customShort("D"), .customLong("define")], parsing: .unconditionalSingleValue,
            help: ArgumentHelp("Define a symbol for the scripts, as packetdrill's -D.", valueName: "NAME=value"))
    var definitions: [String] = []

    @Option(name: .customLong("tolerance_usecs"), help: "Allowed timing error in microseconds (default 4000).")
    var toleranceMicroseconds: String?
    @Option(name: .customLong("tolerance_percent"), help: "Allowed timing error as a percentage of the time between events.")
    var tolerancePercent: String?
    @Option(name: .customLong("ip_version"), help: "ipv4, ipv6 or ipv4-mapped-ipv6.")
    var ipVersion: String?
    @Option(name: .customLong("local_ip"), help: "The address of the stack under test.")
    var localIP: String?
    @Option(name: .customLong("remote_ip"), help: "The address the script plays.")
    var remoteIP: String?
    @Option(name: .customLong("gateway_ip"), help: "The gateway to the remote address.")
    var gatewayIP: String?
    @Option(name: .customLong("netmask_ip"), help: "The local network's netmask (IPv4).")
    var netmaskIP: String?
    @Option(name: .customLong("mtu"), help: "The TUN device's MTU (default 1500).")
    var mtu: String?
    @Option(name: .customLong("bind_port"), help: "The local port of bind(fd, ..., ...) (default 8080).")
    var bindPort: String?
    @Option(name: .customLong("connect_port"), help: "The remote port of connect(fd, ..., ...) (default 8080).")
    var connectPort: String?
    @Option(name: .customLong("non_fatal"), help: "packet or syscall: report such mismatches as warnings.")
    var nonFatal: [String] = []
    @Flag(help: "After each script that passes, print the counters its events changed, as nstat does.")
    var nstat = false
    /// `--ss` / `--ss=each`.
    enum SocketTableChoice: String, ExpressibleByArgument, CaseIterable {
        case calls, each
    }

    @Option(name: .customLong("ss"), defaultAsFlag: SocketTableChoice.calls,
            help: ArgumentHelp(
                "Print the socket table (ss -tanoi) at the script's ss() calls; --ss=each: after every event too.",
                valueName: "each"))
    var socketTables: SocketTableChoice? = nil

    @Option(help: ArgumentHelp(
        "Write every packet of the run to FILE in pcap format (tcpdump -r and tshark -r read it).",
        discussion: "Sim runs start at the Unix epoch in virtual time; kernel runs carry the wall-clock time.",
        valueName: "FILE"))
    var pcap: String?

    @Flag(help: ArgumentHelp(
        "Print the run in time order: packets (tcpdump style), system calls with results, state changes; on the sim each segment the stack sends and each state change says why and which counters it moved.",
        discussion: "On the kernel backend the trace has packets and calls only: the kernel does not say why."))
    var trace = false

    @Option(help: ArgumentHelp(
        "Write a self-contained HTML report of the run to FILE: a ladder diagram of the packets with states, calls and reasons.",
        valueName: "FILE"))
    var html: String?

    @Flag(name: .customLong("strict_segments"), help: "Do not merge outbound segments to match a larger scripted one.")
    var strictSegments = false

    func validate() throws {
        if paths.isEmpty {
            throw ValidationError("give at least one script or directory, e.g. linger run Tests/Scripts")
        }
        if html != nil, paths.count > 1 || paths.contains(where: { ScriptFiles.isDirectory($0) }) {
            throw ValidationError("--html writes one run: give one script")
        }
        if pcap != nil, paths.count > 1 || paths.contains(where: { ScriptFiles.isDirectory($0) }) {
            throw ValidationError("--pcap writes one run: give one script")
        }
        for definition in definitions where !definition.contains("=") {
            throw ValidationError("-D needs NAME=value, found '\(definition)'")
        }
        // --ss falls back to a flag when its value does not parse: refuse a bad
        // --ss=VALUE rather than ignore it.
        for argument in CommandLine.arguments where argument.hasPrefix("--ss=") {
            let value = String(argument.dropFirst("--ss=".count))
            if SocketTableChoice(rawValue: value) == nil {
                throw ValidationError("--ss takes no value or one of: calls, each (found '\(value)')")
            }
        }
    }

    /// The packetdrill options given on the command line, as the runner takes them.
    var commandLineOptions: [(name: String, value: String?)] {
        var options: [(name: String, value: String?)] = []
        let valued: [(String, String?)] = [
            ("tolerance_usecs", toleranceMicroseconds), ("tolerance_percent", tolerancePercent),
            ("ip_version", ipVersion), ("local_ip", localIP), ("remote_ip", remoteIP), ("gateway_ip", gatewayIP),
            ("netmask_ip", netmaskIP), ("mtu", mtu), ("bind_port", bindPort), ("connect_port", connectPort),
        ]
        for (name, value) in valued where value != nil { options.append((name, value)) }
        for value in nonFatal { options.append(("non_fatal", value)) }
        if strictSegments { options.append(("strict_segments", nil)) }
        if verbose { options.append(("verbose", nil)) }
        return options
    }

    func run() throws {
        Self.allowInterruption()
        var files: [String] = []
        for path in paths {
            switch ScriptFiles.expand(path) {
            case .success(let found) where found.isEmpty:
                throw ValidationError("no .pkt files under \(path)")
            case .success(let found):
                files += found
            case .failure(let problem):
                throw ValidationError(problem.message)
            }
        }
        var passed = 0, failed = 0, unsupported = 0
        for file in files {
            switch runOne(file, files: files.count) {
            case .passed: passed += 1
            case .failed: failed += 1
            case .unsupported: unsupported += 1
            }
        }
        if files.count > 1 {
            let extra = unsupported > 0 ? ", \(unsupported) skipped" : ""
            print("\(passed) passed, \(failed) failed\(extra)")
        }
        if failed > 0 { throw ExitCode(1) }
        if unsupported > 0 { throw ExitCode(2) }
    }

    /// Runs one script and reports it; the verdict decides the exit status.
    func runOne(_ path: String, files: Int) -> ScriptRunResult.Verdict {
        @discardableResult
        func report(_ verdict: ScriptRunResult.Verdict, _ message: String) -> ScriptRunResult.Verdict {
            ScriptFiles.printError(message.hasSuffix("\n") ? String(message.dropLast()) : message)
            return verdict
        }
        guard let source = ScriptFiles.read(path) else {
            return report(.failed, "\(path): cannot read the script")
        }
        var defined: [String: String] = [:]
        for definition in definitions {
            let parts = definition.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            defined[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        let parsed = ScriptParser.parse(source: source, fileName: path, definitions: defined)
        guard parsed.isSuccess else {
            return report(.failed, parsed.diagnostics.map(\.description).joined(separator: "\n"))
        }
        let configuration: RunConfiguration
        do {
            configuration = try RunConfiguration.make(
                scriptOptions: parsed.script.options, commandLine: commandLineOptions, scriptPath: path)
        } catch {
            return report(error.kind == .unsupported ? .unsupported : .failed, error.message)
        }
        let world: any Backend
        do {
            world = try makeBackend(configuration)
        } catch {
            return report(.failed, "\(path): \(error.message)")
        }
        let verboseTrace: ((RunTraceEntry) -> Void)? = verbose ? { entry in
            let line = entry.line.map { "\(path):\($0): " } ?? ""
            print(line + entry.text)
        } : nil
        let runner = ScriptRunner(
            script: parsed.script, scriptPath: path, configuration: configuration, backend: world, trace: verboseTrace)
        var capture = PcapFile()
        if pcap != nil {
            // Virtual time starts at the epoch; the kernel's packets get the wall clock.
            let base = backend == .kernel ? Self.wallClockMicroseconds() : 0
            runner.packetObserver = { packet in capture.append(packet: packet.bytes, microseconds: base + packet.time) }
        }
        if let socketTables {
            runner.socketTables = (socketTables == .each ? .each : .calls, { report in
                let time = String(format: "%.6f", Double(report.time) / 1_000_000)
                print("--- \(report.command) at \(time) s, \(path):\(report.line) (\(report.trigger))")
                print(report.text, terminator: report.text.hasSuffix("\n") || report.text.isEmpty ? "" : "\n")
                print("---")
            })
        }
        var recorder: TraceRecorder?
        if trace || html != nil {
            let newRecorder = TraceRecorder()
            newRecorder.attach(to: runner)
            recorder = newRecorder
        }
        let result = runner.run()
        if let recorder {
            let runTrace = recorder.trace()
            if trace {
                if files > 1 { print("\(path):") }
                print(runTrace.text, terminator: "")
            }
            if let html {
                let page = HTMLReport(title: path, trace: runTrace, verdict: result.message ?? "passed",
                                      backend: backend.rawValue).render()
                if let problem = ScriptFiles.write(Array(page.utf8), to: html) {
                    report(.failed, "\(path): cannot write \(html): \(problem)")
                    return .failed
                }
            }
        }
        if let pcap, let problem = ScriptFiles.write(capture.bytes, to: pcap) {
            report(.failed, "\(path): cannot write \(pcap): \(problem)")
            return .failed
        }
        for warning in result.warnings { report(.passed, "\(path): warning: \(warning)") }
        if result.verdict != .passed {
            return report(result.verdict, result.message ?? "\(path): failed")
        }
        if nstat {
            if files > 1 { print("\(path):") }
            print(CounterValue.nstatText(result.counterChanges ?? []), terminator: "")
        }
        return .passed
    }

    /// The real-time clock, in microseconds since the Unix epoch.
    static func wallClockMicroseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec) / 1000
    }

    /// Unblocks the signals that stop a run. A process inherits its parent's blocked
    /// signals (some test runners and daemons block them in every thread), and a run
    /// that cannot be stopped would keep its namespace, TUN device and sockets alive.
    static func allowInterruption() {
        var signals = sigset_t()
        sigemptyset(&signals)
        for signal in [SIGINT, SIGTERM, SIGHUP, SIGQUIT] { sigaddset(&signals, signal) }
        pthread_sigmask(SIG_UNBLOCK, &signals, nil)
    }

    func makeBackend(_ configuration: RunConfiguration) throws(BackendError) -> any Backend {
        try Self.makeBackend(backend, configuration)
    }

    /// A fresh backend of `kind` for a run with `configuration`.
    static func makeBackend(_ kind: BackendKind, _ configuration: RunConfiguration) throws(BackendError) -> any Backend {
        switch kind {
        case .kernel: return try KernelBackend(network: configuration.network)
        case .sim:
            return SimBackend(
                network: configuration.network,
                readFile: { ScriptFiles.read($0) },
                hostCommand: { commandLine, directory in HostShell.run(commandLine, in: directory) },
                inboundSegmentSize: configuration.mss)
        }
    }
}
