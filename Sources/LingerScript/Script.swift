/// A parsed packetdrill script: options, an optional setup command, timed events
/// and an optional cleanup command.
///
/// Equality compares what the script says, not where it says it: locations are
/// ignored (see ``IgnoredInEquality``).
public struct Script: Hashable, Sendable {
    /// `--name[=value]` lines at the top, in order.
    public var options: [ScriptOption]
    /// A shell command before the first event, written without a time.
    public var initCommand: ShellCommand?
    /// The timed events, in order.
    public var events: [Event]
    /// A shell command after the last event, written without a time.
    public var cleanupCommand: ShellCommand?

    /// Creates a script.
    public init(
        options: [ScriptOption] = [],
        initCommand: ShellCommand? = nil,
        events: [Event] = [],
        cleanupCommand: ShellCommand? = nil
    ) {
        self.options = options
        self.initCommand = initCommand
        self.events = events
        self.cleanupCommand = cleanupCommand
    }

    /// The script printed in packetdrill's syntax in a canonical layout.
    public var normalizedText: String { ScriptPrinter().print(self) }

    /// The value of the last option with this name (`"mss"` for `--mss=1000`), if any.
    public func option(named name: String) -> ScriptOption? {
        options.last { $0.name == name }
    }
}

/// An option line such as `--tolerance_usecs=10000` or `--strict_segments`.
///
/// The parser keeps every option, known to packetdrill or not; the runner
/// decides what each means (``isKnownToPacketdrill`` tells which packetdrill has).
public struct ScriptOption: Hashable, Sendable {
    /// The name without the leading dashes.
    public var name: String
    /// The value after `=`, if one was given.
    public var value: OptionValue?
    /// Where the option starts.
    @IgnoredInEquality public var location: SourceLocation

    /// Creates an option.
    public init(name: String, value: OptionValue?, location: SourceLocation = SourceLocation(line: 0, column: 0)) {
        self.name = name
        self.value = value
        self.location = location
    }

    /// The option names packetdrill itself accepts (in scripts and on its command line).
    public static let packetdrillOptionNames: Set<String> = [
        "ip_version", "bind_port", "code_command", "code_format", "code_sockopt", "connect_port",
        "remote_ip", "local_ip", "gateway_ip", "netmask_ip", "speed", "mss", "mtu", "init_scripts",
        "tolerance_usecs", "tolerance_percent", "wire_client", "wire_server", "wire_server_ip",
        "wire_server_at", "wire_server_port", "wire_client_dev", "wire_server_dev", "so_filename",
        "so_flags", "tcp_ts_ecr_scaled", "tcp_ts_tick_usecs", "strict_segments", "non_fatal",
        "dry_run", "is_anyip", "send_omit_free", "psp_udp_port", "debug", "define", "verbose",
    ]

    /// Whether packetdrill knows an option of this name.
    public var isKnownToPacketdrill: Bool { Self.packetdrillOptionNames.contains(name) }
}

/// The value of an option, in the forms the grammar allows.
public enum OptionValue: Hashable, Sendable {
    /// A decimal integer (`--mss=1000`).
    case integer(Int64)
    /// A bare word (`--ip_version=ipv6`, `--non_fatal=packet`).
    case word(String)
    /// A double-quoted string, without its quotes.
    case string(String)
    /// A dotted-quad IPv4 address.
    case ipv4Address(String)
    /// An IPv6 address.
    case ipv6Address(String)
    /// `NAME=value` (as in `--define=NAME=value`); `value` is raw: a word, or a
    /// string or command with its quotes or backticks.
    case definition(name: String, value: String)

    /// The value as text, the way packetdrill hands it to its option handling.
    public var text: String {
        switch self {
        case .integer(let n): return String(n)
        case .word(let w), .ipv4Address(let w), .ipv6Address(let w): return w
        case .string(let s): return s
        case .definition(let name, let value): return "\(name)=\(value)"
        }
    }
}

/// One timed line of a script.
public struct Event: Hashable, Sendable {
    /// When the event happens.
    public var time: EventTime
    /// What happens.
    public var action: Action
    /// Where the event starts (its time).
    @IgnoredInEquality public var location: SourceLocation

    /// Creates an event.
    public init(time: EventTime, action: Action, location: SourceLocation = SourceLocation(line: 0, column: 0)) {
        self.time = time
        self.action = action
        self.location = location
    }
}

/// When an event happens. All times are in microseconds, as packetdrill keeps them.
///
/// Relative times count from the previous event's time; the end of a relative
/// range counts from the same point as its start (`+.1~+.2` is 0.1 s to 0.2 s
/// after the previous event).
public enum EventTime: Hashable, Sendable {
    /// `1.5`: at this time since the script started.
    case absolute(microseconds: Int64)
    /// `+0.1`: this long after the previous event.
    case relative(microseconds: Int64)
    /// `*`: at any time (outbound packets only).
    case any
    /// `1.0~1.2`: at some time within this window (outbound packets only).
    case absoluteRange(start: Int64, end: Int64)
    /// `+0.1~+0.2`: at some time within this window after the previous event
    /// (outbound packets only).
    case relativeRange(start: Int64, end: Int64)

    /// The kind of time, without its values.
    public enum Kind: String, Hashable, Sendable {
        case absolute, relative, any, absoluteRange, relativeRange
    }

    /// The kind of time.
    public var kind: Kind {
        switch self {
        case .absolute: return .absolute
        case .relative: return .relative
        case .any: return .any
        case .absoluteRange: return .absoluteRange
        case .relativeRange: return .relativeRange
        }
    }

    /// The (start) time in microseconds; nil for `*`.
    public var startMicroseconds: Int64? {
        switch self {
        case .absolute(let t), .relative(let t), .absoluteRange(let t, _), .relativeRange(let t, _): return t
        case .any: return nil
        }
    }
}

/// What an event does.
public enum Action: Hashable, Sendable {
    /// A packet to inject (`<`) or expect (`>`).
    case packet(PacketSpec)
    /// A system call to make and check.
    case syscall(SyscallSpec)
    /// A shell command to run (backticks).
    case command(ShellCommand)
    /// A Python block `%{ ... }%` to run after the script, with tcp_info names bound.
    case code(CodeBlock)
}

/// A shell command written between backticks; it may span several lines.
public struct ShellCommand: Hashable, Sendable {
    /// The command text between the backticks, as written (shell syntax such as
    /// `${PPID}` is left for the shell).
    public var commandLine: String
    /// Where the opening backtick is.
    @IgnoredInEquality public var location: SourceLocation

    /// Creates a command.
    public init(commandLine: String, location: SourceLocation = SourceLocation(line: 0, column: 0)) {
        self.commandLine = commandLine
        self.location = location
    }
}

/// A `%{ ... }%` Python block, kept as text.
public struct CodeBlock: Hashable, Sendable {
    /// The code between `%{` and `}%`, with spaces and tabs at both ends removed
    /// (as packetdrill does, since Python is sensitive to indentation).
    public var text: String
    /// Where `%{` is.
    @IgnoredInEquality public var location: SourceLocation

    /// Creates a code block.
    public init(text: String, location: SourceLocation = SourceLocation(line: 0, column: 0)) {
        self.text = text
        self.location = location
    }
}
