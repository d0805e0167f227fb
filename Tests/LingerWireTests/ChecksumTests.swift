import Testing
@testable import LingerWire

@Suite struct ChecksumTests {
    @Test func emptyInputGivesAllOnes() {
        #expect(InternetChecksum.checksum([UInt8]()) == 0xFFFF)
    }

    /// The worked example of RFC 1071 section 3: the sum of 0001 f203 f4f5 f6f7 is ddf2.
    @Test func rfc1071Example() {
        var c = InternetChecksum()
        c.add([0x00, 0x01, 0xF2, 0x03, 0xF4, 0xF5, 0xF6, 0xF7])
        #expect(c.sum16 == 0xDDF2)
        #expect(c.checksum == 0x220D)
    }

    @Test func matchesReferenceOnRandomBuffersOfEveryLength() {
        var rng = SplitMix64(seed: 1)
        for length in 0..<300 {
            let data = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            #expect(InternetChecksum.checksum(data) == referenceChecksum(data), "length \(length)")
        }
        // All-ones data stresses carry folding.
        for length in [1, 2, 3, 4, 7, 8, 64, 65, 4096, 65535] {
            let data = [UInt8](repeating: 0xFF, count: length)
            #expect(InternetChecksum.checksum(data) == referenceChecksum(data), "ones, length \(length)")
        }
    }

    @Test func chunksOfAnyLengthSumLikeTheWhole() {
        var rng = SplitMix64(seed: 2)
        for _ in 0..<200 {
            let data = (0..<Int.random(in: 0...80, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            var c = InternetChecksum()
            var i = 0
            while i < data.count {
                let n = Int.random(in: 1...7, using: &rng)
                c.add(Array(data[i..<min(data.count, i + n)]))
                i += n
            }
            #expect(c.checksum == referenceChecksum(data))
        }
    }

    /// The copying sum (64-byte vector blocks, then words, then a tail) gives the
    /// reference checksum and an exact copy, for lengths around the block size,
    /// unaligned starts on both sides, and all-ones data that stresses carries.
    @Test func copyingSumMatchesReferenceAndCopiesExactly() {
        var rng = SplitMix64(seed: 3)
        var lengths = Array(0..<260)
        for _ in 0..<60 { lengths.append(Int.random(in: 260...70000, using: &rng)) }
        lengths += [65483, 65535, 65536]
        for length in lengths {
            let sourceShift = Int.random(in: 0...7, using: &rng)
            let destinationShift = Int.random(in: 0...7, using: &rng)
            let ones = length % 5 == 0
            let data = (0..<(length + sourceShift)).map { _ in ones ? 0xFF : UInt8.random(in: 0...255, using: &rng) }
            var copy = [UInt8](repeating: 0xA5, count: length + destinationShift + 1)
            var c = InternetChecksum()
            data.withUnsafeBytes { src in
                copy.withUnsafeMutableBytes { dst in
                    c.add(copying: UnsafeRawBufferPointer(rebasing: src[sourceShift...]),
                          to: dst.baseAddress! + destinationShift)
                }
            }
            let payload = Array(data[sourceShift...])
            #expect(c.checksum == referenceChecksum(payload), "length \(length)")
            #expect(Array(copy[destinationShift..<(destinationShift + length)]) == payload, "length \(length)")
            #expect(copy.last == 0xA5, "length \(length): wrote past the end")
        }
    }

    /// Copying chunks of any length, odd ones included, sums like the whole.
    @Test func copyingChunksSumLikeTheWhole() {
        var rng = SplitMix64(seed: 4)
        for _ in 0..<100 {
            let data = (0..<Int.random(in: 0...600, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            var copy = [UInt8](repeating: 0, count: data.count)
            var c = InternetChecksum()
            var i = 0
            while i < data.count {
                let n = min(data.count - i, Int.random(in: 1...150, using: &rng))
                data.withUnsafeBytes { src in
                    copy.withUnsafeMutableBytes { dst in
                        c.add(copying: UnsafeRawBufferPointer(rebasing: src[i..<(i + n)]), to: dst.baseAddress! + i)
                    }
                }
                i += n
            }
            #expect(c.checksum == referenceChecksum(data))
            #expect(copy == data)
        }
    }

    /// Every Python-built oracle packet has checksums computed by Python; they must verify,
    /// and recomputing them must give the same bytes. One packet was built with a
    /// deliberately wrong TCP checksum.
    @Test func pythonBuiltPacketsVerifyAndRebuildIdentically() throws {
        var badOnes = 0
        for group in TcpdumpOracle.groups {
            for c in group.cases {
                let wire = bytes(c.hex)
                let packet = try Packet(parsing: wire, malformedOptions: .keepAsUnparsed)
                do {
                    _ = try Packet(parsing: wire, checksums: .verify, malformedOptions: .keepAsUnparsed)
                    #expect(packet.serialize() == wire, "\(c.relative)")
                } catch {
                    badOnes += 1
                    guard case .badChecksum(.tcp, let expected, let found, let offset) = error else {
                        Issue.record("unexpected \(error) for \(c.relative)")
                        continue
                    }
                    #expect(offset == 36)
                    #expect(found == UInt16(wire[36]) << 8 | UInt16(wire[37]))
                    // The expected value is what recomputing writes, and that then verifies.
                    let fixed = packet.serialize()
                    #expect(UInt16(fixed[36]) << 8 | UInt16(fixed[37]) == expected)
                    #expect(throws: Never.self) { try Packet(parsing: fixed, checksums: .verify) }
                }
            }
        }
        #expect(badOnes == 1)
    }

    @Test func pseudoHeaderSumsMatchHandComputation() {
        // 192.0.2.1 -> 192.168.0.1, TCP, 20 bytes: c000+0201+c0a8+0001+0006+0014.
        var v4 = InternetChecksum()
        v4.addPseudoHeader(source: IPv4Address(192, 0, 2, 1), destination: IPv4Address(192, 168, 0, 1), protocol: 6, length: 20)
        #expect(v4.sum16 == 0x82C5)  // 0x182c4 folded
        // ::1 -> ::1, TCP, 40 bytes: 1 + 1 + 0x28 + 6 = 0x30 (what loopback leaves in the field).
        var v6 = InternetChecksum()
        v6.addPseudoHeader(source: .loopback, destination: .loopback, nextHeader: 6, length: 40)
        #expect(v6.sum16 == 0x0030)
    }
}
