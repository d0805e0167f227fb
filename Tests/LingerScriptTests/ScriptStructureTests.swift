import LingerScript
import Testing

@Suite("Options, definitions, commands, code and comments")
struct ScriptStructureTests {
    @Test func optionLinesKeepTheirTypedValues() throws {
        let script = try parseOK("""
            --tolerance_usecs=10000
            --mss=1000
            --ip_version=ipv6
            --local_ip=fd3d:fa7b:d17d::1
            --remote_ip=192.0.2.1
            --strict_segments
            --so_flags="a b"
            --my_own_knob=fast
            --define=PROTO=IPPROTO_TCP
            --define=CC="reno"
            --define=SETUP=`true`
            0 close(3) = 0
            """)
        let expected: [ScriptOption] = [
            ScriptOption(name: "tolerance_usecs", value: .integer(10000)),
            ScriptOption(name: "mss", value: .integer(1000)),
            ScriptOption(name: "ip_version", value: .word("ipv6")),
            ScriptOption(name: "local_ip", value: .ipv6Address("fd3d:fa7b:d17d::1")),
            ScriptOption(name: "remote_ip", value: .ipv4Address("192.0.2.1")),
            ScriptOption(name: "strict_segments", value: nil),
            ScriptOption(name: "so_flags", value: .string("a b")),
            ScriptOption(name: "my_own_knob", value: .word("fast")),
            ScriptOption(name: "define", value: .definition(name: "PROTO", value: "IPPROTO_TCP")),
            ScriptOption(name: "define", value: .definition(name: "CC", value: "\"reno\"")),
            ScriptOption(name: "define", value: .definition(name: "SETUP", value: "`true`")),
        ]
        #expect(script.options == expected)
        #expect(script.option(named: "mss")?.value == .integer(1000))
        #expect(script.option(named: "my_own_knob")?.isKnownToPacketdrill == false)
        #expect(script.option(named: "tolerance_usecs")?.isKnownToPacketdrill == true)
        #expect(script.options[3].location == LingerScript.SourceLocation(line: 4, column: 1))
    }

    @Test func optionsAfterTheFirstEventAreRejected() {
        let found = diagnostics("0 close(3) = 0\n--mss=1000\n")
        #expect(found.count == 1)
        #expect(found.first?.location.line == 2)
    }

    @Test func definitionsReplaceWholeWordsWithTypedValues() throws {
        let call = try onlySyscall(
            "0 setsockopt(FD, LEVEL, NAME, STR, LEN) = RESULT\n",
            definitions: ["FD": "3", "LEVEL": "SOL_TCP", "NAME": "0x10", "STR": "\"cubic\"", "LEN": "010", "RESULT": "-1"])
        #expect(call.arguments == [int(3), word("SOL_TCP"), int(16), SyscallExpression(.string("cubic")), int(8)])
        #expect(call.result == int(-1))
    }

    @Test func scriptDefinitionsApplyToEventsAndCallerDefinitionsWin() throws {
        let source = """
            --define=PROTO=IPPROTO_UDP
            --define=TYPE=SOCK_DGRAM
            0 socket(..., TYPE, PROTO) = 3
            """
        let result = ScriptParser.parse(source: source, fileName: "d.pkt", definitions: ["PROTO": "IPPROTO_TCP"])
        #expect(result.isSuccess)
        #expect(result.definitions == ["PROTO": "IPPROTO_TCP", "TYPE": "SOCK_DGRAM"])
        guard case .syscall(let call) = result.script.events.first?.action else {
            Issue.record("no syscall")
            return
        }
        #expect(call.arguments == [ellipsis, word("SOCK_DGRAM"), word("IPPROTO_TCP")])
    }

    @Test func braceReferencesExpandInEventsCommandsStringsAndCode() throws {
        let source = """
            0 `sysctl -q net.ipv4.tcp_fin_timeout=${FIN}; echo ${PPID}`
            +0 setsockopt(3, SOL_TCP, TCP_LINGER2, [${FIN}], 4) = 0
            +0 setsockopt(3, SOL_TCP, TCP_CONGESTION, "${CC}", 5) = 0
            +0 %{ assert tcpi_rto == ${RTO} }%
            """
        let script = try parseOK(source, definitions: ["FIN": "5", "CC": "reno", "RTO": "200000"])
        let actions = script.events.map(\.action)
        try #require(actions.count == 4)
        // Undefined references (${PPID}) are left for the shell.
        #expect(actions[0] == .command(ShellCommand(commandLine: "sysctl -q net.ipv4.tcp_fin_timeout=5; echo ${PPID}")))
        guard case .syscall(let linger2) = actions[1], case .syscall(let congestion) = actions[2] else {
            Issue.record("expected two system calls")
            return
        }
        #expect(linger2.arguments[3] == SyscallExpression(.array([int(5)])))
        #expect(congestion.arguments[3] == SyscallExpression(.string("reno")))
        #expect(actions[3] == .code(CodeBlock(text: "assert tcpi_rto == 200000")))
    }

