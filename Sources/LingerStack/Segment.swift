public import LingerWire

/// The TCP options of one segment that the stack acts on, parsed without allocating.
///
/// Up to four SACK blocks are kept (a 40-byte option area holds at most four).
///
/// The small fields come first and the counts are bytes: every inbound segment
/// starts from an empty set, and a compact one takes fewer stores to clear.
struct SegmentOptions {
    var mss: UInt16?
    var windowScale: UInt8?
    var sackPermitted = false
    var hasTimestamp = false
    private var storedSackCount: UInt8 = 0
    private var storedFastOpenLength: Int8 = -1
    var fastOpenExperimental = false
    var tsVal: UInt32 = 0
    var tsEcr: UInt32 = 0
    var sack0 = (SequenceNumber(0), SequenceNumber(0))
    var sack1 = (SequenceNumber(0), SequenceNumber(0))
    var sack2 = (SequenceNumber(0), SequenceNumber(0))
    var sack3 = (SequenceNumber(0), SequenceNumber(0))
    /// The cookie's bytes (at most 16), big-endian in two words.
    var fastOpenCookie: (UInt64, UInt64) = (0, 0)

    /// How many SACK blocks were read (0...4).
    var sackCount: Int {
        get { Int(storedSackCount) }
        set { storedSackCount = UInt8(truncatingIfNeeded: newValue) }
    }

    /// A TCP Fast Open option: -1 absent, 0 a cookie request, else the cookie's length (4...16).
    var fastOpenLength: Int {
        get { Int(storedFastOpenLength) }
        set { storedFastOpenLength = Int8(truncatingIfNeeded: newValue) }
    }

    /// The Fast Open cookie, if the option carried one.
    var cookie: [UInt8]? {
        guard fastOpenLength > 0 else { return nil }
        var out: [UInt8] = []
        for i in 0..<fastOpenLength {
            let word = i < 8 ? fastOpenCookie.0 : fastOpenCookie.1
            out.append(UInt8(truncatingIfNeeded: word >> UInt64(56 - 8 * (i % 8))))
        }
        return out
    }

    /// The SACK block at `index` (0..<sackCount).
    func sackBlock(_ index: Int) -> (start: SequenceNumber, end: SequenceNumber) {
        switch index {
        case 0: return sack0
        case 1: return sack1
        case 2: return sack2
        default: return sack3
        }
    }

    mutating func appendSack(_ start: SequenceNumber, _ end: SequenceNumber) {
        switch sackCount {
        case 0: sack0 = (start, end)
        case 1: sack1 = (start, end)
        case 2: sack2 = (start, end)
        case 3: sack3 = (start, end)
        default: return
        }
        sackCount += 1
    }
}

/// The two ends of a connection as seen from the stack: local address and port,
/// remote address and port. The key of the established and time-wait tables.
public struct FourTuple: Hashable, Sendable, CustomStringConvertible {
    /// The stack's end.
    public var local: TCPEndpoint
    /// The peer's end.
    public var remote: TCPEndpoint

    /// The pair `local`, `remote`.
    public init(local: TCPEndpoint, remote: TCPEndpoint) {
        self.local = local
        self.remote = remote
    }

    public var description: String { "\(local) <-> \(remote)" }

    /// Hashes the tuple as whole words (the two ports packed in one, an IPv4
    /// address pair in another) instead of field by field with the enum cases:
    /// every segment's socket lookup hashes one.
    public func hash(into hasher: inout Hasher) {
        let ports = UInt32(local.port) << 16 | UInt32(remote.port)
        switch (local.address, remote.address) {
        case (.v4(let l), .v4(let r)):
            hasher.combine(UInt64(l.value) << 32 | UInt64(r.value))
            hasher.combine(ports)
        case (.v6(let l), .v6(let r)):
            hasher.combine(l.high)
            hasher.combine(l.low)
            hasher.combine(r.high)
            hasher.combine(r.low)
            hasher.combine(ports)
        default:
            hasher.combine(local)
            hasher.combine(remote)
        }
    }
}

