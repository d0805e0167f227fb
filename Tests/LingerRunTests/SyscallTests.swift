import LingerRun
import LingerWire
import Testing

@Suite struct SyscallTests {
    func answering(_ answer: @escaping (SocketCall, FakeBackend) -> CallStart?) -> FakeBackend {
        let backend = FakeBackend()
        backend.respond = { call, backend in answer(call, backend) ?? backend.defaultAnswer(call) }
        return backend
    }

    func done(_ result: SocketCallResult, _ backend: FakeBackend) -> CallStart {
        .finished(CallCompletion(result: result, time: backend.clock))
    }

    @Test func wrongResultNamesCallExpectedAndErrno() {
        let backend = answering { call, b in
            if case .read = call { return self.done(.failure(104), b) }
            return nil
        }
        let result = run("""
        0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
        +0 read(3, ..., 1000) = 0
        """, on: backend)
        #expect(result.message == "/tmp/scripts/script.pkt:2: runtime error in read call: Expected result 0 but got -1 with errno 104 (Connection reset by peer)")
    }

    @Test func wrongErrno() {
        let backend = answering { call, b in
            if case .read = call { return self.done(.failure(104), b) }
            return nil
        }
        let result = run("""
        0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
        +0 read(3, ..., 1000) = -1 EAGAIN (Resource temporarily unavailable)
        """, on: backend)
        #expect(result.message == "/tmp/scripts/script.pkt:2: runtime error in read call: Expected errno 11 (Resource temporarily unavailable) but got 104 (Connection reset by peer)")
    }

    @Test func scriptDescriptorsAreTheRealOnes() throws {
        let backend = FakeBackend()
        backend.nextFD = 3
        let result = run("""
        0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
        +0 setsockopt(3, SOL_SOCKET, SO_LINGER, {l_onoff=1, l_linger=0}, 8) = 0
        +0 close(3) = 0
        """, on: backend)
        #expect(result.verdict == .passed, "\(result.message ?? "")")
        #expect(backend.calls[0].call == .socket(domain: 2, type: 1, protocol: 6))
        #expect(backend.calls[1].call == .setsockopt(fd: 3, level: 1, name: 13, value: [1, 0, 0, 0, 0, 0, 0, 0], length: 8))
        #expect(backend.calls[2].call == .close(fd: 3))
        #expect(result.warnings.isEmpty)
    }

    /// packetdrill only checks that a descriptor-returning call succeeded and maps the
    /// script's number to the real one: a script may name a new socket 4 after closing
    /// 3, though a fresh process gets 3 again (packetdrill's corpus script
    /// syscall_bad_arg/fastopen-invalid-buf-ptr.pkt does and passes under packetdrill).
    @Test func aScriptDescriptorNumberIsMappedToTheRealOne() throws {
        let backend = FakeBackend()
        backend.nextFD = 7
        let result = run("""
        0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 4
        +0 setsockopt(4, SOL_SOCKET, SO_LINGER, {l_onoff=1, l_linger=0}, 8) = 0
        +0 close(4) = 0
        """, on: backend)
        #expect(result.verdict == .passed, "\(result.message ?? "")")
        #expect(backend.calls[1].call == .setsockopt(fd: 7, level: 1, name: 13, value: [1, 0, 0, 0, 0, 0, 0, 0], length: 8))
        #expect(backend.calls[2].call == .close(fd: 7))
        #expect(result.warnings == ["/tmp/scripts/script.pkt:1: note: the script's descriptor 4 is descriptor 7 in the system under test (mapped, as packetdrill does)"])
    }

    @Test func getsockoptValueAndLength() {
        let backend = answering { call, b in
            if case .getsockopt = call { return self.done(SocketCallResult(value: 0, output: .option([0, 0, 0, 0])), b) }
            return nil
        }
        let result = run("""
        0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
        +0 getsockopt(3, SOL_SOCKET, SO_ERROR, [1], [4]) = 0
        """, on: backend)
        #expect(result.message == "/tmp/scripts/script.pkt:2: runtime error in getsockopt call: Bad getsockopt optval: expected: 1 actual: 0")
        let short = answering { call, b in
            if case .getsockopt = call { return self.done(SocketCallResult(value: 0, output: .option([0, 0])), b) }
            return nil
        }
        let shortResult = run("""
        0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
        +0 getsockopt(3, SOL_SOCKET, SO_ERROR, [0], [4]) = 0
        """, on: short)
        #expect(shortResult.message == "/tmp/scripts/script.pkt:2: runtime error in getsockopt call: Bad getsockopt optlen: expected: 4 actual: 2")
    }

