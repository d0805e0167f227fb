import Testing
@testable import LingerStack

/// Runs a command line in /tests/tcp/close with the given files.
private func run(
    _ line: String, files: [String: String] = [:], sysctls: inout Sysctls,
    counters: ((Bool, Bool) -> [(name: String, value: Int64)])? = nil
) throws(SysctlCommandError) -> SysctlCommandResult {
    let environment = SysctlCommandEnvironment(
        directory: "/tests/tcp/close", readFile: { files[$0] }, counters: counters)
    return try SysctlCommands.run(line, sysctls: &sysctls, environment: environment)
}

@Test func sysctlAssignmentsWithFlagsAndQuotes() throws {
    var sysctls = Sysctls()
    let result = try run(
        #"sysctl -q net.ipv4.tcp_fin_timeout=5 ; sysctl -w -e net/ipv4/tcp_sack=0 net.ipv4.tcp_rmem="4096 $((64*1024)) $((4*1024*1024))""#,
        sysctls: &sysctls)
    #expect(result.exitStatus == 0)
    #expect(sysctls.tcpFinTimeout == 5)
    #expect(sysctls.tcpSack == 0)
    #expect(sysctls.tcpRmem == SysctlTriple(4096, 65536, 4_194_304))
    #expect(result.actions == [
        .assign(name: "net.ipv4.tcp_fin_timeout", value: "5"),
        .assign(name: "net.ipv4.tcp_sack", value: "0"),
        .assign(name: "net.ipv4.tcp_rmem", value: "4096 65536 4194304"),
    ])
}

@Test func sysctlFailuresGiveANonzeroStatus() throws {
    var sysctls = Sysctls()
    let bad = try run("sysctl -q net.ipv4.tcp_ecn=7", sysctls: &sysctls)
    #expect(bad.exitStatus != 0)
    #expect(sysctls.tcpEcn == 2)
    let unknown = try run("sysctl -q net.ipv4.not_a_sysctl=1", sysctls: &sysctls)
    #expect(unknown.exitStatus != 0)
    // -e: unknown names are not an error.
    let ignored = try run("sysctl -e -q net.ipv4.not_a_sysctl=1", sysctls: &sysctls)
    #expect(ignored.exitStatus == 0)
}

@Test func orAndAndFollowTheLastStatus() throws {
    var sysctls = Sysctls()
    // The left side fails (no such sysctl), so the right side runs.
    let result = try run(
        "sysctl -q net.ipv4.tcp_timestamps=0\n  sysctl -q net.ipv4.gone=1 &> /dev/null ||\\\n  ip tcp_metrics flush all &> /dev/null",
        sysctls: &sysctls)
    #expect(sysctls.tcpTimestamps == 0)
    #expect(result.actions.last == .flushTCPMetrics)
    #expect(result.exitStatus == 0)
    let chained = try run("false && sysctl -q net.ipv4.tcp_sack=0 || sysctl -q net.ipv4.tcp_dsack=0", sysctls: &sysctls)
    #expect(sysctls.tcpSack == 1)
    #expect(sysctls.tcpDsack == 0)
    #expect(chained.exitStatus == 0)
}

@Test func echoAndPrintfIntoProc() throws {
    var sysctls = Sysctls()
    _ = try run("echo 10 > /proc/sys/net/ipv4/tcp_fin_timeout", sysctls: &sysctls)
    #expect(sysctls.tcpFinTimeout == 10)
    _ = try run("echo \"1024 2048\" >| /proc/sys/net/ipv4/ip_local_port_range", sysctls: &sysctls)
    #expect(sysctls.ipLocalPortRangeLow == 1024)
    _ = try run("printf '%s\\n' 3 > /proc/sys/net/ipv4/tcp_retries2", sysctls: &sysctls)
    #expect(sysctls.tcpRetries2 == 3)
    let refused = try run("echo 9999 > /proc/sys/net/ipv4/tcp_tw_reuse", sysctls: &sysctls)
    #expect(refused.exitStatus != 0)
    let module = try run("echo 3 > /sys/module/tcp_cubic/parameters/hystart_detect", sysctls: &sysctls)
    if case .skip = module.actions.first {} else { Issue.record("expected a skip, got \(module.actions)") }
}

