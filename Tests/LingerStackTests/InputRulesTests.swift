import LingerRun
import LingerWire
import Testing

@testable import LingerStack

/// Input rules of tcp_validate_incoming and tcp_ack whose exact bounds the
/// scenario scripts only bracket.
@Suite struct InputRulesTests {
    /// A connection with timestamps, accepted after a 100 ms handshake (so the
    /// RTO is 300 ms); 100 bytes of data (TS 1000) and a pure ACK at rcv_nxt
    /// (TS 1010, which also sets snd_wl1) have come in. Returns the harness and
    /// the stack's own TS value.
    func timestampedConnection() -> (StackHarness, UInt32) {
        let h = StackHarness()
        let lfd = h.listener()
        h.inject([.syn], seq: h.peerISS, window: 65535,
                 options: [.maximumSegmentSize(1460), .sackPermitted, .timestamps(value: 900, echoReply: 0),
                           .noOperation, .windowScale(7)])
        guard let synAck = h.packet(), let tcp = synAck.tcp else {
            Issue.record("no SYN-ACK")
            return (h, 0)
        }
        h.iss = tcp.sequenceNumber.rawValue
        var ourTS: UInt32 = 0
        for case .timestamps(let value, _) in tcp.options { ourTS = value }
        h.wait(100_000)
        h.inject([.ack], seq: h.peerISS + 1, ack: h.iss + 1, window: 514,
                 options: [.noOperation, .noOperation, .timestamps(value: 990, echoReply: ourTS)])
        #expect(h.call(.accept(fd: lfd, flags: nil)).value >= 0)
        h.inject([.ack, .psh], seq: h.peerISS + 1, ack: h.iss + 1, window: 514,
                 options: [.noOperation, .noOperation, .timestamps(value: 1000, echoReply: ourTS)],
                 payload: [UInt8](repeating: 7, count: 100))
        #expect(h.packet() != nil)
        h.inject([.ack], seq: h.peerISS + 101, ack: h.iss + 1, window: 514,
                 options: [.noOperation, .noOperation, .timestamps(value: 1010, echoReply: ourTS)])
        #expect(h.packet() == nil)
        return (h, ourTS)
    }

    /// tcp_disordered_ack_check lets a duplicate ACK through when its timestamp
    /// lags ts_recent by at most tcp_tsval_replay = icsk_rto x 1200 / HZ: 360
    /// ticks for a 300 ms RTO. (The live 6.18 kernel accepted a lag of 340 and
    /// rejected 370 in the same exchange.)
    @Test(arguments: [(UInt32(355), true), (UInt32(365), false)])
    func pawsReplayWindowIsTwelveTenthsOfTheRTO(lag: UInt32, accepted: Bool) {
        let (h, ourTS) = timestampedConnection()
        h.inject([.ack], seq: h.peerISS + 101, ack: h.iss + 1, window: 514,
                 options: [.noOperation, .noOperation, .timestamps(value: 1010 - lag, echoReply: ourTS)])
        let answer = h.packet()
        if accepted {
            #expect(answer == nil)
            #expect(h.stack.counters[.tcpExtPAWSEstab] == 0)
        } else {
            #expect(answer.map { h.relAck($0) } == 101)
            #expect(h.stack.counters[.tcpExtPAWSEstab] == 1)
        }
        #expect(h.stack.counters[.tcpExtPAWSOldAck] == 0)
    }

    /// An old pure ACK (seq below rcv_nxt) that fails PAWS is dropped without an
    /// answer and counted as PAWSOldAck, not PAWSEstab (Linux 6.15 and later).
    @Test func oldPureAckFailingPAWSIsSilent() {
        let (h, ourTS) = timestampedConnection()
        h.inject([.ack], seq: h.peerISS + 1, ack: h.iss + 1, window: 514,
                 options: [.noOperation, .noOperation, .timestamps(value: 500, echoReply: ourTS)])
        #expect(h.packet() == nil)
        #expect(h.stack.counters[.tcpExtPAWSOldAck] == 1)
        #expect(h.stack.counters[.tcpExtPAWSEstab] == 0)
    }

    /// tcp_ack on the live 6.18 kernel: an ACK of data never sent is dropped, with
    /// its payload, and answered by a challenge ACK even in ESTABLISHED; a second
    /// one within tcp_invalid_ratelimit is not answered.
    @Test func ackOfUnsentDataDrawsRateLimitedChallengeAck() {
        let h = StackHarness()
        let fd = h.acceptedConnection()
        h.inject([.ack, .psh], seq: h.peerISS + 1, ack: h.iss + 1 + 50, payload: [UInt8](repeating: 1, count: 100))
        let challenge = h.packet()
        #expect(challenge.map { h.relAck($0) } == 1)
        #expect(challenge.map { h.relSeq($0) } == 1)
        #expect(h.stack.counters[.tcpExtTCPChallengeACK] == 1)
        h.wait(100_000)
        h.inject([.ack, .psh], seq: h.peerISS + 1, ack: h.iss + 1 + 50, payload: [UInt8](repeating: 1, count: 100))
        #expect(h.packet() == nil)
        #expect(h.stack.counters[.tcpExtTCPACKSkippedChallenge] == 1)
        #expect(h.call(.ioctl(fd: fd, request: LinuxNumbers.SIOCINQ)).output == .integer(0))
    }
}
