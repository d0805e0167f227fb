import LingerRun
import LingerWire
import Testing

@testable import LingerStack

/// Descriptors and open file descriptions: numbering, dup/dup2 sharing, and
/// close() releasing the socket only with its last reference (spec section 1).
@Suite struct FileTableTests {
    @Test func descriptorsStartAtThreeAndReuseTheLowest() {
        let h = StackHarness()
        let a = h.call(.socket(domain: h.family, type: 1, protocol: 6)).value
        let b = h.call(.socket(domain: h.family, type: 1, protocol: 6)).value
        #expect(a == 3)
        #expect(b == 4)
        #expect(h.call(.close(fd: 3)).value == 0)
        #expect(h.call(.socket(domain: h.family, type: 1, protocol: 6)).value == 3)
    }

    @Test func closingABadDescriptorFailsWithEBADF() {
        let h = StackHarness()
        let r = h.call(.close(fd: 42))
        #expect(r.value == -1)
        #expect(r.errno == LinuxNumbers.EBADF)
        let twice = h.call(.socket(domain: h.family, type: 1, protocol: 6)).value
        #expect(h.call(.close(fd: Int32(twice))).value == 0)
        #expect(h.call(.close(fd: Int32(twice))).errno == LinuxNumbers.EBADF)
    }

    @Test func socketCallsOnAPipeFailWithENOTSOCK() {
        let h = StackHarness()
        guard case .pipe(let readEnd, _) = h.call(.pipe).output else {
            Issue.record("pipe() gave no descriptors")
            return
        }
        let r = h.call(.listen(fd: readEnd, backlog: 1))
        #expect(r.errno == LinuxNumbers.ENOTSOCK)
    }

    @Test func dupSharesTheConnectionAndOnlyTheLastCloseSendsTheFIN() {
        let h = StackHarness()
        let fd = h.acceptedConnection()
        #expect(fd == 4)
        let copy = Int32(h.call(.dup(fd: fd)).value)
        #expect(copy == 5)
        #expect(h.call(.close(fd: fd)).value == 0)
        h.wait(10_000)
        #expect(h.packet() == nil, "closing one of two references sends nothing")
        #expect(h.tcpState(copy) == LinuxNumbers.TCP_ESTABLISHED)
        #expect(h.call(.close(fd: copy)).value == 0)
        guard let fin = h.packet() else {
            Issue.record("no FIN after the last close")
            return
        }
        #expect(fin.tcp?.flags == [.fin, .ack])
        #expect(h.relSeq(fin) == 1)
    }

    @Test func dup2ReplacesTheTargetAndKeepsTheSource() {
        let h = StackHarness()
        let a = Int32(h.call(.socket(domain: h.family, type: 1, protocol: 6)).value)
        let b = Int32(h.call(.socket(domain: h.family, type: 1, protocol: 6)).value)
        #expect(h.call(.dup2(fd: a, newFD: b)).value == Int64(b))
        // Both numbers now name the first socket: bind through one, SO_ERROR through the other.
        #expect(h.call(.bind(fd: a, address: h.localSocketAddress, length: 16)).value == 0)
        let again = h.call(.bind(fd: b, address: h.localSocketAddress, length: 16))
        #expect(again.errno == LinuxNumbers.EINVAL, "the shared socket is already bound")
        #expect(h.call(.dup2(fd: a, newFD: a)).value == Int64(a))
        #expect(h.call(.dup2(fd: 99, newFD: a)).errno == LinuxNumbers.EBADF)
    }

    @Test func shutdownActsThroughAnyReference() {
        let h = StackHarness()
        let fd = h.acceptedConnection()
        let copy = Int32(h.call(.dup(fd: fd)).value)
        #expect(h.call(.shutdown(fd: copy, how: LinuxNumbers.SHUT_WR)).value == 0)
        let fin = h.packet()
        #expect(fin?.tcp?.flags == [.fin, .ack], "shutdown() ignores the reference count")
        let write = h.call(.write(fd: fd, data: .bytes([1, 2, 3])))
        #expect(write.errno == LinuxNumbers.EPIPE)
    }

