/// The Internet checksum (RFC 1071): the ones' complement of the ones' complement sum of
/// 16-bit big-endian words.
///
/// The accumulator sums native-endian 32-bit words into a 64-bit total (a loop the
/// compiler can vectorize) and folds carries once at the end; RFC 1071's byte-order
/// independence makes the final byte swap give the big-endian sum. Chunks may have odd
/// lengths: a chunk that starts at an odd position is summed byte-swapped.
public struct InternetChecksum: Sendable, Hashable {
    /// Running sum in native byte order, carries not yet folded.
    @usableFromInline var sum: UInt64 = 0
    /// Whether the bytes added so far have odd length.
    @usableFromInline var odd = false

    /// An empty accumulator.
    public init() {}

    /// Adds the bytes of `buffer`, as if they followed the bytes added before.
    public mutating func add(_ buffer: UnsafeRawBufferPointer) {
        let chunk = UInt64(InternetChecksum.foldedNativeSum(buffer))
        // A chunk starting at an odd position has its bytes in the other halves of the words.
        sum &+= odd ? UInt64(UInt16(truncatingIfNeeded: chunk).byteSwapped) : chunk
        if buffer.count & 1 == 1 { odd.toggle() }
    }

    /// Copies `source` to `destination` (which must not overlap it) and adds
    /// its bytes, as if they followed the bytes added before: one pass over the
    /// data instead of a copy and a sum (Linux's csum_partial_copy).
    public mutating func add(copying source: UnsafeRawBufferPointer, to destination: UnsafeMutableRawPointer) {
        let chunk = UInt64(InternetChecksum.foldedNativeSum(copying: source, to: destination))
        sum &+= odd ? UInt64(UInt16(truncatingIfNeeded: chunk).byteSwapped) : chunk
        if source.count & 1 == 1 { odd.toggle() }
    }

    /// Adds the bytes of `bytes`, as if they followed the bytes added before.
    public mutating func add(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { add($0) }
    }

    /// Adds a 16-bit word whose value is given in host terms (`0x1234` means bytes 12 34),
    /// as if its two bytes followed an even number of bytes added before.
    @inlinable
    public mutating func add(word: UInt16) {
        sum &+= UInt64(word.bigEndian)
    }

    /// Adds a 32-bit value as two big-endian words: one native 32-bit word,
    /// whose halves the fold adds (2^16 is 1 in ones' complement arithmetic).
    @inlinable
    public mutating func add(word32: UInt32) {
        sum &+= UInt64(word32.bigEndian)
    }

    /// The ones' complement sum so far, as a host-order value (not complemented).
    public var sum16: UInt16 {
        UInt16(bigEndian: InternetChecksum.fold(sum))
    }

    /// The checksum to put in a header: the complement of ``sum16``.
    public var checksum: UInt16 { ~sum16 }

    /// The checksum of `bytes` alone.
    public static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt16 {
        var c = InternetChecksum()
        c.add(bytes)
        return c.checksum
    }

    /// The checksum of `bytes` alone.
    public static func checksum(_ bytes: [UInt8]) -> UInt16 {
        bytes.withUnsafeBytes { checksum($0) }
    }

    @inline(__always)
    static func fold(_ value: UInt64) -> UInt16 {
        var s = (value & 0xFFFF_FFFF) &+ (value >> 32)
        s = (s & 0xFFFF) &+ (s >> 16)
        s = (s & 0xFFFF) &+ (s >> 16)
        s = (s & 0xFFFF) &+ (s >> 16)
        return UInt16(truncatingIfNeeded: s)
    }