@Test func scriptsAreReadRelativeToTheWorkingDirectoryAndNested() throws {
    var sysctls = Sysctls()
    let files = [
        "/tests/tcp/common/base.sh": """
            #!/bin/bash
            # my test defaults
            ip tcp_metrics flush all > /dev/null 2>&1
            sysctl -q net.ipv4.tcp_wmem="4096 $((128*1024)) 4194304"
            sh ./tests/tcp/common/more.sh
            tc qdisc add dev tun0 root pfifo
            """,
        "tests/tcp/common/more.sh": "sysctl -q net.ipv4.tcp_syn_retries=3\nexit 0\nsysctl -q net.ipv4.tcp_syn_retries=4\n",
        "/tests/tcp/close/local.sh": "sysctl -q net.ipv4.tcp_frto=0\n",
    ]
    let result = try run("../common/base.sh\n. ./local.sh", files: [
        "/tests/tcp/common/base.sh": files["/tests/tcp/common/base.sh"] ?? "",
        "/tests/tcp/close/tests/tcp/common/more.sh": files["tests/tcp/common/more.sh"] ?? "",
        "/tests/tcp/close/local.sh": files["/tests/tcp/close/local.sh"] ?? "",
    ], sysctls: &sysctls)
    #expect(sysctls.tcpWmem.default == 131_072)
    #expect(sysctls.tcpSynRetries == 3)  // `exit` ended more.sh before the second write
    #expect(sysctls.tcpFrto == 0)
    #expect(result.actions.first == .flushTCPMetrics)
    #expect(result.actions.contains { if case .skip(let command, _) = $0 { command.hasPrefix("tc qdisc") } else { false } })
}

@Test func missingScriptsAndLoopsAreErrors() {
    var sysctls = Sysctls()
    #expect(throws: SysctlCommandError.self) { try run("./absent.sh", sysctls: &sysctls) }
    let loop = ["/tests/tcp/close/loop.sh": "./loop.sh\n"]
    do {
        _ = try run("./loop.sh", files: loop, sysctls: &sysctls)
        Issue.record("a script calling itself must fail")
    } catch {
        if case .tooDeep = error {} else { Issue.record("wrong error \(error)") }
    }
}

@Test func unknownCommandsNameTheCommandAndWhere() {
    var sysctls = Sysctls()
    do {
        _ = try run("sysctl -q net.ipv4.tcp_sack=1\n  wget http://example", sysctls: &sysctls)
        Issue.record("wget must be refused")
    } catch {
        guard case .unsupportedCommand(let command, let position, _) = error else {
            Issue.record("wrong error \(error)")
            return
        }
        #expect(command == "wget http://example")
        #expect(position.line == 2)
        #expect(position.column == 3)
    }
    #expect(throws: SysctlCommandError.self) { try run("echo 'unterminated", sysctls: &sysctls) }
    #expect(throws: SysctlCommandError.self) { try run("sysctl -q x=$(cat file)", sysctls: &sysctls) }
    #expect(throws: SysctlCommandError.self) { try run("sleep 1 &", sysctls: &sysctls) }
}

@Test func setSysctlsHelperAndItsRestoreScript() throws {
    var sysctls = Sysctls()
    let set = try run(
        "../common/set_sysctls.py /proc/sys/net/ipv4/tcp_timestamps=0 \\\n   /proc/sys/net/ipv4/tcp_wmem=\"4096 50000 4194304\"",
        sysctls: &sysctls)
    #expect(set.exitStatus == 0)
    #expect(sysctls.tcpTimestamps == 0)
    #expect(sysctls.tcpWmem == SysctlTriple(4096, 50000, 4_194_304))
    // The helper ignores a refused write (it does not check echo's status)...
    let refused = try run("./set_sysctls.py /proc/sys/net/ipv4/tcp_ecn=9", sysctls: &sysctls)
    #expect(refused.exitStatus == 0)
    // ...but fails on a file it cannot read.
    let missing = try run("./set_sysctls.py /proc/sys/net/ipv4/nope=1", sysctls: &sysctls)
    #expect(missing.exitStatus != 0)
    // Each run rewrites the restore script: only the last run's values return.
    _ = try run("./set_sysctls.py /proc/sys/net/ipv4/tcp_sack=0", sysctls: &sysctls)
    _ = try run("/tmp/sysctl_restore_${PPID}.sh", sysctls: &sysctls)
    #expect(sysctls.tcpSack == 1)
    #expect(sysctls.tcpTimestamps == 0)
}

