import LingerWire
import Testing

@testable import LingerStack

/// Segments built in place: into reused buffers, with the payload copied and
/// summed in one pass, and with the device's checksum offload.
@Suite struct SegmentBuildingTests {
    static let tuple = FourTuple(local: TCPEndpoint(.v4(IPv4Address(10, 0, 0, 1)), 40000),
                                 remote: TCPEndpoint(.v4(IPv4Address(10, 0, 0, 2)), 5001))

    static func header(_ tuple: FourTuple = tuple) -> OutboundHeader {
        var h = OutboundHeader(tuple: tuple, seq: SequenceNumber(1000), ack: SequenceNumber(2000),
                               flags: [.ack, .psh], window: 501)
        h.timestamp = (123_456, 654_321)
        h.sackBlocks = [(SequenceNumber(3000), SequenceNumber(4000))]
        return h
    }

    static let payload = (0..<1001).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ 5) }

    /// What LingerWire's packet model parses from the bytes, checksums verified.
    static func parsed(_ bytes: [UInt8]) throws -> Packet {
        try Packet(parsing: bytes, checksums: .verify)
    }

    @Test(arguments: [false, true])
    func reusedBufferGivesTheSameBytesAsAFreshOne(ipv6: Bool) throws {
        let tuple = ipv6
            ? FourTuple(local: TCPEndpoint(.v6(IPv6Address("fd00::1")!), 40000), remote: TCPEndpoint(.v6(IPv6Address("fd00::2")!), 5001))
            : Self.tuple
        let fresh = Self.payload.withUnsafeBytes { SegmentBuilder.build(Self.header(tuple), payload: $0) }
        let packet = try Self.parsed(fresh)
        #expect(packet.payload == Self.payload)
        // A bigger buffer full of other bytes, and a smaller one.
        for start in [[UInt8](repeating: 0x77, count: 5000), [UInt8](repeating: 0x33, count: 10)] {
            var reused = start
            SegmentBuilder.build(Self.header(tuple), payloadLength: Self.payload.count, into: &reused) { destination, sum in
                Self.payload.withUnsafeBytes { sum?.add(copying: $0, to: destination) }
            }
            #expect(reused == fresh)
        }
    }

    /// With offload the TCP checksum field holds the pseudo-header's sum (as
    /// Linux leaves it for CHECKSUM_PARTIAL on lo); everything else is as
    /// without. A stack whose device offloads takes it; one that verifies
    /// checksums drops it and counts the error.
    @Test func offloadLeavesThePseudoHeaderSum() throws {
        let full = Self.payload.withUnsafeBytes { SegmentBuilder.build(Self.header(), payload: $0) }
        let partial = Self.payload.withUnsafeBytes {
            SegmentBuilder.build(Self.header(), payload: $0, checksumOffload: true)
        }
        #expect(full.count == partial.count)
        let checksumAt = 20 + 16
        #expect(Array(full[..<checksumAt]) == Array(partial[..<checksumAt]))
        #expect(Array(full[(checksumAt + 2)...]) == Array(partial[(checksumAt + 2)...]))
        var pseudo = InternetChecksum()
        pseudo.addPseudoHeader(source: IPv4Address(10, 0, 0, 1), destination: IPv4Address(10, 0, 0, 2),
                               protocol: 6, length: full.count - 20)
        #expect(UInt16(partial[checksumAt]) << 8 | UInt16(partial[checksumAt + 1]) == pseudo.sum16)
        #expect(throws: (any Error).self) { try Self.parsed(partial) }

        #expect(throws: Never.self) { try partial.withUnsafeBytes { try SegmentParser.parse($0, verifyingChecksum: false) } }
        #expect(throws: InboundDrop.self) { try partial.withUnsafeBytes { try SegmentParser.parse($0) } }

        let verifying = NetworkStack(addresses: StackAddresses(ipv4: IPv4Address(10, 0, 0, 2)))
        verifying.receive(partial)
        #expect(verifying.counters[.tcpInCsumErrors] == 1)
        let offloading = NetworkStack(addresses: StackAddresses(ipv4: IPv4Address(10, 0, 0, 2), checksumOffload: true))
        offloading.receive(partial)
        #expect(offloading.counters[.tcpInCsumErrors] == 0)
        #expect(offloading.counters[.tcpInSegs] == 1)
    }
}
