import LingerRun
import Testing

@testable import LingerStack

/// grep and wc after `ss` or `nstat`, run in-process: POSIX/GNU meanings, checked
/// against the host's tools where they exist; and the pipelines that must go to the
/// host.
@Suite struct PipelineTextToolsTests {
    static let nstat = """
    #kernel
    TcpActiveOpens                  2                  0.0
    TcpPassiveOpens                 0                  0.0
    TcpExtTW                        1                  0.0
    TcpExtTWKilled                  0                  0.0

    """
    static let ss = """
    State      Recv-Q Send-Q Local Address:Port  Peer Address:Port Process
    ESTAB      0      0        192.168.0.1:8080     192.0.2.1:40000  timer:(keepalive,1min,0)
    TIME-WAIT  0      0        192.168.0.1:8080     192.0.2.1:40001  timer:(timewait,59sec,0)
    FIN-WAIT-1 0      1        192.168.0.1:8080     192.0.2.1:40002  timer:(on,200ms,0)
    """  // no final newline: grep still reads the last line

    /// (pipeline after the first stage, input, exit status, output): expectations
    /// from POSIX grep and wc.
    static let cases: [(String, String, Int32, String)] = [
        ("grep -q 'TcpExtTW                        1 '", nstat, 0, ""),
        ("grep -q 'TcpExtTW                        0 '", nstat, 1, ""),
        ("grep TcpExtTW", nstat, 0, "TcpExtTW                        1                  0.0\nTcpExtTWKilled                  0                  0.0\n"),
        ("grep -c TcpExtTW", nstat, 0, "2\n"),
        ("grep -c Nothing", nstat, 1, "0\n"),
        ("grep -vc Tcp", nstat, 0, "1\n"),
        ("grep -qx '#kernel'", nstat, 0, ""),
        ("grep -x kernel", nstat, 1, ""),
        ("grep -w TcpExtTW", nstat, 0, "TcpExtTW                        1                  0.0\n"),
        ("grep -i tcpexttwkilled", nstat, 0, "TcpExtTWKilled                  0                  0.0\n"),
        ("grep '^TcpExtTW  *1 '", nstat, 0, "TcpExtTW                        1                  0.0\n"),
        ("grep -c 'Opens *[0-9]'", nstat, 0, "2\n"),
        ("grep -c '[[:upper:]][a-z]*Opens'", nstat, 0, "2\n"),
        ("grep -c '0\\.0$'", nstat, 0, "4\n"),
        ("grep -c 'a$b'", "a$b\n", 0, "1\n"),
        ("grep -c 'a^b'", "a^b\n", 0, "1\n"),
        ("grep -c '*a'", "*a\nb\n", 0, "1\n"),
        ("grep -c 'x*'", "\nb\n", 0, "2\n"),
        ("grep -F -c 'a.c'", "abc\na.c\n", 0, "1\n"),
        ("grep -c 'a.c'", "abc\na.c\n", 0, "2\n"),
        ("grep -E -c 'ESTAB|TIME-WAIT'", ss, 0, "2\n"),
        ("grep -E -c 'timer:\\((keepalive|on),'", ss, 0, "2\n"),
        ("grep -E -c '4000[12]+$'", ss, 1, "0\n"),
        ("grep -E -c '^(FIN|TIME)-WAIT(-1)? '", ss, 0, "2\n"),
        ("grep -q 'timer:(timewait,'", ss, 0, ""),
        ("grep -q '192.168.0.1:8080 *192.0.2.1:'", ss, 0, ""),
        ("grep -c TIME-WAIT | grep -qx 1", ss, 0, ""),
        ("grep -c FIN-WAIT-2 | grep -qx 1", ss, 1, ""),
        ("grep -c . | grep -qx 4", ss, 0, ""),
        ("wc -l", ss, 0, "3\n"),
        ("wc -l | grep -qx 3", ss, 0, ""),
        ("wc -c", "ab\nc", 0, "4\n"),
        ("wc -w", " a b\n\tc \n", 0, "3\n"),
        ("grep -e ESTAB -e FIN -c", ss, 0, "2\n"),
        ("grep -eESTAB", ss, 0, "ESTAB      0      0        192.168.0.1:8080     192.0.2.1:40000  timer:(keepalive,1min,0)\n"),
        ("grep -c -- -WAIT", ss, 0, "2\n"),
        ("grep -c '[^A-Z]WAIT'", ss, 0, "2\n"),
        ("grep -c '[]x]'", "a]\nb\n", 0, "1\n"),
        ("grep -c ''", "a\n\nb\n", 0, "3\n"),
        ("grep -xc ''", "a\n\nb\n", 0, "1\n"),
        ("grep -w -c 'ab'", "ab\nabc\nx ab-y\n_ab\n", 0, "2\n"),
        ("grep -w -c 'a.*'", "abc def\n_abc\n", 0, "1\n"),
        ("grep TcpX", "", 1, ""),
    ]

