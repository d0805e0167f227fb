import Foundation
import LingerRun
import Testing

/// `%{ }%` blocks evaluated in-process: Python 3's values, verdicts and assertion
/// messages, checked against the host's python3 where it exists; and the blocks that
/// must go to Python.
@Suite struct CodeBlockEvaluatorTests {
    static let names: [String: Int64] = ["x": 5, "tcpi_state": 8, "TCP_CLOSE": 7, "zero": 0]

    /// The value of one expression, through an `assert` whose message is the expression.
    static func value(_ expression: String) -> String? {
        guard let block = CodeBlockEvaluator("assert False, \(expression)") else { return nil }
        switch block.run(names: { Self.names[$0] }) {
        case .failed(_, _, let error): return String(error.dropFirst("AssertionError: ".count))
        default: return nil
        }
    }

    /// Expressions with the value Python 3 gives them (str()).
    static let expressions: [(String, String)] = [
        ("1 + 2 * 3", "7"), ("-7 // 2", "-4"), ("7 // -2", "-4"), ("-7 % 3", "2"), ("7 % -3", "-2"),
        ("-2 ** 2", "-4"), ("2 ** 10", "1024"), ("2 ** 3 ** 2", "512"), ("1 < 2 < 3", "True"), ("3 > 2 > 2", "False"),
        ("1 <= x <= 10", "True"), ("x == 5 and 7", "7"), ("0 or x", "5"), ("not x", "False"), ("x and zero", "0"),
        ("True + True", "2"), ("True & True", "True"), ("True & 3", "1"), ("True | False", "True"), ("~5", "-6"),
        ("-True", "-1"), ("(x & 4) != 0", "True"), ("x | 2 ^ 1 & 3", "7"), ("1 << 4 >> 2", "4"), ("-9 >> 1", "-5"),
        ("0x1F + 0o17 + 0b11 + 1_000", "1049"), ("x - -x", "10"), ("(1 == 1) == True", "True"),
        ("1 == 1 == True", "True"), ("not 1 == 2", "True"), ("5 % 3 * 2", "4"), ("x // 2 * 2 + x % 2 == x", "True"),
        ("tcpi_state != TCP_CLOSE", "True"), ("False or 0", "0"), ("00", "0"), ("0xff >> 70", "0"), ("-1 >> 99", "-1"),
        ("9223372036854775807", "9223372036854775807"), ("x # a comment", "5"), ("(((x)))", "5"),
    ]

    @Test func expressionsHavePythonsValues() {
        for (expression, expected) in Self.expressions {
            #expect(Self.value(expression) == expected, "\(expression)")
        }
    }

    /// Text the subset does not cover: the block goes to Python.
    @Test func blocksOutsideTheSubsetAreNotParsed() {
        for text in [
            "print(1)", "x = 1", "assert 'a'", "import os", "assert 1 / 2", "assert 1.5", "assert x.real", "assert [1]",
            "assert x is 1", "assert None", "assert lambda: 1", "assert 1e3", "assert 010", "assert x +", "assert (1, 2)",
            "assert x \\\n== 1", "x += 1", "assert 1 if x else 2", "assert (x\n== 1)", "assert 1\n  assert 2",
            "assert 1;;", ";", "assert x == 1 = 2", "assert <> 1", "assert x <> 1", "assert 1 <<= 2", "assert 0x",
            "assert 1__0", "assert 1_", "assert 0b2", "assert é", "assert x, ", "assert", "cwnd += 10",
        ] {
            #expect(CodeBlockEvaluator(text) == nil, "\(text)")
        }
    }

    /// Parsed, but Python would raise something other than the assertion, or compute
    /// a value the evaluator does not represent.
    @Test func runtimeResultsOutsideTheSubsetGoToPython() {
        for text in [
            "assert y == 1", "assert 1 // 0", "assert 1 % 0", "assert 2 ** -1", "assert 9223372036854775807 + 1",
            "assert 1 << 63", "assert 1 << -1", "assert -(-9223372036854775807 - 1)", "assert 0, y", "assert 3 ** 40",
            "assert 9223372036854775808 > 0",
        ] {
            if let block = CodeBlockEvaluator(text) {
                #expect(block.run(names: { Self.names[$0] }) == .outsideSubset, "\(text)")
            }
        }
    }

