import Testing
import LingerWire

/// The packetdrill text form. Expected strings follow packetdrill's script syntax and
/// its packet_to_string() layout (flags, `start:end(len)`, `ack`, `win`, `<options>`).
@Suite struct PacketdrillFormatterTests {
    let client = TCPEndpoint(IPAddress("192.0.2.1")!, 54442)
    let server = TCPEndpoint(IPAddress("192.168.0.1")!, 8080)

    func segment(from: TCPEndpoint, to: TCPEndpoint, _ flags: TCPFlags, seq: UInt32, ack: UInt32 = 0, win: UInt16,
                 options: [TCPOption] = [], length: Int = 0, ecn: ECN = .notECT) -> Packet {
        Packet.tcp(from: from.address, from.port, to: to.address, to.port, flags: flags, seq: seq, ack: ack, window: win,
                   options: options, payload: [UInt8](repeating: 0x61, count: length), ecn: ecn)
    }

    var formatter: PacketdrillFormatter {
        PacketdrillFormatter(initialSequenceNumbers: [client: 1000, server: 3_000_000_000])
    }

    @Test func handshakeDataAndClose() {
        let f = formatter
        #expect(f.format(segment(from: client, to: server, .syn, seq: 1000, win: 32792,
                                 options: [.maximumSegmentSize(1000), .sackPermitted, .noOperation, .noOperation, .noOperation, .windowScale(7)]))
            == "S 0:0(0) win 32792 <mss 1000,sackOK,nop,nop,nop,wscale 7>")
        #expect(f.format(segment(from: server, to: client, [.syn, .ack], seq: 3_000_000_000, ack: 1001, win: 65535,
                                 options: [.maximumSegmentSize(1460)]))
            == "S. 0:0(0) ack 1 win 65535 <mss 1460>")
        #expect(f.format(segment(from: client, to: server, .ack, seq: 1001, ack: 3_000_000_001, win: 257)) == ". 1:1(0) ack 1 win 257")
        #expect(f.format(segment(from: client, to: server, [.psh, .ack], seq: 1001, ack: 3_000_000_001, win: 257, length: 1000))
            == "P. 1:1001(1000) ack 1 win 257")
        #expect(f.format(segment(from: client, to: server, [.fin, .ack], seq: 2001, ack: 3_000_000_001, win: 257,
                                 options: [.noOperation, .noOperation, .timestamps(value: 100, echoReply: 200)]))
            == "F. 1001:1001(0) ack 1 win 257 <nop,nop,TS val 100 ecr 200>")
        var noWindow = f
        noWindow.showWindow = false
        #expect(noWindow.format(segment(from: client, to: server, [.rst, .ack], seq: 2001, ack: 3_000_000_001, win: 0))
            == "R. 1001:1001(0) ack 1")
        #expect(f.format(segment(from: server, to: client, .rst, seq: 3_000_000_001, win: 0)) == "R 1:1(0) win 0")
    }

    @Test func sackBlocksAreRelativeToThePeer() {
        let ack = segment(from: client, to: server, .ack, seq: 1001, ack: 3_000_000_001, win: 257,
                          options: [.noOperation, .noOperation, .sack([SACKBlock(left: 3_000_001_001, right: 3_000_002_001),
                                                                       SACKBlock(left: 3_000_003_001, right: 3_000_004_001)])])
        #expect(formatter.format(ack) == ". 1:1(0) ack 1 win 257 <nop,nop,sack 1001:2001 3001:4001>")
    }

    @Test func ecnFlagsAndMarks() {
        let synECN = segment(from: client, to: server, [.syn, .ece, .cwr], seq: 1000, win: 100)
        #expect(formatter.format(synECN) == "SEW 0:0(0) win 100")
        var ace = formatter
        ace.accurateECN = true
        #expect(ace.format(synECN) == "S3 0:0(0) win 100")
        #expect(ace.format(segment(from: client, to: server, [.syn, .ece, .cwr, .ae], seq: 1000, win: 100)) == "S7 0:0(0) win 100")
        #expect(formatter.format(segment(from: client, to: server, [.syn, .ae], seq: 1000, win: 100)) == "SA 0:0(0) win 100")
        var marks = formatter
        marks.showIPECN = true
        #expect(marks.format(segment(from: client, to: server, [.psh, .ack], seq: 1001, ack: 3_000_000_001, win: 257, length: 10, ecn: .ce))
            == "P. 1:11(10) ack 1 win 257 [ce]")
        #expect(marks.format(segment(from: client, to: server, .ack, seq: 1001, ack: 3_000_000_001, win: 257, ecn: .ect0))
            == ". 1:1(0) ack 1 win 257 [ect0]")
        #expect(marks.format(segment(from: client, to: server, .ack, seq: 1001, ack: 3_000_000_001, win: 257)) == ". 1:1(0) ack 1 win 257")
    }

    @Test func otherOptionsEndpointsAndProtocols() {
        var f = formatter
        f.showEndpoints = true
        let syn = segment(from: client, to: server, .syn, seq: 1000, win: 1,
                          options: [.fastOpen(cookie: []), .fastOpenExperimental(cookie: [1, 2, 3, 4]), .md5Signature([0xAB, 0xCD]), .endOfList])
        #expect(f.format(syn) == "192.0.2.1:54442 > 192.168.0.1:8080 S 0:0(0) win 1 <FO,FOEXP 01020304,md5 abcd,eol>")
        let udp = Packet.udp(from: client.address, 5, to: server.address, 6, payload: [1, 2, 3, 4, 5])
        #expect(f.format(udp) == "192.0.2.1:5 > 192.168.0.1:6 udp (5)")
        #expect(f.format(Packet.icmpv4(from: IPv4Address(1, 2, 3, 4), to: IPv4Address(5, 6, 7, 8), .timeExceeded())) == "icmpv4")
        #expect(f.format(Packet.icmpv6(from: .loopback, to: .loopback, .packetTooBig(mtu: 1280))) == "icmpv6")
    }

    @Test func unknownEndpointsShowRawNumbers() {
        let f = PacketdrillFormatter()
        #expect(f.format(segment(from: client, to: server, .ack, seq: 5, ack: 7, win: 9)) == ". 5:5(0) ack 7 win 9")
    }
}
