import LingerWire
import Testing

@testable import LingerStack

/// The time-wait table's own machinery: the open-addressing index over the
/// dense slot array (checked against a Dictionary as the oracle) and the
/// entries' timers (FIFO plus heap, checked against a sort of the live deadlines).
@Suite struct TimeWaitTableTests {

    private let local = IPAddress.v4(IPv4Address(192, 168, 0, 1))

    /// Tuple `i`: remote 10.0.(i>>8).(i) from a port that repeats every 7 tuples,
    /// local port 40000 + i % 5 (several entries share a local port).
    private func tuple(_ i: Int) -> FourTuple {
        FourTuple(local: TCPEndpoint(local, UInt16(40000 + i % 5)),
                  remote: TCPEndpoint(.v4(IPv4Address(10, 0, UInt8(truncatingIfNeeded: i >> 8), UInt8(truncatingIfNeeded: i))),
                                      UInt16(8000 + i % 7)))
    }

    private func entry(deadline: Int64, sndNxt: UInt32 = 1, flags: TimeWaitEntry.Flags = []) -> TimeWaitEntry {
        TimeWaitEntry(deadline: deadline, sndNxt: SequenceNumber(sndNxt), rcvNxt: SequenceNumber(2), rcvWindow: 0,
                      tsRecent: 0, tsOffset: 0, tsRecentStamp: 0, lastOutOfWindowAck: 0, entryStamp: 0,
                      rcvWscale: 0, tos: 0, flags: flags)
    }

    @Test func lookupsAgreeWithADictionaryThroughInsertsRemovesAndGrowth() {
        var table = TimeWaitTable()
        var oracle: [FourTuple: UInt32] = [:]
        var random = SeededGenerator(state: 7)
        for step in 0..<20_000 {
            let i = random.next(below: 3000)
            let t = tuple(i)
            if random.next(below: 3) == 0 {
                let removed = table.remove(t)
                #expect(removed?.sndNxt.rawValue == oracle.removeValue(forKey: t))
            } else {
                let value = UInt32(step)
                let inserted = table.insert(entry(deadline: 1_000, sndNxt: value), for: t)
                #expect(inserted)
                oracle[t] = value
            }
        }
        #expect(table.count == oracle.count)
        for i in 0..<3000 {
            #expect(table[tuple(i)]?.sndNxt.rawValue == oracle[tuple(i)])
        }
        var seen = 0
        table.forEach { t, e in
            seen += 1
            #expect(oracle[t] == e.sndNxt.rawValue)
        }
        #expect(seen == oracle.count)
        // Per-port holder counts follow the entries.
        for port in 40000..<40005 {
            let holding = oracle.keys.filter { $0.local.port == port }.count
            #expect(Int(table.holders(ofPort: UInt16(port))?.entries ?? 0) == holding)
        }
    }

    @Test func timersRunOutInDeadlineOrderThenArmingOrder() {
        var table = TimeWaitTable()
        var random = SeededGenerator(state: 99)
        var deadlines: [FourTuple: Int64] = [:]
        var order: [FourTuple] = []  // arming order, for ties
        // Mostly one length (the FIFO), some shorter ones (the heap), some ties.
        for i in 0..<2000 {
            let t = tuple(i)
            let deadline: Int64 = random.next(below: 4) == 0 ? Int64(random.next(below: 500)) : Int64(1000 + i / 3)
            table.insert(entry(deadline: deadline), for: t)
            deadlines[t] = deadline
            order.append(t)
        }
        // Restart some (a repeated FIN), remove others (a RST, a reuse).
        for i in stride(from: 0, to: 2000, by: 7) {
            let t = tuple(i)
            let deadline = Int64(300 + random.next(below: 2000))
            table.restartTimer(t, at: deadline)
            deadlines[t] = deadline
            order.removeAll { $0 == t }
            order.append(t)
        }
        for i in stride(from: 3, to: 2000, by: 11) {
            table.remove(tuple(i))
            deadlines[tuple(i)] = nil
        }
        let rank = Dictionary(uniqueKeysWithValues: order.enumerated().map { ($1, $0) })
        let expected = deadlines.keys.sorted {
            deadlines[$0] != deadlines[$1] ? deadlines[$0]! < deadlines[$1]! : rank[$0]! < rank[$1]!
        }
        var fired: [FourTuple] = []
        while let next = table.nextDeadline() {
            let early = table.removeExpired(upTo: next - 1)
            #expect(early == nil, "nothing runs out before its deadline")
            guard let (t, e) = table.removeExpired(upTo: next) else {
                Issue.record("no entry runs out at \(next)")
                break
            }
            #expect(e.deadline == next)
            #expect(deadlines[t] == next)
            fired.append(t)
        }
        #expect(fired == expected)
        #expect(table.isEmpty)
    }