/// One inbound TCP segment, parsed from the IP packet that carried it. The payload
/// stays in the packet's bytes (`payloadStart..<payloadStart+payloadCount`).
struct InboundSegment {
    var source: IPAddress
    var destination: IPAddress
    var sourcePort: UInt16
    var destinationPort: UInt16
    var seq: SequenceNumber
    var ack: SequenceNumber
    var flags: TCPFlags
    var window: UInt16
    var options: SegmentOptions
    var payloadStart: Int
    var payloadCount: Int
    /// The TCP header's length (data offset x 4).
    var tcpHeaderLength: Int
    /// The options begin with NOP, NOP, timestamps (what header prediction expects).
    var alignedTimestamp: Bool
    /// The IPv6 traffic class or IPv4 TOS byte.
    var tos: UInt8
    /// The ECN codepoint (the low two bits of ``tos``).
    var ecn: UInt8 { tos & 3 }

    var isSyn: Bool { flags.contains(.syn) }
    var isFin: Bool { flags.contains(.fin) }
    var isRst: Bool { flags.contains(.rst) }
    var hasAck: Bool { flags.contains(.ack) }

    /// The sequence number after this segment: data, SYN and FIN each count.
    /// Wrapping 32-bit sums (sequence space wraps anyway; a payload is below
    /// 2^16): read several times per segment, it needs no overflow checks.
    var endSeq: SequenceNumber {
        seq + (UInt32(truncatingIfNeeded: payloadCount) &+ (isSyn ? 1 : 0) &+ (isFin ? 1 : 0))
    }

    /// The connection this segment belongs to, from the stack's side.
    var tuple: FourTuple {
        FourTuple(local: TCPEndpoint(destination, destinationPort), remote: TCPEndpoint(source, sourcePort))
    }
}

/// Why an inbound packet was not handed to TCP.
enum InboundDrop: Error {
    case malformed(String)
    case notTCP
    case badChecksum
}

/// Reading IP packets into ``InboundSegment``s.
enum SegmentParser {
    // One load each, not a byte at a time with an overflow-checked index per
    // byte (the callers have checked that the field lies inside the packet).
    @inline(__always)
    static func be16(_ b: UnsafeRawBufferPointer, _ o: Int) -> UInt16 {
        UInt16(bigEndian: b.loadUnaligned(fromByteOffset: o, as: UInt16.self))
    }

    @inline(__always)
    static func be32(_ b: UnsafeRawBufferPointer, _ o: Int) -> UInt32 {
        UInt32(bigEndian: b.loadUnaligned(fromByteOffset: o, as: UInt32.self))
    }

