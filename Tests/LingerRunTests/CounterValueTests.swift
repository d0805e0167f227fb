import Foundation
import LingerRun
import Testing

/// Reading the kernel's counter files the way nstat does, and nstat's text.
@Suite struct CounterValueTests {
    @Test func pairedAndNamedLinesBecomeNstatNames() {
        let snmp = """
            Ip: Forwarding DefaultTTL InReceives
            Ip: 1 64 12
            Tcp: RtoAlgorithm ActiveOpens CurrEstab
            Tcp: 1 3 2
            Broken: A B
            """
        let snmp6 = "Ip6InReceives                   \t5\nnot a counter line here\n"
        let netstat = "TcpExt: TW TCPAbortOnClose\nTcpExt: 4 -1\n"
        let values = CounterValue.parseProcCounters(snmp: snmp, netstat: netstat, snmp6: snmp6)
        // nstat's order (snmp, snmp6, netstat) without the constants and the gauge;
        // a header without its value line is skipped, a bad number dropped.
        #expect(values == [
            CounterValue(name: "IpInReceives", value: 12), CounterValue(name: "TcpActiveOpens", value: 3),
            CounterValue(name: "Ip6InReceives", value: 5), CounterValue(name: "TcpExtTW", value: 4),
            CounterValue(name: "TcpExtTCPAbortOnClose", value: -1),
        ])
    }

    @Test func changesKeepTheLaterOrderAndOnlyWhatMoved() {
        let before = [CounterValue(name: "A", value: 1), CounterValue(name: "B", value: 5)]
        let after = [CounterValue(name: "B", value: 5), CounterValue(name: "C", value: 2), CounterValue(name: "A", value: 4)]
        #expect(CounterValue.changes(from: before, to: after) == [
            CounterValue(name: "C", value: 2), CounterValue(name: "A", value: 3),
        ])
    }

    @Test func nstatTextPadsLikeNstat() {
        let text = CounterValue.nstatText([
            CounterValue(name: "TcpExtTCPAbortOnClose", value: 1),
            CounterValue(name: "TcpExtTCPAutoCorkingNameLongerThanThirtyTwo", value: 12345678901234567),
        ])
        #expect(text == """
            #kernel
            TcpExtTCPAbortOnClose           1                  0.0
            TcpExtTCPAutoCorkingNameLongerThanThirtyTwo12345678901234567   0.0

            """)
    }

    /// The real nstat is the oracle for names and order: reading this process's
    /// namespace files must list exactly the counters `nstat -asz` lists.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/nstat") || FileManager.default.isExecutableFile(atPath: "/sbin/nstat"),
                   "skipped: nstat (iproute2) is not installed"))
    func sameNamesInTheSameOrderAsNstat() throws {
        func read(_ name: String) -> String { (try? String(contentsOfFile: "/proc/self/net/" + name, encoding: .utf8)) ?? "" }
        let ours = CounterValue.parseProcCounters(snmp: read("snmp"), netstat: read("netstat"), snmp6: read("snmp6")).map(\.name)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "nstat -asz"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let theirs = output.split(separator: "\n").dropFirst().compactMap { $0.split(separator: " ").first.map(String.init) }
        #expect(!theirs.isEmpty)
        #expect(ours == theirs)
    }
}
