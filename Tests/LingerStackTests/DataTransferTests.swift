import LingerRun
import LingerWire
import Testing

@testable import LingerStack

/// Data both ways on an established connection, driven by segments. Expected
/// ACK timing and windows are the live kernel's answers to the same segments.
@Suite struct DataTransferTests {
    private func established() -> (StackHarness, Int32) {
        let h = StackHarness()
        let fd = h.acceptedConnection()
        return (h, fd)
    }

    @Test func dataIsAckedAtOnceAtConnectionStartAndReadable() throws {
        let (h, fd) = established()
        h.inject([.psh, .ack], seq: h.peerISS + 1, ack: h.iss + 1, payload: Array(repeating: 7, count: 500))
        let ack = try #require(h.packet())
        #expect(ack.tcp?.flags == [.ack])
        #expect(h.relAck(ack) == 501)
        #expect(ack.payload.isEmpty)
        let r = h.call(.read(fd: fd, buffer: .capacity(2000)))
        #expect(r.value == 500)
        #expect(r.output == .received(Array(repeating: 7, count: 500)))
        // Nothing more to read: a non-blocking read says so.
        h.call(.fcntl(fd: fd, command: LinuxNumbers.F_SETFL, argument: Int64(LinuxNumbers.O_RDWR | LinuxNumbers.O_NONBLOCK)))
        #expect(h.call(.read(fd: fd, buffer: .capacity(10))).errno == LinuxNumbers.EAGAIN)
    }

    @Test func windowShrinksByWhatIsQueuedUnread() throws {
        let (h, _) = established()
        h.inject([.psh, .ack], seq: h.peerISS + 1, ack: h.iss + 1, payload: Array(repeating: 1, count: 100))
        let ack = try #require(h.packet()?.tcp)
        // The kernel answered 100 unread bytes with window 64140 (64240 - 100).
        #expect(ack.window == 64140)
    }

    @Test func delayedAckWaitsFortyMillisecondsInPingPongMode() throws {
        let (h, fd) = established()
        // TCP_QUICKACK 0 enters ping-pong mode: the kernel then ACKed 100 bytes ~40 ms later.
        h.call(.setsockopt(fd: fd, level: LinuxNumbers.SOL_TCP, name: 12, value: h.int(0), length: 4))
        h.inject([.psh, .ack], seq: h.peerISS + 1, ack: h.iss + 1, payload: Array(repeating: 1, count: 100))
        let start = h.stack.now
        #expect(h.packet() == nil)
        let (ack, at) = try #require(h.nextPacket(within: 1_000_000))
        #expect(h.relAck(ack) == 101)
        #expect(at - start == 40_000)
        #expect(h.stack.counters[.tcpExtDelayedACKs] == 1)
    }

    @Test func outOfOrderDataGetsAnImmediateSackedDuplicateAck() throws {
        let (h, _) = established()
        h.inject([.psh, .ack], seq: h.peerISS + 201, ack: h.iss + 1, payload: Array(repeating: 2, count: 100))
        let dup = try #require(h.packet()?.tcp)
        #expect(dup.acknowledgmentNumber.rawValue == h.peerISS + 1)
        #expect(dup.options == [.noOperation, .noOperation, .sack([SACKBlock(left: h.peerISS + 201, right: h.peerISS + 301)])])
        h.inject([.psh, .ack], seq: h.peerISS + 1, ack: h.iss + 1, payload: Array(repeating: 1, count: 200))
        let full = try #require(h.packet()?.tcp)
        #expect(full.acknowledgmentNumber.rawValue == h.peerISS + 301)
        #expect(full.options.isEmpty, "no SACK block once the hole is filled")
    }

