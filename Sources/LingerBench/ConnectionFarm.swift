import LingerRun
public import LingerStack
public import LingerWire

/// A Linger stack serving many connections from a peer that writes its segments
/// by hand: every connection is opened (and closed) with real packets through
/// ``NetworkStack/receive(_:)``, the way a remote host would, so what the
/// stack holds for it is exactly what it holds in use.
///
/// Connection `i` comes from 10.(i>>16).(i>>8).(i) port 40000 + i%20000 to
/// 192.168.0.1 port 8080; the peer uses no TCP options beyond MSS 1460.
public final class ConnectionFarm {
    /// The stack.
    public let stack: NetworkStack
    /// The process that listens and accepts.
    public let process: SocketLayer
    /// The listening descriptor.
    public private(set) var listenFD: Int32 = -1
    /// Accepted descriptors still open, by connection number.
    public private(set) var openDescriptors: [Int32] = []
    /// Connections opened so far.
    public private(set) var opened = 0

    let local = IPv4Address(192, 168, 0, 1)
    let localPort: UInt16 = 8080
    let peerISS: UInt32 = 1_000_000
    /// The stack's ISS of each open connection (its SYN-ACK's sequence number).
    var stackISS: [UInt32] = []

    /// A farm whose process may hold `descriptors` descriptors.
    public init(descriptors: Int32 = 1_100_000) throws(BenchError) {
        stack = NetworkStack(addresses: StackAddresses(ipv4: local), seed: 11)
        for (name, value) in [("net.ipv4.tcp_max_tw_buckets", "4000000"), ("net.core.somaxconn", "65535"),
                              ("net.ipv4.tcp_max_syn_backlog", "65535")] {
            do { try stack.setSysctl(name: name, value: value) } catch {
                throw BenchError("cannot set \(name) on the Linger stack: \(error)")
            }
        }
        let files = ProcessFiles()
        files.descriptorLimit = descriptors
        process = SocketLayer(stack: stack, files: files)
        let fd = try call(.socket(domain: 2, type: 1, protocol: 6), "socket")
        _ = try call(.setsockopt(fd: Int32(fd), level: 1, name: 2, value: [1, 0, 0, 0], length: 4), "setsockopt")
        _ = try call(.bind(fd: Int32(fd), address: .ipv4(local, port: localPort), length: 16), "bind")
        _ = try call(.listen(fd: Int32(fd), backlog: 4096), "listen")
        listenFD = Int32(fd)
    }

    /// The peer's address and port of connection `index`.
    public static func peer(_ index: Int) -> (IPv4Address, UInt16) {
        (IPv4Address(10, UInt8(truncatingIfNeeded: index >> 16), UInt8(truncatingIfNeeded: index >> 8),
                     UInt8(truncatingIfNeeded: index)), UInt16(40000 + index % 20000))
    }

    @discardableResult
    func call(_ c: SocketCall, _ what: String) throws(BenchError) -> Int64 {
        switch process.start(c) {
        case .completed(let r):
            guard r.value >= 0 else { throw BenchError("\(what) failed on the Linger stack: errno \(r.errno)") }
            return r.value
        case .blocked:
            throw BenchError("\(what) blocked on the Linger stack")
        }
    }

    func inject(_ index: Int, _ flags: TCPFlags, seq: UInt32, ack: UInt32, options: [TCPOption] = [],
                payload: [UInt8] = []) {
        let (address, port) = Self.peer(index)
        let p = Packet.tcp(from: .v4(address), port, to: .v4(local), localPort, flags: flags, seq: seq, ack: ack,
                           window: 65535, options: options, payload: payload)
        stack.receive(p.serialize())
    }

    /// The sequence number of an IPv4 TCP packet the stack sent.
    static func sequenceNumber(_ bytes: [UInt8]) -> UInt32? {
        guard let first = bytes.first else { return nil }
        let header = Int(first & 0x0f) * 4
        guard bytes.count >= header + 8 else { return nil }
        return UInt32(bytes[header + 4]) << 24 | UInt32(bytes[header + 5]) << 16 | UInt32(bytes[header + 6]) << 8
            | UInt32(bytes[header + 7])
    }