    /// Blocks with their verdicts: evaluation stops at the first failing assertion,
    /// and `and`, `or`, chains and messages are evaluated only as far as Python does.
    static let blocks: [(String, CodeBlockEvaluator.Outcome)] = [
        ("assert 1 == 2, 7", .failed(lineOffset: 0, sourceLine: "assert 1 == 2, 7", error: "AssertionError: 7")),
        ("assert 1 == 2", .failed(lineOffset: 0, sourceLine: "assert 1 == 2", error: "AssertionError")),
        ("assert x == 5; assert x == 6, x", .failed(lineOffset: 0, sourceLine: "assert x == 5; assert x == 6, x", error: "AssertionError: 5")),
        ("\nassert 1\n\n# why\nassert 0, 3 \t\n", .failed(lineOffset: 4, sourceLine: "assert 0, 3", error: "AssertionError: 3")),
        ("assert 1 < 0 < y", .failed(lineOffset: 0, sourceLine: "assert 1 < 0 < y", error: "AssertionError")),
        ("assert 0 and y", .failed(lineOffset: 0, sourceLine: "assert 0 and y", error: "AssertionError")),
        ("assert 1 or y, y", .passed),
        ("assert 1, y", .passed),
        ("pass", .passed),
        ("assert tcpi_state == TCP_CLOSE, tcpi_state",
         .failed(lineOffset: 0, sourceLine: "assert tcpi_state == TCP_CLOSE, tcpi_state", error: "AssertionError: 8")),
        ("assert 1 <= x <= 3, x == 5", .failed(lineOffset: 0, sourceLine: "assert 1 <= x <= 3, x == 5", error: "AssertionError: True")),
        ("assert x;", .passed),
    ]

    @Test func blocksStopAtTheFirstFailingAssertion() throws {
        for (text, expected) in Self.blocks {
            let block = try #require(CodeBlockEvaluator(text), "\(text)")
            #expect(block.run(names: { Self.names[$0] }) == expected, "\(text)")
        }
    }

    /// The host's python3, when it has one, gives the same values and verdicts.
    @Test func pythonAgrees() throws {
        guard HostShell.run("command -v python3", in: "/tmp").status == 0 else { return }
        func literal(_ text: String) -> String { "''.join(map(chr, [\(text.unicodeScalars.map { String($0.value) }.joined(separator: ","))]))" }
        let bindings = Self.names.map { "'\($0.key)': \($0.value)" }.joined(separator: ", ")
        var program = "import traceback\n"
        for (expression, _) in Self.expressions {
            program += "print(str(eval(\(literal(expression)), {\(bindings)})))\n"
        }
        for (text, _) in Self.blocks {
            program += """
            try:
                exec(\(literal(text)), {\(bindings)})
                print('passed')
            except Exception as e:
                print(traceback.format_exception_only(type(e), e)[-1].strip())

            """
        }
        let path = NSTemporaryDirectory() + "linger-code-oracle-\(getpid()).py"
        try program.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let outcome = HostShell.run("python3 \(path)", in: "/tmp")
        #expect(outcome.status == 0, "\(outcome.output)")
        var lines = outcome.output.split(separator: "\n").map(String.init)[...]
        for (expression, _) in Self.expressions {
            #expect(lines.popFirst() == Self.value(expression), "\(expression)")
        }
        for (text, _) in Self.blocks {
            let python = lines.popFirst()
            switch CodeBlockEvaluator(text)?.run(names: { Self.names[$0] }) {
            case .passed?: #expect(python == "passed", "\(text)")
            case .failed(_, _, let error)?: #expect(python == error, "\(text)")
            default: Issue.record("\(text) is outside the subset")
            }
        }
    }

    // MARK: - In the runner

    static let failingScript = """
    0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
    +0 %{ assert tcpi_state == TCP_CLOSE, tcpi_state }%
    """