    /// Parses an IPv4 or IPv6 packet carrying TCP; checks lengths and, unless the
    /// device vouches for it (checksum offload), the TCP checksum. Mirrors the
    /// checks of ip_rcv_core, ipv6_rcv and tcp_v4_rcv before the lookup.
    /// Inlined into the stack's one caller: the segment is built in its frame.
    @inline(__always)
    static func parse(_ bytes: UnsafeRawBufferPointer, verifyingChecksum: Bool = true) throws(InboundDrop) -> InboundSegment {
        guard bytes.count >= 1 else { throw .malformed("empty packet") }
        let version = bytes[0] >> 4
        // The addresses are read from the packet where the segment is built:
        // kept in registers across the checks they would be spilled.
        let isIPv6: Bool
        let tcpStart: Int
        let tcpEnd: Int
        let tos: UInt8
        // The pseudo-header's sum, taken only when the checksum is verified
        // (under offload nobody reads it).
        var pseudo = InternetChecksum()
        if version == 4 {
            guard bytes.count >= 20 else { throw .malformed("IPv4 header truncated") }
            let ihl = Int(bytes[0] & 0x0F) * 4
            let total = Int(be16(bytes, 2))
            guard ihl >= 20, total >= ihl, total <= bytes.count else { throw .malformed("bad IPv4 lengths") }
            guard bytes[9] == IPProtocolNumber.tcp else { throw .notTCP }
            let fragment = be16(bytes, 6)
            guard fragment & 0x3FFF == 0 else { throw .malformed("IPv4 fragment") }
            isIPv6 = false
            tcpStart = ihl
            tcpEnd = total
            tos = bytes[1]
            if verifyingChecksum {
                pseudo.addPseudoHeader(source: IPv4Address(be32(bytes, 12)), destination: IPv4Address(be32(bytes, 16)),
                                       protocol: IPProtocolNumber.tcp, length: total - ihl)
            }
        } else if version == 6 {
            guard bytes.count >= 40 else { throw .malformed("IPv6 header truncated") }
            let payload = Int(be16(bytes, 4))
            guard 40 + payload <= bytes.count else { throw .malformed("bad IPv6 payload length") }
            var next = bytes[6]
            var offset = 40
            // Hop-by-hop, routing and destination options headers are skipped.
            while next == 0 || next == 43 || next == 60 {
                guard offset + 2 <= 40 + payload else { throw .malformed("IPv6 extension header truncated") }
                let length = (Int(bytes[offset + 1]) + 1) * 8
                next = bytes[offset]
                offset += length
            }
            guard next == IPProtocolNumber.tcp else { throw .notTCP }
            guard offset <= 40 + payload else { throw .malformed("IPv6 extension header truncated") }
            isIPv6 = true
            tcpStart = offset
            tcpEnd = 40 + payload
            tos = UInt8(truncatingIfNeeded: (be32(bytes, 0) >> 20) & 0xFF)
            if verifyingChecksum {
                pseudo.addPseudoHeader(source: ipv6Address(bytes, 8), destination: ipv6Address(bytes, 24),
                                       nextHeader: IPProtocolNumber.tcp, length: tcpEnd - tcpStart)
            }
        } else {
            throw .malformed("IP version \(version)")
        }
        // Never negative: both families checked tcpStart <= tcpEnd above.
        guard tcpEnd &- tcpStart >= 20 else { throw .malformed("TCP header truncated") }
        let dataOffset = Int(bytes[tcpStart &+ 12] >> 4) &* 4
        guard dataOffset >= 20, tcpStart &+ dataOffset <= tcpEnd else { throw .malformed("bad TCP data offset") }
        if verifyingChecksum {
            var sum = pseudo
            sum.add(UnsafeRawBufferPointer(rebasing: bytes[tcpStart..<tcpEnd]))
            guard sum.checksum == 0 else { throw .badChecksum }
        }
        // NOP, NOP, kind 8, length 10 as one word; the area is inside the
        // packet (data offset checked above).
        let alignedTimestamp = dataOffset >= 32
            && bytes.loadUnaligned(fromByteOffset: tcpStart &+ 20, as: UInt32.self) == UInt32(0x0101_080A).bigEndian
        let flagBits = (UInt16(bytes[tcpStart &+ 12] & 0x01) << 8) | UInt16(bytes[tcpStart &+ 13])
        // Built once, in the caller's frame (parse is inlined there); the
        // options are then filled in place.
        var segment = InboundSegment(
            source: isIPv6 ? .v6(ipv6Address(bytes, 8)) : .v4(IPv4Address(be32(bytes, 12))),
            destination: isIPv6 ? .v6(ipv6Address(bytes, 24)) : .v4(IPv4Address(be32(bytes, 16))),
            sourcePort: be16(bytes, tcpStart), destinationPort: be16(bytes, tcpStart &+ 2),
            seq: SequenceNumber(be32(bytes, tcpStart &+ 4)), ack: SequenceNumber(be32(bytes, tcpStart &+ 8)),
            flags: TCPFlags(rawValue: flagBits), window: be16(bytes, tcpStart &+ 14), options: SegmentOptions(),
            payloadStart: tcpStart &+ dataOffset, payloadCount: tcpEnd &- tcpStart &- dataOffset,
            tcpHeaderLength: dataOffset,
            alignedTimestamp: alignedTimestamp, tos: tos)
        if alignedTimestamp && dataOffset == 32 {
            // tcp_fast_parse_options: an option area of NOP, NOP, timestamps and
            // nothing else (every segment of a connection with timestamps after
            // the handshake) is read without walking it.
            segment.options.hasTimestamp = true
            segment.options.tsVal = be32(bytes, tcpStart &+ 24)
            segment.options.tsEcr = be32(bytes, tcpStart &+ 28)
        } else if dataOffset > 20 {
            parseOptions(bytes, from: tcpStart &+ 20, to: tcpStart &+ dataOffset, into: &segment.options)
        }
        return segment
    }

