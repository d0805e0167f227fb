/// The header after the IP layer.
public enum TransportHeader: Hashable, Sendable {
    case tcp(TCPHeader)
    case udp(UDPHeader)
    case icmpv4(ICMPv4Header)
    case icmpv6(ICMPv6Header)
    /// A protocol Linger does not decode, or a non-first fragment (no transport header
    /// in it): everything after the IP header is the packet's payload.
    case other(protocolNumber: UInt8)
}

/// What to do with a TCP option that is malformed (bad length, runs past the header).
public enum MalformedOptionPolicy: Sendable, Hashable {
    /// Throw a ``WireError``.
    case reject
    /// Keep the rest of the option area as ``TCPOption/unparsed(_:)`` (like Linux, which
    /// stops reading options there but still accepts the segment).
    case keepAsUnparsed
}

/// Whether parsing checks checksums.
public enum ChecksumPolicy: Sendable, Hashable {
    /// Do not look at checksums (packets from a TUN device or a loopback capture may carry
    /// partial, offloaded checksums).
    case ignore
    /// Check the IPv4 header, TCP, UDP, ICMP and ICMPv6 checksums; fragments are not checked.
    case verify
    /// Like ``verify``, but also accept a TCP, UDP or ICMPv6 checksum field that holds
    /// only the pseudo-header sum: what Linux leaves in packets whose checksum is to be
    /// completed by offload (CHECKSUM_PARTIAL), as seen in captures on `lo`.
    case verifyAllowingPartial
}

/// An IP packet: the IP header, the transport header and the payload after it.
///
/// Parsing never traps: any byte string either gives a packet or throws a ``WireError``
/// that says what is wrong and where. A parsed packet serialized with
/// `serialize(updatingLengths: false, updatingChecksums: false)` gives back exactly the
/// bytes it was parsed from.
public struct Packet: Hashable, Sendable {
    /// The IP header.
    public var ip: IPHeader
    /// The transport header.
    public var transport: TransportHeader
    /// Bytes after the transport header: TCP or UDP data, the body of an ICMP message
    /// (for errors: the quoted original datagram), or the whole IP payload for ``TransportHeader/other(protocolNumber:)``.
    public var payload: [UInt8]

    /// A packet made of the given parts.
    public init(ip: IPHeader, transport: TransportHeader, payload: [UInt8] = []) {
        self.ip = ip
        self.transport = transport
        self.payload = payload
    }

    /// A TCP segment over IPv4 or IPv6 (chosen by the address family; both addresses must
    /// be of one family, else the source's family is used with the destination as `::` or
    /// `0.0.0.0`).
    public static func tcp(
        from source: IPAddress, _ sourcePort: UInt16, to destination: IPAddress, _ destinationPort: UInt16,
        flags: TCPFlags, seq: UInt32, ack: UInt32 = 0, window: UInt16, options: [TCPOption] = [],
        payload: [UInt8] = [], ecn: ECN = .notECT, ttl: UInt8 = 64
    ) -> Packet {
        let tcp = TCPHeader(
            sourcePort: sourcePort, destinationPort: destinationPort, sequenceNumber: SequenceNumber(seq),
            acknowledgmentNumber: SequenceNumber(ack), flags: flags, window: window, options: options)
        var ip = IPHeader.between(source, destination, protocolNumber: IPProtocolNumber.tcp, ttl: ttl)
        ip.ecn = ecn
        return Packet(ip: ip, transport: .tcp(tcp), payload: payload)
    }

    /// A UDP datagram over IPv4 or IPv6.
    public static func udp(
        from source: IPAddress, _ sourcePort: UInt16, to destination: IPAddress, _ destinationPort: UInt16,
        payload: [UInt8] = [], ttl: UInt8 = 64
    ) -> Packet {
        Packet(
            ip: .between(source, destination, protocolNumber: IPProtocolNumber.udp, ttl: ttl),
            transport: .udp(UDPHeader(sourcePort: sourcePort, destinationPort: destinationPort)), payload: payload)
    }

