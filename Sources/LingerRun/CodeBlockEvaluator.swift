/// packetdrill `%{ }%` code blocks evaluated without starting Python, for the blocks
/// written in the small part of Python that tcp_info checks use: `assert` statements
/// over integers, tcp_info field names and constants.
///
/// The evaluator gives the verdict and the assertion message Python gives, or says
/// that a block lies outside what it understands (``CodeBlockEvaluator/Outcome/outsideSubset``);
/// the runner then runs the whole program with Python, as it would without this.
///
/// What it understands, each with Python 3's meaning:
/// - statements: `assert TEST` and `assert TEST, MESSAGE`, `pass`, several per line
///   separated by `;`, one per line, blank lines and `#` comments;
/// - integers (decimal, `0x`, `0o`, `0b`, `_` separators), `True`, `False`, names bound
///   to integers;
/// - `or`, `and`, `not` (returning an operand, as Python does), comparisons
///   `== != < <= > >=` chained (`a <= x <= b`), `| ^ &`, `<< >>`, `+ -`, `* // %`,
///   unary `- + ~`, `**`, parentheses.
///
/// Anything else (strings, calls, `/`, assignments, indentation, line continuations,
/// names not bound to an integer) is outside; so are results Python would compute but
/// this evaluator does not represent (integers beyond 64 bits, floats from a negative
/// power) and Python's own errors (division by zero, negative shift counts), whose
/// messages differ between Python versions.
public struct CodeBlockEvaluator: Sendable {
    /// A value of the subset: Python's `int` or `bool` (a `bool` is an `int` that prints
    /// as `True` or `False`).
    public enum Value: Sendable, Hashable, CustomStringConvertible {
        case int(Int64)
        case bool(Bool)

        /// The value as an integer (`True` is 1).
        public var integer: Int64 {
            switch self {
            case .int(let value): value
            case .bool(let value): value ? 1 : 0
            }
        }

        /// Python's truth value.
        public var isTrue: Bool { integer != 0 }

        /// Python's `str()`.
        public var description: String {
            switch self {
            case .int(let value): String(value)
            case .bool(let value): value ? "True" : "False"
            }
        }
    }

    /// What running a block gave.
    public enum Outcome: Sendable, Hashable {
        /// Every assertion held.
        case passed
        /// An assertion failed: its line within the block (0 for the first), that
        /// line's text, and Python's `AssertionError` line (`AssertionError: 8`).
        case failed(lineOffset: Int, sourceLine: String, error: String)
        /// The block needs Python itself.
        case outsideSubset
    }

    /// One `assert` statement.
    struct Assertion: Sendable {
        var test: Expression
        var message: Expression?
        var lineOffset: Int
    }

    indirect enum Expression: Sendable {
        case literal(Value)
        case name(String)
        case unary(UnaryOperator, Expression)
        case binary(BinaryOperator, Expression, Expression)
        case comparison(Expression, [(ComparisonOperator, Expression)])
        case and(Expression, Expression)
        case or(Expression, Expression)
        case not(Expression)
    }

    enum UnaryOperator: Sendable { case negate, plus, invert }
    enum BinaryOperator: Sendable { case add, subtract, multiply, floorDivide, modulo, power, shiftLeft, shiftRight, and, or, xor }
    enum ComparisonOperator: Sendable { case equal, notEqual, less, lessOrEqual, greater, greaterOrEqual }

    let assertions: [Assertion]
    /// The block's lines, for the traceback's source line.
    let lines: [Substring]

    /// Parses a block's text (as ``LingerScript/CodeBlock/text`` holds it); nil when
    /// it is outside the subset.
    public init?(_ text: String) {
        var assertions: [Assertion] = []
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        for (offset, line) in lines.enumerated() {
            guard var tokens = Self.tokens(line) else { return nil }
            if tokens.isEmpty { continue }
            // An indented statement is Python's IndentationError.
            if let first = line.first, first == " " || first == "\t" || first == "\u{0C}" { return nil }
            // `;` separates statements; one may end the line.
            if tokens.last == .semicolon { tokens.removeLast() }
            for statement in tokens.split(separator: .semicolon, omittingEmptySubsequences: false) {
                var parser = Parser(tokens: Array(statement))
                switch parser.peek() {
                case .keyword("pass") where statement.count == 1:
                    continue
                case .keyword("assert"):
                    parser.index += 1
                    guard let test = parser.test() else { return nil }
                    var message: Expression?
                    if parser.peek() == .comma {
                        parser.index += 1
                        guard let parsed = parser.test() else { return nil }
                        message = parsed
                    }
                    guard parser.atEnd else { return nil }
                    assertions.append(Assertion(test: test, message: message, lineOffset: offset))
                default:
                    return nil
                }
            }
        }
        self.assertions = assertions
        self.lines = lines
    }

