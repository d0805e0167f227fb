import ArgumentParser
import LingerBench
import LingerKernel
import LingerRun
import LingerScript
import LingerStack

#if canImport(Glibc)
import Glibc
#endif

/// `linger bench`: Linger's speed and footprint against the live kernel's, side by side.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure Linger's stack against the Linux kernel on this machine.",
        discussion: """
            Runs each case on Linger's stack and on the Linux kernel back to back \
            and prints case, Linger's figure, Linux's figure, their ratio (Linger / \
            Linux: above 1 is better for rates, below 1 for bytes and times) and \
            the target issue 7 sets, if any. Linux's side uses kernel sockets on loopback in a private \
            network namespace (root). Build in release mode first \
            (swift build -c release): a debug build's figures mean nothing.

            Cases:
            \(BenchCase.allCases.map { "  \($0.name): \($0.summary)" }.joined(separator: "\n"))

            Examples:
              .build/release/linger bench                   every case, as a table
              .build/release/linger bench timewait-bytes    one case
              .build/release/linger bench --json            for machines
            """
    )

    @Argument(help: "Cases to run (default: all): \(BenchCase.allCases.map(\.name).joined(separator: ", ")).")
    var cases: [String] = []

    @Flag(help: "Print {\"machine\": ..., \"cases\": [{\"name\", \"unit\", \"linger\", \"linux\", \"ratio\"}]}.")
    var json = false

    @Option(help: "Entries or connections for the memory and timer cases.")
    var connections: Int = 1_000_000

    @Option(help: "Bytes each throughput case sends.")
    var transferBytes: Int = 1 << 30

    @Flag(inversion: .prefixedNo,
          help: "Throughput and life cycles: the in-memory link's devices offload TCP checksums, as Linux's lo does (NETIF_F_HW_CSUM).")
    var checksumOffload = true

    @Option(help: "Connection life cycles each side of lifecycles runs (at most 60,000: one port each).")
    var cycles: Int = 20000

    @Option(help: "Tests/Scripts directory for script-speed.")
    var scripts: String = "Tests/Scripts"

    @Flag(help: "script-speed: also run the scripts on the kernel backend (kernel_wall; about 10 minutes).")
    var withKernel = false

    @Flag(help: "Run even in a debug build (figures then say nothing about Linger's speed).")
    var allowDebug = false

    func validate() throws {
        for name in cases where BenchCase(rawValue: name) == nil {
            throw ValidationError(
                "unknown case '\(name)'; the cases are: \(BenchCase.allCases.map(\.name).joined(separator: ", "))")
        }
        guard connections >= 1 else { throw ValidationError("--connections must be at least 1") }
        guard transferBytes >= 1 else { throw ValidationError("--transfer-bytes must be at least 1") }
        guard (1...60000).contains(cycles) else { throw ValidationError("--cycles must be 1...60000") }
    }

    func run() throws {
        #if DEBUG
        if !allowDebug {
            ScriptFiles.printError(
                "linger bench: this is a debug build, whose figures would be meaningless; "
                    + "build with `swift build -c release` and run .build/release/linger bench "
                    + "(or pass --allow-debug to try the cases anyway)")
            throw ExitCode(2)
        }
        ScriptFiles.printError("linger bench: WARNING: debug build, figures are NOT representative")
        #endif
        let selected = cases.isEmpty ? BenchCase.allCases : cases.compactMap { BenchCase(rawValue: $0) }
        var results: [BenchResult] = []
        for benchCase in selected {
            if !json { ScriptFiles.printError("running \(benchCase.name)...") }
            results.append(measure(benchCase))
        }
        let report = BenchReport(machine: MachineDescription.current(), results: results)
        print(json ? report.json() : report.table(), terminator: json ? "\n" : "")
        // A case Linger could not measure is a failure (its note says why); a
        // missing Linux figure only means the kernel side cannot run here.
        if results.contains(where: { $0.linger == nil }) { throw ExitCode(1) }
    }

    /// One case on both sides; a side that cannot run leaves its figure out and says why.
    func measure(_ benchCase: BenchCase) -> BenchResult {
        switch benchCase {
        case .timewaitBytes:
            return footprint(benchCase, slab: "tw_sock_TCP") { () throws(BenchError) in
                try FootprintCases.timeWaitBytes(count: connections)
            }
        case .establishedBytes:
            return footprint(benchCase, slab: "TCP") { () throws(BenchError) in
                try FootprintCases.establishedBytes(count: connections)
            }
        case .timerAdvance:
            do {
                let m = try FootprintCases.timerAdvance(count: connections)
                return BenchResult(
                    benchCase, linger: m.advanceOneSecondNanoseconds, linux: nil,
                    note: "\(m.connections) connections, \(m.armedTimers) timers armed; the same second in 1 ms steps: "
                        + "\(BenchReport.figure(m.advanceInMillisecondStepsNanoseconds)) ns; one timer's "
                        + "schedule+reschedule+cancel: \(BenchReport.figure(m.timerOperationNanoseconds)) ns")
            } catch {
                return BenchResult(benchCase, linger: nil, linux: nil, note: "Linger: \(error)")
            }
        case .scriptSpeed:
            return scriptSpeed()
        case .throughputMTU1500, .throughputMTU65536:
            return throughput(benchCase, mtu: benchCase == .throughputMTU1500 ? 1500 : 65536)
        case .lifecycles:
            return lifecycles()
        }
    }

    func footprint(_ benchCase: BenchCase, slab: String,
                   _ body: () throws(BenchError) -> FootprintMeasurement) -> BenchResult {
        let linux = LinuxSlab.objectSize(slab).map(Double.init)
        var notes: [String] = []
        if linux == nil { notes.append("Linux: cannot read \(slab) from /proc/slabinfo (needs root)") }
        do {
            let m = try body()
            notes.append(
                "\(m.count) alive, built in \(BenchReport.figure(m.buildSeconds)) s; resident set grew "
                    + "\(BenchReport.figure(m.residentBytesPerEntry)) bytes each; Linux: \(slab) slab object size")
            return BenchResult(benchCase, linger: m.allocatedBytesPerEntry, linux: linux,
                               note: notes.joined(separator: "; "))
        } catch {
            notes.append("Linger: \(error)")
            return BenchResult(benchCase, linger: nil, linux: linux, note: notes.joined(separator: "; "))
        }
    }

    /// One bulk stream each side, the same bytes in the same write sizes.
    func throughput(_ benchCase: BenchCase, mtu: Int) -> BenchResult {
        var notes: [String] = []
        var linger: Double?
        do {
            let link = try InMemoryLink(mtu: mtu, checksumOffload: checksumOffload)
            let m = try link.bulkTransfer(bytes: transferBytes)
            linger = m.gigabitsPerSecond
            notes.append("Linger: \(m.bytes) bytes checked in \(m.packets) packets over a link without delay "
                         + "(\(BenchReport.figure(Double(m.virtualMicroseconds) / 1000)) ms of virtual time passed), "
                         + (checksumOffload ? "the link's devices offload TCP checksums (as lo does)" : "TCP checksums computed and verified in software"))
        } catch {
            notes.append("\(error)")
        }
        let linux: Double?
        switch LinuxLoopback.bulkTransfer(bytes: transferBytes, mtu: mtu) {
        case .success(let m): linux = m.gigabitsPerSecond
        case .failure(let error):
            linux = nil
            notes.append("Linux: \(error)")
        }
        return BenchResult(benchCase, linger: linger, linux: linux, note: notes.joined(separator: "; "))
    }

    /// Connection life cycles per second on each side.
    func lifecycles() -> BenchResult {
        var notes: [String] = []
        var linger: Double?
        do {
            let link = try InMemoryLink(mtu: 65536, sysctls: [("net.ipv4.ip_local_port_range", "1024 65535")],
                                        checksumOffload: checksumOffload)
            let ns = try link.lifecycles(cycles)
            linger = Double(cycles) * 1e9 / Double(ns)
        } catch {
            notes.append("\(error)")
        }
        let linux: Double?
        switch LinuxLoopback.lifecycles(cycles) {
        case .success(let ns): linux = Double(cycles) * 1e9 / Double(ns)
        case .failure(let error):
            linux = nil
            notes.append("Linux: \(error)")
        }
        notes.append("\(cycles) cycles each side"
                     + (checksumOffload ? "; the link's devices offload TCP checksums (as lo does)" : ""))
        return BenchResult(.lifecycles, linger: linger, linux: linux, note: notes.joined(separator: "; "))
    }

    /// Every script on the sim: wall seconds against the virtual seconds they span.
    func scriptSpeed() -> BenchResult {
        let files: [String]
        switch ScriptFiles.expand(scripts) {
        case .success(let found) where !found.isEmpty: files = found
        case .success: return BenchResult(.scriptSpeed, linger: nil, linux: nil, note: "no .pkt files under \(scripts)")
        case .failure(let problem): return BenchResult(.scriptSpeed, linger: nil, linux: nil, note: problem.message)
        }
        var wall: Int64 = 0
        var tcpTime: Int64 = 0
        // Where the wall time goes: reading and parsing, the sim's setup, the run,
        // and within the run the host commands it spawned.
        var parseTime: Int64 = 0
        var setupTime: Int64 = 0
        var runTime: Int64 = 0
        var hostTime: Int64 = 0
        var hostCommands = 0
        let selfBefore = Self.cpuSeconds(RUSAGE_SELF.rawValue), childrenBefore = Self.cpuSeconds(RUSAGE_CHILDREN.rawValue)
        var failures: [String] = []
        for path in files {
            let start = monotonicNanoseconds()
            guard let source = ScriptFiles.read(path) else {
                failures.append("\(path): unreadable")
                continue
            }
            let parsed = ScriptParser.parse(source: source, fileName: path)
            guard parsed.isSuccess,
                let configuration = try? RunConfiguration.make(
                    scriptOptions: parsed.script.options, commandLine: [], scriptPath: path)
            else {
                failures.append("\(path): does not parse")
                continue
            }
            let parsedAt = monotonicNanoseconds()
            let backend = SimBackend(
                network: configuration.network, readFile: { ScriptFiles.read($0) },
                hostCommand: { commandLine, directory in
                    let hostStart = monotonicNanoseconds()
                    defer {
                        hostTime += monotonicNanoseconds() - hostStart
                        hostCommands += 1
                    }
                    return HostShell.run(commandLine, in: directory)
                },
                inboundSegmentSize: configuration.mss)
            let virtualStart = backend.now()
            let runner = ScriptRunner(script: parsed.script, scriptPath: path, configuration: configuration,
                                      backend: backend, trace: nil)
            let setUpAt = monotonicNanoseconds()
            let result = runner.run()
            let end = monotonicNanoseconds()
            parseTime += parsedAt - start
            setupTime += setUpAt - parsedAt
            runTime += end - setUpAt
            wall += end - start
            tcpTime += backend.now() - virtualStart
            if result.verdict != .passed { failures.append("\(path): \(result.verdict)") }
        }
        let selfCPU = Self.cpuSeconds(RUSAGE_SELF.rawValue) - selfBefore
        let childrenCPU = Self.cpuSeconds(RUSAGE_CHILDREN.rawValue) - childrenBefore
        var kernelWall: Double?
        var note = "\(files.count) scripts; linux column: the TCP time they describe; CPU seconds in linger itself "
            + "\(BenchReport.figure(selfCPU)), in the host commands scripts run (shell, python3 for %{ }% blocks) "
            + "\(BenchReport.figure(childrenCPU)); wall seconds: reading and parsing \(BenchReport.figure(Double(parseTime) / 1e9)), "
            + "sim setup \(BenchReport.figure(Double(setupTime) / 1e9)), running \(BenchReport.figure(Double(runTime) / 1e9)) "
            + "of which \(hostCommands) host commands \(BenchReport.figure(Double(hostTime) / 1e9))"
        if withKernel {
            let start = monotonicNanoseconds()
            let kernelFailures = files.filter { !runOnKernel($0) }.count
            kernelWall = Double(monotonicNanoseconds() - start) / 1e9
            if kernelFailures > 0 { note += "; \(kernelFailures) did not pass on the kernel backend" }
        }
        // Timing scripts that do not pass would measure a different, shorter
        // run: Linger's figure is left out and the bench fails.
        if !failures.isEmpty {
            return BenchResult(.scriptSpeed, linger: nil, linux: Double(tcpTime) / 1e6, kernelWall: kernelWall,
                               note: "\(failures.count) of \(files.count) scripts did not pass on the sim: "
                                   + failures.prefix(5).joined(separator: ", "))
        }
        return BenchResult(.scriptSpeed, linger: Double(wall) / 1e9, linux: Double(tcpTime) / 1e6,
                           kernelWall: kernelWall, note: note)
    }

    /// User plus system CPU seconds of `who` (RUSAGE_SELF or RUSAGE_CHILDREN) so far.
    static func cpuSeconds(_ who: __rusage_who_t) -> Double {
        var usage = rusage()
        getrusage(who, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
            + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    /// One script on the kernel backend; whether it passed.
    func runOnKernel(_ path: String) -> Bool {
        guard let source = ScriptFiles.read(path) else { return false }
        let parsed = ScriptParser.parse(source: source, fileName: path)
        guard parsed.isSuccess,
            let configuration = try? RunConfiguration.make(
                scriptOptions: parsed.script.options, commandLine: [], scriptPath: path),
            let backend = try? KernelBackend(network: configuration.network)
        else { return false }
        let runner = ScriptRunner(script: parsed.script, scriptPath: path, configuration: configuration,
                                  backend: backend, trace: nil)
        return runner.run().verdict == .passed
    }
}
