public import LingerStack
import LingerRun
import LingerWire

/// Two Linger stacks joined by a wire in memory, on one thread: what one sends
/// the other receives at once, and virtual time moves only when neither has
/// anything to send (to the earlier of their timers).
public final class InMemoryLink {
    /// The client side, 10.0.0.1.
    public let client: NetworkStack
    /// The server side, 10.0.0.2.
    public let server: NetworkStack
    /// The processes on them.
    public let clientProcess: SocketLayer
    public let serverProcess: SocketLayer
    /// Packets carried so far, both ways.
    public private(set) var packetsCarried = 0

    static let clientAddress = IPv4Address(10, 0, 0, 1)
    static let serverAddress = IPv4Address(10, 0, 0, 2)

    /// Two stacks whose devices have `mtu`, with the same extra sysctls on both.
    /// `checksumOffload`: both devices offload TCP checksums, as Linux's lo and
    /// veth do: senders leave only the pseudo-header sum and receivers trust
    /// the segment (``StackAddresses/checksumOffload``).
    public init(mtu: Int, sysctls: [(String, String)] = [], checksumOffload: Bool = false) throws(BenchError) {
        client = NetworkStack(addresses: StackAddresses(ipv4: Self.clientAddress, mtu: mtu, checksumOffload: checksumOffload),
                              seed: 21)
        server = NetworkStack(addresses: StackAddresses(ipv4: Self.serverAddress, mtu: mtu, checksumOffload: checksumOffload),
                              seed: 22)
        for (name, value) in sysctls {
            do {
                try client.setSysctl(name: name, value: value)
                try server.setSysctl(name: name, value: value)
            } catch {
                throw BenchError("cannot set \(name) on the Linger stacks: \(error)")
            }
        }
        clientProcess = SocketLayer(stack: client)
        serverProcess = SocketLayer(stack: server)
    }

    /// Carries every queued packet across, both ways, until both queues are
    /// empty. Returns whether anything moved.
    @discardableResult
    public func carry() -> Bool {
        // A side's queue grows only when it receives: once a side has sent
        // all it held and then received nothing, both queues are empty, and
        // the carry stops there without asking either side again.
        var moved = false
        var first = true
        while true {
            var fromClient = false
            // Each packet's buffer goes back to its sender once delivered.
            // The packet is held across the delivery, so its bytes are lent
            // to the receiver without a retain and release around the call.
            while let p = client.takeOutbound() {
                withExtendedLifetime(p) { server.receive(p.bytes) }
                client.recycle(p)
                packetsCarried += 1
                fromClient = true
            }
            if !fromClient && !first { return moved }
            first = false
            if fromClient { moved = true }
            var fromServer = false
            while let p = server.takeOutbound() {
                withExtendedLifetime(p) { client.receive(p.bytes) }
                server.recycle(p)
                packetsCarried += 1
                fromServer = true
            }
            if !fromServer { return moved }
            moved = true
        }
    }

    /// Moves both clocks to the earlier stack's next timer (or by `atMost`,
    /// if sooner). Returns false when neither has a timer.
    @discardableResult
    public func advanceToNextTimer(atMost: Int64 = 1_000_000) -> Bool {
        let now = max(client.now, server.now)
        let deadlines = [client.nextDeadline(), server.nextDeadline()].compactMap { $0 }
        guard let next = deadlines.min() else { return false }
        let target = min(max(next, now), now + atMost)
        client.advance(to: target)
        server.advance(to: target)
        return true
    }

    /// Virtual time now, microseconds.
    public var now: Int64 { max(client.now, server.now) }

    // MARK: System calls

    /// A call that must complete at once (non-blocking sockets): its result.
    @discardableResult
    static func call(_ process: SocketLayer, _ c: SocketCall) throws(BenchError) -> SocketCallResult {
        try completed(process.start(c), c.name)
    }

    /// The result of a call made directly (not through ``SocketLayer/start(_:)``)
    /// that must complete at once.
    static func completed(_ outcome: SyscallOutcome, _ name: String) throws(BenchError) -> SocketCallResult {
        switch outcome {
        case .completed(let r): return r
        case .blocked: throw BenchError("\(name) blocked on a Linger stack")
        }
    }

