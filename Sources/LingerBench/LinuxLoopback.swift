#if canImport(Glibc)
import CLingerLinux
import Glibc

/// Linux's side of the throughput and life-cycle cases: kernel sockets on the
/// loopback device of a private network namespace (created by a thread of its
/// own with unshare(CLONE_NEWNET); sockets made there stay in that namespace
/// whichever thread uses them). Needs root.
public enum LinuxLoopback {
    /// One bulk stream of `bytes` of the pattern over lo at `mtu`, written in
    /// 64 KiB writes by one thread and read and checked by another.
    public static func bulkTransfer(bytes total: Int, mtu: Int, writeSize: Int = 65536)
        -> Result<TransferMeasurement, BenchError>
    {
        onNamespaceThread(mtu: mtu) { () throws(BenchError) -> TransferMeasurement in
            let (client, server) = try connectedPair(port: 5001, noDelay: false)
            defer { close(client); close(server) }
            let receiver = ThreadResult<Int>()
            let reader = try startThread {
                var buffer = [UInt8](repeating: 0, count: 1 << 18)
                var received = 0
                while received < total {
                    let n = buffer.withUnsafeMutableBytes { read(server, $0.baseAddress, $0.count) }
                    if n <= 0 { break }
                    guard buffer.withUnsafeBytes({ PayloadPattern.matches(UnsafeRawBufferPointer(rebasing: $0[0..<n]), at: received) })
                    else {
                        receiver.set(-1 - received)
                        return
                    }
                    received += n
                }
                receiver.set(received)
            }
            var sent = 0
            let start = monotonicNanoseconds()
            while sent < total {
                let n = min(writeSize, PayloadPattern.longestRun, total - sent)
                var offset = 0
                while offset < n {
                    let w = PayloadPattern.withBytes(at: sent) { write(client, $0 + offset, n - offset) }
                    guard w > 0 else { throw BenchError("write on loopback failed: \(errnoText())") }
                    offset += w
                }
                sent += n
            }
            pthread_join(reader, nil)
            let elapsed = monotonicNanoseconds() - start
            let received = receiver.get() ?? 0
            guard received == total else {
                throw BenchError(received < 0 ? "loopback altered the bytes from \(-1 - received)" : "loopback delivered \(received) of \(total) bytes")
            }
            return TransferMeasurement(bytes: total, nanoseconds: elapsed, virtualMicroseconds: 0, packets: 0)
        }
    }

