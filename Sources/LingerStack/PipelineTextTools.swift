/// The text tools scripts pipe `ss` and `nstat` into, run in-process: `grep` (GNU
/// grep 3's meaning for the options and patterns it accepts) and `wc` with one of
/// `-l`, `-w`, `-c`.
///
/// Each tool either runs exactly as the host's would, or says it cannot (nil), and the
/// caller hands the pipeline to the host's shell as before. Outside: other tools,
/// file operands, long options, options not listed below, patterns with GNU regex
/// extensions (`\(`, `\{`, `\+`, `\w`, back-references, ...), intervals, locale-
/// dependent ranges, any error grep would report (its message is the host's), and
/// text that is not plain ASCII (binary files and multibyte characters depend on
/// the host's locale).
public enum PipelineTextTools {
    /// Runs `stages` (each a command's words) as a pipeline fed `input`: the last
    /// stage's exit status and output, or nil when a stage needs the host. The
    /// stages whose index is in `discarding` send their output to /dev/null.
    public static func run(_ stages: [[String]], discarding: Set<Int> = [], input: String) -> (status: Int32, output: String)? {
        var tools: [Tool] = []
        for words in stages {
            guard let tool = Tool(words) else { return nil }
            tools.append(tool)
        }
        var text = Array(input.utf8)
        var status: Int32 = 0
        for (index, tool) in tools.enumerated() {
            guard let (code, output) = tool.run(text) else { return nil }
            status = code
            text = discarding.contains(index) ? [] : output
        }
        return (status, String(decoding: text, as: UTF8.self))
    }

    enum Tool {
        case grep(Grep)
        case wordCount(WordCount)

        init?(_ words: [String]) {
            guard let program = words.first else { return nil }
            let arguments = Array(words.dropFirst())
            switch program {
            case "grep":
                guard let grep = Grep(arguments) else { return nil }
                self = .grep(grep)
            case "wc":
                guard let count = WordCount(arguments) else { return nil }
                self = .wordCount(count)
            default:
                return nil
            }
        }

        func run(_ input: [UInt8]) -> (Int32, [UInt8])? {
            // Binary data and multibyte characters: the host's grep and locale decide.
            guard !input.contains(where: { $0 == 0 || $0 >= 0x80 }) else { return nil }
            switch self {
            case .grep(let grep): return grep.run(input)
            case .wordCount(let count): return (0, count.run(input))
            }
        }
    }

    /// `wc -l`, `wc -w` or `wc -c` on standard input: the count alone, as GNU wc
    /// prints a single count for standard input.
    struct WordCount {
        var what: UInt8

        init?(_ arguments: [String]) {
            guard arguments.count == 1, let option = arguments.first, option.utf8.count == 2,
                option.hasPrefix("-"), let letter = option.utf8.last, [UInt8(ascii: "l"), UInt8(ascii: "w"), UInt8(ascii: "c")].contains(letter)
            else { return nil }
            what = letter
        }

        func run(_ input: [UInt8]) -> [UInt8] {
            var count = 0
            switch what {
            case UInt8(ascii: "l"):
                count = input.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
            case UInt8(ascii: "c"):
                count = input.count
            default:
                var inWord = false
                for byte in input {
                    let space = byte == 0x20 || (byte >= 0x09 && byte <= 0x0D)
                    if !space && !inWord { count += 1 }
                    inWord = !space
                }
            }
            return Array("\(count)\n".utf8)
        }
    }

    /// `grep [-qcvxwisFEG] [-e PATTERN | PATTERN]` reading standard input.
    struct Grep {
        var quiet = false
        var count = false
        var invert = false
        var wholeLine = false
        var wholeWord = false
        var patterns: [TextPattern] = []

