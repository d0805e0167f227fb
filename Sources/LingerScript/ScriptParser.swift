/// The outcome of parsing a script: everything that could be read, and every
/// problem found.
public struct ParseResult: Sendable {
    /// The script as far as it could be read. Events with errors are left out.
    public var script: Script
    /// Every problem, in source order. Empty when the script is accepted.
    public var diagnostics: [Diagnostic]
    /// The definitions in force while the events were read: the script's own
    /// `--define=NAME=value` options, overridden by those given to the parser.
    /// Values are raw (`"text"` for a string, `` `cmd` `` for a command). They are
    /// already applied: the script holds the values, not the names.
    public var definitions: [String: String]

    /// Whether the script parsed without any problem.
    public var isSuccess: Bool { diagnostics.isEmpty }
}

/// Parses packetdrill scripts: the whole language packetdrill's own parser
/// accepts, with its reserved words, its value checks and its definitions.
///
/// ```swift
/// let result = ScriptParser.parse(source: text, fileName: "close.pkt")
/// for diagnostic in result.diagnostics { print(diagnostic) }  // close.pkt:3:17: expected ...
/// print(result.script.normalizedText)
/// ```
public enum ScriptParser {
    /// Parses `source`.
    ///
    /// - Parameters:
    ///   - source: The script text.
    ///   - fileName: The name used in diagnostics.
    ///   - definitions: Symbol definitions as packetdrill's `-D NAME=value`: a word
    ///     spelled `NAME` in the script's events reads as `value` (a quoted value is
    ///     a string, a backticked one a command, an integer an integer, anything
    ///     else a word). They override the script's own `--define=NAME=value`.
    public static func parse(source: String, fileName: String, definitions: [String: String] = [:]) -> ParseResult {
        var lexer = Lexer(source: source, fileName: fileName)
        let tokens = lexer.tokenize()
        var parser = Parser(rawTokens: tokens, fileName: fileName, commandLineDefinitions: definitions)
        let script = parser.parseScript()
        let diagnostics = (lexer.diagnostics + parser.diagnostics).sorted { $0.location < $1.location }
        return ParseResult(script: script, diagnostics: diagnostics, definitions: parser.effectiveDefinitions)
    }
}

/// Thrown to abandon the current event after a syntax error has been recorded.
struct SyntaxFailure: Error {}

struct Parser {
    let rawTokens: [Token]
    var tokens: [Token]
    var position = 0
    let fileName: String
    let commandLineDefinitions: [String: String]
    var diagnostics: [Diagnostic] = []
    var effectiveDefinitions: [String: String] = [:]
    /// Deepest nesting of brackets and braces accepted, so garbage cannot exhaust the stack.
    static let maximumNesting = 100

    init(rawTokens: [Token], fileName: String, commandLineDefinitions: [String: String]) {
        self.rawTokens = rawTokens
        self.fileName = fileName
        self.commandLineDefinitions = commandLineDefinitions
        // Option lines are read as written: a definition applies to the events only
        // (packetdrill would also rewrite the name in `--define=NAME=...`).
        self.tokens = rawTokens
    }

    static func substitute(_ token: Token, _ definitions: [String: String]) -> Token {
        var substituted = token
        switch token.kind {
        case .word(let name), .reference(let name):
            guard let value = definitions[name] else { return token }
            substituted.kind = substitutedKind(forDefinition: value)
        case .backQuoted(let command):
            substituted.kind = .backQuoted(expandingReferences(in: command, definitions))
        case .code(let code):
            substituted.kind = .code(expandingReferences(in: code, definitions))
        case .string(let string):
            substituted.kind = .string(expandingReferences(in: string, definitions))
        default:
            return token
        }
        return substituted
    }

    // MARK: tokens

    /// The first token of the option or event being parsed; errors inside it that
    /// meet the next line are reported at the end of this one.
    var statementStart = 0

    func peek(_ offset: Int = 0) -> Token {
        let i = position + offset
        if i < tokens.count { return tokens[i] }
        return tokens[tokens.count - 1]
    }

    @discardableResult
    mutating func advance() -> Token {
        let token = peek()
        if position < tokens.count - 1 { position += 1 }
        return token
    }

    func isPunctuation(_ p: String, _ offset: Int = 0) -> Bool {
        peek(offset).kind == .punctuation(p)
    }

    func isKeyword(_ k: String, _ offset: Int = 0) -> Bool {
        peek(offset).kind == .keyword(k)
    }

    var atEnd: Bool { peek().kind == .endOfFile }

    mutating func syntaxError(expected: String) -> SyntaxFailure {
        let token = peek()
        var location = token.location
        var found = token.displayName
        // A line that stops short is reported where it stops, not at the next line's
        // first token, so the position names the line that needs fixing.
        if token.startsLine, token.kind != .endOfFile, position > statementStart,
            let end = Self.endLocation(of: tokens[position - 1])
        {
            location = end
            found = "end of line"
        }
        diagnostics.append(Diagnostic(
            fileName: fileName, location: location, kind: .syntax,
            message: "expected \(expected), found \(found)"))
        return SyntaxFailure()
    }

