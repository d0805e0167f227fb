import LingerWire

/// Why an `ss` command line cannot be shown.
public enum SocketTableError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `ss` itself refuses the command line: the line it prints on standard error
    /// (without its usage text) and its exit status (255 for exit(-1)).
    case invalid(message: String, status: Int32)
    /// A valid `ss` option or filter the sim does not model; the text names it.
    case unsupported(String)

    public var description: String {
        switch self {
        case .invalid(let message, let status): "\(message) (ss exits with status \(status))"
        case .unsupported(let what): what
        }
    }
}

/// The port names of /etc/services for TCP, as getservbyport and getservbyname
/// find them (the first line wins).
public struct ServiceNames: Sendable, Hashable {
    private var names: [UInt16: String] = [:]
    private var ports: [String: UInt16] = [:]

    /// No names: every port is shown as a number.
    public init() {}

    /// Reads /etc/services text: `name port/proto [aliases...] [# comment]`; only
    /// `/tcp` lines count.
    public init(etcServices text: String) {
        for line in text.split(separator: "\n") {
            let content = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let fields = content.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 2 else { continue }
            let portAndProtocol = fields[1].split(separator: "/")
            guard portAndProtocol.count == 2, portAndProtocol[1] == "tcp", let port = UInt16(portAndProtocol[0]) else {
                continue
            }
            if names[port] == nil { names[port] = String(fields[0]) }
            for alias in [fields[0]] + fields.dropFirst(2) where ports[String(alias)] == nil {
                ports[String(alias)] = port
            }
        }
    }

    /// getservbyport(port, "tcp"): the service's name, if any.
    public func name(of port: UInt16) -> String? { names[port] }

    /// getservbyname(name, "tcp"): the port of a name or alias.
    public func port(named name: String) -> UInt16? { ports[name] }
}

/// An `ss` command line, understood as iproute2's ss 6.1.0 reads it: options (GNU
/// getopt_long, short clusters, long names and their unique prefixes, options
/// anywhere on the line), then `state NAME` / `exclude NAME` words, then a filter
/// expression (`sport = :8080`, `dst 192.0.2.1`, `( ... and not ... )`).
///
/// Only TCP sockets exist in the sim: other tables (`-u`, `-x`, ...) can be asked
/// for and are empty, but they decide, as in ss, whether the Netid column shows.
public struct SocketTableOptions: Sendable {
    /// `-n`: ports as numbers.
    public var numeric = false
    /// `-o` (also `-e`): the `timer:(...)` field.
    public var showTimers = false
    /// `-e`: uid, ino, sk, cgroup, v6only and the shutdown arrows.
    public var showDetails = false
    /// `-i`: the TCP information line.
    public var showInfo = false
    /// `-p` / `-T`: accepted; the sim has no processes to name, so nothing is shown.
    public var showProcesses = false
    /// Cleared by `-H`.
    public var showHeader = true
    /// `-O`: the information on the socket's own line.
    public var oneLine = false
    /// `-s`: the summary first.
    public var summary = false
    /// `-V` / `-v`: only the version line.
    public var printVersion = false
    /// `-s` without a table selection or filter: the summary only.
    public var summaryOnly = false
    /// ss's own verdict on the filter when it shows nothing at all (`no socket
    /// tables to show with such filter.`): printed on standard error, exit 0.
    public var emptyFilterMessage: String?

    /// ss's table bits (TCP_DB ...).
    var tables: UInt32 = 0
    /// ss's family bits (1 << AF_...).
    var families: UInt64 = 0
    /// ss's state bits (1 << SS_...).
    var states: UInt32 = 0
    /// -4, -6, or the family of the last option or address that set one.
    var preferredFamily = SocketTableOptions.familyUnspecified
    /// The filter expression, if any.
    var filter: SocketFilterExpression?

    /// Reads an `ss` command line (the words after `ss`).
    ///
    /// - Parameter services: names for `sport = :http-alt` style ports.
    public static func parse(_ arguments: [String], services: ServiceNames = ServiceNames())
        throws(SocketTableError) -> SocketTableOptions
    {
        var parser = OptionParser(arguments: arguments, services: services)
        return try parser.parse()
    }