    @Test func undefinedBraceReferenceInAnEventIsAnError() {
        let found = diagnostics("0 close(${FD}) = 0\n")
        #expect(found.map(\.description) == ["bad.pkt:1:9: expected an expression (a number, a NAME, a \"string\", ..., [array] or {struct}), found undefined ${FD} (define it with -D FD=value)"])
    }

    @Test func reservedWordsAreNeverSubstituted() throws {
        let segment = try onlyTCP("0 < . 1:1(0) ack 5 win 7\n")
        let substituted = ScriptParser.parse(
            source: "0 < . 1:1(0) ack 5 win 7\n", fileName: "k.pkt", definitions: ["ack": "9", "win": "1"])
        #expect(substituted.isSuccess)
        guard case .packet(let packet) = substituted.script.events.first?.action, case .tcp(let other) = packet.body else {
            Issue.record("no packet")
            return
        }
        #expect(other == segment)
        #expect(other.ackNumber == 5)
    }

    @Test func backtickCommandsSpanLinesAndFrameTheScript() throws {
        let script = try parseOK("""
            `echo setup
             sysctl -q net.ipv4.tcp_ecn=2   # a shell comment, fine inside backticks`
            0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
            +0 `ss -tn | grep ${PPID}`
            `echo cleanup`
            """)
        #expect(script.initCommand?.commandLine == "echo setup\n sysctl -q net.ipv4.tcp_ecn=2   # a shell comment, fine inside backticks")
        #expect(script.initCommand?.location == LingerScript.SourceLocation(line: 1, column: 1))
        #expect(script.events.count == 2)
        #expect(script.events[1].action == .command(ShellCommand(commandLine: "ss -tn | grep ${PPID}")))
        #expect(script.cleanupCommand?.commandLine == "echo cleanup")
    }

    @Test func codeBlocksKeepTheirTextTrimmedOfSpacesAndTabs() throws {
        let script = try parseOK("""
            0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
            +0 %{ \tassert tcpi_snd_cwnd == 10, tcpi_snd_cwnd  }%
            +0.5 %{
            print(tcpi_rto)
            }%
            """)
        #expect(script.events[1].action == .code(CodeBlock(text: "assert tcpi_snd_cwnd == 10, tcpi_snd_cwnd")))
        #expect(script.events[2].action == .code(CodeBlock(text: "\nprint(tcpi_rto)\n")))
        guard case .code(let block) = script.events[2].action else { return }
        #expect(block.location == LingerScript.SourceLocation(line: 3, column: 6))
    }

    @Test func commentsAreSkippedButHashIsNotAComment() throws {
        let script = try parseOK("""
            // a line comment
            0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3 // trailing
            /* a block
               comment */ +0 close(3) = 0 /* inline */
            """)
        #expect(script.events.count == 2)
        #expect(script.events[1].location == LingerScript.SourceLocation(line: 4, column: 15))
        // packetdrill's scanner has no '#' comments outside shell commands.
        let found = diagnostics("# not a comment\n0 close(3) = 0\n")
        #expect(found.first?.location == LingerScript.SourceLocation(line: 1, column: 1))
        #expect(found.first?.message == "expected an event time (seconds such as 0.100, +0.1 or *), found '#'")
    }

    @Test func eventTimesInEveryForm() throws {
        let script = try parseOK("""
            0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
            +.1 close(3) = 0
            1.000001 close(3) = 0
            2.0000019 close(3) = 0
            * > . 1:1(0) ack 1
            0.5~0.75 > . 1:1(0) ack 1
            +.004~+.008 > P. 1:401(400) ack 1
            +0...0.200 accept(3, ..., ...) = 4
            3...4.5 read(4, ..., 10) = 10
            """)
        let times = script.events.map(\.time)
        #expect(times == [
            .absolute(microseconds: 0),
            .relative(microseconds: 100_000),
            .absolute(microseconds: 1_000_001),
            .absolute(microseconds: 2_000_001),
            .any,
            .absoluteRange(start: 500_000, end: 750_000),
            .relativeRange(start: 4_000, end: 8_000),
            .relative(microseconds: 0),
            .absolute(microseconds: 3_000_000),
        ])
        guard case .syscall(let accept) = script.events[7].action, case .syscall(let read) = script.events[8].action else {
            Issue.record("expected system calls")
            return
        }
        #expect(accept.blockingEndMicroseconds == 200_000)
        #expect(read.blockingEndMicroseconds == 4_500_000)
        #expect(times.map(\.kind) == [.absolute, .relative, .absolute, .absolute, .any, .absoluteRange, .relativeRange, .relative, .absolute])
    }
}
