import LingerWire
import Testing

@testable import LingerStack

/// The small pieces the connection logic stands on: windows in sequence space,
/// PAWS, the byte and record queues.
@Suite struct SequenceAndBufferTests {
    @Test func windowAcceptsSegmentsThatOverlapIt() {
        let start = SequenceNumber(1000)
        let end = SequenceNumber(2000)
        // RFC 793's acceptability test as tcp_in_window applies it.
        #expect(sequenceInWindow(SequenceNumber(1000), SequenceNumber(1000), start, end))  // empty at the left edge
        #expect(sequenceInWindow(SequenceNumber(900), SequenceNumber(1100), start, end))  // straddles the left edge
        #expect(sequenceInWindow(SequenceNumber(1999), SequenceNumber(2100), start, end))
        #expect(!sequenceInWindow(SequenceNumber(2000), SequenceNumber(2100), start, end))  // starts at the right edge
        #expect(!sequenceInWindow(SequenceNumber(500), SequenceNumber(1000), start, end))  // ends at the left edge
    }

    @Test func windowWorksAcrossTheWrap() {
        let start = SequenceNumber(UInt32.max - 100)
        let end = start + 1000
        #expect(sequenceInWindow(SequenceNumber(10), SequenceNumber(20), start, end))
        #expect(!sequenceInWindow(SequenceNumber(2000), SequenceNumber(2010), start, end))
    }

    @Test func pawsRejectsOlderTimestampsOnly() {
        // A timestamp one tick older than ts_recent is rejected by tcp_paws_reject...
        #expect(pawsRejects(tsRecent: 1000, tsRecentStamp: 50, tsVal: 999, isRst: false, nowSeconds: 60))
        // ...an equal or newer one is not, nor is anything once ts_recent is 0.
        #expect(!pawsRejects(tsRecent: 1000, tsRecentStamp: 50, tsVal: 1000, isRst: false, nowSeconds: 60))
        #expect(!pawsRejects(tsRecent: 1000, tsRecentStamp: 50, tsVal: 5000, isRst: false, nowSeconds: 60))
        #expect(!pawsRejects(tsRecent: 0, tsRecentStamp: 50, tsVal: 1, isRst: false, nowSeconds: 60))
        // Wrapping: a value "after" ts_recent modulo 2^32 passes.
        #expect(!pawsRejects(tsRecent: UInt32.max - 5, tsRecentStamp: 50, tsVal: 3, isRst: false, nowSeconds: 60))
        // A RST passes once ts_recent is older than TCP_PAWS_MSL (60 s).
        #expect(pawsRejects(tsRecent: 1000, tsRecentStamp: 50, tsVal: 10, isRst: true, nowSeconds: 100))
        #expect(!pawsRejects(tsRecent: 1000, tsRecentStamp: 50, tsVal: 10, isRst: true, nowSeconds: 111))
    }

    @Test func byteRingKeepsOrderAcrossGrowthAndWrap() {
        var ring = ByteRing()
        var model: [UInt8] = []
        var next: UInt8 = 0
        for round in 0..<200 {
            let add = (round * 37) % 700
            var chunk: [UInt8] = []
            for _ in 0..<add {
                chunk.append(next)
                next &+= 1
            }
            ring.append(chunk)
            model += chunk
            let drop = min(model.count, (round * 53) % 650)
            ring.removeFirst(drop)
            model.removeFirst(drop)
            #expect(ring.count == model.count)
        }
        var out: [UInt8] = []
        ring.copy(offset: 0, length: ring.count, into: &out)
        #expect(out == model)
        var middle = [UInt8](repeating: 0, count: 100)
        var sum: InternetChecksum? = InternetChecksum()
        middle.withUnsafeMutableBytes { ring.copy(offset: 10, length: 100, to: $0.baseAddress!, summing: &sum) }
        #expect(middle == Array(model[10..<110]))
        #expect(sum?.checksum == InternetChecksum.checksum(Array(model[10..<110])))
    }

    /// The copy that sums (how payload goes into a packet) gives the bytes and
    /// their checksum across the end of the storage, odd split included, and
    /// copies without summing when there is no checksum to feed.
    @Test func byteRingCopiesAndSumsAcrossTheWrap() {
        var ring = ByteRing(capacity: 256)
        ring.appendZeros(101)
        ring.removeFirst(101)
        let model = (0..<230).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        ring.append(model)  // starts at 101: 155 bytes to the end, then 75 wrapped
        for (offset, length) in [(0, 230), (3, 200), (154, 2), (60, 170)] {
            var out = [UInt8](repeating: 0xEE, count: length)
            var sum: InternetChecksum? = InternetChecksum()
            out.withUnsafeMutableBytes { ring.copy(offset: offset, length: length, to: $0.baseAddress!, summing: &sum) }
            let expected = Array(model[offset..<(offset + length)])
            #expect(out == expected)
            #expect(sum?.checksum == InternetChecksum.checksum(expected))
            var plain = [UInt8](repeating: 0xEE, count: length)
            var none: InternetChecksum?
            plain.withUnsafeMutableBytes { ring.copy(offset: offset, length: length, to: $0.baseAddress!, summing: &none) }
            #expect(plain == expected)
            #expect(none == nil)
        }
    }