    /// A non-blocking TCP socket's descriptor: socket(AF_INET, SOCK_STREAM |
    /// SOCK_NONBLOCK, IPPROTO_TCP), as an event-driven program opens one.
    static func nonBlockingSocket(_ process: SocketLayer) throws(BenchError) -> Int32 {
        // Called directly, as a program calls socket(2): no call value to build and dispatch.
        let fd = process.socket(domain: 2, type: 1 | 0o4000, protocol: 6)
        guard fd.value >= 0 else { throw BenchError("socket failed: errno \(fd.errno)") }
        return Int32(fd.value)
    }

    /// A non-blocking listener on the server, port `port`.
    public func listen(port: UInt16) throws(BenchError) -> Int32 {
        let fd = try Self.nonBlockingSocket(serverProcess)
        try Self.call(serverProcess, .setsockopt(fd: fd, level: 1, name: 2, value: [1, 0, 0, 0], length: 4))
        let b = try Self.call(serverProcess, .bind(fd: fd, address: .ipv4(Self.serverAddress, port: port), length: 16))
        guard b.value == 0 else { throw BenchError("bind failed: errno \(b.errno)") }
        let l = try Self.call(serverProcess, .listen(fd: fd, backlog: 4096))
        guard l.value == 0 else { throw BenchError("listen failed: errno \(l.errno)") }
        return fd
    }

    /// Connects a new non-blocking client socket to the server's `port` and
    /// accepts it there: (client fd, server fd).
    public func connect(port: UInt16, noDelay: Bool = false) throws(BenchError) -> (Int32, Int32) {
        let listener = try listenerFD(port)
        let fd = try Self.nonBlockingSocket(clientProcess)
        if noDelay { try Self.setNoDelay(clientProcess, fd) }
        let c = try Self.completed(
            clientProcess.connect(fd: fd, address: .ipv4(Self.serverAddress, port: port), length: 16), "connect")
        guard c.value == 0 || c.errno == 115 else { throw BenchError("connect failed: errno \(c.errno)") }
        carry()
        // accept4(SOCK_NONBLOCK): the accepted socket is non-blocking too.
        let a = try Self.completed(serverProcess.accept(fd: listener, flags: 0o4000), "accept4")
        guard a.value >= 0 else { throw BenchError("accept failed: errno \(a.errno)") }
        if noDelay { try Self.setNoDelay(serverProcess, Int32(a.value)) }
        return (fd, Int32(a.value))
    }

    /// setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(int)).
    static func setNoDelay(_ process: SocketLayer, _ fd: Int32) throws(BenchError) {
        let r = process.setsockopt(fd: fd, level: 6, name: 1, integer: 1)
        guard r.value == 0 else { throw BenchError("setsockopt(TCP_NODELAY) failed: errno \(r.errno)") }
    }

    var listeners: [UInt16: Int32] = [:]
    /// The listener used last: life cycles connect to one port over and over.
    var lastListener: (port: UInt16, fd: Int32)?

    func listenerFD(_ port: UInt16) throws(BenchError) -> Int32 {
        if let last = lastListener, last.port == port { return last.fd }
        let fd: Int32
        if let known = listeners[port] {
            fd = known
        } else {
            fd = try listen(port: port)
            listeners[port] = fd
        }
        lastListener = (port, fd)
        return fd
    }

}

/// What a bulk transfer measured.
public struct TransferMeasurement: Sendable {
    /// Payload bytes delivered and checked.
    public var bytes: Int
    /// Wall nanoseconds.
    public var nanoseconds: Int64
    /// Virtual microseconds the transfer spanned (Linger only).
    public var virtualMicroseconds: Int64
    /// Packets carried both ways (Linger only).
    public var packets: Int
    /// Payload Gbit/s.
    public var gigabitsPerSecond: Double { Double(bytes) * 8 / Double(max(nanoseconds, 1)) }
}