    /// The IPv6 address in the 16 bytes at `offset`.
    @inline(__always)
    static func ipv6Address(_ b: UnsafeRawBufferPointer, _ offset: Int) -> IPv6Address {
        IPv6Address(high: UInt64(bigEndian: b.loadUnaligned(fromByteOffset: offset, as: UInt64.self)),
                    low: UInt64(bigEndian: b.loadUnaligned(fromByteOffset: offset &+ 8, as: UInt64.self)))
    }

    /// Reads the option area as Linux does: a malformed length ends the walk, options
    /// with a wrong length are ignored. Mirrors tcp_parse_options.
    static func parseOptions(_ b: UnsafeRawBufferPointer, from start: Int, to end: Int, into o: inout SegmentOptions) {
        // Indices stay below the packet's length plus 255 (one length byte):
        // the arithmetic cannot overflow, so it wraps instead of checking.
        var i = start
        while i < end {
            let kind = b[i]
            if kind == 0 { return }
            if kind == 1 { i &+= 1; continue }
            guard i &+ 1 < end else { return }
            let length = Int(b[i &+ 1])
            guard length >= 2, i &+ length <= end else { return }
            switch (kind, length) {
            case (2, 4): o.mss = be16(b, i &+ 2)
            case (3, 3): o.windowScale = b[i &+ 2]
            case (4, 2): o.sackPermitted = true
            case (8, 10):
                o.hasTimestamp = true
                o.tsVal = be32(b, i &+ 2)
                o.tsEcr = be32(b, i &+ 6)
            case (5, _) where length >= 10 && (length - 2) % 8 == 0:
                var k = i &+ 2
                while k &+ 8 <= i &+ length {
                    o.appendSack(SequenceNumber(be32(b, k)), SequenceNumber(be32(b, k &+ 4)))
                    k &+= 8
                }
            case (34, _), (254, _):
                // tcp_parse_fastopen_option: an even length of 4 to 16 bytes, or a request.
                var start = i + 2
                var cookieLength = length - 2
                if kind == 254 {
                    guard length >= 4, be16(b, i + 2) == 0xF989 else { break }
                    start += 2
                    cookieLength -= 2
                    o.fastOpenExperimental = true
                }
                if cookieLength == 0 {
                    o.fastOpenLength = 0
                } else if cookieLength >= 4 && cookieLength <= 16 && cookieLength % 2 == 0 {
                    o.fastOpenLength = cookieLength
                    var words: (UInt64, UInt64) = (0, 0)
                    for k in 0..<cookieLength {
                        let byte = UInt64(b[start + k])
                        if k < 8 { words.0 |= byte << UInt64(56 - 8 * k) } else { words.1 |= byte << UInt64(56 - 8 * (k - 8)) }
                    }
                    o.fastOpenCookie = words
                }
            default: break
            }
            i &+= length
        }
    }
}

/// One outbound TCP segment's header fields, before it becomes bytes.
struct OutboundHeader {
    var tuple: FourTuple
    var seq: SequenceNumber
    var ack: SequenceNumber
    var flags: TCPFlags
    var window: UInt16
    var mss: UInt16?
    var windowScale: UInt8?
    var sackPermitted = false
    var timestamp: (value: UInt32, echo: UInt32)?
    var sackBlocks = SackBlockList()
    /// A Fast Open option: empty for a cookie request.
    var fastOpenCookie: FastOpenCookieBytes?
    var tos: UInt8 = 0
    var ipID: UInt16 = 0
    var flowLabel: UInt32 = 0
}