        init?(_ arguments: [String]) {
            var matcher: UInt8?  // F, E or G
            var ignoreCase = false
            var explicit: [String] = []
            var operands: [String] = []
            var index = 0
            var optionsEnded = false
            while index < arguments.count {
                let argument = arguments[index]
                index += 1
                let bytes = Array(argument.utf8)
                // GNU grep takes options after operands too; `--` ends them.
                guard !optionsEnded, bytes.count > 1, bytes[0] == UInt8(ascii: "-") else {
                    operands.append(argument)
                    continue
                }
                if argument == "--" {
                    optionsEnded = true
                    continue
                }
                var position = 1
                while position < bytes.count {
                    let flag = bytes[position]
                    position += 1
                    switch flag {
                    case UInt8(ascii: "q"): quiet = true
                    case UInt8(ascii: "c"): count = true
                    case UInt8(ascii: "v"): invert = true
                    case UInt8(ascii: "x"): wholeLine = true
                    case UInt8(ascii: "w"): wholeWord = true
                    case UInt8(ascii: "i"): ignoreCase = true
                    case UInt8(ascii: "s"): break  // no file operands, so nothing to suppress
                    case UInt8(ascii: "F"), UInt8(ascii: "E"), UInt8(ascii: "G"):
                        // Two different matchers: grep's "conflicting matchers" error.
                        if let matcher, matcher != flag { return nil }
                        matcher = flag
                    case UInt8(ascii: "e"):
                        if position < bytes.count {
                            explicit.append(String(decoding: bytes[position...], as: UTF8.self))
                        } else {
                            guard index < arguments.count else { return nil }
                            explicit.append(arguments[index])
                            index += 1
                        }
                        position = bytes.count
                    default:
                        return nil
                    }
                }
            }
            var sources = explicit
            if sources.isEmpty {
                guard let first = operands.first else { return nil }
                sources = [first]
                operands.removeFirst()
            }
            // File operands are read on the host.
            guard operands.isEmpty else { return nil }
            for source in sources {
                let bytes = Array(source.utf8)
                // A newline separates several patterns; non-ASCII depends on the locale.
                guard !bytes.contains(where: { $0 == 0x0A || $0 >= 0x80 || $0 == 0 }) else { return nil }
                let syntax: TextPattern.Syntax = switch matcher {
                case UInt8(ascii: "F"): .fixed
                case UInt8(ascii: "E"): .extended
                default: .basic
                }
                guard let pattern = TextPattern(bytes, syntax: syntax, ignoreCase: ignoreCase) else { return nil }
                // How GNU grep -w treats a pattern that can match nothing is its own.
                if wholeWord && pattern.matchesEmpty { return nil }
                patterns.append(pattern)
            }
        }

        func run(_ input: [UInt8]) -> (Int32, [UInt8])? {
            var output: [UInt8] = []
            var selected = 0
            var start = 0
            while start < input.count {
                var end = start
                while end < input.count, input[end] != 0x0A { end += 1 }
                let line = input[start..<end]
                let matches = patterns.contains { $0.matches(line, wholeLine: wholeLine, wholeWord: wholeWord) }
                if matches != invert {
                    selected += 1
                    if quiet { return (0, []) }
                    if !count {
                        output.append(contentsOf: line)
                        output.append(0x0A)
                    }
                }
                start = end + 1
            }
            if count && !quiet { output = Array("\(selected)\n".utf8) }
            return (selected > 0 ? 0 : 1, output)
        }
    }
}

/// A grep pattern, compiled to a small automaton run over ASCII lines: a fixed
/// string (-F), a POSIX basic (default) or extended (-E) regular expression
/// without GNU's extensions.
struct TextPattern {
    enum Syntax { case fixed, basic, extended }

    indirect enum Node {
        case bytes(ByteSet)
        case lineStart
        case lineEnd
        case sequence([Node])
        case alternatives([Node])
        case star(Node)
        case plus(Node)
        case optional(Node)
    }

    /// A set of byte values.
    struct ByteSet {
        var bits: (UInt64, UInt64) = (0, 0)  // ASCII only

        func contains(_ byte: UInt8) -> Bool {
            byte < 64 ? bits.0 & (1 << UInt64(byte)) != 0 : byte < 128 ? bits.1 & (1 << UInt64(byte - 64)) != 0 : false
        }