    /// ``foldedNativeSum(_:)`` of `source`, copying it to `destination` on the
    /// way. Blocks of 64 bytes go through eight 64-bit lanes (each word's two
    /// halves summed apart, so no carry is lost), which the compiler keeps in
    /// vector registers; 2^32 blocks cannot overflow a lane.
    static func foldedNativeSum(copying source: UnsafeRawBufferPointer, to destination: UnsafeMutableRawPointer) -> UInt16 {
        let count = source.count
        guard count > 0, let from = source.baseAddress else { return 0 }
        let blocks = count / 64
        var low = SIMD8<UInt64>(repeating: 0)
        var high = SIMD8<UInt64>(repeating: 0)
        var offset = 0
        for _ in 0..<blocks {
            let v = from.loadUnaligned(fromByteOffset: offset, as: SIMD8<UInt64>.self)
            destination.storeBytes(of: v, toByteOffset: offset, as: SIMD8<UInt64>.self)
            low &+= v & 0xFFFF_FFFF
            high &+= v &>> 32
            offset &+= 64
        }
        var total = (low &+ high).wrappedSum()
        while offset + 4 <= count {
            let w = from.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
            destination.storeBytes(of: w, toByteOffset: offset, as: UInt32.self)
            total &+= UInt64(w)
            offset &+= 4
        }
        if offset < count {
            // Up to three trailing bytes, placed in memory order in a zeroed word.
            var tail: UInt32 = 0
            withUnsafeMutableBytes(of: &tail) { t in
                for k in 0..<(count - offset) {
                    let byte = from.load(fromByteOffset: offset + k, as: UInt8.self)
                    t[k] = byte
                    destination.storeBytes(of: byte, toByteOffset: offset + k, as: UInt8.self)
                }
            }
            total &+= UInt64(tail)
        }
        return fold(total)
    }

    /// The folded native-order sum of `buffer`, zero-padded to a whole word.
    static func foldedNativeSum(_ buffer: UnsafeRawBufferPointer) -> UInt16 {
        let count = buffer.count
        let wordCount = count / 4
        // Two accumulators let the loop run with independent adds; 2^32 words of
        // 2^32 - 1 cannot overflow 64 bits, and no buffer is that long.
        var a: UInt64 = 0
        var b: UInt64 = 0
        var i = 0
        while i + 1 < wordCount {
            a &+= UInt64(buffer.loadUnaligned(fromByteOffset: i &* 4, as: UInt32.self))
            b &+= UInt64(buffer.loadUnaligned(fromByteOffset: i &* 4 &+ 4, as: UInt32.self))
            i &+= 2
        }
        if i < wordCount {
            a &+= UInt64(buffer.loadUnaligned(fromByteOffset: i &* 4, as: UInt32.self))
        }
        let rest = count - wordCount * 4
        if rest > 0 {
            // Up to three trailing bytes, placed in memory order in a zeroed word.
            var tail: UInt32 = 0
            withUnsafeMutableBytes(of: &tail) { t in
                for k in 0..<rest { t[k] = buffer[wordCount * 4 + k] }
            }
            b &+= UInt64(tail)
        }
        return fold(a &+ b)
    }
}

extension InternetChecksum {
    /// Adds the IPv4 pseudo-header (RFC 793 / RFC 768): addresses, zero, protocol, length.
    @inlinable
    public mutating func addPseudoHeader(source: IPv4Address, destination: IPv4Address, protocol proto: UInt8, length: Int) {
        add(word32: source.value)
        add(word32: destination.value)
        add(word: UInt16(proto))
        add(word32: UInt32(truncatingIfNeeded: length))
    }

    /// Adds a 64-bit value as four big-endian words.
    @inlinable
    mutating func add(half: UInt64) {
        add(word32: UInt32(truncatingIfNeeded: half >> 32))
        add(word32: UInt32(truncatingIfNeeded: half))
    }

    /// Adds the IPv6 pseudo-header (RFC 8200 section 8.1): addresses, 32-bit length, next header.
    public mutating func addPseudoHeader(source: IPv6Address, destination: IPv6Address, nextHeader: UInt8, length: Int) {
        // Each 64-bit half as two 32-bit words (no array of halves to allocate).
        add(half: source.high)
        add(half: source.low)
        add(half: destination.high)
        add(half: destination.low)
        add(word32: UInt32(truncatingIfNeeded: length))
        add(word: UInt16(nextHeader))
    }
}