    /// Runs the block with `names` bound (nil for a name the program does not bind to
    /// an integer): the first failing assertion stops it, as in Python.
    public func run(names: (String) -> Int64?) -> Outcome {
        for assertion in assertions {
            guard let test = Self.evaluate(assertion.test, names) else { return .outsideSubset }
            if test.isTrue { continue }
            var error = "AssertionError"
            if let message = assertion.message {
                guard let value = Self.evaluate(message, names) else { return .outsideSubset }
                error += ": \(value)"
            }
            let source = lines[assertion.lineOffset].trimmingSpaces()
            return .failed(lineOffset: assertion.lineOffset, sourceLine: source, error: error)
        }
        return .passed
    }

    /// Evaluates an expression as Python does, operands left to right, `and`, `or` and
    /// chained comparisons stopping early; nil when the result is outside the subset.
    static func evaluate(_ expression: Expression, _ names: (String) -> Int64?) -> Value? {
        switch expression {
        case .literal(let value):
            return value
        case .name(let name):
            return names(name).map(Value.int)
        case .not(let operand):
            return evaluate(operand, names).map { .bool(!$0.isTrue) }
        case .and(let left, let right):
            guard let value = evaluate(left, names) else { return nil }
            return value.isTrue ? evaluate(right, names) : value
        case .or(let left, let right):
            guard let value = evaluate(left, names) else { return nil }
            return value.isTrue ? value : evaluate(right, names)
        case .unary(let op, let operand):
            guard let value = evaluate(operand, names)?.integer else { return nil }
            switch op {
            case .plus: return .int(value)
            case .invert: return .int(~value)
            case .negate:
                let (negated, overflow) = Int64(0).subtractingReportingOverflow(value)
                return overflow ? nil : .int(negated)
            }
        case .comparison(let first, let rest):
            guard var left = evaluate(first, names)?.integer else { return nil }
            for (op, operand) in rest {
                guard let right = evaluate(operand, names)?.integer else { return nil }
                let holds = switch op {
                case .equal: left == right
                case .notEqual: left != right
                case .less: left < right
                case .lessOrEqual: left <= right
                case .greater: left > right
                case .greaterOrEqual: left >= right
                }
                if !holds { return .bool(false) }
                left = right
            }
            return .bool(true)
        case .binary(let op, let leftExpression, let rightExpression):
            guard let left = evaluate(leftExpression, names), let right = evaluate(rightExpression, names) else { return nil }
            return apply(op, left, right)
        }
    }

    static func apply(_ op: BinaryOperator, _ leftValue: Value, _ rightValue: Value) -> Value? {
        // `&`, `|` and `^` of two bools stay bools.
        if case .bool(let a) = leftValue, case .bool(let b) = rightValue {
            switch op {
            case .and: return .bool(a && b)
            case .or: return .bool(a || b)
            case .xor: return .bool(a != b)
            default: break
            }
        }
        let a = leftValue.integer, b = rightValue.integer
        func checked(_ result: (partialValue: Int64, overflow: Bool)) -> Value? {
            result.overflow ? nil : .int(result.partialValue)
        }
        switch op {
        case .add: return checked(a.addingReportingOverflow(b))
        case .subtract: return checked(a.subtractingReportingOverflow(b))
        case .multiply: return checked(a.multipliedReportingOverflow(by: b))
        case .floorDivide:
            guard b != 0 else { return nil }
            let (quotient, overflow) = a.dividedReportingOverflow(by: b)
            if overflow { return nil }
            // Python rounds towards negative infinity.
            return .int(quotient - (a % b != 0 && (a < 0) != (b < 0) ? 1 : 0))
        case .modulo:
            guard b != 0 else { return nil }
            let (remainder, overflow) = a.remainderReportingOverflow(dividingBy: b)
            if overflow { return nil }
            // Python's remainder takes the divisor's sign.
            return .int(remainder != 0 && (remainder < 0) != (b < 0) ? remainder + b : remainder)
        case .power:
            guard b >= 0 else { return nil }  // a float in Python
            var result: Int64 = 1, base = a, exponent = b
            while exponent > 0 {
                if exponent & 1 == 1 {
                    let (product, overflow) = result.multipliedReportingOverflow(by: base)
                    if overflow { return nil }
                    result = product
                }
                exponent >>= 1
                if exponent > 0 {
                    let (square, overflow) = base.multipliedReportingOverflow(by: base)
                    if overflow { return nil }
                    base = square
                }
            }
            return .int(result)
        case .shiftLeft:
            guard b >= 0 else { return nil }  // ValueError in Python
            if a == 0 { return .int(0) }
            guard b < 63 else { return nil }
            let shifted = a << b
            return shifted >> b == a ? .int(shifted) : nil
        case .shiftRight:
            guard b >= 0 else { return nil }
            return .int(b >= 64 ? (a < 0 ? -1 : 0) : a >> b)
        case .and: return .int(a & b)
        case .or: return .int(a | b)
        case .xor: return .int(a ^ b)
        }
    }

