import LingerWire
import Testing

/// The pcap layout (libpcap's savefile format): a 24-byte global header, then a
/// 16-byte record header before each packet.
@Suite struct PcapFileTests {
    func u32(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
    }

    @Test func globalHeaderSaysRawIPWithMicroseconds() {
        let file = PcapFile()
        #expect(file.bytes.count == 24)
        #expect(file.bytes[0..<4] == [0xD4, 0xC3, 0xB2, 0xA1])
        #expect(file.bytes[4..<8] == [2, 0, 4, 0])
        #expect(u32(file.bytes, 16) == 262_144)
        #expect(u32(file.bytes, 20) == 101)
        #expect(file.packetCount == 0)
    }

    @Test func recordsCarryTimeAndLengths() {
        var file = PcapFile()
        file.append(packet: [0x45, 1, 2, 3], microseconds: 3_250_000)
        file.append(packet: [0x60], microseconds: -5)
        #expect(file.packetCount == 2)
        #expect(file.bytes.count == 24 + 16 + 4 + 16 + 1)
        #expect(u32(file.bytes, 24) == 3)
        #expect(u32(file.bytes, 28) == 250_000)
        #expect(u32(file.bytes, 32) == 4)
        #expect(u32(file.bytes, 36) == 4)
        #expect(file.bytes[40..<44] == [0x45, 1, 2, 3])
        #expect(u32(file.bytes, 44) == 0, "a time before the epoch is written as 0")
        #expect(file.bytes.last == 0x60)
    }

    @Test func overlongPacketsAreCutToTheSnapshotLength() {
        var file = PcapFile()
        file.append(packet: [UInt8](repeating: 9, count: 300_000), microseconds: 1)
        #expect(u32(file.bytes, 32) == PcapFile.snapshotLength)
        #expect(u32(file.bytes, 36) == 300_000)
        #expect(file.bytes.count == 24 + 16 + Int(PcapFile.snapshotLength))
    }
}
