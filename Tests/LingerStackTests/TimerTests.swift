import LingerRun
import LingerWire
import Testing

@testable import LingerStack

/// Retransmission timing: RTO from the RTT (RFC 6298 as Linux scales it),
/// the tail loss probe first, then exponential backoff; keepalive.
@Suite struct TimerTests {
    @Test func rtoAfterAHundredMillisecondHandshakeIsThreeHundred() throws {
        let h = StackHarness()
        let fd = h.acceptedConnection()
        // srtt = 100 ms, rttvar = max(2 x 100 ms, 200 ms): RTO 300 ms. The live kernel
        // (HZ=250) reported tcpi_rto 304000 for a 100.1 ms handshake.
        #expect(h.tcpInfoField(fd, offset: 8) == 300_000)
        #expect(h.tcpInfoField(fd, offset: 68) == 100_000)
    }

    @Test func unacknowledgedDataGetsALossProbeThenBackedOffRetransmissions() throws {
        let h = StackHarness()
        let fd = h.acceptedConnection()
        h.call(.write(fd: fd, data: .bytes(Array(repeating: 1, count: 1000))))
        let (first, sent) = try #require(h.nextPacket(within: 1000))
        #expect(first.payload.count == 1000)
        var times: [Int64] = []
        for _ in 0..<3 {
            guard let (p, t) = h.nextPacket(within: 10_000_000) else { break }
            #expect(h.relSeq(p) == 1)
            times.append(t - sent)
        }
        // The kernel sent them at about 0.32, 0.64 and 1.28 s (HZ=250): the TLP at
        // min(2 x srtt + 200 ms, RTO) = 300 ms, the RTO 300 ms after it, then doubled.
        #expect(times == [300_000, 600_000, 1_200_000])
        #expect(h.tcpInfoField(fd, offset: 8) == 1_200_000)
        #expect(h.stack.counters[.tcpExtTCPLossProbes] == 1)
        #expect(h.stack.counters[.tcpExtTCPTimeouts] == 2)
    }

    @Test func keepaliveProbesAnIdleConnectionAndResetsWhenUnanswered() throws {
        let h = StackHarness()
        let fd = h.acceptedConnection()
        h.call(.setsockopt(fd: fd, level: LinuxNumbers.SOL_SOCKET, name: LinuxNumbers.SO_KEEPALIVE, value: h.int(1), length: 4))
        h.call(.setsockopt(fd: fd, level: LinuxNumbers.SOL_TCP, name: 4, value: h.int(1), length: 4))  // TCP_KEEPIDLE
        h.call(.setsockopt(fd: fd, level: LinuxNumbers.SOL_TCP, name: 5, value: h.int(1), length: 4))  // TCP_KEEPINTVL
        h.call(.setsockopt(fd: fd, level: LinuxNumbers.SOL_TCP, name: 6, value: h.int(2), length: 4))  // TCP_KEEPCNT
        let start = h.stack.now
        var seen: [(Int64, TCPFlags, Int64)] = []
        while let (p, t) = h.nextPacket(within: 5_000_000) {
            seen.append((t - start, p.tcp?.flags ?? [], h.relSeq(p)))
        }
        // Probes are bare ACKs at snd_una - 1; after KEEPCNT unanswered ones, a RST.
        #expect(seen.map(\.0) == [1_000_000, 2_000_000, 3_000_000])
        #expect(seen.map(\.1) == [[.ack], [.ack], [.rst, .ack]])
        #expect(seen.map(\.2) == [0, 0, 1])
        let err = h.call(.getsockopt(fd: fd, level: LinuxNumbers.SOL_SOCKET, name: LinuxNumbers.SO_ERROR, length: 4))
        #expect(err.output == .option(h.int(LinuxNumbers.ETIMEDOUT)))
        #expect(h.stack.counters[.tcpExtTCPAbortOnTimeout] == 1)
    }
}