    // MARK: - Tokens

    enum Token: Hashable, Sendable {
        case integer(Int64)
        case name(String)
        case keyword(String)
        case symbol(String)
        case comma
        case semicolon
    }

    /// Python's keywords; those the subset does not use make a block fall outside it.
    static let keywords: Set<String> = [
        "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del",
        "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda", "nonlocal",
        "not", "or", "pass", "raise", "return", "try", "while", "with", "yield",
    ]
    static let subsetKeywords: Set<String> = ["True", "False", "and", "or", "not", "assert", "pass"]

    /// One physical line's tokens; nil for anything outside the subset.
    static func tokens(_ line: Substring) -> [Token]? {
        let bytes = Array(line.utf8)
        var tokens: [Token] = []
        var depth = 0
        var i = 0
        func isNameByte(_ byte: UInt8) -> Bool {
            (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x30 && byte <= 0x39) || byte == 0x5F
        }
        while i < bytes.count {
            let byte = bytes[i]
            switch byte {
            case 0x20, 0x09, 0x0C:  // space, tab, form feed
                i += 1
            case 0x23:  // '#': a comment to the end of the line
                i = bytes.count
            case 0x30...0x39:
                var end = i
                while end < bytes.count, isNameByte(bytes[end]) { end += 1 }
                // `1.5`, `1e3` and `1j` are floats and complex numbers.
                if end < bytes.count, bytes[end] == 0x2E { return nil }
                guard let value = integerLiteral(bytes[i..<end]) else { return nil }
                tokens.append(.integer(value))
                i = end
            case 0x61...0x7A, 0x41...0x5A, 0x5F:
                var end = i
                while end < bytes.count, isNameByte(bytes[end]) { end += 1 }
                let word = String(decoding: bytes[i..<end], as: UTF8.self)
                if keywords.contains(word) {
                    guard subsetKeywords.contains(word) else { return nil }
                    tokens.append(.keyword(word))
                } else {
                    tokens.append(.name(word))
                }
                i = end
            default:
                let next = i + 1 < bytes.count ? bytes[i + 1] : 0
                let two = String(decoding: [byte, next], as: UTF8.self)
                let third = i + 2 < bytes.count ? bytes[i + 2] : 0
                if ["==", "!=", "<=", ">=", "//", "**", "<<", ">>"].contains(two) {
                    // `**=`, `//=`, `<<=` and `>>=` are assignments.
                    if third == 0x3D, ["//", "**", "<<", ">>"].contains(two) { return nil }
                    tokens.append(.symbol(two))
                    i += 2
                    continue
                }
                switch byte {
                case 0x3C, 0x3E, 0x2B, 0x2D, 0x2A, 0x25, 0x26, 0x7C, 0x5E, 0x7E:  // < > + - * % & | ^ ~
                    if next == 0x3D, byte != 0x3C, byte != 0x3E, byte != 0x7E { return nil }  // `+=` etc.
                    tokens.append(.symbol(String(UnicodeScalar(byte))))
                case 0x28:
                    depth += 1
                    tokens.append(.symbol("("))
                case 0x29:
                    depth -= 1
                    if depth < 0 { return nil }
                    tokens.append(.symbol(")"))
                case 0x2C: tokens.append(.comma)
                case 0x3B: tokens.append(.semicolon)
                default: return nil  // strings, `/`, `=`, `.`, `[`, `\`, non-ASCII, ...
                }
                i += 1
            }
        }
        // A bracket left open continues the statement on the next line.
        return depth == 0 ? tokens : nil
    }

    /// A Python integer literal that fits in 64 bits; nil otherwise (or when invalid).
    static func integerLiteral(_ bytes: ArraySlice<UInt8>) -> Int64? {
        var digits = Array(bytes)
        var radix: Int64 = 10
        if digits.count > 2, digits[0] == 0x30 {
            switch digits[1] | 0x20 {
            case 0x78: radix = 16
            case 0x6F: radix = 8
            case 0x62: radix = 2
            default: break
            }
            if radix != 10 {
                digits.removeFirst(2)
                // `0x_1f` is allowed: one underscore may follow the prefix.
                if digits.first == 0x5F { digits.removeFirst() }
            }
        }
        guard let first = digits.first, first != 0x5F, digits.last != 0x5F else { return nil }
        var value: Int64 = 0
        var previousUnderscore = false
        var allZero = true
        for byte in digits {
            if byte == 0x5F {
                if previousUnderscore { return nil }
                previousUnderscore = true
                continue
            }
            previousUnderscore = false
            let digit: Int64
            switch byte {
            case 0x30...0x39: digit = Int64(byte - 0x30)
            case 0x61...0x66: digit = Int64(byte - 0x61 + 10)
            case 0x41...0x46: digit = Int64(byte - 0x41 + 10)
            default: return nil
            }
            guard digit < radix else { return nil }
            if digit != 0 { allZero = false }
            let (shifted, overflow1) = value.multipliedReportingOverflow(by: radix)
            let (sum, overflow2) = shifted.addingReportingOverflow(digit)
            if overflow1 || overflow2 { return nil }
            value = sum
        }
        // Decimal literals other than zero cannot start with 0 (`010` is a SyntaxError).
        if radix == 10, first == 0x30, !allZero { return nil }
        return value
    }

