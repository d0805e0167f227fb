/// Why hex text could not be read as packet bytes.
public struct HexDumpError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Line of the text, counting from 1.
    public var line: Int
    /// Column of the text, counting from 1.
    public var column: Int
    /// What is wrong there.
    public var reason: String

    /// The error at `line`:`column` for `reason`.
    public init(line: Int, column: Int, reason: String) {
        self.line = line
        self.column = column
        self.reason = reason
    }

    public var description: String { "line \(line), column \(column): \(reason)" }
}

/// Reads packets written as hex: plain hex digits (spaces, newlines and `0x` prefixes
/// allowed), or `tcpdump -x`/`-xx`/`-X` output with `0x0000:` offsets.
public enum HexDump {
    /// One packet's bytes and the line where they start.
    public struct Chunk: Sendable, Hashable {
        /// The packet's bytes.
        public var bytes: [UInt8]
        /// The line of the text where the packet starts (counting from 1).
        public var line: Int
    }

    /// The packets in `text`.
    ///
    /// If any line starts with an offset (`0x0000:`), the text is read as tcpdump output:
    /// an offset of zero starts a packet, each offset line adds the hex groups after it
    /// (up to 16 bytes, one space apart; an ASCII column after a wider gap is ignored), and any other line
    /// (such as tcpdump's summary line) ends the packet. Otherwise the text is plain hex:
    /// a blank line ends a packet, and so does the end of a line at which the bytes so
    /// far make exactly the length the IP header declares (so one packet per line works).
    public static func packets(in text: String) throws(HexDumpError) -> [Chunk] {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { Array($0.utf8) }
        if lines.contains(where: { offsetPrefix($0) != nil }) {
            return try offsetPackets(lines)
        }
        return try plainPackets(lines)
    }

    /// The packet length an IP header declares (IPv4 total length, IPv6 40 + payload
    /// length), once enough bytes are present to read it.
    static func declaredLength(_ b: [UInt8]) -> Int? {
        guard let first = b.first else { return nil }
        if first >> 4 == 4, b.count >= 4 { return Int(b[2]) << 8 | Int(b[3]) }
        if first >> 4 == 6, b.count >= 6 { return 40 + (Int(b[4]) << 8 | Int(b[5])) }
        return nil
    }

    /// The offset at the start of a tcpdump hex line and the index after its colon.
    static func offsetPrefix(_ line: [UInt8]) -> (offset: Int, end: Int)? {
        var i = 0
        while i < line.count, line[i] == 0x20 || line[i] == 0x09 { i += 1 }
        guard i + 2 < line.count, line[i] == UInt8(ascii: "0"), line[i + 1] == UInt8(ascii: "x") else { return nil }
        i += 2
        var value = 0
        var digits = 0
        while i < line.count, let d = hexValue(line[i]) {
            guard digits < 8 else { return nil }
            value = value * 16 + Int(d)
            digits += 1
            i += 1
        }
        guard digits > 0, i < line.count, line[i] == UInt8(ascii: ":") else { return nil }
        return (value, i + 1)
    }

    static func offsetPackets(_ lines: [[UInt8]]) throws(HexDumpError) -> [Chunk] {
        var result: [Chunk] = []
        var current: Chunk?
        for (n, line) in lines.enumerated() {
            guard let (offset, end) = offsetPrefix(line) else {
                if let c = current { result.append(c) }
                current = nil
                continue
            }
            if offset == 0 {
                if let c = current { result.append(c) }
                current = Chunk(bytes: [], line: n + 1)
            }
            guard var chunk = current else {
                throw HexDumpError(line: n + 1, column: 1, reason: "offset 0x\(String(offset, radix: 16)) without a preceding 0x0000 line")
            }
            guard offset == chunk.bytes.count else {
                throw HexDumpError(line: n + 1, column: 1, reason: "offset 0x\(String(offset, radix: 16)) but \(chunk.bytes.count) bytes read so far in this packet")
            }
            // Hex groups of 2 or 4 digits, at most 16 bytes; stop at anything else (the ASCII column).
            var i = end
            var taken = 0
            while taken < 16 {
                let gapStart = i
                while i < line.count, line[i] == 0x20 || line[i] == 0x09 { i += 1 }
                // Groups are one space apart; a wider gap leads to tcpdump -X's ASCII column.
                if taken > 0, i - gapStart > 1 { break }
                var j = i
                while j < line.count, line[j] != 0x20, line[j] != 0x09 { j += 1 }
                let group = line[i..<j]
                guard group.count == 2 || group.count == 4, group.allSatisfy({ hexValue($0) != nil }) else { break }
                var k = group.startIndex
                while k < group.endIndex {
                    chunk.bytes.append((hexValue(group[k]) ?? 0) << 4 | (hexValue(group[k + 1]) ?? 0))
                    k += 2
                    taken += 1
                }
                i = j
            }
            current = chunk
        }
        if let c = current { result.append(c) }
        return result
    }

    static func plainPackets(_ lines: [[UInt8]]) throws(HexDumpError) -> [Chunk] {
        var result: [Chunk] = []
        var current: Chunk?
        var pendingNibble: UInt8?
        var pendingAt = (line: 0, column: 0)
        func finish() throws(HexDumpError) {
            if pendingNibble != nil {
                throw HexDumpError(line: pendingAt.line, column: pendingAt.column, reason: "odd number of hex digits: the last byte has only one digit")
            }
            if let c = current { result.append(c) }
            current = nil
        }
        for (n, line) in lines.enumerated() {
            var i = 0
            var sawDigit = false
            while i < line.count {
                let c = line[i]
                if c == 0x20 || c == 0x09 || c == 0x0D {
                    i += 1
                    continue
                }
                // A "0x" prefix (at a token start) is ignored.
                if c == UInt8(ascii: "0"), i + 1 < line.count, line[i + 1] == UInt8(ascii: "x") || line[i + 1] == UInt8(ascii: "X"),
                   i == 0 || line[i - 1] == 0x20 || line[i - 1] == 0x09 {
                    i += 2
                    continue
                }
                guard let d = hexValue(c) else {
                    let shown = c < 0x80 ? "'\(Character(Unicode.Scalar(c)))'" : "byte 0x\(hexDigits(UInt64(c), width: 2))"
                    throw HexDumpError(line: n + 1, column: i + 1, reason: "\(shown) is not a hex digit")
                }
                sawDigit = true
                if current == nil { current = Chunk(bytes: [], line: n + 1) }
                if let high = pendingNibble {
                    current?.bytes.append(high << 4 | d)
                    pendingNibble = nil
                } else {
                    pendingNibble = d
                    pendingAt = (n + 1, i + 1)
                }
                i += 1
            }
            if !sawDigit, line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) {
                try finish()
            } else if pendingNibble == nil, let bytes = current?.bytes, let declared = declaredLength(bytes), declared == bytes.count {
                // The packet is complete by its own length field: the next line starts another.
                try finish()
            }
        }
        try finish()
        return result
    }
}
