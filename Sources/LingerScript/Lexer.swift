/// One token of a packetdrill script.
struct Token: Sendable {
    enum Kind: Equatable, Sendable {
        /// A name that is not a reserved word: syscall names, constants, flags.
        case word(String)
        /// A reserved word of the language, by its canonical spelling
        /// (`Flags` is `flags`, `GREv0` is `gre`, `sequence#` keeps its `#`).
        case keyword(String)
        /// A decimal integer, possibly negative.
        case integer(Int64)
        /// A `0x` hexadecimal integer.
        case hexInteger(Int64)
        /// A decimal number with a fraction, kept as written (`.1`, `-0.5`).
        case float(String)
        /// The text between double quotes, escapes left as written.
        case string(String)
        /// The text between backticks.
        case backQuoted(String)
        /// The text of a `%{ ... }%` block, spaces and tabs at both ends removed.
        case code(String)
        /// `${NAME}`: a reference to a definition (Linger's spelling; packetdrill
        /// substitutes bare words only). Replaced before parsing when NAME is defined.
        case reference(String)
        case ipv4Address(String)
        case ipv6Address(String)
        /// `--name`: the name without the dashes.
        case option(String)
        /// `...`
        case ellipsis
        /// Any other single character.
        case punctuation(String)
        case endOfFile
    }

    var kind: Kind
    /// The text as written in the script.
    var text: String
    var location: SourceLocation
    /// Whether this is the first token on its line (used to resynchronize after errors).
    var startsLine: Bool

    var isInteger: Bool {
        if case .integer = kind { return true }
        return false
    }

    /// How the token reads in "found ..." messages.
    var displayName: String {
        switch kind {
        case .word(let w): return "word '\(w)'"
        case .keyword(let k): return "'\(k)'"
        case .integer, .hexInteger: return "integer \(text)"
        case .float: return "number \(text)"
        case .string: return "string \(Lexer.abbreviate(text))"
        case .backQuoted: return "shell command \(Lexer.abbreviate(text))"
        case .code: return "code block"
        case .reference(let name): return "undefined ${\(name)} (define it with -D \(name)=value)"
        case .ipv4Address(let a): return "IPv4 address \(a)"
        case .ipv6Address(let a): return "IPv6 address \(a)"
        case .option(let o): return "option '--\(o)'"
        case .ellipsis: return "'...'"
        case .punctuation(let p): return "'\(p)'"
        case .endOfFile: return "end of file"
        }
    }
}

/// Reserved words of the packetdrill language, mapped to their canonical spelling.
/// A word spelled exactly like one of these is never a plain word (nor substituted
/// by a definition).
let reservedWords: [String: String] = {
    var table: [String: String] = [:]
    let words = [
        "sa_family", "sin_port", "sin_addr", "msg_name", "msg_iov", "msg_flags", "msg_control",
        "cmsg_data", "cmsg_level", "cmsg_type", "ee_errno", "ee_origin", "ee_type", "ee_code",
        "ee_info", "ee_data", "scm_sec", "scm_nsec", "fd", "u32", "u64", "ptr", "events",
        "revents", "onoff", "linger", "htons", "ipv4", "ipv6", "icmp", "udp", "gre", "raw",
        "sum", "off", "key", "seq", "none", "checksum", "present", "encap", "psp", "spi",
        "mpls", "label", "tc", "ttl", "inet_addr", "inet6_addr", "ack", "eol", "ecr", "mss",
        "mtu", "nop", "sack", "sackOK", "md5", "TS", "FO", "FOEXP", "ECN", "e0b", "e1b", "ceb",
        "tos", "flowlabel", "flags", "val", "win", "urg", "wscale", "ect01", "ect0", "ect1",
        "noecn", "ce", "id",
    ]
    for word in words { table[word] = word }
    table["Flags"] = "flags"
    table["GREv0"] = "gre"
    return table
}()

/// Splits script text into tokens the way packetdrill's scanner does: at each
/// position the longest match wins, and among equally long matches reserved words
/// come first, then numbers, then plain words, then addresses.
struct Lexer {
    private let bytes: [UInt8]
    private let fileName: String
    private var index = 0
    private var line = 1
    private var column = 1
    private var lineHadToken = false
    private(set) var diagnostics: [Diagnostic] = []