    /// An ICMPv4 message; for errors, `body` is the quoted original datagram
    /// (see ``icmpQuote(maximumBytes:)``).
    public static func icmpv4(
        from source: IPv4Address, to destination: IPv4Address, _ header: ICMPv4Header, body: [UInt8] = [], ttl: UInt8 = 64
    ) -> Packet {
        Packet(
            ip: .v4(IPv4Header(source: source, destination: destination, protocolNumber: IPProtocolNumber.icmp, ttl: ttl, flags: 0)),
            transport: .icmpv4(header), payload: body)
    }

    /// An ICMPv6 message; for errors, `body` is the quoted original packet.
    public static func icmpv6(
        from source: IPv6Address, to destination: IPv6Address, _ header: ICMPv6Header, body: [UInt8] = [], hopLimit: UInt8 = 64
    ) -> Packet {
        Packet(
            ip: .v6(IPv6Header(source: source, destination: destination, nextHeader: IPProtocolNumber.icmpv6, hopLimit: hopLimit)),
            transport: .icmpv6(header), payload: body)
    }

    /// The first `maximumBytes` bytes of this packet (lengths and checksums filled in):
    /// what an ICMP error quotes. RFC 792 asks for the IP header and 8 bytes; Linux
    /// quotes as much as fits in 576 (IPv4) or 1280 (IPv6) bytes.
    public func icmpQuote(maximumBytes: Int) -> [UInt8] {
        Array(serialize().prefix(max(0, maximumBytes)))
    }

    /// The TCP header, if this is a TCP segment.
    public var tcp: TCPHeader? {
        if case .tcp(let h) = transport { h } else { nil }
    }

    /// The UDP header, if this is a UDP datagram.
    public var udp: UDPHeader? {
        if case .udp(let h) = transport { h } else { nil }
    }
}

extension IPHeader {
    /// A header for a packet from `source` to `destination`, lengths and checksum to be filled in.
    public static func between(_ source: IPAddress, _ destination: IPAddress, protocolNumber: UInt8, ttl: UInt8 = 64) -> IPHeader {
        switch (source, destination) {
        case (.v4(let s), .v4(let d)):
            .v4(IPv4Header(source: s, destination: d, protocolNumber: protocolNumber, ttl: ttl))
        case (.v4(let s), .v6):
            .v4(IPv4Header(source: s, destination: IPv4Address(0), protocolNumber: protocolNumber, ttl: ttl))
        case (.v6(let s), .v6(let d)):
            .v6(IPv6Header(source: s, destination: d, nextHeader: protocolNumber, hopLimit: ttl))
        case (.v6(let s), .v4):
            .v6(IPv6Header(source: s, destination: .unspecified, nextHeader: protocolNumber, hopLimit: ttl))
        }
    }
}

// MARK: - Parsing

extension Packet {
    /// Parses an IPv4 or IPv6 packet (chosen by the version nibble).
    ///
    /// - Parameters:
    ///   - bytes: the packet, starting with the IP header and ending where the IP length
    ///     field says it ends.
    ///   - checksums: whether to check checksums, throwing ``WireError/badChecksum(_:expected:found:offset:)``.
    ///     Off by default: packets read from a TUN device or captured on loopback may carry
    ///     partial (offloaded) checksums.
    ///   - malformedOptions: what to do with a malformed TCP option.
    public init(parsing bytes: UnsafeRawBufferPointer, checksums: ChecksumPolicy = .ignore,
                malformedOptions: MalformedOptionPolicy = .reject) throws(WireError) {
        self = try PacketParser(b: bytes, policy: checksums, lenient: malformedOptions == .keepAsUnparsed).parse()
    }

    /// Parses an IPv4 or IPv6 packet held in an array.
    public init(parsing bytes: [UInt8], checksums: ChecksumPolicy = .ignore,
                malformedOptions: MalformedOptionPolicy = .reject) throws(WireError) {
        let result: Result<Packet, WireError> = bytes.withUnsafeBytes { raw in
            do throws(WireError) {
                return .success(try Packet(parsing: raw, checksums: checksums, malformedOptions: malformedOptions))
            } catch {
                return .failure(error)
            }
        }
        self = try result.get()
    }

