/// Which checksum a ``WireError/badChecksum(_:expected:found:offset:)`` is about.
public enum ChecksumKind: String, Sendable, Hashable, CustomStringConvertible {
    case ipv4Header = "IPv4 header"
    case tcp = "TCP"
    case udp = "UDP"
    case icmpv4 = "ICMP"
    case icmpv6 = "ICMPv6"

    public var description: String { rawValue }
}

/// Why a byte buffer is not a well-formed packet.
///
/// Every case carries the byte offset (from the start of the packet) where the problem
/// was found, and ``description`` says in words what is wrong there.
public enum WireError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The buffer is empty.
    case empty
    /// The version nibble of the first byte is neither 4 nor 6.
    case badIPVersion(UInt8)
    /// Fewer than 20 bytes where an IPv4 header starts.
    case truncatedIPv4Header(offset: Int, available: Int)
    /// IHL below 5 (a header shorter than 20 bytes), or larger than the packet.
    case badIHL(ihl: UInt8, offset: Int)
    /// Fewer than 40 bytes where an IPv6 header starts, or an extension header cut short.
    case truncatedIPv6Header(offset: Int, available: Int)
    /// IPv4 total length or IPv6 payload length says more bytes than the buffer holds.
    case lengthLargerThanBuffer(declared: Int, buffer: Int, offset: Int)
    /// IPv4 total length or IPv6 payload length says fewer bytes than the buffer holds.
    case lengthSmallerThanBuffer(declared: Int, buffer: Int, offset: Int)
    /// Fewer than 20 bytes where a TCP header starts.
    case truncatedTCPHeader(offset: Int, available: Int)
    /// TCP data offset below 5, or pointing past the end of the segment.
    case badDataOffset(dataOffset: UInt8, offset: Int, available: Int)
    /// A TCP option's length byte is missing, or the option runs past the end of the header.
    case optionRunsPastHeader(kind: UInt8, offset: Int)
    /// A TCP option's length byte is below 2 (it could never advance).
    case badOptionLength(kind: UInt8, length: UInt8, offset: Int)
    /// Fewer than 8 bytes where a UDP header starts.
    case truncatedUDPHeader(offset: Int, available: Int)
    /// UDP length field disagrees with the bytes the IP layer carries.
    case badUDPLength(declared: Int, available: Int, offset: Int)
    /// Fewer bytes than the ICMP or ICMPv6 header needs (4 to 8 bytes depending on type).
    case truncatedICMPHeader(offset: Int, available: Int)
    /// A checksum does not match the bytes it covers.
    case badChecksum(ChecksumKind, expected: UInt16, found: UInt16, offset: Int)

    /// The offset, from the start of the packet, where the problem was found.
    public var offset: Int {
        switch self {
        case .empty, .badIPVersion: 0
        case .truncatedIPv4Header(let o, _), .truncatedIPv6Header(let o, _), .truncatedTCPHeader(let o, _),
            .truncatedUDPHeader(let o, _), .truncatedICMPHeader(let o, _):
            o
        case .badIHL(_, let o), .optionRunsPastHeader(_, let o), .badOptionLength(_, _, let o): o
        case .lengthLargerThanBuffer(_, _, let o), .lengthSmallerThanBuffer(_, _, let o), .badUDPLength(_, _, let o): o
        case .badDataOffset(_, let o, _): o
        case .badChecksum(_, _, _, let o): o
        }
    }

    public var description: String {
        switch self {
        case .empty:
            return "empty packet: no bytes at all"
        case .badIPVersion(let v):
            return "byte 0: IP version \(v) is neither 4 nor 6"
        case .truncatedIPv4Header(let o, let a):
            return "byte \(o): truncated IPv4 header: needs 20 bytes, only \(a) present"
        case .badIHL(let ihl, let o):
            return "byte \(o): bad IPv4 IHL \(ihl) (\(Int(ihl) * 4) bytes): must be at least 5 and fit in the packet"
        case .truncatedIPv6Header(let o, let a):
            if o == 0 { return "byte 0: truncated IPv6 header: needs 40 bytes, only \(a) present" }
            return "byte \(o): truncated IPv6 extension header: only \(a) bytes left, fewer than it needs"
        case .lengthLargerThanBuffer(let d, let b, let o):
            return "byte \(o): IP length field says \(d) bytes but the buffer has only \(b)"
        case .lengthSmallerThanBuffer(let d, let b, let o):
            return "byte \(o): IP length field says \(d) bytes but the buffer has \(b)"
        case .truncatedTCPHeader(let o, let a):
            return "byte \(o): truncated TCP header: needs 20 bytes, only \(a) present"
        case .badDataOffset(let d, let o, let a):
            return "byte \(o): bad TCP data offset \(d) (\(Int(d) * 4) bytes): must be at least 5 and within the \(a) segment bytes"
        case .optionRunsPastHeader(let k, let o):
            return "byte \(o): TCP option kind \(k) runs past the end of the TCP header"
        case .badOptionLength(let k, let l, let o):
            return "byte \(o): TCP option kind \(k) has bad length \(l) (must be at least 2)"
        case .truncatedUDPHeader(let o, let a):
            return "byte \(o): truncated UDP header: needs 8 bytes, only \(a) present"
        case .badUDPLength(let d, let a, let o):
            return "byte \(o): UDP length field says \(d) bytes but the IP layer carries \(a)"
        case .truncatedICMPHeader(let o, let a):
            return "byte \(o): truncated ICMP header: only \(a) bytes present"
        case .badChecksum(let k, let e, let f, let o):
            return "byte \(o): bad \(k) checksum: expected \(hex4(e)), found \(hex4(f))"
        }
    }
}

/// `0x` followed by exactly four lowercase hex digits.
func hex4(_ v: UInt16) -> String {
    "0x" + hexDigits(UInt64(v), width: 4)
}

/// Lowercase hex digits of `v`, left-padded with zeros to `width`.
func hexDigits(_ v: UInt64, width: Int) -> String {
    let s = String(v, radix: 16)
    return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
}