    @Test func byteRingZerosAndCopiesAcrossTheWrap() {
        var ring = ByteRing(capacity: 256)
        ring.append([UInt8](repeating: 9, count: 200))
        ring.removeFirst(190)
        // 10 nines at the end of the storage, then zeros and bytes that wrap.
        ring.appendZeros(100)
        ring.append((0..<100).map { UInt8($0) })
        #expect(ring.count == 210)
        var out: [UInt8] = [7]
        ring.copy(offset: 5, length: 200, into: &out)
        let expected: [UInt8] = [7] + [UInt8](repeating: 9, count: 5) + [UInt8](repeating: 0, count: 100)
            + (0..<95).map { UInt8($0) }
        #expect(out == expected)
    }

    /// A copy of a ring is a value: writing to either (append, growth, zeros)
    /// leaves the other's bytes as they were.
    @Test func byteRingCopiesAreIndependent() {
        var a = ByteRing()
        a.append([1, 2, 3])
        var b = a
        b.append([4])
        a.removeFirst(1)
        a.append([5])
        var c = b
        c.appendZeros(300)
        var outA: [UInt8] = []
        a.copy(offset: 0, length: a.count, into: &outA)
        var outB: [UInt8] = []
        b.copy(offset: 0, length: b.count, into: &outB)
        var outC: [UInt8] = []
        c.copy(offset: 0, length: c.count, into: &outC)
        #expect(outA == [2, 3, 5])
        #expect(outB == [1, 2, 3, 4])
        #expect(outC == [1, 2, 3, 4] + [UInt8](repeating: 0, count: 300))
    }

    /// A ring that owns its storage writes in place: appends that fit, and
    /// appends after the front was consumed, keep the same storage; only a copy
    /// that is still alive makes a write move to new storage.
    @Test func byteRingWritesInPlaceWhenItOwnsItsStorage() {
        var ring = ByteRing(capacity: 4096)
        ring.append([UInt8](repeating: 7, count: 1000))
        let first = ring.storageAddress
        #expect(first != nil)
        ring.append([UInt8](repeating: 8, count: 1000))
        ring.removeFirst(1500)
        ring.append([UInt8](repeating: 9, count: 3000))
        ring.appendZeros(10)
        #expect(ring.storageAddress == first)
        let copy = ring
        ring.append([1])
        #expect(ring.storageAddress != first)
        #expect(copy.storageAddress == first)
        ring.append([2])
        let moved = ring.storageAddress
        ring.append([3])
        #expect(ring.storageAddress == moved)
    }