    @Test func writeIsSegmentedToTheMssAndPushedAtTheEnd() throws {
        let (h, fd) = established()
        #expect(h.call(.write(fd: fd, data: .bytes(Array(repeating: 3, count: 3000)))).value == 3000)
        var total = 0
        var last: Packet?
        while let p = h.packet() {
            #expect(p.payload.count <= 1460)
            #expect(h.relSeq(p) == Int64(1 + total))
            total += p.payload.count
            last = p
        }
        #expect(total == 3000)
        #expect(last?.tcp?.flags.contains(.psh) == true)
        // SIOCOUTQ counts what is not yet acknowledged; SIOCOUTQNSD what is not yet sent.
        #expect(h.call(.ioctl(fd: fd, request: LinuxNumbers.SIOCOUTQ)).output == .integer(3000))
        #expect(h.call(.ioctl(fd: fd, request: LinuxNumbers.SIOCOUTQNSD)).output == .integer(0))
        h.inject([.ack], seq: h.peerISS + 1, ack: h.iss + 3001)
        #expect(h.call(.ioctl(fd: fd, request: LinuxNumbers.SIOCOUTQ)).output == .integer(0))
    }

    @Test func sendMemoryIsChargedAsLinuxChargesIt() throws {
        // The live kernel's `ss -m` after the same calls and segments (w, f).
        let (h, fd) = established()
        let sk = try #require(h.process.files.file(fd)?.socket)
        h.call(.write(fd: fd, data: .bytes(Array(repeating: 1, count: 300))))
        #expect(h.packet()?.payload.count == 300)
        #expect(sk.wmemQueued == 1132 && sk.forwardAlloc == 2964)
        h.call(.write(fd: fd, data: .bytes(Array(repeating: 1, count: 3000))))
        #expect(sk.wmemQueued == 5796 && sk.forwardAlloc == 2396)
        while h.packet() != nil {}
        h.inject([.ack], seq: h.peerISS + 1, ack: h.iss + 301)
        #expect(sk.wmemQueued == 4664 && sk.forwardAlloc == 3528)
        while h.packet() != nil {}
        h.inject([.ack], seq: h.peerISS + 1, ack: h.iss + 3301)
        #expect(sk.wmemQueued == 0 && sk.forwardAlloc == 0)
    }

    @Test func blockedWriteWakesWhenAThirdOfTheBufferIsFree() throws {
        // The blocking-write selftest, which the live kernel passes with CUBIC:
        // 60000 of 61000 bytes fit a 42000-byte buffer (the skbs are charged as
        // they are allocated); ACKs to 10001 and 30001 free memory but leave less
        // than a third of the buffer free, so the writer sleeps on; 36001 wakes it.
        let h = StackHarness()
        try h.stack.setSysctl(name: "net.ipv4.tcp_min_tso_segs", value: "10")
        let fd = h.acceptedConnection(synOptions: [.maximumSegmentSize(1000), .noOperation, .windowScale(0)], window: 50000)
        h.call(.setsockopt(fd: fd, level: LinuxNumbers.SOL_SOCKET, name: LinuxNumbers.SO_SNDBUF, value: h.int(21000), length: 4))
        let write = try #require(h.blockingCall(.write(fd: fd, data: .bytes(Array(repeating: 1, count: 61000)))))
        let sk = try #require(h.process.files.file(fd)?.socket)
        #expect(sk.wmemQueued == 60000 + 4 * 832)
        for ack: UInt32 in [10001, 30001] {
            h.wait(100_000)
            h.inject([.ack], seq: h.peerISS + 1, ack: h.iss + ack, window: 50000)
            #expect(write.poll() == nil, "still asleep after the ACK of \(ack)")
        }
        h.wait(100_000)
        h.inject([.ack], seq: h.peerISS + 1, ack: h.iss + 36001, window: 50000)
        #expect(write.poll()?.value == 61000)
    }

