import Foundation
import Testing

@Suite("linger parse and linger decode")
struct ParseAndDecodeCommandTests {
    /// The README's first command: every scenario script in the repository parses.
    @Test func parsesTheScenarioScripts() throws {
        let scripts = try FileManager.default.contentsOfDirectory(atPath: "Tests/Scripts", relativeTo: LingerProcess.repositoryRoot)
            .filter { $0.hasSuffix(".pkt") }
        try #require(!scripts.isEmpty)
        let outcome = try LingerProcess.run(["parse", "--quiet", "Tests/Scripts"])
        #expect(outcome.status == 0, "\(outcome.standardError)")
        #expect(outcome.standardOutput.contains("parsed \(scripts.count) scripts: \(scripts.count) ok, 0 with errors"))
    }

    @Test func normalizedOutputParsesAgainToTheSameText() throws {
        let first = try LingerProcess.run(["parse", "Tests/Scripts/close-unread-data-rst.pkt"])
        #expect(first.status == 0)
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("linger-normalized-\(getpid()).pkt")
        defer { try? FileManager.default.removeItem(at: copy) }
        try first.standardOutput.write(to: copy, atomically: true, encoding: .utf8)
        let second = try LingerProcess.run(["parse", copy.path])
        #expect(second.status == 0)
        #expect(second.standardOutput == first.standardOutput)
    }

    @Test func brokenScriptReportsFileLineColumnAndFails() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("linger-broken-\(getpid()).pkt")
        defer { try? FileManager.default.removeItem(at: file) }
        try "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 bind(3, ..., ...\n+0 listen(3, 1) = 0\n"
            .write(to: file, atomically: true, encoding: .utf8)
        let outcome = try LingerProcess.run(["parse", file.path])
        #expect(outcome.status == 1)
        #expect(outcome.standardError.contains("\(file.path):2:"))
        #expect(outcome.standardError.contains("expected"))
    }

    @Test func missingFileIsAClearError() throws {
        let outcome = try LingerProcess.run(["parse", "/nonexistent/linger.pkt"])
        #expect(outcome.status != 0)
        #expect(outcome.standardError.contains("/nonexistent/linger.pkt"))
    }

    /// A SYN the kernel would send, as tcpdump -nn prints it.
    @Test func decodesHexIntoTcpdumpAndPacketdrillLines() throws {
        let syn = "4500003c1c4640004006b1e6c0000201c0a80001d4aa1f900000000000000000a0027fd8e9ee0000020403e80402080a000000000000000001030307"
        let outcome = try LingerProcess.run(["decode", "--packetdrill", syn])
        #expect(outcome.status == 0, "\(outcome.standardError)")
        let lines = outcome.standardOutput.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(lines.first == "IP 192.0.2.1.54442 > 192.168.0.1.8080: Flags [S], seq 0, win 32728, options [mss 1000,sackOK,TS val 0 ecr 0,nop,wscale 7], length 0")
        #expect(lines.dropFirst().first?.hasSuffix("S 0:0(0) win 32728 <mss 1000,sackOK,TS val 0 ecr 0,nop,wscale 7>") == true)
    }

    @Test func truncatedPacketFailsNamingWhy() throws {
        let outcome = try LingerProcess.run(["decode"], input: "45 00 00 3c 1c 46\n")
        #expect(outcome.status == 1)
        #expect(outcome.standardError.contains("truncated IPv4 header"))
    }
}

extension FileManager {
    fileprivate func contentsOfDirectory(atPath path: String, relativeTo root: URL) throws -> [String] {
        try contentsOfDirectory(atPath: root.appendingPathComponent(path).path)
    }
}

@Suite("linger run on the sim backend")
struct SimRunCommandTests {
    /// The README's first command: the scenario scripts on Linger's own stack, the default backend.
    @Test func scenarioScriptsPassOnTheDefaultBackend() throws {
        let outcome = try LingerProcess.run(["run", "Tests/Scripts"])
        #expect(outcome.status == 0, "\(outcome.standardError)")
        #expect(outcome.standardOutput.hasSuffix(" passed, 0 failed\n"))
        #expect(outcome.standardError.isEmpty, "\(outcome.standardError)")
    }

    @Test func aFailingScriptSaysWhereAndExitsOne() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("linger-wrong-\(getpid()).pkt")
        defer { try? FileManager.default.removeItem(at: file) }
        // The stack answers a SYN with a SYN-ACK, not with a RST.
        try """
            0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
            +0 bind(3, ..., ...) = 0
            +0 listen(3, 1) = 0
            +0 < S 0:0(0) win 65535 <mss 1460>
            +0 > R 0:0(0)
            """.write(to: file, atomically: true, encoding: .utf8)
        let outcome = try LingerProcess.run(["run", file.path])
        #expect(outcome.status == 1)
        #expect(outcome.standardError.hasPrefix("\(file.path):5: "), "\(outcome.standardError)")
    }

    @Test func unknownSystemCallFailsBeforeTheScriptRuns() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("linger-typo-\(getpid()).pkt")
        defer { try? FileManager.default.removeItem(at: file) }
        try "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+10000 clsoe(3) = 0\n".write(to: file, atomically: true, encoding: .utf8)
        let outcome = try LingerProcess.run(["run", file.path])
        #expect(outcome.status == 1)
        #expect(outcome.standardError.contains("Unknown system call: 'clsoe'"))
    }
}
