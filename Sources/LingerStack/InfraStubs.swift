// TEMPORARY stand-ins for the clock, timer wheel, sysctls and counters that branch
// `stackinfra` is writing. Deleted when that branch is merged.

/// A source of time in microseconds.
public protocol StackClock: AnyObject {
    /// Now, in microseconds.
    var now: Int64 { get }
}

/// A clock that only moves when told to.
public final class VirtualClock: StackClock {
    /// Now, in microseconds.
    public var now: Int64
    /// A clock at `start`.
    public init(start: Int64 = 0) { now = start }
}

/// A handle to a scheduled timer.
public struct TimerHandle: Hashable, Sendable {
    let id: UInt64
}

/// Timers keyed by deadline (stand-in: a sorted array).
public struct TimerWheel<Payload> {
    private var entries: [(deadline: Int64, id: UInt64, payload: Payload)] = []
    private var nextID: UInt64 = 1
    private(set) var now: Int64

    /// A wheel at time `now`.
    public init(now: Int64) { self.now = now }

    /// Schedules `payload` at `deadline`.
    public mutating func schedule(at deadline: Int64, _ payload: Payload) -> TimerHandle {
        let id = nextID
        nextID += 1
        let index = entries.firstIndex { $0.deadline > deadline } ?? entries.count
        entries.insert((deadline, id, payload), at: index)
        return TimerHandle(id: id)
    }

    /// Cancels a timer; nothing if it is not scheduled.
    public mutating func cancel(_ handle: TimerHandle) {
        if let i = entries.firstIndex(where: { $0.id == handle.id }) { entries.remove(at: i) }
    }

    /// Whether the timer is still pending.
    public func isScheduled(_ handle: TimerHandle) -> Bool { entries.contains { $0.id == handle.id } }

    /// The deadline of a pending timer.
    public func deadline(of handle: TimerHandle) -> Int64? { entries.first { $0.id == handle.id }?.deadline }

    /// The earliest deadline.
    public func nextDeadline() -> Int64? { entries.first?.deadline }

    /// Moves time to `time`, firing every timer due by then in deadline order.
    public mutating func advance(to time: Int64, firing: (TimerHandle, Payload) -> Void) {
        while let first = entries.first, first.deadline <= time {
            entries.removeFirst()
            now = max(now, first.deadline)
            firing(TimerHandle(id: first.id), first.payload)
        }
        now = max(now, time)
    }
}

/// Why a sysctl could not be set.
public enum SysctlError: Error, Sendable, Hashable {
    case unknownName(String)
    case badValue(name: String, value: String)
}