        mutating func insert(_ byte: UInt8) {
            if byte < 64 { bits.0 |= 1 << UInt64(byte) } else if byte < 128 { bits.1 |= 1 << UInt64(byte - 64) }
        }

        /// Every ASCII byte but newline and those in the set.
        var complement: ByteSet {
            var result = ByteSet(bits: (~bits.0, ~bits.1))
            result.bits.0 &= ~(1 << 0x0A)
            return result
        }

        /// With both cases of each letter.
        var caseFolded: ByteSet {
            var result = self
            for byte in UInt8(ascii: "A")...UInt8(ascii: "Z") where contains(byte) || contains(byte + 32) {
                result.insert(byte)
                result.insert(byte + 32)
            }
            return result
        }

        /// The one byte in the set, if it holds exactly one.
        var single: UInt8? {
            let total = bits.0.nonzeroBitCount + bits.1.nonzeroBitCount
            guard total == 1 else { return nil }
            return bits.0 != 0 ? UInt8(bits.0.trailingZeroBitCount) : UInt8(64 + bits.1.trailingZeroBitCount)
        }

        static func single(_ byte: UInt8) -> ByteSet {
            var set = ByteSet()
            set.insert(byte)
            return set
        }

        static func range(_ low: UInt8, _ high: UInt8) -> ByteSet {
            var set = ByteSet()
            if low <= high { for byte in low...high { set.insert(byte) } }
            return set
        }
    }

    enum Instruction {
        case byte(ByteSet)
        case split(Int, Int)
        case jump(Int)
        case lineStart
        case lineEnd
        case match
    }

    let program: [Instruction]
    /// The bytes to find when the pattern is a plain string (no anchors, sets or
    /// repetitions): searched directly rather than through the automaton.
    let literal: [UInt8]?
    /// Whether the pattern matches the empty string somewhere.
    let matchesEmpty: Bool

    init?(_ pattern: [UInt8], syntax: Syntax, ignoreCase: Bool) {
        let node: Node
        if syntax == .fixed {
            node = .sequence(pattern.map { .bytes(.single($0)) })
        } else {
            var parser = RegexParser(bytes: pattern, extended: syntax == .extended)
            guard let parsed = parser.parse() else { return nil }
            node = parsed
        }
        var literal: [UInt8]? = []
        if case .sequence(let nodes) = node, !ignoreCase {
            for inner in nodes {
                guard case .bytes(let set) = inner, let byte = set.single else {
                    literal = nil
                    break
                }
                literal?.append(byte)
            }
        } else {
            literal = nil
        }
        self.literal = literal
        var instructions: [Instruction] = []
        Self.compile(ignoreCase ? Self.folded(node) : node, into: &instructions)
        instructions.append(.match)
        program = instructions
        matchesEmpty = Self.nullable(node)
    }

    static func folded(_ node: Node) -> Node {
        switch node {
        case .bytes(let set): .bytes(set.caseFolded)
        case .lineStart, .lineEnd: node
        case .sequence(let nodes): .sequence(nodes.map(folded))
        case .alternatives(let nodes): .alternatives(nodes.map(folded))
        case .star(let inner): .star(folded(inner))
        case .plus(let inner): .plus(folded(inner))
        case .optional(let inner): .optional(folded(inner))
        }
    }

    static func nullable(_ node: Node) -> Bool {
        switch node {
        case .bytes: false
        case .lineStart, .lineEnd, .star, .optional: true
        case .sequence(let nodes): nodes.allSatisfy(nullable)
        case .alternatives(let nodes): nodes.contains(where: nullable)
        case .plus(let inner): nullable(inner)
        }
    }

