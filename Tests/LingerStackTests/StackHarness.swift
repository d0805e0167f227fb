import LingerRun
import LingerWire
import Testing

@testable import LingerStack

/// Linux's numbers, written out independently of the stack's own tables.
enum LinuxNumbers {
    static let AF_INET: Int32 = 2
    static let AF_INET6: Int32 = 10
    static let SOCK_STREAM: Int32 = 1
    static let IPPROTO_TCP: Int32 = 6
    static let SOL_SOCKET: Int32 = 1
    static let SOL_TCP: Int32 = 6
    static let SO_REUSEADDR: Int32 = 2
    static let SO_ERROR: Int32 = 4
    static let SO_SNDBUF: Int32 = 7
    static let SO_RCVBUF: Int32 = 8
    static let SO_KEEPALIVE: Int32 = 9
    static let SO_LINGER: Int32 = 13
    static let TCP_NODELAY: Int32 = 1
    static let TCP_MAXSEG: Int32 = 2
    static let TCP_INFO: Int32 = 11
    static let TCP_LINGER2: Int32 = 8
    static let SHUT_RD: Int32 = 0
    static let SHUT_WR: Int32 = 1
    static let F_GETFL: Int32 = 3
    static let F_SETFL: Int32 = 4
    static let O_RDWR: Int32 = 2
    static let O_NONBLOCK: Int32 = 0o4000
    static let SIOCINQ: UInt64 = 0x541B
    static let SIOCOUTQ: UInt64 = 0x5411
    static let SIOCOUTQNSD: UInt64 = 0x894B
    static let EBADF: Int32 = 9
    static let EAGAIN: Int32 = 11
    static let EINVAL: Int32 = 22
    static let EPIPE: Int32 = 32
    static let ENOTSOCK: Int32 = 88
    static let EADDRINUSE: Int32 = 98
    static let ECONNRESET: Int32 = 104
    static let ENOTCONN: Int32 = 107
    static let ETIMEDOUT: Int32 = 110
    static let ECONNREFUSED: Int32 = 111
    static let EINPROGRESS: Int32 = 115
    // tcp_states.h
    static let TCP_ESTABLISHED: UInt8 = 1
    static let TCP_SYN_SENT: UInt8 = 2
    static let TCP_FIN_WAIT1: UInt8 = 4
    static let TCP_FIN_WAIT2: UInt8 = 5
    static let TCP_CLOSE: UInt8 = 7
    static let TCP_CLOSE_WAIT: UInt8 = 8
    static let TCP_LAST_ACK: UInt8 = 9
    static let TCP_LISTEN: UInt8 = 10
    static let TCP_CLOSING: UInt8 = 11
}

/// A stack, one process on it, and a peer that builds segments by hand: every
/// test drives the stack with real packets and reads real packets back.
final class StackHarness {
    let stack: NetworkStack
    let process: SocketLayer
    let local: IPAddress
    let remote: IPAddress
    let localPort: UInt16 = 8080
    var remotePort: UInt16 = 40000
    /// The stack's initial sequence number, learned from its SYN or SYN-ACK.
    var iss: UInt32 = 0
    /// The peer's initial sequence number.
    let peerISS: UInt32 = 1_000_000

    init(ipv6: Bool = false, seed: UInt64 = 7) {
        if ipv6 {
            local = .v6(IPv6Address("fd3d:fa7b:d17d::1")!)
            remote = .v6(IPv6Address("2001:db8::1")!)
            stack = NetworkStack(addresses: StackAddresses(ipv6: IPv6Address("fd3d:fa7b:d17d::1")!), seed: seed)
        } else {
            local = .v4(IPv4Address(192, 168, 0, 1))
            remote = .v4(IPv4Address(192, 0, 2, 1))
            stack = NetworkStack(addresses: StackAddresses(ipv4: IPv4Address(192, 168, 0, 1)), seed: seed)
        }
        process = SocketLayer(stack: stack)
    }

    var family: Int32 { if case .v6 = local { LinuxNumbers.AF_INET6 } else { LinuxNumbers.AF_INET } }

    var localSocketAddress: SocketAddress {
        switch local {
        case .v4(let a): .ipv4(a, port: localPort)
        case .v6(let a): .ipv6(a, port: localPort)
        }
    }

    var remoteSocketAddress: SocketAddress {
        switch remote {
        case .v4(let a): .ipv4(a, port: 8080)
        case .v6(let a): .ipv6(a, port: 8080)
        }
    }

    // MARK: Time

    /// Lets `microseconds` pass, running the stack's timers.
    func wait(_ microseconds: Int64) { stack.advance(to: stack.now + microseconds) }

    // MARK: System calls

    /// A call that must complete at once.
    @discardableResult
    func call(_ c: SocketCall, sourceLocation: SourceLocation = #_sourceLocation) -> SocketCallResult {
        switch process.start(c) {
        case .completed(let r): return r
        case .blocked:
            Issue.record("\(c.name) blocked", sourceLocation: sourceLocation)
            return .failure(-1)
        }
    }

