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

    /// Echo reply.
    public static let echoReplyType: UInt8 = 0
    /// Destination unreachable.
    public static let destinationUnreachableType: UInt8 = 3
    /// Echo request.
    public static let echoRequestType: UInt8 = 8
    /// Time exceeded.
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

    /// Destination unreachable.
    public static let destinationUnreachableType: UInt8 = 1
    /// Packet too big.
    public static let packetTooBigType: UInt8 = 2
    /// Time exceeded.
    public static let timeExceededType: UInt8 = 3
    /// Parameter problem.
    public static let parameterProblemType: UInt8 = 4
    /// Echo request.
    public static let echoRequestType: UInt8 = 128
    /// Echo reply.
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
