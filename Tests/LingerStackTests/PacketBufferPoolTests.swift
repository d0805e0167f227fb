import LingerWire
import Testing

@testable import LingerStack

/// The pool of packet buffers a stack's taker hands back.
@Suite struct PacketBufferPoolTests {
    @Test func givesBackTheNewestBufferFirstWithItsStorage() {
        let pool = PacketBufferPool(limit: 4)
        #expect(pool.take().isEmpty)
        var first = [UInt8](repeating: 1, count: 52)
        first.reserveCapacity(200)
        let second = [UInt8](repeating: 2, count: 60)
        let firstCapacity = first.capacity
        pool.keep(first)
        pool.keep(second)
        #expect(pool.count == 2)
        #expect(pool.take() == second)
        let again = pool.take()
        #expect(again == [UInt8](repeating: 1, count: 52))
        #expect(again.capacity == firstCapacity)
        #expect(pool.count == 0)
        #expect(pool.take().isEmpty)
    }

    @Test func dropsBuffersBeyondItsLimit() {
        let pool = PacketBufferPool(limit: 2)
        for value in 1...5 { pool.keep([UInt8(value)]) }
        #expect(pool.count == 2)
        #expect(pool.take() == [2])
        #expect(pool.take() == [1])
        #expect(pool.take().isEmpty)
        let none = PacketBufferPool(limit: 0)
        none.keep([7])
        #expect(none.count == 0)
        #expect(none.take().isEmpty)
    }

    @Test func lendsABufferOfTheAskedLengthFromAmongTheNewest() {
        let pool = PacketBufferPool(limit: 8)
        for (value, length) in [(1, 40), (2, 52), (3, 60), (4, 53), (5, 52)] {
            pool.keep([UInt8](repeating: UInt8(value), count: length))
        }
        // The newest of that length; the top one takes its slot.
        #expect(pool.take(count: 52) == [UInt8](repeating: 5, count: 52))
        #expect(pool.take(count: 60) == [UInt8](repeating: 3, count: 60))
        #expect(pool.count == 3)
        #expect(pool.take() == [UInt8](repeating: 4, count: 53))
        #expect(pool.take() == [UInt8](repeating: 2, count: 52))
        #expect(pool.take() == [UInt8](repeating: 1, count: 40))
    }

    @Test func growsWhileSmallAndLendsTheNewestOnceFull() {
        let pool = PacketBufferPool(limit: 8)
        #expect(pool.take(count: 52).isEmpty)
        for value in 1...PacketBufferPool.matchDepth - 1 { pool.keep([UInt8](repeating: UInt8(value), count: 10)) }
        // Fewer than matchDepth kept and none 52 bytes long: fresh storage.
        #expect(pool.take(count: 52).isEmpty)
        #expect(pool.count == PacketBufferPool.matchDepth - 1)
        pool.keep([UInt8](repeating: 9, count: 20))
        // Enough kept: the newest, whatever its length.
        #expect(pool.take(count: 52) == [UInt8](repeating: 9, count: 20))
        // Beyond the newest matchDepth, a buffer of the length is not looked for.
        let deep = PacketBufferPool(limit: 8)
        deep.keep([UInt8](repeating: 7, count: 52))
        for value in 1...PacketBufferPool.matchDepth { deep.keep([UInt8](repeating: UInt8(value), count: 10)) }
        #expect(deep.take(count: 52) == [UInt8](repeating: UInt8(PacketBufferPool.matchDepth), count: 10))
    }

    @Test func aStackBuildsLaterPacketsInRecycledStorage() throws {
        // A recycled buffer of another length still yields a packet of exactly
        // the right bytes: the builder resizes it and overwrites every byte.
        // Five kept: the first packet grows a 30-byte buffer, the second
        // shrinks a 90-byte one, the third (three kept) gets fresh storage.
        let stack = NetworkStack(addresses: StackAddresses(ipv4: IPv4Address(10, 0, 0, 1)))
        for length in [30, 90, 30, 90, 30] {
            stack.recycle(SentPacket(bytes: [UInt8](repeating: 0xAA, count: length), time: 0))
        }
        let tuple = FourTuple(local: TCPEndpoint(.v4(IPv4Address(10, 0, 0, 1)), 80),
                              remote: TCPEndpoint(.v4(IPv4Address(10, 0, 0, 2)), 4000))
        var header = OutboundHeader(tuple: tuple, seq: SequenceNumber(5), ack: SequenceNumber(9), flags: [.ack], window: 100)
        header.timestamp = (1, 2)
        let expected = SegmentBuilder.build(header, payload: UnsafeRawBufferPointer(start: nil, count: 0))
        for _ in 0..<3 {
            #expect(stack.emitControl(header))
            let sent = try #require(stack.takeOutbound())
            #expect(sent.bytes == expected)
        }
    }
}
