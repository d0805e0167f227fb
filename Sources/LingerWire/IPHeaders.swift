/// The two ECN bits of the IP header (RFC 3168).
public enum ECN: UInt8, Sendable, Hashable, CaseIterable {
    /// Not ECN-capable transport (00).
    case notECT = 0
    /// ECN-capable transport, ECT(1) (01).
    case ect1 = 1
    /// ECN-capable transport, ECT(0) (10).
    case ect0 = 2
    /// Congestion experienced (11).
    case ce = 3
}

/// IP protocol numbers Linger knows by name.
public enum IPProtocolNumber {
    /// IPv6 hop-by-hop options header.
    public static let hopByHop: UInt8 = 0
    /// ICMP for IPv4.
    public static let icmp: UInt8 = 1
    /// TCP.
    public static let tcp: UInt8 = 6
    /// UDP.
    public static let udp: UInt8 = 17
    /// IPv6 routing header.
    public static let routing: UInt8 = 43
    /// IPv6 fragment header.
    public static let fragment: UInt8 = 44
    /// IP authentication header.
    public static let authentication: UInt8 = 51
    /// ICMP for IPv6.
    public static let icmpv6: UInt8 = 58
    /// IPv6: nothing follows.
    public static let noNextHeader: UInt8 = 59
    /// IPv6 destination options header.
    public static let destinationOptions: UInt8 = 60
}

/// An IPv4 header (RFC 791) with every field, options kept as raw bytes.
public struct IPv4Header: Hashable, Sendable {
    /// The whole type-of-service byte: DSCP in the high six bits, ECN in the low two.
    public var tos: UInt8
    /// Total length of the datagram in bytes (header and payload).
    public var totalLength: UInt16
    /// Identification, for fragment reassembly.
    public var identification: UInt16
    /// The three flag bits: reserved (0b100), DF (0b010), MF (0b001).
    public var flags: UInt8
    /// Fragment offset in units of 8 bytes (13 bits).
    public var fragmentOffset: UInt16
    /// Time to live.
    public var ttl: UInt8
    /// Protocol number of the payload (6 TCP, 17 UDP, 1 ICMP).
    public var protocolNumber: UInt8
    /// Header checksum as carried (or as computed when serialized with checksum updates).
    public var checksum: UInt16
    /// Source address.
    public var source: IPv4Address
    /// Destination address.
    public var destination: IPv4Address
    /// Option bytes after the fixed 20-byte header; serialized padded with zeros to a
    /// multiple of 4 (parsed options always are).
    public var options: [UInt8]

    /// A header with the given fields; lengths and checksum are filled in when serialized.
    public init(
        source: IPv4Address, destination: IPv4Address, protocolNumber: UInt8, ttl: UInt8 = 64,
        tos: UInt8 = 0, identification: UInt16 = 0, flags: UInt8 = 0b010, fragmentOffset: UInt16 = 0,
        totalLength: UInt16 = 0, checksum: UInt16 = 0, options: [UInt8] = []
    ) {
        self.tos = tos
        self.totalLength = totalLength
        self.identification = identification
        self.flags = flags
        self.fragmentOffset = fragmentOffset
        self.ttl = ttl
        self.protocolNumber = protocolNumber
        self.checksum = checksum
        self.source = source
        self.destination = destination
        self.options = options
    }

    /// Differentiated services code point: the high six bits of ``tos``.
    public var dscp: UInt8 {
        get { tos >> 2 }
        set { tos = (newValue << 2) | (tos & 3) }
    }

    /// The ECN field: the low two bits of ``tos``.
    public var ecn: ECN {
        get { ECN(rawValue: tos & 3) ?? .notECT }
        set { tos = (tos & 0xFC) | newValue.rawValue }
    }

    /// Don't Fragment.
    public var dontFragment: Bool {
        get { flags & 0b010 != 0 }
        set { flags = newValue ? flags | 0b010 : flags & ~0b010 }
    }

