public import LingerRun
import LingerWire

/// How a system call started by ``SocketLayer/start(_:)`` went.
public enum SyscallOutcome {
    /// It returned at once.
    case completed(SocketCallResult)
    /// It waits inside the stack, as the calling task would sleep in Linux.
    case blocked(BlockedCall)
}

/// A system call sleeping in the stack. It completes when ``poll()`` first returns
/// a result: the owner calls that after every input and timer, and when
/// ``deadline`` (the call's own timeout, if any) passes, ``expire()``.
public final class BlockedCall {
    /// The call's name, for messages.
    public let name: String
    /// When the call gives up by itself (SO_RCVTIMEO, poll's timeout, linger), if ever.
    public let deadline: Int64?
    private let attempt: () -> SocketCallResult?
    private let timeout: () -> SocketCallResult

    init(name: String, deadline: Int64?, attempt: @escaping () -> SocketCallResult?,
         timeout: @escaping () -> SocketCallResult) {
        self.name = name
        self.deadline = deadline
        self.attempt = attempt
        self.timeout = timeout
    }

    /// The call's result if its condition now holds, else nil.
    public func poll() -> SocketCallResult? { attempt() }

    /// The call's result when its deadline passes.
    public func expire() -> SocketCallResult { timeout() }
}

/// BSD socket connection states (struct socket's `state`, SS_*).
enum SocketConnectState {
    case unconnected
    case connecting
    case connected
    case disconnecting
}

/// The system-call layer of one process: descriptors, the socket calls with
/// Linux's arguments, results and errno, and their blocking rules
/// (net/socket.c, af_inet.c, tcp.c's recvmsg/sendmsg, fs/file.c, fs/eventpoll.c).
public final class SocketLayer {
    /// The stack the sockets live in.
    public let stack: NetworkStack
    /// The process's descriptor table.
    public let files: ProcessFiles
    /// Set once the process exits: close() ignores SO_LINGER (PF_EXITING).
    var exiting = false
    /// Whether the process has exited: it holds no descriptors and runs no calls.
    public var hasExited: Bool { exiting }

    /// A process with descriptors 0-2 open, using `stack`.
    public init(stack: NetworkStack, files: ProcessFiles = ProcessFiles()) {
        self.stack = stack
        self.files = files
    }

    /// Starts a system call. Calls that would sleep in Linux return `.blocked`. After
    /// the process exited (``SocketCall/exit``), every call answers -1 with ESRCH.
    public func start(_ call: SocketCall) -> SyscallOutcome {
        if exiting { return done(Self.fail(ESRCH)) }
        switch call {
        case .socket(let domain, let type, let proto): return done(socket(domain: domain, type: type, protocol: proto))
        case .bind(let fd, let address, let length): return done(bind(fd: fd, address: address, length: length))
        case .listen(let fd, let backlog): return done(listen(fd: fd, backlog: backlog))
        case .accept(let fd, let flags): return accept(fd: fd, flags: flags ?? 0)
        case .connect(let fd, let address, let length): return connect(fd: fd, address: address, length: length)
        case .read(let fd, let buffer):
            return receive(fd: fd, room: Self.receiveRoom(buffer), flags: 0, name: "read", form: .plain)
        case .readv(let fd, let buffers):
            return receive(fd: fd, room: Self.receiveRoom(buffers), flags: 0, name: "readv", form: .plain)
        case .recv(let fd, let buffer, let flags):
            return receive(fd: fd, room: Self.receiveRoom(buffer), flags: flags, name: "recv", form: .plain)
        case .recvfrom(let fd, let buffer, let flags):
            return receive(fd: fd, room: Self.receiveRoom(buffer), flags: flags, name: "recvfrom", form: .from)
        case .recvmsg(let fd, let buffers, let controlLength, let flags):
            return receive(fd: fd, room: Self.receiveRoom(buffers), flags: flags, name: "recvmsg",
                           form: .message(controlLength: controlLength))
        case .write(let fd, let data): return send(fd: fd, source: Self.sendSource(data), flags: 0, name: "write")
        case .writev(let fd, let buffers): return send(fd: fd, source: Self.sendSource(buffers), flags: 0, name: "writev")
        case .send(let fd, let data, let flags): return send(fd: fd, source: Self.sendSource(data), flags: flags, name: "send")
        case .sendto(let fd, let data, let flags, let address):
            return send(fd: fd, source: Self.sendSource(data), flags: flags, name: "sendto", address: address)
        case .sendmsg(let fd, let buffers, _, let flags, let address):
            return send(fd: fd, source: Self.sendSource(buffers), flags: flags, name: "sendmsg", address: address)
        case .shutdown(let fd, let how): return done(shutdown(fd: fd, how: how))
        case .close(let fd): return close(fd: fd)
        case .setsockopt(let fd, let level, let name, let value, let length):
            return done(setsockopt(fd: fd, level: level, name: name, value: value, length: length))
        case .getsockopt(let fd, let level, let name, let length):
            return done(getsockopt(fd: fd, level: level, name: name, length: length))
        case .fcntl(let fd, let command, let argument): return done(fcntl(fd: fd, command: command, argument: argument))
        case .ioctl(let fd, let request): return done(ioctl(fd: fd, request: request))
        case .poll(let descriptors, let timeout): return poll(descriptors, timeoutMilliseconds: timeout)
        case .epollCreate(let size): return done(epollCreate(size: size))
        case .epollControl(let epfd, let op, let fd, let event):
            return done(epollControl(epfd: epfd, operation: op, fd: fd, event: event))
        case .epollWait(let epfd, let maxEvents, let timeout):
            return epollWait(epfd: epfd, maxEvents: maxEvents, timeoutMilliseconds: timeout)
        case .pipe: return done(pipe())
        case .dup(let fd): return done(dup(fd: fd))
        case .dup2(let fd, let newFD): return dup2(fd: fd, newFD: newFD)
        case .exit:
            exitProcess()
            return done(SocketCallResult(value: 0))
        }
    }