/// One SACK block: the left and right edges of a range held by the receiver.
typealias SackBlock = (start: SequenceNumber, end: SequenceNumber)

/// The SACK blocks of one outgoing segment, held inline: Linux sends at most
/// four (three beside timestamps), so building a header allocates nothing.
struct SackBlockList: ExpressibleByArrayLiteral {
    /// The most blocks a 40-byte option area holds.
    static let capacity = 4
    private var blocks: (SackBlock, SackBlock, SackBlock, SackBlock) = (
        (SequenceNumber(0), SequenceNumber(0)), (SequenceNumber(0), SequenceNumber(0)),
        (SequenceNumber(0), SequenceNumber(0)), (SequenceNumber(0), SequenceNumber(0)))
    /// How many blocks are held.
    private(set) var count = 0

    init() {}

    init(arrayLiteral elements: SackBlock...) {
        for block in elements { append(block) }
    }

    var isEmpty: Bool { count == 0 }

    /// Adds `block` at the end; a fifth block is dropped (no option area has room).
    mutating func append(_ block: SackBlock) {
        switch count {
        case 0: blocks.0 = block
        case 1: blocks.1 = block
        case 2: blocks.2 = block
        case 3: blocks.3 = block
        default: return
        }
        count += 1
    }

    /// The block at `index` (0 ..< count).
    subscript(index: Int) -> SackBlock {
        switch index {
        case 0: return blocks.0
        case 1: return blocks.1
        case 2: return blocks.2
        default: return blocks.3
        }
    }
}

/// A Fast Open option's cookie, held inline (RFC 7413: at most 16 bytes); an
/// empty one is a cookie request.
struct FastOpenCookieBytes {
    /// The longest cookie the option carries.
    static let capacity = 16
    private var bytes: (UInt64, UInt64) = (0, 0)
    /// How many bytes are held.
    private(set) var count = 0

    /// A cookie request (no bytes).
    init() {}

    /// The first 16 bytes of `cookie`.
    init(_ cookie: [UInt8]) {
        for byte in cookie.prefix(Self.capacity) {
            let shift = UInt64(56 - 8 * (count % 8))
            if count < 8 { bytes.0 |= UInt64(byte) << shift } else { bytes.1 |= UInt64(byte) << shift }
            count += 1
        }
    }

    /// The byte at `index` (0 ..< count).
    subscript(index: Int) -> UInt8 {
        let word = index < 8 ? bytes.0 : bytes.1
        return UInt8(truncatingIfNeeded: word >> UInt64(56 - 8 * (index % 8)))
    }
}

/// Bytes written in order into memory the caller sized (big-endian fields).
struct ByteWriter {
    let base: UnsafeMutableRawPointer
    /// Where the next byte goes, from `base`.
    private(set) var offset = 0
    /// How many bytes `base` has room for; writes beyond it are dropped.
    let capacity: Int

    init(_ base: UnsafeMutableRawPointer, capacity: Int) {
        self.base = base
        self.capacity = capacity
    }

    @inline(__always)
    mutating func put8(_ v: UInt8) {
        if offset < capacity { base.storeBytes(of: v, toByteOffset: offset, as: UInt8.self) }
        offset += 1
    }

    @inline(__always)
    mutating func put16(_ v: UInt16) {
        if offset + 2 <= capacity { base.storeBytes(of: v.bigEndian, toByteOffset: offset, as: UInt16.self) }
        offset += 2
    }

    @inline(__always)
    mutating func put32(_ v: UInt32) {
        if offset + 4 <= capacity { base.storeBytes(of: v.bigEndian, toByteOffset: offset, as: UInt32.self) }
        offset += 4
    }
}

