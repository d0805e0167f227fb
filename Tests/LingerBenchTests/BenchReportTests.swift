import Testing

@testable import LingerBench

@Suite struct BenchReportTests {
    @Test func caseNamesAreTheIssues() {
        #expect(BenchCase.allCases.map(\.name) == [
            "throughput-mtu1500", "throughput-mtu65536", "lifecycles", "timewait-bytes", "established-bytes",
            "timer-advance", "script-speed",
        ])
    }
}