    /// Parses an IPv4 or IPv6 packet from any collection of bytes (copied first).
    public init(parsing bytes: some Collection<UInt8>, checksums: ChecksumPolicy = .ignore,
                malformedOptions: MalformedOptionPolicy = .reject) throws(WireError) {
        try self.init(parsing: Array(bytes), checksums: checksums, malformedOptions: malformedOptions)
    }

    /// Parses an IPv4 or IPv6 packet, checking every checksum when `verifyChecksums` is set.
    public static func parse(_ bytes: [UInt8], verifyChecksums: Bool = false,
                             malformedOptions: MalformedOptionPolicy = .reject) throws(WireError) -> Packet {
        try Packet(parsing: bytes, checksums: verifyChecksums ? .verify : .ignore, malformedOptions: malformedOptions)
    }
}

/// One parse of one buffer. Every read is preceded by a length check against `b.count`.
private struct PacketParser {
    let b: UnsafeRawBufferPointer
    let policy: ChecksumPolicy
    let lenient: Bool

    var verify: Bool { policy != .ignore }

    func parse() throws(WireError) -> Packet {
        guard b.count > 0 else { throw .empty }
        switch b[0] >> 4 {
        case 4: return try parseIPv4()
        case 6: return try parseIPv6()
        default: throw .badIPVersion(b[0] >> 4)
        }
    }

    func parseIPv4() throws(WireError) -> Packet {
        guard b.count >= 20 else { throw .truncatedIPv4Header(offset: 0, available: b.count) }
        let ihl = b[0] & 0x0F
        let totalLength = Int(readBE16(b, 2))
        guard ihl >= 5 else { throw .badIHL(ihl: ihl, offset: 0) }
        guard totalLength <= b.count else {
            throw .lengthLargerThanBuffer(declared: totalLength, buffer: b.count, offset: 2)
        }
        guard totalLength >= b.count else {
            throw .lengthSmallerThanBuffer(declared: totalLength, buffer: b.count, offset: 2)
        }
        let headerLength = Int(ihl) * 4
        guard headerLength <= totalLength else { throw .badIHL(ihl: ihl, offset: 0) }
        let flagsAndOffset = readBE16(b, 6)
        let header = IPv4Header(
            source: IPv4Address(reading: b, at: 12), destination: IPv4Address(reading: b, at: 16),
            protocolNumber: b[9], ttl: b[8], tos: b[1], identification: readBE16(b, 4),
            flags: UInt8(truncatingIfNeeded: flagsAndOffset >> 13), fragmentOffset: flagsAndOffset & 0x1FFF,
            totalLength: UInt16(totalLength), checksum: readBE16(b, 10), options: copyBytes(b, 20, headerLength - 20))
        if verify {
            let sum = InternetChecksum.checksum(UnsafeRawBufferPointer(rebasing: b[0..<headerLength]))
            if sum != 0 {
                throw .badChecksum(.ipv4Header, expected: expectedChecksum(found: header.checksum, residue: sum),
                                   found: header.checksum, offset: 10)
            }
        }
        let ip = IPHeader.v4(header)
        if header.fragmentOffset != 0 {
            return Packet(ip: ip, transport: .other(protocolNumber: header.protocolNumber),
                          payload: copyBytes(b, headerLength, totalLength - headerLength))
        }
        var pseudo = InternetChecksum()
        pseudo.addPseudoHeader(source: header.source, destination: header.destination,
                               protocol: header.protocolNumber, length: totalLength - headerLength)
        return try parseTransport(ip: ip, protocolNumber: header.protocolNumber, at: headerLength,
                                  pseudoHeader: pseudo, checkable: !header.moreFragments)
    }

