import Foundation
import Testing

/// `linger bench`'s command line. The tests run the debug build, which refuses
/// to measure unless told to; no test asserts a measured figure.
@Suite struct BenchCommandTests {
    @Test func helpDescribesEveryCase() throws {
        let outcome = try LingerProcess.run(["bench", "--help"])
        #expect(outcome.status == 0)
        for name in ["throughput-mtu1500", "throughput-mtu65536", "lifecycles", "timewait-bytes", "established-bytes",
                     "timer-advance", "script-speed"] {
            #expect(outcome.standardOutput.contains("\(name): "), "no description of \(name)")
        }
    }

    @Test func unknownCaseIsRefusedWithTheList() throws {
        let outcome = try LingerProcess.run(["bench", "timewait"])
        #expect(outcome.status != 0)
        #expect(outcome.standardError.contains("unknown case 'timewait'"))
        #expect(outcome.standardError.contains("timewait-bytes"))
    }

    #if DEBUG
    @Test func debugBuildRefusesToMeasure() throws {
        let outcome = try LingerProcess.run(["bench", "timewait-bytes"])
        #expect(outcome.status == 2)
        #expect(outcome.standardError.contains("debug build"))
        #expect(outcome.standardOutput.isEmpty)
    }
    #endif

    @Test func jsonOfOneSmallCase() throws {
        let outcome = try LingerProcess.run(["bench", "--allow-debug", "--json", "--connections", "200", "timewait-bytes"])
        #expect(outcome.status == 0)
        let text = outcome.standardOutput
        #expect(text.hasPrefix("{\"machine\": \""))
        #expect(text.contains("\"cases\": [{\"name\": \"timewait-bytes\", \"unit\": \"bytes\", \"linger\": "))
        #expect(text.contains("\"ratio\": "))
        #expect(text.hasSuffix("}]}\n"))
    }

    /// Scripts that fail are not timed: script-speed leaves Linger's figure out,
    /// names the failures and the bench exits 1.
    @Test func scriptSpeedFailsWhenAScriptFails() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("linger-bench-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 close(3) = 0\n"
            .write(to: folder.appendingPathComponent("passes.pkt"), atomically: true, encoding: .utf8)
        try "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 close(3) = -1 EBADF (Bad file descriptor)\n"
            .write(to: folder.appendingPathComponent("fails.pkt"), atomically: true, encoding: .utf8)
        let outcome = try LingerProcess.run(["bench", "--allow-debug", "--json", "script-speed", "--scripts", folder.path])
        #expect(outcome.status == 1)
        #expect(outcome.standardOutput.contains("\"name\": \"script-speed\", \"unit\": \"s\", \"linger\": null"),
                "\(outcome.standardOutput)")
        let table = try LingerProcess.run(["bench", "--allow-debug", "script-speed", "--scripts", folder.path])
        #expect(table.status == 1)
        #expect(table.standardOutput.contains("1 of 2 scripts did not pass on the sim"), "\(table.standardOutput)")
        #expect(table.standardOutput.contains("fails.pkt"))
    }
}