    init(source: String, fileName: String) {
        self.bytes = Array(source.utf8)
        self.fileName = fileName
    }

    static func abbreviate(_ text: String) -> String {
        let flat = text.split(whereSeparator: { $0 == "\n" }).joined(separator: " ")
        return flat.count > 30 ? String(flat.prefix(27)) + "..." : flat
    }

    /// Tokenizes the whole source; the last token is always `.endOfFile`.
    mutating func tokenize() -> [Token] {
        var tokens: [Token] = []
        while let token = next() {
            tokens.append(token)
        }
        tokens.append(Token(kind: .endOfFile, text: "", location: SourceLocation(line: line, column: column), startsLine: true))
        return tokens
    }

    private func byte(_ offset: Int) -> UInt8? {
        let i = index + offset
        return i >= 0 && i < bytes.count ? bytes[i] : nil
    }

    /// Moves past `count` bytes, keeping line and column up to date.
    private mutating func advance(_ count: Int) {
        var remaining = count
        while remaining > 0 && index < bytes.count {
            let b = bytes[index]
            if b == UInt8(ascii: "\n") {
                line += 1
                column = 1
                lineHadToken = false
            } else if b & 0xC0 != 0x80 {
                column += 1
            }
            index += 1
            remaining -= 1
        }
    }

    private func text(_ start: Int, _ end: Int) -> String {
        String(decoding: bytes[max(0, start)..<min(end, bytes.count)], as: UTF8.self)
    }

    private mutating func error(_ message: String, at location: SourceLocation) {
        diagnostics.append(Diagnostic(fileName: fileName, location: location, kind: .syntax, message: message))
    }

