import Foundation
import LingerKernel
import LingerRun
import LingerWire
import Testing

/// Whether this machine can run the kernel backend (root and /dev/net/tun); CI and
/// the development machine can, so the tests run there rather than skip.
let kernelBackendAvailable = KernelBackend.unavailableReason == nil
let kernelBackendSkipReason: Comment = Comment(rawValue: KernelBackend.unavailableReason ?? "")

/// Linux's numbers, written out independently of the code under test.
enum Linux {
    static let AF_INET: Int32 = 2
    static let AF_INET6: Int32 = 10
    static let SOCK_STREAM: Int32 = 1
    static let SOCK_NONBLOCK: Int32 = 0o4000
    static let SOCK_CLOEXEC: Int32 = 0o2000000
    static let IPPROTO_TCP: Int32 = 6
    static let SOL_SOCKET: Int32 = 1
    static let SO_REUSEADDR: Int32 = 2
    static let SO_LINGER: Int32 = 13
    static let TCP_INFO: Int32 = 11
    static let TCP_ESTABLISHED: UInt8 = 1
    static let SHUT_WR: Int32 = 1
    static let F_GETFD: Int32 = 1
    static let F_SETFD: Int32 = 2
    static let F_GETFL: Int32 = 3
    static let F_SETFL: Int32 = 4
    static let O_NONBLOCK: Int64 = 0o4000
    static let FIONREAD: UInt64 = 0x541B
    static let SIOCOUTQ: UInt64 = 0x5411
    static let POLLIN: Int16 = 1
    static let POLLOUT: Int16 = 4
    static let POLLNVAL: Int16 = 0x20
    static let EPOLL_CTL_ADD: Int32 = 1
    static let EPOLLIN: UInt32 = 1
    static let ESRCH: Int32 = 3
    static let EBADF: Int32 = 9
    static let EAGAIN: Int32 = 11
    static let EFAULT: Int32 = 14
    static let EINVAL: Int32 = 22
    static let EPIPE: Int32 = 32
    static let EINPROGRESS: Int32 = 115
    static let EADDRINUSE: Int32 = 98
}

/// The configuration Linux's packetdrill selftests pass (ksft_runner.sh): the gateway
/// is the local address itself for IPv4; MTU 1520 for IPv6.
func selftestConfiguration(_ version: NetworkConfiguration.IPVersion) -> NetworkConfiguration {
    switch version {
    case .ipv4, .ipv4MappedIPv6:
        NetworkConfiguration(
            ipVersion: version, localAddress: .v4(IPv4Address(192, 168, 0, 1)),
            remoteAddress: .v4(IPv4Address(192, 0, 2, 1)), gatewayAddress: .v4(IPv4Address(192, 168, 0, 1)),
            prefixLength: 16)
    case .ipv6:
        NetworkConfiguration(
            ipVersion: .ipv6, localAddress: .v6(IPv6Address("fd3d:a0b:17d6::1")!),
            remoteAddress: .v6(IPv6Address("fd3d:fa7b:d17d::1")!),
            gatewayAddress: .v6(IPv6Address("fd3d:a0b:17d6:8888::1")!), prefixLength: 48, mtu: 1520)
    }
}

/// Runs a call that must return at once.
func finished(_ backend: KernelBackend, _ call: SocketCall, sourceLocation: SourceLocation = #_sourceLocation)
    throws -> SocketCallResult
{
    guard case .finished(let completion) = backend.start(call) else {
        Issue.record("\(call.name) blocked", sourceLocation: sourceLocation)
        throw BlockedCall()
    }
    return completion.result
}

struct BlockedCall: Error {}

/// The next packet the kernel sends within a second, parsed with every checksum checked.
func nextPacket(_ backend: KernelBackend, within microseconds: Int64 = 1_000_000) throws -> Packet? {
    guard let captured = try backend.nextOutboundPacket(deadline: backend.now() + microseconds) else { return nil }
    return try Packet(parsing: captured.bytes, checksums: .verify)
}

/// A script's view of one TCP connection: the remote end's addresses and sequence numbers.
struct RemoteEnd {
    var backend: KernelBackend
    var port: UInt16
    var localPort: UInt16
    var remoteAddress: IPAddress { backend.network.remoteAddress }
    var localAddress: IPAddress { backend.network.localAddress }

    func segment(_ flags: TCPFlags, seq: UInt32, ack: UInt32 = 0, payload: [UInt8] = [], options: [TCPOption] = [])
        -> [UInt8]
    {
        Packet.tcp(
            from: remoteAddress, port, to: localAddress, localPort, flags: flags, seq: seq, ack: ack, window: 65535,
            options: options, payload: payload
        ).bytes
    }
}

/// The socket address of an IP address and port, for the configuration's socket family.
func socketAddress(_ address: IPAddress, port: UInt16, version: NetworkConfiguration.IPVersion) -> SocketAddress {
    switch (address, version) {
    case (.v4(let ip), .ipv4MappedIPv6):
        .ipv6(IPv6Address(high: 0, low: 0xFFFF_0000_0000 | UInt64(ip.value)), port: port)
    case (.v4(let ip), _): .ipv4(ip, port: port)
    case (.v6(let ip), _): .ipv6(ip, port: port)
    }
}

/// A listening socket on the local address and bind port; returns its descriptor.
func listeningSocket(_ backend: KernelBackend) throws -> Int32 {
    let network = backend.network
    let domain = network.ipVersion == .ipv4 ? Linux.AF_INET : Linux.AF_INET6
    let socket = try finished(backend, .socket(domain: domain, type: Linux.SOCK_STREAM, protocol: Linux.IPPROTO_TCP))
    #expect(socket.value >= 3)
    let fd = Int32(socket.value)
    let address = socketAddress(network.localAddress, port: network.bindPort, version: network.ipVersion)
    let length: UInt32 = network.ipVersion == .ipv4 ? 16 : 28
    #expect(try finished(backend, .bind(fd: fd, address: address, length: length)).value == 0)
    #expect(try finished(backend, .listen(fd: fd, backlog: 1)).value == 0)
    return fd
}

/// Threads of this process that are in the network namespace with this inode.
func threadsInNamespace(_ inode: UInt64) throws -> Int {
    let tasks = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")
    return tasks.filter { task in
        guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/task/\(task)/ns/net")
        else { return false }
        return target == "net:[\(inode)]"
    }.count
}

/// Processes (any thread of them) on the machine in the network namespace with this inode.
func tasksAnywhereInNamespace(_ inode: UInt64) -> Int {
    let processes = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    var count = 0
    for process in processes where process.allSatisfy(\.isNumber) {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(process)/task")) ?? []
        for task in tasks {
            let link = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(process)/task/\(task)/ns/net")
            if link == "net:[\(inode)]" { count += 1 }
        }
    }
    return count
}

/// The host's (this test thread's) network namespace inode.
func hostNamespaceInode() throws -> UInt64 {
    let target = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/thread-self/ns/net")
    return UInt64(target.dropFirst("net:[".count).dropLast()) ?? 0
}

/// Backends and problems collected from several threads.
final class ConcurrentResults: @unchecked Sendable {
    private let lock = NSLock()
    private var backends: [KernelBackend] = []
    private var problems: [String] = []

    func record(_ backend: KernelBackend?, _ problem: String?) {
        lock.withLock {
            if let backend { backends.append(backend) }
            if let problem { problems.append(problem) }
        }
    }

    func snapshot() -> ([KernelBackend], [String]) {
        lock.withLock { (backends, problems) }
    }
}