    /// The position just after a single-line token; nil for one spanning lines.
    static func endLocation(of token: Token) -> SourceLocation? {
        guard !token.text.contains("\n") else { return nil }
        return SourceLocation(line: token.location.line, column: token.location.column + token.text.unicodeScalars.count)
    }

    mutating func semanticError(_ message: String, at location: SourceLocation) {
        diagnostics.append(Diagnostic(fileName: fileName, location: location, kind: .semantic, message: message))
    }

    mutating func expectPunctuation(_ p: String) throws {
        guard isPunctuation(p) else { throw syntaxError(expected: "'\(p)'") }
        advance()
    }

    mutating func expectKeyword(_ k: String) throws {
        guard isKeyword(k) else { throw syntaxError(expected: "'\(k)'") }
        advance()
    }

    mutating func expectInteger(_ what: String) throws -> (Int64, Token) {
        let token = peek()
        guard case .integer(let value) = token.kind else { throw syntaxError(expected: what) }
        advance()
        return (value, token)
    }

    mutating func expectAnyInteger(_ what: String) throws -> Int64 {
        let token = peek()
        switch token.kind {
        case .integer(let value), .hexInteger(let value):
            advance()
            return value
        default:
            throw syntaxError(expected: what)
        }
    }

    mutating func expectWord(_ what: String) throws -> String {
        guard case .word(let word) = peek().kind else { throw syntaxError(expected: what) }
        advance()
        return word
    }

    mutating func expectString(_ what: String) throws -> String {
        guard case .string(let text) = peek().kind else { throw syntaxError(expected: what) }
        advance()
        return text
    }

    /// Checks that `value` fits `0...maximum`, reporting `what` otherwise; returns it clamped.
    mutating func ranged(_ value: Int64, _ maximum: Int64, _ what: String, at token: Token) -> Int64 {
        if value < 0 || value > maximum {
            semanticError("\(what) \(value) is out of range (0...\(maximum))", at: token.location)
            return min(max(value, 0), maximum)
        }
        return value
    }

    mutating func integerField(_ what: String, maximum: Int64) throws -> Int64 {
        let (value, token) = try expectInteger("\(what) (an integer)")
        return ranged(value, maximum, what, at: token)
    }

    // MARK: script

    mutating func parseScript() -> Script {
        var script = Script()
        while case .option = peek().kind {
            let start = position
            statementStart = start
            do {
                script.options.append(try parseOption())
            } catch {
                recover(from: start)
            }
        }
        // Definitions made by options apply to everything after them; those given
        // to the parser (packetdrill's command line) win.
        var definitions: [String: String] = [:]
        for option in script.options where option.name == "define" {
            guard let value = option.value else { continue }
            let text = value.text
            if let equals = text.firstIndex(of: "="), equals != text.startIndex {
                definitions[String(text[..<equals])] = String(text[text.index(after: equals)...])
            } else {
                semanticError("--define needs NAME=value, found '\(text)'", at: option.location)
            }
        }
        for (name, value) in commandLineDefinitions { definitions[name] = value }
        effectiveDefinitions = definitions
        for i in position..<tokens.count {
            tokens[i] = Parser.substitute(rawTokens[i], definitions)
        }

        if case .backQuoted(let command) = peek().kind {
            script.initCommand = ShellCommand(commandLine: command, location: peek().location)
            advance()
        }
        while !atEnd {
            if case .backQuoted(let command) = peek().kind, peek(1).kind == .endOfFile, !script.events.isEmpty {
                script.cleanupCommand = ShellCommand(commandLine: command, location: peek().location)
                advance()
                break
            }
            let start = position
            statementStart = start
            do {
                let event = try parseEvent()
                script.events.append(event)
            } catch {
                recover(from: start)
            }
        }
        if script.events.isEmpty && diagnostics.isEmpty {
            _ = syntaxError(expected: "an event (a time, then a packet, a system call, a `command` or a %{ code }% block)")
        }
        return script
    }

    /// Skips past the broken statement that began at token `start`: to the next
    /// token that begins a line and can begin an event (or an option).
    mutating func recover(from start: Int) {
        position = max(position, min(start + 1, tokens.count - 1))
        while !atEnd {
            let token = peek()
            if token.startsLine {
                switch token.kind {
                case .integer, .float, .backQuoted, .option, .punctuation("+"), .punctuation("*"):
                    return
                default:
                    break
                }
            }
            advance()
        }
    }

