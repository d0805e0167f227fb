/// A classic libpcap capture file (the format `tcpdump -w` writes and `tcpdump -r`,
/// `tshark -r` and Wireshark read), built in memory.
///
/// The link type is LINKTYPE_RAW (101): each record is a bare IPv4 or IPv6
/// packet, which is what a TUN device carries and what Linger's stack sends.
/// Timestamps have microsecond resolution; the byte order is the writer's
/// (little-endian), which readers detect from the magic number.
public struct PcapFile: Sendable {
    /// LINKTYPE_RAW: records start with the IP header.
    public static let linkTypeRawIP: UInt32 = 101
    /// The largest record kept whole; longer packets are cut to this length.
    public static let snapshotLength: UInt32 = 262_144

    /// The file's bytes so far: the global header, then every record.
    public private(set) var bytes: [UInt8]
    /// How many packets have been added.
    public private(set) var packetCount = 0

    /// An empty capture: just the global header.
    public init() {
        bytes = []
        bytes.reserveCapacity(4096)
        append32(0xA1B2_C3D4)  // microsecond timestamps
        append16(2)  // version 2.4
        append16(4)
        append32(0)  // thiszone: timestamps are UTC
        append32(0)  // sigfigs
        append32(Self.snapshotLength)
        append32(Self.linkTypeRawIP)
    }

    /// Adds one packet seen at `microseconds` since the Unix epoch (negative
    /// times are written as 0).
    public mutating func append(packet: [UInt8], microseconds: Int64) {
        let time = max(0, microseconds)
        let kept = min(packet.count, Int(Self.snapshotLength))
        append32(UInt32(truncatingIfNeeded: time / 1_000_000))
        append32(UInt32(truncatingIfNeeded: time % 1_000_000))
        append32(UInt32(kept))
        append32(UInt32(truncatingIfNeeded: packet.count))
        bytes.append(contentsOf: packet[0..<kept])
        packetCount += 1
    }

    private mutating func append16(_ value: UInt16) {
        bytes.append(UInt8(truncatingIfNeeded: value))
        bytes.append(UInt8(truncatingIfNeeded: value >> 8))
    }

    private mutating func append32(_ value: UInt32) {
        for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }
}
