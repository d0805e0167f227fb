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
            {"name": "timewait-bytes", "unit": "bytes", "linger": 128, "linux": 256, "ratio": 0.500000000}, \
            {"name": "timer-advance", "unit": "ns/virtual-s", "linger": 900.2500, "linux": null, "ratio": null}, \
            {"name": "script-speed", "unit": "s", "linger": 0.500000000, "linux": 1000, "ratio": 0.000500000, "kernel_wall": 600}]}
            """)
    }

    @Test func ratioIsLingerOverLinux() {
        #expect(BenchResult(.lifecycles, linger: 70_000, linux: 14_000).ratio == 5)
        #expect(BenchResult(.establishedBytes, linger: 1150, linux: 2300).ratio == 0.5)
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
        #expect(lines[2].hasPrefix("timewait-bytes") && lines[2].contains(" 0.3906 ")
            && lines[2].hasSuffix("Linger <= 128.0 (met)"))
        #expect(lines[3].hasPrefix("lifecycles") && lines[3].hasSuffix("-  ratio >= 5.00"))
        #expect(table.contains("timewait-bytes: n1"))
    }

    @Test func targetsFollowTheIssue() {
        #expect(BenchResult(.throughputMTU65536, linger: 22, linux: 21.8).meetsTarget == true)
        #expect(BenchResult(.throughputMTU65536, linger: 8.7, linux: 21.8).meetsTarget == false)
        #expect(BenchResult(.throughputMTU1500, linger: 8.7, linux: 21.8).meetsTarget == nil)
        #expect(BenchResult(.lifecycles, linger: 119_000, linux: 24_000).meetsTarget == false)
        #expect(BenchResult(.timewaitBytes, linger: 128, linux: nil).meetsTarget == true)
        #expect(BenchResult(.establishedBytes, linger: 1201, linux: 2304).meetsTarget == false)
        #expect(BenchResult(.timerAdvance, linger: 2600, linux: nil).meetsTarget == true)
        // 1000 times faster than TCP time: wall / TCP time at most 0.001.
        #expect(BenchResult(.scriptSpeed, linger: 0.4, linux: 485).meetsTarget == true)
        #expect(BenchResult(.scriptSpeed, linger: 32.6, linux: 485).meetsTarget == false)
        #expect(BenchResult(.scriptSpeed, linger: nil, linux: 485).meetsTarget == nil)
    }

    @Test func smallRatiosKeepTheirDigits() {
        #expect(BenchReport.ratioFigure(0.000824) == "0.000824")
        #expect(BenchReport.ratioFigure(0.5) == "0.5000")
        #expect(BenchReport.ratioFigure(nil) == "-")
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