    /// Drops what the stack sent (the peer reads only SYN-ACKs).
    func drainOutbound() { while stack.takeOutbound() != nil {} }

    /// Makes room in the farm's own bookkeeping for `count` more connections, so
    /// that a measurement taken after this call does not charge it to the stack.
    public func reserve(_ count: Int) {
        openDescriptors.reserveCapacity(openDescriptors.count + count)
        stackISS.reserveCapacity(stackISS.count + count)
    }

    /// Opens `count` more connections (SYN, SYN-ACK, ACK, accept()), each left
    /// established and idle with its descriptor open.
    public func open(_ count: Int) throws(BenchError) {
        openDescriptors.reserveCapacity(openDescriptors.count + count)
        stackISS.reserveCapacity(stackISS.count + count)
        for _ in 0..<count {
            let i = opened
            inject(i, [.syn], seq: peerISS, ack: 0, options: [.maximumSegmentSize(1460)])
            guard let synAck = stack.takeOutbound(), let iss = Self.sequenceNumber(synAck.bytes) else {
                throw BenchError("connection \(i): the Linger stack sent no SYN-ACK")
            }
            drainOutbound()
            inject(i, [.ack], seq: peerISS &+ 1, ack: iss &+ 1)
            let fd = try call(.accept(fd: listenFD, flags: nil), "accept of connection \(i)")
            openDescriptors.append(Int32(fd))
            stackISS.append(iss)
            opened += 1
        }
    }

    /// Opens `count` more connections one at a time and closes each at once
    /// from the stack's side (close(), FIN out, the peer's FIN-ACK in), so
    /// that only their TIME_WAIT entries accumulate, not the tables' room
    /// for `count` full sockets.
    public func openAndCloseIntoTimeWait(_ count: Int) throws(BenchError) {
        for _ in 0..<count {
            try open(1)
            try closeAllIntoTimeWait()
        }
    }

    /// Closes every open connection from the stack's side first (close(), FIN
    /// out, the peer's FIN-ACK in), leaving one TIME_WAIT entry each.
    public func closeAllIntoTimeWait() throws(BenchError) {
        let first = opened - openDescriptors.count
        for (k, fd) in openDescriptors.enumerated() {
            let i = first + k
            try call(.close(fd: fd), "close of connection \(i)")
            drainOutbound()
            inject(i, [.fin, .ack], seq: peerISS &+ 1, ack: stackISS[k] &+ 2)
            drainOutbound()
        }
        openDescriptors.removeAll(keepingCapacity: true)
        stackISS.removeAll(keepingCapacity: true)
    }

    /// Turns SO_KEEPALIVE on for every open connection (arms its keepalive timer).
    public func enableKeepalive() throws(BenchError) {
        for fd in openDescriptors {
            try call(.setsockopt(fd: fd, level: 1, name: 9, value: [1, 0, 0, 0], length: 4), "SO_KEEPALIVE")
        }
    }

    /// Writes one byte on every open connection and never acknowledges it, so
    /// each has its retransmission timer armed.
    public func sendUnacknowledgedByte() throws(BenchError) {
        for fd in openDescriptors {
            try call(.write(fd: fd, data: .bytes([0x2a])), "write")
        }
        drainOutbound()
    }

    /// Moves time to `time`, running due timers, and drops what they send.
    public func advance(to time: Int64) {
        var now = stack.now
        while now < time {
            let next = min(time, now + 100_000)
            stack.advance(to: next)
            drainOutbound()
            now = next
        }
    }

}

/// A benchmark that could not run, and why.
public struct BenchError: Error, CustomStringConvertible, Sendable {
    /// What went wrong.
    public var description: String
    /// Creates an error.
    public init(_ description: String) { self.description = description }
}
