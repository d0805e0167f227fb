import LingerRun
import LingerWire
import Testing

@testable import LingerStack

/// Bad input of every kind: the stack never traps, whatever bytes, segments or
/// system-call arguments it is handed.
@Suite struct RobustnessTests {
    /// A deterministic generator for the fuzzers.
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return state >> 11
        }
        mutating func below(_ n: Int) -> Int { n <= 0 ? 0 : Int(next() % UInt64(n)) }
        mutating func bool() -> Bool { next() & 1 == 1 }
    }

    @Test func arbitraryBytesAreDropped() {
        let h = StackHarness()
        _ = h.listener()
        var g = Generator(state: 1)
        for _ in 0..<3000 {
            var bytes = (0..<g.below(120)).map { _ in UInt8(truncatingIfNeeded: g.next()) }
            if g.bool(), !bytes.isEmpty { bytes[0] = g.bool() ? 0x45 : 0x60 }
            h.stack.receive(bytes)
        }
        // Still a working listener afterwards.
        h.inject([.syn], seq: 5, options: [.maximumSegmentSize(1460)])
        #expect(h.packet()?.tcp?.flags == [.syn, .ack])
    }

    @Test func randomSegmentsAgainstEveryStateNeverTrap() {
        var g = Generator(state: 99)
        for round in 0..<60 {
            let h = StackHarness(seed: UInt64(round))
            let fd = h.acceptedConnection(window: UInt16(truncatingIfNeeded: g.next()))
            let flagsChoices: [TCPFlags] = [[.ack], [.syn], [.fin, .ack], [.rst], [.rst, .ack], [.syn, .ack], [.psh, .ack],
                                            [], [.fin], [.urg, .ack], [.syn, .fin], [.ece, .cwr, .ack]]
            for step in 0..<200 {
                let flags = flagsChoices[g.below(flagsChoices.count)]
                let near = g.bool()
                let seq = near ? h.peerISS &+ UInt32(truncatingIfNeeded: g.below(4000)) : UInt32(truncatingIfNeeded: g.next())
                let ack = near ? h.iss &+ UInt32(truncatingIfNeeded: g.below(4000)) : UInt32(truncatingIfNeeded: g.next())
                var options: [TCPOption] = []
                if g.bool() { options.append(.timestamps(value: UInt32(truncatingIfNeeded: g.next()), echoReply: UInt32(truncatingIfNeeded: g.next()))) }
                if g.bool() {
                    let left = h.iss &+ UInt32(truncatingIfNeeded: g.below(5000))
                    options.append(.sack([SACKBlock(left: left, right: left &+ UInt32(truncatingIfNeeded: g.below(3000)))]))
                }
                if g.below(10) == 0 { options.append(.windowScale(UInt8(truncatingIfNeeded: g.next()))) }
                if g.below(10) == 0 { options.append(.maximumSegmentSize(UInt16(truncatingIfNeeded: g.next()))) }
                let payload = [UInt8](repeating: 1, count: g.below(3) == 0 ? g.below(3000) : 0)
                h.inject(flags, seq: seq, ack: ack, window: UInt16(truncatingIfNeeded: g.next()), options: options,
                         payload: payload)
                switch step % 9 {
                case 0: _ = h.process.start(.write(fd: fd, data: .bytes([UInt8](repeating: 2, count: g.below(20000)))))
                case 1: _ = h.process.start(.read(fd: fd, buffer: .capacity(g.below(5000))))
                case 2: h.wait(Int64(g.below(3_000_000)))
                case 3: _ = h.process.start(.ioctl(fd: fd, request: [0x541B, 0x5411, 0x894B][g.below(3)]))
                case 4: _ = h.process.start(.getsockopt(fd: fd, level: 6, name: 11, length: 248))
                case 5 where g.below(20) == 0: _ = h.process.start(.shutdown(fd: fd, how: Int32(g.below(4)) - 1))
                default: break
                }
                while h.stack.takeOutbound() != nil {}
            }
            _ = h.process.start(.close(fd: fd))
            h.wait(200_000_000)
        }
    }

    @Test func badSystemCallArgumentsGetErrnoNotTraps() {
        let h = StackHarness()
        var g = Generator(state: 5)
        let fd = Int32(h.call(.socket(domain: h.family, type: 1, protocol: 6)).value)
        let weird: [Int32] = [-1, 0, 1, 2, 3, 4, 99, Int32.max, Int32.min, 1024, 65535]
        for _ in 0..<3000 {
            let target = g.bool() ? fd : weird[g.below(weird.count)]
            let value: Int32 = weird[g.below(weird.count)]
            let bytes: [UInt8]? = g.below(4) == 0 ? nil : (0..<g.below(20)).map { _ in UInt8(truncatingIfNeeded: g.next()) }
            let call: SocketCall
            switch g.below(14) {
            case 0: call = .setsockopt(fd: target, level: weird[g.below(weird.count)] & 63, name: value & 127, value: bytes,
                                       length: UInt32(bitPattern: weird[g.below(weird.count)]))
            case 1: call = .getsockopt(fd: target, level: [0, 1, 6, 41][g.below(4)], name: value & 127,
                                       length: UInt32(bitPattern: value))
            case 2: call = .fcntl(fd: target, command: value & 2047, argument: Int64(value))
            case 3: call = .ioctl(fd: target, request: UInt64(UInt32(bitPattern: value)))
            case 4: call = .listen(fd: target, backlog: value)
            case 5: call = .shutdown(fd: target, how: value)
            case 6: call = .bind(fd: target, address: .ipv4(IPv4Address(UInt32(bitPattern: value)), port: UInt16(truncatingIfNeeded: value)),
                                 length: UInt32(bitPattern: value))
            case 7: call = .poll(descriptors: [PollDescriptor(fd: target, events: Int16(truncatingIfNeeded: value))], timeoutMilliseconds: 0)
            case 8: call = .epollCreate(size: value)
            case 9: call = .epollControl(epollFD: target, operation: value, fd: fd, event: EpollEvent(events: UInt32(bitPattern: value), data: 0))
            case 10: call = .epollWait(epollFD: target, maxEvents: value, timeoutMilliseconds: 0)
            case 11: call = .dup2(fd: target, newFD: value)
            case 12: call = .socket(domain: value, type: value, protocol: value)
            default: call = .accept(fd: target, flags: value)
            }
            if case .completed(let r) = h.process.start(call), r.value < 0 {
                #expect(r.errno > 0, "\(call.name) failed without an errno")
            }
        }
    }
}