    // MARK: ss's tables, families and states

    static let familyUnspecified = 0
    static let familyUnix = 1
    static let familyInet = 2
    static let familyInet6 = 10
    static let familyNetlink = 16
    static let familyPacket = 17
    static let familyTIPC = 30
    static let familyVsock = 40
    static let familyXDP = 44

    enum Table: Int, CaseIterable {
        case tcp, mptcp, dccp, udp, raw, unixDgram, unixStream, unixSeqpacket, packetDgram, packetRaw, netlink, sctp,
             vsockStream, vsockDgram, tipc, xdp
        var bit: UInt32 { 1 << UInt32(rawValue) }
    }

    /// SS_* state numbers are Linux's TCP state numbers; 0 is UNKNOWN.
    static let stateListen = 10
    static let allStates: UInt32 = (1 << 12) - 1
    static let connectedStates: UInt32 =
        allStates & ~((1 << 10) | (1 << 7) | (1 << 6) | (1 << 3))  // not LISTEN, CLOSE, TIME-WAIT, SYN-RECV

    static func familyBit(_ family: Int) -> UInt64 { 1 << UInt64(family) }

    /// default_dbs: the states and families each table brings.
    static func defaults(of table: Table) -> (states: UInt32, families: UInt64) {
        let inet = familyBit(familyInet) | familyBit(familyInet6)
        switch table {
        case .tcp, .mptcp, .dccp, .sctp: return (connectedStates, inet)
        case .udp, .raw: return (1 << 1, inet)
        case .unixDgram: return (1 << 7, familyBit(familyUnix))
        case .unixStream, .unixSeqpacket: return (connectedStates, familyBit(familyUnix))
        case .packetDgram, .packetRaw: return (1 << 7, familyBit(familyPacket))
        case .netlink: return (1 << 7, familyBit(familyNetlink))
        case .vsockStream, .vsockDgram: return (connectedStates, familyBit(familyVsock))
        case .tipc: return ((1 << 1) | (1 << 10) | (1 << 7), familyBit(familyTIPC))
        case .xdp: return (1 << 7, familyBit(familyXDP))
        }
    }

    /// default_afs: the tables and states each family brings.
    static func defaults(ofFamily family: Int) -> (tables: UInt32, states: UInt32) {
        let inetTables: [Table] = [.tcp, .mptcp, .udp, .dccp, .sctp, .raw]
        func bits(_ tables: [Table]) -> UInt32 { tables.reduce(0) { $0 | $1.bit } }
        switch family {
        case familyInet, familyInet6: return (bits(inetTables), connectedStates)
        case familyUnix: return (bits([.unixDgram, .unixStream, .unixSeqpacket]), connectedStates)
        case familyPacket: return (bits([.packetDgram, .packetRaw]), 1 << 7)
        case familyNetlink: return (bits([.netlink]), 1 << 7)
        case familyVsock: return (bits([.vsockStream, .vsockDgram]), connectedStates)
        case familyTIPC: return (bits([.tipc]), (1 << 1) | (1 << 10) | (1 << 7))
        case familyXDP: return (bits([.xdp]), 1 << 7)
        default: return (0, 0)
        }
    }

    /// filter_db_parse's names.
    static let tableNames: [String: [Table]] = [
        "all": [.udp, .dccp, .tcp, .mptcp, .raw, .unixStream, .unixDgram, .unixSeqpacket, .packetRaw, .packetDgram,
                .netlink, .sctp, .vsockStream, .vsockDgram, .xdp],
        "inet": [.udp, .dccp, .tcp, .mptcp, .sctp, .raw],
        "udp": [.udp], "dccp": [.dccp], "tcp": [.tcp], "mptcp": [.mptcp], "sctp": [.sctp], "raw": [.raw],
        "unix": [.unixStream, .unixDgram, .unixSeqpacket],
        "unix_stream": [.unixStream], "u_str": [.unixStream],
        "unix_dgram": [.unixDgram], "u_dgr": [.unixDgram],
        "unix_seqpacket": [.unixSeqpacket], "u_seq": [.unixSeqpacket],
        "packet": [.packetRaw, .packetDgram], "packet_raw": [.packetRaw], "p_raw": [.packetRaw],
        "packet_dgram": [.packetDgram], "p_dgr": [.packetDgram],
        "netlink": [.netlink], "tipc": [.tipc],
        "vsock": [.vsockStream, .vsockDgram], "vsock_stream": [.vsockStream], "v_str": [.vsockStream],
        "vsock_dgram": [.vsockDgram], "v_dgr": [.vsockDgram],
        "xdp": [.xdp],
    ]

