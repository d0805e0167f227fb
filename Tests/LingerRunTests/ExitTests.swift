import LingerRun
import LingerWire
import Testing

/// The runner's `exit()` pseudo-call and what it does to the script's descriptors.
@Suite struct ExitTests {
    /// The established connection of a passive open on fd 3 / fd 4 (lines 1-8).
    let connected = listenPreamble + """
    +0 < S 0:0(0) win 32792
    +0 > S. 0:0(0) ack 1 <...>
    +.1 < . 1:1(0) ack 1 win 257
    +0 accept(3, ..., ...) = 4

    """

    func calls(_ backend: FakeBackend, _ name: String) -> Int {
        backend.calls.filter { $0.call.name == name }.count
    }

    /// exit() reaches the backend as `.exit`; packets still go both ways after it
    /// (orphans live on), and the end of the script does not exit a second time but
    /// still resets the connection so nothing outlives the run.
    @Test func exitRunsOnceAndPacketsGoOnAfterIt() {
        let backend = FakeBackend()
        answerSYN(backend)
        backend.respond = { call, backend in
            if case .exit = call { backend.send([.fin, .ack], seq: 5001, ack: 1) }
            return backend.defaultAnswer(call)
        }
        let result = run(connected + """
        +.1 exit() = 0
        +0 > F. 1:1(0) ack 1
        +.1 < F. 1:1(0) ack 2 win 257
        """, on: backend)
        #expect(result.verdict == .passed, "\(result.message ?? "")")
        #expect(calls(backend, "exit") == 1)
        #expect(calls(backend, "close") == 0)
        #expect(backend.finished)
        // The last injection is the runner's own reset of the connection.
        #expect(backend.injected.last?.packet.tcp?.flags == [.rst, .ack])
    }

    /// packetdrill closes what is left with close(); Linger ends the process instead,
    /// so a socket with SO_LINGER {1, t} does not hold up the end of the run.
    @Test func theEndOfTheScriptExitsTheProcess() {
        let backend = FakeBackend()
        answerSYN(backend)
        let result = run(connected + """
        +0 setsockopt(4, SOL_SOCKET, SO_LINGER, {onoff=1, linger=5}, 8) = 0
        """, on: backend)
        #expect(result.verdict == .passed, "\(result.message ?? "")")
        #expect(backend.calls.last?.call == .exit)
        #expect(calls(backend, "close") == 0)
    }

    @Test func aCallAfterExitFailsBeforeTheScriptRuns() {
        let backend = FakeBackend()
        let result = run("""
        0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
        +1 exit() = 0
        +1 close(3) = 0
        """, on: backend)
        #expect(result.message == "/tmp/scripts/script.pkt:3: runtime error in close call: the script's process has exited (exit() at line 2)")
        #expect(backend.calls.isEmpty)
        let twice = run("""
        0 exit() = 0
        +0 exit() = 0
        """, on: FakeBackend())
        #expect(twice.message == "/tmp/scripts/script.pkt:2: runtime error in exit call: the script's process has exited (exit() at line 1)")
    }

    @Test func aCodeBlockAfterExitFailsBeforeTheScriptRuns() {
        let backend = FakeBackend()
        let result = run("""
        0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
        +0 exit() = 0
        +0 %{ assert tcpi_state == 7 }%
        """, on: backend)
        #expect(result.message == "/tmp/scripts/script.pkt:3: runtime error in code: the script's process has exited (exit() at line 2): no socket is left to read tcp_info from")
        #expect(backend.calls.isEmpty)
    }

    @Test func exitTakesNoArguments() {
        let result = run("0 exit(0) = 0", on: FakeBackend())
        #expect(result.message == "/tmp/scripts/script.pkt:1: runtime error in exit call: Expected 0 args but got 1")
    }

    /// Linux would end the blocked thread with the process, and its return could not
    /// be checked: the runner says so rather than guess.
    @Test func exitWhileACallIsBlockedIsUnsupported() {
        let backend = FakeBackend()
        backend.respond = { call, backend in
            if case .accept = call { return .blocked }
            return backend.defaultAnswer(call)
        }
        let result = run(listenPreamble + """
        +0...2 accept(3, ..., ...) = 4
        +.1 exit() = 0
        """, on: backend)
        #expect(result.verdict == .unsupported)
        #expect(result.message == "/tmp/scripts/script.pkt:6: exit() while the blocking accept call of line 5 is still in progress is not supported by linger")
        #expect(calls(backend, "exit") == 0)
    }

    /// A descriptor the script closed reaches the system under test as a number no
    /// process has open, so the script can show EBADF; a number the script never
    /// opened stays an error in the script.
    @Test func aClosedDescriptorIsPassedAsOneNoProcessHasOpen() {
        let backend = FakeBackend()
        backend.respond = { call, backend in
            switch call {
            case .close(Int32.max), .read(Int32.max, _), .dup(Int32.max):
                return .finished(CallCompletion(result: .failure(9), time: backend.clock))
            default:
                return backend.defaultAnswer(call)
            }
        }
        let result = run("""
        0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
        +0 close(3) = 0
        +0 close(3) = -1 EBADF (Bad file descriptor)
        +0 read(3, ..., 10) = -1 EBADF (Bad file descriptor)
        +0 dup(3) = -1 EBADF (Bad file descriptor)
        """, on: backend)
        #expect(result.verdict == .passed, "\(result.message ?? "")")
        #expect(backend.calls.map(\.call).contains(.close(fd: Int32.max)))
        let never = run("""
        0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
        +0 close(5) = -1 EBADF (Bad file descriptor)
        """, on: FakeBackend())
        #expect(never.message == "/tmp/scripts/script.pkt:2: runtime error in close call: unable to find fd with script fd 5")
    }
}