    func parseIPv6() throws(WireError) -> Packet {
        guard b.count >= 40 else { throw .truncatedIPv6Header(offset: 0, available: b.count) }
        let declared = 40 + Int(readBE16(b, 4))
        guard declared <= b.count else { throw .lengthLargerThanBuffer(declared: declared, buffer: b.count, offset: 4) }
        guard declared >= b.count else { throw .lengthSmallerThanBuffer(declared: declared, buffer: b.count, offset: 4) }
        let first = readBE32(b, 0)
        var header = IPv6Header(
            source: IPv6Address(reading: b, at: 8), destination: IPv6Address(reading: b, at: 24),
            nextHeader: b[6], hopLimit: b[7], trafficClass: UInt8(truncatingIfNeeded: first >> 20),
            flowLabel: first & 0xF_FFFF, payloadLength: readBE16(b, 4))
        var next = header.nextHeader
        var offset = 40
        var laterFragment = false
        var fragmented = false
        walk: while true {
            let length: Int
            switch next {
            case IPProtocolNumber.hopByHop, IPProtocolNumber.routing, IPProtocolNumber.destinationOptions:
                guard offset + 2 <= b.count else { throw .truncatedIPv6Header(offset: offset, available: b.count - offset) }
                length = (Int(b[offset + 1]) + 1) * 8
            case IPProtocolNumber.fragment:
                length = 8
            case IPProtocolNumber.authentication:
                guard offset + 2 <= b.count else { throw .truncatedIPv6Header(offset: offset, available: b.count - offset) }
                length = (Int(b[offset + 1]) + 2) * 4
            default:
                break walk
            }
            guard offset + length <= b.count else { throw .truncatedIPv6Header(offset: offset, available: b.count - offset) }
            let ext = IPv6ExtensionHeader(kind: next, bytes: copyBytes(b, offset, length))
            if next == IPProtocolNumber.fragment {
                fragmented = fragmented || ext.fragmentOffset != 0 || ext.moreFragments == true
                laterFragment = laterFragment || ext.fragmentOffset != 0
            }
            header.extensionHeaders.append(ext)
            next = b[offset]
            offset += length
            if laterFragment { break }
        }
        let ip = IPHeader.v6(header)
        if laterFragment {
            return Packet(ip: ip, transport: .other(protocolNumber: next), payload: copyBytes(b, offset, b.count - offset))
        }
        var pseudo = InternetChecksum()
        pseudo.addPseudoHeader(source: header.source, destination: header.destination, nextHeader: next, length: b.count - offset)
        return try parseTransport(ip: ip, protocolNumber: next, at: offset, pseudoHeader: pseudo, checkable: !fragmented)
    }

