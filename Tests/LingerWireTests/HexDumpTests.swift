import Testing
import LingerWire

@Suite struct HexDumpTests {
    @Test func plainHexWithSpacesNewlinesAndPrefixes() throws {
        let text = "0x45 00 00 14\n00 00 40 00 40 ff\n0000 0a000001 0a000002"
        let chunks = try HexDump.packets(in: text)
        #expect(chunks.count == 1)
        #expect(chunks.first?.bytes.count == 20)
        #expect(chunks.first?.bytes.prefix(4) == [0x45, 0, 0, 0x14])
    }

    @Test func packetsSeparatedByBlankLinesOrByTheirOwnLength() throws {
        let a = "4500001400004000 40ff00000a0000010a000002"
        let chunks = try HexDump.packets(in: a + "\n" + a + "\n\n" + "deadbeef\n\n")
        #expect(chunks.map(\.bytes.count) == [20, 20, 4])
        #expect(chunks.map(\.line) == [1, 2, 4])
    }

    @Test func tcpdumpXOutputWithAsciiColumn() throws {
        // `tcpdump -nn -t -X -c 1` of the first kernel-capture packet.
        let text = """
            IP 127.0.0.1.44020 > 127.0.0.1.8080: Flags [S], seq 274238777, win 65495, options [mss 65495,sackOK,TS val 1734244249 ecr 0,nop,wscale 10], length 0
            \t0x0000:  4500 003c 8f3f 4000 4006 ad7a 7f00 0001  E..<.?@.@..z....
            \t0x0010:  7f00 0001 abf4 1f90 1058 8d39 0000 0000  .........X.9....
            \t0x0020:  a002 ffd7 fe30 0000 0204 ffd7 0402 080a  .....0..........
            \t0x0030:  675e 7799 0000 0000 0103 030a            g^w.........
            """
        let chunks = try HexDump.packets(in: text)
        #expect(chunks.map(\.bytes) == [bytes(KernelCapture.packets[0].hex)])
        // An ASCII column that happens to look like hex is still not read as bytes.
        let tricky = "\t0x0000:  4500  ab\n"
        #expect(try HexDump.packets(in: tricky).map(\.bytes) == [[0x45, 0]])
    }

    @Test func errorsSayWhere() {
        #expect(throws: HexDumpError(line: 2, column: 3, reason: "'z' is not a hex digit")) {
            try HexDump.packets(in: "4500\n45z0")
        }
        #expect(throws: HexDumpError(line: 1, column: 6, reason: "odd number of hex digits: the last byte has only one digit")) {
            try HexDump.packets(in: "4500 4")
        }
        #expect(throws: HexDumpError(line: 2, column: 1, reason: "offset 0x20 but 16 bytes read so far in this packet")) {
            try HexDump.packets(in: "\t0x0000:  4500 003c 8f3f 4000 4006 ad7a 7f00 0001\n\t0x0020:  0000")
        }
    }
}