    // MARK: - Parser (Python's expression grammar, the subset's part)

    struct Parser {
        let tokens: [Token]
        var index = 0

        var atEnd: Bool { index == tokens.count }
        func peek() -> Token? { index < tokens.count ? tokens[index] : nil }

        mutating func take(_ token: Token) -> Bool {
            guard peek() == token else { return false }
            index += 1
            return true
        }

        /// test: or_test
        mutating func test() -> Expression? {
            guard var left = andTest() else { return nil }
            while take(.keyword("or")) {
                guard let right = andTest() else { return nil }
                left = .or(left, right)
            }
            return left
        }

        mutating func andTest() -> Expression? {
            guard var left = notTest() else { return nil }
            while take(.keyword("and")) {
                guard let right = notTest() else { return nil }
                left = .and(left, right)
            }
            return left
        }

        mutating func notTest() -> Expression? {
            if take(.keyword("not")) { return notTest().map(Expression.not) }
            return comparison()
        }

        mutating func comparison() -> Expression? {
            guard let first = bitOr() else { return nil }
            var rest: [(ComparisonOperator, Expression)] = []
            while case .symbol(let symbol) = peek() {
                let op: ComparisonOperator
                switch symbol {
                case "==": op = .equal
                case "!=": op = .notEqual
                case "<": op = .less
                case "<=": op = .lessOrEqual
                case ">": op = .greater
                case ">=": op = .greaterOrEqual
                default: return rest.isEmpty ? first : .comparison(first, rest)
                }
                index += 1
                guard let operand = bitOr() else { return nil }
                rest.append((op, operand))
            }
            return rest.isEmpty ? first : .comparison(first, rest)
        }

        /// Left-associative binary levels, loosest first.
        static let levels: [[String: BinaryOperator]] = [
            ["|": .or], ["^": .xor], ["&": .and], ["<<": .shiftLeft, ">>": .shiftRight],
            ["+": .add, "-": .subtract], ["*": .multiply, "//": .floorDivide, "%": .modulo],
        ]

        mutating func bitOr() -> Expression? { binary(level: 0) }

        mutating func binary(level: Int) -> Expression? {
            guard level < Self.levels.count else { return unary() }
            guard var left = binary(level: level + 1) else { return nil }
            while case .symbol(let symbol) = peek(), let op = Self.levels[level][symbol] {
                index += 1
                guard let right = binary(level: level + 1) else { return nil }
                left = .binary(op, left, right)
            }
            return left
        }

        mutating func unary() -> Expression? {
            if case .symbol(let symbol) = peek() {
                let op: UnaryOperator? = switch symbol {
                case "-": .negate
                case "+": .plus
                case "~": .invert
                default: nil
                }
                if let op {
                    index += 1
                    return unary().map { .unary(op, $0) }
                }
            }
            return power()
        }

        /// power: atom ['**' u_expr]: `-2**2` is -4, `2**-1` a float.
        mutating func power() -> Expression? {
            guard let base = atom() else { return nil }
            if take(.symbol("**")) {
                guard let exponent = unary() else { return nil }
                return .binary(.power, base, exponent)
            }
            return base
        }

        mutating func atom() -> Expression? {
            guard let token = peek() else { return nil }
            index += 1
            switch token {
            case .integer(let value): return .literal(.int(value))
            case .name(let name): return .name(name)
            case .keyword("True"): return .literal(.bool(true))
            case .keyword("False"): return .literal(.bool(false))
            case .symbol("("):
                // A parenthesized expression; `()` and `(a, b)` are tuples.
                guard let inner = test(), take(.symbol(")")) else { return nil }
                return inner
            default: return nil
            }
        }
    }
}

extension Substring {
    /// Without leading and trailing spaces, tabs and form feeds (as a traceback shows a line).
    func trimmingSpaces() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\u{0C}" || $0 == "\r" }
        guard let start = firstIndex(where: { !isSpace($0) }), let end = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[start...end])
    }
}