    private static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
    private static func isHexDigit(_ b: UInt8) -> Bool {
        isDigit(b) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66)
    }
    private static func isWordByte(_ b: UInt8) -> Bool {
        isDigit(b) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F
    }

    private mutating func next() -> Token? {
        while index < bytes.count {
            let c = bytes[index]
            let location = SourceLocation(line: line, column: column)
            // Whitespace. packetdrill's scanner knows only space, tab and newline; a
            // carriage return is taken as whitespace too so that CRLF files read alike.
            if c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D || c == 0x0C {
                advance(1)
                continue
            }
            if c == UInt8(ascii: "/"), byte(1) == UInt8(ascii: "/") {
                var end = index
                while end < bytes.count && bytes[end] != 0x0A { end += 1 }
                advance(end - index)
                continue
            }
            if c == UInt8(ascii: "/"), byte(1) == UInt8(ascii: "*") {
                if let close = find([0x2A, 0x2F], from: index + 2) {
                    advance(close + 2 - index)
                    continue
                }
                error("unterminated comment: '/*' has no closing '*/'", at: location)
                advance(bytes.count - index)
                return nil
            }
            let startsLine = !lineHadToken
            lineHadToken = true
            let start = index
            func make(_ kind: Token.Kind, length: Int) -> Token {
                let token = Token(kind: kind, text: text(start, start + length), location: location, startsLine: startsLine)
                advance(length)
                return token
            }
            if c == UInt8(ascii: "%"), byte(1) == UInt8(ascii: "{") {
                guard let close = find([0x7D, 0x25], from: index + 2) else {
                    error("unterminated code block: '%{' has no closing '}%'", at: location)
                    advance(bytes.count - index)
                    return nil
                }
                var lower = index + 2
                var upper = close
                while lower < upper && (bytes[lower] == 0x20 || bytes[lower] == 0x09) { lower += 1 }
                while upper > lower && (bytes[upper - 1] == 0x20 || bytes[upper - 1] == 0x09) { upper -= 1 }
                return make(.code(text(lower, upper)), length: close + 2 - index)
            }
            if c == UInt8(ascii: "\"") || c == UInt8(ascii: "`") {
                var end = index + 1
                var closed = false
                while end < bytes.count {
                    if bytes[end] == UInt8(ascii: "\\") && end + 1 < bytes.count && bytes[end + 1] != 0x0A {
                        end += 2
                        continue
                    }
                    if bytes[end] == c {
                        closed = true
                        break
                    }
                    end += 1
                }
                guard closed else {
                    let what = c == UInt8(ascii: "`") ? "shell command: '`' has no closing '`'" : "string: '\"' has no closing '\"'"
                    error("unterminated \(what)", at: location)
                    advance(bytes.count - index)
                    return nil
                }
                let inner = text(index + 1, end)
                return make(c == UInt8(ascii: "`") ? .backQuoted(inner) : .string(inner), length: end + 1 - index)
            }
            if c == UInt8(ascii: "$"), byte(1) == UInt8(ascii: "{") {
                let nameLength = runLength(from: index + 2, Lexer.isWordByte)
                if nameLength > 0, byte(2 + nameLength) == UInt8(ascii: "}") {
                    return make(.reference(text(index + 2, index + 2 + nameLength)), length: nameLength + 3)
                }
            }
            if c == UInt8(ascii: "."), byte(1) == UInt8(ascii: "."), byte(2) == UInt8(ascii: ".") {
                return make(.ellipsis, length: 3)
            }
            if c == UInt8(ascii: "-"), byte(1) == UInt8(ascii: "-"), let b2 = byte(2), Lexer.isWordByte(b2) {
                var end = index + 2
                while end < bytes.count && Lexer.isWordByte(bytes[end]) { end += 1 }
                return make(.option(text(index + 2, end)), length: end - index)
            }
            if let token = scanNumberWordOrAddress(location: location, startsLine: startsLine) {
                return token
            }
            // Any other character stands for itself; a multi-byte UTF-8 character is one token.
            var length = 1
            if c >= 0xC0 {
                while let b = byte(length), b & 0xC0 == 0x80 { length += 1 }
            }
            return make(.punctuation(text(index, index + length)), length: length)
        }
        return nil
    }

    private func find(_ pattern: [UInt8], from: Int) -> Int? {
        guard pattern.count == 2 else { return nil }
        var i = from
        while i + 1 < bytes.count {
            if bytes[i] == pattern[0] && bytes[i + 1] == pattern[1] { return i }
            i += 1
        }
        return nil
    }

    // MARK: numbers, words, addresses

    private func runLength(from start: Int, _ predicate: (UInt8) -> Bool) -> Int {
        var end = start
        while end < bytes.count && predicate(bytes[end]) { end += 1 }
        return end - start
    }

    /// `-?[0-9]*[.][0-9]+`
    private func floatLength() -> Int {
        var i = index
        if i < bytes.count && bytes[i] == UInt8(ascii: "-") { i += 1 }
        i += runLength(from: i, Lexer.isDigit)
        guard i < bytes.count, bytes[i] == UInt8(ascii: ".") else { return 0 }
        let fraction = runLength(from: i + 1, Lexer.isDigit)
        return fraction > 0 ? i + 1 + fraction - index : 0
    }

    /// `-?[0-9]+`
    private func integerLength() -> Int {
        var i = index
        if i < bytes.count && bytes[i] == UInt8(ascii: "-") { i += 1 }
        let digits = runLength(from: i, Lexer.isDigit)
        return digits > 0 ? i + digits - index : 0
    }

    /// `0x[0-9a-fA-F]+`
    private func hexLength() -> Int {
        guard byte(0) == UInt8(ascii: "0"), byte(1) == UInt8(ascii: "x") else { return 0 }
        let digits = runLength(from: index + 2, Lexer.isHexDigit)
        return digits > 0 ? 2 + digits : 0
    }

    /// Length of a dotted quad `[0-9]+.[0-9]+.[0-9]+.[0-9]+` starting at `start`.
    private func ipv4Length(from start: Int) -> Int {
        var i = start
        for part in 0..<4 {
            if part > 0 {
                guard i < bytes.count, bytes[i] == UInt8(ascii: ".") else { return 0 }
                i += 1
            }
            let digits = runLength(from: i, Lexer.isDigit)
            guard digits > 0 else { return 0 }
            i += digits
        }
        return i - start
    }

    /// Length of the longest IPv6 address (in the forms packetdrill's scanner knows)
    /// starting here, or 0.
    private func ipv6Length() -> Int {
        let run = runLength(from: index) { Lexer.isHexDigit($0) || $0 == 0x3A || $0 == 0x2E }
        guard run >= 2 else { return 0 }
        // Every form has a "::" or seven single colons: words such as `accept` have none.
        var colons = 0
        for b in bytes[index..<(index + run)] where b == 0x3A { colons += 1 }
        guard colons >= 2 else { return 0 }
        var length = run
        while length >= 2 {
            if Lexer.isIPv6(Array(bytes[index..<(index + length)])) { return length }
            length -= 1
        }
        return 0
    }

    private static func isSegments(_ part: ArraySlice<UInt8>) -> Int? {
        if part.isEmpty { return 0 }
        var count = 0
        for segment in part.split(separator: 0x3A, omittingEmptySubsequences: false) {
            guard (1...4).contains(segment.count), segment.allSatisfy(isHexDigit) else { return nil }
            count += 1
        }
        return count
    }

    private static func isDottedQuad(_ part: ArraySlice<UInt8>) -> Bool {
        let pieces = part.split(separator: 0x2E, omittingEmptySubsequences: false)
        return pieces.count == 4 && pieces.allSatisfy { !$0.isEmpty && $0.allSatisfy(isDigit) }
    }

    static func isIPv6(_ text: [UInt8]) -> Bool {
        // Find "::" (at most one, and no ":::").
        var doubleColon: Int?
        var i = 0
        while i + 1 < text.count {
            if text[i] == 0x3A && text[i + 1] == 0x3A {
                if doubleColon != nil { return false }
                if i + 2 < text.count && text[i + 2] == 0x3A { return false }
                doubleColon = i
                i += 2
                continue
            }
            i += 1
        }
        guard let dc = doubleColon else {
            if text.contains(0x2E) { return false }
            return isSegments(text[...]) == 8
        }
        let before = text[..<dc]
        let after = text[(dc + 2)...]
        if after.contains(0x2E) {
            // IPv4 tail: ::ffff:a.b.c.d, ::ffff:0:a.b.c.d, or 1-4 segments then ::a.b.c.d.
            if before.isEmpty {
                let a = Array(after)
                let prefix: [UInt8] = Array("ffff:".utf8)
                guard a.starts(with: prefix) else { return false }
                let rest = a[prefix.count...]
                if isDottedQuad(rest) { return true }
                guard let colon = rest.firstIndex(of: 0x3A) else { return false }
                let zeros = rest[rest.startIndex..<colon]
                return (1...4).contains(zeros.count) && zeros.allSatisfy { $0 == 0x30 }
                    && isDottedQuad(rest[(colon + 1)...])
            }
            guard let b = isSegments(before), (1...4).contains(b) else { return false }
            return isDottedQuad(after)
        }
        guard let b = isSegments(before), let a = isSegments(after) else { return false }
        return b + a <= 7
    }

    private mutating func scanNumberWordOrAddress(location: SourceLocation, startsLine: Bool) -> Token? {
        let c = bytes[index]
        guard Lexer.isWordByte(c) || c == UInt8(ascii: "-") || c == UInt8(ascii: ".") || c == UInt8(ascii: ":") else {
            return nil
        }
        let wordLength = runLength(from: index, Lexer.isWordByte)
        var keywordLength = 0
        var keyword: String?
        if wordLength > 0 {
            let word = text(index, index + wordLength)
            if word == "sequence" && byte(wordLength) == UInt8(ascii: "#") {
                keyword = "sequence#"
                keywordLength = wordLength + 1
            } else if let k = reservedWords[word] {
                keyword = k
                keywordLength = wordLength
            }
        }
        // The longest match wins; among equals, the earliest rule (as flex does).
        var best = 0
        var rule = 0
        func consider(_ length: Int, _ index: Int) {
            if length > best {
                best = length
                rule = index
            }
        }
        consider(keywordLength, 0)
        consider(floatLength(), 1)
        consider(integerLength(), 2)
        consider(hexLength(), 3)
        consider(wordLength, 4)
        consider(Lexer.isDigit(c) ? ipv4Length(from: index) : 0, 5)
        consider(Lexer.isHexDigit(c) || c == 0x3A ? ipv6Length() : 0, 6)
        guard best > 0 else { return nil }
        let lexeme = text(index, index + best)
        let kind: Token.Kind
        switch rule {
        case 0:
            kind = .keyword(keyword ?? lexeme)
        case 1:
            kind = .float(lexeme)
        case 2:
            kind = .integer(decimalValue(lexeme, at: location))
        case 3:
            kind = .hexInteger(hexValue(lexeme.dropFirst(2), at: location))
        case 4:
            kind = .word(lexeme)
        case 5:
            kind = .ipv4Address(lexeme)
        default:
            kind = .ipv6Address(lexeme)
        }
        let token = Token(kind: kind, text: lexeme, location: location, startsLine: startsLine)
        advance(best)
        return token
    }

    private mutating func decimalValue(_ lexeme: String, at location: SourceLocation) -> Int64 {
        if let value = Int64(lexeme) { return value }
        error("integer \(lexeme) is out of range (64-bit signed)", at: location)
        return lexeme.hasPrefix("-") ? Int64.min : Int64.max
    }

    private mutating func hexValue(_ digits: Substring, at location: SourceLocation) -> Int64 {
        if let value = Int64(digits, radix: 16) { return value }
        error("integer 0x\(digits) is out of range (64-bit signed)", at: location)
        return Int64.max
    }
}