    func parseTransport(ip: IPHeader, protocolNumber: UInt8, at start: Int, pseudoHeader: InternetChecksum,
                        checkable: Bool) throws(WireError) -> Packet {
        let available = b.count - start
        let segment = UnsafeRawBufferPointer(rebasing: b[start..<b.count])
        switch protocolNumber {
        case IPProtocolNumber.tcp:
            guard available >= 20 else { throw .truncatedTCPHeader(offset: start, available: available) }
            let dataOffset = b[start + 12] >> 4
            let headerLength = Int(dataOffset) * 4
            guard dataOffset >= 5, headerLength <= available else {
                throw .badDataOffset(dataOffset: dataOffset, offset: start + 12, available: available)
            }
            let options = try TCPOption.parseList(segment, from: 20, to: headerLength, base: start, lenient: lenient)
            let header = TCPHeader(
                sourcePort: readBE16(segment, 0), destinationPort: readBE16(segment, 2),
                sequenceNumber: SequenceNumber(readBE32(segment, 4)), acknowledgmentNumber: SequenceNumber(readBE32(segment, 8)),
                flags: TCPFlags(rawValue: UInt16(segment[12] & 1) << 8 | UInt16(segment[13])), window: readBE16(segment, 14),
                options: options, urgentPointer: readBE16(segment, 18), checksum: readBE16(segment, 16),
                reservedBits: (segment[12] >> 1) & 7)
            if verify, checkable {
                try check(.tcp, pseudoHeader, segment, found: header.checksum, at: start + 16, partialAllowed: true)
            }
            return Packet(ip: ip, transport: .tcp(header), payload: copyBytes(segment, headerLength, available - headerLength))
        case IPProtocolNumber.udp:
            guard available >= 8 else { throw .truncatedUDPHeader(offset: start, available: available) }
            let header = UDPHeader(sourcePort: readBE16(segment, 0), destinationPort: readBE16(segment, 2),
                                   length: readBE16(segment, 4), checksum: readBE16(segment, 6))
            guard Int(header.length) >= 8, Int(header.length) <= available || !checkable else {
                throw .badUDPLength(declared: Int(header.length), available: available, offset: start + 4)
            }
            // Over IPv4 a zero checksum means the sender computed none.
            let ipv4NoChecksum = header.checksum == 0 && { if case .v4 = ip { true } else { false } }()
            if verify, checkable, !ipv4NoChecksum {
                // The pseudo-header length is the UDP length; only those bytes are covered.
                let covered = Int(header.length)
                var ps = InternetChecksum()
                switch ip {
                case .v4(let h): ps.addPseudoHeader(source: h.source, destination: h.destination, protocol: IPProtocolNumber.udp, length: covered)
                case .v6(let h): ps.addPseudoHeader(source: h.source, destination: h.destination, nextHeader: IPProtocolNumber.udp, length: covered)
                }
                try check(.udp, ps, UnsafeRawBufferPointer(rebasing: segment[0..<covered]), found: header.checksum, at: start + 6,
                          partialAllowed: true)
            }
            return Packet(ip: ip, transport: .udp(header), payload: copyBytes(segment, 8, available - 8))
        case IPProtocolNumber.icmp:
            guard available >= 8 else { throw .truncatedICMPHeader(offset: start, available: available) }
            let header = ICMPv4Header(type: segment[0], code: segment[1], restOfHeader: readBE32(segment, 4),
                                      checksum: readBE16(segment, 2))
            if verify, checkable {
                // ICMPv4 has no pseudo-header.
                try check(.icmpv4, InternetChecksum(), segment, found: header.checksum, at: start + 2)
            }
            return Packet(ip: ip, transport: .icmpv4(header), payload: copyBytes(segment, 8, available - 8))
        case IPProtocolNumber.icmpv6:
            guard available >= 8 else { throw .truncatedICMPHeader(offset: start, available: available) }
            let header = ICMPv6Header(type: segment[0], code: segment[1], restOfHeader: readBE32(segment, 4),
                                      checksum: readBE16(segment, 2))
            if verify, checkable {
                try check(.icmpv6, pseudoHeader, segment, found: header.checksum, at: start + 2, partialAllowed: true)
            }
            return Packet(ip: ip, transport: .icmpv6(header), payload: copyBytes(segment, 8, available - 8))
        default:
            return Packet(ip: ip, transport: .other(protocolNumber: protocolNumber), payload: copyBytes(b, start, available))
        }
    }

    /// Throws unless the pseudo-header plus `covered` sums to all ones (or, when allowed,
    /// the field holds just the pseudo-header sum of a partial checksum).
    func check(_ kind: ChecksumKind, _ pseudo: InternetChecksum, _ covered: UnsafeRawBufferPointer,
               found: UInt16, at offset: Int, partialAllowed: Bool = false) throws(WireError) {
        if partialAllowed, policy == .verifyAllowingPartial, found == pseudo.sum16 { return }
        var sum = pseudo
        sum.add(covered)
        let residue = sum.checksum
        if residue != 0 {
            throw .badChecksum(kind, expected: expectedChecksum(found: found, residue: residue), found: found, offset: offset)
        }
    }

    /// The checksum that would have made the total verify, given what was found and the
    /// complement of the sum over everything including it.
    func expectedChecksum(found: UInt16, residue: UInt16) -> UInt16 {
        // sum(without field) = ~residue - found (ones' complement); the right field is its complement.
        var c = InternetChecksum()
        c.add(word: ~residue)
        c.add(word: ~found)
        return c.checksum
    }
}