    /// scan_state: a state name or group.
    static func stateBits(_ name: String) -> UInt32? {
        let lower = name.lowercased()
        switch lower {
        case "close", "closed": return 1 << 7
        case "syn-rcv": return 1 << 3
        case "established": return 1 << 1
        case "all": return allStates
        case "connected": return allStates & ~((1 << 7) | (1 << 10))
        case "synchronized": return allStates & ~((1 << 7) | (1 << 10) | (1 << 2))
        case "bucket": return (1 << 3) | (1 << 6)
        case "big": return allStates & ~((1 << 3) | (1 << 6))
        default: break
        }
        let names = ["unknown", "established", "syn-sent", "syn-recv", "fin-wait-1", "fin-wait-2", "time-wait",
                     "unconnected", "close-wait", "last-ack", "listening", "closing"]
        guard let index = names.firstIndex(of: lower) else { return nil }
        return 1 << UInt32(index)
    }

    // MARK: What is shown

    /// Whether the Netid column shows: more than one table is selected.
    var showsNetid: Bool { tables & (tables &- 1) != 0 }
    /// Whether the State column shows: more than one state is selected.
    var showsState: Bool { states & (states &- 1) != 0 }
    /// Whether TCP sockets are listed at all.
    var listsTCP: Bool {
        tables & Table.tcp.bit != 0
            && families & (Self.familyBit(Self.familyInet) | Self.familyBit(Self.familyInet6)) != 0
    }

    /// Whether a row of this family and ss state number is listed (before the
    /// filter expression): inet_show_netlink asks for IPv4 unless -6, then for
    /// IPv6 unless -4, and keeps the families and states selected.
    func lists(isIPv6: Bool, state: Int) -> Bool {
        guard listsTCP else { return false }
        let family = isIPv6 ? Self.familyInet6 : Self.familyInet
        if isIPv6 && preferredFamily == Self.familyInet { return false }
        if !isIPv6 && preferredFamily == Self.familyInet6 { return false }
        return families & Self.familyBit(family) != 0 && states & (1 << UInt32(state)) != 0
    }
}

// MARK: - The command line

/// getopt_long over ss's options, then main()'s state words and the filter.
private struct OptionParser {
    let arguments: [String]
    let services: ServiceNames
    var options = SocketTableOptions()
    var doDefault = true
    var stateFilter: UInt32 = 0
    var sawQuery = false

    init(arguments: [String], services: ServiceNames) {
        self.arguments = arguments
        self.services = services
    }

    /// ss's long options: name, whether it takes a value, the short letter it acts as.
    static let longOptions: [(name: String, takesValue: Bool, letter: Character)] = [
        ("numeric", false, "n"), ("resolve", false, "r"), ("options", false, "o"), ("extended", false, "e"),
        ("memory", false, "m"), ("info", false, "i"), ("processes", false, "p"), ("threads", false, "T"),
        ("bpf", false, "b"), ("events", false, "E"), ("dccp", false, "d"), ("tcp", false, "t"), ("sctp", false, "S"),
        ("udp", false, "u"), ("raw", false, "w"), ("unix", false, "x"), ("tipc", false, "\u{1}"),
        ("vsock", false, "\u{2}"), ("all", false, "a"), ("listening", false, "l"), ("ipv4", false, "4"),
        ("ipv6", false, "6"), ("packet", false, "0"), ("family", true, "f"), ("socket", true, "A"),
        ("query", true, "A"), ("summary", false, "s"), ("diag", true, "D"), ("filter", true, "F"),
        ("version", false, "V"), ("help", false, "h"), ("context", false, "Z"), ("contexts", false, "z"),
        ("net", true, "N"), ("tipcinfo", false, "\u{3}"), ("tos", false, "\u{4}"), ("cgroup", false, "\u{5}"),
        ("kill", false, "K"), ("no-header", false, "H"), ("xdp", false, "\u{6}"), ("mptcp", false, "M"),
        ("oneline", false, "O"), ("inet-sockopt", false, "\u{7}"),
    ]
    /// ss's short options; those followed by ":" take a value.
    static let shortOptions = "dhaletuwxnro460spTbEf:mMiA:D:F:vVzZN:KHSO"