    static func compile(_ node: Node, into program: inout [Instruction]) {
        switch node {
        case .bytes(let set): program.append(.byte(set))
        case .lineStart: program.append(.lineStart)
        case .lineEnd: program.append(.lineEnd)
        case .sequence(let nodes): for inner in nodes { compile(inner, into: &program) }
        case .alternatives(let nodes):
            var jumps: [Int] = []
            for (index, inner) in nodes.enumerated() {
                if index < nodes.count - 1 {
                    let split = program.count
                    program.append(.split(split + 1, 0))
                    compile(inner, into: &program)
                    jumps.append(program.count)
                    program.append(.jump(0))
                    program[split] = .split(split + 1, program.count)
                } else {
                    compile(inner, into: &program)
                }
            }
            for jump in jumps { program[jump] = .jump(program.count) }
        case .star(let inner):
            let split = program.count
            program.append(.split(split + 1, 0))
            compile(inner, into: &program)
            program.append(.jump(split))
            program[split] = .split(split + 1, program.count)
        case .plus(let inner):
            let start = program.count
            compile(inner, into: &program)
            program.append(.split(start, program.count + 1))
        case .optional(let inner):
            let split = program.count
            program.append(.split(split + 1, 0))
            compile(inner, into: &program)
            program[split] = .split(split + 1, program.count)
        }
    }

    /// ``matches(_:wholeLine:wholeWord:)`` for a plain string.
    static func contains(_ literal: [UInt8], in line: ArraySlice<UInt8>, wholeLine: Bool, wholeWord: Bool) -> Bool {
        if wholeLine { return line.elementsEqual(literal) }
        let length = literal.count
        guard length <= line.count else { return false }
        guard let first = literal.first else { return true }
        var start = line.startIndex
        let last = line.endIndex - length
        while start <= last {
            if line[start] == first {
                var index = 1
                while index < length && line[start + index] == literal[index] { index += 1 }
                if index == length {
                    if !wholeWord { return true }
                    let end = start + length
                    if (start == line.startIndex || !isWordByte(line[start - 1]))
                        && (end == line.endIndex || !isWordByte(line[end])) {
                        return true
                    }
                }
            }
            start += 1
        }
        return false
    }

    static func isWordByte(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x5F
    }

    /// Whether the line (without its newline) has a match: anywhere; the whole line
    /// (-x); or one with no word character just before or after it (-w).
    func matches(_ line: ArraySlice<UInt8>, wholeLine: Bool, wholeWord: Bool) -> Bool {
        if let literal { return Self.contains(literal, in: line, wholeLine: wholeLine, wholeWord: wholeWord) }
        let base = line.startIndex, count = line.count
        var current: [Int] = []
        var next: [Int] = []
        var mark = [Int](repeating: -1, count: program.count)
        current.reserveCapacity(program.count)
        next.reserveCapacity(program.count)

        // Follows jumps, splits and assertions from `pc` at `position`, adding the byte
        // and match instructions reached; true when a match is accepted there.
        func add(_ pc: Int, at position: Int, to list: inout [Int], stamp: Int) -> Bool {
            if mark[pc] == stamp { return false }
            mark[pc] = stamp
            switch program[pc] {
            case .byte:
                list.append(pc)
                return false
            case .jump(let target):
                return add(target, at: position, to: &list, stamp: stamp)
            case .split(let first, let second):
                if add(first, at: position, to: &list, stamp: stamp) { return true }
                return add(second, at: position, to: &list, stamp: stamp)
            case .lineStart:
                return position == 0 ? add(pc + 1, at: position, to: &list, stamp: stamp) : false
            case .lineEnd:
                return position == count ? add(pc + 1, at: position, to: &list, stamp: stamp) : false
            case .match:
                if wholeLine { return position == count }
                if wholeWord { return position == count || !Self.isWordByte(line[base + position]) }
                return true
            }
        }

        for position in 0...count {
            // A match may start here: anywhere, at the line's start (-x), or after a
            // non-word character (-w).
            let mayStart = wholeLine ? position == 0 : wholeWord ? position == 0 || !Self.isWordByte(line[base + position - 1]) : true
            if mayStart, add(0, at: position, to: &current, stamp: position) { return true }
            if position == count { break }
            let byte = line[base + position]
            next.removeAll(keepingCapacity: true)
            for pc in current {
                if case .byte(let set) = program[pc], set.contains(byte) {
                    if add(pc + 1, at: position + 1, to: &next, stamp: position + 1) { return true }
                }
            }
            swap(&current, &next)
            if current.isEmpty && wholeLine { return false }
        }
        return false
    }
}