    @Test func pollReventsMismatch() {
        let backend = answering { call, b in
            if case .poll = call { return self.done(SocketCallResult(value: 1, output: .pollEvents([5])), b) }
            return nil
        }
        let result = run("""
        0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
        +0 poll([{fd=3, events=POLLIN, revents=POLLIN}], 1, 0) = 1
        """, on: backend)
        #expect(result.message == "/tmp/scripts/script.pkt:2: runtime error in poll call: Expected revents of POLLIN but got POLLIN|POLLOUT for pollfd 0")
    }

    @Test func ioctlValue() {
        let backend = answering { call, b in
            if case .ioctl(_, let request) = call, request == 0x541B { return self.done(SocketCallResult(value: 0, output: .integer(10)), b) }
            return nil
        }
        let result = run("""
        0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
        +0 ioctl(3, SIOCINQ, [11]) = 0
        """, on: backend)
        #expect(result.message == "/tmp/scripts/script.pkt:2: runtime error in ioctl call: Bad ioctl optval: expected: 11 actual: 10")
    }

    @Test func recvmsgFlags() {
        let backend = answering { call, b in
            if case .recvmsg = call { return self.done(SocketCallResult(value: 0, output: .message([], flags: 0x40, control: [])), b) }
            return nil
        }
        let result = run("""
        0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
        +0 recvmsg(3, {msg_name(...)=..., msg_iov(1)=[{..., 100}], msg_flags=0}, 0) = 0
        """, on: backend)
        #expect(result.message == "/tmp/scripts/script.pkt:2: runtime error in recvmsg call: Expected msg_flags 0x00000000 but got 0x00000040")
    }

    @Test func unknownSyscallAndBadArguments() {
        let unknown = run("0 frobnicate(3) = 0", on: FakeBackend())
        #expect(unknown.message == "/tmp/scripts/script.pkt:1: runtime error in frobnicate call: Unknown system call: 'frobnicate'")
        // A misspelt call late in a script fails before the script's first event runs.
        let backend = FakeBackend()
        let late = run("""
        0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
        +60 clsoe(3) = 0
        """, on: backend)
        #expect(late.message == "/tmp/scripts/script.pkt:2: runtime error in clsoe call: Unknown system call: 'clsoe'")
        #expect(backend.calls.isEmpty)
        let unsupported = run("0 sendfile(4, 5, ..., 1000) = 1000", on: FakeBackend())
        #expect(unsupported.verdict == .unsupported)
        let badType = run("""
        0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
        +0 listen(3, "many") = 0
        """, on: FakeBackend())
        #expect(badType.message == "/tmp/scripts/script.pkt:2: runtime error in listen call: Bad type; actual: string expected: integer")
        let badSymbol = run("0 socket(..., SOCK_STREAM, IPPROTO_NOPE) = 3", on: FakeBackend())
        #expect(badSymbol.message == "/tmp/scripts/script.pkt:1: runtime error in socket call: unknown symbol: 'IPPROTO_NOPE'")
        let badFD = run("0 close(9) = 0", on: FakeBackend())
        #expect(badFD.message == "/tmp/scripts/script.pkt:1: runtime error in close call: unable to find fd with script fd 9")
        let count = run("0 socket(..., SOCK_STREAM) = 3", on: FakeBackend())
        #expect(count.message == "/tmp/scripts/script.pkt:1: runtime error in socket call: Expected 3 args but got 2")
    }

    @Test func blockingCallReturnsLaterWhileTheScriptGoesOn() {
        let backend = FakeBackend()
        answerSYN(backend)
        backend.respond = { call, backend in
            if case .accept = call {
                backend.blockedCompletion = CallCompletion(result: SocketCallResult(value: 4), time: backend.clock + 200_000)
                return .blocked
            }
            return backend.defaultAnswer(call)
        }
        let result = run(listenPreamble + """
        +0...0.2 accept(3, ..., ...) = 4
        +0 < S 0:0(0) win 32792
        +0 > S. 0:0(0) ack 1 <...>
        +.2 < . 1:1(0) ack 1 win 257
        +0 write(4, ..., 10) = 10
        """, on: backend)
        #expect(result.verdict == .passed, "\(result.message ?? "")")
    }

    @Test func blockingCallReturningLateFails() {
        let backend = FakeBackend()
        backend.respond = { call, backend in
            if case .read = call {
                backend.blockedCompletion = CallCompletion(result: SocketCallResult(value: 0), time: backend.clock + 500_000)
                return .blocked
            }
            return backend.defaultAnswer(call)
        }
        let result = run("--tolerance_percent=0\n" + listenPreamble + """
        +0...0.2 read(3, ..., 10) = 0
        +.6 close(3) = 0
        """, on: backend)
        #expect(result.message == "/tmp/scripts/script.pkt:6: timing error: expected system call return at 0.200000 sec but happened at 0.500000 sec; tolerance 0.004000 sec")
    }

