import LingerRun
import LingerWire
import Testing

@testable import LingerStack

/// The ordinary ways a connection ends, segment by segment (spec sections 2-8,
/// as Tests/Scripts pins them on the live kernel).
@Suite struct CloseTests {
    @Test func activeCloseWalksFinWaitToTimeWaitAndTimeWaitAcksARepeatedFin() throws {
        let h = StackHarness()
        let fd = h.acceptedConnection()
        #expect(h.call(.close(fd: fd)).value == 0)
        let fin = try #require(h.packet())
        #expect(fin.tcp?.flags == [.fin, .ack])
        h.inject([.ack], seq: h.peerISS + 1, ack: h.iss + 2)
        #expect(h.packet() == nil)
        h.inject([.fin, .ack], seq: h.peerISS + 1, ack: h.iss + 2)
        let ack = try #require(h.packet())
        #expect(ack.tcp?.flags == [.ack])
        #expect(h.relAck(ack) == 2)
        #expect(h.stack.timeWait.count == 1)
        #expect(h.stack.counters[.tcpExtTW] == 1)
        h.wait(1_000_000)
        h.inject([.fin, .ack], seq: h.peerISS + 1, ack: h.iss + 2)
        #expect(h.relAck(try #require(h.packet())) == 2, "TIME_WAIT answers the retransmitted FIN")
        // TIME_WAIT lasts 60 s from that last FIN; afterwards the no-socket path resets.
        h.wait(59_000_000)
        #expect(h.stack.timeWait.count == 1)
        h.wait(1_000_001)
        #expect(h.stack.timeWait.isEmpty)
        h.inject([.fin, .ack], seq: h.peerISS + 1, ack: h.iss + 2)
        let rst = try #require(h.packet()?.tcp)
        #expect(rst.flags == [.rst])
        #expect(rst.sequenceNumber.rawValue == h.iss + 2)
    }

    /// tcpReceive borrows the established table's reference to the socket:
    /// an orphan whose own segment takes it out of the table (the FIN that
    /// moves FIN_WAIT2 to TIME_WAIT) finishes that segment, and is then freed.
    @Test func anOrphanUnhashedByItsOwnSegmentFinishesItAndIsFreedAfter() throws {
        let h = StackHarness()
        let fd = h.acceptedConnection()
        weak let socket = h.stack.established.allSockets.first
        #expect(socket != nil)
        #expect(h.call(.close(fd: fd)).value == 0)
        #expect(h.packet()?.tcp?.flags == [.fin, .ack])
        h.inject([.ack], seq: h.peerISS + 1, ack: h.iss + 2)
        h.inject([.fin, .ack], seq: h.peerISS + 1, ack: h.iss + 2)
        let ack = try #require(h.packet())
        #expect(ack.tcp?.flags == [.ack])
        #expect(h.relAck(ack) == 2)
        #expect(h.stack.timeWait.count == 1)
        #expect(h.stack.established.isEmpty)
        #expect(h.stack.receivingSocket == nil && h.stack.unhashedSocket == nil)
        #expect(socket == nil, "nothing holds the socket once its last segment is done")
    }

    @Test func passiveCloseGoesThroughCloseWaitAndLastAck() throws {
        let h = StackHarness()
        let fd = h.acceptedConnection()
        h.inject([.fin, .ack], seq: h.peerISS + 1, ack: h.iss + 1)
        // No data was received, so ato is still 0: the delayed-ACK timer fires at
        // once (Linux counts it in DelayedACKs).
        let (ack, at) = try #require(h.nextPacket(within: 1000))
        #expect(h.relAck(ack) == 2)
        #expect(at == h.stack.now)
        #expect(h.stack.counters[.tcpExtDelayedACKs] == 1)
        #expect(h.tcpState(fd) == LinuxNumbers.TCP_CLOSE_WAIT)
        // TcpCurrEstab counts ESTABLISHED and CLOSE_WAIT (tcp_set_state).
        #expect(h.stack.counters[.tcpCurrEstab] == 1)
        #expect(h.call(.read(fd: fd, buffer: .capacity(100))).value == 0)
        #expect(h.call(.close(fd: fd)).value == 0)
        #expect(h.stack.counters[.tcpCurrEstab] == 0, "LAST_ACK no longer counts")
        let fin = try #require(h.packet())
        #expect(fin.tcp?.flags == [.fin, .ack])
        h.inject([.ack], seq: h.peerISS + 2, ack: h.iss + 2)
        #expect(h.stack.established.isEmpty, "LAST_ACK -> CLOSE: the connection is gone")
        h.inject([.ack], seq: h.peerISS + 2, ack: h.iss + 2)
        #expect(h.packet()?.tcp?.flags == [.rst])
    }

