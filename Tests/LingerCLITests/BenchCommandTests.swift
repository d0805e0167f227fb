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
}
