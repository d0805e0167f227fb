import Testing
import LingerWire

/// One test per malformed-input error, each asserting the exact error (kind and offset).
@Suite struct WireErrorTests {
    /// A Python-built IPv4 SYN: 20-byte IP header, 32-byte TCP header (12 option bytes).
    let syn4 = bytes("45000034000040004006b819c0000201c0a80001d4aa1f9000000000000000008002801879df0000020403e80402010101030307")

    func parseError(_ b: [UInt8], checksums: ChecksumPolicy = .ignore) -> WireError? {
        do {
            _ = try Packet(parsing: b, checksums: checksums)
            return nil
        } catch {
            return error
        }
    }

    /// `syn4` with byte `i` replaced.
    func syn4(setting i: Int, to v: UInt8) -> [UInt8] {
        var b = syn4
        b[i] = v
        return b
    }

    @Test func fixtureIsValid() throws {
        #expect(parseError(syn4, checksums: .verify) == nil)
    }

    @Test func empty() {
        #expect(parseError([]) == .empty)
        #expect(WireError.empty.description.contains("empty"))
    }

    @Test func badIPVersion() {
        let e = parseError(syn4(setting: 0, to: 0x55))
        #expect(e == .badIPVersion(5))
        #expect(e?.description == "byte 0: IP version 5 is neither 4 nor 6")
    }

    @Test func truncatedIPv4Header() {
        let e = parseError(Array(syn4.prefix(19)))
        #expect(e == .truncatedIPv4Header(offset: 0, available: 19))
        #expect(e?.description.contains("needs 20 bytes, only 19 present") == true)
    }

    @Test func badIHL() {
        #expect(parseError(syn4(setting: 0, to: 0x44)) == .badIHL(ihl: 4, offset: 0))
        // IHL 15 (60 bytes) in a 52-byte datagram.
        #expect(parseError(syn4(setting: 0, to: 0x4F)) == .badIHL(ihl: 15, offset: 0))
    }

    @Test func ipLengthLargerOrSmallerThanBuffer() {
        #expect(parseError(Array(syn4.prefix(40))) == .lengthLargerThanBuffer(declared: 52, buffer: 40, offset: 2))
        #expect(parseError(syn4 + [0, 0]) == .lengthSmallerThanBuffer(declared: 52, buffer: 54, offset: 2))
        let e = parseError(syn4 + [0])
        #expect(e?.description == "byte 2: IP length field says 52 bytes but the buffer has 53")
    }

    @Test func truncatedTCPHeader() {
        // Total length 30: only 10 bytes of TCP.
        var b = Array(syn4.prefix(30))
        b[3] = 30
        #expect(parseError(b) == .truncatedTCPHeader(offset: 20, available: 10))
    }

    @Test func badDataOffset() {
        #expect(parseError(syn4(setting: 32, to: 0x40)) == .badDataOffset(dataOffset: 4, offset: 32, available: 32))
        #expect(parseError(syn4(setting: 32, to: 0x90)) == .badDataOffset(dataOffset: 9, offset: 32, available: 32))
    }

    @Test func optionRunsPastHeader() {
        // The window scale option (kind 3 at packet offset 49) claims 4 bytes; 3 remain.
        let e = parseError(syn4(setting: 50, to: 4))
        #expect(e == .optionRunsPastHeader(kind: 3, offset: 49))
        #expect(e?.description == "byte 49: TCP option kind 3 runs past the end of the TCP header")
        // A kind byte in the last position, with no room for its length byte.
        var b = syn4
        b.replaceSubrange(48..<52, with: [1, 1, 1, 8])
        #expect(parseError(b) == .optionRunsPastHeader(kind: 8, offset: 51))
    }

    @Test func badOptionLength() {
        // The MSS option at offset 40 with length 1, then 0.
        #expect(parseError(syn4(setting: 41, to: 1)) == .badOptionLength(kind: 2, length: 1, offset: 40))
        let e = parseError(syn4(setting: 41, to: 0))
        #expect(e == .badOptionLength(kind: 2, length: 0, offset: 40))
        #expect(e?.description.hasPrefix("byte 40: TCP option kind 2 has bad length 0") == true)
    }

    @Test func malformedOptionsCanBeKeptInsteadOfRejected() throws {
        let b = syn4(setting: 41, to: 0)
        let packet = try Packet(parsing: b, malformedOptions: .keepAsUnparsed)
        #expect(packet.tcp?.options == [.unparsed(Array(b[40..<52]))])
        #expect(packet.serialize(updatingLengths: false, updatingChecksums: false) == b)
    }