    @Test func nonBlockingFlagIsPerOpenFileDescription() {
        let h = StackHarness()
        let fd = Int32(h.call(.socket(domain: h.family, type: 1, protocol: 6)).value)
        #expect(h.call(.fcntl(fd: fd, command: LinuxNumbers.F_GETFL, argument: nil)).value == Int64(LinuxNumbers.O_RDWR))
        let copy = Int32(h.call(.dup(fd: fd)).value)
        #expect(h.call(.fcntl(fd: fd, command: LinuxNumbers.F_SETFL,
                              argument: Int64(LinuxNumbers.O_RDWR | LinuxNumbers.O_NONBLOCK))).value == 0)
        // dup() shares the description, so the copy sees O_NONBLOCK too.
        let flags = h.call(.fcntl(fd: copy, command: LinuxNumbers.F_GETFL, argument: nil)).value
        #expect(flags & Int64(LinuxNumbers.O_NONBLOCK) != 0)
    }

    @Test func exitClosesEveryDescriptorIgnoringLinger() {
        let h = StackHarness()
        let fd = h.acceptedConnection()
        // SO_LINGER {1, 5}: close() would block; an exiting process does not linger.
        h.call(.setsockopt(fd: fd, level: LinuxNumbers.SOL_SOCKET, name: LinuxNumbers.SO_LINGER,
                           value: h.int(1) + h.int(5), length: 8))
        h.process.exitProcess()
        let fin = h.packet()
        #expect(fin?.tcp?.flags == [.fin, .ack])
        #expect(h.process.files.openDescriptors.isEmpty)
    }

    /// Three connections accepted on one listener, from ports 40000, 40001, 40002.
    func threeConnections(_ h: StackHarness) -> [Int32] {
        let lfd = h.listener()
        var fds: [Int32] = []
        for port: UInt16 in 40000...40002 {
            h.remotePort = port
            h.inject([.syn], seq: h.peerISS, options: [.maximumSegmentSize(1460)])
            guard let synAck = h.packet(), let isn = synAck.tcp?.sequenceNumber.rawValue else {
                Issue.record("no SYN-ACK")
                return []
            }
            h.inject([.ack], seq: h.peerISS + 1, ack: isn &+ 1)
            fds.append(Int32(h.call(.accept(fd: lfd, flags: nil)).value))
        }
        return fds
    }

    /// As the kernel does (KernelBackendExitTests.exitReleasesTheHighestDescriptorFirst):
    /// exit_files drops references in ascending order and the task work that releases
    /// the files runs newest first.
    @Test func exitReleasesTheHighestDescriptorFirst() {
        let h = StackHarness()
        #expect(threeConnections(h) == [4, 5, 6])
        #expect(h.call(.exit).value == 0)
        var order: [UInt16] = []
        while let p = h.packet() {
            #expect(p.tcp?.flags == [.fin, .ack])
            order.append(p.tcp?.destinationPort ?? 0)
        }
        #expect(order == [40002, 40001, 40000])
    }

    @Test func afterExitNoCallRuns() {
        let h = StackHarness()
        _ = h.listener()
        #expect(h.call(.exit).value == 0)
        #expect(h.process.files.openDescriptors.isEmpty)
        #expect(h.process.hasExited)
        #expect(h.call(.socket(domain: h.family, type: 1, protocol: 6)).errno == 3)  // ESRCH
        #expect(h.call(.exit).errno == 3)
    }

    /// dup2 onto a descriptor whose socket has another reference only drops that
    /// reference; onto the last one it releases the socket, and with SO_LINGER {1, t}
    /// the call waits for the FIN's ACK as close() does (kernel: Tests/Scripts
    /// dup2-over-lingering-socket-waits-like-close.pkt).
    @Test func dup2OntoASocketClosesItsReference() {
        let h = StackHarness()
        let fd = h.acceptedConnection()
        let copy = Int32(h.call(.dup(fd: fd)).value)
        #expect(h.call(.dup2(fd: 3, newFD: copy)).value == Int64(copy))
        #expect(h.packet() == nil, "another descriptor still holds the connection")
        h.call(.setsockopt(fd: fd, level: LinuxNumbers.SOL_SOCKET, name: LinuxNumbers.SO_LINGER,
                           value: h.int(1) + h.int(3), length: 8))
        guard let wait = h.blockingCall(.dup2(fd: 3, newFD: fd)) else { return }
        #expect(h.packet()?.tcp?.flags == [.fin, .ack])
        #expect(wait.poll() == nil)
        h.inject([.ack], seq: h.peerISS + 1, ack: h.iss &+ 2)
        #expect(wait.poll() == SocketCallResult(value: Int64(fd)))
        // Both numbers now name the listener.
        #expect(h.tcpState(fd) == LinuxNumbers.TCP_LISTEN)
    }
}