/// POSIX basic and extended regular expressions as GNU grep reads them, minus the
/// GNU extensions: anything else gives nil.
struct RegexParser {
    let bytes: [UInt8]
    let extended: Bool
    var index = 0

    init(bytes: [UInt8], extended: Bool) {
        self.bytes = bytes
        self.extended = extended
    }

    mutating func parse() -> TextPattern.Node? {
        if extended {
            guard let node = alternatives(depth: 0), index == bytes.count else { return nil }
            return node
        }
        return basic()
    }

    /// A basic regular expression: `^` is an anchor only first, `$` only last, `*`
    /// literal first (or right after the leading `^`).
    mutating func basic() -> TextPattern.Node? {
        var nodes: [TextPattern.Node] = []
        var hasAtom = false
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "^") where index == 0:
                nodes.append(.lineStart)
                index += 1
            case UInt8(ascii: "$") where index == bytes.count - 1:
                nodes.append(.lineEnd)
                index += 1
            case UInt8(ascii: "*") where hasAtom:
                guard let last = nodes.popLast() else { return nil }
                nodes.append(.star(last))
                index += 1
            case UInt8(ascii: "\\"):
                guard index + 1 < bytes.count else { return nil }
                let escaped = bytes[index + 1]
                // Only the special characters may be escaped; `\(`, `\{`, `\+`, `\w`,
                // back-references and the rest are GNU's, and newer greps warn about
                // a backslash before an ordinary character (`\]` among them).
                guard Array(".*[^$\\".utf8).contains(escaped) else { return nil }
                nodes.append(.bytes(.single(escaped)))
                hasAtom = true
                index += 2
            case UInt8(ascii: "["):
                guard let set = bracket() else { return nil }
                nodes.append(.bytes(set))
                hasAtom = true
            case UInt8(ascii: "."):
                nodes.append(.bytes(TextPattern.ByteSet().complement))
                hasAtom = true
                index += 1
            default:
                nodes.append(.bytes(.single(byte)))
                hasAtom = true
                index += 1
            }
        }
        return .sequence(nodes)
    }

    /// ERE: branches separated by `|`.
    mutating func alternatives(depth: Int) -> TextPattern.Node? {
        var branches: [TextPattern.Node] = []
        var hasEmpty = false
        while true {
            guard let branch = branch(depth: depth) else { return nil }
            if case .sequence(let nodes) = branch, nodes.isEmpty { hasEmpty = true }
            branches.append(branch)
            guard index < bytes.count, bytes[index] == UInt8(ascii: "|") else { break }
            index += 1
        }
        // An empty branch (`a|`, `()`) is GNU's extension.
        if hasEmpty && (branches.count > 1 || depth > 0) { return nil }
        return branches.count == 1 ? branches[0] : .alternatives(branches)
    }

    mutating func branch(depth: Int) -> TextPattern.Node? {
        var nodes: [TextPattern.Node] = []
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "|"):
                return .sequence(nodes)
            case UInt8(ascii: ")"):
                guard depth > 0 else { return nil }
                return .sequence(nodes)
            case UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "?"):
                // A repetition needs something repeatable before it.
                guard let last = nodes.popLast() else { return nil }
                switch last {
                case .lineStart, .lineEnd: return nil
                default: break
                }
                nodes.append(byte == UInt8(ascii: "*") ? .star(last) : byte == UInt8(ascii: "+") ? .plus(last) : .optional(last))
                index += 1
            case UInt8(ascii: "{"):
                return nil  // intervals
            case UInt8(ascii: "("):
                index += 1
                guard let inner = alternatives(depth: depth + 1), index < bytes.count, bytes[index] == UInt8(ascii: ")") else {
                    return nil
                }
                index += 1
                nodes.append(inner)
            case UInt8(ascii: "^"):
                nodes.append(.lineStart)
                index += 1
            case UInt8(ascii: "$"):
                nodes.append(.lineEnd)
                index += 1
            case UInt8(ascii: "\\"):
                guard index + 1 < bytes.count else { return nil }
                let escaped = bytes[index + 1]
                guard Array(".[()*+?{}|^$\\".utf8).contains(escaped) else { return nil }
                nodes.append(.bytes(.single(escaped)))
                index += 2
            case UInt8(ascii: "["):
                guard let set = bracket() else { return nil }
                nodes.append(.bytes(set))
            case UInt8(ascii: "."):
                nodes.append(.bytes(TextPattern.ByteSet().complement))
                index += 1
            default:
                nodes.append(.bytes(.single(byte)))
                index += 1
            }
        }
        return .sequence(nodes)
    }

    /// A bracket expression at `index` (`[`): members, ranges of digits or of one
    /// letter case, and the ASCII character classes; backslash is an ordinary member.
    mutating func bracket() -> TextPattern.ByteSet? {
        index += 1
        var negated = false
        if index < bytes.count, bytes[index] == UInt8(ascii: "^") {
            negated = true
            index += 1
        }
        var set = TextPattern.ByteSet()
        var first = true
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "]") && !first {
                index += 1
                return negated ? set.complement : set
            }
            first = false
            if byte == UInt8(ascii: "[") && index + 1 < bytes.count {
                let kind = bytes[index + 1]
                if kind == UInt8(ascii: "=") || kind == UInt8(ascii: ".") { return nil }  // collating elements
                if kind == UInt8(ascii: ":") {
                    guard let close = findClassEnd(from: index + 2),
                        let members = Self.characterClass(String(decoding: bytes[(index + 2)..<close], as: UTF8.self))
                    else { return nil }
                    for member in members where member < 128 { set.insert(member) }
                    index = close + 2
                    continue
                }
            }
            // A range: both ends digits, or letters of one case.
            if index + 2 < bytes.count, bytes[index + 1] == UInt8(ascii: "-"), bytes[index + 2] != UInt8(ascii: "]") {
                let high = bytes[index + 2]
                guard high != UInt8(ascii: "["), Self.sameKind(byte, high), byte <= high else { return nil }
                for member in byte...high { set.insert(member) }
                index += 3
                continue
            }
            set.insert(byte)
            index += 1
        }
        return nil  // no closing bracket: grep's error
    }

    func findClassEnd(from start: Int) -> Int? {
        var position = start
        while position + 1 < bytes.count {
            if bytes[position] == UInt8(ascii: ":") && bytes[position + 1] == UInt8(ascii: "]") { return position }
            position += 1
        }
        return nil
    }

    static func sameKind(_ a: UInt8, _ b: UInt8) -> Bool {
        func kind(_ byte: UInt8) -> Int {
            switch byte {
            case 0x30...0x39: 1
            case 0x41...0x5A: 2
            case 0x61...0x7A: 3
            default: 0
            }
        }
        return kind(a) != 0 && kind(a) == kind(b)
    }

    /// The ASCII members of a POSIX character class in the C locale.
    static func characterClass(_ name: String) -> [UInt8]? {
        let all = Array(UInt8(0)...UInt8(127))
        switch name {
        case "alpha": return all.filter { ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) }
        case "digit": return Array(0x30...0x39)
        case "alnum": return all.filter { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) }
        case "upper": return Array(0x41...0x5A)
        case "lower": return Array(0x61...0x7A)
        case "space": return [0x20, 0x09, 0x0A, 0x0B, 0x0C, 0x0D]
        case "blank": return [0x20, 0x09]
        case "punct": return all.filter { $0 > 0x20 && $0 < 0x7F && !(($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A)) }
        case "print": return Array(0x20...0x7E)
        case "graph": return Array(0x21...0x7E)
        case "cntrl": return Array(0x00...0x1F) + [0x7F]
        case "xdigit": return Array(0x30...0x39) + Array(0x41...0x46) + Array(0x61...0x66)
        default: return nil
        }
    }
}
