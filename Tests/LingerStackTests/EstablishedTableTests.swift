import LingerWire
import Testing

@testable import LingerStack

/// The established hash's open-addressing table, checked against a Dictionary
/// as the oracle through inserts, replacements, removals and growth.
@Suite struct EstablishedTableTests {
    private let stack = NetworkStack(addresses: StackAddresses(ipv4: IPv4Address(192, 168, 0, 1)))

    /// Tuple `i`: IPv4 or (every third) IPv6, with ports that repeat so that
    /// many tuples differ in one field only.
    private func tuple(_ i: Int) -> FourTuple {
        let byte = UInt8(truncatingIfNeeded: i)
        if i % 3 == 0 {
            return FourTuple(local: TCPEndpoint(.v6(IPv6Address(high: 0xFD00 << 48, low: 1)), UInt16(8080 + i % 2)),
                             remote: TCPEndpoint(.v6(IPv6Address(high: 0xFD00 << 48, low: UInt64(i >> 2))), UInt16(40000 + i % 5)))
        }
        return FourTuple(local: TCPEndpoint(.v4(IPv4Address(192, 168, 0, 1)), UInt16(8080 + i % 2)),
                         remote: TCPEndpoint(.v4(IPv4Address(10, 0, UInt8(truncatingIfNeeded: i >> 8), byte)), UInt16(40000 + i % 5)))
    }

    private func socket(_ t: FourTuple, id: UInt64) -> TCPSocket {
        let sk = TCPSocket(stack: stack, family: t.local.address.isIPv6 ? 10 : 2, id: id)
        sk.localAddress = t.local.address
        sk.localPort = t.local.port
        sk.remoteAddress = t.remote.address
        sk.remotePort = t.remote.port
        return sk
    }

    /// The table holds what the dictionary holds, for each of the first `keys` tuples.
    private func expectAgreement(_ table: EstablishedTable, _ oracle: [FourTuple: TCPSocket], keys: Int) {
        #expect(table.count == oracle.count)
        for i in 0..<keys {
            #expect(table[tuple(i)] === oracle[tuple(i)])
        }
    }

    @Test func lookupsAgreeWithADictionary() {
        var table = EstablishedTable()
        var oracle: [FourTuple: TCPSocket] = [:]
        var random = SeededGenerator(state: 12345)
        for step in 0..<30_000 {
            let t = tuple(random.next(below: 4000))
            if random.next(below: 3) == 0 {
                table[t] = nil
                oracle[t] = nil
            } else {
                let sk = socket(t, id: UInt64(step))
                table[t] = sk
                oracle[t] = sk
            }
        }
        expectAgreement(table, oracle, keys: 4000)
        #expect(Set(table.allSockets.map { ObjectIdentifier($0) }) == Set(oracle.values.map { ObjectIdentifier($0) }))
        // An address of the other family with the same low bits is another key.
        let v4 = tuple(1)
        let v6 = FourTuple(local: TCPEndpoint(.v6(IPv6Address(high: 0, low: UInt64(IPv4Address(192, 168, 0, 1).value))), v4.local.port),
                           remote: TCPEndpoint(.v6(IPv6Address(high: 0, low: UInt64(IPv4Address(10, 0, 0, 1).value))), v4.remote.port))
        #expect(table[v6] == nil)
    }

    /// `remove(_:at:)` takes out the socket only when it is the one held for
    /// the tuple, as unhashing a socket that another took over must not.
    @Test func removeTakesOnlyTheSocketHeld() {
        var table = EstablishedTable()
        var oracle: [FourTuple: TCPSocket] = [:]
        var random = SeededGenerator(state: 777)
        for step in 0..<20_000 {
            let t = tuple(random.next(below: 3000))
            if random.next(below: 2) == 0, let held = oracle[t] {
                // Removing a stranger leaves the entry; removing the holder empties it.
                table.remove(socket(t, id: UInt64(step)), at: t)
                #expect(table[t] === held)
                table.remove(held, at: t)
                oracle[t] = nil
            } else {
                let sk = socket(t, id: UInt64(step))
                table[t] = sk
                oracle[t] = sk
            }
        }
        expectAgreement(table, oracle, keys: 3000)
        var empty = EstablishedTable()
        empty.remove(socket(tuple(1), id: 1), at: tuple(1))
        #expect(empty.isEmpty)
    }
}
