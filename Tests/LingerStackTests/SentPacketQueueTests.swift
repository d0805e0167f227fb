import Testing

@testable import LingerStack

/// The queue of packets a stack sent and its taker has not yet taken.
@Suite struct SentPacketQueueTests {
    private func packet(_ n: Int) -> SentPacket {
        SentPacket(bytes: [UInt8(truncatingIfNeeded: n), UInt8(truncatingIfNeeded: n >> 8)], time: Int64(n))
    }

    @Test func givesPacketsBackOldestFirstAcrossWrapsAndGrowth() {
        let queue = SentPacketQueue(capacity: 4)
        #expect(queue.removeFirst() == nil)
        var next = 0
        var expected = 0
        // Uneven appends and removals: the ring wraps many times and grows
        // while wrapped (the head is not at slot 0 when it doubles).
        for round in 0..<200 {
            for _ in 0..<(round % 7) {
                queue.append(packet(next))
                next += 1
            }
            for _ in 0..<(round % 5) {
                guard let p = queue.removeFirst() else { break }
                #expect(p == packet(expected))
                expected += 1
            }
            #expect(queue.count == next - expected)
        }
        while let p = queue.removeFirst() {
            #expect(p == packet(expected))
            expected += 1
        }
        #expect(expected == next)
        #expect(queue.count == 0)
    }

    @Test func releasesWhatItStillHolds() {
        // Packets left in the queue are freed with it: the storage they shared
        // is unique again afterwards, so a write changes it in place (a copy
        // would move the bytes).
        var bytes = [UInt8](repeating: 3, count: 40)
        let before = bytes.withUnsafeBufferPointer { $0.baseAddress }
        do {
            let queue = SentPacketQueue(capacity: 2)
            for i in 0..<5 { queue.append(SentPacket(bytes: bytes, time: Int64(i))) }
            _ = queue.removeFirst()
            #expect(queue.count == 4)
        }
        bytes[0] = 4
        #expect(bytes.withUnsafeBufferPointer { $0.baseAddress } == before)
    }
}