    @Test func closeWithUnreadDataResets() throws {
        let h = StackHarness()
        let fd = h.acceptedConnection()
        h.inject([.psh, .ack], seq: h.peerISS + 1, ack: h.iss + 1, payload: Array(repeating: 1, count: 1000))
        _ = h.packet()
        h.call(.read(fd: fd, buffer: .capacity(400)))
        #expect(h.call(.close(fd: fd)).value == 0)
        let rst = try #require(h.packet())
        #expect(rst.tcp?.flags == [.rst, .ack])
        #expect(h.relSeq(rst) == 1)
        #expect(h.relAck(rst) == 1001)
        #expect(h.stack.counters[.tcpExtTCPAbortOnClose] == 1)
    }

    @Test func lingerZeroResetsInsteadOfFin() throws {
        let h = StackHarness()
        let fd = h.acceptedConnection()
        h.call(.setsockopt(fd: fd, level: LinuxNumbers.SOL_SOCKET, name: LinuxNumbers.SO_LINGER,
                           value: h.int(1) + h.int(0), length: 8))
        #expect(h.call(.close(fd: fd)).value == 0)
        #expect(h.packet()?.tcp?.flags == [.rst, .ack])
        #expect(h.stack.counters[.tcpExtTCPAbortOnData] == 1)
        #expect(h.stack.timeWait.isEmpty)
    }

    @Test func lingerTimeoutBlocksCloseAndReturnsZero() throws {
        let h = StackHarness()
        let fd = h.acceptedConnection()
        h.call(.setsockopt(fd: fd, level: LinuxNumbers.SOL_SOCKET, name: LinuxNumbers.SO_LINGER,
                           value: h.int(1) + h.int(1), length: 8))
        let blocked = try #require(h.blockingCall(.close(fd: fd)))
        #expect(blocked.deadline == h.stack.now + 1_000_000)
        #expect(blocked.poll() == nil)
        // The FIN is ACKed: close() returns 0 at that moment.
        _ = h.packet()
        h.inject([.ack], seq: h.peerISS + 1, ack: h.iss + 2)
        #expect(blocked.poll()?.value == 0)
    }

    @Test func resetEndsTheConnectionAndReadReportsItOnce() throws {
        let h = StackHarness()
        let fd = h.acceptedConnection()
        h.inject([.psh, .ack], seq: h.peerISS + 1, ack: h.iss + 1, payload: Array(repeating: 1, count: 100))
        _ = h.packet()
        h.inject([.rst, .ack], seq: h.peerISS + 101, ack: h.iss + 1)
        #expect(h.tcpState(fd) == LinuxNumbers.TCP_CLOSE)
        // Data that arrived first stays readable, then the error, then end of stream.
        #expect(h.call(.read(fd: fd, buffer: .capacity(1000))).value == 100)
        #expect(h.call(.read(fd: fd, buffer: .capacity(1000))).errno == LinuxNumbers.ECONNRESET)
        #expect(h.call(.read(fd: fd, buffer: .capacity(1000))).value == 0)
        #expect(h.call(.write(fd: fd, data: .bytes([1]))).errno == LinuxNumbers.EPIPE)
        #expect(h.stack.counters[.tcpEstabResets] == 1)
    }

    @Test func inexactResetGetsAChallengeAck() throws {
        let h = StackHarness()
        let fd = h.acceptedConnection()
        // RFC 5961 3.2: in the window but not at rcv_nxt.
        h.inject([.rst], seq: h.peerISS + 1000)
        let challenge = try #require(h.packet()?.tcp)
        #expect(challenge.flags == [.ack])
        #expect(challenge.acknowledgmentNumber.rawValue == h.peerISS + 1)
        #expect(h.tcpState(fd) == LinuxNumbers.TCP_ESTABLISHED)
        #expect(h.stack.counters[.tcpExtTCPChallengeACK] == 1)
    }

    @Test func synOnAnEstablishedConnectionGetsAChallengeAck() throws {
        let h = StackHarness()
        let fd = h.acceptedConnection()
        h.inject([.syn], seq: h.peerISS + 5000, options: [.maximumSegmentSize(1460)])
        let challenge = try #require(h.packet()?.tcp)
        #expect(challenge.flags == [.ack])
        #expect(h.tcpState(fd) == LinuxNumbers.TCP_ESTABLISHED)
    }

