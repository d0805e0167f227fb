import LingerScript
import Testing

@Suite("System call lines")
struct SyscallTests {
    @Test func resultForms() throws {
        let ok = try onlySyscall("0 close(3) = 0\n")
        #expect(ok.name == "close" && ok.arguments == [int(3)] && ok.result == int(0) && ok.errno == nil && ok.note == nil)

        let failed = try onlySyscall("0 write(4, ..., 1000) = -1 EPIPE (Broken pipe)\n")
        #expect(failed.result == int(-1))
        #expect(failed.errno == ErrnoSpec(name: "EPIPE", description: "Broken pipe"))

        let noted = try onlySyscall("0 getpid() = ... (any pid will do)\n")
        #expect(noted.arguments.isEmpty && noted.result == ellipsis && noted.note == "any pid will do")

        let both = try onlySyscall("0 read(4, ..., 10) = -1 EAGAIN (Resource temporarily unavailable) (flags ok)\n")
        #expect(both.errno?.description == "Resource temporarily unavailable")
        #expect(both.note == "flags ok")

        #expect(diagnostics("0 connect(3, ..., ...) = -1 EINPROGRESS\n").first?.message
            == "expected '(' and the error's description after EINPROGRESS, found end of file")
    }

    @Test func scalarArguments() throws {
        let call = try onlySyscall("0 f(..., 42, -7, 0x1F, SOL_SOCKET, \"a\\\"b\", \"x\" \"y\", \"pre\"..., [1], [], inet_addr(\"192.0.2.1\"), inet6_addr(\"::1\")) = 0\n")
        #expect(call.arguments == [
            ellipsis, int(42), int(-7), hex(0x1F), word("SOL_SOCKET"),
            SyscallExpression(.string("a\\\"b")),
            SyscallExpression(.stringConcatenation(["x", "y"])),
            SyscallExpression(.stringPrefix("pre")),
            SyscallExpression(.array([int(1)])),
            SyscallExpression(.array([])),
            SyscallExpression(.inetAddress("192.0.2.1")),
            SyscallExpression(.inet6Address("::1")),
        ])
    }

    @Test func operatorsGroupToTheRight() throws {
        let call = try onlySyscall("0 f(A|B|C, x=1|2, MSG_FASTOPEN|MSG_ZEROCOPY) = 0\n")
        #expect(call.arguments == [
            SyscallExpression(.bitwiseOr(word("A"), SyscallExpression(.bitwiseOr(word("B"), word("C"))))),
            SyscallExpression(.assignment(name: "x", value: SyscallExpression(.bitwiseOr(int(1), int(2))))),
            SyscallExpression(.bitwiseOr(word("MSG_FASTOPEN"), word("MSG_ZEROCOPY"))),
        ])
    }

    @Test func lingerInBothSpellings() throws {
        let modern = try onlySyscall("0 setsockopt(3, SOL_SOCKET, SO_LINGER, {l_onoff=1, l_linger=0}, 8) = 0\n")
        #expect(modern.arguments[3] == SyscallExpression(.structure([
            SyscallExpression(.assignment(name: "l_onoff", value: int(1))),
            SyscallExpression(.assignment(name: "l_linger", value: int(0))),
        ])))
        let classic = try onlySyscall("0 setsockopt(3, SOL_SOCKET, SO_LINGER, {onoff=1, linger=30}, 8) = 0\n")
        #expect(classic.arguments[3] == SyscallExpression(.linger(onOff: 1, seconds: 30)))
    }

    @Test func socketAddressAndMessageHeaders() throws {
        let call = try onlySyscall("""
            0 sendmsg(3, {msg_name(...)=..., msg_iov(2)=[{..., 10}, {..., 20}], msg_flags=0,
                          msg_control=[{cmsg_level=SOL_SOCKET, cmsg_type=SCM_TIMESTAMPING,
                                        cmsg_data={scm_sec=1, scm_nsec=2}},
                                       {cmsg_level=CMSG_LEVEL_IP, cmsg_type=CMSG_TYPE_RECVERR,
                                        cmsg_data={ee_errno=ENOMSG, ee_origin=SO_EE_ORIGIN_TIMESTAMPING, ee_type=0,
                                                   ee_code=0, ee_info=SCM_TSTAMP_SND, ee_data=0}}]},
                      {sa_family=AF_INET, sin_port=htons(8080), sin_addr=inet_addr("192.0.2.1")}) = 30
            """)
        let header = MessageHeader(
            iovCount: 2,
            iov: [SyscallExpression(.ioVector(length: 10)), SyscallExpression(.ioVector(length: 20))],
            flags: int(0),
            control: [
                SyscallExpression(.controlMessage(level: word("SOL_SOCKET"), type: word("SCM_TIMESTAMPING"), data: SyscallExpression(.timestamping(seconds: 1, nanoseconds: 2)))),
                SyscallExpression(.controlMessage(level: word("CMSG_LEVEL_IP"), type: word("CMSG_TYPE_RECVERR"), data: SyscallExpression(.extendedError(ExtendedError(
                    errno: word("ENOMSG"), origin: word("SO_EE_ORIGIN_TIMESTAMPING"), type: int(0), code: int(0),
                    info: word("SCM_TSTAMP_SND"), data: int(0)))))),
            ])
        #expect(call.arguments == [
            int(3),
            SyscallExpression(.messageHeader(header)),
            SyscallExpression(.socketAddress(family: "AF_INET", port: 8080, address: "192.0.2.1")),
        ])
        #expect(call.arguments[1].location == LingerScript.SourceLocation(line: 1, column: 14))
        #expect(call.result == int(30))
        let plain = try onlySyscall("0 recvmsg(4, {msg_name(...)=..., msg_iov(1)=[{..., 0}], msg_flags=MSG_ERRQUEUE}, 0) = 0\n")
        guard case .messageHeader(let noControl) = plain.arguments[1].kind else {
            Issue.record("not a msghdr")
            return
        }
        #expect(noControl.control == nil)
    }

    @Test func pollAndEpoll() throws {
        let poll = try onlySyscall("0 poll([{fd=4, events=POLLIN|POLLOUT, revents=POLLOUT}, {fd=5, events=0}], 2, 0) = 1\n")
        #expect(poll.arguments[0] == SyscallExpression(.array([
            SyscallExpression(.pollDescriptor(fd: int(4), events: SyscallExpression(.bitwiseOr(word("POLLIN"), word("POLLOUT"))), returnedEvents: word("POLLOUT"))),
            SyscallExpression(.pollDescriptor(fd: int(5), events: int(0), returnedEvents: nil)),
        ])))
        let epoll = try onlySyscall("0 epoll_wait(5, [{events=EPOLLIN, fd=4}, {events=0, ptr=0}, {events=1, u32=2}, {events=3, u64=4}], 4, 0) = 4\n")
        #expect(epoll.arguments[1] == SyscallExpression(.array([
            SyscallExpression(.epollEvent(events: word("EPOLLIN"), data: .fd(int(4)))),
            SyscallExpression(.epollEvent(events: int(0), data: .ptr(int(0)))),
            SyscallExpression(.epollEvent(events: int(1), data: .u32(int(2)))),
            SyscallExpression(.epollEvent(events: int(3), data: .u64(int(4)))),
        ])))
    }

    @Test func nestedStructsMplsAndGreValues() throws {
        let call = try onlySyscall("""
            0 getsockopt(3, SOL_TCP, TCP_INFO, {tcpi_state=TCP_CLOSE_WAIT, tcpi_opts={a=[1, 2], b={}}, \
            stack={(label 1, tc 2, [S], ttl 3)}, tunnel={flags [none], sum 0, off 0, key 1, seq 2}}, [104]) = 0
            """)
        #expect(call.arguments[3] == SyscallExpression(.structure([
            SyscallExpression(.assignment(name: "tcpi_state", value: word("TCP_CLOSE_WAIT"))),
            SyscallExpression(.assignment(name: "tcpi_opts", value: SyscallExpression(.structure([
                SyscallExpression(.assignment(name: "a", value: SyscallExpression(.array([int(1), int(2)])))),
                SyscallExpression(.assignment(name: "b", value: SyscallExpression(.mplsStack([])))),
            ])))),
            SyscallExpression(.assignment(name: "stack", value: SyscallExpression(.mplsStack([
                MPLSLabelStackEntry(label: 1, trafficClass: 2, isBottomOfStack: true, ttl: 3),
            ])))),
            SyscallExpression(.assignment(name: "tunnel", value: SyscallExpression(.greHeader(GREHeader(
                flags: .named([.none]), checksum: 0, offset: 0, key: 1, sequence: 2))))),
        ])))
        #expect(call.arguments[4] == SyscallExpression(.array([int(104)])))
    }

    @Test func reservedWordsAreNotArguments() {
        // `ack` is a reserved word of the language, as in packetdrill.
        let found = diagnostics("0 f(ack) = 0\n")
        #expect(found.first?.message.hasPrefix("expected an expression") == true)
        #expect(found.first?.location == LingerScript.SourceLocation(line: 1, column: 5))
    }
}
