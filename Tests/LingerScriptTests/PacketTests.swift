import LingerScript
import Testing

@Suite("Packet lines")
struct PacketTests {
    @Test func synWithTheCommonOptions() throws {
        let packet = try onlyPacket("0.100 < S 0:0(0) win 32792 <mss 1460,sackOK,nop,nop,nop,wscale 7>\n")
        #expect(packet.direction == .inbound)
        #expect(packet.location == LingerScript.SourceLocation(line: 1, column: 7))
        let expected = TCPSegmentSpec(
            flags: TCPFlagsSpec(syn: true), sequence: SequenceRange(start: 0, length: 0), window: 32792,
            options: .exactly([
                TCPOptionSpec(.mss(1460)), TCPOptionSpec(.sackPermitted), TCPOptionSpec(.nop), TCPOptionSpec(.nop), TCPOptionSpec(.nop),
                TCPOptionSpec(.windowScale(7)),
            ]))
        #expect(packet.body == .tcp(expected))
    }

    @Test(arguments: [
        ("S.", TCPFlagsSpec(syn: true, ack: true)),
        ("F.", TCPFlagsSpec(fin: true, ack: true)),
        ("P.", TCPFlagsSpec(psh: true, ack: true)),
        ("R", TCPFlagsSpec(rst: true)),
        ("R.", TCPFlagsSpec(rst: true, ack: true)),
        (".", TCPFlagsSpec(ack: true)),
        ("-", TCPFlagsSpec()),
        ("SEW", TCPFlagsSpec(syn: true, ece: true, cwr: true)),
        ("SA.", TCPFlagsSpec(syn: true, ack: true, ae: true)),
        ("U.", TCPFlagsSpec(ack: true, urg: true)),
        ("FPU", TCPFlagsSpec(fin: true, psh: true, urg: true)),
        ("S.2", TCPFlagsSpec(syn: true, ack: true, ace: 2)),
        (".5", TCPFlagsSpec(ack: true, ace: 5)),
        ("S4", TCPFlagsSpec(syn: true, ace: 4)),
    ])
    func flags(text: String, expected: TCPFlagsSpec) throws {
        let segment = try onlyTCP("0 > \(text) 1:1(0) ack 1\n")
        #expect(segment.flags == expected)
    }

    @Test(arguments: ["SX", "SE3", "S.23"])
    func invalidFlagsAreRejected(text: String) {
        let found = diagnostics("0 > \(text) 1:1(0) ack 1\n")
        #expect(found.count == 1)
        #expect(found.first?.kind == .semantic)
        #expect(found.first?.location.column == 5)
    }

    @Test func sequenceAckWindowAndUrgentPointer() throws {
        let segment = try onlyTCP("+0 < P. 1:1001(1000) ack 4294967295 win 65535 urg 7\n")
        #expect(segment.sequence == SequenceRange(start: 1, length: 1000))
        #expect(segment.sequence.end == 1001)
        #expect(segment.ackNumber == 4_294_967_295)
        #expect(segment.window == 65535)
        #expect(segment.urgentPointer == 7)
        #expect(segment.options == .exactly([]))
    }

    @Test func everyTCPOptionKind() throws {
        let segment = try onlyTCP("""
            0 > S. 0:0(0) ack 1 <nop,eol,mss 1000,wscale 14,sackOK,sack 1:2 3:4 5:6,TS val 4294967295 ecr 0,\
            md5 000102030405060708090a0b0c0d0e0f,FO,FO abcd1234,FOEXP,FOEXP 0123456789abcdef,FO 12345678,\
            ECN e0b 1,ECN e1b 2 ceb 3 e0b 4,ECN e0b 5 ceb 6>
            """)
        let expected: [TCPOptionSpec.Kind] = [
            .nop, .eol, .mss(1000), .windowScale(14), .sackPermitted,
            .sack([SACKBlockSpec(left: 1, right: 2), SACKBlockSpec(left: 3, right: 4), SACKBlockSpec(left: 5, right: 6)]),
            .timestamp(value: 4_294_967_295, echoReply: 0),
            .md5("000102030405060708090a0b0c0d0e0f"),
            .fastOpen(cookie: ""), .fastOpen(cookie: "abcd1234"),
            .fastOpenExperimental(cookie: ""), .fastOpenExperimental(cookie: "0123456789abcdef"),
            .fastOpen(cookie: "12345678"),
            .accECN([AccECNField(counter: .ect0Bytes, value: 1)]),
            .accECN([AccECNField(counter: .ect1Bytes, value: 2), AccECNField(counter: .ceBytes, value: 3), AccECNField(counter: .ect0Bytes, value: 4)]),
            .accECN([AccECNField(counter: .ect0Bytes, value: 5), AccECNField(counter: .ceBytes, value: 6)]),
        ]
        guard case .exactly(let options) = segment.options else {
            Issue.record("expected an option list")
            return
        }
        #expect(options.map(\.kind) == expected)
        #expect(options[1].location == LingerScript.SourceLocation(line: 1, column: 26))
    }

    @Test func anyOptionsOnlyOutbound() throws {
        let segment = try onlyTCP("0 > S. 0:0(0) ack 1 <...>\n")
        #expect(segment.options == .any)
        let found = diagnostics("0 < S 0:0(0) <...>\n")
        #expect(found.map(\.kind) == [.semantic])
        #expect(found.first?.message == "<...> for TCP options can only be used with outbound packets")
    }