    @Test func segmentForNoSocketIsReset() throws {
        let h = StackHarness()
        // ACK set: RST with seq = its ACK field.
        h.inject([.ack], seq: 500, ack: 777)
        let a = try #require(h.packet()?.tcp)
        #expect(a.flags == [.rst])
        #expect(a.sequenceNumber.rawValue == 777)
        // No ACK: RST+ACK with seq 0 and ack = seq + length (+1 for SYN).
        h.inject([.syn], seq: 900)
        let b = try #require(h.packet()?.tcp)
        #expect(b.flags == [.rst, .ack])
        #expect(b.sequenceNumber.rawValue == 0)
        #expect(b.acknowledgmentNumber.rawValue == 901)
        // A RST is never answered.
        h.inject([.rst], seq: 1)
        #expect(h.packet() == nil)
    }

    @Test func closeInSynSentSendsNothing() throws {
        let h = StackHarness()
        let fd = Int32(h.call(.socket(domain: h.family, type: 1, protocol: 6)).value)
        h.call(.fcntl(fd: fd, command: LinuxNumbers.F_SETFL, argument: Int64(LinuxNumbers.O_RDWR | LinuxNumbers.O_NONBLOCK)))
        _ = h.call(.connect(fd: fd, address: h.remoteSocketAddress, length: 16))
        _ = h.packet()
        #expect(h.call(.close(fd: fd)).value == 0)
        #expect(h.nextPacket(within: 5_000_000) == nil, "no RST and no SYN retransmission")
    }

    @Test func orphanFinWait2TimesOutWithFinTimeout() throws {
        let h = StackHarness()
        try h.stack.setSysctl(name: "net.ipv4.tcp_fin_timeout", value: "2")
        let fd = h.acceptedConnection()
        h.call(.close(fd: fd))
        _ = h.packet()
        h.inject([.ack], seq: h.peerISS + 1, ack: h.iss + 2)
        // A FIN_WAIT2 time-wait entry for tcp_fin_timeout.
        #expect(h.stack.timeWait.count == 1)
        h.wait(2_000_001)
        #expect(h.stack.timeWait.isEmpty)
        h.inject([.fin, .ack], seq: h.peerISS + 1, ack: h.iss + 2)
        #expect(h.packet()?.tcp?.flags == [.rst])
    }
}

/// TIME_WAIT entries hold their 4-tuple: with one ephemeral port left in
/// ip_local_port_range, a second connect() to the same peer fails until the
/// entry expires (spec section 5, tcp_tw_reuse).
@Suite struct TimeWaitPortTests {
    /// Opens a connection with connect() and closes it actively into TIME_WAIT.
    private func connectAndCloseIntoTimeWait(_ h: StackHarness) throws -> UInt16 {
        let fd = Int32(h.call(.socket(domain: h.family, type: 1, protocol: 6)).value)
        h.call(.fcntl(fd: fd, command: LinuxNumbers.F_SETFL, argument: Int64(LinuxNumbers.O_RDWR | LinuxNumbers.O_NONBLOCK)))
        #expect(h.call(.connect(fd: fd, address: h.remoteSocketAddress, length: 16)).errno == LinuxNumbers.EINPROGRESS)
        let syn = try #require(h.packet()?.tcp)
        let port = syn.sourcePort
        let iss = syn.sequenceNumber.rawValue
        func peer(_ flags: TCPFlags, seq: UInt32, ack: UInt32) {
            h.stack.receive(Packet.tcp(from: h.remote, 8080, to: h.local, port, flags: flags, seq: seq, ack: ack,
                                       window: 65535, options: flags.contains(.syn) ? [.maximumSegmentSize(1460)] : []).serialize())
        }
        peer([.syn, .ack], seq: 7000, ack: iss &+ 1)
        _ = h.packet()
        #expect(h.call(.close(fd: fd)).value == 0)
        #expect(h.packet()?.tcp?.flags == [.fin, .ack])
        peer([.ack], seq: 7001, ack: iss &+ 2)
        peer([.fin, .ack], seq: 7001, ack: iss &+ 2)
        _ = h.packet()
        return port
    }

    @Test func timeWaitHoldsTheLastEphemeralPort() throws {
        let h = StackHarness()
        try h.stack.setSysctl(name: "net.ipv4.ip_local_port_range", value: "40000 40000")
        let port = try connectAndCloseIntoTimeWait(h)
        #expect(port == 40000)
        #expect(h.stack.timeWait.count == 1)
        let fd = Int32(h.call(.socket(domain: h.family, type: 1, protocol: 6)).value)
        let r = h.call(.connect(fd: fd, address: h.remoteSocketAddress, length: 16))
        #expect(r.errno == 99, "EADDRNOTAVAIL: the only port is held by TIME_WAIT")
        h.wait(60_000_001)
        #expect(h.stack.timeWait.isEmpty)
        switch h.process.start(.connect(fd: fd, address: h.remoteSocketAddress, length: 16)) {
        case .blocked: break
        case .completed(let again): Issue.record("connect after expiry: \(again)")
        }
        #expect(h.packet()?.tcp?.sourcePort == 40000)
    }
}