/// Building IP packets from ``OutboundHeader``s, with Linux's option layout
/// (tcp_options_write).
enum SegmentBuilder {
    /// Room for the option area: TCP allows 40 bytes; the writer drops what
    /// does not fit (no header asks for more).
    static let maximumOptionLength = 40

    /// The length of the option area `writeOptions` writes for `h` (before the
    /// 40-byte cap), known before any byte is written so the options can go
    /// straight into the packet.
    @inline(__always)
    static func optionLength(_ h: OutboundHeader) -> Int {
        var n = 0
        if h.mss != nil { n += 4 }
        // SACK-permitted rides in the timestamps' two NOPs when both are sent.
        if h.timestamp != nil { n += 12 } else if h.sackPermitted { n += 4 }
        if h.windowScale != nil { n += 4 }
        if !h.sackBlocks.isEmpty { n += 4 + 8 * h.sackBlocks.count }
        if let cookie = h.fastOpenCookie {
            let length = 2 + cookie.count
            n += length & 3 == 2 ? length + 2 : length
        }
        return n
    }

    /// Writes the option bytes in Linux's order: MSS; SACK-permitted folded with
    /// timestamps (or NOP,NOP,TS); NOP,NOP,SACK-permitted without timestamps;
    /// NOP,wscale; NOP,NOP,SACK blocks. Mirrors tcp_options_write, which also
    /// writes each option's kind and length bytes as one 32-bit word.
    @inline(__always)
    static func writeOptions(_ h: OutboundHeader, to out: inout ByteWriter) {
        if let mss = h.mss {
            out.put32(0x0204_0000 | UInt32(mss))
        }
        if let ts = h.timestamp {
            // Kinds 4,2 (SACK-permitted) in place of NOP,NOP; then kind 8, length 10.
            out.put32(h.sackPermitted ? 0x0402_080A : 0x0101_080A)
            out.put32(ts.value)
            out.put32(ts.echo)
        } else if h.sackPermitted {
            out.put32(0x0101_0402)
        }
        if let ws = h.windowScale {
            out.put32(0x0103_0300 | UInt32(ws))
        }
        if !h.sackBlocks.isEmpty {
            out.put32(0x0101_0500 | UInt32(truncatingIfNeeded: 2 + 8 * h.sackBlocks.count))
            for i in 0..<h.sackBlocks.count {
                let block = h.sackBlocks[i]
                out.put32(block.start.rawValue)
                out.put32(block.end.rawValue)
            }
        }
        if let cookie = h.fastOpenCookie {
            let length = 2 + cookie.count
            out.put8(34)
            out.put8(UInt8(truncatingIfNeeded: length))
            for i in 0..<cookie.count { out.put8(cookie[i]) }
            if length & 3 == 2 {
                out.put8(1)
                out.put8(1)
            }
        }
    }

    /// The length of the packet `build` makes for `h` with `payloadLength`
    /// payload bytes (0 when the addresses' families differ), to pick a
    /// buffer of that length.
    @inline(__always)
    static func packetLength(_ h: OutboundHeader, payloadLength: Int) -> Int {
        packetLength(h, optionLength: min(optionLength(h), maximumOptionLength), payloadLength: payloadLength)
    }

    /// `packetLength` with the capped option length already computed.
    @inline(__always)
    static func packetLength(_ h: borrowing OutboundHeader, optionLength: Int, payloadLength: Int) -> Int {
        let ipLength: Int
        switch (h.tuple.local.address, h.tuple.remote.address) {
        case (.v4, .v4): ipLength = 20
        case (.v6, .v6): ipLength = 40
        default: return 0
        }
        return ipLength + 20 + optionLength + payloadLength
    }

    /// The whole IP packet for `h` carrying `payload` (may be empty);
    /// `checksumOffload`: the device's (see ``StackAddresses/checksumOffload``).
    static func build(_ h: OutboundHeader, payload: UnsafeRawBufferPointer, checksumOffload: Bool = false) -> [UInt8] {
        var out: [UInt8] = []
        build(h, payloadLength: payload.count, checksumOffload: checksumOffload, into: &out) { destination, sum in
            if sum != nil {
                sum?.add(copying: payload, to: destination)
            } else if let source = payload.baseAddress {
                destination.copyMemory(from: source, byteCount: payload.count)
            }
        }
        return out
    }