    static func takesValue(_ letter: Character) -> Bool? {
        let characters = Array(shortOptions)
        guard let index = characters.firstIndex(of: letter) else { return nil }
        return index + 1 < characters.count && characters[index + 1] == ":"
    }

    static func invalid(_ message: String) -> SocketTableError { .invalid(message: message, status: 255) }

    mutating func parse() throws(SocketTableError) -> SocketTableOptions {
        // GNU getopt permutes: options anywhere, words kept in order, "--" ends options.
        var words: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if argument == "--" {
                words += arguments[index...]
                break
            }
            if argument.hasPrefix("--") {
                let body = argument.dropFirst(2)
                let name = body.split(separator: "=", maxSplits: 1).first.map(String.init) ?? ""
                let attached: String? = body.contains("=") ? String(body.drop(while: { $0 != "=" }).dropFirst()) : nil
                let matches = Self.longOptions.filter { $0.name.hasPrefix(name) }
                let exact = matches.first { $0.name == name }
                let distinct = Set(matches.map(\.letter))
                guard let option = exact ?? (distinct.count == 1 ? matches.first : nil) else {
                    if matches.isEmpty { throw Self.invalid("ss: unrecognized option '\(argument)'") }
                    throw Self.invalid("ss: option '\(argument)' is ambiguous")
                }
                var value: String?
                if option.takesValue {
                    if let attached {
                        value = attached
                    } else if index < arguments.count {
                        value = arguments[index]
                        index += 1
                    } else {
                        throw Self.invalid("ss: option '--\(option.name)' requires an argument")
                    }
                } else if attached != nil {
                    throw Self.invalid("ss: option '--\(option.name)' doesn't allow an argument")
                }
                try apply(option.letter, value: value, spelled: "--" + option.name)
                continue
            }
            if argument.hasPrefix("-"), argument.count > 1 {
                var cluster = Array(argument.dropFirst())[...]
                while let letter = cluster.popFirst() {
                    guard let needsValue = Self.takesValue(letter), letter != ":" else {
                        throw Self.invalid("ss: invalid option -- '\(letter)'")
                    }
                    if needsValue {
                        var value = String(cluster)
                        cluster = []
                        if value.isEmpty {
                            guard index < arguments.count else {
                                throw Self.invalid("ss: option requires an argument -- '\(letter)'")
                            }
                            value = arguments[index]
                            index += 1
                        }
                        try apply(letter, value: value, spelled: "-\(letter)")
                    } else {
                        try apply(letter, value: nil, spelled: "-\(letter)")
                    }
                }
                continue
            }
            words.append(argument)
        }
        return try finish(words)
    }

    mutating func setTable(_ table: SocketTableOptions.Table, enable: Bool) {
        if enable {
            options.states |= SocketTableOptions.defaults(of: table).states
            options.tables |= table.bit
        } else {
            options.tables &= ~table.bit
        }
        doDefault = false
    }

    mutating func setFamily(_ family: Int) {
        options.states |= SocketTableOptions.defaults(ofFamily: family).states
        options.families |= SocketTableOptions.familyBit(family)
        doDefault = false
        options.preferredFamily = family
    }

    /// filter_db_parse: false for an unknown name.
    mutating func parseTableName(_ text: String) -> Bool {
        var name = Substring(text)
        var enable = true
        if name.first == "!" {
            enable = false
            name = name.dropFirst()
        }
        guard let tables = SocketTableOptions.tableNames[String(name)] else { return false }
        for table in tables { setTable(table, enable: enable) }
        return true
    }

    mutating func apply(_ letter: Character, value: String?, spelled: String) throws(SocketTableError) {
        func unsupported(_ what: String) -> SocketTableError {
            .unsupported("ss option \(spelled) (\(what)) is not modeled by the sim")
        }
        switch letter {
        case "n": options.numeric = true
        case "r": break  // host names: nothing resolves in a private namespace either
        case "o": options.showTimers = true
        case "e":
            options.showTimers = true
            options.showDetails = true
        case "i": options.showInfo = true
        case "p", "T": options.showProcesses = true
        case "H": options.showHeader = false
        case "O": options.oneLine = true
        case "s": options.summary = true
        case "v", "V": options.printVersion = true
        case "t": setTable(.tcp, enable: true)
        case "d": setTable(.dccp, enable: true)
        case "S": setTable(.sctp, enable: true)
        case "u": setTable(.udp, enable: true)
        case "w": setTable(.raw, enable: true)
        case "M": setTable(.mptcp, enable: true)
        case "x": setFamily(SocketTableOptions.familyUnix)
        case "\u{1}": setFamily(SocketTableOptions.familyTIPC)
        case "\u{2}": setFamily(SocketTableOptions.familyVsock)
        case "\u{6}": setFamily(SocketTableOptions.familyXDP)
        case "0": setFamily(SocketTableOptions.familyPacket)
        case "4": setFamily(SocketTableOptions.familyInet)
        case "6": setFamily(SocketTableOptions.familyInet6)
        case "a": stateFilter = SocketTableOptions.allStates
        case "l": stateFilter = (1 << 10) | (1 << 7)
        case "f":
            let families: [String: Int] = [
                "inet": SocketTableOptions.familyInet, "inet6": SocketTableOptions.familyInet6,
                "link": SocketTableOptions.familyPacket, "unix": SocketTableOptions.familyUnix,
                "netlink": SocketTableOptions.familyNetlink, "tipc": SocketTableOptions.familyTIPC,
                "vsock": SocketTableOptions.familyVsock, "xdp": SocketTableOptions.familyXDP,
            ]
            let name = value ?? ""
            if name == "help" { throw unsupported("the help text") }
            guard let family = families[name] else { throw Self.invalid("ss: \"\(name)\" is invalid family") }
            setFamily(family)
        case "A":
            if !sawQuery {
                options.tables = 0
                stateFilter = stateFilter != 0 ? stateFilter : SocketTableOptions.connectedStates
                sawQuery = true
                doDefault = false
            }
            for name in (value ?? "").split(separator: ",", omittingEmptySubsequences: false) {
                guard parseTableName(String(name)) else {
                    throw Self.invalid("ss: \"\(name)\" is illegal socket table id")
                }
            }
        case "m": throw unsupported("socket memory, skmem:(...)")
        case "b": throw unsupported("BPF filters")
        case "E": throw unsupported("following socket events")
        case "D": throw unsupported("raw tcp_diag dumps")
        case "F": throw unsupported("filters read from a file")
        case "z", "Z": throw unsupported("SELinux contexts")
        case "N": throw unsupported("switching network namespace")
        case "K": throw unsupported("killing sockets")
        case "h": throw unsupported("the help text")
        case "\u{3}": throw unsupported("TIPC information")
        case "\u{4}": throw unsupported("TOS and traffic class")
        case "\u{5}": throw unsupported("cgroup paths")
        case "\u{7}": throw unsupported("inet socket options")
        default: throw Self.invalid("ss: invalid option -- '\(letter)'")
        }
    }

    mutating func finish(_ words: [String]) throws(SocketTableError) -> SocketTableOptions {
        if options.printVersion { return options }
        if options.summary && doDefault && words.isEmpty {
            options.summaryOnly = true
            return options
        }
        var rest = words[...]
        var sawStates = false
        while let word = rest.first {
            guard word == "state" || word == "exclude" || word == "excl" else { break }
            rest = rest.dropFirst()
            guard let name = rest.first else {
                throw Self.invalid("Command line is not complete. Try option \"help\"")
            }
            rest = rest.dropFirst()
            guard let bits = SocketTableOptions.stateBits(name) else {
                throw Self.invalid("ss: wrong state name: \(name)")
            }
            if word == "state" {
                if !sawStates { stateFilter = 0 }
                stateFilter |= bits
            } else {
                if !sawStates { stateFilter = SocketTableOptions.allStates }
                stateFilter &= ~bits
            }
            sawStates = true
        }
        if doDefault {
            stateFilter = stateFilter != 0 ? stateFilter : SocketTableOptions.connectedStates
            _ = parseTableName("all")
        }
        if stateFilter != 0 { options.states = stateFilter }
        mergeDefaults()
        if options.tables == 0 {
            options.emptyFilterMessage = "ss: no socket tables to show with such filter."
        } else if options.families == 0 {
            options.emptyFilterMessage = "ss: no families to show with such filter."
        } else if options.states == 0 {
            options.emptyFilterMessage = "ss: no socket states to show with such filter."
        }
        if options.emptyFilterMessage != nil { return options }
        var filterParser = FilterParser(words: Array(rest), services: services, options: options)
        let filter = try filterParser.parse()
        options = filterParser.options
        options.filter = filter
        return options
    }

    /// filter_merge_defaults.
    mutating func mergeDefaults() {
        for table in SocketTableOptions.Table.allCases where options.tables & table.bit != 0 {
            let families = SocketTableOptions.defaults(of: table).families
            if options.families & families == 0 { options.families |= families }
        }
        for family in [1, 2, 10, 16, 17, 30, 40, 44] where options.families & SocketTableOptions.familyBit(family) != 0 {
            let tables = SocketTableOptions.defaults(ofFamily: family).tables
            if options.tables & tables == 0 { options.tables |= tables }
        }
    }
}

