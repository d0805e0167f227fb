import LingerRun
import Testing

@testable import LingerStack

/// Closed open file descriptions are kept for reuse (as struct file comes from
/// a slab cache): a reused object carries nothing of its last life, and one
/// that anyone else still holds is never reused.
@Suite struct OpenFilePoolTests {
    func newSocket(_ h: StackHarness, type: Int32 = 1) -> Int32 {
        Int32(h.call(.socket(domain: h.family, type: type, protocol: 6)).value)
    }

    func identity(_ files: ProcessFiles, _ fd: Int32) -> ObjectIdentifier? {
        files.file(fd).map(ObjectIdentifier.init)
    }

    @Test func aReusedFileCarriesNothingOver() {
        let h = StackHarness()
        let files = h.process.files
        let fd = newSocket(h, type: 1 | SOCK_NONBLOCK | SOCK_CLOEXEC)
        #expect(h.call(.fcntl(fd: fd, command: F_SETFL, argument: Int64(O_NONBLOCK | O_APPEND))).value == 0)
        #expect(h.call(.listen(fd: fd, backlog: 5)).value == 0)
        // Identities only: a reference held here would keep the object from reuse.
        let object = identity(files, fd)
        #expect(h.call(.close(fd: fd)).value == 0)
        #expect(files.spareCount == 1)

        let again = newSocket(h)
        #expect(again == fd)
        #expect(files.spareCount == 0)
        guard let reused = files.file(again) else {
            Issue.record("socket() installed no file")
            return
        }
        #expect(object != nil)
        #expect(ObjectIdentifier(reused) == object, "the closed description's object is reused")
        #expect(reused.references == 1)
        // The old socket was a listener (its memory may hold the new one: no identity test).
        #expect(reused.socket?.state == .close)
        #expect(h.call(.fcntl(fd: again, command: F_GETFL, argument: nil)).value == Int64(O_RDWR))
        #expect(h.call(.fcntl(fd: again, command: F_GETFD, argument: nil)).value == 0)
        #expect(!files.isCloseOnExec(again))
    }

    @Test func aFileStillHeldIsNotReused() {
        let h = StackHarness()
        let files = h.process.files
        let fd = newSocket(h)
        let held = files.file(fd)
        #expect(h.call(.close(fd: fd)).value == 0)
        #expect(files.spareCount == 0)
        #expect(held?.socket != nil, "the holder's object keeps its socket")
        let next = newSocket(h)
        #expect(files.file(next) !== held)
    }

    @Test func aPipeEndAnEpollSetHoldsIsNotReused() {
        let h = StackHarness()
        let files = h.process.files
        let ep = Int32(h.call(.epollCreate(size: 1)).value)
        guard case .pipe(let readEnd, _) = h.call(.pipe).output else {
            Issue.record("pipe() gave no descriptors")
            return
        }
        let add = h.call(.epollControl(epollFD: ep, operation: EPOLL_CTL_ADD, fd: readEnd,
                                       event: EpollEvent(events: 1, data: 7)))
        #expect(add.value == 0)
        #expect(h.call(.close(fd: readEnd)).value == 0)
        #expect(files.spareCount == 0, "the epoll item still holds the read end")
    }

    @Test func aSocketWatchedByEpollIsReusedWithoutItsRegistration() {
        let h = StackHarness()
        let files = h.process.files
        let ep = Int32(h.call(.epollCreate(size: 1)).value)
        let fd = newSocket(h)
        #expect(h.call(.listen(fd: fd, backlog: 5)).value == 0)
        let add = h.call(.epollControl(epollFD: ep, operation: EPOLL_CTL_ADD, fd: fd,
                                       event: EpollEvent(events: 0x4, data: 9)))
        #expect(add.value == 0)
        #expect(h.call(.close(fd: fd)).value == 0)
        #expect(files.spareCount == 1, "closing dropped the registration, so no one holds the file")
        let again = newSocket(h)
        #expect(again == fd)
        let r = h.call(.epollWait(epollFD: ep, maxEvents: 8, timeoutMilliseconds: 0))
        #expect(r.value == 0)
        if case .epollEvents(let events) = r.output { #expect(events.isEmpty) }
    }
}