    /// More Fragments.
    public var moreFragments: Bool {
        get { flags & 0b001 != 0 }
        set { flags = newValue ? flags | 0b001 : flags & ~0b001 }
    }

    /// Header length in 32-bit words (IHL), from the options carried.
    public var ihl: UInt8 { UInt8(truncatingIfNeeded: min(15, 5 + (options.count + 3) / 4)) }

    /// Header length in bytes.
    public var headerLength: Int { Int(ihl) * 4 }

    /// Whether this datagram is a fragment (MF set or a nonzero offset).
    public var isFragment: Bool { moreFragments || fragmentOffset != 0 }

    /// Appends the header; `totalLength` and `checksum` as given.
    func append(to out: inout [UInt8], totalLength: UInt16, checksum: UInt16) {
        out.append(0x40 | ihl)
        out.append(tos)
        appendBE16(&out, totalLength)
        appendBE16(&out, identification)
        appendBE16(&out, UInt16(flags & 7) << 13 | (fragmentOffset & 0x1FFF))
        out.append(ttl)
        out.append(protocolNumber)
        appendBE16(&out, checksum)
        source.append(to: &out)
        destination.append(to: &out)
        let optionRoom = headerLength - 20
        out.append(contentsOf: options.prefix(optionRoom))
        if options.count < optionRoom {
            out.append(contentsOf: repeatElement(0, count: optionRoom - options.count))
        }
    }
}

/// One IPv6 extension header, kept as its raw bytes so a rebuild is exact.
public struct IPv6ExtensionHeader: Hashable, Sendable {
    /// Which header this is: the Next Header value that announced it (0 hop-by-hop,
    /// 43 routing, 44 fragment, 51 authentication, 60 destination options).
    public var kind: UInt8
    /// The whole header, starting with its own Next Header byte.
    public var bytes: [UInt8]

    /// An extension header of `kind` made of `bytes` (including its Next Header byte).
    public init(kind: UInt8, bytes: [UInt8]) {
        self.kind = kind
        self.bytes = bytes
    }

    /// The Next Header value carried in this header.
    public var nextHeader: UInt8 { bytes.first ?? IPProtocolNumber.noNextHeader }

    /// For a fragment header: the fragment offset in 8-byte units.
    public var fragmentOffset: UInt16? {
        guard kind == IPProtocolNumber.fragment, bytes.count >= 8 else { return nil }
        return (UInt16(bytes[2]) << 8 | UInt16(bytes[3])) >> 3
    }

    /// For a fragment header: the M (more fragments) flag.
    public var moreFragments: Bool? {
        guard kind == IPProtocolNumber.fragment, bytes.count >= 8 else { return nil }
        return bytes[3] & 1 != 0
    }

    /// For a fragment header: the identification.
    public var fragmentIdentification: UInt32? {
        guard kind == IPProtocolNumber.fragment, bytes.count >= 8 else { return nil }
        return UInt32(bytes[4]) << 24 | UInt32(bytes[5]) << 16 | UInt32(bytes[6]) << 8 | UInt32(bytes[7])
    }
}

/// An IPv6 header (RFC 8200) with its chain of extension headers.
public struct IPv6Header: Hashable, Sendable {
    /// Traffic class: DSCP in the high six bits, ECN in the low two.
    public var trafficClass: UInt8
    /// Flow label (20 bits).
    public var flowLabel: UInt32
    /// Payload length: bytes after the fixed 40-byte header (extension headers included).
    public var payloadLength: UInt16
    /// The Next Header field of the fixed header.
    public var nextHeader: UInt8
    /// Hop limit.
    public var hopLimit: UInt8
    /// Source address.
    public var source: IPv6Address
    /// Destination address.
    public var destination: IPv6Address
    /// Extension headers in order, each kept raw.
    public var extensionHeaders: [IPv6ExtensionHeader]