// MARK: - Filter expressions

/// An address (prefix) and port a `src`/`dst`/`sport`/`dport` condition compares with.
struct HostCondition: Sendable {
    /// -1: any port.
    var port: Int
    /// The prefix's address and length in bits, if an address was given.
    var prefix: (address: IPAddress, bits: Int)?
}

/// ss's filter expression tree (ssfilter.h).
indirect enum SocketFilterExpression: Sendable {
    case and(SocketFilterExpression, SocketFilterExpression)
    case or(SocketFilterExpression, SocketFilterExpression)
    case not(SocketFilterExpression)
    case source(HostCondition)
    case destination(HostCondition)
    case sourcePortAtLeast(Int)
    case sourcePortAtMost(Int)
    case destinationPortAtLeast(Int)
    case destinationPortAtMost(Int)
    /// `autobound`: the local port is in the ephemeral range.
    case autobound
}

/// ssfilter.y's grammar, read by recursive descent. Operands join left to
/// right: `a or b and c` is `(a or b) and c`, as the grammar's rules give.
private struct FilterParser {
    enum Token: Equatable {
        case not, and, or, open, close, equal, notEqual, greater, less, atLeast, atMost
        case word(String)
    }

    var tokens: [Token] = []
    var position = 0
    let services: ServiceNames
    var options: SocketTableOptions

