/// An IPv6 address, stored as two 64-bit halves (network order: `high` holds bytes 0...7).
public struct IPv6Address: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// Bytes 0...7 of the address.
    public var high: UInt64
    /// Bytes 8...15 of the address.
    public var low: UInt64

    /// The address made of the two 64-bit halves.
    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// The address made of eight 16-bit groups, as written in text.
    public init(groups: (UInt16, UInt16, UInt16, UInt16, UInt16, UInt16, UInt16, UInt16)) {
        high = UInt64(groups.0) << 48 | UInt64(groups.1) << 32 | UInt64(groups.2) << 16 | UInt64(groups.3)
        low = UInt64(groups.4) << 48 | UInt64(groups.5) << 32 | UInt64(groups.6) << 16 | UInt64(groups.7)
    }

    /// The 16 bytes of the address; `nil` unless `bytes` has exactly 16 elements.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 16 else { return nil }
        var h: UInt64 = 0
        var l: UInt64 = 0
        for (i, b) in bytes.enumerated() {
            if i < 8 { h = h << 8 | UInt64(b) } else { l = l << 8 | UInt64(b) }
        }
        high = h
        low = l
    }

    /// The unspecified address `::`.
    public static let unspecified = IPv6Address(high: 0, low: 0)
    /// The loopback address `::1`.
    public static let loopback = IPv6Address(high: 0, low: 1)

    /// Group `i` (0...7) of the address.
    public func group(_ i: Int) -> UInt16 {
        let half = i < 4 ? high : low
        return UInt16(truncatingIfNeeded: half >> UInt64((3 - (i & 3)) * 16))
    }

    /// The 16 bytes of the address, first on the wire first.
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(16)
        append(to: &out)
        return out
    }

    /// Parses IPv6 text: eight groups, `::` for a run of zero groups, and an optional
    /// dotted IPv4 tail (`::ffff:192.0.2.1`). Returns `nil` for anything else
    /// (zone identifiers such as `%eth0` are not accepted).
    public init?(_ text: some StringProtocol) {
        let utf8 = Array(text.utf8)
        guard !utf8.isEmpty else { return nil }
        var head: [UInt16] = []
        var tail: [UInt16] = []
        var sawDoubleColon = false
        var i = 0
        // A leading "::" is the only place a group list may start with a colon.
        if utf8.count >= 2, utf8[0] == UInt8(ascii: ":") {
            guard utf8[1] == UInt8(ascii: ":") else { return nil }
            sawDoubleColon = true
            i = 2
            if i == utf8.count {
                self = .unspecified
                return
            }
        }
        while i < utf8.count {
            // Read one field: hex group, or an IPv4 tail.
            var j = i
            while j < utf8.count, utf8[j] != UInt8(ascii: ":") { j += 1 }
            let field = utf8[i..<j]
            guard !field.isEmpty else { return nil }
            if field.contains(UInt8(ascii: ".")) {
                // IPv4 tail: must be last.
                guard j == utf8.count, let v4 = IPv4Address(String(decoding: field, as: UTF8.self)) else { return nil }
                let groups = [UInt16(truncatingIfNeeded: v4.value >> 16), UInt16(truncatingIfNeeded: v4.value)]
                if sawDoubleColon { tail += groups } else { head += groups }
                i = j
                break
            }
            guard field.count <= 4 else { return nil }
            var g: UInt16 = 0
            for c in field {
                guard let d = hexValue(c) else { return nil }
                g = g << 4 | UInt16(d)
            }
            if sawDoubleColon { tail.append(g) } else { head.append(g) }
            if j == utf8.count {
                i = j
                break
            }
            // At a colon: "::" or ":".
            if j + 1 < utf8.count, utf8[j + 1] == UInt8(ascii: ":") {
                guard !sawDoubleColon else { return nil }
                sawDoubleColon = true
                i = j + 2
                if i == utf8.count { break }
            } else {
                i = j + 1
                guard i < utf8.count else { return nil }  // trailing single colon
            }
        }
        let total = head.count + tail.count
        if sawDoubleColon {
            guard total <= 7 else { return nil }
        } else {
            guard total == 8 else { return nil }
        }
        let groups = head + Array(repeating: 0, count: 8 - total) + tail
        var h: UInt64 = 0
        var l: UInt64 = 0
        for (k, g) in groups.enumerated() {
            if k < 4 { h = h << 16 | UInt64(g) } else { l = l << 16 | UInt64(g) }
        }
        high = h
        low = l
    }

    /// Text as tcpdump prints it: RFC 5952 (lowercase, no leading zeros, the longest run of
    /// two or more zero groups, the first such run on a tie, written `::`), with the
    /// IPv4-mapped (`::ffff:a.b.c.d`) and IPv4-compatible (`::a.b.c.d`) forms dotted.
    public var description: String {
        var bestStart = -1
        var bestLength = 0
        var runStart = -1
        for i in 0...8 {
            if i < 8, group(i) == 0 {
                if runStart < 0 { runStart = i }
            } else if runStart >= 0 {
                if i - runStart > bestLength {
                    bestStart = runStart
                    bestLength = i - runStart
                }
                runStart = -1
            }
        }
        if bestLength < 2 { bestStart = -1 }
        var out = ""
        var i = 0
        while i < 8 {
            if i == bestStart {
                out += i == 0 ? "::" : ":"
                i += bestLength
                continue
            }
            // Dotted tail for ::a.b.c.d and ::ffff:a.b.c.d (as inet_ntop writes them).
            if i == 6, bestStart == 0,
                bestLength == 6 || (bestLength == 7 && group(7) != 1) || (bestLength == 5 && group(5) == 0xffff)
            {
                out += IPv4Address(UInt32(truncatingIfNeeded: low)).description
                return out
            }
            out += String(group(i), radix: 16)
            if i < 7 { out += ":" }
            i += 1
        }
        return out
    }

    public static func < (a: IPv6Address, b: IPv6Address) -> Bool {
        (a.high, a.low) < (b.high, b.low)
    }

    /// Reads sixteen bytes at `offset` of `bytes`; the caller has checked the bounds.
    init(reading bytes: UnsafeRawBufferPointer, at offset: Int) {
        high = UInt64(readBE32(bytes, offset)) << 32 | UInt64(readBE32(bytes, offset + 4))
        low = UInt64(readBE32(bytes, offset + 8)) << 32 | UInt64(readBE32(bytes, offset + 12))
    }

    func append(to out: inout [UInt8]) {
        appendBE32(&out, UInt32(truncatingIfNeeded: high >> 32))
        appendBE32(&out, UInt32(truncatingIfNeeded: high))
        appendBE32(&out, UInt32(truncatingIfNeeded: low >> 32))
        appendBE32(&out, UInt32(truncatingIfNeeded: low))
    }
}

/// The value of one ASCII hex digit, or `nil`.
func hexValue(_ c: UInt8) -> UInt8? {
    switch c {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
    default: nil
    }
}