    private func done(_ r: SocketCallResult) -> SyscallOutcome { .completed(r) }

    static func fail(_ errno: Int32) -> SocketCallResult { .failure(errno) }

    /// The socket behind `fd`, or the errno Linux gives (EBADF, ENOTSOCK).
    func socket(_ fd: Int32) -> Result<(OpenFile, TCPSocket), SocketLayerError> {
        guard let f = files.file(fd) else { return .failure(SocketLayerError(EBADF)) }
        guard let s = f.socket else { return .failure(SocketLayerError(ENOTSOCK)) }
        return .success((f, s))
    }

    /// `body` with the open file of `fd` and its socket, lent without a
    /// retain of either: the descriptor table holds the file, and the file
    /// its socket, for the whole call (no call made this way closes a
    /// descriptor; a sleeping call's closures hold their socket themselves).
    /// `failure` gets the errno Linux gives when there is none (EBADF, ENOTSOCK).
    @inline(__always)
    func withSocket<R>(_ fd: Int32, failure: (Int32) -> R, _ body: (OpenFile, TCPSocket) -> R) -> R {
        guard let file = files.unretainedFile(fd) else { return failure(EBADF) }
        return file._withUnsafeGuaranteedRef { f in
            guard let sk = f.unretainedSocket else { return failure(ENOTSOCK) }
            return sk._withUnsafeGuaranteedRef { body(f, $0) }
        }
    }

    // MARK: - socket, bind, listen

    /// `socket(domain, type, protocol)`, as ``start(_:)`` runs it, called
    /// directly as a program calls it (no ``SocketCall`` built and dispatched).
    public func socket(domain: Int32, type: Int32, protocol proto: Int32) -> SocketCallResult {
        if exiting { return Self.fail(ESRCH) }
        let baseType = type & 0xF
        if type & ~(0xF | SOCK_NONBLOCK | SOCK_CLOEXEC) != 0 { return Self.fail(EINVAL) }
        guard domain == AF_INET || domain == AF_INET6 else { return Self.fail(EAFNOSUPPORT) }
        guard baseType == SOCK_STREAM else {
            return Self.fail(baseType == SOCK_DGRAM || baseType == SOCK_RAW ? EPROTONOSUPPORT : ESOCKTNOSUPPORT)
        }
        guard proto == 0 || proto == IPPROTO_TCP else { return Self.fail(EPROTONOSUPPORT) }
        guard let fd = files.lowestFree() else { return Self.fail(EMFILE) }
        let sk = TCPSocket(stack: stack, family: domain, id: stack.makeSocketID())
        sk.ipID = UInt16(truncatingIfNeeded: stack.randomUInt32())
        let f = files.open(.socket(sk), statusFlags: O_RDWR | (type & SOCK_NONBLOCK != 0 ? O_NONBLOCK : 0))
        files.install(f, at: fd, cloexec: type & SOCK_CLOEXEC != 0)
        return SocketCallResult(value: Int64(fd))
    }

    /// The IP address of a socket address as the stack uses it (IPv4-mapped IPv6
    /// addresses become IPv4).
    static func ipAddress(_ a: SocketAddress) -> (IPAddress, UInt16)? {
        switch a {
        case .ipv4(let v4, let port): return (.v4(v4), port)
        case .ipv6(let v6, let port, _, _):
            if v6.high == 0 && v6.low >> 32 == 0xFFFF {
                return (.v4(IPv4Address(UInt32(truncatingIfNeeded: v6.low))), port)
            }
            return (.v6(v6), port)
        case .unspecified: return nil
        }
    }

    static func isAny(_ a: IPAddress) -> Bool {
        switch a {
        case .v4(let v): return v.value == 0
        case .v6(let v): return v == .unspecified
        }
    }

    func bind(fd: Int32, address: SocketAddress, length: UInt32) -> SocketCallResult {
        let (_, sk): (OpenFile, TCPSocket)
        switch socket(fd) {
        case .success(let pair): (_, sk) = pair
        case .failure(let e): return Self.fail(e.errno)
        }
        let minimum: UInt32 = sk.family == AF_INET ? 16 : 24
        if length < minimum { return Self.fail(EINVAL) }
        switch address {
        case .ipv4:
            if sk.family != AF_INET { return Self.fail(EINVAL) }
        case .ipv6:
            if sk.family != AF_INET6 { return Self.fail(EAFNOSUPPORT) }
        case .unspecified:
            return Self.fail(EAFNOSUPPORT)
        }
        guard let (ip, port) = Self.ipAddress(address) else { return Self.fail(EAFNOSUPPORT) }
        if sk.isBound || sk.state != .close { return Self.fail(EINVAL) }
        let any = Self.isAny(ip)
        if !any && !stack.isLocal(ip) { return Self.fail(EADDRNOTAVAIL) }
        var chosen = port
        if port == 0 {
            guard let p = stack.ephemeralPortForBind(sk, address: any ? nil : ip) else { return Self.fail(EADDRINUSE) }
            chosen = p
        } else if stack.bindConflicts(sk, address: any ? nil : ip, port: port) {
            return Self.fail(EADDRINUSE)
        }
        sk.localAddress = any ? nil : ip
        // __inet6_bind: a specific IPv6 address (not v4-mapped) makes the socket
        // IPv6-only, which getsockopt(IPV6_V6ONLY) and `ss -e` show.
        if !any, case .v6 = ip { sk.ipv6Only = true }
        sk.bindAddressWasAny = any
        sk.localPort = chosen
        sk.explicitlyBound = true
        stack.addBound(sk)
        return SocketCallResult(value: 0)
    }