    @Test func truncatedIPv6Header() throws {
        let e = parseError([0x60] + [UInt8](repeating: 0, count: 30))
        #expect(e == .truncatedIPv6Header(offset: 0, available: 31))
        #expect(e?.description == "byte 0: truncated IPv6 header: needs 40 bytes, only 31 present")
        // A hop-by-hop header announcing 16 bytes where 8 are present.
        let src = try #require(IPv6Address("fd3d::1")), dst = try #require(IPv6Address("fd3d::2"))
        var ip = IPv6Header(source: src, destination: dst, nextHeader: 0)
        ip.extensionHeaders = [IPv6ExtensionHeader(kind: 0, bytes: [59, 1, 1, 4, 0, 0, 0, 0])]
        let b = Packet(ip: .v6(ip), transport: .other(protocolNumber: 59)).serialize()
        #expect(parseError(b) == .truncatedIPv6Header(offset: 40, available: 8))
        #expect(parseError(b)?.description.hasPrefix("byte 40: truncated IPv6 extension header") == true)
    }

    @Test func ipv6PayloadLengthMismatch() throws {
        let b = Packet.udp(from: try #require(IPAddress("fd3d::1")), 1, to: try #require(IPAddress("fd3d::2")), 2, payload: [1, 2, 3]).serialize()
        #expect(parseError(Array(b.dropLast())) == .lengthLargerThanBuffer(declared: 51, buffer: 50, offset: 4))
        #expect(parseError(b + [9]) == .lengthSmallerThanBuffer(declared: 51, buffer: 52, offset: 4))
    }

    @Test func udpErrors() throws {
        let a = try #require(IPAddress("10.0.0.1")), b = try #require(IPAddress("10.0.0.2"))
        var wire = Packet.udp(from: a, 1000, to: b, 2000, payload: [7, 7]).serialize()
        #expect(parseError(wire, checksums: .verify) == nil)
        // UDP length 4: below the header size.
        wire[25] = 4
        #expect(parseError(wire) == .badUDPLength(declared: 4, available: 10, offset: 24))
        wire[25] = 11
        #expect(parseError(wire) == .badUDPLength(declared: 11, available: 10, offset: 24))
        // Only 6 bytes after the IP header.
        var short = Array(wire.prefix(26))
        short[3] = 26
        #expect(parseError(short) == .truncatedUDPHeader(offset: 20, available: 6))
    }

    @Test func icmpTruncated() throws {
        let v4 = Packet.icmpv4(from: IPv4Address(10, 0, 0, 1), to: IPv4Address(10, 0, 0, 2), .echo(reply: false, identifier: 1, sequence: 1)).serialize()
        var cut = Array(v4.prefix(24))
        cut[3] = 24
        #expect(parseError(cut) == .truncatedICMPHeader(offset: 20, available: 4))
        let v6 = Packet.icmpv6(from: .loopback, to: .loopback, .packetTooBig(mtu: 1280)).serialize()
        var cut6 = Array(v6.prefix(44))
        cut6[5] = 4
        #expect(parseError(cut6) == .truncatedICMPHeader(offset: 40, available: 4))
    }

    /// Corrupting each checksum field must report that checksum, the value found, and the
    /// original (correct) value as expected.
    @Test func badChecksumOfEveryKind() throws {
        let v4a = IPv4Address(10, 0, 0, 1), v4b = IPv4Address(10, 0, 0, 2)
        let v6a = try #require(IPv6Address("fd3d::1")), v6b = try #require(IPv6Address("fd3d::2"))
        let quote = Array(syn4.prefix(28))
        let cases: [(ChecksumKind, [UInt8], Int)] = [
            (.ipv4Header, syn4, 10),
            (.tcp, syn4, 36),
            (.tcp, Packet.tcp(from: .v6(v6a), 1, to: .v6(v6b), 2, flags: [.syn], seq: 9, window: 100, payload: [1, 2, 3]).serialize(), 56),
            (.udp, Packet.udp(from: .v4(v4a), 1, to: .v4(v4b), 2, payload: [1]).serialize(), 26),
            (.udp, Packet.udp(from: .v6(v6a), 1, to: .v6(v6b), 2, payload: [1]).serialize(), 46),
            (.icmpv4, Packet.icmpv4(from: v4a, to: v4b, .fragmentationNeeded(mtu: 1400), body: quote).serialize(), 22),
            (.icmpv6, Packet.icmpv6(from: v6a, to: v6b, .echo(reply: true, identifier: 3, sequence: 4), body: [1, 2, 3]).serialize(), 42),
        ]
        for (kind, good, offset) in cases {
            #expect(parseError(good, checksums: .verify) == nil, "\(kind) fixture")
            let original = UInt16(good[offset]) << 8 | UInt16(good[offset + 1])
            var bad = good
            bad[offset] ^= 0x5A
            let found = UInt16(bad[offset]) << 8 | UInt16(bad[offset + 1])
            let e = parseError(bad, checksums: .verify)
            #expect(e == .badChecksum(kind, expected: original, found: found, offset: offset))
            #expect(e?.description.contains("byte \(offset): bad \(kind) checksum") == true)
            // Ignored unless asked for.
            #expect(parseError(bad) == nil)
        }
    }

    @Test func errorsNameTheirOffset() {
        #expect(WireError.badDataOffset(dataOffset: 3, offset: 32, available: 20).offset == 32)
        #expect(WireError.badChecksum(.udp, expected: 1, found: 2, offset: 26).description == "byte 26: bad UDP checksum: expected 0x0001, found 0x0002")
    }
}
