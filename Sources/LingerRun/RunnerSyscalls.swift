import LingerScript
import LingerWire

/// A problem with one system call, in packetdrill's words (without the line prefix).
struct SyscallError: Error {
    var message: String
    init(_ message: String) { self.message = message }
}

/// A system call ready to start: what the backend runs, and what to check after.
struct PreparedCall {
    enum ResultMode { case exact, fileDescriptor }
    var call: SocketCall
    var mode: ResultMode = .exact
    /// Out-parameter checks and socket tracking, after the result matched.
    var after: (SocketCallResult) throws(SyscallError) -> Void = { _ throws(SyscallError) in }
}

/// The blocking call in progress: packetdrill's syscall thread.
struct PendingCall {
    var spec: SyscallSpec
    var timing: ScriptRunner.EventTiming
    var prepared: PreparedCall
}

/// An evaluated argument: symbols resolved, strings unescaped.
indirect enum ArgumentValue {
    case ellipsis
    case integer(Int64)
    case string([UInt8])
    case list([ArgumentValue])
    case structure([ArgumentValue])
    case assignment(String, ArgumentValue)
    case linger(Int64, Int64)
    case in6Address(IPv6Address)
    case sockaddrIn(SyscallExpression.Kind)
    case iovec(Int64)
    case msghdr(MessageHeader)
    case pollfd(SyscallExpression, SyscallExpression, SyscallExpression?)
    case epollEvent(SyscallExpression, EpollData)
    case cmsg(SyscallExpression, SyscallExpression, SyscallExpression)
    case other(String)

    /// packetdrill's name for the type, used in "Bad type" messages.
    var typeName: String {
        switch self {
        case .ellipsis: "ellipsis"
        case .integer: "integer"
        case .string: "string"
        case .list: "list"
        case .structure: "list"
        case .assignment: "binary_expression"
        case .linger: "linger"
        case .in6Address: "in6_addr"
        case .sockaddrIn: "sockaddr_in"
        case .iovec: "iovec"
        case .msghdr: "msghdr"
        case .pollfd: "pollfd"
        case .epollEvent: "epollev"
        case .cmsg: "cmsg"
        case .other(let name): name
        }
    }
}

extension ScriptRunner {
    // MARK: - Evaluating expressions (script.c's evaluate)

    func evaluate(_ expression: SyscallExpression) throws(SyscallError) -> ArgumentValue {
        switch expression.kind {
        case .ellipsis: return .ellipsis
        case .integer(let n, _): return .integer(n)
        case .word(let name):
            if name == "NULL" { return .integer(0) }
            if let value = LinuxSymbols.value(of: name) { return .integer(value) }
            if let errno = LinuxErrno.number(named: name) { return .integer(Int64(errno)) }
            throw SyscallError("unknown symbol: '\(name)'")
        case .string(let text): return .string(try Self.unescape(text))
        case .stringConcatenation(let parts):
            var bytes: [UInt8] = []
            for part in parts { bytes += try Self.unescape(part) }
            return .string(bytes)
        case .stringPrefix(let text): return .string(try Self.unescape(text))
        case .bitwiseOr(let a, let b):
            guard case .integer(let x) = try evaluate(a) else { throw SyscallError("left hand side of | not an integer") }
            guard case .integer(let y) = try evaluate(b) else { throw SyscallError("right hand side of | not an integer") }
            return .integer(x | y)
        case .assignment(let name, let value): return .assignment(name, try evaluate(value))
        case .array(let items):
            var out: [ArgumentValue] = []
            for item in items { out.append(try evaluate(item)) }
            return .list(out)
        case .structure(let items):
            var out: [ArgumentValue] = []
            for item in items { out.append(try evaluate(item)) }
            // {l_onoff=N, l_linger=N} is a struct linger.
            if out.count == 2, case .assignment("l_onoff", .integer(let on)) = out[0],
               case .assignment("l_linger", .integer(let seconds)) = out[1] {
                return .linger(on, seconds)
            }
            return .structure(out)
        case .inetAddress: return .other("inet_addr")
        case .inet6Address(let text):
            guard let address = IPv6Address(text) else { throw SyscallError("bad IPv6 address: \(text)") }
            return .in6Address(address)
        case .socketAddress: return .sockaddrIn(expression.kind)
        case .messageHeader(let header): return .msghdr(header)
        case .ioVector(let length): return .iovec(length)
        case .pollDescriptor(let fd, let events, let revents): return .pollfd(fd, events, revents)
        case .epollEvent(let events, let data): return .epollEvent(events, data)
        case .linger(let on, let seconds): return .linger(on, seconds)
        case .mplsStack: return .other("mpls_stack")
        case .controlMessage(let level, let type, let data): return .cmsg(level, type, data)
        case .timestamping: return .other("scm_timestamping")
        case .extendedError: return .other("sock_extended_err")
        case .greHeader: return .other("gre")
        }
    }

