import Foundation
import LingerScript
import Testing

/// Parses `source` and requires it to be accepted.
func parseOK(_ source: String, definitions: [String: String] = [:], sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> Script {
    let result = ScriptParser.parse(source: source, fileName: "test.pkt", definitions: definitions)
    #expect(result.diagnostics.isEmpty, "unexpected: \(result.diagnostics.map(\.description))", sourceLocation: sourceLocation)
    try #require(result.isSuccess, sourceLocation: sourceLocation)
    return result.script
}

/// Parses a script of one event and returns that event's action.
func onlyAction(_ source: String, definitions: [String: String] = [:], sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> Action {
    let script = try parseOK(source, definitions: definitions, sourceLocation: sourceLocation)
    try #require(script.events.count == 1, sourceLocation: sourceLocation)
    return script.events[0].action
}

func onlySyscall(_ source: String, definitions: [String: String] = [:], sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> SyscallSpec {
    guard case .syscall(let call) = try onlyAction(source, definitions: definitions, sourceLocation: sourceLocation) else {
        Issue.record("not a system call", sourceLocation: sourceLocation)
        throw CancellationError()
    }
    return call
}

func onlyPacket(_ source: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> PacketSpec {
    guard case .packet(let packet) = try onlyAction(source, sourceLocation: sourceLocation) else {
        Issue.record("not a packet", sourceLocation: sourceLocation)
        throw CancellationError()
    }
    return packet
}

func onlyTCP(_ source: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> TCPSegmentSpec {
    guard case .tcp(let segment) = try onlyPacket(source, sourceLocation: sourceLocation).body else {
        Issue.record("not a TCP packet", sourceLocation: sourceLocation)
        throw CancellationError()
    }
    return segment
}

/// Shorthands for expected expressions.
func int(_ n: Int64) -> SyscallExpression { SyscallExpression(.integer(n, .decimal)) }
func hex(_ n: Int64) -> SyscallExpression { SyscallExpression(.integer(n, .hexadecimal)) }
func word(_ w: String) -> SyscallExpression { SyscallExpression(.word(w)) }
let ellipsis = SyscallExpression(.ellipsis)

/// Diagnostics of a script that must be rejected.
func diagnostics(_ source: String, fileName: String = "bad.pkt") -> [Diagnostic] {
    ScriptParser.parse(source: source, fileName: fileName).diagnostics
}

/// The 1-based column (in Unicode scalars) of the first occurrence of `needle`
/// in line `line` (1-based) of `text`.
func column(of needle: String, inLine line: Int, of text: String) -> Int? {
    let lines = text.components(separatedBy: "\n")
    guard line >= 1, line <= lines.count, let range = lines[line - 1].range(of: needle) else { return nil }
    let prefix = lines[line - 1][..<range.lowerBound]
    return prefix.unicodeScalars.count + 1
}