    @Test func ecnMarksAndIPInfo() throws {
        #expect(try onlyPacket("0 < [ect0] . 1:1(0) ack 1\n").ipInfo == IPInfo(tos: .ecn(.ect0)))
        #expect(try onlyPacket("0 < [ect1] . 1:1(0) ack 1\n").ipInfo == IPInfo(tos: .ecn(.ect1)))
        #expect(try onlyPacket("0 < [ce] . 1:1(0) ack 1\n").ipInfo == IPInfo(tos: .ecn(.ce)))
        #expect(try onlyPacket("0 < [noecn] E. 1:1(0) ack 1\n").ipInfo == IPInfo(tos: .ecn(.notECT)))
        #expect(try onlyPacket("0 > [ect01] . 1:1(0) ack 1\n").ipInfo == IPInfo(tos: .ect0OrEct1))
        #expect(try onlyPacket("0 > (tos 0x1c) . 1:1(0) ack 1\n").ipInfo == IPInfo(tos: .tos(0x1c)))
        #expect(try onlyPacket("0 > (tos 0x2, flowlabel 0xfffff) . 1:1(0)\n").ipInfo == IPInfo(tos: .tos(2), flowLabel: 0xFFFFF))
        #expect(try onlyPacket("0 > [flowlabel 0x1] . 1:1(0)\n").ipInfo == IPInfo(flowLabel: 1))
        #expect(try onlyPacket("0 > (ttl 64) . 1:1(0)\n").ipInfo == IPInfo(ttl: 64))
        #expect(diagnostics("0 < [ect01] . 1:1(0)\n").map(\.message) == ["[ect01] can only be used with outbound packets"])
        #expect(diagnostics("0 > (tos 16) . 1:1(0)\n").first?.message == "expected a hex TOS value (0x...), found integer 16")
        #expect(diagnostics("0 > (flowlabel 0x100000) . 1:1(0)\n").first?.kind == .semantic)
    }

    @Test func portsAndPSPEncapsulation() throws {
        let segment = try onlyTCP("0 < encap psp spi 0x9a 8080 > 80 S 0:0(0) win 100\n")
        #expect(segment.pspSPI == 0x9A)
        #expect(segment.ports == PortPair(source: 8080, destination: 80))
        #expect(diagnostics("0 < 70000 > 80 S 0:0(0)\n").first?.message == "source port 70000 is out of range (0...65535)")
    }

    @Test func udpLines() throws {
        #expect(try onlyPacket("0 < udp (1000)\n").body == .udp(UDPDatagramSpec(payloadLength: 1000)))
        #expect(try onlyPacket("0 > (tos 0x4) udp 5000 > 53 (20)\n").body == .udp(UDPDatagramSpec(ports: PortPair(source: 5000, destination: 53), payloadLength: 20)))
        #expect(diagnostics("0 > [ect0] udp (20)\n").map(\.message) == ["ECN can only be used with TCP packets"])
    }

    @Test func icmpLines() throws {
        #expect(try onlyPacket("0 > icmp unreachable frag_needed mtu 1200 [1:1461(1460)]\n").body == .icmp(ICMPMessageSpec(
            type: "unreachable", code: "frag_needed", mtu: 1200, echoed: .tcp(SequenceRange(start: 1, length: 1460)))))
        #expect(try onlyPacket("0 < icmp unreachable\n").body == .icmp(ICMPMessageSpec(type: "unreachable")))
        #expect(try onlyPacket("0 < icmp packet_too_big mtu 1280\n").body == .icmp(ICMPMessageSpec(type: "packet_too_big", mtu: 1280)))
        #expect(try onlyPacket("0 < icmp echo_reply id 7 [udp (10)]\n").body == .icmp(ICMPMessageSpec(type: "echo_reply", echoID: 7, echoed: .udp(payloadLength: 10))))
        #expect(try onlyPacket("0 > icmp unreachable port_unreachable [raw (8)]\n").body == .icmp(ICMPMessageSpec(
            type: "unreachable", code: "port_unreachable", echoed: .raw(payloadLength: 8))))
    }

    @Test func outerHeaders() throws {
        let packet = try onlyPacket("""
            0 < ipv4 192.0.2.2 > 192.168.0.1: gre: mpls (label 100, tc 1, ttl 9) (label 7, tc 0, [S], ttl 64): \
            ipv6 (ttl 3) 2001:db8::1 > fd3d:fa7b:d17d::1: gre flags [checksum present, key present], sum 0, off 0, key=5, seq 9: \
            gre, flags 0x2000 sum 1 off 2 key 3 seq 4: S 0:0(0)
            """)
        #expect(packet.encapsulations == [
            .ipv4(ipInfo: nil, source: "192.0.2.2", destination: "192.168.0.1"),
            .gre(nil),
            .mpls([
                MPLSLabelStackEntry(label: 100, trafficClass: 1, isBottomOfStack: false, ttl: 9),
                MPLSLabelStackEntry(label: 7, trafficClass: 0, isBottomOfStack: true, ttl: 64),
            ]),
            .ipv6(ipInfo: IPInfo(ttl: 3), source: "2001:db8::1", destination: "fd3d:fa7b:d17d::1"),
            .gre(GREHeader(flags: .named([.checksumPresent, .keyPresent]), checksum: 0, offset: 0, key: 5, sequence: 9)),
            .gre(GREHeader(flags: .value(0x2000), checksum: 1, offset: 2, key: 3, sequence: 4)),
        ])
        #expect(packet.body == .tcp(TCPSegmentSpec(flags: TCPFlagsSpec(syn: true), sequence: SequenceRange(start: 0, length: 0))))
    }

    @Test func sequenceRangesMustAddUp() {
        let found = diagnostics("0 < P. 1:1001(999) ack 1\n")
        #expect(found.map(\.kind) == [.semantic])
        #expect(found.first?.message == "inconsistent sequence numbers and payload length: 1 + 999 is not 1001")
        #expect(diagnostics("0 < P. 1:4294967297(4294967296) ack 1\n").count == 2)
    }
}
