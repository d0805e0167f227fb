/// The TCP flag bits, including AE (formerly NS, RFC 3540 / AccECN).
public struct TCPFlags: OptionSet, Hashable, Sendable {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let fin = TCPFlags(rawValue: 0x001)
    public static let syn = TCPFlags(rawValue: 0x002)
    public static let rst = TCPFlags(rawValue: 0x004)
    public static let psh = TCPFlags(rawValue: 0x008)
    public static let ack = TCPFlags(rawValue: 0x010)
    public static let urg = TCPFlags(rawValue: 0x020)
    public static let ece = TCPFlags(rawValue: 0x040)
    public static let cwr = TCPFlags(rawValue: 0x080)
    /// Accurate ECN (bit 8 of the flags field; the old NS bit).
    public static let ae = TCPFlags(rawValue: 0x100)
}

/// A TCP header (RFC 9293) with every field and its options in wire order.
public struct TCPHeader: Hashable, Sendable {
    /// Source port.
    public var sourcePort: UInt16
    /// Destination port.
    public var destinationPort: UInt16
    /// Sequence number.
    public var sequenceNumber: SequenceNumber
    /// Acknowledgment number (meaningful when ACK is set).
    public var acknowledgmentNumber: SequenceNumber
    /// The three reserved bits between the data offset and the AE bit.
    public var reservedBits: UInt8
    /// Flags, AE included.
    public var flags: TCPFlags
    /// Receive window (unscaled, as carried).
    public var window: UInt16
    /// Checksum as carried (or as computed when serialized with checksum updates).
    public var checksum: UInt16
    /// Urgent pointer.
    public var urgentPointer: UInt16
    /// Options in wire order. Serialized padded with zero bytes to a multiple of 4 when
    /// their length is not one already (parsed lists always are).
    public var options: [TCPOption]

    /// A header with the given fields; the checksum is filled in when serialized.
    public init(
        sourcePort: UInt16, destinationPort: UInt16, sequenceNumber: SequenceNumber,
        acknowledgmentNumber: SequenceNumber = SequenceNumber(0), flags: TCPFlags, window: UInt16,
        options: [TCPOption] = [], urgentPointer: UInt16 = 0, checksum: UInt16 = 0, reservedBits: UInt8 = 0
    ) {
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.sequenceNumber = sequenceNumber
        self.acknowledgmentNumber = acknowledgmentNumber
        self.reservedBits = reservedBits
        self.flags = flags
        self.window = window
        self.checksum = checksum
        self.urgentPointer = urgentPointer
        self.options = options
    }

    /// Bytes of the option area before padding.
    public var optionsLength: Int { options.reduce(0) { $0 + $1.encodedLength } }

    /// Data offset: header length in 32-bit words (at most 15).
    public var dataOffset: UInt8 { UInt8(truncatingIfNeeded: min(15, 5 + (optionsLength + 3) / 4)) }

    /// Header length in bytes.
    public var headerLength: Int { Int(dataOffset) * 4 }

    /// The maximum segment size option's value, if present.
    public var mss: UInt16? {
        for case .maximumSegmentSize(let v) in options { return v }
        return nil
    }

    /// The window scale option's shift count, if present.
    public var windowScale: UInt8? {
        for case .windowScale(let v) in options { return v }
        return nil
    }

    /// The timestamps option, if present.
    public var timestamps: (value: UInt32, echoReply: UInt32)? {
        for case .timestamps(let v, let e) in options { return (v, e) }
        return nil
    }

    /// Appends the header with the given checksum (options padded to 4 bytes, cut at 40).
    func append(to out: inout [UInt8], checksum: UInt16) {
        appendBE16(&out, sourcePort)
        appendBE16(&out, destinationPort)
        appendBE32(&out, sequenceNumber.rawValue)
        appendBE32(&out, acknowledgmentNumber.rawValue)
        out.append(dataOffset << 4 | (reservedBits & 7) << 1 | UInt8(truncatingIfNeeded: flags.rawValue >> 8) & 1)
        out.append(UInt8(truncatingIfNeeded: flags.rawValue))
        appendBE16(&out, window)
        appendBE16(&out, checksum)
        appendBE16(&out, urgentPointer)
        let start = out.count
        let room = headerLength - 20
        for o in options { o.append(to: &out) }
        if out.count - start > room { out.removeLast(out.count - start - room) }
        while out.count - start < room { out.append(0) }
    }
}

/// A UDP header (RFC 768).
public struct UDPHeader: Hashable, Sendable {
    /// Source port.
    public var sourcePort: UInt16
    /// Destination port.
    public var destinationPort: UInt16
    /// Length of header and data, as carried.
    public var length: UInt16
    /// Checksum as carried (0 over IPv4 means none).
    public var checksum: UInt16

    /// A header with the given ports; length and checksum are filled in when serialized.
    public init(sourcePort: UInt16, destinationPort: UInt16, length: UInt16 = 0, checksum: UInt16 = 0) {
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.length = length
        self.checksum = checksum
    }
}