    @Test func fairQueuePacesDataAfterTheFirstTenSegments() throws {
        let h = StackHarness()
        h.stack.queueDiscipline = .fairQueue
        let fd = h.acceptedConnection()
        #expect(h.call(.write(fd: fd, data: .bytes(Array(repeating: 1, count: 40000)))).value == 40000)
        // The initial window leaves at once: fq does not pace the first ten segments.
        var first: [Int64] = []
        while let (p, at) = h.nextPacket(within: 0) {
            #expect(p.payload.count == 1460)
            first.append(at)
        }
        #expect(first.count == 10)
        #expect(Set(first).count == 1)
        h.wait(100_000)
        h.inject([.ack], seq: h.peerISS + 1, ack: h.iss + 2921)
        // cwnd 12 with 8 in flight: two 2-segment bursts, the second one held by the
        // qdisc until its pacing time.
        var times: [Int64] = []
        while times.count < 4, let (_, at) = h.nextPacket(within: 50_000) { times.append(at) }
        #expect(times.count == 4)
        #expect(times[0] == times[1] && times[2] == times[3])
        #expect(times[2] > times[0], "the second burst is paced")
    }

    @Test func withoutFairQueueTheSameBurstsLeaveTogether() throws {
        let (h, fd) = established()
        h.call(.write(fd: fd, data: .bytes(Array(repeating: 1, count: 40000))))
        while h.nextPacket(within: 0) != nil {}
        h.wait(100_000)
        h.inject([.ack], seq: h.peerISS + 1, ack: h.iss + 2921)
        var times: [Int64] = []
        while let (_, at) = h.nextPacket(within: 0) { times.append(at) }
        #expect(times.count == 4)
        #expect(Set(times).count == 1)
    }

    @Test func nagleHoldsASmallSegmentWhileOneIsUnacknowledged() throws {
        let (h, fd) = established()
        h.call(.write(fd: fd, data: .bytes(Array(repeating: 1, count: 100))))
        #expect(h.packet()?.payload.count == 100)
        h.call(.write(fd: fd, data: .bytes(Array(repeating: 2, count: 100))))
        #expect(h.packet() == nil, "Nagle: the second small segment waits for the ACK")
        h.inject([.ack], seq: h.peerISS + 1, ack: h.iss + 101)
        let second = try #require(h.packet())
        #expect(h.relSeq(second) == 101)
        #expect(second.payload.count == 100)
    }

    @Test func noDelaySendsSmallSegmentsAtOnce() throws {
        let (h, fd) = established()
        h.call(.setsockopt(fd: fd, level: LinuxNumbers.SOL_TCP, name: LinuxNumbers.TCP_NODELAY, value: h.int(1), length: 4))
        h.call(.write(fd: fd, data: .bytes(Array(repeating: 1, count: 100))))
        h.call(.write(fd: fd, data: .bytes(Array(repeating: 2, count: 100))))
        #expect(h.packet()?.payload.count == 100)
        #expect(h.packet()?.payload.count == 100)
    }

    @Test func peersZeroWindowStopsDataAndStartsProbing() throws {
        let h = StackHarness()
        let fd = h.acceptedConnection(window: 0)
        h.call(.write(fd: fd, data: .bytes(Array(repeating: 1, count: 100))))
        #expect(h.packet() == nil, "nothing fits a zero window")
        // The probe timer fires after max(RTO, 200 ms): a bare ACK one below snd_una.
        let (probe, _) = try #require(h.nextPacket(within: 2_000_000))
        #expect(probe.payload.isEmpty)
        #expect(h.relSeq(probe) == 0)
        h.inject([.ack], seq: h.peerISS + 1, ack: h.iss + 1, window: 1000)
        let data = try #require(h.packet())
        #expect(data.payload.count == 100)
    }

    @Test func receiveQueueAndSendQueueIoctls() throws {
        let (h, fd) = established()
        h.inject([.psh, .ack], seq: h.peerISS + 1, ack: h.iss + 1, payload: Array(repeating: 5, count: 300))
        _ = h.packet()
        #expect(h.call(.ioctl(fd: fd, request: LinuxNumbers.SIOCINQ)).output == .integer(300))
        h.call(.read(fd: fd, buffer: .capacity(100)))
        #expect(h.call(.ioctl(fd: fd, request: LinuxNumbers.SIOCINQ)).output == .integer(200))
    }
}
