import LingerRun
import LingerWire
import Testing

@Suite struct PassiveOpenTests {
    @Test func handshakeMapsSequenceNumbersBothWays() throws {
        let backend = FakeBackend()
        answerSYN(backend)
        let result = run(listenPreamble + """
        +0 < S 0:0(0) win 32792 <mss 1000,sackOK,nop,nop,nop,wscale 7>
        +0 > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 8>
        +.1 < . 1:1(0) ack 1 win 257
        +0 accept(3, ..., ...) = 4
        """, on: backend)
        #expect(result.verdict == .passed, "\(result.message ?? "")")
        try #require(backend.injected.count >= 2)
        let syn = try #require(backend.injected[0].packet.tcp)
        // The remote end is the configured remote address on the first ephemeral port.
        #expect(backend.injected[0].packet.ip.source == backend.network.remoteAddress)
        #expect(syn.sourcePort == 40_000 && syn.destinationPort == 8080)
        #expect(syn.window == 32792)
        // The ACK acknowledges the stack's live ISN 5000 + 1; its own seq is the script's ISN + 1.
        let ack = try #require(backend.injected[1].packet.tcp)
        #expect(ack.acknowledgmentNumber.rawValue == 5001)
        #expect(ack.sequenceNumber.rawValue == 1)
        #expect(backend.injected[1].time - backend.injected[0].time == 100_000)
        #expect(backend.finished)
        // At the end the connection is reset with a RST the stack accepts.
        let rst = try #require(backend.injected.last?.packet.tcp)
        #expect(rst.flags.contains(.rst) && rst.sequenceNumber.rawValue == 1 && rst.acknowledgmentNumber.rawValue == 5001)
    }

    @Test func scriptISNOtherThanZeroIsMapped() throws {
        let backend = FakeBackend()
        answerSYN(backend)
        let result = run(listenPreamble + """
        +0 < S 1000:1000(0) win 32792
        +0 > S. 0:0(0) ack 1001 <...>
        +0 < . 1:1(0) ack 1 win 257
        """, on: backend)
        #expect(result.verdict == .passed, "\(result.message ?? "")")
        let ack = try #require(backend.injected.dropFirst().first?.packet.tcp)
        #expect(ack.sequenceNumber.rawValue == 1001)
    }

