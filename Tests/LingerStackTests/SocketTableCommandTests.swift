import Foundation
import LingerRun
import LingerWire
import Testing

@testable import LingerStack

/// `ss` as a script's backtick command on the sim: the table as output, pipelines
/// into host text tools with their real exit statuses, ss's own errors.
@Suite struct SocketTableCommandTests {
    /// A listener on 8080 and a TIME-WAIT entry for 192.0.2.1:40000.
    static let snapshot: StackSnapshot = {
        let local = IPAddress.v4(IPv4Address(192, 168, 0, 1))
        let peer = IPAddress.v4(IPv4Address(192, 0, 2, 1))
        return StackSnapshot(time: 0, sockets: [
            SocketSnapshot(kind: .full, state: .listen, local: TCPEndpoint(local, 8080), localPort: 8080, remote: nil,
                           sendQueue: 1, congestionControl: "cubic"),
            SocketSnapshot(kind: .timeWait, state: .timeWait, local: TCPEndpoint(local, 8080), localPort: 8080,
                           remote: TCPEndpoint(peer, 40000),
                           timer: SocketTimerSnapshot(kind: .timeWait, remaining: 60_000_000, count: 0)),
        ])
    }()

    /// Runs `line` like the sim backend does, with the host's /bin/sh for text tools
    /// unless `host` is false.
    func run(_ line: String, host: Bool = true) throws(SysctlCommandError) -> SysctlCommandResult {
        var sysctls = Sysctls()
        let environment = SysctlCommandEnvironment(
            directory: "/tmp", readFile: { _ in nil }, snapshot: { Self.snapshot },
            hostShell: host ? { HostShell.run($0, in: "/tmp") } : nil)
        return try SysctlCommands.run(line, sysctls: &sysctls, environment: environment)
    }

    @Test func ssAloneOutputsTheTable() throws {
        let result = try run("ss -tan")
        #expect(result.exitStatus == 0)
        #expect(result.output ==
            "State     Recv-Q Send-Q Local Address:Port Peer Address:Port Process\n"
            + "LISTEN    0      1        192.168.0.1:8080      0.0.0.0:*           \n"
            + "TIME-WAIT 0      0        192.168.0.1:8080    192.0.2.1:40000       \n")
        #expect(try run("ss -tan > /dev/null").output.isEmpty)
    }

    @Test func grepDecidesThePipelinesStatus() throws {
        #expect(try run("ss -tan state time-wait | grep -q 8080").exitStatus == 0)
        #expect(try run("ss -tan state time-wait | grep -q 9090").exitStatus == 1)
        // Without -a or a state, TIME-WAIT is not listed.
        #expect(try run("ss -tn | grep -q TIME-WAIT").exitStatus == 1)
        // Regular expressions and several stages, as the host's grep reads them.
        #expect(try run("ss -tano | grep -E 'timer:\\(timewait,1min,0\\)' | grep -q 40000").exitStatus == 0)
        #expect(try run("ss -tan state time-wait | grep -q 8080 && exit 3").exitStatus == 3)
    }

    @Test func textToolsPrintTheirOutput() throws {
        let count = try run("ss -tanH | wc -l")
        #expect(count.exitStatus == 0)
        #expect(count.output.trimmingCharacters(in: .whitespacesAndNewlines) == "2")
        let ports = try run("ss -tanH | awk '{print $4}' | sort -u")
        #expect(ports.output == "192.168.0.1:8080\n")
        // A quote in a pattern reaches grep intact.
        #expect(try run("ss -tan | grep -q \"it's\"").exitStatus == 1)
    }

    @Test func redirectionIntoAFileWritesOnTheHost() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("linger-ss-\(getpid()).txt").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try run("ss -tan state listening > '\(path)'").exitStatus == 0)
        let written = try String(contentsOfFile: path, encoding: .utf8)
        #expect(written.hasPrefix("Recv-Q Send-Q Local Address:Port"))
        #expect(written.contains("192.168.0.1:8080"))
    }

    @Test func withoutAHostShellOnlyGrepAndWcStagesWork() throws {
        #expect(try run("ss -tan state time-wait | grep -q 8080", host: false).exitStatus == 0)
        #expect(try run("ss -tan state time-wait | grep -q 9090", host: false).exitStatus == 1)
        #expect(try run("ss -tan | wc -l", host: false).output == "3\n")
        #expect(try run("ss -tan | grep 8080 >/dev/null 2>/dev/null", host: false).exitStatus == 0)
        #expect(throws: SysctlCommandError.self) { try run("ss -tan | awk '{print $1}'", host: false) }
        #expect(throws: SysctlCommandError.self) { try run("ss -tan | grep 8080 > /tmp/linger-not-written", host: false) }
    }

    @Test func ssErrorsAreSsErrors() throws {
        // ss rejects the line: its message and exit status (255); a pipeline's
        // status is still the last stage's, which sees no input.
        let bad = try run("ss -q")
        #expect(bad.exitStatus == 255)
        #expect(bad.output == "ss: invalid option -- 'q'\n")
        #expect(try run("ss -q | grep -q .").exitStatus == 1)
        // Valid ss the sim does not model, and commands that are not text tools:
        // the run stops with a message naming them.
        #expect(throws: SysctlCommandError.self) { try run("ss -tm") }
        #expect(throws: SysctlCommandError.self) { try run("ss -tan | python3 -c 'print(1)'") }
        #expect(throws: SysctlCommandError.self) { try run("netstat -tan") }
    }

    @Test func nstatPipesIntoHostTools() throws {
        var sysctls = Sysctls()
        let environment = SysctlCommandEnvironment(
            directory: "/tmp", readFile: { _ in nil },
            counters: { _, _ in [("TcpActiveOpens", 2), ("TcpPassiveOpens", 0)] },
            hostShell: { HostShell.run($0, in: "/tmp") })
        let lines = try SysctlCommands.run("nstat -a | wc -l", sysctls: &sysctls, environment: environment)
        // "#kernel" and one counter: nstat leaves out zeros.
        #expect(lines.output.trimmingCharacters(in: .whitespacesAndNewlines) == "2")
        let found = try SysctlCommands.run("nstat -a | grep -q '^TcpActiveOpens  *2 '", sysctls: &sysctls,
                                           environment: environment)
        #expect(found.exitStatus == 0)
    }
}