    @Test func updateKeepsTheTimerAndRestartsLeaveOneLiveRecord() {
        var table = TimeWaitTable()
        let t = tuple(1)
        table.insert(entry(deadline: 60), for: t)
        table.update(t) { $0.deadline = 5; $0.rcvNxt = SequenceNumber(77) }
        #expect(table[t]?.deadline == 60, "the deadline moves only through restartTimer")
        #expect(table[t]?.rcvNxt == SequenceNumber(77))
        // Many restarts (an ACK storm): stale records are dropped, one firing remains.
        for k in 0..<10_000 { table.restartTimer(t, at: Int64(100 + k)) }
        table.insert(entry(deadline: 50), for: tuple(2))
        var next = table.nextDeadline()
        #expect(next == 50)
        var expired = table.removeExpired(upTo: 20_000)
        #expect(expired?.0 == tuple(2))
        next = table.nextDeadline()
        #expect(next == 10_099)
        expired = table.removeExpired(upTo: 20_000)
        #expect(expired?.0 == t)
        expired = table.removeExpired(upTo: 20_000)
        #expect(expired == nil)
        next = table.nextDeadline()
        #expect(next == nil)
    }

    /// Many local addresses (past the short list searched directly) and both
    /// families: every entry is found under its own address, and the per-port
    /// holder counts (entries, and those whose port came from bind()) follow
    /// inserts, replacements and removals down to none.
    @Test func manyLocalAddressesAndPortHoldersFollowTheEntries() {
        var table = TimeWaitTable()
        func tuple(_ i: Int) -> FourTuple {
            if i % 2 == 0 {
                return FourTuple(local: TCPEndpoint(.v4(IPv4Address(172, 16, 0, UInt8(i % 20))), 50000),
                                 remote: TCPEndpoint(.v4(IPv4Address(10, 1, 0, UInt8(i % 200))), UInt16(1000 + i)))
            }
            return FourTuple(local: TCPEndpoint(.v6(IPv6Address(high: 0xFE80 << 48, low: UInt64(i % 20))), 50001),
                             remote: TCPEndpoint(.v6(IPv6Address(high: 0x2001 << 48, low: UInt64(i))), UInt16(1000 + i)))
        }
        for i in 0..<100 {
            let flags: TimeWaitEntry.Flags = i % 3 == 0 ? [.portFromBind] : []
            let inserted = table.insert(entry(deadline: 10, sndNxt: UInt32(i), flags: flags), for: tuple(i))
            #expect(inserted)
        }
        // Replacing an entry moves its bind() mark with it.
        table.insert(entry(deadline: 10, sndNxt: 500, flags: [.portFromBind]), for: tuple(2))
        for i in 0..<100 {
            #expect(table[tuple(i)]?.sndNxt.rawValue == (i == 2 ? 500 : UInt32(i)))
        }
        let fromBindEven = (0..<100).filter { $0 % 2 == 0 && ($0 % 3 == 0 || $0 == 2) }.count
        let fromBindOdd = (0..<100).filter { $0 % 2 == 1 && $0 % 3 == 0 }.count
        #expect(table.holders(ofPort: 50000)?.entries == 50)
        #expect(table.holders(ofPort: 50000).map { Int($0.fromBind) } == fromBindEven)
        #expect(table.holders(ofPort: 50001)?.entries == 50)
        #expect(table.holders(ofPort: 50001).map { Int($0.fromBind) } == fromBindOdd)
        #expect(table.holders(ofPort: 50002) == nil)
        #expect(table.contains(port: 50001) { local, _ in local.isIPv6 })
        #expect(!table.contains(port: 50002) { _, _ in true })
        for i in 0..<100 where i % 2 == 0 { table.remove(tuple(i)) }
        #expect(table.holders(ofPort: 50000) == nil)
        #expect(!table.contains(port: 50000) { _, _ in true })
        #expect(table.holders(ofPort: 50001)?.entries == 50)
        for i in 0..<100 { #expect((table[tuple(i)] != nil) == (i % 2 == 1)) }
    }
}