    /// Unescapes a C string literal's body (`\n`, `\t`, `\xhh`, `\\`, `\"`, ...).
    static func unescape(_ text: String) throws(SyscallError) -> [UInt8] {
        var out: [UInt8] = []
        let bytes = Array(text.utf8)
        var i = 0
        while i < bytes.count {
            let c = bytes[i]
            guard c == UInt8(ascii: "\\") else {
                out.append(c)
                i += 1
                continue
            }
            i += 1
            guard i < bytes.count else { throw SyscallError("unsupported escape code: ''") }
            switch bytes[i] {
            case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\"))
            case UInt8(ascii: "\""): out.append(UInt8(ascii: "\""))
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "v"): out.append(0x0B)
            case UInt8(ascii: "x"):
                let rest = String(decoding: bytes[(i + 1)...], as: UTF8.self)
                guard i + 2 < bytes.count, let value = UInt8(String(decoding: bytes[(i + 1)...(i + 2)], as: UTF8.self), radix: 16) else {
                    throw SyscallError("invalid hex escape (\\xhh): '\\x\(rest)'")
                }
                out.append(value)
                i += 2
            default:
                throw SyscallError("unsupported escape code: '\(String(decoding: [bytes[i]], as: UTF8.self))'")
            }
            i += 1
        }
        return out
    }

    // MARK: - Argument helpers (run_system_call.c's get_arg, s32_arg, ...)

    func checkCount(_ args: [ArgumentValue], _ expected: Int) throws(SyscallError) {
        if args.count != expected { throw SyscallError("Expected \(expected) args but got \(args.count)") }
    }

    func arg(_ args: [ArgumentValue], _ index: Int) throws(SyscallError) -> ArgumentValue {
        guard index < args.count else { throw SyscallError("Argument list too short") }
        return args[index]
    }

    static func int32(_ value: ArgumentValue) throws(SyscallError) -> Int32 {
        guard case .integer(let n) = value else {
            throw SyscallError("Bad type; actual: \(value.typeName) expected: integer")
        }
        guard n <= Int64(UInt32.max), n >= Int64(Int32.min) else {
            throw SyscallError("Value out of range for 32-bit integer: \(n)")
        }
        return Int32(truncatingIfNeeded: n)
    }

    func s32(_ args: [ArgumentValue], _ index: Int) throws(SyscallError) -> Int32 {
        try Self.int32(try arg(args, index))
    }

    func isEllipsis(_ args: [ArgumentValue], _ index: Int) throws(SyscallError) -> Bool {
        if case .ellipsis = try arg(args, index) { return true }
        return false
    }

    func requireEllipsis(_ args: [ArgumentValue], _ index: Int) throws(SyscallError) {
        let value = try arg(args, index)
        guard case .ellipsis = value else { throw SyscallError("Bad type; actual: \(value.typeName) expected: ellipsis") }
    }

    func bracketedInt(_ value: ArgumentValue) throws(SyscallError) -> Int32 {
        guard case .list(let items) = value else { throw SyscallError("Bad type; actual: \(value.typeName) expected: list") }
        guard items.count == 1, let first = items.first else { throw SyscallError("Expected [<element>] but got multiple elements") }
        return try Self.int32(first)
    }

    /// buffer_arg: `...` is a buffer, 0 (NULL) a NULL pointer.
    func isNullBuffer(_ args: [ArgumentValue], _ index: Int) throws(SyscallError) -> Bool {
        switch try arg(args, index) {
        case .ellipsis: return false
        case .integer(0): return true
        default: throw SyscallError("Expected ... or NULL for buffer")
        }
    }

    /// The live descriptor a call gets for a script descriptor that was open earlier in
    /// the run and is closed now: a number above any RLIMIT_NOFILE, so the system under
    /// test answers as for any closed descriptor (EBADF; POLLNVAL in poll). packetdrill
    /// stops the script instead; Linger lets a script show Linux's answer
    /// (`close(4) = -1 EBADF` after `close(4) = 0`).
    static let closedLiveDescriptor = Int32.max

    func liveFD(_ scriptFD: Int32) throws(SyscallError) -> Int32 {
        guard let entry = entries.first(where: { !$0.isClosed && $0.scriptFD == scriptFD }) else {
            // A number the script never opened is most likely a mistake in it: stop, as
            // packetdrill does.
            if scriptFD >= 0, entries.contains(where: { $0.scriptFD == scriptFD }) { return Self.closedLiveDescriptor }
            throw SyscallError("unable to find fd with script fd \(scriptFD)")
        }
        return entry.liveFD
    }

    func liveFD(_ args: [ArgumentValue], _ index: Int) throws(SyscallError) -> Int32 {
        try liveFD(try s32(args, index))
    }

    func checkDuplicate(scriptFD: Int32, liveFD: Int32) throws(SyscallError) {
        if entries.contains(where: { !$0.isClosed && $0.scriptFD == scriptFD }) {
            throw SyscallError("duplicate fd \(scriptFD) in script")
        }
        if entries.contains(where: { !$0.isClosed && $0.liveFD == liveFD }) {
            throw SyscallError("duplicate live fd \(liveFD)")
        }
    }

    func iovecs(_ value: ArgumentValue) throws(SyscallError) -> [Int] {
        guard case .list(let items) = value else { throw SyscallError("Bad type; actual: \(value.typeName) expected: list") }
        var lengths: [Int] = []
        for item in items {
            guard case .iovec(let length) = item else { throw SyscallError("Bad type; actual: \(item.typeName) expected: iovec") }
            guard length >= 0, length <= Int64(Int32.max) else { throw SyscallError("Value out of range for 32-bit integer: \(length)") }
            lengths.append(Int(length))
        }
        return lengths
    }

    /// The address bind() gets: the local address and --bind_port.
    var bindAddress: SocketAddress { socketAddress(configuration.network.localAddress, configuration.network.bindPort) }
    /// The address connect() gets: the remote address and --connect_port.
    var connectAddress: SocketAddress { socketAddress(configuration.network.remoteAddress, configuration.network.connectPort) }

    func socketAddress(_ address: IPAddress, _ port: UInt16) -> SocketAddress {
        switch (configuration.network.ipVersion, address) {
        case (.ipv4MappedIPv6, .v4(let v4)):
            return .ipv6(IPv6Address(high: 0, low: 0xFFFF_0000_0000 | UInt64(v4.value)), port: port)
        case (_, .v4(let v4)): return .ipv4(v4, port: port)
        case (_, .v6(let v6)): return .ipv6(v6, port: port)
        }
    }

    func addressLength(_ address: SocketAddress) -> UInt32 {
        switch address {
        case .ipv4: 16
        case .ipv6: 28
        case .unspecified: 16
        }
    }

    /// run_syscall_connect: an active open's remote end, before the call.
    func noteConnect(scriptFD: Int32, family: Int32?) throws(SyscallError) -> SocketAddress {
        let address: SocketAddress
        if let family {
            guard family == 0 else { throw SyscallError("address family \(family) in connect/sendto is not supported by linger") }
            address = .unspecified
        } else {
            address = connectAddress
        }
        guard let socket = entries.first(where: { !$0.isClosed && $0.scriptFD == scriptFD && $0.isSocket }) else {
            return address
        }
        if case .unspecified = address {
            socket.state = .new
            return address
        }
        if socket.state != .new { return address }
        socket.state = .activeConnecting
        socket.script.remote = SocketEndpoint()
        socket.script.local = SocketEndpoint()
        socket.live.remote = SocketEndpoint(address: configuration.network.remoteAddress, port: configuration.network.connectPort)
        return address
    }

    // MARK: - Building calls

    /// The system calls Linger runs (packetdrill's, plus `dup`, `dup2` and `exit`).
    static let supportedSystemCalls: Set<String> = [
        "socket", "bind", "listen", "accept", "connect", "read", "readv", "recv", "recvfrom", "recvmsg", "write",
        "writev", "send", "sendto", "sendmsg", "fcntl", "ioctl", "close", "shutdown", "getsockopt", "setsockopt",
        "poll", "epoll_create", "epoll_ctl", "epoll_wait", "pipe", "dup", "dup2", "accept4", "exit",
    ]
    /// packetdrill's system calls that Linger does not run.
    static let packetdrillOnlySystemCalls: Set<String> = ["cap_set", "open", "sendfile", "splice", "psp_rx_assoc", "psp_tx_assoc"]

    /// Fails for a call Linger does not run: unsupported for packetdrill's others,
    /// an error for names nobody knows.
    static func checkKnown(_ spec: SyscallSpec) throws(SyscallError) {
        if spec.name == socketTableCallName { return }  // the ss() pseudo-call
        if packetdrillOnlySystemCalls.contains(spec.name) {
            throw SyscallError("the \(spec.name) system call is not supported by linger")
        }
        guard supportedSystemCalls.contains(spec.name) else { throw SyscallError("Unknown system call: '\(spec.name)'") }
    }

    /// Checks every system call's name before the run starts, so a typo or an
    /// unsupported call fails at once rather than after the script's waits; so does a
    /// system call or code block after `exit()`, which has no process left to run in.
    func checkSystemCallsBeforeRunning() throws(RunFailure) {
        var exitLine: Int?
        for event in script.events {
            let line = event.location.line
            switch event.action {
            case .syscall(let spec):
                do throws(SyscallError) {
                    try Self.checkKnown(spec)
                    if let exitLine { throw SyscallError(Self.processExitedMessage(exitLine)) }
                } catch {
                    throw syscallFailure(line, spec, error.message)
                }
                if spec.name == "exit" { exitLine = line }
            case .code:
                if let exitLine {
                    throw .script("\(scriptPath):\(line): runtime error in code: \(Self.processExitedMessage(exitLine)): no socket is left to read tcp_info from")
                }
            case .packet, .command:
                break
            }
        }
    }

    /// Why nothing can run after `exit()`.
    static func processExitedMessage(_ exitLine: Int) -> String {
        "the script's process has exited (exit() at line \(exitLine))"
    }

    func prepare(_ spec: SyscallSpec) throws(SyscallError) -> PreparedCall {
        var args: [ArgumentValue] = []
        try Self.checkKnown(spec)
        for expression in spec.arguments { args.append(try evaluate(expression)) }
        switch spec.name {
        case "socket": return try prepareSocket(spec, args)
        case "bind":
            try checkCount(args, 3)
            let fd = try liveFD(args, 0)
            try requireEllipsis(args, 1)
            try requireEllipsis(args, 2)
            return PreparedCall(call: .bind(fd: fd, address: bindAddress, length: addressLength(bindAddress)))
        case "listen":
            try checkCount(args, 2)
            let scriptFD = try s32(args, 0)
            let fd = try liveFD(scriptFD)
            let backlog = try s32(args, 1)
            return PreparedCall(call: .listen(fd: fd, backlog: backlog)) { [self] _ throws(SyscallError) in
                guard let socket = entries.first(where: { !$0.isClosed && $0.scriptFD == scriptFD && $0.isSocket }) else {
                    throw SyscallError("unable to find socket with script fd \(scriptFD)")
                }
                socket.state = .passiveListening
            }
        case "accept", "accept4": return try prepareAccept(spec, args)
        case "connect":
            try checkCount(args, 3)
            let scriptFD = try s32(args, 0)
            let fd = try liveFD(scriptFD)
            let family: Int32? = try isEllipsis(args, 1) ? nil : try s32(args, 1)
            try requireEllipsis(args, 2)
            let address = try noteConnect(scriptFD: scriptFD, family: family)
            return PreparedCall(call: .connect(fd: fd, address: address, length: addressLength(address)))
        case "read":
            try checkCount(args, 3)
            let fd = try liveFD(args, 0)
            let null = try isNullBuffer(args, 1)
            let count = Int(try s32(args, 2))
            return PreparedCall(call: .read(fd: fd, buffer: null ? .null(length: count) : .capacity(max(0, count))))
        case "readv", "writev":
            try checkCount(args, 3)
            let fd = try liveFD(args, 0)
            let lengths = try iovecs(try arg(args, 1))
            let count = try s32(args, 2)
            if Int(count) != lengths.count {
                throw SyscallError("iov_count \(count) does not match \(lengths.count)-element iovec array")
            }
            if spec.name == "readv" { return PreparedCall(call: .readv(fd: fd, buffers: lengths.map { .capacity($0) })) }
            return PreparedCall(call: .writev(fd: fd, buffers: lengths.map { .bytes([UInt8](repeating: 0, count: $0)) }))
        case "recv", "recvfrom":
            try checkCount(args, spec.name == "recv" ? 4 : 6)
            let fd = try liveFD(args, 0)
            let null = try isNullBuffer(args, 1)
            let count = Int(try s32(args, 2))
            let flags = try s32(args, 3)
            let buffer: ReceiveBuffer = null ? .null(length: count) : .capacity(max(0, count))
            if spec.name == "recv" { return PreparedCall(call: .recv(fd: fd, buffer: buffer, flags: flags)) }
            try requireEllipsis(args, 4)
            try requireEllipsis(args, 5)
            return PreparedCall(call: .recvfrom(fd: fd, buffer: buffer, flags: flags))
        case "recvmsg", "sendmsg": return try prepareMessage(spec, args)
        case "write", "send", "sendto":
            try checkCount(args, spec.name == "write" ? 3 : (spec.name == "send" ? 4 : 6))
            let scriptFD = try s32(args, 0)
            let fd = try liveFD(scriptFD)
            let null = try isNullBuffer(args, 1)
            let count = Int(try s32(args, 2))
            let data: SendBuffer = null ? .null(length: count) : .bytes([UInt8](repeating: 0, count: max(0, count)))
            if spec.name == "write" { return PreparedCall(call: .write(fd: fd, data: data)) }
            let flags = try s32(args, 3)
            if spec.name == "send" { return PreparedCall(call: .send(fd: fd, data: data, flags: flags)) }
            let family: Int32? = try isEllipsis(args, 4) ? nil : try s32(args, 4)
            try requireEllipsis(args, 5)
            let address = try noteConnect(scriptFD: scriptFD, family: family)
            return PreparedCall(call: .sendto(fd: fd, data: data, flags: flags, address: address))
        case "fcntl":
            guard args.count == 2 || args.count == 3 else { throw SyscallError("fcntl expected 2-3 args but got \(args.count)") }
            let fd = try liveFD(args, 0)
            let command = try s32(args, 1)
            let argument: Int64? = args.count == 3 ? Int64(try s32(args, 2)) : nil
            return PreparedCall(call: .fcntl(fd: fd, command: command, argument: argument))
        case "ioctl":
            guard args.count == 2 || args.count == 3 else { throw SyscallError("ioctl expected 2-3 args but got \(args.count)") }
            let fd = try liveFD(args, 0)
            let request = try s32(args, 1)
            guard args.count == 3 else {
                throw SyscallError("ioctl without an int argument is not supported by linger")
            }
            let expected = try bracketedInt(try arg(args, 2))
            return PreparedCall(call: .ioctl(fd: fd, request: UInt64(UInt32(bitPattern: request)))) { result throws(SyscallError) in
                guard case .integer(let value) = result.output else { throw SyscallError("ioctl returned no int value") }
                if Int32(truncatingIfNeeded: value) != expected {
                    throw SyscallError("Bad ioctl optval: expected: \(expected) actual: \(Int32(truncatingIfNeeded: value))")
                }
            }
        case "close":
            try checkCount(args, 1)
            let scriptFD = try s32(args, 0)
            let fd = try liveFD(scriptFD)
            return PreparedCall(call: .close(fd: fd)) { [self] _ throws(SyscallError) in
                if fd == Self.closedLiveDescriptor { return }
                guard let entry = entries.first(where: { !$0.isClosed && $0.scriptFD == scriptFD && $0.liveFD == fd }) else {
                    throw SyscallError("unable to find fd with script fd \(scriptFD) and live fd \(fd)")
                }
                entry.isClosed = true
            }
        case "shutdown":
            try checkCount(args, 2)
            return PreparedCall(call: .shutdown(fd: try liveFD(args, 0), how: try s32(args, 1)))
        case "getsockopt": return try prepareGetsockopt(args)
        case "setsockopt": return try prepareSetsockopt(args)
        case "poll": return try preparePoll(args)
        case "epoll_create":
            try checkCount(args, 1)
            let size = try s32(args, 0)
            return PreparedCall(call: .epollCreate(size: size), mode: .fileDescriptor) { [self] result throws(SyscallError) in
                try trackNewDescriptor(spec, liveFD: Int32(truncatingIfNeeded: result.value))
            }
        case "epoll_ctl", "epoll_wait": return try prepareEpoll(spec, args)
        case "pipe":
            try checkCount(args, 1)
            let value = try arg(args, 0)
            guard case .list(let items) = value else { throw SyscallError("Bad type; actual: \(value.typeName) expected: list") }
            guard items.count == 2 else { throw SyscallError("\(items.count) pipe file descriptors instead of 2") }
            let scriptRead = try Self.int32(items[0])
            let scriptWrite = try Self.int32(items[1])
            return PreparedCall(call: .pipe) { [self] result throws(SyscallError) in
                guard result.value >= 0 else { return }
                guard case .pipe(let readFD, let writeFD) = result.output else { throw SyscallError("pipe returned no descriptors") }
                try checkDuplicate(scriptFD: scriptRead, liveFD: readFD)
                try checkDuplicate(scriptFD: scriptWrite, liveFD: writeFD)
                entries.insert(.plainDescriptor(scriptFD: scriptRead, liveFD: readFD), at: 0)
                entries.insert(.plainDescriptor(scriptFD: scriptWrite, liveFD: writeFD), at: 0)
            }
        case "dup":
            try checkCount(args, 1)
            let fd = try liveFD(args, 0)
            return PreparedCall(call: .dup(fd: fd), mode: .fileDescriptor) { [self] result throws(SyscallError) in
                try trackNewDescriptor(spec, liveFD: Int32(truncatingIfNeeded: result.value))
            }
        case "dup2":
            try checkCount(args, 2)
            let fd = try liveFD(args, 0)
            let newScriptFD = try s32(args, 1)
            // The new descriptor's live number: the live fd the script's number maps to, if open;
            // otherwise the same number (a descriptor the script has not named yet).
            let newLive = entries.first(where: { !$0.isClosed && $0.scriptFD == newScriptFD })?.liveFD ?? newScriptFD
            return PreparedCall(call: .dup2(fd: fd, newFD: newLive), mode: .fileDescriptor) { [self] result throws(SyscallError) in
                guard result.value >= 0 else { return }
                for entry in entries where !entry.isClosed && entry.liveFD == newLive && entry.liveFD != fd { entry.isClosed = true }
                if !entries.contains(where: { !$0.isClosed && $0.scriptFD == newScriptFD }) {
                    entries.insert(.plainDescriptor(scriptFD: newScriptFD, liveFD: Int32(truncatingIfNeeded: result.value)), at: 0)
                }
            }
        case "exit":
            // Linger's pseudo-call: the script's process exits. The backend closes every
            // descriptor as Linux does in do_exit; packets still come and go afterwards
            // (orphaned connections live on), but no call runs after it.
            try checkCount(args, 0)
            return PreparedCall(call: .exit) { [self] _ throws(SyscallError) in
                for entry in entries { entry.isClosed = true }
                processExited = true
            }
        default:
            throw SyscallError("Unknown system call: '\(spec.name)'")
        }
    }

    func trackNewDescriptor(_ spec: SyscallSpec, liveFD: Int32) throws(SyscallError) {
        guard liveFD >= 0 else { return }
        let scriptFD = try Self.int32(try evaluate(spec.result))
        try checkDuplicate(scriptFD: scriptFD, liveFD: liveFD)
        entries.insert(.plainDescriptor(scriptFD: scriptFD, liveFD: liveFD), at: 0)
    }

    func prepareSocket(_ spec: SyscallSpec, _ args: [ArgumentValue]) throws(SyscallError) -> PreparedCall {
        try checkCount(args, 3)
        let domain = try isEllipsis(args, 0) ? configuration.socketDomain : try s32(args, 0)
        let type = try s32(args, 1)
        let protocolNumber = try s32(args, 2)
        return PreparedCall(call: .socket(domain: domain, type: type, protocol: protocolNumber), mode: .fileDescriptor) {
            [self] result throws(SyscallError) in
            guard result.value >= 0 else { return }
            let liveFD = Int32(truncatingIfNeeded: result.value)
            let scriptFD = try Self.int32(try evaluate(spec.result))
            if scriptFD < 0 { throw SyscallError("invalid socket fd \(scriptFD) in script") }
            try checkDuplicate(scriptFD: scriptFD, liveFD: liveFD)
            let socket = TrackedSocket(state: .new, addressFamily: domain)
            socket.type = type & 0xF
            socket.protocolNumber = protocolNumber != 0 ? protocolNumber : (socket.type == 2 ? 17 : 6)
            socket.scriptFD = scriptFD
            socket.liveFD = liveFD
            entries.insert(socket, at: 0)
            socketUnderTest = socket
        }
    }

    func prepareAccept(_ spec: SyscallSpec, _ args: [ArgumentValue]) throws(SyscallError) -> PreparedCall {
        try checkCount(args, spec.name == "accept" ? 3 : 4)
        let fd = try liveFD(args, 0)
        try requireEllipsis(args, 1)
        try requireEllipsis(args, 2)
        let flags: Int32? = spec.name == "accept4" ? try s32(args, 3) : nil
        return PreparedCall(call: .accept(fd: fd, flags: flags), mode: .fileDescriptor) { [self] result throws(SyscallError) in
            guard result.value >= 0 else { return }
            let liveFD = Int32(truncatingIfNeeded: result.value)
            let scriptFD = try Self.int32(try evaluate(spec.result))
            let candidates = entries.filter {
                $0.isSocket && ($0.state == .passiveSynAckSent || $0.state == .passiveSynAckAcked)
            }
            guard let socket = candidates.first(where: { $0.scriptFD < 0 }) ?? candidates.first else {
                throw SyscallError("unable to find socket matching accept() call")
            }
            socket.scriptFD = scriptFD
            socket.liveFD = liveFD
            socket.isClosed = false
        }
    }

    func prepareMessage(_ spec: SyscallSpec, _ args: [ArgumentValue]) throws(SyscallError) -> PreparedCall {
        try checkCount(args, 3)
        let scriptFD = try s32(args, 0)
        let fd = try liveFD(scriptFD)
        let value = try arg(args, 1)
        guard case .msghdr(let header) = value else { throw SyscallError("Bad type; actual: \(value.typeName) expected: msghdr") }
        var lengths: [Int] = []
        for item in header.iov {
            let evaluated = try evaluate(item)
            guard case .iovec(let length) = evaluated else { throw SyscallError("Bad type; actual: \(evaluated.typeName) expected: iovec") }
            lengths.append(Int(max(0, min(length, Int64(Int32.max)))))
        }
        if Int(header.iovCount) != lengths.count {
            throw SyscallError("msg_iovlen \(header.iovCount) does not match \(lengths.count)-element iovec array")
        }
        let messageFlags = try Self.int32(try evaluate(header.flags))
        var control: [ControlMessage] = []
        for item in header.control ?? [] {
            let evaluated = try evaluate(item)
            guard case .cmsg(let level, let type, let data) = evaluated else {
                throw SyscallError("Bad type; actual: \(evaluated.typeName) expected: cmsg")
            }
            let dataValue = try evaluate(data)
            let bytes: [UInt8]
            switch dataValue {
            case .integer(let n): bytes = LinuxStructs.int32Bytes(Int32(truncatingIfNeeded: n))
            case .string(let s): bytes = s
            default: throw SyscallError("cmsg_data of type \(dataValue.typeName) is not supported by linger")
            }
            control.append(ControlMessage(level: try Self.int32(try evaluate(level)), type: try Self.int32(try evaluate(type)),
                                          data: bytes))
        }
        let flags = try s32(args, 2)
        if spec.name == "sendmsg" {
            let address = try noteConnect(scriptFD: scriptFD, family: nil)
            if messageFlags != 0 { throw SyscallError("sendmsg ignores msg_flags field in msghdr") }
            return PreparedCall(call: .sendmsg(fd: fd, buffers: lengths.map { .bytes([UInt8](repeating: 0, count: $0)) },
                                               control: control, flags: flags, address: address))
        }
        let controlRoom = control.reduce(0) { $0 + 16 + (($1.data.count + 7) & ~7) }
        return PreparedCall(call: .recvmsg(fd: fd, buffers: lengths.map { .capacity($0) }, controlLength: controlRoom, flags: flags)) {
            result throws(SyscallError) in
            guard case .message(_, let actualFlags, let actualControl) = result.output else {
                if messageFlags != 0 { throw SyscallError("Expected msg_flags 0x\(Self.hex8(messageFlags)) but got 0x00000000") }
                return
            }
            if actualFlags != messageFlags {
                throw SyscallError("Expected msg_flags 0x\(Self.hex8(messageFlags)) but got 0x\(Self.hex8(actualFlags))")
            }
            if header.control != nil && actualControl != control {
                throw SyscallError("Bad cmsg: expected \(control.count) control messages \(control.map { "{level=\($0.level), type=\($0.type), \($0.data.count) bytes}" }.joined(separator: ",")) but got \(actualControl.map { "{level=\($0.level), type=\($0.type), \($0.data.count) bytes}" }.joined(separator: ","))")
            }
        }
    }

    static func hex8(_ value: Int32) -> String {
        let text = String(UInt32(bitPattern: value), radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 8 - text.count)) + text
    }

    func prepareGetsockopt(_ args: [ArgumentValue]) throws(SyscallError) -> PreparedCall {
        try checkCount(args, 5)
        let fd = try liveFD(args, 0)
        let level = try s32(args, 1)
        let name = try s32(args, 2)
        let value = try arg(args, 3)
        let length = try bracketedInt(try arg(args, 4))
        return PreparedCall(call: .getsockopt(fd: fd, level: level, name: name, length: UInt32(bitPattern: length))) {
            [self] result throws(SyscallError) in
            guard case .option(let bytes) = result.output else { throw SyscallError("getsockopt returned no value") }
            if bytes.count != Int(length) {
                throw SyscallError("Bad getsockopt optlen: expected: \(length) actual: \(bytes.count)")
            }
            switch value {
            case .string(let expected):
                let expectedText = Self.printable(expected)
                if Int(length) != expected.count {
                    throw SyscallError("Bad getsockopt optval: expected optlen (\(length) bytes) does not match length of expected optval string '\(expectedText)' (\(expected.count) bytes)")
                }
                if bytes != expected {
                    throw SyscallError("Bad getsockopt optval: expected: '\(expectedText)' actual: '\(Self.printable(bytes))'")
                }
            case .list:
                if length != 4 { throw SyscallError("Unsupported getsockopt optlen: \(length)") }
                let expected = try bracketedInt(value)
                let actual = LinuxStructs.readInt32(bytes) ?? 0
                if actual != expected { throw SyscallError("Bad getsockopt optval: expected: \(expected) actual: \(actual)") }
            case .in6Address(let expected):
                if length != 16 { throw SyscallError("Unsupported getsockopt optlen: \(length)") }
                let actual = IPv6Address(bytes: bytes) ?? .unspecified
                if actual != expected { throw SyscallError("Bad getsockopt optval: expected: \(expected) actual: \(actual) ") }
            default:
                throw SyscallError("unsupported getsockopt value type: \(value.typeName)")
            }
            _ = self
        }
    }

    /// to_printable_string: printable ASCII kept, the rest as \xHH.
    static func printable(_ bytes: [UInt8]) -> String {
        var out = ""
        for b in bytes {
            if b >= 0x20 && b < 0x7F {
                out.append(Character(Unicode.Scalar(b)))
            } else {
                let digits = Array("0123456789abcdef")
                out += "\\x" + String([digits[Int(b >> 4)], digits[Int(b & 15)]])
            }
        }
        return out
    }

    func prepareSetsockopt(_ args: [ArgumentValue]) throws(SyscallError) -> PreparedCall {
        try checkCount(args, 5)
        let fd = try liveFD(args, 0)
        let level = try s32(args, 1)
        let name = try s32(args, 2)
        let length = try s32(args, 4)
        let value = try arg(args, 3)
        let bytes: [UInt8]?
        switch value {
        case .linger(let on, let seconds):
            bytes = LinuxStructs.lingerBytes(onOff: Int32(truncatingIfNeeded: on), seconds: Int32(truncatingIfNeeded: seconds))
        case .in6Address(let address): bytes = address.bytes
        case .string(let text): bytes = text
        case .list: bytes = LinuxStructs.int32Bytes(try bracketedInt(value))
        case .integer(0): bytes = nil
        default: throw SyscallError("unsupported setsockopt value type: \(value.typeName)")
        }
        return PreparedCall(call: .setsockopt(fd: fd, level: level, name: name, value: bytes, length: UInt32(bitPattern: length)))
    }

    static let pollFlagNames: [(Int32, String)] = [
        (0x1, "POLLIN"), (0x2, "POLLPRI"), (0x4, "POLLOUT"), (0x40, "POLLRDNORM"), (0x8, "POLLERR"),
        (0x10, "POLLHUP"), (0x20, "POLLNVAL"), (0x80, "POLLRDBAND"), (0x100, "POLLWRNORM"), (0x200, "POLLWRBAND"),
        (0x400, "POLLMSG"), (0x2000, "POLLRDHUP"),
    ]

    /// flags_to_string for poll bits: `POLLIN|POLLOUT`, `???` for bits without a name.
    static func pollFlags(_ value: Int32) -> String {
        var names: [String] = []
        for bit in 0..<32 {
            let mask = Int32(bitPattern: UInt32(1) << UInt32(bit))
            if value & mask != 0 { names.append(pollFlagNames.first { $0.0 == mask }?.1 ?? "???") }
        }
        return names.joined(separator: "|")
    }

    func preparePoll(_ args: [ArgumentValue]) throws(SyscallError) -> PreparedCall {
        try checkCount(args, 3)
        let list = try arg(args, 0)
        guard case .list(let items) = list else { throw SyscallError("Bad type; actual: \(list.typeName) expected: list") }
        var descriptors: [PollDescriptor] = []
        var expectedRevents: [Int32] = []
        for item in items {
            guard case .pollfd(let fdExpression, let eventsExpression, let reventsExpression) = item else {
                throw SyscallError("Bad type; actual: \(item.typeName) expected: pollfd")
            }
            let fd = try Self.int32(try evaluate(fdExpression))
            let events = try Self.int32(try evaluate(eventsExpression))
            let revents = try reventsExpression.map { e throws(SyscallError) in try Self.int32(try evaluate(e)) } ?? 0
            descriptors.append(PollDescriptor(fd: try liveFD(fd), events: Int16(truncatingIfNeeded: events)))
            expectedRevents.append(revents)
        }
        let nfds = try s32(args, 1)
        let timeout = try s32(args, 2)
        if Int(nfds) != descriptors.count {
            throw SyscallError("nfds \(nfds) does not match \(descriptors.count)-element pollfd array")
        }
        return PreparedCall(call: .poll(descriptors: descriptors, timeoutMilliseconds: timeout)) { result throws(SyscallError) in
            let actual: [Int16]
            if case .pollEvents(let events) = result.output { actual = events } else { actual = [] }
            for (index, expected) in expectedRevents.enumerated() {
                let got = index < actual.count ? Int32(UInt16(bitPattern: actual[index])) : 0
                if got != expected {
                    throw SyscallError("Expected revents of \(Self.pollFlags(expected)) but got \(Self.pollFlags(got)) for pollfd \(index)")
                }
            }
        }
    }

    func prepareEpoll(_ spec: SyscallSpec, _ args: [ArgumentValue]) throws(SyscallError) -> PreparedCall {
        try checkCount(args, 4)
        let epollFD = try liveFD(args, 0)
        func eventValue(_ value: ArgumentValue, scriptFD: Int32?, liveFD fdLive: Int32?) throws(SyscallError) -> (EpollEvent, kind: String) {
            guard case .epollEvent(let eventsExpression, let data) = value else {
                throw SyscallError("Bad type; actual: \(value.typeName) expected: epollev")
            }
            guard case .integer(let events) = try evaluate(eventsExpression) else {
                throw SyscallError("Bad type; actual: \(try evaluate(eventsExpression).typeName) expected: integer")
            }
            func integer(_ e: SyscallExpression) throws(SyscallError) -> Int64 {
                let v = try evaluate(e)
                guard case .integer(let n) = v else { throw SyscallError("Bad type; actual: \(v.typeName) expected: integer") }
                return n
            }
            switch data {
            case .fd(let e):
                let n = try integer(e)
                let live: Int32
                if let scriptFD {
                    if n != Int64(scriptFD) { throw SyscallError("wrong fd specified in epoll_event") }
                    live = fdLive ?? -1
                } else {
                    live = try liveFD(Int32(truncatingIfNeeded: n))
                }
                return (EpollEvent(events: UInt32(truncatingIfNeeded: events), data: UInt64(UInt32(bitPattern: live))), "fd")
            case .ptr(let e): return (EpollEvent(events: UInt32(truncatingIfNeeded: events), data: UInt64(bitPattern: try integer(e))), "ptr")
            case .u32(let e): return (EpollEvent(events: UInt32(truncatingIfNeeded: events), data: UInt64(UInt32(truncatingIfNeeded: try integer(e)))), "u32")
            case .u64(let e): return (EpollEvent(events: UInt32(truncatingIfNeeded: events), data: UInt64(bitPattern: try integer(e))), "u64")
            }
        }
        if spec.name == "epoll_ctl" {
            let operation = try s32(args, 1)
            let scriptFD = try s32(args, 2)
            let fd = try liveFD(scriptFD)
            let (event, _) = try eventValue(try arg(args, 3), scriptFD: scriptFD, liveFD: fd)
            return PreparedCall(call: .epollControl(epollFD: epollFD, operation: operation, fd: fd, event: event))
        }
        let (expected, kind) = try eventValue(try arg(args, 1), scriptFD: nil, liveFD: nil)
        let maxEvents = try s32(args, 2)
        let timeout = try s32(args, 3)
        return PreparedCall(call: .epollWait(epollFD: epollFD, maxEvents: maxEvents, timeoutMilliseconds: timeout)) {
            result throws(SyscallError) in
            var actual = EpollEvent(events: 0, data: 0)
            if case .epollEvents(let events) = result.output, let first = events.first { actual = first }
            if actual.events != expected.events {
                throw SyscallError("epoll_event->events does not match script: expected: 0x\(String(expected.events, radix: 16)) actual: 0x\(String(actual.events, radix: 16))")
            }
            let matches: Bool
            let shown: (String, String)
            switch kind {
            case "fd":
                matches = UInt32(truncatingIfNeeded: actual.data) == UInt32(truncatingIfNeeded: expected.data)
                shown = (String(Int32(bitPattern: UInt32(truncatingIfNeeded: expected.data))), String(Int32(bitPattern: UInt32(truncatingIfNeeded: actual.data))))
            case "u32":
                matches = UInt32(truncatingIfNeeded: actual.data) == UInt32(truncatingIfNeeded: expected.data)
                shown = (String(UInt32(truncatingIfNeeded: expected.data)), String(UInt32(truncatingIfNeeded: actual.data)))
            case "ptr":
                matches = actual.data == expected.data
                shown = ("0x" + String(expected.data, radix: 16), "0x" + String(actual.data, radix: 16))
            default:
                matches = actual.data == expected.data
                shown = (String(expected.data), String(actual.data))
            }
            if !matches {
                throw SyscallError("epoll_event->data does not match script: expected: \(shown.0) actual: \(shown.1)")
            }
        }
    }
}
