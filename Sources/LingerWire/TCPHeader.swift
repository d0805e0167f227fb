/// The TCP flag bits, including AE (formerly NS, RFC 3540 / AccECN).
public struct TCPFlags: OptionSet, Hashable, Sendable {
    /// The flag bits as in the header (the low 9 bits of bytes 12...13).
    public var rawValue: UInt16
    /// Flags from their bits.
    @inlinable public init(rawValue: UInt16) { self.rawValue = rawValue }

    // Computed and inlinable, not stored statics: a `static let` read from
    // another module goes through a lazy-initialization addressor on every use,
    // and the stack tests flags on every segment.

    /// FIN: the sender has no more data.
    @inlinable public static var fin: TCPFlags { TCPFlags(rawValue: 0x001) }
    /// SYN: synchronize sequence numbers.
    @inlinable public static var syn: TCPFlags { TCPFlags(rawValue: 0x002) }
    /// RST: reset the connection.
    @inlinable public static var rst: TCPFlags { TCPFlags(rawValue: 0x004) }
    /// PSH: push the data to the application.
    @inlinable public static var psh: TCPFlags { TCPFlags(rawValue: 0x008) }
    /// ACK: the acknowledgment number is valid.
    @inlinable public static var ack: TCPFlags { TCPFlags(rawValue: 0x010) }
    /// URG: the urgent pointer is valid.
    @inlinable public static var urg: TCPFlags { TCPFlags(rawValue: 0x020) }
    /// ECE: ECN echo.
    @inlinable public static var ece: TCPFlags { TCPFlags(rawValue: 0x040) }
    /// CWR: congestion window reduced.
    @inlinable public static var cwr: TCPFlags { TCPFlags(rawValue: 0x080) }
    /// Accurate ECN (bit 8 of the flags field; the old NS bit).
    @inlinable public static var ae: TCPFlags { TCPFlags(rawValue: 0x100) }
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
