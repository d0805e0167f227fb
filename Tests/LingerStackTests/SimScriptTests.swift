import Foundation
import LingerRun
import LingerScript
import LingerStack
import Testing

/// Runs a script file on the sim backend through LingerRun's runner, evaluating
/// `%{ }%` code blocks outside the in-process subset with the host's python3, as
/// the kernel backend does.
func runOnSim(_ path: String, seed: UInt64 = 1, trace: ((RunTraceEntry) -> Void)? = nil) -> ScriptRunResult {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
        return ScriptRunResult(verdict: .failed, message: "cannot read \(path)")
    }
    let parsed = ScriptParser.parse(source: text, fileName: path)
    guard parsed.isSuccess else {
        return ScriptRunResult(verdict: .failed, message: parsed.diagnostics.map(\.description).joined(separator: "\n"))
    }
    let configuration: RunConfiguration
    do {
        configuration = try RunConfiguration.make(scriptOptions: parsed.script.options, scriptPath: path)
    } catch {
        return ScriptRunResult(verdict: error.kind == .unsupported ? .unsupported : .failed, message: error.message)
    }
    let backend = SimBackend(network: configuration.network, seed: seed,
                             readFile: { try? String(contentsOfFile: $0, encoding: .utf8) },
                             hostCommand: runOnHost, inboundSegmentSize: configuration.mss)
    return ScriptRunner(script: parsed.script, scriptPath: path, configuration: configuration, backend: backend,
                        trace: trace).run()
}

/// /bin/sh -c on the host, for the runner's code-block evaluation.
func runOnHost(_ commandLine: String, _ directory: String) -> CommandOutcome {
    HostShell.run(commandLine, in: directory)
}

/// The repository's Tests/Scripts directory.
let scenarioDirectory = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Scripts").path

/// Every scenario script, by file name.
let scenarioScripts: [String] = ((try? FileManager.default.contentsOfDirectory(atPath: scenarioDirectory)) ?? [])
    .filter { $0.hasSuffix(".pkt") }.sorted()

/// Every script in Tests/Scripts passes on the sim backend; a failure names the
/// script and carries the runner's message.
@Suite("Tests/Scripts on the sim backend")
struct SimScriptTests {
    @Test func thereAreScenarioScripts() {
        #expect(scenarioScripts.count >= 20)
    }

    @Test(arguments: scenarioScripts)
    func scenarioPassesOnTheSim(_ script: String) {
        let result = runOnSim(scenarioDirectory + "/" + script)
        #expect(result.verdict == .passed, "\(script): \(result.message ?? "")")
        #expect(result.warnings.allSatisfy { !$0.contains("skipped") }, "\(script): \(result.warnings)")
    }

    @Test func sameScriptSameRunByteForByte() {
        let path = scenarioDirectory + "/active-close-four-way.pkt"
        var first: [String] = []
        var second: [String] = []
        _ = runOnSim(path) { first.append("\($0.time) \($0.text)") }
        _ = runOnSim(path) { second.append("\($0.time) \($0.text)") }
        #expect(!first.isEmpty)
        #expect(first == second)
    }

    @Test func aDifferentSeedChangesSequenceNumbersButNotTheVerdict() {
        let path = scenarioDirectory + "/active-close-four-way.pkt"
        var first: [String] = []
        var second: [String] = []
        let a = runOnSim(path, seed: 1) { first.append($0.text) }
        let b = runOnSim(path, seed: 2) { second.append($0.text) }
        #expect(a.verdict == .passed)
        #expect(b.verdict == .passed)
        #expect(first != second)
    }

    @Test func hoursOfVirtualTimeRunAtOnce() throws {
        // CLOSE_WAIT for 10,000 s: virtual time jumps straight there.
        let text = """
            --tolerance_usecs=50000
                0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
               +0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
               +0 bind(3, ..., ...) = 0
               +0 listen(3, 1) = 0
              +.1 < S 0:0(0) win 65535 <mss 1460,sackOK,nop,nop>
               +0 > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK>
              +.1 < . 1:1(0) ack 1 win 65535
               +0 accept(3, ..., ...) = 4
              +.1 < F. 1:1(0) ack 1 win 65535
               +0 > . 1:1(0) ack 2
            +10000 close(4) = 0
               +0 > F. 1:1(0) ack 2
              +.1 < . 2:2(0) ack 2 win 65535
            """
        let path = NSTemporaryDirectory() + "linger-long-wait-\(getpid()).pkt"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = runOnSim(path)
        #expect(result.verdict == .passed, "\(result.message ?? "")")
    }
}