    /// A call expected to block; returns the blocked call.
    func blockingCall(_ c: SocketCall, sourceLocation: SourceLocation = #_sourceLocation) -> BlockedCall? {
        switch process.start(c) {
        case .completed(let r):
            Issue.record("\(c.name) did not block: \(r)", sourceLocation: sourceLocation)
            return nil
        case .blocked(let b): return b
        }
    }

    /// socket + SO_REUSEADDR + bind + listen on port 8080; returns the descriptor.
    func listener(backlog: Int32 = 8) -> Int32 {
        let fd = Int32(call(.socket(domain: family, type: LinuxNumbers.SOCK_STREAM, protocol: LinuxNumbers.IPPROTO_TCP)).value)
        call(.setsockopt(fd: fd, level: LinuxNumbers.SOL_SOCKET, name: LinuxNumbers.SO_REUSEADDR, value: int(1), length: 4))
        #expect(call(.bind(fd: fd, address: localSocketAddress, length: family == LinuxNumbers.AF_INET ? 16 : 28)).value == 0)
        #expect(call(.listen(fd: fd, backlog: backlog)).value == 0)
        return fd
    }

    /// A passive open driven by segments: SYN in, SYN-ACK out, ACK in, accept().
    /// Returns the accepted descriptor.
    func acceptedConnection(synOptions: [TCPOption] = [.maximumSegmentSize(1460), .sackPermitted, .noOperation, .noOperation],
                            window: UInt16 = 65535) -> Int32 {
        let lfd = listener()
        inject([.syn], seq: peerISS, window: window, options: synOptions)
        guard let synAck = packet() else {
            Issue.record("no SYN-ACK")
            return -1
        }
        iss = synAck.tcp?.sequenceNumber.rawValue ?? 0
        wait(100_000)
        inject([.ack], seq: peerISS + 1, ack: iss + 1, window: window)
        let r = call(.accept(fd: lfd, flags: nil))
        return Int32(r.value)
    }

    func int(_ v: Int32) -> [UInt8] {
        let u = UInt32(bitPattern: v)
        return [UInt8(truncatingIfNeeded: u), UInt8(truncatingIfNeeded: u >> 8), UInt8(truncatingIfNeeded: u >> 16),
                UInt8(truncatingIfNeeded: u >> 24)]
    }

    /// tcp_info's state byte for `fd`.
    func tcpState(_ fd: Int32) -> UInt8? {
        let r = call(.getsockopt(fd: fd, level: LinuxNumbers.SOL_TCP, name: LinuxNumbers.TCP_INFO, length: 248))
        guard case .option(let bytes) = r.output, let first = bytes.first else { return nil }
        return first
    }

    /// A little-endian 32-bit field of tcp_info.
    func tcpInfoField(_ fd: Int32, offset: Int) -> UInt32? {
        let r = call(.getsockopt(fd: fd, level: LinuxNumbers.SOL_TCP, name: LinuxNumbers.TCP_INFO, length: 248))
        guard case .option(let b) = r.output, b.count >= offset + 4 else { return nil }
        return UInt32(b[offset]) | UInt32(b[offset + 1]) << 8 | UInt32(b[offset + 2]) << 16 | UInt32(b[offset + 3]) << 24
    }

    // MARK: Packets

    /// Injects a segment from the peer. Sequence numbers are absolute.
    func inject(_ flags: TCPFlags, seq: UInt32, ack: UInt32 = 0, window: UInt16 = 65535, options: [TCPOption] = [],
                payload: [UInt8] = []) {
        let p = Packet.tcp(from: remote, remotePort, to: local, localPort, flags: flags, seq: seq, ack: ack,
                           window: window, options: options, payload: payload)
        stack.receive(p.serialize())
    }

    /// The next packet the stack sent, parsed with checksums verified.
    func packet(sourceLocation: SourceLocation = #_sourceLocation) -> Packet? {
        guard let sent = stack.takeOutbound() else { return nil }
        do {
            return try Packet(parsing: sent.bytes, checksums: .verify)
        } catch {
            Issue.record("unparsable packet: \(error)", sourceLocation: sourceLocation)
            return nil
        }
    }

    /// The next packet and when it was sent, waiting in virtual time up to `within`.
    func nextPacket(within: Int64) -> (Packet, Int64)? {
        let deadline = stack.now + within
        while true {
            if let sent = stack.takeOutbound() {
                guard let p = try? Packet(parsing: sent.bytes, checksums: .verify) else { return nil }
                return (p, sent.time)
            }
            guard let next = stack.nextDeadline(), next <= deadline else {
                stack.advance(to: deadline)
                return nil
            }
            stack.advance(to: next)
        }
    }

    /// Sequence number relative to the stack's ISS.
    func relSeq(_ p: Packet) -> Int64 { Int64(Int32(bitPattern: (p.tcp?.sequenceNumber.rawValue ?? 0) &- iss)) }
    /// Acknowledgment number relative to the peer's ISS.
    func relAck(_ p: Packet) -> Int64 {
        Int64(Int32(bitPattern: (p.tcp?.acknowledgmentNumber.rawValue ?? 0) &- peerISS))
    }
}