    /// `count` life cycles over lo (client and server threads, TCP_NODELAY):
    /// wall nanoseconds.
    public static func lifecycles(_ count: Int) -> Result<Int64, BenchError> {
        onNamespaceThread(mtu: 65536) { () throws(BenchError) -> Int64 in
            let listener = try listeningSocket(port: 5002)
            defer { close(listener) }
            let served = ThreadResult<Int>()
            let server = try startThread {
                var byte: UInt8 = 0
                var done = 0
                for _ in 0..<count {
                    let s = accept(listener, nil, nil)
                    if s < 0 { break }
                    setNoDelay(s)
                    guard read(s, &byte, 1) == 1, write(s, &byte, 1) == 1, read(s, &byte, 1) == 0 else {
                        close(s)
                        break
                    }
                    close(s)
                    done += 1
                }
                served.set(done)
            }
            var address = loopbackAddress(port: 5002)
            var byte: UInt8 = 0x51
            let start = monotonicNanoseconds()
            for i in 0..<count {
                let c = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
                guard c >= 0 else { throw BenchError("socket failed: \(errnoText())") }
                setNoDelay(c)
                let connected = withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        connect(c, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
                guard connected == 0, write(c, &byte, 1) == 1, read(c, &byte, 1) == 1 else {
                    let text = errnoText()
                    close(c)
                    throw BenchError("life cycle \(i) failed on loopback: \(text)")
                }
                close(c)
            }
            pthread_join(server, nil)
            let elapsed = monotonicNanoseconds() - start
            guard served.get() == count else { throw BenchError("the loopback server finished \(served.get() ?? 0) of \(count) cycles") }
            return elapsed
        }
    }

    // MARK: The namespace

    /// Runs `body` on a new thread moved into a new network namespace whose lo
    /// is up at `mtu`, with a wide ephemeral port range.
    static func onNamespaceThread<T: Sendable>(mtu: Int, _ body: @escaping @Sendable () throws(BenchError) -> T)
        -> Result<T, BenchError>
    {
        let outcome = ThreadResult<Result<T, BenchError>>()
        do {
            let thread = try startThread {
                outcome.set(Result { () throws(BenchError) -> T in
                    try enterNamespace(mtu: mtu)
                    return try body()
                })
            }
            pthread_join(thread, nil)
        } catch {
            return .failure(error)
        }
        return outcome.get() ?? .failure(BenchError("the namespace thread returned nothing"))
    }

    static func enterNamespace(mtu: Int) throws(BenchError) {
        guard clinger_unshare_network() == 0 else {
            throw BenchError("cannot make a network namespace (unshare(CLONE_NEWNET)): \(errnoText()); run as root")
        }
        let control = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard control >= 0 else { throw BenchError("cannot open a control socket: \(errnoText())") }
        defer { close(control) }
        guard clinger_interface_set_up(control, "lo") == 0 else { throw BenchError("cannot bring lo up: \(errnoText())") }
        guard clinger_interface_set_mtu(control, "lo", Int32(mtu)) == 0 else {
            throw BenchError("cannot set lo's MTU to \(mtu): \(errnoText())")
        }
        try writeSysctl("net/ipv4/ip_local_port_range", "1024 65535")
    }

    static func writeSysctl(_ path: String, _ value: String) throws(BenchError) {
        let fd = open("/proc/sys/" + path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw BenchError("cannot open /proc/sys/\(path): \(errnoText())") }
        defer { close(fd) }
        let bytes = Array(value.utf8)
        guard write(fd, bytes, bytes.count) == bytes.count else {
            throw BenchError("cannot write \(value) to /proc/sys/\(path): \(errnoText())")
        }
    }

    // MARK: Sockets

    static func loopbackAddress(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        return address
    }

    static func setNoDelay(_ fd: Int32) {
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    static func listeningSocket(port: UInt16) throws(BenchError) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw BenchError("socket failed: \(errnoText())") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = loopbackAddress(port: port)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 4096) == 0 else {
            let text = errnoText()
            close(fd)
            throw BenchError("bind/listen on 127.0.0.1:\(port) failed: \(text)")
        }
        return fd
    }

    /// A connected client and accepted server socket over lo.
    static func connectedPair(port: UInt16, noDelay: Bool) throws(BenchError) -> (Int32, Int32) {
        let listener = try listeningSocket(port: port)
        defer { close(listener) }
        let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard client >= 0 else { throw BenchError("socket failed: \(errnoText())") }
        var address = loopbackAddress(port: port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(client, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw BenchError("connect on loopback failed: \(errnoText())") }
        let server = accept(listener, nil, nil)
        guard server >= 0 else { throw BenchError("accept on loopback failed: \(errnoText())") }
        if noDelay { setNoDelay(client); setNoDelay(server) }
        return (client, server)
    }

    static func errnoText() -> String {
        let code = errno
        return String(cString: strerror(code)) + " (errno \(code))"
    }
}

/// A value one thread sets and another reads after joining it.
final class ThreadResult<T>: @unchecked Sendable {
    private var value: T?
    private var lock = pthread_mutex_t()
    init() { pthread_mutex_init(&lock, nil) }
    deinit { pthread_mutex_destroy(&lock) }
    func set(_ v: T) {
        pthread_mutex_lock(&lock)
        value = v
        pthread_mutex_unlock(&lock)
    }
    func get() -> T? {
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        return value
    }
}

private final class ThreadBody {
    let body: @Sendable () -> Void
    init(_ body: @escaping @Sendable () -> Void) { self.body = body }
}

/// Starts a POSIX thread running `body`; join it with pthread_join.
func startThread(_ body: @escaping @Sendable () -> Void) throws(BenchError) -> pthread_t {
    let box = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
    var thread = pthread_t()
    let status = pthread_create(&thread, nil, { argument in
        guard let argument else { return nil }
        Unmanaged<ThreadBody>.fromOpaque(argument).takeRetainedValue().body()
        return nil
    }, box)
    guard status == 0 else {
        Unmanaged<ThreadBody>.fromOpaque(box).release()
        throw BenchError("cannot start a thread: error \(status)")
    }
    return thread
}
#endif