    /// Writes the whole IP packet for `h` into `out`, reusing its storage (its
    /// old bytes are overwritten; it ends up exactly the packet's length).
    /// `writePayload` copies the `payloadLength` payload bytes to the pointer it
    /// is given and, when the checksum is not nil, adds them to it (one pass:
    /// csum_partial_copy). With `checksumOffload` the device sums the segment:
    /// the checksum is nil and the field holds the pseudo-header's sum, as
    /// __tcp_v4_send_check leaves it for CHECKSUM_PARTIAL.
    /// `out` is empty when the addresses' families differ.
    static func build(_ h: OutboundHeader, payloadLength: Int, checksumOffload: Bool = false, into out: inout [UInt8],
                      payload writePayload: (UnsafeMutableRawPointer, inout InternetChecksum?) -> Void) {
        var h = h
        build(&h, optionLength: min(optionLength(h), maximumOptionLength), payloadLength: payloadLength,
              checksumOffload: checksumOffload, into: &out, payload: writePayload)
    }

    /// `build` for a header the caller holds in a variable, with its capped
    /// option length already computed (as sizing the buffer needed it). The
    /// header is taken inout so the closure that writes the packet captures its
    /// address: a by-value header (~150 bytes) would be copied field by field
    /// into the closure's context on every segment.
    static func build(_ h: inout OutboundHeader, optionLength: Int, payloadLength: Int, checksumOffload: Bool,
                      into out: inout [UInt8],
                      payload writePayload: (UnsafeMutableRawPointer, inout InternetChecksum?) -> Void) {
        let ipLength: Int
        switch (h.tuple.local.address, h.tuple.remote.address) {
        case (.v4, .v4): ipLength = 20
        case (.v6, .v6): ipLength = 40
        default:
            out.removeAll()
            return
        }
        // The option area's length is known up front: the options are written
        // in place, after the fixed header, with no staging area to copy from.
        let tcpLength = 20 + optionLength + payloadLength
        // The call only when needed: the pool usually lends the right length.
        if out.count != ipLength + tcpLength { resize(&out, to: ipLength + tcpLength) }
        out.withUnsafeMutableBytes { packet in
            let base = packet.baseAddress.unsafelyUnwrapped
            var pseudo = InternetChecksum()
            switch (h.tuple.local.address, h.tuple.remote.address) {
            case (.v4(let s), .v4(let d)):
                let totalLength = UInt16(truncatingIfNeeded: 20 + tcpLength)
                let versionAndTOS = 0x4500 | UInt16(h.tos)
                let ttlAndProtocol = 64 << 8 | UInt16(IPProtocolNumber.tcp)
                store16(base, 0, versionAndTOS)
                store16(base, 2, totalLength)
                store16(base, 4, h.ipID)
                store16(base, 6, 0x4000)  // DF: path MTU discovery is on
                store16(base, 8, ttlAndProtocol)
                store32(base, 12, s.value)
                store32(base, 16, d.value)
                // The header checksum from the ten words just written (the
                // checksum word itself zero), without reading them back.
                var words = UInt32(versionAndTOS) &+ UInt32(totalLength) &+ UInt32(h.ipID) &+ 0x4000
                words &+= UInt32(ttlAndProtocol) &+ (s.value >> 16) &+ (s.value & 0xFFFF)
                words &+= (d.value >> 16) &+ (d.value & 0xFFFF)
                words = (words & 0xFFFF) &+ (words >> 16)
                words = (words & 0xFFFF) &+ (words >> 16)
                store16(base, 10, ~UInt16(truncatingIfNeeded: words))
                pseudo.addPseudoHeader(source: s, destination: d, protocol: IPProtocolNumber.tcp, length: tcpLength)
            case (.v6(let s), .v6(let d)):
                var w = ByteWriter(base, capacity: packet.count)
                w.put32(6 << 28 | UInt32(h.tos) << 20 | (h.flowLabel & 0xF_FFFF))
                w.put16(UInt16(truncatingIfNeeded: tcpLength))
                w.put8(IPProtocolNumber.tcp); w.put8(64)
                w.put32(UInt32(truncatingIfNeeded: s.high >> 32)); w.put32(UInt32(truncatingIfNeeded: s.high))
                w.put32(UInt32(truncatingIfNeeded: s.low >> 32)); w.put32(UInt32(truncatingIfNeeded: s.low))
                w.put32(UInt32(truncatingIfNeeded: d.high >> 32)); w.put32(UInt32(truncatingIfNeeded: d.high))
                w.put32(UInt32(truncatingIfNeeded: d.low >> 32)); w.put32(UInt32(truncatingIfNeeded: d.low))
                pseudo.addPseudoHeader(source: s, destination: d, nextHeader: IPProtocolNumber.tcp, length: tcpLength)
            default:
                return
            }
            let tcp = base + ipLength
            store16(tcp, 0, h.tuple.local.port)
            store16(tcp, 2, h.tuple.remote.port)
            store32(tcp, 4, h.seq.rawValue)
            store32(tcp, 8, h.flags.contains(.ack) ? h.ack.rawValue : 0)
            let offsetWords = UInt16(truncatingIfNeeded: (20 + optionLength) / 4)
            store16(tcp, 12, offsetWords << 12 | (h.flags.rawValue & 0x1FF))
            store16(tcp, 14, h.window)
            store32(tcp, 16, 0)  // checksum and urgent pointer
            var options = ByteWriter(tcp + 20, capacity: optionLength)
            writeOptions(h, to: &options)
            if checksumOffload {
                var none: InternetChecksum?
                writePayload(tcp + 20 + optionLength, &none)
                store16(tcp, 16, pseudo.sum16)
                return
            }
            var sum: InternetChecksum? = pseudo
            sum?.add(UnsafeRawBufferPointer(start: tcp, count: 20 + optionLength))
            writePayload(tcp + 20 + optionLength, &sum)
            store16(tcp, 16, sum?.checksum ?? 0)
        }
    }

