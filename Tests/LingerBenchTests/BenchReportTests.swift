import Testing

@testable import LingerBench

@Suite struct BenchReportTests {
    @Test func caseNamesAreTheIssues() {
        #expect(BenchCase.allCases.map(\.name) == [
            "throughput-mtu1500", "throughput-mtu65536", "lifecycles", "timewait-bytes", "established-bytes",
            "timer-advance", "script-speed",
        ])
        for c in BenchCase.allCases { #expect(!c.summary.isEmpty && !c.unit.isEmpty) }
    }

    @Test func jsonHasTheIssuesShape() {
        let report = BenchReport(machine: "box \"7\"", results: [
            BenchResult(.throughputMTU65536, linger: 30, linux: 28.5),
            BenchResult(.timewaitBytes, linger: 128, linux: 256),
            BenchResult(.timerAdvance, linger: 900.25, linux: nil),
            BenchResult(.scriptSpeed, linger: 0.5, linux: 1000, kernelWall: 600),
        ])
        #expect(report.json() == """
            {"machine": "box \\"7\\"", "cases": [\
            {"name": "throughput-mtu65536", "unit": "Gbit/s", "linger": 30, "linux": 28.5000, "ratio": 1.0526}, \
            {"name": "timewait-bytes", "unit": "bytes", "linger": 128, "linux": 256, "ratio": 2}, \
            {"name": "timer-advance", "unit": "ns/virtual-s", "linger": 900.2500, "linux": null, "ratio": null}, \
            {"name": "script-speed", "unit": "s", "linger": 0.500000000, "linux": 1000, "ratio": 2000, "kernel_wall": 600}]}
            """)
    }

    @Test func ratioSaysHowMuchBetterLingerIs() {
        // Rates: Linger / Linux. Sizes and times: Linux / Linger.
        #expect(BenchResult(.lifecycles, linger: 70_000, linux: 14_000).ratio == 5)
        #expect(BenchResult(.establishedBytes, linger: 1150, linux: 2300).ratio == 2)
        #expect(BenchResult(.lifecycles, linger: nil, linux: 14_000).ratio == nil)
        #expect(BenchResult(.lifecycles, linger: 0, linux: 14_000).ratio == nil)
    }

    @Test func tableHasARowPerCase() {
        let table = BenchReport(machine: "m", results: [
            BenchResult(.timewaitBytes, linger: 100, linux: 256, note: "n1"),
            BenchResult(.lifecycles, linger: nil, linux: 14000),
        ]).table()
        let lines = table.split(separator: "\n")
        #expect(lines[0] == "machine: m")
        #expect(lines[1].hasPrefix("case"))
        #expect(lines[2].hasPrefix("timewait-bytes") && lines[2].hasSuffix("2.56x"))
        #expect(lines[3].hasPrefix("lifecycles") && lines[3].hasSuffix("-"))
        #expect(table.contains("timewait-bytes: n1"))
    }

    @Test func figuresHaveNoExponent() {
        #expect(BenchReport.figure(1234567.8) == "1234568")
        #expect(BenchReport.figure(12.345) == "12.35")
        #expect(BenchReport.figure(0.00012) == "0.0001")
        #expect(BenchReport.figure(nil) == "-")
    }

    @Test func slabinfoObjectSize() {
        let text = """
            slabinfo - version: 2.1
            # name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab> : tunables
            tw_sock_TCP          150    150    256   16    1 : tunables    0    0    0
            TCPv6                 26     26   2496   13    8 : tunables    0    0    0
            TCP                   28     28   2304   14    8 : tunables    0    0    0
            """
        #expect(LinuxSlab.objectSize("TCP", inSlabinfo: text) == 2304)
        #expect(LinuxSlab.objectSize("tw_sock_TCP", inSlabinfo: text) == 256)
        #expect(LinuxSlab.objectSize("UDP", inSlabinfo: text) == nil)
    }
}
