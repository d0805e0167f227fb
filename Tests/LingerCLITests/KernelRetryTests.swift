import Testing

/// Which kernel-backend failures are tried again: timing errors alone, never a
/// wrong packet, a wrong return value or a crash.
struct KernelRetryTests {
    static func outcome(_ status: Int32, _ errors: String) -> LingerProcess.Outcome {
        LingerProcess.Outcome(status: status, standardOutput: "", standardError: errors)
    }

    @Test func timingErrorsAloneAreRetried() {
        let late = "a.pkt:18: timing error: expected inbound packet at 0.100879 sec but happened at 0.227262 sec; tolerance 0.050000 sec\n"
        #expect(LingerProcess.failedOnTimingAlone(Self.outcome(1, late)))
        let packet = """
            a.pkt:25: error handling packet: timing error: expected outbound packet at 0.488037 sec but happened at 0.410898 sec; tolerance 0.050000 sec
            script packet:  0.488037 F. 1:1(0) ack 2
            actual packet:  0.410898 F. 1:1(0) ack 2 win 64239

            """
        #expect(LingerProcess.failedOnTimingAlone(Self.outcome(1, packet)))
    }

    @Test func otherFailuresAreNot() {
        #expect(!LingerProcess.failedOnTimingAlone(Self.outcome(0, "")))
        #expect(!LingerProcess.failedOnTimingAlone(Self.outcome(1, "")))
        let wrongPacket = """
            a.pkt:25: error handling packet: live packet field tcp_fin: expected: 1 (0x1) vs actual: 0 (0x0)
            script packet:  0.488037 F. 1:1(0) ack 2
            actual packet:  0.410898 . 1:1(0) ack 2 win 64239

            """
        #expect(!LingerProcess.failedOnTimingAlone(Self.outcome(1, wrongPacket)))
        let mixed = "a.pkt:18: timing error: expected inbound packet at 0.1 sec but happened at 0.2 sec; tolerance 0.05 sec\n"
            + "a.pkt:20: returned 0 but expected -1\n"
        #expect(!LingerProcess.failedOnTimingAlone(Self.outcome(1, mixed)))
    }
}
