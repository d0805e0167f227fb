/// A position in a script's text: 1-based line and column.
///
/// Columns count Unicode scalars from the start of the line, so a tab or a
/// Chinese character in a comment each count as one column.
public struct SourceLocation: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The line, starting at 1.
    public var line: Int
    /// The column, starting at 1.
    public var column: Int

    /// Creates a location from a 1-based line and column.
    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    /// The `line:column` form used in diagnostics.
    public var description: String { "\(line):\(column)" }

    public static func < (lhs: SourceLocation, rhs: SourceLocation) -> Bool {
        (lhs.line, lhs.column) < (rhs.line, rhs.column)
    }
}

/// Wraps a value that AST equality ignores.
///
/// AST nodes keep their `SourceLocation`, but two scripts that say the same thing
/// compare equal wherever their text sits: a script printed and parsed again must
/// equal the original even though every line and column moved.
@propertyWrapper
public struct IgnoredInEquality<Value: Sendable>: Hashable, Sendable {
    /// The wrapped value.
    public var wrappedValue: Value

    /// Wraps `wrappedValue`.
    public init(wrappedValue: Value) {
        self.wrappedValue = wrappedValue
    }

    public static func == (lhs: Self, rhs: Self) -> Bool { true }
    public func hash(into hasher: inout Hasher) {}
}

/// One problem found in a script: where, and what was wrong.
public struct Diagnostic: Hashable, Sendable, CustomStringConvertible, Error {
    /// What kind of problem this is.
    public enum Kind: Hashable, Sendable {
        /// The text does not follow the grammar (or cannot be tokenized).
        case syntax
        /// The text follows the grammar but a value is out of range or not allowed
        /// where it stands (packetdrill rejects these while parsing, too).
        case semantic
    }

    /// The name of the script the problem is in, as given to the parser.
    public var fileName: String
    /// Where the problem starts.
    public var location: SourceLocation
    /// Syntax or semantic problem.
    public var kind: Kind
    /// What is wrong, e.g. `expected ')', found word 'foo'`.
    public var message: String

    /// Creates a diagnostic.
    public init(fileName: String, location: SourceLocation, kind: Kind, message: String) {
        self.fileName = fileName
        self.location = location
        self.kind = kind
        self.message = message
    }

    /// The `file:line:column: message` form printed to users.
    public var description: String {
        "\(fileName):\(location.line):\(location.column): \(message)"
    }
}
