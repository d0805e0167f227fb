import LingerRun
import Testing

@testable import LingerStack

/// The calls made on the caller's memory (setsockopt with an int, send and recv
/// on the caller's buffers) answer exactly as the same calls made with arrays.
@Suite struct CallerMemoryCallTests {
    @Test func setsockoptWithAnIntAnswersAsTheByteForm() {
        let h = StackHarness()
        let fd = Int32(h.call(.socket(domain: h.family, type: 1, protocol: 6)).value)
        let set = h.process.setsockopt(fd: fd, level: LinuxNumbers.SOL_TCP, name: LinuxNumbers.TCP_NODELAY, integer: 1)
        #expect(set.value == 0)
        let got = h.call(.getsockopt(fd: fd, level: LinuxNumbers.SOL_TCP, name: LinuxNumbers.TCP_NODELAY, length: 4))
        #expect(got.value == 0)
        #expect(got.output == .option([1, 0, 0, 0]))
        // An unknown option and a descriptor that is not open fail the same way.
        let unknown = h.process.setsockopt(fd: fd, level: LinuxNumbers.SOL_TCP, name: 9999, integer: 1)
        let unknownBytes = h.call(.setsockopt(fd: fd, level: LinuxNumbers.SOL_TCP, name: 9999, value: [1, 0, 0, 0],
                                              length: 4))
        #expect(unknown.value == -1)
        #expect(unknown == unknownBytes)
        let closed = h.process.setsockopt(fd: 42, level: LinuxNumbers.SOL_TCP, name: LinuxNumbers.TCP_NODELAY, integer: 1)
        #expect(closed.errno == LinuxNumbers.EBADF)
    }

    @Test func sendAndReceiveOnCallerMemoryCarryTheBytes() throws {
        let h = StackHarness()
        let fd = h.acceptedConnection()
        let payload: [UInt8] = [7, 8, 9]
        let sent = payload.withUnsafeBytes { h.process.send(fd: fd, bytes: $0) }
        #expect(sent.value == 3)
        let out = try #require(h.packet())
        #expect(Array(out.payload) == payload)
        // Nothing to read yet: a recv on caller memory answers EAGAIN, never sleeps.
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 8, alignment: 1)
        defer { buffer.deallocate() }
        let empty = h.process.receive(fd: fd, into: buffer)
        #expect(empty.value == -1)
        #expect(empty.errno == LinuxNumbers.EAGAIN)
    }
}
