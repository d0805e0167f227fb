import LingerRun
import LingerWire
import Testing

@testable import LingerStack

/// The three-way handshake both ways. Expected option layouts, windows and
/// timings are what the live kernel sent to the same segments (packetdrill on
/// Linux 6.18, fresh namespace, default sysctls).
@Suite struct HandshakeTests {
    @Test func listenerAnswersSynWithMssAndSackPermitted() throws {
        let h = StackHarness()
        _ = h.listener()
        h.inject([.syn], seq: h.peerISS, options: [.maximumSegmentSize(1460), .sackPermitted, .noOperation, .noOperation])
        let synAck = try #require(h.packet())
        let tcp = try #require(synAck.tcp)
        #expect(tcp.flags == [.syn, .ack])
        #expect(tcp.acknowledgmentNumber.rawValue == h.peerISS + 1)
        // Linux: <mss 1460,nop,nop,sackOK>, window 64240 (tcp_rmem 131072 halved, in MSS units).
        #expect(tcp.options == [.maximumSegmentSize(1460), .noOperation, .noOperation, .sackPermitted])
        #expect(tcp.window == 64240)
    }

    @Test func synAckCarriesTimestampsAndWindowScaleInLinuxOrder() throws {
        let h = StackHarness()
        _ = h.listener()
        h.inject([.syn], seq: h.peerISS, window: 32792,
                 options: [.maximumSegmentSize(1460), .sackPermitted, .timestamps(value: 100, echoReply: 0),
                           .noOperation, .windowScale(7)])
        let tcp = try #require(h.packet()?.tcp)
        // Linux: <mss 1460,sackOK,TS val x ecr 100,nop,wscale 10>, window 65160.
        #expect(tcp.options.count == 5)
        #expect(tcp.options.first == .maximumSegmentSize(1460))
        #expect(tcp.options.dropFirst().first == .sackPermitted)
        guard case .timestamps(_, let echo)? = tcp.options.dropFirst(2).first else {
            Issue.record("no timestamps in \(tcp.options)")
            return
        }
        #expect(echo == 100)
        #expect(Array(tcp.options.suffix(2)) == [.noOperation, .windowScale(10)])
        #expect(tcp.window == 65160)
    }

    @Test func ipv6SynAckAnnouncesTheIPv6Mss() throws {
        let h = StackHarness(ipv6: true)
        _ = h.listener()
        h.inject([.syn], seq: h.peerISS, options: [.maximumSegmentSize(1440)])
        let synAck = try #require(h.packet())
        if case .v6 = synAck.ip {} else { Issue.record("not an IPv6 packet") }
        // MTU 1500 minus a 40-byte IPv6 header and a 20-byte TCP header.
        #expect(synAck.tcp?.mss == 1440)
    }

    @Test func synAckIsRetransmittedWithDoublingIntervals() throws {
        let h = StackHarness()
        _ = h.listener()
        h.inject([.syn], seq: h.peerISS, options: [.maximumSegmentSize(1460)])
        let first = try #require(h.nextPacket(within: 1000))
        var times: [Int64] = []
        while let (p, t) = h.nextPacket(within: 100_000_000) {
            #expect(p.tcp?.flags == [.syn, .ack])
            times.append(t - first.1)
        }
        // TCP_TIMEOUT_INIT doubling, tcp_synack_retries = 5 retransmissions.
        #expect(times == [1_000_000, 3_000_000, 7_000_000, 15_000_000, 31_000_000])
        // The request is gone afterwards: its ACK now finds no socket... but a
        // listener is still there, so the bare ACK is answered with a reset.
        h.inject([.ack], seq: h.peerISS + 1, ack: first.0.tcp.map { $0.sequenceNumber.rawValue + 1 } ?? 0)
        #expect(h.packet()?.tcp?.flags == [.rst])
    }

    @Test func completedHandshakeWaitsInTheAcceptQueue() throws {
        let h = StackHarness()
        let fd = h.acceptedConnection()
        #expect(fd == 4)
        #expect(h.tcpState(fd) == LinuxNumbers.TCP_ESTABLISHED)
        // Nothing is sent for the handshake's final ACK.
        #expect(h.packet() == nil)
    }