extension InMemoryLink {
    /// Sends `bytes` of the pattern from client to server in writes of
    /// `writeSize`, reading and checking it on the server as it arrives.
    public func bulkTransfer(bytes total: Int, writeSize: Int = 65536, port: UInt16 = 5001) throws(BenchError)
        -> TransferMeasurement
    {
        let (sender, receiver) = try connect(port: port)
        var sent = 0, received = 0
        var idleRounds = 0
        // The reader's buffer, reused for every read as a program reuses its
        // buffer; writes go straight from the pattern's memory. The stacks copy
        // from and into them as the kernel copies from and to user memory.
        let readSize = 1 << 18
        let readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: readSize, alignment: 64)
        defer { readBuffer.deallocate() }
        let virtualStart = now
        let start = monotonicNanoseconds()
        while received < total {
            var progressed = false
            // One write, then the wire and the reader, as loopback delivers a
            // write's segments before the call returns: the bytes in flight
            // stay few (and in cache) rather than a whole send buffer's worth.
            if sent < total {
                let n = min(writeSize, total - sent, PayloadPattern.longestRun)
                let r = PayloadPattern.withBytes(at: sent) { pattern in
                    clientProcess.send(fd: sender, bytes: UnsafeRawBufferPointer(start: pattern, count: n))
                }
                if r.value > 0 {
                    sent += Int(r.value)
                    progressed = true
                } else if r.errno != 11 {
                    throw BenchError("Linger: write failed: errno \(r.errno)")
                }
            }
            if carry() { progressed = true }
            while true {
                let r = serverProcess.receive(fd: receiver, into: readBuffer)
                if r.value == 0 { throw BenchError("Linger: the stream ended after \(received) bytes") }
                if r.value < 0 {
                    guard r.errno == 11 else { throw BenchError("Linger: read failed: errno \(r.errno)") }
                    break
                }
                let data = UnsafeRawBufferPointer(rebasing: readBuffer[..<Int(r.value)])
                guard PayloadPattern.matches(data, at: received) else {
                    throw BenchError("Linger: bytes \(received)..<\(received + data.count) arrived altered")
                }
                received += data.count
                progressed = true
            }
            if carry() { progressed = true }
            if !progressed {
                idleRounds += 1
                guard idleRounds < 100_000, advanceToNextTimer() else {
                    throw BenchError("Linger: transfer stalled at \(received) of \(total) bytes")
                }
            } else {
                idleRounds = 0
            }
        }
        let elapsed = monotonicNanoseconds() - start
        return TransferMeasurement(bytes: received, nanoseconds: elapsed, virtualMicroseconds: now - virtualStart,
                                   packets: packetsCarried)
    }

    /// Complete connection life cycles: connect, 1-byte request, 1-byte
    /// response, client closes, server reads the end and closes, until the
    /// client holds the connection's TIME_WAIT entry. Returns wall nanoseconds.
    public func lifecycles(_ count: Int, port: UInt16 = 5002) throws(BenchError) -> Int64 {
        let before = client.timeWaitEntryCount
        // write(fd, "Q", 1) and read(fd, &byte, 1) on the program's own
        // memory, as a client and server pass it to the kernel.
        let byte = UnsafeMutableRawBufferPointer.allocate(byteCount: 1, alignment: 1)
        defer { byte.deallocate() }
        let start = monotonicNanoseconds()
        for i in 0..<count {
            let (c, s) = try connect(port: port, noDelay: true)
            try passByte(0x51, from: clientProcess, fd: c, to: serverProcess, fd: s, through: byte, what: "request", cycle: i)
            try passByte(0x52, from: serverProcess, fd: s, to: clientProcess, fd: c, through: byte, what: "response", cycle: i)
            _ = try Self.completed(clientProcess.close(fd: c), "close")
            carry()
            let end = serverProcess.receive(fd: s, into: byte)
            guard end.value == 0 else { throw BenchError("Linger: cycle \(i): server saw no end (errno \(end.errno))") }
            _ = try Self.completed(serverProcess.close(fd: s), "close")
            carry()
        }
        let elapsed = monotonicNanoseconds() - start
        let made = client.timeWaitEntryCount - before
        guard made == count else {
            throw BenchError("Linger: \(count) life cycles left \(made) TIME_WAIT entries on the client")
        }
        return elapsed
    }

    /// One byte written on one side, carried across, and read back on the other.
    private func passByte(_ value: UInt8, from sender: SocketLayer, fd sendFD: Int32, to receiver: SocketLayer,
                          fd receiveFD: Int32, through buffer: UnsafeMutableRawBufferPointer, what: String,
                          cycle: Int) throws(BenchError) {
        var value = value
        let sent = withUnsafeBytes(of: &value) { sender.send(fd: sendFD, bytes: $0) }
        guard sent.value == 1 else { throw BenchError("Linger: cycle \(cycle): \(what) write failed (errno \(sent.errno))") }
        carry()
        let got = receiver.receive(fd: receiveFD, into: buffer)
        guard got.value == 1, buffer[0] == value else {
            throw BenchError("Linger: cycle \(cycle): no \(what) (errno \(got.errno))")
        }
    }
}