    init(words: [String], services: ServiceNames, options: SocketTableOptions) {
        self.services = services
        self.options = options
        for word in words {
            for piece in Self.split(word) { tokens.append(Self.token(piece)) }
        }
    }

    /// get_token_from_line: blanks separate, a backslash escapes the next character.
    static func split(_ word: String) -> [String] {
        var pieces: [String] = []
        var current = ""
        var escaped = false
        var inPiece = false
        for character in word {
            if escaped {
                current.append(character)
                escaped = false
                continue
            }
            if character == "\\" {
                escaped = true
                inPiece = true
                continue
            }
            if character == " " || character == "\t" {
                if inPiece { pieces.append(current) }
                current = ""
                inPiece = false
                continue
            }
            current.append(character)
            inPiece = true
        }
        if inPiece { pieces.append(current) }
        return pieces
    }

    static func token(_ text: String) -> Token {
        switch text {
        case "!", "not": .not
        case "&", "&&", "and": .and
        case "|", "||", "or": .or
        case "(": .open
        case ")": .close
        case ">=", "ge", "geq": .atLeast
        case "<=", "le", "leq": .atMost
        case "!=", "ne", "neq": .notEqual
        case "=", "==", "eq": .equal
        case ">", "gt": .greater
        case "<", "lt": .less
        default: .word(text)
        }
    }