    /// A header with the given fields; the payload length is filled in when serialized.
    public init(
        source: IPv6Address, destination: IPv6Address, nextHeader: UInt8, hopLimit: UInt8 = 64,
        trafficClass: UInt8 = 0, flowLabel: UInt32 = 0, payloadLength: UInt16 = 0,
        extensionHeaders: [IPv6ExtensionHeader] = []
    ) {
        self.trafficClass = trafficClass
        self.flowLabel = flowLabel
        self.payloadLength = payloadLength
        self.nextHeader = nextHeader
        self.hopLimit = hopLimit
        self.source = source
        self.destination = destination
        self.extensionHeaders = extensionHeaders
    }

    /// The ECN field: the low two bits of ``trafficClass``.
    public var ecn: ECN {
        get { ECN(rawValue: trafficClass & 3) ?? .notECT }
        set { trafficClass = (trafficClass & 0xFC) | newValue.rawValue }
    }

    /// The protocol of the upper layer: the Next Header value after the last extension header.
    public var upperLayerProtocol: UInt8 {
        extensionHeaders.last?.nextHeader ?? nextHeader
    }

    /// Bytes of extension headers.
    public var extensionHeadersLength: Int {
        extensionHeaders.reduce(0) { $0 + $1.bytes.count }
    }

    /// Whether the packet carries a fragment header that is not an atomic fragment.
    public var isFragment: Bool {
        extensionHeaders.contains { ($0.fragmentOffset ?? 0) != 0 || ($0.moreFragments ?? false) }
    }

    func append(to out: inout [UInt8], payloadLength: UInt16) {
        appendBE32(&out, 6 << 28 | UInt32(trafficClass) << 20 | (flowLabel & 0xF_FFFF))
        appendBE16(&out, payloadLength)
        out.append(nextHeader)
        out.append(hopLimit)
        source.append(to: &out)
        destination.append(to: &out)
        for e in extensionHeaders { out.append(contentsOf: e.bytes) }
    }
}

/// An IP address of either family.
public enum IPAddress: Hashable, Sendable, CustomStringConvertible {
    case v4(IPv4Address)
    case v6(IPv6Address)

    /// Parses IPv4 dotted-quad or IPv6 text.
    public init?(_ text: some StringProtocol) {
        if let a = IPv4Address(text) {
            self = .v4(a)
        } else if let a = IPv6Address(text) {
            self = .v6(a)
        } else {
            return nil
        }
    }

    public var description: String {
        switch self {
        case .v4(let a): a.description
        case .v6(let a): a.description
        }
    }
}

/// The IP header of a packet: version 4 or 6.
public enum IPHeader: Hashable, Sendable {
    case v4(IPv4Header)
    case v6(IPv6Header)

    /// Source address.
    public var source: IPAddress {
        switch self {
        case .v4(let h): .v4(h.source)
        case .v6(let h): .v6(h.source)
        }
    }

    /// Destination address.
    public var destination: IPAddress {
        switch self {
        case .v4(let h): .v4(h.destination)
        case .v6(let h): .v6(h.destination)
        }
    }

    /// The ECN field.
    public var ecn: ECN {
        get {
            switch self {
            case .v4(let h): h.ecn
            case .v6(let h): h.ecn
            }
        }
        set {
            switch self {
            case .v4(var h):
                h.ecn = newValue
                self = .v4(h)
            case .v6(var h):
                h.ecn = newValue
                self = .v6(h)
            }
        }
    }

    /// The protocol number of the transport (after any IPv6 extension headers).
    public var transportProtocol: UInt8 {
        switch self {
        case .v4(let h): h.protocolNumber
        case .v6(let h): h.upperLayerProtocol
        }
    }

    /// Bytes of IP header (IPv6: fixed header plus extension headers).
    public var headerLength: Int {
        switch self {
        case .v4(let h): h.headerLength
        case .v6(let h): 40 + h.extensionHeadersLength
        }
    }
}
