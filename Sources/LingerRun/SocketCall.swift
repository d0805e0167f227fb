public import LingerWire

/// A system call as the runner hands it to a backend: every symbolic name already
/// turned into Linux's numbers, every buffer and struct built, every `...` address
/// resolved to the script's remote or local end.
///
/// Flags, levels, option names and errno values are Linux's own numbers on both
/// backends, so the simulated stack reads them exactly as the kernel does.
public enum SocketCall: Sendable, Hashable {
    /// `socket(domain, type, protocol)`.
    case socket(domain: Int32, type: Int32, protocol: Int32)
    /// `bind(fd, address, length)`.
    case bind(fd: Int32, address: SocketAddress, length: UInt32)
    /// `listen(fd, backlog)`.
    case listen(fd: Int32, backlog: Int32)
    /// `accept(fd, ...)`, or `accept4(fd, ..., flags)` when `flags` is given.
    case accept(fd: Int32, flags: Int32?)
    /// `connect(fd, address, length)`.
    case connect(fd: Int32, address: SocketAddress, length: UInt32)
    /// `read(fd, buffer, count)`.
    case read(fd: Int32, buffer: ReceiveBuffer)
    /// `readv(fd, iov, iovcnt)`: one buffer per iovec.
    case readv(fd: Int32, buffers: [ReceiveBuffer])
    /// `recv(fd, buffer, count, flags)`.
    case recv(fd: Int32, buffer: ReceiveBuffer, flags: Int32)
    /// `recvfrom(fd, buffer, count, flags, &address, &length)`.
    case recvfrom(fd: Int32, buffer: ReceiveBuffer, flags: Int32)
    /// `recvmsg(fd, msghdr, flags)` with these iovecs and room for this much control data.
    case recvmsg(fd: Int32, buffers: [ReceiveBuffer], controlLength: Int, flags: Int32)
    /// `write(fd, data, count)`.
    case write(fd: Int32, data: SendBuffer)
    /// `writev(fd, iov, iovcnt)`.
    case writev(fd: Int32, buffers: [SendBuffer])
    /// `send(fd, data, count, flags)`.
    case send(fd: Int32, data: SendBuffer, flags: Int32)
    /// `sendto(fd, data, count, flags, address, length)`; no address means NULL.
    case sendto(fd: Int32, data: SendBuffer, flags: Int32, address: SocketAddress?)
    /// `sendmsg(fd, msghdr, flags)`.
    case sendmsg(fd: Int32, buffers: [SendBuffer], control: [ControlMessage], flags: Int32, address: SocketAddress?)
    /// `shutdown(fd, how)`.
    case shutdown(fd: Int32, how: Int32)
    /// `close(fd)`.
    case close(fd: Int32)
    /// `setsockopt(fd, level, name, value, length)`; a nil value is a NULL pointer.
    case setsockopt(fd: Int32, level: Int32, name: Int32, value: [UInt8]?, length: UInt32)
    /// `getsockopt(fd, level, name, value, &length)` with room for `length` bytes.
    case getsockopt(fd: Int32, level: Int32, name: Int32, length: UInt32)
    /// `fcntl(fd, command[, argument])`.
    case fcntl(fd: Int32, command: Int32, argument: Int64?)
    /// `ioctl(fd, request, &int)`: the requests that report one int (FIONREAD/SIOCINQ,
    /// SIOCOUTQ, SIOCOUTQNSD).
    case ioctl(fd: Int32, request: UInt64)
    /// `poll(fds, nfds, timeout)`.
    case poll(descriptors: [PollDescriptor], timeoutMilliseconds: Int32)
    /// `epoll_create(size)`.
    case epollCreate(size: Int32)
    /// `epoll_ctl(epfd, op, fd, event)`; no event means NULL.
    case epollControl(epollFD: Int32, operation: Int32, fd: Int32, event: EpollEvent?)
    /// `epoll_wait(epfd, events, maxevents, timeout)`.
    case epollWait(epollFD: Int32, maxEvents: Int32, timeoutMilliseconds: Int32)
    /// `pipe(fds)`.
    case pipe
    /// `dup(fd)`: Linger's addition, for scripts about shared descriptors.
    case dup(fd: Int32)
    /// `dup2(fd, newFD)`: Linger's addition.
    case dup2(fd: Int32, newFD: Int32)
    /// `exit()`: Linger's addition. The script's process ends: every descriptor it
    /// holds is closed as Linux closes them for an exiting process (do_exit ->
    /// exit_files; the last reference of each open file is released with the task
    /// exiting, so inet_release ignores SO_LINGER's time). Answers 0 once that is
    /// done; the process then has no descriptors and runs no more calls.
    case exit