    /// Stores a big-endian 16-bit field at `offset`.
    @inline(__always)
    private static func store16(_ base: UnsafeMutableRawPointer, _ offset: Int, _ value: UInt16) {
        base.storeBytes(of: value.bigEndian, toByteOffset: offset, as: UInt16.self)
    }

    /// Stores a big-endian 32-bit field at `offset`.
    @inline(__always)
    private static func store32(_ base: UnsafeMutableRawPointer, _ offset: Int, _ value: UInt32) {
        base.storeBytes(of: value.bigEndian, toByteOffset: offset, as: UInt32.self)
    }

    /// Makes `out` exactly `count` bytes long, keeping its storage; the bytes'
    /// values do not matter (the builder overwrites every one).
    private static func resize(_ out: inout [UInt8], to count: Int) {
        if out.capacity < count {
            // Fresh storage, not zero-filled first: every byte is written next.
            out = [UInt8](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
        } else if out.count > count {
            // Straight to the range replacement removeLast(_:) ends in.
            out.replaceSubrange(count..<out.count, with: EmptyCollection())
        } else if out.count < count {
            let growth = count - out.count
            guard growth <= 64 else {
                out.append(contentsOf: repeatElement(0, count: growth))
                return
            }
            // A recycled buffer is usually a few bytes short (a pure ACK's
            // storage for a SYN): one copy from a small zeroed block, not a
            // byte at a time through the repeating sequence.
            var zeros: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
            withUnsafeBytes(of: &zeros) { block in
                out.append(contentsOf: UnsafeBufferPointer(rebasing: block.assumingMemoryBound(to: UInt8.self)[..<growth]))
            }
        }
    }
}
