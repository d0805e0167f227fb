import LingerWire
import Testing

@testable import LingerStack

/// The compact storage of `TCPSocket`: the rare state allocated only for a
/// non-default value, flags as bits, timer handles and narrowed integers that
/// read back what was written.
@Suite struct SocketFootprintTests {
    @Test func anIdleAcceptedConnectionHasNoRareState() throws {
        let h = StackHarness()
        _ = h.acceptedConnection()
        let sk = try #require(h.stack.established.allSockets.first)
        #expect(sk.rare == nil)
        // Writing defaults (as the child's option copy does) and emptying an
        // empty queue allocate nothing.
        sk.keepaliveTime = 0
        sk.maxPacingRate = .max
        sk.fastOpenCookie = nil
        sk.outOfOrder.removeAll()
        sk.synQueue[FourTuple(local: TCPEndpoint(.v4(IPv4Address(1, 2, 3, 4)), 1),
                              remote: TCPEndpoint(.v4(IPv4Address(5, 6, 7, 8)), 2))] = nil
        #expect(sk.rare == nil)
        #expect(sk.receiveLowat == 1 && sk.maxPacingRate == .max && sk.keepaliveTime == 0)
        // A real value allocates it and reads back; the others keep their defaults.
        sk.keepaliveTime = 5_000_000
        #expect(sk.rare != nil)
        #expect(sk.keepaliveTime == 5_000_000)
        #expect(sk.receiveLowat == 1)
        sk.outOfOrder.append(OutOfOrderSegment(seq: SequenceNumber(10), bytes: [1, 2], fin: false, truesize: 100))
        #expect(sk.outOfOrder.count == 1 && sk.outOfOrder.first?.endSeq == SequenceNumber(12))
    }

    @Test func packedFieldsReadBackWhatWasWritten() {
        let stack = NetworkStack(addresses: StackAddresses(ipv4: IPv4Address(192, 168, 0, 1)))
        let sk = TCPSocket(stack: stack, family: 2, id: 1)
        // Flags: defaults as declared, and each bit independent.
        #expect(sk.hasFile && sk.bindAddressWasAny && sk.rateAppLimited)
        #expect(!sk.noDelay && !sk.finReceived)
        sk.noDelay = true
        sk.finReceived = true
        sk.hasFile = false
        #expect(sk.noDelay && sk.finReceived && !sk.hasFile && sk.bindAddressWasAny && !sk.cork)
        // Timer handles, including the largest real slot and generation.
        #expect(sk.retransmitTimer == nil && sk.keepaliveTimer == nil)
        let wheel = TimerWheel<Int>(now: 0)
        let handle = wheel.schedule(at: 10, 1)
        sk.retransmitTimer = handle
        #expect(sk.retransmitTimer == handle && sk.delackTimer == nil)
        sk.retransmitTimer = nil
        #expect(sk.retransmitTimer == nil)
        // Narrowed integers.
        #expect(sk.mssCache == 536 && sk.boundIndex == -1)
        sk.advmss = 65495
        sk.boundIndex = 1_000_000
        #expect(sk.advmss == 65495 && sk.boundIndex == 1_000_000)
    }
}
