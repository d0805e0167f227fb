import LingerScript
import Testing

@Suite("Errors: positions, messages, recovery, robustness")
struct DiagnosticTests {
    @Test func syntaxErrorNamesFileLineColumnExpectedAndFound() throws {
        let source = "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 setsockopt(3, SOL_SOCKET SO_REUSEADDR, [1], 4) = 0\n"
        let found = diagnostics(source, fileName: "scripts/x.pkt")
        try #require(found.count == 1)
        let expectedColumn = try #require(column(of: "SO_REUSEADDR", inLine: 2, of: source))
        #expect(found[0].location == LingerScript.SourceLocation(line: 2, column: expectedColumn))
        #expect(found[0].kind == .syntax)
        #expect(found[0].description == "scripts/x.pkt:2:\(expectedColumn): expected ')', found word 'SO_REUSEADDR'")
    }

    @Test func recoveryReportsEveryBrokenLineAndKeepsTheGoodOnes() throws {
        let source = """
            0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
            +0 bind(3, ..., ...) = 
            +0 listen(3, 1) = 0
            +0.1 < S 0:0(0) win 32792 <mss 1460,bogus 3>
            +0 > S. 0:0(0) ack 1 <...>
            +0 accept(3, ..., ...)
            +0.2 close(4) = 0
            """
        let result = ScriptParser.parse(source: source, fileName: "r.pkt")
        // A line that stops short is reported on that line, where it stops.
        #expect(result.diagnostics.map(\.location.line) == [2, 4, 6])
        let equalsColumn = try #require(column(of: "=", inLine: 2, of: source))
        #expect(result.diagnostics[0].location.column == equalsColumn + 1)
        #expect(result.diagnostics[0].message.hasPrefix("expected an expression"))
        #expect(result.diagnostics[1].message.hasPrefix("expected a TCP option"))
        #expect(result.diagnostics[2].message == "expected '=' and the expected result, found end of line")
        // Events before and after the broken lines survive; the broken ones are dropped.
        #expect(result.script.events.map(\.location.line) == [1, 3, 5, 7])
    }

    @Test func semanticChecksPacketdrillMakesWhileParsing() {
        #expect(diagnostics("-1 close(3) = 0\n").map(\.message) == ["negative time"])
        #expect(diagnostics("* close(3) = 0\n").map(\.message) == ["event time '*' can only be used with outbound packets"])
        #expect(diagnostics("1~0.5 > . 1:1(0)\n").map(\.message) == ["time range is backwards"])
        #expect(diagnostics("0~1 < . 1:1(0)\n").map(\.message) == ["an event time range can only be used with outbound packets"])
        #expect(diagnostics("+0~1 > . 1:1(0)\n").first?.message == "expected '+' (a range that starts relative ends relative), found integer 1")
        #expect(diagnostics("0 > . 1:1(0) win 65536\n").map(\.message) == ["window 65536 is out of range (0...65535)"])
        #expect(diagnostics("0 < S 0:0(0) <mss 70000>\n").map(\.message) == ["mss 70000 is out of range (0...65535)"])
        #expect(diagnostics("0 bind(3, {sa_family=AF_UNIX, sin_port=htons(1), sin_addr=inet_addr(\"1.2.3.4\")}, 16) = 0\n").map(\.kind) == [.semantic])
        #expect(diagnostics("--define=NOEQUALS\n0 close(3) = 0\n").map(\.message) == ["--define needs NAME=value, found 'NOEQUALS'"])
    }

    @Test func unterminatedTokensPointAtTheirStart() {
        let cases: [(String, String, Int, Int)] = [
            ("0 close(3) = 0\n+0 `echo never closed\n", "unterminated shell command: '`' has no closing '`'", 2, 4),
            ("0 f(\"open) = 0\n", "unterminated string: '\"' has no closing '\"'", 1, 5),
            ("0 close(3) = 0 /* forever\n", "unterminated comment: '/*' has no closing '*/'", 1, 16),
            ("0 close(3) = 0\n  +0 %{ print(1)\n", "unterminated code block: '%{' has no closing '}%'", 2, 6),
        ]
        for (source, message, line, col) in cases {
            let found = diagnostics(source)
            #expect(found.first?.message == message, "\(source)")
            #expect(found.first?.location == LingerScript.SourceLocation(line: line, column: col), "\(source)")
        }
    }

    @Test func anEmptyScriptHasNoEvents() {
        #expect(diagnostics("").map(\.message) == ["expected an event (a time, then a packet, a system call, a `command` or a %{ code }% block), found end of file"])
        #expect(diagnostics("// only a comment\n--mss=1000\n").count == 1)
    }