/// An ICMPv4 header (RFC 792): type, code, checksum and the 32-bit rest-of-header word.
///
/// The message body (the quoted original datagram of an error, or echo data) is the
/// packet's payload.
public struct ICMPv4Header: Hashable, Sendable {
    /// Message type (0 echo reply, 3 destination unreachable, 8 echo request, 11 time exceeded).
    public var type: UInt8
    /// Message code.
    public var code: UInt8
    /// Checksum as carried.
    public var checksum: UInt16
    /// Bytes 4...7: identifier and sequence for echo, next-hop MTU for fragmentation needed.
    public var restOfHeader: UInt32

    /// A header with the given fields.
    public init(type: UInt8, code: UInt8, restOfHeader: UInt32 = 0, checksum: UInt16 = 0) {
        self.type = type
        self.code = code
        self.restOfHeader = restOfHeader
        self.checksum = checksum
    }

    public static let echoReplyType: UInt8 = 0
    public static let destinationUnreachableType: UInt8 = 3
    public static let echoRequestType: UInt8 = 8
    public static let timeExceededType: UInt8 = 11

    /// Destination unreachable with `code` (0 net, 1 host, 2 protocol, 3 port, ...).
    public static func destinationUnreachable(code: UInt8) -> ICMPv4Header {
        ICMPv4Header(type: destinationUnreachableType, code: code)
    }

    /// Destination unreachable, fragmentation needed and DF set (code 4), with the next-hop MTU.
    public static func fragmentationNeeded(mtu: UInt16) -> ICMPv4Header {
        ICMPv4Header(type: destinationUnreachableType, code: 4, restOfHeader: UInt32(mtu))
    }

    /// Time exceeded: code 0 in transit, 1 during reassembly.
    public static func timeExceeded(code: UInt8 = 0) -> ICMPv4Header {
        ICMPv4Header(type: timeExceededType, code: code)
    }

    /// Echo request or reply.
    public static func echo(reply: Bool, identifier: UInt16, sequence: UInt16) -> ICMPv4Header {
        ICMPv4Header(type: reply ? echoReplyType : echoRequestType, code: 0,
                     restOfHeader: UInt32(identifier) << 16 | UInt32(sequence))
    }

    /// Identifier of an echo message (high half of ``restOfHeader``).
    public var identifier: UInt16 { UInt16(truncatingIfNeeded: restOfHeader >> 16) }
    /// Sequence number of an echo message (low half of ``restOfHeader``).
    public var sequence: UInt16 { UInt16(truncatingIfNeeded: restOfHeader) }
    /// Next-hop MTU of a fragmentation-needed message (RFC 1191).
    public var nextHopMTU: UInt16 { UInt16(truncatingIfNeeded: restOfHeader) }

    /// Whether this type quotes the original datagram (an error message).
    public var isError: Bool { [3, 4, 5, 11, 12].contains(type) }
}

/// An ICMPv6 header (RFC 4443): type, code, checksum and the 32-bit word after them.
public struct ICMPv6Header: Hashable, Sendable {
    /// Message type (1 destination unreachable, 2 packet too big, 3 time exceeded,
    /// 4 parameter problem, 128 echo request, 129 echo reply).
    public var type: UInt8
    /// Message code.
    public var code: UInt8
    /// Checksum as carried.
    public var checksum: UInt16
    /// Bytes 4...7: MTU for packet too big, pointer for parameter problem, identifier and
    /// sequence for echo.
    public var restOfHeader: UInt32

    /// A header with the given fields.
    public init(type: UInt8, code: UInt8, restOfHeader: UInt32 = 0, checksum: UInt16 = 0) {
        self.type = type
        self.code = code
        self.restOfHeader = restOfHeader
        self.checksum = checksum
    }

    public static let destinationUnreachableType: UInt8 = 1
    public static let packetTooBigType: UInt8 = 2
    public static let timeExceededType: UInt8 = 3
    public static let parameterProblemType: UInt8 = 4
    public static let echoRequestType: UInt8 = 128
    public static let echoReplyType: UInt8 = 129

    /// Destination unreachable with `code` (0 no route, 1 prohibited, 3 address, 4 port, ...).
    public static func destinationUnreachable(code: UInt8) -> ICMPv6Header {
        ICMPv6Header(type: destinationUnreachableType, code: code)
    }

    /// Packet too big, with the MTU of the next hop.
    public static func packetTooBig(mtu: UInt32) -> ICMPv6Header {
        ICMPv6Header(type: packetTooBigType, code: 0, restOfHeader: mtu)
    }

    /// Time exceeded: code 0 hop limit, 1 reassembly.
    public static func timeExceeded(code: UInt8 = 0) -> ICMPv6Header {
        ICMPv6Header(type: timeExceededType, code: code)
    }

    /// Echo request or reply.
    public static func echo(reply: Bool, identifier: UInt16, sequence: UInt16) -> ICMPv6Header {
        ICMPv6Header(type: reply ? echoReplyType : echoRequestType, code: 0,
                     restOfHeader: UInt32(identifier) << 16 | UInt32(sequence))
    }

    /// MTU of a packet-too-big message.
    public var mtu: UInt32 { restOfHeader }
    /// Identifier of an echo message.
    public var identifier: UInt16 { UInt16(truncatingIfNeeded: restOfHeader >> 16) }
    /// Sequence number of an echo message.
    public var sequence: UInt16 { UInt16(truncatingIfNeeded: restOfHeader) }

    /// Whether this type quotes the original packet (types below 128 are errors).
    public var isError: Bool { type < 128 }
}