    static func words(_ pipeline: String) -> [[String]] {
        // The cases quote only with '...' and hold no '|' inside quotes but the ERE ones.
        var stages: [[String]] = [[]]
        var word = ""
        var inWord = false
        var quoted = false
        for character in pipeline {
            if quoted {
                if character == "'" { quoted = false } else { word.append(character) }
                continue
            }
            switch character {
            case "'":
                quoted = true
                inWord = true
            case " ":
                if inWord { stages[stages.count - 1].append(word) }
                word = ""
                inWord = false
            case "|":
                if inWord { stages[stages.count - 1].append(word) }
                word = ""
                inWord = false
                stages.append([])
            default:
                word.append(character)
                inWord = true
            }
        }
        if inWord { stages[stages.count - 1].append(word) }
        return stages
    }

    @Test func toolsGiveWhatPOSIXSays() throws {
        for (pipeline, input, status, output) in Self.cases {
            let result = try #require(PipelineTextTools.run(Self.words(pipeline), input: input), "\(pipeline)")
            #expect(result.status == status, "\(pipeline)")
            #expect(result.output == output, "\(pipeline)")
        }
    }

    /// A plain string is searched directly; the automaton gives the same answers
    /// for the same string written as an ERE group, on every small line.
    @Test func plainStringsAndTheAutomatonAgree() throws {
        let alphabet: [UInt8] = Array("ab_ -".utf8)
        var lines: [[UInt8]] = [[]]
        for _ in 0..<4 { lines += lines.flatMap { line in alphabet.map { line + [$0] } } }
        for pattern in ["a", "ab", "a b", "_a", "b-"] {
            let bytes = Array(pattern.utf8)
            let plain = try #require(TextPattern(bytes, syntax: .fixed, ignoreCase: false))
            let group = try #require(TextPattern(Array("(\(pattern))".utf8), syntax: .extended, ignoreCase: false))
            #expect(plain.literal == bytes && group.literal == nil)
            for line in Set(lines) {
                for (wholeLine, wholeWord) in [(false, false), (true, false), (false, true)] {
                    #expect(plain.matches(line[...], wholeLine: wholeLine, wholeWord: wholeWord)
                                == group.matches(line[...], wholeLine: wholeLine, wholeWord: wholeWord),
                            "\(pattern) in '\(String(decoding: line, as: UTF8.self))' x=\(wholeLine) w=\(wholeWord)")
                }
            }
        }
    }

    /// The host's own grep and wc agree, where they exist.
    @Test func hostToolsAgree() {
        guard HostShell.run("command -v grep && command -v wc", in: "/tmp").status == 0 else { return }
        for (pipeline, input, _, _) in Self.cases {
            guard let ours = PipelineTextTools.run(Self.words(pipeline), input: input) else { continue }
            let quoted = "'" + input.replacingOccurrences(of: "'", with: "'\\''") + "'"
            let host = HostShell.run("printf '%s' \(quoted) | \(pipeline)", in: "/tmp")
            #expect(host.status == ours.status, "\(pipeline)")
            #expect(host.output == ours.output, "\(pipeline)")
        }
    }

    /// What needs the host: other tools and options, file operands, GNU's regex
    /// extensions, intervals, grep's errors, text beyond ASCII.
    @Test func theRestGoesToTheHost() {
        for (stages, input) in [
            ([["awk", "{print $1}"]], "a\n"), ([["sort"]], "a\n"), ([["wc"]], "a\n"), ([["wc", "-l", "-c"]], "a\n"),
            ([["grep", "-o", "a"]], "a\n"), ([["grep", "--quiet", "a"]], "a\n"), ([["grep", "-A", "1", "a"]], "a\n"),
            ([["grep", "a", "file"]], "a\n"), ([["grep"]], "a\n"), ([["grep", "-E", "-F", "a"]], "a\n"),
            ([["grep", "a\\(b\\)"]], "a\n"), ([["grep", "a\\{2\\}"]], "a\n"), ([["grep", "a\\+"]], "a\n"),
            ([["grep", "\\w"]], "a\n"), ([["grep", "\\bword"]], "a\n"), ([["grep", "a\\"]], "a\n"),
            ([["grep", "[a"]], "a\n"), ([["grep", "[a-Z]"]], "a\n"), ([["grep", "[[:foo:]]"]], "a\n"),
            ([["grep", "[[=a=]]"]], "a\n"), ([["grep", "-E", "a{2}"]], "a\n"), ([["grep", "-E", "(a"]], "a\n"),
            ([["grep", "-E", "a|"]], "a\n"), ([["grep", "-E", "()"]], "a\n"), ([["grep", "-E", "*a"]], "a\n"),
            ([["grep", "-E", "a)"]], "a\n"), ([["grep", "-w", "x*"]], "a\n"), ([["grep", "é"]], "a\n"),
            ([["grep", "a"]], "é\n"), ([["grep", "a"]], "a\u{0}b\n"), ([["grep", "a\nb"]], "a\n"),
            ([["grep", "-c", "a"], ["head", "-1"]], "a\n"), ([["grep", "a\\]"]], "a]\n"),
        ] {
            #expect(PipelineTextTools.run(stages, input: input) == nil, "\(stages)")
        }
    }

    /// The sim's command interpreter reads nstat and ss pipelines in-process, without a
    /// host shell, and hands the rest to the host.
    @Test func theInterpreterUsesThemBeforeTheHost() throws {
        var hostLines: [String] = []
        func run(_ line: String, host: Bool) throws(SysctlCommandError) -> SysctlCommandResult {
            var sysctls = Sysctls()
            let environment = SysctlCommandEnvironment(
                directory: "/tmp", readFile: { _ in nil },
                counters: { _, _ in [("TcpActiveOpens", 2), ("TcpExtTW", 1)] },
                hostShell: host ? { line in
                    hostLines.append(line)
                    return HostShell.run(line, in: "/tmp")
                } : nil)
            return try SysctlCommands.run(line, sysctls: &sysctls, environment: environment)
        }
        #expect(try run("nstat -asz | grep -q \"TcpExtTW                        1 \"", host: false).exitStatus == 0)
        #expect(try run("nstat -asz | grep -q \"TcpExtTW                        2 \"", host: true).exitStatus == 1)
        #expect(try run("nstat -a | wc -l", host: false).output == "3\n")
        #expect(hostLines.isEmpty)
        #expect(throws: SysctlCommandError.self) { try run("nstat -a | awk '{print $1}'", host: false) }
        guard HostShell.run("command -v awk", in: "/tmp").status == 0 else { return }
        #expect(try run("nstat -a | awk '{print $1}'", host: true).output == "#kernel\nTcpActiveOpens\nTcpExtTW\n")
        #expect(hostLines.count == 1)
    }
}