    @Test func integerLiteralsOutOfRange() {
        let found = diagnostics("0 f(99999999999999999999) = 0\n")
        #expect(found.map(\.message) == ["integer 99999999999999999999 is out of range (64-bit signed)"])
        #expect(diagnostics("0 f(0x1ffffffffffffffff) = 0\n").count == 1)
        #expect(diagnostics("99999999999999 close(3) = 0\n").map(\.message) == ["time 99999999999999 is too large"])
    }

    @Test func deepNestingAndLongChainsDoNotExhaustTheStack() {
        let deep = "0 f(" + String(repeating: "[", count: 50_000) + ") = 0\n"
        let found = diagnostics(deep)
        #expect(found.count == 1)
        #expect(found.first?.message.hasPrefix("expected less deeply nested brackets") == true)
        let chain = "0 f(" + Array(repeating: "A", count: 20_000).joined(separator: "|") + ") = 0\n"
        #expect(diagnostics(chain).isEmpty)
        let braces = "0 f(" + String(repeating: "{", count: 50_000) + ") = 0\n"
        #expect(diagnostics(braces).count == 1)
    }

    /// A small deterministic generator (SplitMix64), so failures reproduce.
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let sample = """
        --tolerance_usecs=10000
        `echo start`
        0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
        +0 setsockopt(3, SOL_SOCKET, SO_LINGER, {l_onoff=1, l_linger=0}, 8) = 0
        +0...0.2 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)
        +0 > S 0:0(0) <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 8>
        +.1 < [ect0] S. 0:0(0) ack 1 win 5792 <mss 1460,nop,wscale 7, FO abcd>
        * > . 1:1(0) ack 1 <...>
        +0 < icmp unreachable frag_needed mtu 1200 [1:1461(1460)]
        +0 recvmsg(3, {msg_name(...)=..., msg_iov(1)=[{..., 10}], msg_flags=0}, 0) = 10
        /* block */ +0 %{ assert tcpi_state == 1 }%
        +.004~+.008 > F. 1:1(0) ack 1
        """

    /// Every prefix of a valid script, and many randomly garbled copies, must give
    /// either a script or well-formed diagnostics: never a crash or a hang. When a
    /// garbled script happens to parse, its normalized form must parse back equal.
    @Test func truncatedAndGarbledScriptsGiveDiagnosticsNotCrashes() {
        let source = Array(Self.sample.unicodeScalars)
        for cut in 0...source.count {
            var text = ""
            text.unicodeScalars.append(contentsOf: source[0..<cut])
            check(text)
        }
        var generator = SeededGenerator(state: 0x5EED_0003)
        let alphabet = Array("<>()[]{}.,:;=|+-*~/%`\"'#0123456789xSFRP.EWabc\n\t ...".unicodeScalars) + ["\u{0}", "\u{FFFD}", "雨"]
        for _ in 0..<400 {
            var scalars = source
            let edits = Int.random(in: 1...8, using: &generator)
            for _ in 0..<edits {
                let position = Int.random(in: 0...scalars.count, using: &generator)
                switch Int.random(in: 0..<3, using: &generator) {
                case 0 where position < scalars.count:
                    scalars.remove(at: position)
                case 1:
                    scalars.insert(alphabet.randomElement(using: &generator) ?? " ", at: position)
                default:
                    if position < scalars.count {
                        scalars[position] = alphabet.randomElement(using: &generator) ?? " "
                    }
                }
            }
            var text = ""
            text.unicodeScalars.append(contentsOf: scalars)
            check(text)
        }
    }

    func check(_ text: String) {
        let result = ScriptParser.parse(source: text, fileName: "fuzz.pkt")
        let lineCount = text.split(separator: "\n", omittingEmptySubsequences: false).count
        for diagnostic in result.diagnostics {
            #expect(diagnostic.location.line >= 1 && diagnostic.location.line <= lineCount + 1)
            #expect(diagnostic.location.column >= 1)
            #expect(diagnostic.description.hasPrefix("fuzz.pkt:\(diagnostic.location.line):\(diagnostic.location.column): "))
            #expect(!diagnostic.message.isEmpty)
        }
        if result.isSuccess {
            let again = ScriptParser.parse(source: result.script.normalizedText, fileName: "again.pkt")
            #expect(again.isSuccess && again.script == result.script, "round trip failed for:\n\(text)")
        }
    }
}