    @Test func ackMismatchIsReportedInPacketdrillWords() {
        let backend = FakeBackend()
        answerSYN(backend, ack: 1)
        let result = run(listenPreamble + """
        +0 < S 0:0(0) win 32792
        +0 > S. 0:0(0) ack 2 <...>
        """, on: backend)
        #expect(result.verdict == .failed)
        #expect(result.message == """
        /tmp/scripts/script.pkt:6: error handling packet: live packet field tcp_ack_seq: expected: 2 (0x2) vs actual: 1 (0x1)
        script packet:  0.000000 S. 0:0(0) ack 2
        actual packet:  0.000000 S. 0:0(0) ack 1 win 65535 <mss 1460,nop,nop,sackOK,nop,wscale 8>
        """)
    }

    static let mismatches: [(line: String, answers: Bool, message: String)] = [
        ("+0 > S. 0:0(0) ack 1 win 100 <...>", true, "live packet field tcp_window: expected: 100 (0x64) vs actual: 65535 (0xffff)"),
        ("+0 > S 0:0(0) ack 1 <...>", true, "live packet field tcp_ack: expected: 0 (0x0) vs actual: 1 (0x1)"),
        ("+0 > R. 0:0(0) ack 1 <...>", true, "live packet field tcp_syn: expected: 0 (0x0) vs actual: 1 (0x1)"),
        ("+0 > SE. 0:0(0) ack 1 <...>", true, "live packet field tcp_ece: expected: 1 (0x1) vs actual: 0 (0x0)"),
        ("+0 > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 7>", true,
         "bad value in outbound TCP option (kind=3): expected: wscale 7 actual: wscale 8"),
        ("+0 > S. 0:0(0) ack 1 <mss 1460,sackOK,nop,nop,nop,wscale 8>", true, "bad outbound TCP options"),
        ("+0 > S. 0:0(0) ack 1", true, "live packet field ipv4_total_length: expected: 40 (0x28) vs actual: 52 (0x34)"),
        ("+0 > [ect0] S. 0:0(0) ack 1 <...>", true, "live packet field ip_ecn: expected: 2 (0x2) vs actual: 0 (0x0)"),
        ("+0 > S. 0:0(0) ack 1 <...>", false, "Timed out waiting for packet"),
        ("+0 > S. 0:10(10) ack 1 <...>", true, "live packet payload: expected 10 bytes vs actual 0 bytes"),
    ]

    @Test(arguments: 0..<mismatches.count) func outboundMismatch(_ index: Int) {
        let case_ = Self.mismatches[index]
        let backend = FakeBackend()
        if case_.answers { answerSYN(backend) }
        // A 10-byte expectation must not wait for more segments forever.
        let result = run("--strict_segments\n" + listenPreamble + "+0 < S 0:0(0) win 32792\n" + case_.line, on: backend)
        #expect(result.verdict == .failed)
        let firstLine = result.message?.split(separator: "\n").first.map(String.init)
        #expect(firstLine == "/tmp/scripts/script.pkt:7: error handling packet: " + case_.message)
    }

    @Test func nonFatalPacketTurnsMismatchIntoWarning() {
        let backend = FakeBackend()
        answerSYN(backend)
        let result = run("--non_fatal=packet\n" + listenPreamble + """
        +0 < S 0:0(0) win 32792
        +0 > S. 0:0(0) ack 1 win 1 <...>
        """, on: backend)
        #expect(result.verdict == .passed)
        #expect(result.warnings.first?.hasPrefix("/tmp/scripts/script.pkt:7: warning handling packet: live packet field tcp_window") == true)
    }

    @Test func unexpectedPacketIsSeenByTheNextExpectation() {
        let backend = FakeBackend()
        backend.onInject = { packet, backend in
            guard let tcp = packet.tcp, tcp.flags == .syn else { return }
            backend.send([.syn, .ack], seq: 5000, ack: 1, window: 65535, toPort: tcp.sourcePort)
            backend.send([.ack], seq: 5001, ack: 1, window: 65535, toPort: tcp.sourcePort, after: 10)
        }
        let result = run(listenPreamble + """
        +0 < S 0:0(0) win 32792
        +0 > S. 0:0(0) ack 1
        +0 > F. 1:1(0) ack 1
        """, on: backend)
        #expect(result.message?.hasPrefix("/tmp/scripts/script.pkt:7: error handling packet: live packet field tcp_fin: expected: 1 (0x1) vs actual: 0 (0x0)") == true)
    }

    @Test func segmentsAreAggregatedUnlessStrict() {
        func script(_ strict: Bool) -> (ScriptRunResult, FakeBackend) {
            let backend = FakeBackend()
            answerSYN(backend)
            backend.respond = { call, backend in
                if case .write = call {
                    backend.send([.ack], seq: 5001, ack: 1, window: 502, payload: 1000)
                    backend.send([.ack, .psh], seq: 6001, ack: 1, window: 502, payload: 1000)
                }
                return backend.defaultAnswer(call)
            }
            let text = (strict ? "--strict_segments\n" : "") + listenPreamble + """
            +0 < S 0:0(0) win 32792
            +0 > S. 0:0(0) ack 1 <...>
            +0 < . 1:1(0) ack 1 win 257
            +0 accept(3, ..., ...) = 4
            +0 write(4, ..., 2000) = 2000
            +0 > P. 1:2001(2000) ack 1
            """
            return (run(text, on: backend), backend)
        }
        #expect(script(false).0.verdict == .passed, "\(script(false).0.message ?? "")")
        let strict = script(true).0
        #expect(strict.message?.contains("live packet payload: expected 2000 bytes vs actual 1000 bytes") == true)
    }
}

@Suite struct OutboundPayloadTests {
    /// A script's outbound payload is zeros, as packetdrill's is: one nonzero byte
    /// anywhere in a large TSO payload fails the packet, as packetdrill's memcmp does.
    @Test(arguments: [nil, 0, 16383, 16384, 19999] as [Int?])
    func payloadMustBeZeros(nonzeroByteAt index: Int?) {
        let backend = FakeBackend()
        answerSYN(backend)
        backend.respond = { call, backend in
            if case .write = call {
                backend.send([.ack, .psh], seq: 5001, ack: 1, window: 502, payload: 20000, nonzeroByteAt: index)
            }
            return backend.defaultAnswer(call)
        }
        let result = run(listenPreamble + """
        +0 < S 0:0(0) win 32792
        +0 > S. 0:0(0) ack 1 <...>
        +0 < . 1:1(0) ack 1 win 257
        +0 accept(3, ..., ...) = 4
        +0 write(4, ..., 20000) = 20000
        +0 > P. 1:20001(20000) ack 1
        """, on: backend)
        if index == nil {
            #expect(result.verdict == .passed, "\(result.message ?? "")")
        } else {
            #expect(result.message?.hasPrefix("/tmp/scripts/script.pkt:10: error handling packet: incorrect outbound data payload") == true,
                    "\(result.message ?? "passed")")
        }
    }
}

@Suite struct ActiveOpenTests {
    @Test func connectLearnsTheLiveISNFromTheSYN() throws {
        let backend = FakeBackend()
        backend.respond = { call, backend in
            if case .connect = call {
                backend.send(.syn, seq: 7777, window: 65535, options: [.maximumSegmentSize(1460)], toPort: 8080, fromPort: 45_000)
                return .finished(CallCompletion(result: .failure(115), time: backend.clock))
            }
            return backend.defaultAnswer(call)
        }
        backend.onInject = { packet, backend in
            if packet.tcp?.flags == [.syn, .ack] {
                backend.send(.ack, seq: 7778, ack: 1001, window: 502, toPort: 8080, fromPort: 45_000)
            }
        }
        let result = run("""
        0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
        +0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0
        +0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)
        +0 > S 0:0(0) <mss 1460>
        +.05 < S. 1000:1000(0) ack 1 win 5792 <mss 1460>
        +0 > . 1:1(0) ack 1
        """, on: backend)
        #expect(result.verdict == .passed, "\(result.message ?? "")")
        let connect = try #require(backend.calls.first { if case .connect = $0.call { true } else { false } })
        #expect(connect.call == .connect(fd: 3, address: .ipv4(IPv4Address(192, 0, 2, 1), port: 8080), length: 16))
        let synAck = try #require(backend.injected.first?.packet.tcp)
        #expect(synAck.acknowledgmentNumber.rawValue == 7778)
        #expect(synAck.sequenceNumber.rawValue == 1000)
        #expect(synAck.destinationPort == 45_000)
    }
}

@Suite struct TimingTests {
    func late(_ timeSpec: String, packetAfter delay: Int64, options: String = "--tolerance_percent=0\n") -> ScriptRunResult {
        let backend = FakeBackend()
        answerSYN(backend, delay: delay)
        return run(options + listenPreamble + "+0 < S 0:0(0) win 32792\n\(timeSpec) > S. 0:0(0) ack 1 <...>", on: backend)
    }

    @Test func exactTimeWithinTolerancePasses() {
        #expect(late("+.1", packetAfter: 103_000).verdict == .passed)
    }

    @Test func lateOutboundPacketFails() {
        let result = late("+.1", packetAfter: 200_000)
        #expect(result.message?.split(separator: "\n").first == "/tmp/scripts/script.pkt:7: error handling packet: timing error: expected outbound packet at 0.100000 sec but happened at 0.200000 sec; tolerance 0.004000 sec")
    }

    @Test func tolerancePercentWidensTheWindow() {
        // 12.5 % of 0.1 s is 12.5 ms, more than the default 4 ms.
        #expect(late("+.1", packetAfter: 110_000, options: "").verdict == .passed)
        #expect(late("+.1", packetAfter: 110_000).verdict == .failed)
    }

    @Test func rangesAndStar() {
        #expect(late("+.1~+.3", packetAfter: 200_000).verdict == .passed)
        #expect(late("*", packetAfter: 9_000_000).verdict == .passed)
        let outside = late("+.1~+.3", packetAfter: 400_000)
        #expect(outside.message?.split(separator: "\n").first == "/tmp/scripts/script.pkt:7: error handling packet: timing error: expected outbound packet in relative time range +0.100000~+0.300000 sec but happened at +0.400000 sec")
        let absolute = late("0.1~0.2", packetAfter: 300_000)
        #expect(absolute.message?.split(separator: "\n").first == "/tmp/scripts/script.pkt:7: error handling packet: timing error: expected outbound packet in time range 0.100000~0.200000 sec but happened at 0.300000 sec")
    }

    @Test func consecutiveInboundPacketsAnchorOnScriptTimes() throws {
        let backend = FakeBackend()
        answerSYN(backend, delay: 30_000)
        // The SYN-ACK comes 30 ms late for "+0" only if tolerance allows; use "*".
        let result = run(listenPreamble + """
        +0 < S 0:0(0) win 32792
        * > S. 0:0(0) ack 1 <...>
        +.1 < . 1:1(0) ack 1 win 257
        +.1 < . 1:1(0) ack 1 win 257
        """, on: backend)
        #expect(result.verdict == .passed, "\(result.message ?? "")")
        let times = backend.injected.map(\.time)
        try #require(times.count >= 3)
        // The first ACK is 0.1 s after the SYN-ACK was seen; the second 0.1 s after the first's script time.
        #expect(times[1] - times[0] == 130_000)
        #expect(times[2] - times[1] == 100_000)
    }

    @Test func firstEventMustBeAtZero() {
        let result = run("1 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3", on: FakeBackend())
        #expect(result.message == "/tmp/scripts/script.pkt:1: first event should be at time 0")
    }

    @Test func missedEventTimeIsATimingError() {
        let backend = FakeBackend()
        backend.respond = { call, backend in
            backend.clock += 50_000  // every call takes 50 ms
            return backend.defaultAnswer(call)
        }
        let result = run("""
        --tolerance_percent=0
        0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
        0.01 listen(3, 1) = 0
        """, on: backend)
        #expect(result.message == "/tmp/scripts/script.pkt:3: timing error: expected system call start at 0.010000 sec but happened at 0.050000 sec; tolerance 0.004000 sec")
    }
}