    /// A backend whose tcp_info says CLOSE_WAIT (8).
    static func closeWaitBackend() -> FakeBackend {
        let backend = FakeBackend()
        backend.respond = { call, backend in
            if case .getsockopt(_, 6, 11, _) = call {
                return .finished(CallCompletion(result: SocketCallResult(value: 0, errno: 0, output: .option(TCPInfoLayout.encode(["tcpi_state": 8]))),
                                                time: backend.clock))
            }
            return backend.defaultAnswer(call)
        }
        return backend
    }

    @Test func aFailingAssertionFailsTheScriptWithoutRunningPython() {
        let backend = Self.closeWaitBackend()
        let result = run(Self.failingScript, on: backend)
        #expect(result.verdict == .failed)
        let output = """
        /tmp/scripts/script.pkt:2: error in Python code
        Traceback (most recent call last):
          File "/tmp/scripts/script.pkt", line 2, in <module>
            assert tcpi_state == TCP_CLOSE, tcpi_state
        AssertionError: 8

        """
        #expect(result.message == "/tmp/scripts/script.pkt: error executing code: 'python3' returned non-zero status 1\n" + output)
        #expect(result.warnings == [output])
        #expect(backend.commands.isEmpty)

        let passing = run("""
        0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
        +0 %{ assert tcpi_state == TCP_CLOSE_WAIT, tcpi_state }%
        +0 %{
        assert tcpi_state != TCP_CLOSE
        assert 7 <= tcpi_state <= 9
        }%
        """, on: Self.closeWaitBackend())
        #expect(passing.verdict == .passed)
        #expect(passing.warnings.isEmpty)
    }

    /// The same script run by python3 (a code command the evaluator does not take
    /// for Python, so the program goes to the host): the same verdict, and the same
    /// lines Python prints around its version-dependent traceback.
    @Test func pythonGivesTheSameFailure() {
        guard HostShell.run("command -v python3", in: "/tmp").status == 0 else { return }
        let inProcess = run(Self.failingScript, on: Self.closeWaitBackend())
        let backend = Self.closeWaitBackend()
        backend.runsCommandsOnHost = true
        let python = run(Self.failingScript, on: backend, commandLine: [("code_command", "env python3")])
        #expect(backend.commands.count == 2)
        #expect(python.verdict == inProcess.verdict)
        func lines(_ text: String?) -> [Substring] { (text ?? "").split(separator: "\n") }
        let ours = lines(inProcess.message), theirs = lines(python.message)
        #expect(theirs.first == "/tmp/scripts/script.pkt: error executing code: 'env python3' returned non-zero status 1")
        #expect(ours.first == "/tmp/scripts/script.pkt: error executing code: 'python3' returned non-zero status 1")
        #expect(Array(theirs.dropFirst().prefix(2)) == Array(ours.dropFirst().prefix(2)))
        #expect(theirs.last == ours.last)
        #expect(theirs.contains("    assert tcpi_state == TCP_CLOSE, tcpi_state"))
    }

    /// Blocks outside the subset still run with the code command, as before.
    @Test func blocksOutsideTheSubsetRunWithPython() {
        let backend = Self.closeWaitBackend()
        let result = run("""
        0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
        +0 %{ assert tcpi_state == TCP_CLOSE_WAIT }%
        +0 %{ print(tcpi_state) }%
        """, on: backend)
        #expect(result.verdict == .passed)
        #expect(backend.commands.count == 2)
        #expect(backend.commands.first?.line == "command -v python3 >/dev/null 2>&1")
        #expect(backend.commands.last?.line.hasPrefix("python3 ") == true)

        // With python3 there, its verdict counts.
        guard HostShell.run("command -v python3", in: "/tmp").status == 0 else { return }
        let host = Self.closeWaitBackend()
        host.runsCommandsOnHost = true
        let failing = run("""
        0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
        +0 %{ assert tcpi_state == TCP_CLOSE, 'state %d' % tcpi_state }%
        """, on: host)
        #expect(failing.verdict == .failed)
        #expect(failing.message?.hasSuffix("AssertionError: state 8\n") == true)
        #expect(host.commands.count == 2)
    }
}