// MARK: - Building

extension Packet {
    /// The packet's bytes.
    ///
    /// - Parameters:
    ///   - updatingLengths: write the IPv4 total length, IPv6 payload length and UDP length
    ///     from the actual sizes (instead of the values stored in the headers).
    ///   - updatingChecksums: compute the IPv4 header, TCP, UDP, ICMP and ICMPv6 checksums
    ///     (instead of writing the stored values).
    public func serialize(updatingLengths: Bool = true, updatingChecksums: Bool = true) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(ip.headerLength + 60 + payload.count)
        let transportLength: Int
        switch transport {
        case .tcp(let h): transportLength = h.headerLength + payload.count
        case .udp, .icmpv4, .icmpv6: transportLength = 8 + payload.count
        case .other: transportLength = payload.count
        }
        var pseudo = InternetChecksum()
        let ipHeaderEnd: Int
        switch ip {
        case .v4(let h):
            let total = updatingLengths ? UInt16(truncatingIfNeeded: h.headerLength + transportLength) : h.totalLength
            h.append(to: &out, totalLength: total, checksum: updatingChecksums ? 0 : h.checksum)
            if updatingChecksums {
                let sum = out.withUnsafeBytes { InternetChecksum.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<h.headerLength])) }
                storeBE16(&out, 10, sum)
            }
            pseudo.addPseudoHeader(source: h.source, destination: h.destination, protocol: h.protocolNumber, length: transportLength)
            ipHeaderEnd = out.count
        case .v6(let h):
            let length = updatingLengths ? UInt16(truncatingIfNeeded: h.extensionHeadersLength + transportLength) : h.payloadLength
            h.append(to: &out, payloadLength: length)
            pseudo.addPseudoHeader(source: h.source, destination: h.destination, nextHeader: h.upperLayerProtocol, length: transportLength)
            ipHeaderEnd = out.count
        }
        var checksumOffset: Int?
        switch transport {
        case .tcp(let h):
            h.append(to: &out, checksum: updatingChecksums ? 0 : h.checksum)
            checksumOffset = 16
        case .udp(let h):
            appendBE16(&out, h.sourcePort)
            appendBE16(&out, h.destinationPort)
            appendBE16(&out, updatingLengths ? UInt16(truncatingIfNeeded: transportLength) : h.length)
            appendBE16(&out, updatingChecksums ? 0 : h.checksum)
            checksumOffset = 6
        case .icmpv4(let h):
            out += [h.type, h.code]
            appendBE16(&out, updatingChecksums ? 0 : h.checksum)
            appendBE32(&out, h.restOfHeader)
            pseudo = InternetChecksum()
            checksumOffset = 2
        case .icmpv6(let h):
            out += [h.type, h.code]
            appendBE16(&out, updatingChecksums ? 0 : h.checksum)
            appendBE32(&out, h.restOfHeader)
            checksumOffset = 2
        case .other:
            checksumOffset = nil
        }
        out += payload
        if updatingChecksums, let checksumOffset {
            var sum = pseudo
            out.withUnsafeBytes { sum.add(UnsafeRawBufferPointer(rebasing: $0[ipHeaderEnd...])) }
            var value = sum.checksum
            // UDP sends an all-zero result as all ones (zero means "no checksum").
            if case .udp = transport, value == 0 { value = 0xFFFF }
            storeBE16(&out, ipHeaderEnd + checksumOffset, value)
        }
        return out
    }

    /// The packet's bytes with lengths and checksums computed: `serialize()`.
    public var bytes: [UInt8] { serialize() }

    /// This packet with its stored lengths and checksums set to what ``serialize(updatingLengths:updatingChecksums:)`` computes.
    public func withUpdatedLengthsAndChecksums() -> Packet {
        (try? Packet(parsing: serialize(), malformedOptions: .keepAsUnparsed)) ?? self
    }
}