    static func syntaxError() -> SocketTableError {
        .invalid(message: "ss: bison bellows (while parsing filter): \"syntax error!\" Sorry.", status: 255)
    }

    var next: Token? { position < tokens.count ? tokens[position] : nil }

    mutating func parse() throws(SocketTableError) -> SocketFilterExpression? {
        guard !tokens.isEmpty else { return nil }
        let expression = try parseList()
        guard next == nil else { throw Self.syntaxError() }
        return expression
    }

    /// exprlist: expr, then (`|` expr | `&` expr | expr)*.
    mutating func parseList() throws(SocketTableError) -> SocketFilterExpression {
        var left = try parseExpression()
        while let token = next, token != .close {
            switch token {
            case .or:
                position += 1
                left = .or(left, try parseExpression())
            case .and:
                position += 1
                left = .and(left, try parseExpression())
            default:
                left = .and(left, try parseExpression())
            }
        }
        return left
    }

    mutating func parseExpression() throws(SocketTableError) -> SocketFilterExpression {
        guard let token = next else { throw Self.syntaxError() }
        position += 1
        switch token {
        case .open:
            let inner = try parseList()
            guard next == .close else { throw Self.syntaxError() }
            position += 1
            return inner
        case .not:
            return .not(try parseExpression())
        case .word(let keyword):
            switch keyword {
            case "src", "dst":
                if next == .equal { position += 1 }
                let condition = try hostCondition(isPort: false)
                return keyword == "src" ? .source(condition) : .destination(condition)
            case "sport", "dport":
                let isSource = keyword == "sport"
                guard let comparison = next else { throw Self.syntaxError() }
                var op = comparison
                if case .word = comparison {
                    op = .equal  // `eq` may be left out
                } else {
                    position += 1
                }
                let condition = try hostCondition(isPort: true)
                let equal: SocketFilterExpression = isSource ? .source(condition) : .destination(condition)
                let port = condition.port
                switch op {
                case .equal: return equal
                case .notEqual: return .not(equal)
                case .atLeast: return isSource ? .sourcePortAtLeast(port) : .destinationPortAtLeast(port)
                case .atMost: return isSource ? .sourcePortAtMost(port) : .destinationPortAtMost(port)
                case .greater: return .not(isSource ? .sourcePortAtMost(port) : .destinationPortAtMost(port))
                case .less: return .not(isSource ? .sourcePortAtLeast(port) : .destinationPortAtLeast(port))
                default: throw Self.syntaxError()
                }
            case "autobound":
                return .autobound
            case "dev", "fwmark", "cgroup":
                throw .unsupported("ss filter `\(keyword)` is not modeled by the sim")
            default:
                throw Self.syntaxError()
            }
        default:
            throw Self.syntaxError()
        }
    }

    static func addressError() -> SocketTableError {
        .invalid(message: "Cannot parse dst/src address.", status: 1)
    }

