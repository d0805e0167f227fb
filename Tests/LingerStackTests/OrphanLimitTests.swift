import LingerRun
import LingerWire
import Testing

@testable import LingerStack

/// tcp_max_orphans (spec section 2 step 11, section 5). The sysctl exists only in
/// the initial network namespace, so a script in a private namespace cannot set
/// it; these tests drive the rule on the sim directly. The oracle is Linux's
/// source: __tcp_close and tcp_out_of_resources call tcp_check_oom, whose
/// tcp_too_many_orphans compares tcp_orphan_cache (the orphan count sampled every
/// 100 ms by tcp_orphan_timer) shifted left by a penalty with tcp_max_orphans.
@Suite struct OrphanLimitTests {
    /// Two connections accepted from one listener, from peer ports 40000 and 40001.
    /// Returns the harness, the descriptors and each connection's ISS.
    func twoConnections() -> (StackHarness, [Int32], [UInt32]) {
        let h = StackHarness()
        let lfd = h.listener()
        var fds: [Int32] = []
        var isses: [UInt32] = []
        for port in [UInt16(40000), 40001] {
            h.remotePort = port
            h.inject([.syn], seq: h.peerISS, options: [.maximumSegmentSize(1460), .sackPermitted, .noOperation, .noOperation])
            let iss = h.packet()?.tcp?.sequenceNumber.rawValue ?? 0
            h.wait(10_000)
            h.inject([.ack], seq: h.peerISS + 1, ack: iss + 1)
            fds.append(Int32(h.call(.accept(fd: lfd, flags: nil)).value))
            isses.append(iss)
        }
        return (h, fds, isses)
    }

    @Test func closeChecksTheCountSampledBeforeThisOrphan() throws {
        let (h, fds, isses) = twoConnections()
        h.stack.sysctls.tcpMaxOrphans = 0
        // Right after a 100 ms tick the sample holds no orphan: the first close()
        // orphans its socket normally (FIN) although the limit is 0.
        h.wait(100_000 - h.stack.now % 100_000 + 1000)
        #expect(h.call(.close(fd: fds[0])).value == 0)
        let fin = try #require(h.packet()?.tcp)
        #expect(fin.flags == [.fin, .ack])
        #expect(fin.sequenceNumber.rawValue == isses[0] + 1)
        #expect(h.stack.counters[.tcpExtTCPAbortOnMemory] == 0)
        // After the next tick the sample counts it: the second close() sends its
        // FIN (tcp_send_fin comes first), then finds the orphan limit exceeded
        // and resets (TCPAbortOnMemory), seq = snd_nxt after the FIN.
        h.wait(100_000)
        #expect(h.call(.close(fd: fds[1])).value == 0)
        let fin2 = try #require(h.packet()?.tcp)
        #expect(fin2.flags == [.fin, .ack])
        #expect(fin2.destinationPort == 40001)
        let rst = try #require(h.packet()?.tcp)
        #expect(rst.flags == [.rst, .ack])
        #expect(rst.destinationPort == 40001)
        #expect(rst.sequenceNumber.rawValue == isses[1] + 2)
        #expect(h.stack.counters[.tcpExtTCPAbortOnMemory] == 1)
    }

    @Test func theFirstOrphanDiesAtItsRetransmissionTimer() throws {
        let (h, fds, _) = twoConnections()
        h.stack.sysctls.tcpMaxOrphans = 0
        h.wait(100_000 - h.stack.now % 100_000 + 1000)
        #expect(h.call(.close(fd: fds[0])).value == 0)
        #expect(h.packet()?.tcp?.flags == [.fin, .ack])
        // The loss probe resends the FIN (it does not consult the orphan limit);
        // the retransmission timer runs tcp_write_timeout -> tcp_out_of_resources,
        // which finds one orphan over a limit of 0: RST, the socket is destroyed.
        let (probe, _) = try #require(h.nextPacket(within: 2_000_000))
        #expect(probe.tcp?.flags == [.fin, .ack])
        let (rst, _) = try #require(h.nextPacket(within: 2_000_000))
        #expect(rst.tcp?.flags == [.rst, .ack])
        #expect(h.stack.counters[.tcpExtTCPAbortOnMemory] == 1)
        #expect(h.stack.counters[.tcpExtTCPAbortOnTimeout] == 0)
        #expect(h.stack.established.count == 1, "only the open connection remains")
        #expect(h.stack.orphanCount == 0)
    }

    @Test func anOrphanSilentForTwiceTheMaximumRTOCountsDouble() throws {
        let (h, fds, isses) = twoConnections()
        h.stack.sysctls.tcpMaxOrphans = 1
        // Enough orphan retries that probing outlives 240 s: with the default the
        // orphan dies (silently) once its probe backoff reaches TCP_RTO_MAX.
        h.stack.sysctls.tcpOrphanRetries = 15
        // The peer closes its window; data waits behind it, then close(): an orphan
        // in FIN_WAIT1 that only sends zero-window probes (which do not move
        // lsndtime). The peer answers every probe, so probing never gives up.
        h.remotePort = 40000
        h.inject([.ack], seq: h.peerISS + 1, ack: isses[0] + 1, window: 0)
        #expect(h.call(.write(fd: fds[0], data: .bytes(Array(repeating: 7, count: 100)))).value == 100)
        #expect(h.call(.close(fd: fds[0])).value == 0)
        var probes = 0
        var reset: Int64?
        while reset == nil, let (p, at) = h.nextPacket(within: 130_000_000) {
            if p.tcp?.flags.contains(.rst) == true {
                reset = at
            } else {
                probes += 1
                h.inject([.ack], seq: h.peerISS + 1, ack: isses[0] + 1, window: 0)
            }
        }
        // One orphan against a limit of 1 is fine (1 > 1 is false) until nothing
        // was sent for 2 x TCP_RTO_MAX = 240 s: then the count is doubled
        // (2 > 1) and the probe timer resets the orphan.
        let lastSend = try #require(reset)
        #expect(probes > 2)
        #expect(lastSend > 240_000_000)
        #expect(h.stack.counters[.tcpExtTCPAbortOnMemory] == 1)
    }

    @Test func listenerClosingForgetsUnacceptedChildrenAsOrphans() throws {
        let h = StackHarness()
        let lfd = h.listener()
        // One orphan: an accepted connection closed, its FIN unanswered.
        h.inject([.syn], seq: h.peerISS, options: [.maximumSegmentSize(1460)])
        let iss = h.packet()?.tcp?.sequenceNumber.rawValue ?? 0
        h.inject([.ack], seq: h.peerISS + 1, ack: iss + 1)
        let fd = Int32(h.call(.accept(fd: lfd, flags: nil)).value)
        #expect(h.call(.close(fd: fd)).value == 0)
        #expect(h.packet()?.tcp?.flags == [.fin, .ack])
        #expect(h.stack.orphanCount == 1)
        // A second connection waits unaccepted; closing the listener resets it.
        // inet_child_forget counts it as an orphan before destroying it, so the
        // first orphan is still counted afterwards.
        h.remotePort = 40001
        h.inject([.syn], seq: h.peerISS, options: [.maximumSegmentSize(1460)])
        let iss2 = h.packet()?.tcp?.sequenceNumber.rawValue ?? 0
        h.inject([.ack], seq: h.peerISS + 1, ack: iss2 + 1)
        #expect(h.call(.close(fd: lfd)).value == 0)
        #expect(h.packet()?.tcp?.flags == [.rst, .ack])
        #expect(h.stack.orphanCount == 1)
    }
}
