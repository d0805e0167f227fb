import LingerWire
import Testing

@testable import LingerStack

/// The 4-tuple map of listeners' request queues, checked against a Dictionary
/// as the oracle through inserts, replacements, removals, growth and emptying.
@Suite struct TupleMapTests {
    /// Tuple `i`: IPv4 or IPv6 by parity, remote address and ports from `i`
    /// (some tuples share everything but one field).
    private func tuple(_ i: Int) -> FourTuple {
        if i % 2 == 0 {
            return FourTuple(local: TCPEndpoint(.v4(IPv4Address(192, 168, 0, 1)), 8080),
                             remote: TCPEndpoint(.v4(IPv4Address(10, 0, UInt8(truncatingIfNeeded: i >> 8),
                                                                 UInt8(truncatingIfNeeded: i))),
                                                 UInt16(40000 + i % 13)))
        }
        return FourTuple(local: TCPEndpoint(.v6(IPv6Address(high: 0xFD00 << 48, low: 1)), 8080),
                         remote: TCPEndpoint(.v6(IPv6Address(high: 0xFD00 << 48, low: UInt64(i / 3))),
                                             UInt16(40000 + i % 3)))
    }

    @Test func agreesWithADictionary() {
        var map = TupleMap<Int>()
        var oracle: [FourTuple: Int] = [:]
        var random = SeededGenerator(state: 11)
        for step in 0..<20_000 {
            let t = tuple(random.next(below: 2000))
            switch random.next(below: 4) {
            case 0:
                #expect(map.removeValue(forKey: t) == oracle.removeValue(forKey: t))
            case 1:
                map[t] = nil
                oracle[t] = nil
            default:
                map[t] = step
                oracle[t] = step
            }
            if step % 5000 == 4999 {
                #expect(map.count == oracle.count)
            }
        }
        #expect(map.count == oracle.count)
        for i in 0..<2000 { #expect(map[tuple(i)] == oracle[tuple(i)]) }
        var seen: [FourTuple: Int] = [:]
        for (key, value) in map { seen[key] = value }
        #expect(seen == oracle)
        #expect(map.values.sorted() == oracle.values.sorted())
        for key in oracle.keys { map.removeValue(forKey: key) }
        #expect(map.isEmpty)
        #expect(map[tuple(0)] == nil)
        map[tuple(7)] = 1
        map.removeAll()
        #expect(map.isEmpty && map[tuple(7)] == nil)
        map[tuple(7)] = 2
        #expect(map[tuple(7)] == 2 && map.count == 1)
    }
}
