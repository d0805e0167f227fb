import LingerRun
import LingerWire
import Testing

@testable import LingerStack

/// The inspection API: what `ss -tanoi` and `nstat` are built on. Each test walks a
/// connection to a known point and checks the snapshot against the stack's own
/// rules (queue sizes from the bytes moved, timers from the RTO and TIME_WAIT
/// lengths Linux uses).
@Suite struct InspectionTests {
    func row(_ snapshot: StackSnapshot, _ state: TCPState) -> SocketSnapshot? {
        snapshot.sockets.first { $0.state == state }
    }

    @Test func listenerShowsAcceptQueueAndBacklogAndRequestsTheirSynAckTimer() throws {
        let h = StackHarness()
        let fd = h.acceptedConnection()
        #expect(fd >= 0)
        // A second connection completes but is not accepted; a third only sends its SYN.
        h.remotePort = 40001
        h.inject([.syn], seq: h.peerISS, options: [.maximumSegmentSize(1460)])
        let synAck = try #require(h.packet()?.tcp)
        h.inject([.ack], seq: h.peerISS + 1, ack: synAck.sequenceNumber.rawValue + 1)
        h.remotePort = 40002
        h.inject([.syn], seq: h.peerISS, options: [.maximumSegmentSize(1460)])
        _ = h.packet()
        h.wait(300_000)

        let snapshot = h.stack.snapshot()
        #expect(snapshot.sockets.first?.state == .listen, "listeners come first, as ss lists them")
        let listener = try #require(row(snapshot, .listen))
        #expect(listener.receiveQueue == 1, "one connection waits in the accept queue")
        #expect(listener.sendQueue == 8, "Send-Q of a listener is its backlog")
        #expect(listener.remote == nil)
        #expect(listener.localPort == 8080)
        #expect(listener.timer == nil)

        let request = try #require(row(snapshot, .synReceived))
        #expect(request.kind == .request)
        #expect(request.remote?.port == 40002)
        let timer = try #require(request.timer)
        #expect(timer.kind == .retransmission)
        #expect(timer.count == 0)
        // The SYN-ACK timer starts at TCP_TIMEOUT_INIT (1 s); 0.3 s have passed.
        #expect(timer.remaining == 700_000)

        let connections = snapshot.sockets.filter { $0.state == .established }
        #expect(connections.count == 2)
        #expect(Set(connections.compactMap { $0.remote?.port }) == [40000, 40001])
        #expect(connections.allSatisfy { $0.tcpInfo?.first == TCPState.established.rawValue })
        #expect(connections.allSatisfy { $0.congestionControl == "cubic" })
    }

    @Test func queuesCountUnreadAndUnacknowledgedBytes() throws {
        let h = StackHarness()
        let fd = h.acceptedConnection()
        h.inject([.ack, .psh], seq: h.peerISS + 1, ack: h.iss + 1, payload: [UInt8](repeating: 7, count: 300))
        #expect(h.call(.write(fd: fd, data: .bytes([UInt8](repeating: 1, count: 1000)))).value == 1000)
        let connection = try #require(row(h.stack.snapshot(), .established))
        #expect(connection.receiveQueue == 300)
        #expect(connection.sendQueue == 1000)
        #expect(connection.isOrphan == false)
        let timer = try #require(connection.timer)
        #expect(timer.kind == .retransmission)
        #expect(h.call(.read(fd: fd, buffer: .capacity(100))).value == 100)
        #expect(row(h.stack.snapshot(), .established)?.receiveQueue == 200)
    }

    @Test func orphanedFinWait1ShowsItsRetransmissionsAndTimeWaitItsLifetime() throws {
        let h = StackHarness()
        let fd = h.acceptedConnection()
        #expect(h.call(.close(fd: fd)).value == 0)
        _ = h.packet()
        // Let the FIN be resent twice (a loss probe and the first RTO, or two RTOs).
        var resent = 0
        while resent < 2, h.nextPacket(within: 10_000_000) != nil { resent += 1 }
        let orphan = try #require(row(h.stack.snapshot(), .finWait1))
        #expect(orphan.isOrphan)
        #expect(orphan.sendQueue == 1, "the unacknowledged FIN counts in Send-Q")
        let timer = try #require(orphan.timer)
        #expect(timer.kind == .retransmission)
        #expect(timer.count >= 1)
        #expect(timer.remaining > 0)

        // ACK of the FIN, then the peer's FIN: TIME_WAIT, a compact entry with 60 s to live.
        h.inject([.ack], seq: h.peerISS + 1, ack: h.iss + 2)
        h.inject([.fin, .ack], seq: h.peerISS + 1, ack: h.iss + 2)
        _ = h.packet()
        h.wait(5_000_000)
        let snapshot = h.stack.snapshot()
        #expect(snapshot.timeWaitCount == 1)
        let entry = try #require(row(snapshot, .timeWait))
        #expect(entry.kind == .timeWait)
        #expect(entry.timer == SocketTimerSnapshot(kind: .timeWait, remaining: 55_000_000, count: 0))
        #expect(entry.tcpInfo == nil)
        #expect(entry.remote?.port == 40000)
        #expect(row(snapshot, .finWait1) == nil, "the full socket is gone")
    }

    @Test func keepaliveTimerShowsWhenNoRetransmissionIsPending() throws {
        let h = StackHarness()
        let fd = h.acceptedConnection()
        #expect(h.call(.setsockopt(fd: fd, level: LinuxNumbers.SOL_SOCKET, name: LinuxNumbers.SO_KEEPALIVE,
                                   value: h.int(1), length: 4)).value == 0)
        let connection = try #require(row(h.stack.snapshot(), .established))
        let timer = try #require(connection.timer)
        #expect(timer.kind == .keepalive)
        // tcp_keepalive_time: 7200 s.
        #expect(timer.remaining == 7_200_000_000)
    }

    @Test func simCountersReadAsNstatNames() {
        let h = StackHarness()
        _ = h.acceptedConnection()
        let backendCounters = h.stack.snapshot().counters
        #expect(backendCounters[.tcpPassiveOpens] == 1)
        #expect(backendCounters[.ipInReceives] == 2, "SYN and ACK came in")
        #expect(backendCounters[.ipOutRequests] == 1, "the SYN-ACK went out")
        #expect(backendCounters[.ipExtInNoECTPkts] == 2)
    }
}