    @Test func blockingAcceptReturnsWhenTheHandshakeCompletes() throws {
        let h = StackHarness()
        let lfd = h.listener()
        let blocked = try #require(h.blockingCall(.accept(fd: lfd, flags: nil)))
        #expect(blocked.poll() == nil)
        h.inject([.syn], seq: h.peerISS, options: [.maximumSegmentSize(1460)])
        let synAck = try #require(h.packet())
        h.inject([.ack], seq: h.peerISS + 1, ack: (synAck.tcp?.sequenceNumber.rawValue ?? 0) &+ 1)
        let result = try #require(blocked.poll())
        #expect(result.value == 4)
    }

    @Test func connectSendsSynWithLinuxOptionsAndCompletes() throws {
        let h = StackHarness()
        let fd = Int32(h.call(.socket(domain: h.family, type: 1, protocol: 6)).value)
        let blocked = try #require(h.blockingCall(.connect(fd: fd, address: h.remoteSocketAddress, length: 16)))
        let syn = try #require(h.packet()?.tcp)
        #expect(syn.flags == [.syn])
        // Linux: <mss 1460,sackOK,TS val x ecr 0,nop,wscale 10>, window 64240.
        #expect(syn.options.first == .maximumSegmentSize(1460))
        #expect(syn.options.dropFirst().first == .sackPermitted)
        #expect(Array(syn.options.suffix(2)) == [.noOperation, .windowScale(10)])
        #expect(syn.window == 64240)
        h.iss = syn.sequenceNumber.rawValue
        h.remotePort = 8080
        // The stack's port is ephemeral: answer to it.
        let stackPort = syn.sourcePort
        let synAck = Packet.tcp(from: h.remote, 8080, to: h.local, stackPort, flags: [.syn, .ack], seq: h.peerISS,
                                ack: h.iss + 1, window: 65535, options: [.maximumSegmentSize(1460)])
        h.wait(50_000)
        h.stack.receive(synAck.serialize())
        let ack = try #require(h.packet()?.tcp)
        #expect(ack.flags == [.ack])
        #expect(ack.acknowledgmentNumber.rawValue == h.peerISS + 1)
        #expect(blocked.poll()?.value == 0)
        #expect(h.tcpState(fd) == LinuxNumbers.TCP_ESTABLISHED)
    }

    @Test func synIsRetransmittedLinearlyThenWithBackoff() throws {
        let h = StackHarness()
        let fd = Int32(h.call(.socket(domain: h.family, type: 1, protocol: 6)).value)
        h.call(.fcntl(fd: fd, command: LinuxNumbers.F_SETFL, argument: Int64(LinuxNumbers.O_RDWR | LinuxNumbers.O_NONBLOCK)))
        let r = h.call(.connect(fd: fd, address: h.remoteSocketAddress, length: 16))
        #expect(r.errno == LinuxNumbers.EINPROGRESS)
        let first = try #require(h.nextPacket(within: 1000))
        var times: [Int64] = []
        for _ in 0..<6 {
            guard let (_, t) = h.nextPacket(within: 10_000_000) else { break }
            times.append(t - first.1)
        }
        // tcp_syn_linear_timeouts = 4: five retransmissions 1 s apart, then doubling
        // (the live kernel sent them at 1, 2, 3, 4, 5 and 7 s).
        #expect(times == [1_000_000, 2_000_000, 3_000_000, 4_000_000, 5_000_000, 7_000_000])
    }

    @Test func resetInSynSentRefusesTheConnection() throws {
        let h = StackHarness()
        let fd = Int32(h.call(.socket(domain: h.family, type: 1, protocol: 6)).value)
        let blocked = try #require(h.blockingCall(.connect(fd: fd, address: h.remoteSocketAddress, length: 16)))
        let syn = try #require(h.packet()?.tcp)
        let rst = Packet.tcp(from: h.remote, 8080, to: h.local, syn.sourcePort, flags: [.rst, .ack], seq: 0,
                             ack: syn.sequenceNumber.rawValue &+ 1, window: 0)
        h.stack.receive(rst.serialize())
        let result = try #require(blocked.poll())
        #expect(result.value == -1)
        #expect(result.errno == LinuxNumbers.ECONNREFUSED)
        #expect(h.stack.counters[.tcpAttemptFails] == 1)
    }
}
