import Foundation
import Testing

/// `linger run --trace` and `--html` through the command line, on both backends.
@Suite("linger run --trace", .serialized)
struct TraceCommandTests {
    @Test func simTraceHasReasonsAndCounters() throws {
        let outcome = try LingerProcess.run(["run", "--trace", "Tests/Scripts/close-unread-data-rst.pkt"])
        #expect(outcome.status == 0, "\(outcome.standardError)")
        let text = outcome.standardOutput
        #expect(text.contains("RST: close() with 600 unread bytes -> tcp_close sends an active reset (RFC 2525 2.17)"))
        #expect(text.contains("TcpExtTCPAbortOnClose +1"))
        #expect(text.contains("state ESTABLISHED -> CLOSE"))
        #expect(text.contains("close(4) = 0"))
    }

    @Test(
        .enabled(if: KernelScriptTests.unavailableReason == nil, "skipped: \(KernelScriptTests.unavailableReason ?? "")"),
        .timeLimit(.minutes(2)))
    func kernelTraceHasPacketsAndCalls() throws {
        let outcome = try LingerProcess.runOnKernel(["run", "--backend", "kernel", "--trace", "Tests/Scripts/close-unread-data-rst.pkt"])
        #expect(outcome.status == 0, "\(outcome.standardError)")
        let lines = outcome.standardOutput.split(separator: "\n")
        // The script's 4 inbound packets plus the runner's closing RST; the kernel's SYN-ACK, data, ACK and two RSTs.
        #expect(lines.filter { $0.contains(" < IP 192.0.2.1.") }.count == 5)
        #expect(lines.filter { $0.contains(" > IP 192.168.0.1.8080") }.count == 5)
        #expect(lines.contains { $0.contains("Flags [R.], seq 301, ack 1001") })
        #expect(lines.contains { $0.contains("read(4, ..., 400) = 400") })
        #expect(lines.contains { $0.contains("close(4) = 0") })
        // The kernel does not say why: no reasons, no state lines.
        #expect(!lines.contains { $0.contains("state ") || $0.contains("tcp_close") })
    }

    @Test func htmlReportIsWritten() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("linger-report-\(getpid()).html").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let outcome = try LingerProcess.run(["run", "--html", path, "Tests/Scripts/linger-zero-close-rst.pkt"])
        #expect(outcome.status == 0, "\(outcome.standardError)")
        let page = try String(contentsOfFile: path, encoding: .utf8)
        #expect(page.hasPrefix("<!DOCTYPE html>"))
        #expect(page.contains("SO_LINGER {1, 0}"))
    }
}