/// The sysctls the stack reads, with Linux's defaults.
public struct Sysctls: Sendable, Hashable {
    public var tcpFinTimeout: Int = 60
    public var tcpKeepaliveTime: Int = 7200
    public var tcpKeepaliveIntvl: Int = 75
    public var tcpKeepaliveProbes: Int = 9
    public var tcpRetries1: Int = 3
    public var tcpRetries2: Int = 15
    public var tcpOrphanRetries: Int = 0
    public var tcpSynRetries: Int = 6
    public var tcpSynackRetries: Int = 5
    public var tcpRmem: [Int] = [4096, 131072, 6291456]
    public var tcpWmem: [Int] = [4096, 16384, 4194304]
    public var tcpTimestamps: Int = 1
    public var tcpSack: Int = 1
    public var tcpDsack: Int = 1
    public var tcpWindowScaling: Int = 1
    public var tcpRecovery: Int = 1
    public var tcpEarlyRetrans: Int = 3
    public var tcpFrto: Int = 2
    public var tcpReordering: Int = 3
    public var tcpMaxReordering: Int = 300
    public var tcpSlowStartAfterIdle: Int = 1
    public var tcpCongestionControl: String = "cubic"
    public var tcpRfc1337: Int = 0
    public var tcpMaxTwBuckets: Int = 262144
    public var tcpMaxOrphans: Int = 262144
    public var tcpTwReuse: Int = 2
    public var ipLocalPortRange: [Int] = [32768, 60999]
    public var tcpSyncookies: Int = 1
    public var tcpAbortOnOverflow: Int = 0
    public var tcpMaxSynBacklog: Int = 4096
    public var somaxconn: Int = 4096
    public var tcpMinTsoSegs: Int = 2
    public var tcpTsoWinDivisor: Int = 3
    public var tcpNotsentLowat: Int = Int(UInt32.max)
    public var tcpEcn: Int = 2
    public var tcpBaseMss: Int = 1024
    public var tcpMtuProbing: Int = 0
    public var tcpModerateRcvbuf: Int = 1
    public var tcpWorkaroundSignedWindows: Int = 0
    public var tcpChallengeAckLimit: Int = Int(Int32.max)
    public var tcpInvalidRatelimit: Int = 500
    public var tcpShrinkWindow: Int = 0
    public var tcpAutocorking: Int = 1
    public var tcpThinLinearTimeouts: Int = 0
    public var tcpNoMetricsSave: Int = 0
    public var tcpMinSndMss: Int = 48
    public var tcpComprSackNr: Int = 44
    public var tcpComprSackDelayNs: Int = 1_000_000
    public var tcpComprSackSlackNs: Int = 100_000
    public var tcpPacingSsRatio: Int = 200
    public var tcpPacingCaRatio: Int = 120
    public var tcpRetrans: Int = 0
    public var rmemMax: Int = 212992
    public var wmemMax: Int = 212992
    public var rmemDefault: Int = 212992
    public var wmemDefault: Int = 212992
    public var tcpFastopen: Int = 1
    public var tcpMinRttWlen: Int = 300
    public var tcpAppWin: Int = 31
    public var tcpAdvWinScale: Int = 1
    public var tcpFack: Int = 0
    public var tcpRtoMinUs: Int = 200_000
    public var tcpRtoMaxMs: Int = 120_000

    public init() {}

    public mutating func set(name: String, value: String) throws(SysctlError) {
        let key = name.hasPrefix("net.ipv4.") ? String(name.dropFirst(9)) : name
        let numbers = value.split(whereSeparator: { $0 == " " || $0 == "\t" }).compactMap { Int($0) }
        func one() throws(SysctlError) -> Int {
            guard numbers.count == 1 else { throw .badValue(name: name, value: value) }
            return numbers[0]
        }
        switch key {
        case "tcp_fin_timeout": tcpFinTimeout = try one()
        case "tcp_keepalive_time": tcpKeepaliveTime = try one()
        case "tcp_keepalive_intvl": tcpKeepaliveIntvl = try one()
        case "tcp_keepalive_probes": tcpKeepaliveProbes = try one()
        case "tcp_retries1": tcpRetries1 = try one()
        case "tcp_retries2": tcpRetries2 = try one()
        case "tcp_orphan_retries": tcpOrphanRetries = try one()
        case "tcp_syn_retries": tcpSynRetries = try one()
        case "tcp_synack_retries": tcpSynackRetries = try one()
        case "tcp_rmem": tcpRmem = numbers
        case "tcp_wmem": tcpWmem = numbers
        case "tcp_timestamps": tcpTimestamps = try one()
        case "tcp_sack": tcpSack = try one()
        case "tcp_dsack": tcpDsack = try one()
        case "tcp_window_scaling": tcpWindowScaling = try one()
        case "tcp_recovery": tcpRecovery = try one()
        case "tcp_early_retrans": tcpEarlyRetrans = try one()
        case "tcp_frto": tcpFrto = try one()
        case "tcp_reordering": tcpReordering = try one()
        case "tcp_slow_start_after_idle": tcpSlowStartAfterIdle = try one()
        case "tcp_congestion_control": tcpCongestionControl = value
        case "tcp_rfc1337": tcpRfc1337 = try one()
        case "tcp_max_tw_buckets": tcpMaxTwBuckets = try one()
        case "tcp_max_orphans": tcpMaxOrphans = try one()
        case "tcp_tw_reuse": tcpTwReuse = try one()
        case "ip_local_port_range": ipLocalPortRange = numbers
        case "tcp_syncookies": tcpSyncookies = try one()
        case "tcp_min_tso_segs": tcpMinTsoSegs = try one()
        case "tcp_tso_win_divisor": tcpTsoWinDivisor = try one()
        case "tcp_notsent_lowat": tcpNotsentLowat = try one()
        case "tcp_ecn": tcpEcn = try one()
        case "tcp_shrink_window": tcpShrinkWindow = try one()
        case "tcp_autocorking": tcpAutocorking = try one()
        case "tcp_fack": tcpFack = try one()
        default: break
        }
    }
}