/// How a definition's value reads when it replaces a word, as packetdrill does it:
/// `"text"` is a string, `` `text` `` a shell command, a C integer (decimal, 0x hex,
/// 0 octal) is an integer, anything else a word.
/// `text` with every `${NAME}` whose NAME is defined replaced by its value; other
/// `$` forms (`${PPID}` with no such definition, `$1`) are left for the shell.
func expandingReferences(in text: String, _ definitions: [String: String]) -> String {
    guard !definitions.isEmpty, text.contains("${") else { return text }
    var result = ""
    var rest = Substring(text)
    while let open = rest.firstRange(of: "${") {
        result += rest[..<open.lowerBound]
        let afterOpen = rest[open.upperBound...]
        if let close = afterOpen.firstIndex(of: "}"), let value = definitions[String(afterOpen[..<close])] {
            result += value
            rest = afterOpen[afterOpen.index(after: close)...]
        } else {
            result += "${"
            rest = afterOpen
        }
    }
    return result + rest
}

func substitutedKind(forDefinition value: String) -> Token.Kind {
    if value.hasPrefix("\"") || value.hasPrefix("`") {
        let inner = value.count >= 2 ? String(value.dropFirst().dropLast()) : ""
        return value.hasPrefix("\"") ? .string(inner) : .backQuoted(inner)
    }
    if let number = cIntegerValue(value) {
        return .integer(number)
    }
    return .word(value)
}

/// The value of `text` read as a whole C integer literal (like strtol with base 0),
/// or nil when it is not one.
func cIntegerValue(_ text: String) -> Int64? {
    var body = Substring(text.drop(while: { $0 == " " || $0 == "\t" || $0 == "\n" }))
    var negative = false
    if body.hasPrefix("-") || body.hasPrefix("+") {
        negative = body.hasPrefix("-")
        body = body.dropFirst()
    }
    if body.isEmpty { return text.isEmpty ? 0 : nil }
    var radix = 10
    if body.hasPrefix("0x") || body.hasPrefix("0X") {
        radix = 16
        body = body.dropFirst(2)
    } else if body.hasPrefix("0") && body.count > 1 {
        radix = 8
        body = body.dropFirst()
    }
    guard !body.isEmpty, let magnitude = UInt64(body, radix: radix) else { return nil }
    if negative {
        guard magnitude <= UInt64(Int64.max) else { return nil }
        return -Int64(magnitude)
    }
    guard magnitude < UInt64(Int64.max) else { return nil }
    return Int64(magnitude)
}