    @Test func secondBlockingCallWhileOneIsBlocked() {
        let backend = FakeBackend()
        backend.respond = { call, backend in
            if case .accept = call { return .blocked }
            return backend.defaultAnswer(call)
        }
        let result = run(listenPreamble + """
        +0...1 accept(3, ..., ...) = 4
        +0...1 accept(3, ..., ...) = 5
        """, on: backend)
        #expect(result.message == "/tmp/scripts/script.pkt:6: runtime error in accept call: blocking system call while another blocking system call is already in progress")
    }
}

@Suite struct CommandAndConfigurationTests {
    @Test func commandsRunInTheScriptDirectoryAndFailOnNonZeroStatus() {
        let backend = FakeBackend()
        backend.commandStatus = { $0.contains("false") ? 1 : 0 }
        let result = run("""
        0 `true`
        +0 `false`
        """, on: backend)
        #expect(backend.commands.first?.directory == "/tmp/scripts")
        #expect(result.message == "/tmp/scripts/script.pkt:2: error executing `false` command: non-zero status 1")
    }

    @Test func unsupportedOptionsArePlain() {
        let result = run("--wire_client\n0 `true`", on: FakeBackend())
        #expect(result.verdict == .unsupported)
        #expect(result.message?.contains("not supported by linger") == true)
        let so = run("0 `true`", on: FakeBackend(), commandLine: [("so_filename", "x.so")])
        #expect(so.verdict == .unsupported)
    }

    @Test func badOptionValues() {
        #expect(run("--mss=abc\n0 `true`", on: FakeBackend()).message == "/tmp/scripts/script.pkt: bad --mss: abc")
        #expect(run("--bind_port=70000\n0 `true`", on: FakeBackend()).message == "/tmp/scripts/script.pkt: bad --bind_port: 70000")
    }

    @Test func selftestAddressesAndCommandLineOverride() throws {
        let configuration = try RunConfiguration.make(
            scriptOptions: [], commandLine: [("local_ip", "192.168.0.1"), ("gateway_ip", "192.168.0.1"),
                                             ("netmask_ip", "255.255.0.0"), ("remote_ip", "192.0.2.1"),
                                             ("tolerance_usecs", "10000")],
            scriptPath: "x.pkt")
        #expect(configuration.network.localAddress == configuration.network.gatewayAddress)
        #expect(configuration.network.prefixLength == 16)
        #expect(configuration.toleranceMicroseconds == 10000)
        let v6 = try RunConfiguration.make(scriptOptions: [], commandLine: [("ip_version", "ipv6")], scriptPath: "x.pkt")
        #expect(v6.network.remoteAddress == .v6(try #require(IPv6Address("2001:db8::1"))))
        #expect(v6.socketDomain == 10)
    }

    @Test func errnoTextsAreLinuxs() {
        #expect(LinuxErrno.text(of: 104) == "Connection reset by peer")
        #expect(LinuxErrno.number(named: "EINPROGRESS") == 115)
        #expect(LinuxErrno.text(of: 999) == "Unknown error 999")
        #expect(LinuxSymbols.value(of: "TCP_INFO") == 11)
        #expect(LinuxSymbols.value(of: "SO_LINGER") == 13)
    }

    @Test func tcpInfoRoundTrip() {
        let bytes = TCPInfoLayout.encode(["tcpi_state": 1, "tcpi_snd_wscale": 7, "tcpi_rcv_wscale": 9, "tcpi_snd_cwnd": 10,
                                          "tcpi_total_rto_time": 1234])
        #expect(bytes.count == 248)
        let decoded = Dictionary(uniqueKeysWithValues: TCPInfoLayout.decode(bytes).map { ($0.name, $0.value) })
        #expect(decoded["tcpi_snd_wscale"] == 7 && decoded["tcpi_rcv_wscale"] == 9)
        #expect(decoded["tcpi_snd_cwnd"] == 10 && decoded["tcpi_total_rto_time"] == 1234)
        #expect(bytes[80] == 10)
    }

    @Test func codeBlocksCollectTcpInfoOrAreSkipped() {
        let backend = FakeBackend()
        backend.commandStatus = { $0.hasPrefix("command -v") ? 1 : 0 }
        // A call is outside the in-process subset: it needs python3, which is missing.
        let result = run("""
        0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
        +0 %{ print(tcpi_state) }%
        """, on: backend)
        #expect(result.verdict == .passed)
        #expect(result.warnings.first?.contains("code block(s) skipped") == true)
        #expect(backend.calls.contains { $0.call == .getsockopt(fd: 3, level: 6, name: 11, length: 248) })
    }
}