@Test func skippedHostCommands() throws {
    var sysctls = Sysctls()
    let lines = [
        "tc qdisc replace dev tun0 root fq",
        "tc qdisc delete dev tun0 root 2>/dev/null ; tc qdisc add dev tun0 root pfifo limit 0",
        "ethtool -K tun0 tso off gso off",
        "ip link set dev tun0 mtu 9000",
        "ip route change 192.0.2.1 via 192.168.0.2 dev tun0 advmss 600 mtu lock 640 initcwnd 11",
        "ip -6 route change 2001:DB8::1 via fd3d::1 dev tun0 advmss 600",
        "/bin/rm -f /tmp/testfile",
        "/bin/dd bs=1 count=5 if=/dev/zero of=/tmp/testfile status=none",
        "grep \" 0A \" /proc/net/tcp /proc/net/tcp6 | grep \":1F90\"",
        "sleep 1",
        ": nothing",
        "# only a comment",
    ]
    for line in lines {
        let result = try run(line, sysctls: &sysctls)
        #expect(result.exitStatus == 0, "\(line)")
        #expect(result.actions.allSatisfy { if case .skip = $0 { true } else { false } }, "\(line)")
    }
    #expect(sysctls == Sysctls())
}

@Test func nstatChecksReadTheCounters() throws {
    var sysctls = Sysctls()
    var history = Counters()
    var counters = Counters()
    counters.increment(.tcpExtBeyondWindow, by: 2)
    counters.increment(.tcpExtTCPAbortOnClose)
    let source: (Bool, Bool) -> [(name: String, value: Int64)] = { absolute, update in
        let values = absolute ? counters.nstatValues : counters.changes(since: history).map { ($0.name, $0.delta) }
        if update { history = counters }
        return values
    }
    let two = try run("nstat -s | grep TcpExtBeyondWindow | grep -q \" 2 \"", sysctls: &sysctls, counters: source)
    #expect(two.exitStatus == 0)
    let three = try run("nstat -s | grep TcpExtBeyondWindow | grep -q \" 3 \"", sysctls: &sysctls, counters: source)
    #expect(three.exitStatus == 1)
    let present = try run("nstat | grep TcpExtTCPAbortOnClose > /dev/null", sysctls: &sysctls, counters: source)
    #expect(present.exitStatus == 0)
    // That nstat moved the history: nothing has changed since.
    let again = try run("nstat | grep TcpExtTCPAbortOnClose > /dev/null", sysctls: &sysctls, counters: source)
    #expect(again.exitStatus == 1)
    counters.increment(.tcpExtTCPAbortOnClose)
    let reset = try run("nstat -n", sysctls: &sysctls, counters: source)
    #expect(reset.actions.isEmpty)
    #expect(history == counters)
}

@Test func arithmeticExpansion() {
    var parser = ArithmeticParser("15*1024*1024")
    #expect(parser.evaluate() == 15_728_640)
    var grouped = ArithmeticParser(" (2 + 3) * -4 % 7 ")
    #expect(grouped.evaluate() == -6)
    var divideByZero = ArithmeticParser("1/0")
    #expect(divideByZero.evaluate() == nil)
    var overflow = ArithmeticParser("9223372036854775807 + 1")
    #expect(overflow.evaluate() == nil)
}

@Test func pathsResolveLexically() {
    #expect(SysctlCommands.resolve("../../common/defaults.sh", in: "/a/b/c") == "/a/common/defaults.sh")
    #expect(SysctlCommands.resolve("./defaults.sh", in: "/a/b") == "/a/b/defaults.sh")
    #expect(SysctlCommands.resolve("/x/./y/../z.sh", in: "/ignored") == "/x/z.sh")
    #expect(SysctlCommands.resolve("../x.sh", in: "rel") == "x.sh")
}
