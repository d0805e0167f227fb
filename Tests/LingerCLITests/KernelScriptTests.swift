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
        .timeLimit(.minutes(3)),
        arguments: scripts)
    func passesOnTheKernel(script: String) throws {
        let outcome = try LingerProcess.run(["run", "--backend", "kernel", "Tests/Scripts/\(script)"])
        #expect(outcome.status == 0, "\(script) failed on the kernel:\n\(outcome.standardError)")
    }
}