    /// A destroyed socket's emptied queues give their storage to the next
    /// socket's fresh ones, which then behave as new queues; queues that are not
    /// empty, shared or too big keep theirs.
    @Test func socketStorageCacheHandsEmptiedStorageToFreshQueues() {
        var cache = SocketStorageCache()
        var sendBytes = ByteRing(), receiveBytes = ByteRing()
        var sendRecords = RingQueue<SendRecord>(), receiveRecords = RingQueue<ReceiveRecord>()
        sendBytes.append([1, 2, 3])
        receiveBytes.append([4])
        sendRecords.append(SendRecord(seq: SequenceNumber(1), endSeq: SequenceNumber(2), flags: []))
        receiveRecords.append(ReceiveRecord(dataEnd: SequenceNumber(5), truesize: 1, tailroom: 0, hasFin: false))
        let sendAddress = sendBytes.storageAddress
        // Not empty: nothing is taken.
        cache.keep(sendBytes: &sendBytes, receiveBytes: &receiveBytes, sendRecords: &sendRecords, receiveRecords: &receiveRecords)
        #expect(cache.count == 0)
        #expect(sendBytes.storageAddress == sendAddress)
        sendBytes.removeFirst(3)
        receiveBytes.removeAll()
        sendRecords.removeFirst()
        receiveRecords.removeAll()
        // A copy still alive keeps the receive ring's storage where it is.
        let copy = receiveBytes
        cache.keep(sendBytes: &sendBytes, receiveBytes: &receiveBytes, sendRecords: &sendRecords, receiveRecords: &receiveRecords)
        #expect(cache.count == 1)
        #expect(sendBytes.storageAddress == nil)
        #expect(receiveBytes.storageAddress != nil)
        #expect(sendRecords.capacity == 0)
        #expect(receiveRecords.capacity == 0)
        withExtendedLifetime(copy) {}

        var nextSend = ByteRing(), nextReceive = ByteRing()
        var nextSendRecords = RingQueue<SendRecord>(), nextReceiveRecords = RingQueue<ReceiveRecord>()
        cache.give(sendBytes: &nextSend, receiveBytes: &nextReceive, sendRecords: &nextSendRecords, receiveRecords: &nextReceiveRecords)
        #expect(cache.count == 0)
        #expect(nextSend.storageAddress == sendAddress)
        #expect(nextSend.isEmpty && nextReceive.isEmpty && nextSendRecords.isEmpty && nextReceiveRecords.isEmpty)
        #expect(nextReceive.storageAddress == nil)
        #expect(nextSendRecords.capacity > 0)
        nextSend.append([9, 8])
        var out: [UInt8] = []
        nextSend.copy(offset: 0, length: 2, into: &out)
        #expect(out == [9, 8])
        #expect(nextSend.storageAddress == sendAddress)
        // Nothing kept: a fresh queue stays fresh.
        var fresh = ByteRing()
        cache.give(sendBytes: &fresh, receiveBytes: &nextReceive, sendRecords: &nextSendRecords, receiveRecords: &nextReceiveRecords)
        #expect(fresh.storageAddress == nil)

        // Too big a ring is freed, not kept.
        var big = ByteRing(capacity: SocketStorageCache.largestRing * 2)
        var empty = ByteRing()
        var q1 = RingQueue<SendRecord>(), q2 = RingQueue<ReceiveRecord>()
        cache.keep(sendBytes: &big, receiveBytes: &empty, sendRecords: &q1, receiveRecords: &q2)
        #expect(cache.count == 0)
    }

    @Test func byteRingIgnoresOutOfRangeRequests() {
        var ring = ByteRing()
        ring.append([1, 2, 3])
        var out: [UInt8] = []
        ring.copy(offset: 2, length: 5, into: &out)
        #expect(out.isEmpty)
        ring.removeFirst(10)
        #expect(ring.isEmpty)
        // A range not in the ring copies as zeros (a packet never carries stale bytes).
        var stale: [UInt8] = [5, 5]
        var sum: InternetChecksum? = InternetChecksum()
        stale.withUnsafeMutableBytes { ring.copy(offset: 0, length: 2, to: $0.baseAddress!, summing: &sum) }
        #expect(stale == [0, 0])
    }

    @Test func ringQueueBehavesLikeAnArray() {
        var q = RingQueue<Int>()
        var model: [Int] = []
        for i in 0..<1000 {
            switch i % 7 {
            case 0, 1, 2:
                q.append(i)
                model.append(i)
            case 3:
                q.removeFirst()
                if !model.isEmpty { model.removeFirst() }
            case 4:
                let at = model.isEmpty ? 0 : i % (model.count + 1)
                q.insert(i, at: at)
                model.insert(i, at: at)
            case 5:
                if !model.isEmpty {
                    let at = i % model.count
                    q.remove(at: at)
                    model.remove(at: at)
                }
            default:
                q.prepend(i)
                model.insert(i, at: 0)
            }
            #expect(q.count == model.count)
        }
        #expect((0..<q.count).map { q[$0] } == model)
        #expect(q.first == model.first)
        #expect(q.last == model.last)
    }

    @Test func ringQueueDrainsToEmptyInOrderAndStartsOver() {
        // Batches of 1 to 5 removed one by one, in order, down to empty (the
        // last one with and without a removed prefix before it); then the
        // queue is reused from the start.
        var q = RingQueue<String>()
        for batch in 1...5 {
            for k in 0..<batch { q.append("\(batch).\(k)") }
            var taken: [String] = []
            while let e = q.removeFirst() { taken.append(e) }
            #expect(taken == (0..<batch).map { "\(batch).\($0)" })
            #expect(q.isEmpty)
            #expect(q.first == nil)
            #expect(q.removeFirst() == nil)
        }
        q.append("again")
        #expect(q.count == 1)
        #expect(q[0] == "again")
        #expect(q.removeFirst() == "again")
        #expect(q.isEmpty)
    }