/// What one command line asks of the simulated stack.
public enum SysctlAction: Sendable, Hashable {
    case assign(name: String, value: String)
    case skip(command: String, reason: String)
}

/// Why a command line cannot run on the simulated stack.
public struct SysctlCommandError: Error, Sendable, Hashable {
    public var message: String
}

/// Reads a command line into sysctl assignments (stand-in).
public enum SysctlCommands {
    public static func interpret(_ commandLine: String, readFile: (String) -> String?) throws(SysctlCommandError) -> [SysctlAction] {
        var actions: [SysctlAction] = []
        for raw in commandLine.split(whereSeparator: { $0 == "\n" || $0 == ";" }) {
            var line = String(raw)
            if let hash = line.firstIndex(of: "#") { line = String(line[..<hash]) }
            if let redirect = line.firstIndex(of: ">") { line = String(line[..<redirect]) }
            line = expand(line)
            let words = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            guard let first = words.first else { continue }
            if first == "sysctl" {
                var i = 1
                while i < words.count {
                    let word = words[i]
                    i += 1
                    if word.hasPrefix("-") { continue }
                    guard let eq = word.firstIndex(of: "=") else { continue }
                    var value = String(word[word.index(after: eq)...])
                    if value.hasPrefix("\"") && !(value.count > 1 && value.hasSuffix("\"")) {
                        while i < words.count {
                            value += " " + words[i]
                            i += 1
                            if value.hasSuffix("\"") { break }
                        }
                    }
                    actions.append(.assign(name: String(word[..<eq]), value: value.replacingQuotes()))
                }
            } else if first == "tc" || first == "ip" || first == "true" || first == "echo" {
                actions.append(.skip(command: line, reason: "host only"))
            } else if let text = readFile(first) {
                actions += try interpret(text, readFile: readFile)
            } else {
                throw SysctlCommandError(message: "unsupported command: \(line)")
            }
        }
        return actions
    }

    static func expand(_ line: String) -> String {
        var out = ""
        var rest = Substring(line)
        while let start = rest.firstIndex(of: "$") {
            out += rest[..<start]
            let after = rest[start...]
            guard after.hasPrefix("$(("), let close = after.firstIndex(of: ")") else {
                out += after
                return out
            }
            let expr = after[after.index(start, offsetBy: 3)..<close]
            let value = expr.split(separator: "*").compactMap { Int($0.trimmingCharacters()) }.reduce(1, *)
            out += String(value)
            var next = after.index(after: close)
            if next < after.endIndex && after[next] == ")" { next = after.index(after: next) }
            rest = after[next...]
        }
        out += rest
        return out
    }
}

extension Substring {
    fileprivate func trimmingCharacters() -> String { String(filter { $0 != " " }) }
}

extension String {
    fileprivate func replacingQuotes() -> String { String(filter { $0 != "\"" }) }
}

/// Named counters (stand-in).
public struct Counters: Sendable, Hashable {
    public private(set) var values: [String: UInt64] = [:]
    public init() {}
    public mutating func increment(_ name: String, by n: UInt64 = 1) { values[name, default: 0] &+= n }
    public mutating func decrement(_ name: String) { values[name, default: 0] &-= 1 }
    public subscript(_ name: String) -> UInt64 { values[name] ?? 0 }
}
