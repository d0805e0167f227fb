import Testing
import LingerWire

/// Nothing traps on any input: random buffers, every truncation and many mutations of
/// valid packets either throw a `WireError` or parse to a packet that rebuilds to the
/// same bytes, and whose text forms can be produced. Deterministically seeded.
@Suite struct NoTrapFuzzTests {
    /// Parses `b` every way and checks the round trip; returns whether the strict parse succeeded.
    @discardableResult
    static func exercise(_ b: [UInt8]) -> Bool {
        var ok = false
        for policy in [MalformedOptionPolicy.reject, .keepAsUnparsed] {
            do {
                let packet = try Packet(parsing: b, malformedOptions: policy)
                #expect(packet.serialize(updatingLengths: false, updatingChecksums: false) == b)
                // Building with fresh lengths and checksums must not trap either, and must
                // parse back with checksums verifying... except where the length fields
                // could not hold the size or the packet is a fragment.
                _ = packet.serialize()
                var tcpdump = TcpdumpFormatter()
                _ = tcpdump.format(packet)
                _ = PacketdrillFormatter(showEndpoints: true, showIPECN: true).format(packet)
                if policy == .reject { ok = true }
            } catch {
                _ = error.description
            }
        }
        // Checksum verification paths.
        _ = try? Packet(parsing: b, checksums: .verify)
        _ = try? Packet(parsing: b, checksums: .verifyAllowingPartial, malformedOptions: .keepAsUnparsed)
        b.withUnsafeBytes { raw in _ = try? Packet(parsing: raw, checksums: .verify) }
        return ok
    }

    @Test func randomBuffers() {
        var rng = SplitMix64(seed: 0x11E6)
        var parsed = 0
        for _ in 0..<30_000 {
            var b = (0..<Int.random(in: 0...120, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            // Steer most buffers past the first checks: a plausible version and length.
            if !b.isEmpty, Bool.random(using: &rng) {
                if Bool.random(using: &rng), b.count >= 20 {
                    b[0] = 0x40 | UInt8.random(in: 5...15, using: &rng)
                    b[2] = UInt8(b.count >> 8)
                    b[3] = UInt8(truncatingIfNeeded: b.count)
                    b[6] &= 0x1F  // mostly unfragmented
                    b[9] = [6, 6, 6, 17, 1, 58, 99][Int.random(in: 0...6, using: &rng)]
                } else if b.count >= 40 {
                    b[0] = 0x60
                    b[4] = UInt8((b.count - 40) >> 8)
                    b[5] = UInt8(truncatingIfNeeded: b.count - 40)
                    b[6] = [6, 6, 17, 58, 0, 43, 44, 60, 51, 59][Int.random(in: 0...9, using: &rng)]
                }
            }
            if Self.exercise(b) { parsed += 1 }
        }
        // The steering must actually reach the transport parsers.
        #expect(parsed > 1_000)
    }

    @Test func everyTruncationOfValidPackets() {
        for wire in allOraclePackets {
            for n in 0...wire.count {
                Self.exercise(Array(wire.prefix(n)))
            }
        }
    }

    @Test func mutatedValidPackets() {
        var rng = SplitMix64(seed: 0xF00D)
        let packets = allOraclePackets
        for _ in 0..<30_000 {
            var b = packets[Int.random(in: 0..<packets.count, using: &rng)]
            for _ in 0..<Int.random(in: 1...4, using: &rng) where !b.isEmpty {
                let i = Int.random(in: 0..<b.count, using: &rng)
                switch Int.random(in: 0...3, using: &rng) {
                case 0: b[i] = UInt8.random(in: 0...255, using: &rng)
                case 1: b[i] ^= 1 << UInt8.random(in: 0...7, using: &rng)
                case 2: b[i] = [0, 1, 2, 0xFF, 0x7F, 0x80][Int.random(in: 0...5, using: &rng)]
                default: b.remove(at: i)
                }
            }
            // Keep length fields right half of the time so the mutation reaches deeper layers.
            if Bool.random(using: &rng), b.count >= 40 {
                if b[0] >> 4 == 4 {
                    b[2] = UInt8(b.count >> 8)
                    b[3] = UInt8(truncatingIfNeeded: b.count)
                } else if b[0] >> 4 == 6 {
                    b[4] = UInt8((b.count - 40) >> 8)
                    b[5] = UInt8(truncatingIfNeeded: b.count - 40)
                }
            }
            Self.exercise(b)
        }
    }

    @Test func hexDumpNeverTraps() {
        var rng = SplitMix64(seed: 0x4E7)
        let alphabet = Array("0123456789abcdefABCDEFx: \t\n\r0x0000:g.".utf8)
        for _ in 0..<5_000 {
            let text = String(decoding: (0..<Int.random(in: 0...80, using: &rng)).map { _ in
                alphabet[Int.random(in: 0..<alphabet.count, using: &rng)]
            }, as: UTF8.self)
            _ = try? HexDump.packets(in: text)
        }
    }
}
