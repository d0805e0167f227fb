/// A system call line: `[...END] name(args) = result [ERRNO (strerror)] [(note)]`.
public struct SyscallSpec: Hashable, Sendable {
    /// `...END` before the name: the call blocks and returns at END (microseconds,
    /// counted from the same point as the event's own time).
    public var blockingEndMicroseconds: Int64?
    /// The call's name, e.g. `setsockopt`.
    public var name: String
    /// The arguments (empty for `name()`).
    public var arguments: [SyscallExpression]
    /// The expected return value.
    public var result: SyscallExpression
    /// `EPIPE (Broken pipe)`: the expected errno, if written.
    public var errno: ErrnoSpec?
    /// A trailing `(note)` after the result, if written.
    public var note: String?
    /// Where the call's name is.
    @IgnoredInEquality public var location: SourceLocation

    /// Creates a system call line.
    public init(
        blockingEndMicroseconds: Int64? = nil, name: String, arguments: [SyscallExpression], result: SyscallExpression,
        errno: ErrnoSpec? = nil, note: String? = nil, location: SourceLocation = SourceLocation(line: 0, column: 0)
    ) {
        self.blockingEndMicroseconds = blockingEndMicroseconds
        self.name = name
        self.arguments = arguments
        self.result = result
        self.errno = errno
        self.note = note
        self.location = location
    }
}

/// The errno part of a result: `EINPROGRESS (Operation now in progress)`.
public struct ErrnoSpec: Hashable, Sendable {
    /// The errno macro name, e.g. `EAGAIN`.
    public var name: String
    /// The words in parentheses after it, joined by single spaces.
    public var description: String

    /// Creates an errno spec.
    public init(name: String, description: String) {
        self.name = name
        self.description = description
    }
}

/// An argument or result of a system call.
public struct SyscallExpression: Hashable, Sendable {
    /// What the expression is.
    public var kind: Kind
    /// Where it starts.
    @IgnoredInEquality public var location: SourceLocation

    /// Creates an expression.
    public init(_ kind: Kind, location: SourceLocation = SourceLocation(line: 0, column: 0)) {
        self.kind = kind
        self.location = location
    }

    /// The forms an expression takes in packetdrill's grammar.
    public indirect enum Kind: Hashable, Sendable {
        /// `...`: anything (the runner supplies or ignores the value).
        case ellipsis
        /// An integer literal, decimal (possibly negative) or `0x` hex.
        case integer(Int64, IntegerRadix)
        /// A symbolic name such as `SOL_SOCKET` or `O_NONBLOCK`.
        case word(String)
        /// `"text"`: the text between the quotes, escapes left as written.
        case string(String)
        /// `"a" "b"`: adjacent strings, concatenated (two or more parts).
        case stringConcatenation([String])
        /// `"text"...`: a string followed by an ellipsis (a buffer that starts so).
        case stringPrefix(String)
        /// `a|b`: bitwise OR.
        case bitwiseOr(SyscallExpression, SyscallExpression)
        /// `name=value`: a named field (`{l_onoff=1, l_linger=0}`, `tcpi_state=...`).
        case assignment(name: String, value: SyscallExpression)
        /// `[a, b]`: an array (also a pointer to one value, `[1]`).
        case array([SyscallExpression])
        /// `{a, b}`: a struct given as a list of values or named fields.
        case structure([SyscallExpression])
        /// `inet_addr("1.2.3.4")`
        case inetAddress(String)
        /// `inet6_addr("::1")`
        case inet6Address(String)
        /// `{sa_family=AF_INET, sin_port=htons(8080), sin_addr=inet_addr("1.2.3.4")}`
        case socketAddress(family: String, port: Int64, address: String)
        /// `{msg_name(...)=..., msg_iov(N)=[...], msg_flags=F[, msg_control=[...]]}`
        case messageHeader(MessageHeader)
        /// `{..., LEN}`: an iovec whose base is left to the runner.
        case ioVector(length: Int64)
        /// `{fd=FD, events=EV[, revents=REV]}`
        case pollDescriptor(fd: SyscallExpression, events: SyscallExpression, returnedEvents: SyscallExpression?)
        /// `{events=EV, fd|ptr|u32|u64=DATA}`
        case epollEvent(events: SyscallExpression, data: EpollData)
        /// `{onoff=N, linger=N}`: struct linger in packetdrill's own spelling.
        case linger(onOff: Int64, seconds: Int64)
        /// `{(label ...) ...}`: an MPLS label stack (`{}` is an empty one).
        case mplsStack([MPLSLabelStackEntry])
        /// `{cmsg_level=L, cmsg_type=T, cmsg_data=D}`
        case controlMessage(level: SyscallExpression, type: SyscallExpression, data: SyscallExpression)
        /// `{scm_sec=S, scm_nsec=N}`: a SCM_TIMESTAMPING time.
        case timestamping(seconds: Int64, nanoseconds: Int64)
        /// `{ee_errno=..., ee_origin=..., ee_type=..., ee_code=..., ee_info=..., ee_data=...}`
        case extendedError(ExtendedError)
        /// `{flags ... sum ... off ... key ... seq ...}`: a GRE header value.
        case greHeader(GREHeader)
    }
}

/// How an integer literal was written; the printer keeps it.
public enum IntegerRadix: Hashable, Sendable {
    case decimal
    case hexadecimal
}

/// The data member of an epoll_event.
public enum EpollData: Hashable, Sendable {
    case fd(SyscallExpression)
    case ptr(SyscallExpression)
    case u32(SyscallExpression)
    case u64(SyscallExpression)
}

/// A struct msghdr argument. `msg_name` and its length are always `...`.
public struct MessageHeader: Hashable, Sendable {
    /// The `N` of `msg_iov(N)`.
    public var iovCount: Int64
    /// The iovec array (normally of ``SyscallExpression/Kind/ioVector(length:)``).
    public var iov: [SyscallExpression]
    /// `msg_flags`.
    public var flags: SyscallExpression
    /// `msg_control=[...]`, if written.
    public var control: [SyscallExpression]?

    /// Creates a message header.
    public init(iovCount: Int64, iov: [SyscallExpression], flags: SyscallExpression, control: [SyscallExpression]?) {
        self.iovCount = iovCount
        self.iov = iov
        self.flags = flags
        self.control = control
    }
}

/// A struct sock_extended_err value.
public struct ExtendedError: Hashable, Sendable {
    /// `ee_errno`.
    public var errno: SyscallExpression
    /// `ee_origin`.
    public var origin: SyscallExpression
    /// `ee_type`.
    public var type: SyscallExpression
    /// `ee_code`.
    public var code: SyscallExpression
    /// `ee_info`.
    public var info: SyscallExpression
    /// `ee_data`.
    public var data: SyscallExpression

    /// Creates an extended error.
    public init(errno: SyscallExpression, origin: SyscallExpression, type: SyscallExpression, code: SyscallExpression, info: SyscallExpression, data: SyscallExpression) {
        self.errno = errno
        self.origin = origin
        self.type = type
        self.code = code
        self.info = info
        self.data = data
    }
}