    func listen(fd: Int32, backlog: Int32) -> SocketCallResult {
        let sk: TCPSocket
        switch socket(fd) {
        case .success(let pair): sk = pair.1
        case .failure(let e): return Self.fail(e.errno)
        }
        guard sk.connectState == .unconnected, sk.state == .close || sk.state == .listen else { return Self.fail(EINVAL) }
        let somaxconn = stack.sysctls.coreSomaxconn
        var b = Int(UInt32(bitPattern: backlog))
        if b > somaxconn { b = somaxconn }
        sk.backlog = b
        if sk.state == .listen { return SocketCallResult(value: 0) }
        if !sk.isBound {
            guard let p = stack.ephemeralPortForBind(sk, address: nil) else { return Self.fail(EADDRINUSE) }
            sk.localPort = p
            sk.bindAddressWasAny = true
            stack.addBound(sk)
        } else if stack.bindConflictsForListen(sk) {
            return Self.fail(EADDRINUSE)
        }
        sk.state = .listen
        stack.addListener(sk)
        return SocketCallResult(value: 0)
    }

    // MARK: - accept and connect

    /// `accept4(fd, ..., flags)`, as ``start(_:)`` runs it, called directly.
    public func accept(fd: Int32, flags: Int32) -> SyscallOutcome {
        if exiting { return .completed(Self.fail(ESRCH)) }
        return withSocket(fd, failure: { .completed(Self.fail($0)) }) { accept(file: $0, sk: $1, flags: flags) }
    }