    /// The system call's name as scripts write it.
    public var name: String {
        switch self {
        case .socket: "socket"
        case .bind: "bind"
        case .listen: "listen"
        case .accept(_, let flags): flags == nil ? "accept" : "accept4"
        case .connect: "connect"
        case .read: "read"
        case .readv: "readv"
        case .recv: "recv"
        case .recvfrom: "recvfrom"
        case .recvmsg: "recvmsg"
        case .write: "write"
        case .writev: "writev"
        case .send: "send"
        case .sendto: "sendto"
        case .sendmsg: "sendmsg"
        case .shutdown: "shutdown"
        case .close: "close"
        case .setsockopt: "setsockopt"
        case .getsockopt: "getsockopt"
        case .fcntl: "fcntl"
        case .ioctl: "ioctl"
        case .poll: "poll"
        case .epollCreate: "epoll_create"
        case .epollControl: "epoll_ctl"
        case .epollWait: "epoll_wait"
        case .pipe: "pipe"
        case .dup: "dup"
        case .dup2: "dup2"
        case .exit: "exit"
        }
    }
}

/// Data handed to a send-side call.
public enum SendBuffer: Sendable, Hashable {
    /// A NULL pointer with this length (the kernel answers EFAULT).
    case null(length: Int)
    /// These bytes.
    case bytes([UInt8])

    /// The length the call is given.
    public var length: Int {
        switch self {
        case .null(let length): length
        case .bytes(let bytes): bytes.count
        }
    }
}

/// Room handed to a receive-side call.
public enum ReceiveBuffer: Sendable, Hashable {
    /// A NULL pointer with this length.
    case null(length: Int)
    /// A buffer of this many bytes.
    case capacity(Int)

    /// The length the call is given.
    public var length: Int {
        switch self {
        case .null(let length): length
        case .capacity(let count): count
        }
    }
}

/// A socket address: IPv4 (`sockaddr_in`), IPv6 (`sockaddr_in6`), or
/// `AF_UNSPEC` (used to disconnect with connect()).
public enum SocketAddress: Sendable, Hashable {
    /// `AF_INET`: address and port.
    case ipv4(IPv4Address, port: UInt16)
    /// `AF_INET6`: address, port, flow info and scope id.
    case ipv6(IPv6Address, port: UInt16, flowInfo: UInt32 = 0, scopeID: UInt32 = 0)
    /// `AF_UNSPEC`.
    case unspecified
}

/// One control message (`struct cmsghdr` and its data).
public struct ControlMessage: Sendable, Hashable {
    /// `cmsg_level`.
    public var level: Int32
    /// `cmsg_type`.
    public var type: Int32
    /// The data after the header.
    public var data: [UInt8]

    /// Creates a control message.
    public init(level: Int32, type: Int32, data: [UInt8]) {
        self.level = level
        self.type = type
        self.data = data
    }
}

/// One entry of poll()'s array.
public struct PollDescriptor: Sendable, Hashable {
    /// The descriptor.
    public var fd: Int32
    /// The events asked for.
    public var events: Int16

    /// Creates an entry.
    public init(fd: Int32, events: Int16) {
        self.fd = fd
        self.events = events
    }
}

/// An epoll_event: the event mask and the 64-bit user data.
public struct EpollEvent: Sendable, Hashable {
    /// The event mask.
    public var events: UInt32
    /// The user data (`fd`, `u32`, `u64` or `ptr`, as 64 bits).
    public var data: UInt64

    /// Creates an event.
    public init(events: UInt32, data: UInt64) {
        self.events = events
        self.data = data
    }
}

/// What a system call returned.
public struct SocketCallResult: Sendable, Hashable {
    /// The return value (-1 on failure, as the C library returns it).
    public var value: Int64
    /// errno after a failure; 0 after success.
    public var errno: Int32
    /// What the call wrote back through its pointer arguments.
    public var output: SocketCallOutput

    /// Creates a result.
    public init(value: Int64, errno: Int32 = 0, output: SocketCallOutput = .none) {
        self.value = value
        self.errno = errno
        self.output = output
    }

    /// A failed call: -1 with this errno.
    public static func failure(_ errno: Int32) -> SocketCallResult {
        SocketCallResult(value: -1, errno: errno)
    }
}

/// Values a call wrote back through its pointer arguments.
public enum SocketCallOutput: Sendable, Hashable {
    /// Nothing the runner checks.
    case none
    /// Bytes read (read, readv, recv, recvfrom): the data, concatenated.
    case received([UInt8])
    /// recvfrom's source address, with the data.
    case receivedFrom([UInt8], address: SocketAddress?)
    /// recvmsg: the data, `msg_flags`, and the control messages.
    case message([UInt8], flags: Int32, control: [ControlMessage])
    /// accept's peer address.
    case acceptedFrom(SocketAddress?)
    /// getsockopt: the option's bytes (as many as the returned length).
    case option([UInt8])
    /// ioctl's int.
    case integer(Int64)
    /// poll: `revents` for each entry, in order.
    case pollEvents([Int16])
    /// epoll_wait: the ready events.
    case epollEvents([EpollEvent])
    /// pipe: the read and write ends.
    case pipe(read: Int32, write: Int32)
}