    mutating func parseOption() throws -> ScriptOption {
        let token = advance()
        guard case .option(let name) = token.kind else { throw syntaxError(expected: "an option") }
        guard isPunctuation("=") else {
            return ScriptOption(name: name, value: nil, location: token.location)
        }
        advance()
        let valueToken = peek()
        let value: OptionValue
        switch valueToken.kind {
        case .integer(let n):
            value = .integer(n)
        case .string(let s):
            value = .string(s)
        case .ipv4Address(let a):
            value = .ipv4Address(a)
        case .ipv6Address(let a):
            value = .ipv6Address(a)
        case .keyword("ipv4"), .keyword("ipv6"):
            value = .word(valueToken.text)
        case .word(let w):
            if isPunctuation("=", 1) {
                let rhs = peek(2)
                switch rhs.kind {
                case .word(let r):
                    value = .definition(name: w, value: r)
                case .string(let r):
                    value = .definition(name: w, value: "\"\(r)\"")
                case .backQuoted(let r):
                    value = .definition(name: w, value: "`\(r)`")
                default:
                    advance()
                    advance()
                    throw syntaxError(expected: "a word, a \"string\" or a `command` after '\(w)='")
                }
                advance()
                advance()
            } else {
                value = .word(w)
            }
        default:
            throw syntaxError(expected: "an option value (an integer, a word, a \"string\" or an IP address)")
        }
        advance()
        return ScriptOption(name: name, value: value, location: token.location)
    }

    // MARK: events

    mutating func parseEvent() throws -> Event {
        let start = peek()
        let time = try parseEventTime()
        let action = try parseAction()
        var isOutboundPacket = false
        if case .packet(let packet) = action, packet.direction == .outbound { isOutboundPacket = true }
        switch time {
        case .any where !isOutboundPacket:
            semanticError("event time '*' can only be used with outbound packets", at: start.location)
        case .absoluteRange(let a, let b), .relativeRange(let a, let b):
            if b < a { semanticError("time range is backwards", at: start.location) }
            if !isOutboundPacket {
                semanticError("an event time range can only be used with outbound packets", at: start.location)
            }
        default:
            break
        }
        return Event(time: time, action: action, location: start.location)
    }

    mutating func parseEventTime() throws -> EventTime {
        if isPunctuation("+") {
            advance()
            let start = try parseTime()
            if isPunctuation("~") {
                advance()
                guard isPunctuation("+") else { throw syntaxError(expected: "'+' (a range that starts relative ends relative)") }
                advance()
                return .relativeRange(start: start, end: try parseTime())
            }
            return .relative(microseconds: start)
        }
        if isPunctuation("*") {
            advance()
            return .any
        }
        switch peek().kind {
        case .integer, .float:
            let start = try parseTime()
            if isPunctuation("~") {
                advance()
                return .absoluteRange(start: start, end: try parseTime())
            }
            return .absolute(microseconds: start)
        default:
            throw syntaxError(expected: "an event time (seconds such as 0.100, +0.1 or *)")
        }
    }

    /// A time in seconds (integer or decimal), as microseconds. Digits below a
    /// microsecond are dropped.
    mutating func parseTime() throws -> Int64 {
        let token = peek()
        switch token.kind {
        case .integer(let seconds):
            advance()
            if seconds < 0 {
                semanticError("negative time", at: token.location)
                return 0
            }
            let (usecs, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000)
            if overflow {
                semanticError("time \(token.text) is too large", at: token.location)
                return 0
            }
            return usecs
        case .float(let text):
            advance()
            if text.hasPrefix("-") {
                semanticError("negative time", at: token.location)
                return 0
            }
            guard let usecs = Parser.microseconds(fromDecimal: text) else {
                semanticError("time \(text) is too large", at: token.location)
                return 0
            }
            return usecs
        default:
            throw syntaxError(expected: "a time in seconds")
        }
    }

    /// `12.3456789` -> 12345678 (truncating below a microsecond), nil on overflow.
    static func microseconds(fromDecimal text: String) -> Int64? {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let whole = parts.first.map(String.init) ?? ""
        let fraction = parts.count > 1 ? String(parts[1]) : ""
        let seconds = whole.isEmpty ? 0 : Int64(whole)
        guard let seconds else { return nil }
        var micro: Int64 = 0
        var digits = 0
        for c in fraction.prefix(6) {
            guard let d = c.wholeNumberValue else { return nil }
            micro = micro * 10 + Int64(d)
            digits += 1
        }
        while digits < 6 {
            micro *= 10
            digits += 1
        }
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000)
        guard !overflow else { return nil }
        let (total, overflow2) = scaled.addingReportingOverflow(micro)
        return overflow2 ? nil : total
    }

    mutating func parseAction() throws -> Action {
        let token = peek()
        switch token.kind {
        case .punctuation("<"), .punctuation(">"):
            return .packet(try parsePacket())
        case .backQuoted(let command):
            advance()
            return .command(ShellCommand(commandLine: command, location: token.location))
        case .code(let text):
            advance()
            return .code(CodeBlock(text: text, location: token.location))
        case .ellipsis, .word:
            return .syscall(try parseSyscall())
        default:
            throw syntaxError(expected: "a packet ('<' or '>'), a system call, a `command` or a %{ code }% block")
        }
    }
}