    private func accept(file: OpenFile, sk: TCPSocket, flags: Int32) -> SyscallOutcome {
        if flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC) != 0 { return .completed(Self.fail(EINVAL)) }
        if sk.state != .listen { return .completed(Self.fail(EINVAL)) }
        if let r = acceptAttempt(sk, flags: flags) { return .completed(r) }
        if file.isNonBlocking { return .completed(Self.fail(EAGAIN)) }
        let deadline = sk.receiveTimeout > 0 ? stack.now + sk.receiveTimeout : nil
        // Only a call that sleeps needs its retry as a closure.
        return .blocked(BlockedCall(name: "accept", deadline: deadline,
                                    attempt: { [unowned self] in self.acceptAttempt(sk, flags: flags) },
                                    timeout: { Self.fail(EAGAIN) }))
    }

    /// One try at accept on listener `sk`: the new descriptor, or nil while
    /// the accept queue is empty (inet_csk_accept).
    private func acceptAttempt(_ sk: TCPSocket, flags: Int32) -> SocketCallResult? {
        if sk.state != .listen { return Self.fail(EINVAL) }
        // The count read in place (the `acceptQueue` getter copies the array).
        let queued = sk.rare?.acceptQueue.count ?? 0
        guard queued > 0 else { return nil }
        // The oldest child; a lone one comes off the end (no shift of the array).
        let child = queued == 1 ? sk.acceptQueue.removeLast() : sk.acceptQueue.removeFirst()
        child.inAcceptQueue = false
        guard let newFD = files.lowestFree() else { return Self.fail(EMFILE) }
        child.hasFile = true
        child.connectState = .connected
        let nf = files.open(.socket(child), statusFlags: O_RDWR | (flags & SOCK_NONBLOCK != 0 ? O_NONBLOCK : 0))
        files.install(nf, at: newFD, cloexec: flags & SOCK_CLOEXEC != 0)
        var peer: SocketAddress?
        if let r = child.remoteAddress { peer = Self.socketAddress(r, port: child.remotePort, family: child.family) }
        return SocketCallResult(value: Int64(newFD), output: .acceptedFrom(peer))
    }

    /// The socket address Linux reports for `ip:port` on a socket of `family`.
    static func socketAddress(_ ip: IPAddress, port: UInt16, family: Int32) -> SocketAddress {
        switch ip {
        case .v4(let v4):
            if family == AF_INET6 {
                return .ipv6(IPv6Address(high: 0, low: 0xFFFF_0000_0000 | UInt64(v4.value)), port: port)
            }
            return .ipv4(v4, port: port)
        case .v6(let v6):
            return .ipv6(v6, port: port)
        }
    }

    /// `connect(fd, address, length)`, as ``start(_:)`` runs it, called directly.
    public func connect(fd: Int32, address: SocketAddress, length: UInt32) -> SyscallOutcome {
        if exiting { return .completed(Self.fail(ESRCH)) }
        return withSocket(fd, failure: { .completed(Self.fail($0)) }) {
            connect(file: $0, sk: $1, address: address, length: length)
        }
    }

    private func connect(file: OpenFile, sk: TCPSocket, address: SocketAddress, length: UInt32) -> SyscallOutcome {
        if length < 2 { return .completed(Self.fail(EINVAL)) }
        if case .unspecified = address {
            sk.disconnect()
            sk.connectState = .unconnected
            return .completed(SocketCallResult(value: 0))
        }
        var err: Int32
        switch sk.connectState {
        case .connected:
            return .completed(Self.fail(EISCONN))
        case .disconnecting:
            return .completed(Self.fail(EINVAL))
        case .connecting:
            err = EALREADY
        case .unconnected:
            if sk.state != .close { return .completed(Self.fail(EISCONN)) }
            let minimum: UInt32 = sk.family == AF_INET ? 16 : 24
            if length < minimum { return .completed(Self.fail(EINVAL)) }
            switch address {
            case .ipv4: if sk.family != AF_INET { return .completed(Self.fail(EAFNOSUPPORT)) }
            case .ipv6: if sk.family != AF_INET6 { return .completed(Self.fail(EAFNOSUPPORT)) }
            case .unspecified: break
            }
            guard let (ip, port) = Self.ipAddress(address) else { return .completed(Self.fail(EAFNOSUPPORT)) }
            if sk.family == AF_INET6 && sk.ipv6Only && !ip.isIPv6 { return .completed(Self.fail(ENETUNREACH)) }
            let e = sk.connect(to: TCPEndpoint(ip, port))
            if e != 0 { return .completed(Self.fail(e)) }
            sk.connectState = .connecting
            if sk.deferConnect { return .completed(SocketCallResult(value: 0)) }
            err = EINPROGRESS
        }
        if sk.state == .synSent || sk.state == .synReceived {
            if file.isNonBlocking { return .completed(Self.fail(err)) }
            let deadline = sk.sendTimeout > 0 ? stack.now + sk.sendTimeout : nil
            return .blocked(BlockedCall(name: "connect", deadline: deadline, attempt: { Self.connectFinish(sk) },
                                        timeout: { Self.fail(EINPROGRESS) }))
        }
        return .completed(Self.connectFinish(sk) ?? Self.fail(err))
    }

    /// How connect ends once the handshake is over (inet_wait_for_connect's
    /// caller): nil while it is still under way.
    private static func connectFinish(_ sk: TCPSocket) -> SocketCallResult? {
        if sk.state == .synSent || sk.state == .synReceived { return nil }
        if sk.state == .close {
            let e = sk.takeError()
            sk.connectState = .unconnected
            sk.disconnect()
            return Self.fail(e != 0 ? e : ECONNABORTED)
        }
        sk.connectState = .connected
        return SocketCallResult(value: 0)
    }

    // MARK: - Receiving

    enum ReceiveForm { case plain, from, message(controlLength: Int) }

    /// What a receive call's buffers offer: their total length, and whether
    /// one of them is a NULL pointer with a length (the copy would fault).
    static func receiveRoom(_ buffers: [ReceiveBuffer]) -> (capacity: Int, hasNull: Bool) {
        var capacity = 0
        var hasNull = false
        for b in buffers {
            let room = receiveRoom(b)
            capacity += room.capacity
            hasNull = hasNull || room.hasNull
        }
        return (capacity, hasNull)
    }

    /// ``receiveRoom(_:)`` of one buffer (read, recv, recvfrom), with no array.
    static func receiveRoom(_ buffer: ReceiveBuffer) -> (capacity: Int, hasNull: Bool) {
        switch buffer {
        case .null(let length): return (max(0, length), length > 0)
        case .capacity(let count): return (max(0, count), false)
        }
    }

    func receive(fd: Int32, room: (capacity: Int, hasNull: Bool), flags: Int32, name: String, form: ReceiveForm)
        -> SyscallOutcome
    {
        guard let file = files.file(fd) else { return .completed(Self.fail(EBADF)) }
        let (capacity, hasNull) = room
        if case .pipe(let pipe, let isReadEnd) = file.kind {
            guard isReadEnd else { return .completed(Self.fail(EBADF)) }
            let attempt: () -> SocketCallResult? = {
                if pipe.bytes.isEmpty {
                    return pipe.writersOpen == 0 ? SocketCallResult(value: 0, output: .received([])) : nil
                }
                if hasNull { return Self.fail(EFAULT) }
                let n = min(capacity, pipe.bytes.count)
                var out: [UInt8] = []
                pipe.bytes.copy(offset: 0, length: n, into: &out)
                pipe.bytes.removeFirst(n)
                pipe.wakeCount &+= 1
                return SocketCallResult(value: Int64(n), output: .received(out))
            }
            if capacity == 0 { return .completed(SocketCallResult(value: 0, output: .received([]))) }
            if let r = attempt() { return .completed(r) }
            if file.isNonBlocking || flags & MSG_DONTWAIT != 0 { return .completed(Self.fail(EAGAIN)) }
            return .blocked(BlockedCall(name: name, deadline: nil, attempt: attempt, timeout: { Self.fail(EAGAIN) }))
        }
        guard let sk = file.socket else { return .completed(Self.fail(EBADF)) }
        let nonBlocking = file.isNonBlocking || flags & MSG_DONTWAIT != 0
        if sk.state == .listen { return .completed(Self.fail(ENOTCONN)) }
        if flags & MSG_OOB != 0 { return .completed(Self.fail(sk.oobInline ? EINVAL : EINVAL)) }
        if flags & MSG_ERRQUEUE != 0 { return .completed(Self.fail(EAGAIN)) }
        if let r = sk.receiveAttempt(capacity: capacity, flags: flags, nullBuffer: hasNull, canBlock: !nonBlocking) {
            return .completed(Self.received(r, on: sk, form: form))
        }
        if nonBlocking { return .completed(Self.fail(EAGAIN)) }
        let deadline = sk.receiveTimeout > 0 ? stack.now + sk.receiveTimeout : nil
        // Only a call that sleeps needs its retries as closures.
        return .blocked(BlockedCall(
            name: name, deadline: deadline,
            attempt: {
                sk.receiveAttempt(capacity: capacity, flags: flags, nullBuffer: hasNull, canBlock: true)
                    .map { Self.received($0, on: sk, form: form) }
            },
            timeout: {
                sk.receiveAttempt(capacity: capacity, flags: flags, nullBuffer: hasNull, canBlock: false)
                    .map { Self.received($0, on: sk, form: form) } ?? Self.fail(EAGAIN)
            }))
    }

    /// A receive's result in the form its call returns it: recvfrom adds the
    /// peer's address, recvmsg the control messages.
    private static func received(_ r: SocketCallResult, on sk: TCPSocket, form: ReceiveForm) -> SocketCallResult {
        guard r.value >= 0, case .received(let data) = r.output else { return r }
        switch form {
        case .plain: return r
        case .from:
            var peer: SocketAddress?
            if let ra = sk.remoteAddress { peer = Self.socketAddress(ra, port: sk.remotePort, family: sk.family) }
            return SocketCallResult(value: r.value, output: .receivedFrom(data, address: peer))
        case .message(let controlLength):
            var control: [ControlMessage] = []
            if sk.inqEnabled && controlLength > 0 {
                // tcp_inq_hint: after the FIN, a non-zero hint keeps the reader reading.
                var inq = Int32(truncatingIfNeeded: sk.copiedSeq.distance(to: sk.rcvNxt))
                if inq == 0 && sk.sockDone { inq = 1 }
                control.append(ControlMessage(level: SOL_TCP, type: TCP_CM_INQ, data: Self.intBytes(inq)))
            }
            return SocketCallResult(value: r.value, output: .message(data, flags: 0, control: control))
        }
    }

    // MARK: - Sending

    /// A send call's bytes, concatenated, and where the first NULL buffer with
    /// a length starts (the copy faults there), if one does.
    static func sendSource(_ buffers: [SendBuffer]) -> (data: [UInt8], nullAt: Int?) {
        if buffers.count == 1 { return sendSource(buffers[0]) }
        var data: [UInt8] = []
        var nullAt: Int?
        for b in buffers {
            switch b {
            case .bytes(let bytes): data += bytes
            case .null(let length):
                if length > 0 && nullAt == nil { nullAt = data.count }
            }
        }
        return (data, nullAt)
    }

    /// ``sendSource(_:)`` of one buffer (write, send, sendto): its bytes are
    /// shared, not copied, and no array is made around it.
    static func sendSource(_ buffer: SendBuffer) -> (data: [UInt8], nullAt: Int?) {
        switch buffer {
        case .bytes(let bytes): return (bytes, nil)
        case .null(let length): return ([], length > 0 ? 0 : nil)
        }
    }

    func send(fd: Int32, source: (data: [UInt8], nullAt: Int?), flags: Int32, name: String,
              address: SocketAddress? = nil) -> SyscallOutcome {
        guard let file = files.file(fd) else { return .completed(Self.fail(EBADF)) }
        let (data, nullAt) = source
        if case .pipe(let pipe, let isReadEnd) = file.kind {
            guard !isReadEnd else { return .completed(Self.fail(EBADF)) }
            if pipe.readersOpen == 0 { return .completed(Self.fail(EPIPE)) }
            if nullAt != nil { return .completed(Self.fail(EFAULT)) }
            let room = pipe.capacity - pipe.bytes.count
            if room <= 0 {
                if file.isNonBlocking { return .completed(Self.fail(EAGAIN)) }
            }
            let n = min(room, data.count)
            pipe.bytes.append(Array(data.prefix(n)))
            pipe.wakeCount &+= 1
            stack.runWakeups()
            return .completed(SocketCallResult(value: Int64(n)))
        }
        guard let sk = file.socket else { return .completed(Self.fail(EBADF)) }
        let nonBlocking = file.isNonBlocking || flags & MSG_DONTWAIT != 0
        if flags & MSG_FASTOPEN != 0 || sk.deferConnect {
            if let failure = sendFastOpen(sk, file: file, address: address, nonBlocking: nonBlocking) { return failure }
        }
        sk.rateCheckAppLimited()
        let total = nullAt ?? data.count
        let faultAfter = nullAt != nil
        var copied = 0
        let first = data.withUnsafeBytes { raw in
            sk.sendAttempt(raw, offset: &copied, count: total, flags: flags, canBlock: !nonBlocking, faultAfter: faultAfter)
        }
        if let r = first { return .completed(r) }
        if nonBlocking {
            return .completed(copied > 0 ? SocketCallResult(value: Int64(copied)) : Self.fail(EAGAIN))
        }
        return sendSleeping(sk, data: data, total: total, copied: copied, flags: flags, faultAfter: faultAfter, name: name)
    }

    /// A send that sleeps after its first try took `copied` bytes: only this
    /// call needs its retries as closures (and its progress boxed).
    private func sendSleeping(_ sk: TCPSocket, data: [UInt8], total: Int, copied taken: Int, flags: Int32,
                              faultAfter: Bool, name: String) -> SyscallOutcome {
        var copied = taken
        let attempt: (Bool) -> SocketCallResult? = { canBlock in
            data.withUnsafeBytes { raw in
                sk.sendAttempt(raw, offset: &copied, count: total, flags: flags, canBlock: canBlock, faultAfter: faultAfter)
            }
        }
        let deadline = sk.sendTimeout > 0 ? stack.now + sk.sendTimeout : nil
        // sk_stream_wait_memory: the writer sleeps until something wakes the socket
        // (space announced, data, a state change), then checks again.
        var seenWake = sk.wakeCount
        let wokenAttempt: () -> SocketCallResult? = {
            guard sk.wakeCount != seenWake else { return nil }
            seenWake = sk.wakeCount
            return attempt(true)
        }
        return .blocked(BlockedCall(name: name, deadline: deadline, attempt: wokenAttempt,
                                    timeout: { copied > 0 ? SocketCallResult(value: Int64(copied)) : Self.fail(EAGAIN) }))
    }

    // MARK: - Calls on the caller's memory

    /// `send(fd, bytes, flags | MSG_DONTWAIT)`: copies what fits from the
    /// caller's memory straight into the socket's send queue, as the kernel
    /// copies from user memory, without an intermediate array. It never
    /// sleeps (the memory is only borrowed for the call): where a blocking
    /// send would wait it returns what it took, or EAGAIN.
    public func send(fd: Int32, bytes: UnsafeRawBufferPointer, flags: Int32 = 0) -> SocketCallResult {
        if exiting { return Self.fail(ESRCH) }
        let flags = flags | MSG_DONTWAIT
        // Everything but the plain socket case takes the general path.
        return withSocket(fd, failure: { _ in sendGeneral(fd: fd, bytes: bytes, flags: flags) }) { _, sk in
            guard flags & MSG_FASTOPEN == 0, !sk.deferConnect, bytes.count > 0 else {
                return sendGeneral(fd: fd, bytes: bytes, flags: flags)
            }
            return send(sk, bytes: bytes, flags: flags)
        }
    }

    /// send(fd:bytes:flags:) for everything but the plain socket case.
    private func sendGeneral(fd: Int32, bytes: UnsafeRawBufferPointer, flags: Int32) -> SocketCallResult {
        completedNow(send(fd: fd, source: (Array(bytes), nil), flags: flags, name: "send"))
    }

    /// send(fd:bytes:flags:) on a plain socket.
    private func send(_ sk: TCPSocket, bytes: UnsafeRawBufferPointer, flags: Int32) -> SocketCallResult {
        sk.rateCheckAppLimited()
        var copied = 0
        return sk.sendAttempt(bytes, offset: &copied, count: bytes.count, flags: flags, canBlock: false,
                              faultAfter: false)
            ?? (copied > 0 ? SocketCallResult(value: Int64(copied)) : Self.fail(EAGAIN))
    }

    /// `recv(fd, buffer, flags | MSG_DONTWAIT)`: copies what is readable
    /// straight from the socket's receive queue into the caller's memory. The
    /// result's value is the byte count and its output `.none` (the bytes are
    /// in `buffer`). It never sleeps: where a blocking recv would wait it
    /// returns EAGAIN.
    public func receive(fd: Int32, into buffer: UnsafeMutableRawBufferPointer, flags: Int32 = 0) -> SocketCallResult {
        if exiting { return Self.fail(ESRCH) }
        let flags = flags | MSG_DONTWAIT
        // Everything but the plain socket case takes the general path.
        return withSocket(fd, failure: { _ in receiveGeneral(fd: fd, into: buffer, flags: flags) }) { _, sk in
            guard sk.state != .listen, flags & (MSG_OOB | MSG_ERRQUEUE) == 0, let destination = buffer.baseAddress else {
                return receiveGeneral(fd: fd, into: buffer, flags: flags)
            }
            return sk.receiveAttempt(capacity: buffer.count, flags: flags, nullBuffer: false, canBlock: false,
                                     into: destination) ?? Self.fail(EAGAIN)
        }
    }

    /// receive(fd:into:flags:) for everything but the plain socket case.
    private func receiveGeneral(fd: Int32, into buffer: UnsafeMutableRawBufferPointer, flags: Int32)
        -> SocketCallResult
    {
        let r = completedNow(receive(fd: fd, room: (buffer.count, false), flags: flags, name: "recv", form: .plain))
        guard case .received(let data) = r.output else { return r }
        data.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0.prefix(buffer.count))) }
        return SocketCallResult(value: r.value, errno: r.errno)
    }

    /// The result of a call started with MSG_DONTWAIT (which completes at once).
    private func completedNow(_ outcome: SyscallOutcome) -> SocketCallResult {
        switch outcome {
        case .completed(let r): return r
        case .blocked: return Self.fail(EAGAIN)
        }
    }

    /// tcp_sendmsg_fastopen: the write that starts a Fast Open connection. The
    /// SYN goes out as Linux's fallback sends it (a cookie request, no data in the
    /// SYN); the data follows once the connection is established. Returns the
    /// call's outcome when it ends here.
    func sendFastOpen(_ sk: TCPSocket, file: OpenFile, address: SocketAddress?, nonBlocking: Bool) -> SyscallOutcome? {
        guard stack.sysctls.tcpFastopen & 1 != 0 else { return .completed(Self.fail(EOPNOTSUPP)) }
        if case .unspecified? = address { return .completed(Self.fail(EOPNOTSUPP)) }
        if sk.fastOpenRequest { return .completed(Self.fail(EALREADY)) }
        if sk.deferConnect {
            sk.deferConnect = false
            sk.fastOpenRequest = true
            sk.fastOpenCookie = nil
            sk.sendSyn()
        } else if sk.state == .close && sk.connectState == .unconnected {
            guard let address, let (ip, port) = Self.ipAddress(address) else { return .completed(Self.fail(EDESTADDRREQ)) }
            sk.fastOpenRequest = true
            sk.fastOpenCookie = nil
            let e = sk.connect(to: TCPEndpoint(ip, port))
            if e != 0 {
                sk.fastOpenRequest = false
                return .completed(Self.fail(e))
            }
            sk.connectState = .connecting
        } else {
            return nil
        }
        if nonBlocking { return .completed(Self.fail(EINPROGRESS)) }
        return nil
    }

    // MARK: - shutdown and close

    func shutdown(fd: Int32, how: Int32) -> SocketCallResult {
        let sk: TCPSocket
        switch socket(fd) {
        case .success(let pair): sk = pair.1
        case .failure(let e): return Self.fail(e.errno)
        }
        if sk.connectState == .connecting {
            sk.connectState = (sk.state == .synSent || sk.state == .synReceived || sk.state == .close) ? .disconnecting : .connected
        }
        let err = sk.shutdown(how: how)
        return err == 0 ? SocketCallResult(value: 0) : Self.fail(err)
    }

    /// `close(fd)`, as ``start(_:)`` runs it, called directly.
    public func close(fd: Int32) -> SyscallOutcome {
        if exiting { return .completed(Self.fail(ESRCH)) }
        guard let f = files.remove(fd) else { return .completed(Self.fail(EBADF)) }
        guard f.references == 0 else { return .completed(SocketCallResult(value: 0)) }
        let outcome = release(f)
        // The object is kept for the next open, unless someone still holds it.
        files.recycle(f)
        return outcome
    }

    /// __fput: the last reference to an open file description is gone.
    func release(_ f: OpenFile) -> SyscallOutcome {
        // Sockets first: the hot case takes only the socket out of the kind,
        // lent on unretained (`f` holds it; a sleeping close holds its own).
        if let sk = f.unretainedSocket { return sk._withUnsafeGuaranteedRef { release(socket: $0) } }
        switch f.kind {
        case .terminal, .socket:
            break
        case .pipe(let pipe, let isReadEnd):
            if isReadEnd { pipe.readersOpen -= 1 } else { pipe.writersOpen -= 1 }
            pipe.wakeCount &+= 1
        case .epoll(let ep):
            ep.close()
        }
        return .completed(SocketCallResult(value: 0))
    }

    /// __fput -> sock_close -> inet_release for a socket.
    private func release(socket sk: TCPSocket) -> SyscallOutcome {
        // Most sockets were never in an epoll set: no dictionary to walk or empty.
        if sk.hasEpollWatchers {
            for (_, ep) in sk.epollWatchers { ep.forget(sk) }
            sk.epollWatchers.removeAll()
        }
        // inet_release: the linger time, unless the process is exiting.
        let timeout: Int64 = (sk.lingerOn && !exiting) ? Int64(sk.lingerSeconds) * 1_000_000 : 0
        let wait = sk.closeBegin(lingerTimeout: timeout)
        if !wait {
            sk.closeFinish()
            return .completed(SocketCallResult(value: 0))
        }
        let deadline = stack.now + timeout
        let attempt: () -> SocketCallResult? = {
            if sk.state == .finWait1 || sk.state == .closing || sk.state == .lastAck { return nil }
            sk.closeFinish()
            return SocketCallResult(value: 0)
        }
        return .blocked(BlockedCall(name: "close", deadline: deadline, attempt: attempt, timeout: {
            sk.closeFinish()
            return SocketCallResult(value: 0)
        }))
    }

    /// do_exit: the process exits with every descriptor it holds.
    ///
    /// exit_files closes the table in ascending order (close_files: filp_close ->
    /// fput); a file whose last reference goes is queued as task work (____fput), and
    /// exit_task_work runs that queue newest first, so the files are released in the
    /// reverse of that order. The task is exiting (PF_EXITING), so inet_release passes
    /// no linger time to tcp_close: nothing waits, while tcp_close's own rules (RST
    /// for unread data, abort for SO_LINGER {1, 0}) still apply. Calling it again
    /// does nothing.
    public func exitProcess() {
        guard !exiting else { return }
        exiting = true
        var taskWork: [OpenFile] = []
        for fd in files.openDescriptors {
            if let f = files.remove(fd), f.references == 0 { taskWork.append(f) }
        }
        for f in taskWork.reversed() {
            _ = release(f)
        }
        stack.runWakeups()
    }

    // MARK: - dup, fcntl, ioctl, pipe

    func dup(fd: Int32) -> SocketCallResult {
        guard let f = files.file(fd) else { return Self.fail(EBADF) }
        guard let newFD = files.lowestFree() else { return Self.fail(EMFILE) }
        files.install(f, at: newFD)
        return SocketCallResult(value: Int64(newFD))
    }

    /// do_dup2: `newFD` takes `fd`'s file, and the file it held loses that reference
    /// (filp_close). When that was its last reference the file is released before the
    /// call returns (the task work runs on the way back to user space), so dup2 onto
    /// a socket with SO_LINGER {1, t} waits as close() would, and returns `newFD`.
    func dup2(fd: Int32, newFD: Int32) -> SyscallOutcome {
        guard let f = files.file(fd) else { return done(Self.fail(EBADF)) }
        if newFD < 0 || newFD >= files.limit { return done(Self.fail(EBADF)) }
        let installed = SocketCallResult(value: Int64(newFD))
        if fd == newFD { return done(installed) }
        let old = files.remove(newFD)
        files.install(f, at: newFD)
        guard let old, old.references == 0 else { return done(installed) }
        switch release(old) {
        case .completed:
            return done(installed)
        case .blocked(let wait):
            return .blocked(BlockedCall(name: "dup2", deadline: wait.deadline, attempt: { wait.poll().map { _ in installed } },
                                        timeout: {
                                            _ = wait.expire()
                                            return installed
                                        }))
        }
    }

    func fcntl(fd: Int32, command: Int32, argument: Int64?) -> SocketCallResult {
        guard let f = files.file(fd) else { return Self.fail(EBADF) }
        let arg = Int32(truncatingIfNeeded: argument ?? 0)
        switch command {
        case F_GETFL:
            return SocketCallResult(value: Int64(f.statusFlags))
        case F_SETFL:
            let settable = O_APPEND | O_NONBLOCK | 0o20000 | 0o40000 | 0o1000000
            f.statusFlags = (f.statusFlags & ~settable) | (arg & settable)
            return SocketCallResult(value: 0)
        case F_GETFD:
            return SocketCallResult(value: files.isCloseOnExec(fd) ? Int64(FD_CLOEXEC) : 0)
        case F_SETFD:
            files.setCloseOnExec(fd, arg & FD_CLOEXEC != 0)
            return SocketCallResult(value: 0)
        case F_DUPFD, F_DUPFD_CLOEXEC:
            if arg < 0 || arg >= files.limit { return Self.fail(EINVAL) }
            guard let newFD = files.lowestFree(from: arg) else { return Self.fail(EMFILE) }
            files.install(f, at: newFD, cloexec: command == F_DUPFD_CLOEXEC)
            return SocketCallResult(value: Int64(newFD))
        default:
            return Self.fail(EINVAL)
        }
    }

    func ioctl(fd: Int32, request: UInt64) -> SocketCallResult {
        guard let f = files.file(fd) else { return Self.fail(EBADF) }
        switch f.kind {
        case .pipe(let pipe, _):
            if request == FIONREAD { return SocketCallResult(value: 0, output: .integer(Int64(pipe.bytes.count))) }
            return Self.fail(ENOTTY)
        case .socket(let sk):
            if request == FIONBIO { return SocketCallResult(value: 0) }
            if request != SIOCINQ && request != SIOCOUTQ && request != SIOCOUTQNSD { return Self.fail(ENOTTY) }
            if sk.state == .listen { return Self.fail(EINVAL) }
            let unsynchronized = sk.state == .synSent || sk.state == .synReceived
            var answer: Int64 = 0
            switch request {
            case SIOCINQ:
                if !unsynchronized {
                    answer = Int64(sk.copiedSeq.distance(to: sk.rcvNxt))
                    if answer > 0 && sk.sockDone && sk.finReceived { answer -= 1 }
                }
            case SIOCOUTQ:
                if !unsynchronized { answer = Int64(sk.sndUna.distance(to: sk.writeSeq)) }
            default:
                if !unsynchronized { answer = Int64(sk.sndNxt.distance(to: sk.writeSeq)) }
            }
            return SocketCallResult(value: 0, output: .integer(max(0, answer)))
        default:
            return Self.fail(ENOTTY)
        }
    }

    func pipe() -> SocketCallResult {
        guard let r = files.lowestFree() else { return Self.fail(EMFILE) }
        let buffer = PipeBuffer()
        let rf = files.open(.pipe(buffer, isReadEnd: true), statusFlags: O_RDONLY)
        files.install(rf, at: r)
        guard let w = files.lowestFree() else {
            _ = files.remove(r)
            return Self.fail(EMFILE)
        }
        let wf = files.open(.pipe(buffer, isReadEnd: false), statusFlags: O_WRONLY)
        files.install(wf, at: w)
        return SocketCallResult(value: 0, output: .pipe(read: r, write: w))
    }
}

/// An errno carried through Result.
struct SocketLayerError: Error {
    var errno: Int32
    init(_ errno: Int32) { self.errno = errno }
}

extension NetworkStack {
    /// Listening on a port another listener already holds (inet_csk_get_port at listen()).
    func bindConflictsForListen(_ sk: TCPSocket) -> Bool {
        for other in listeners[sk.localPort] where other !== sk && other.state == .listen {
            if sk.reusePort && other.reusePort { continue }
            let overlap: Bool
            if sk.bindAddressWasAny || other.bindAddressWasAny {
                overlap = true
            } else if let a = sk.localAddress, let b = other.localAddress {
                overlap = addressesMatch(a, b)
            } else {
                overlap = true
            }
            if overlap { return true }
        }
        return false
    }
}
