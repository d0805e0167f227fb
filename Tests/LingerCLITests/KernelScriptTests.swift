import Foundation
import Testing

/// Every scenario script in Tests/Scripts, run on the live kernel through `linger run
/// --backend kernel`: the kernel is the judge, so each must pass there.
@Suite("Tests/Scripts on the kernel backend", .serialized)
struct KernelScriptTests {
    /// Why the kernel backend cannot run here, or nil when it can.
    static let unavailableReason: String? = {
        if getuid() != 0 { return "the kernel backend needs root" }
        if access("/dev/net/tun", R_OK | W_OK) != 0 { return "no /dev/net/tun" }
        return nil
    }()

    /// The .pkt files of Tests/Scripts, by name.
    static let scripts: [String] = {
        let folder = LingerProcess.repositoryRoot.appendingPathComponent("Tests/Scripts")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { $0.hasSuffix(".pkt") }.sorted()
    }()

    @Test func thereAreScenarioScripts() {
        #expect(Self.scripts.count >= 20)
    }

    @Test(
        .enabled(if: unavailableReason == nil, "skipped: \(unavailableReason ?? "")"),
        .timeLimit(.minutes(5)),
        arguments: scripts)
    func passesOnTheKernel(script: String) throws {
        let outcome = try LingerProcess.runOnKernel(["run", "--backend", "kernel", "--nstat", "Tests/Scripts/\(script)"])
        #expect(outcome.status == 0, "\(script) failed on the kernel:\n\(outcome.standardError)")
        // Our scripts use the real descriptor numbers and draw no warnings.
        #expect(outcome.standardError.isEmpty, "\(script): \(outcome.standardError)")
        guard outcome.status == 0 else { return }
        // The kernel's counters (read from the namespace's /proc/net files) are the
        // oracle for the sim's: the same script must move the same counters by the
        // same amounts.
        let sim = try LingerProcess.run(["run", "--nstat", "Tests/Scripts/\(script)"])
        #expect(sim.status == 0, "\(script) failed on the sim:\n\(sim.standardError)")
        #expect(sim.standardOutput == outcome.standardOutput,
                "\(script): counters differ\n--- sim\n\(sim.standardOutput)--- kernel\n\(outcome.standardOutput)")
        #expect(outcome.standardOutput.hasPrefix("#kernel\n"))
    }
}

/// The private namespace a kernel run makes must not outlive the run, also when the
/// run is interrupted.
@Suite("Kernel backend cleanup")
struct KernelCleanupTests {
    /// The network namespaces (by inode) that some thread of `pid` is in.
    static func namespaces(ofProcess pid: Int32) -> Set<String> {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        return Set(tasks.compactMap { try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/task/\($0)/ns/net") })
    }

    /// Every network namespace some thread on the machine is in.
    static func allNamespaces() -> Set<String> {
        let processes = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        var found: Set<String> = []
        for entry in processes where Int32(entry) != nil {
            found.formUnion(namespaces(ofProcess: Int32(entry) ?? 0))
        }
        return found
    }

    @Test(.enabled(if: KernelScriptTests.unavailableReason == nil, "skipped: \(KernelScriptTests.unavailableReason ?? "")"))
    func interruptedRunLeavesNoNamespace() async throws {
        let process = Process()
        process.executableURL = LingerProcess.executable
        process.arguments = ["run", "--backend", "kernel", "Tests/Scripts/close-wait-persists.pkt"]
        process.currentDirectoryURL = LingerProcess.repositoryRoot
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let hostNamespace = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/net")
        // Wait until the run's private namespace exists (its setup takes milliseconds).
        var privateNamespaces: Set<String> = []
        for _ in 0..<100 where privateNamespaces.isEmpty {
            try await Task.sleep(for: .milliseconds(20))
            privateNamespaces = Self.namespaces(ofProcess: process.processIdentifier).subtracting([hostNamespace])
        }
        try #require(!privateNamespaces.isEmpty, "the run never entered a private namespace")
        #expect(process.isRunning, "the 30-second script ended early")
        // SIGTERM: the test runner passes SIGINT on as ignored, which a CLI rightly keeps.
        process.terminate()
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)
        #expect(Self.allNamespaces().isDisjoint(with: privateNamespaces))
    }
}
