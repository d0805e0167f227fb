/// One SACK block: the left edge (first byte received) and the right edge (the byte after).
public struct SACKBlock: Hashable, Sendable {
    /// First sequence number of the block.
    public var left: UInt32
    /// Sequence number just past the block.
    public var right: UInt32

    /// The block `left:right`.
    public init(left: UInt32, right: UInt32) {
        self.left = left
        self.right = right
    }
}

/// One entry of a TCP header's option area, in wire order.
///
/// A list of these rebuilds the option area byte for byte: known kinds with the
/// length the RFCs give are decoded, everything else is kept raw, and bytes after an
/// end-of-list are kept in ``unparsed(_:)``.
public enum TCPOption: Hashable, Sendable {
    /// End of option list (kind 0, one byte).
    case endOfList
    /// No-operation padding (kind 1, one byte).
    case noOperation
    /// Maximum segment size (kind 2, length 4).
    case maximumSegmentSize(UInt16)
    /// Window scale shift count (kind 3, length 3).
    case windowScale(UInt8)
    /// SACK permitted (kind 4, length 2).
    case sackPermitted
    /// Selective acknowledgment blocks (kind 5, length 2 + 8n).
    case sack([SACKBlock])
    /// Timestamps (kind 8, length 10): TSval and TSecr.
    case timestamps(value: UInt32, echoReply: UInt32)
    /// TCP MD5 signature (kind 19): the digest bytes, kept opaque (normally 16).
    case md5Signature([UInt8])
    /// TCP Fast Open cookie (kind 34, RFC 7413); an empty cookie is a cookie request.
    case fastOpen(cookie: [UInt8])
    /// TCP Fast Open cookie in the experimental option (kind 254, magic 0xF989).
    case fastOpenExperimental(cookie: [UInt8])
    /// Any other option, or a known kind with a length it does not normally have:
    /// the kind and the bytes after the length byte.
    case raw(kind: UInt8, data: [UInt8])
    /// Bytes of the option area that are not options: padding after end-of-list, or
    /// (when parsing leniently) everything from a malformed option on.
    case unparsed([UInt8])

    /// The option kind byte (`nil` for ``unparsed(_:)``).
    public var kind: UInt8? {
        switch self {
        case .endOfList: 0
        case .noOperation: 1
        case .maximumSegmentSize: 2
        case .windowScale: 3
        case .sackPermitted: 4
        case .sack: 5
        case .timestamps: 8
        case .md5Signature: 19
        case .fastOpen: 34
        case .fastOpenExperimental: 254
        case .raw(let kind, _): kind
        case .unparsed: nil
        }
    }

    /// Bytes this option takes on the wire.
    public var encodedLength: Int {
        switch self {
        case .endOfList, .noOperation: 1
        case .maximumSegmentSize: 4
        case .windowScale: 3
        case .sackPermitted: 2
        case .sack(let blocks): 2 + 8 * blocks.count
        case .timestamps: 10
        case .md5Signature(let d): 2 + d.count
        case .fastOpen(let c): 2 + c.count
        case .fastOpenExperimental(let c): 4 + c.count
        case .raw(_, let d): 2 + d.count
        case .unparsed(let b): b.count
        }
    }

    /// Appends the wire bytes of this option.
    public func append(to out: inout [UInt8]) {
        let length = UInt8(truncatingIfNeeded: encodedLength)
        switch self {
        case .endOfList: out.append(0)
        case .noOperation: out.append(1)
        case .maximumSegmentSize(let mss):
            out += [2, 4]
            appendBE16(&out, mss)
        case .windowScale(let s): out += [3, 3, s]
        case .sackPermitted: out += [4, 2]
        case .sack(let blocks):
            out += [5, length]
            for b in blocks {
                appendBE32(&out, b.left)
                appendBE32(&out, b.right)
            }
        case .timestamps(let v, let e):
            out += [8, 10]
            appendBE32(&out, v)
            appendBE32(&out, e)
        case .md5Signature(let d): out += [19, length] + d
        case .fastOpen(let c): out += [34, length] + c
        case .fastOpenExperimental(let c): out += [254, length, 0xF9, 0x89] + c
        case .raw(let kind, let d): out += [kind, length] + d
        case .unparsed(let b): out += b
        }
    }

    /// Parses the option area `bytes[start..<end]`; `base` is the offset of `bytes` within
    /// the packet, for error messages. When `lenient`, a malformed option ends the list
    /// and the rest is kept in ``unparsed(_:)`` instead of throwing.
    static func parseList(
        _ b: UnsafeRawBufferPointer, from start: Int, to end: Int, base: Int, lenient: Bool
    ) throws(WireError) -> [TCPOption] {
        var list: [TCPOption] = []
        var i = start
        while i < end {
            let kind = b[i]
            if kind == 0 {
                list.append(.endOfList)
                if i + 1 < end { list.append(.unparsed(copyBytes(b, i + 1, end - i - 1))) }
                return list
            }
            if kind == 1 {
                list.append(.noOperation)
                i += 1
                continue
            }
            var problem: WireError?
            if i + 1 >= end {
                problem = .optionRunsPastHeader(kind: kind, offset: base + i)
            } else if b[i + 1] < 2 {
                problem = .badOptionLength(kind: kind, length: b[i + 1], offset: base + i)
            } else if i + Int(b[i + 1]) > end {
                problem = .optionRunsPastHeader(kind: kind, offset: base + i)
            }
            if let problem {
                if lenient {
                    list.append(.unparsed(copyBytes(b, i, end - i)))
                    return list
                }
                throw problem
            }
            let length = Int(b[i + 1])
            let d = i + 2
            switch (kind, length) {
            case (2, 4): list.append(.maximumSegmentSize(readBE16(b, d)))
            case (3, 3): list.append(.windowScale(b[d]))
            case (4, 2): list.append(.sackPermitted)
            case (5, _) where (length - 2) % 8 == 0:
                var blocks: [SACKBlock] = []
                var k = d
                while k + 8 <= i + length {
                    blocks.append(SACKBlock(left: readBE32(b, k), right: readBE32(b, k + 4)))
                    k += 8
                }
                list.append(.sack(blocks))
            case (8, 10): list.append(.timestamps(value: readBE32(b, d), echoReply: readBE32(b, d + 4)))
            case (19, _): list.append(.md5Signature(copyBytes(b, d, length - 2)))
            case (34, _): list.append(.fastOpen(cookie: copyBytes(b, d, length - 2)))
            case (254, _) where length >= 4 && readBE16(b, d) == 0xF989:
                list.append(.fastOpenExperimental(cookie: copyBytes(b, d + 2, length - 4)))
            default: list.append(.raw(kind: kind, data: copyBytes(b, d, length - 2)))
            }
            i += length
        }
        return list
    }
}