    @Test func ringQueueOfTrivialElementsStaysBoundedUnderInserts() {
        // A send queue splits its head record (an insert) and then drains,
        // over and over: the storage must stay near the queue's peak length,
        // not grow by one dead slot per insert.
        var q = RingQueue<Int>()
        var model: [Int] = []
        for round in 0..<5_000 {
            for k in 0..<4 {
                q.append(round * 10 + k)
                model.append(round * 10 + k)
            }
            q.insert(-round, at: 1)
            model.insert(-round, at: 1)
            q.prepend(-round - 1)
            model.insert(-round - 1, at: 0)
            #expect((0..<q.count).map { q[$0] } == model)
            while let e = q.removeFirst() { #expect(e == model.removeFirst()) }
        }
        #expect(q.capacity < 64)
    }

    @Test func ringQueueOfTrivialElementsReusesItsEmptiedSlots() {
        // Emptied queues of plain values keep their slots and write over them;
        // what the queue holds must be what an array would hold, whichever
        // way it empties (front, back, all at once) and after compaction.
        var q = RingQueue<Int>()
        var model: [Int] = []
        var next = 0
        func add(_ n: Int) {
            for _ in 0..<n {
                q.append(next)
                model.append(next)
                next += 1
            }
        }
        func check() {
            #expect(q.count == model.count)
            #expect(q.isEmpty == model.isEmpty)
            #expect((0..<q.count).map { q[$0] } == model)
            #expect(q.first == model.first)
            #expect(q.last == model.last)
        }
        for round in 0..<6 {
            add(3 + round)
            check()
            switch round % 3 {
            case 0:
                while let e = q.removeFirst() { #expect(e == model.removeFirst()) }
            case 1:
                while let e = q.removeLast() { #expect(e == model.removeLast()) }
            default:
                q.removeAll()
                model.removeAll()
            }
            check()
            #expect(q.removeFirst() == nil && q.removeLast() == nil)
        }
        // Fewer than before: the dead slots after them stay out of sight.
        add(2)
        q.prepend(-1)
        model.insert(-1, at: 0)
        q.insert(-2, at: 1)
        model.insert(-2, at: 1)
        q.remove(at: 2)
        model.remove(at: 2)
        check()
        // A long run removed from the front compacts the dead prefix.
        add(200)
        for _ in 0..<150 { #expect(q.removeFirst() == model.removeFirst()) }
        check()
        add(5)
        check()
        // An emptied queue's storage, dead slots and all, serves a fresh queue.
        while q.removeFirst() != nil {}
        model.removeAll()
        var spare = q.takeSpareStorage()
        #expect(q.capacity == 0 && q.isEmpty)
        var fresh = RingQueue<Int>()
        fresh.adoptSpareStorage(&spare)
        #expect(fresh.isEmpty && fresh.capacity > 0)
        fresh.append(7)
        #expect(fresh.count == 1 && fresh[0] == 7 && fresh.first == 7 && fresh.last == 7)
        #expect(fresh.removeFirst() == 7)
        #expect(fresh.isEmpty)
    }

    @Test func minimumRTTFilterTracksTheWindowedMinimum() {
        var f = MinRTTFilter()
        f.update(window: 10_000, time: 0, value: 500)
        f.update(window: 10_000, time: 1_000, value: 700)
        #expect(f.value == 500)
        f.update(window: 10_000, time: 2_000, value: 300)
        #expect(f.value == 300)
        // Once the minimum is older than the window, later samples take over.
        f.update(window: 10_000, time: 13_000, value: 900)
        #expect(f.value == 900)
    }
}

@Test func inboundEndSeqCountsDataSynAndFinAndWraps() {
    func segment(seq: UInt32, payload: Int, flags: TCPFlags) -> InboundSegment {
        let address = IPAddress.v4(IPv4Address(10, 0, 0, 1))
        return InboundSegment(source: address, destination: address, sourcePort: 1, destinationPort: 2,
                              seq: SequenceNumber(seq), ack: SequenceNumber(0), flags: flags, window: 0,
                              options: SegmentOptions(), payloadStart: 40, payloadCount: payload,
                              tcpHeaderLength: 20, alignedTimestamp: false, tos: 0)
    }
    #expect(segment(seq: 100, payload: 0, flags: .ack).endSeq == SequenceNumber(100))
    #expect(segment(seq: 100, payload: 10, flags: [.ack, .fin]).endSeq == SequenceNumber(111))
    #expect(segment(seq: 100, payload: 0, flags: .syn).endSeq == SequenceNumber(101))
    #expect(segment(seq: 100, payload: 5, flags: [.syn, .fin]).endSeq == SequenceNumber(107))
    #expect(segment(seq: UInt32.max - 1, payload: 3, flags: .fin).endSeq == SequenceNumber(2))
}