    /// parse_hostcond for inet addresses: `ADDR[/LEN][:PORT]`, `[V6][:PORT]`,
    /// `*[:PORT]`; with `isPort`, the whole word is a port (`:8080`, `8080`, a
    /// service name, `*`).
    mutating func hostCondition(isPort: Bool) throws(SocketTableError) -> HostCondition {
        guard case .word(var text)? = next else { throw Self.syntaxError() }
        position += 1
        var family = options.preferredFamily
        for (prefix, named) in [("inet:", SocketTableOptions.familyInet), ("inet6:", SocketTableOptions.familyInet6)]
        where text.hasPrefix(prefix) {
            family = named
            text = String(text.dropFirst(prefix.count))
        }
        for prefix in ["unix:", "link:", "netlink:", "vsock:"] where text.hasPrefix(prefix) {
            throw .unsupported("ss filter addresses of other families (\(prefix)) are not modeled by the sim")
        }
        var address = text[...]
        var port: Substring?
        if address.first == "[" {
            address = address.dropFirst()
            guard let close = address.firstIndex(of: "]") else { throw Self.addressError() }
            port = address[address.index(after: close)...]
            address = address[..<close]
        } else if address.first == "*" {
            port = address.dropFirst()
            address = address.prefix(1)
        } else {
            let searchFrom = address.firstIndex(of: "/") ?? address.startIndex
            if let colon = address[searchFrom...].lastIndex(of: ":") {
                port = address[colon...]
                address = address[..<colon]
            }
        }
        if isPort {
            port = text[...]
        }
        var condition = HostCondition(port: -1, prefix: nil)
        if var portText = port, !portText.isEmpty {
            if portText.first == ":" { portText = portText.dropFirst() }
            if !portText.isEmpty && portText.first != "*" {
                if let number = Self.cInteger(portText) {
                    condition.port = number
                } else if let named = services.port(named: String(portText)) {
                    condition.port = Int(named)
                } else {
                    throw .invalid(message: "Error: \"\(portText)\" does not look like a port.\nCannot parse dst/src address.",
                                   status: 1)
                }
            }
        }
        if !isPort && !address.isEmpty && address != "*" {
            condition.prefix = try Self.prefix(String(address), family: family)
        }
        if family != SocketTableOptions.familyUnspecified {
            // parse_hostcond: an explicit family replaces the selected ones.
            let states = options.states
            options.families = 0
            options.states |= SocketTableOptions.defaults(ofFamily: family).states
            options.families |= SocketTableOptions.familyBit(family)
            options.preferredFamily = family
            options.states = states
        }
        return condition
    }

    /// get_integer with base 0: decimal, 0x hex or 0 octal; nil if not a number.
    static func cInteger(_ text: Substring) -> Int? {
        var digits = text
        var negative = false
        if digits.first == "-" || digits.first == "+" {
            negative = digits.first == "-"
            digits = digits.dropFirst()
        }
        var radix = 10
        if digits.hasPrefix("0x") || digits.hasPrefix("0X") {
            radix = 16
            digits = digits.dropFirst(2)
        } else if digits.count > 1 && digits.hasPrefix("0") {
            radix = 8
            digits = digits.dropFirst()
        }
        guard !digits.isEmpty, let value = Int32(digits, radix: radix) else { return nil }
        return negative ? -Int(value) : Int(value)
    }

    /// get_prefix_1: an address with an optional /length; names are not resolved.
    static func prefix(_ text: String, family: Int) throws(SocketTableError) -> (address: IPAddress, bits: Int) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        let addressText = parts[0]
        let address: IPAddress
        if let v4 = IPv4Address(addressText), family != SocketTableOptions.familyInet6 {
            address = .v4(v4)
        } else if addressText.contains(":"), let v6 = IPv6Address(addressText), family != SocketTableOptions.familyInet {
            address = .v6(v6)
        } else if ["default", "all", "any"].contains(addressText) {
            return (.v4(IPv4Address(0)), 0)
        } else if addressText.contains(where: { $0.isLetter }) && !addressText.contains(":") {
            throw .unsupported("ss filter host name \"\(addressText)\": the sim resolves no names; give an address")
        } else {
            throw .invalid(message: "Error: an inet prefix is expected rather than \"\(text)\".\nCannot parse dst/src address.",
                           status: 1)
        }
        let maximum: Int
        if case .v4 = address { maximum = 32 } else { maximum = 128 }
        guard parts.count == 2 else { return (address, maximum) }
        guard let bits = Int(parts[1]), bits >= 0, bits <= maximum else {
            throw .invalid(message: "Error: an inet prefix is expected rather than \"\(text)\".\nCannot parse dst/src address.",
                           status: 1)
        }
        return (address, bits)
    }
}
