import Testing
import LingerWire

/// Building packets: the builders must produce, byte for byte, what an independent
/// implementation (Python, see TcpdumpOracleFixtures) built for the same fields.
@Suite struct PacketBuildingTests {
    func oracle(_ group: String, _ index: Int) -> [UInt8] {
        bytes(TcpdumpOracle.groups.first { $0.name == group }!.cases[index].hex)
    }

    @Test func tcpOverIPv4MatchesIndependentBuild() {
        let syn = Packet.tcp(from: IPAddress("192.0.2.1")!, 54442, to: IPAddress("192.168.0.1")!, 8080, flags: .syn, seq: 0, window: 32792,
                             options: [.maximumSegmentSize(1000), .sackPermitted, .noOperation, .noOperation, .noOperation, .windowScale(7)])
        #expect(syn.serialize() == oracle("single", 0))
        let sack = Packet.tcp(from: IPAddress("192.0.2.1")!, 54442, to: IPAddress("192.168.0.1")!, 8080, flags: .ack, seq: 1001,
                              ack: 3_000_000_001, window: 257,
                              options: [.noOperation, .noOperation, .sack([SACKBlock(left: 3_000_001_001, right: 3_000_002_001)])])
        #expect(sack.serialize() == oracle("conn", 4))
        let data = Packet.tcp(from: IPAddress("192.168.0.1")!, 8080, to: IPAddress("192.0.2.1")!, 54442, flags: [.psh, .ack],
                              seq: 3_000_000_001, ack: 1001, window: 502, payload: [UInt8](repeating: 0, count: 1000))
        #expect(data.serialize() == oracle("conn", 3))
    }

    @Test func tcpOverIPv6MatchesIndependentBuild() {
        let syn = Packet.tcp(from: IPAddress("fd3d::1")!, 8080, to: IPAddress("fd3d::2")!, 40000, flags: .syn, seq: 4000, window: 65535,
                             options: [.maximumSegmentSize(1440), .sackPermitted, .timestamps(value: 1, echoReply: 2), .noOperation, .windowScale(8)])
        #expect(syn.serialize() == oracle("single", 27))
    }

    @Test func udpAndIcmpMatchIndependentBuild() {
        let udp = Packet.udp(from: IPAddress("192.0.2.1")!, 41399, to: IPAddress("192.168.0.1")!, 9, payload: Array("ping?".utf8))
        #expect(udp.serialize() == oracle("single", 39))
        let echo = Packet.icmpv4(from: IPv4Address(192, 0, 2, 1), to: IPv4Address(192, 168, 0, 1), .echo(reply: false, identifier: 0x1234, sequence: 1),
                                 body: [UInt8](repeating: 0x61, count: 56))
        var expected = oracle("single", 42)
        expected[6] = 0  // the Python ICMP packets had DF set; the builder leaves it clear
        expected[10] = 0
        expected[11] = 0
        let rebuilt = echo.serialize()
        #expect(Array(rebuilt[12...]) == Array(expected[12...]))
        // Frag-needed quoting the original's first 28 bytes.
        let original = try! Packet(parsing: oracle("conn", 3))
        let quote = original.icmpQuote(maximumBytes: 28)
        #expect(quote == Array(oracle("conn", 3).prefix(28)))
        let tooBig = Packet.icmpv6(from: IPv6Address("fd3d::2")!, to: IPv6Address("fd3d::1")!, .packetTooBig(mtu: 1280))
        var f = TcpdumpFormatter()
        #expect(f.format(tooBig) == "IP6 fd3d::2 > fd3d::1: ICMP6, packet too big, mtu 1280, length 8")
    }

    @Test func optionsRoundTripExactlyIncludingPaddingAfterEndOfList() throws {
        let options: [TCPOption] = [.noOperation, .raw(kind: 99, data: [1, 2, 3]), .md5Signature([UInt8](repeating: 7, count: 16)),
                                    .endOfList, .unparsed([5, 6, 7])]
        let p = Packet.tcp(from: IPAddress("10.0.0.1")!, 1, to: IPAddress("10.0.0.2")!, 2, flags: .syn, seq: 1, window: 1, options: options)
        let wire = p.serialize()
        let back = try Packet(parsing: wire, checksums: .verify)
        #expect(back.tcp?.options == options)
        #expect(back.tcp?.dataOffset == 12)
        #expect(back.serialize(updatingLengths: false, updatingChecksums: false) == wire)
    }

    @Test func allHeaderFieldsSurviveARoundTrip() throws {
        var ip = IPv4Header(source: IPv4Address(10, 1, 2, 3), destination: IPv4Address(10, 4, 5, 6), protocolNumber: 6, ttl: 3,
                            tos: 0, identification: 0xBEEF, flags: 0b011, fragmentOffset: 0, options: [0x94, 0x04, 0, 0])
        ip.dscp = 46
        ip.ecn = .ect1
        let tcp = TCPHeader(sourcePort: 1, destinationPort: 2, sequenceNumber: SequenceNumber(0xFFFF_FFFF), acknowledgmentNumber: SequenceNumber(7),
                            flags: [.fin, .syn, .rst, .psh, .ack, .urg, .ece, .cwr, .ae], window: 0xABCD, urgentPointer: 0x1234, reservedBits: 5)
        let p = Packet(ip: .v4(ip), transport: .tcp(tcp), payload: [9, 9])
        let back = try Packet(parsing: p.serialize(), checksums: .verify)
        guard case .v4(let ip2) = back.ip, let tcp2 = back.tcp else {
            Issue.record("not IPv4 TCP")
            return
        }
        #expect(ip2.tos == 46 << 2 | 1)
        #expect(ip2.ecn == .ect1 && ip2.dscp == 46)
        #expect(ip2.dontFragment && ip2.moreFragments && ip2.identification == 0xBEEF && ip2.ttl == 3)
        #expect(ip2.options == [0x94, 0x04, 0, 0] && ip2.ihl == 6)
        #expect(tcp2.flags == [.fin, .syn, .rst, .psh, .ack, .urg, .ece, .cwr, .ae])
        #expect(tcp2.reservedBits == 5 && tcp2.urgentPointer == 0x1234 && tcp2.window == 0xABCD)
        #expect(tcp2.sequenceNumber.rawValue == 0xFFFF_FFFF)
        #expect(back.payload == [9, 9])

        var v6 = IPv6Header(source: .loopback, destination: .loopback, nextHeader: 60, hopLimit: 9, trafficClass: 0xB9, flowLabel: 0xFEDCB)
        v6.extensionHeaders = [IPv6ExtensionHeader(kind: 60, bytes: [44, 0, 1, 4, 0, 0, 0, 0]),
                               IPv6ExtensionHeader(kind: 44, bytes: [6, 0, 0, 0, 0, 0, 0, 1])]
        let p6 = Packet(ip: .v6(v6), transport: .tcp(TCPHeader(sourcePort: 3, destinationPort: 4, sequenceNumber: SequenceNumber(1), flags: .syn, window: 5)))
        let back6 = try Packet(parsing: p6.serialize(), checksums: .verify)
        #expect(back6 == p6.withUpdatedLengthsAndChecksums())
        guard case .v6(let h6) = back6.ip else { return }
        #expect(h6.trafficClass == 0xB9 && h6.ecn == .ect1 && h6.flowLabel == 0xFEDCB && h6.hopLimit == 9)
        #expect(h6.upperLayerProtocol == 6 && h6.extensionHeaders.count == 2)
        #expect(h6.extensionHeaders[1].fragmentIdentification == 1)
    }
}
