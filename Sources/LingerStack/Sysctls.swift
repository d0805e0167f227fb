/// Why a sysctl could not be read or written, as Linux would refuse it.
public enum SysctlError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No such sysctl in Linux (`sysctl: cannot stat /proc/sys/...`, ENOENT).
    case unknownName(String)
    /// The kernel rejects this value (EINVAL), with the rule it breaks.
    case invalidValue(name: String, value: String, reason: String)
    /// The sysctl cannot be written here (EACCES/EPERM), with why.
    case notWritable(name: String, reason: String)
    /// The congestion control algorithm is not available (ENOENT) or not
    /// allowed in this namespace (EPERM).
    case unavailableAlgorithm(name: String, value: String, reason: String)

    public var description: String {
        switch self {
        case .unknownName(let name):
            return "unknown sysctl \(name)"
        case .invalidValue(let name, let value, let reason):
            return "invalid value \"\(value)\" for \(name): \(reason)"
        case .notWritable(let name, let reason):
            return "cannot write \(name): \(reason)"
        case .unavailableAlgorithm(let name, let value, let reason):
            return "cannot set \(name) to \"\(value)\": \(reason)"
        }
    }
}

/// A three-number sysctl such as tcp_rmem: minimum, default, maximum.
/// Linux prints it tab-separated and does not require min <= default <= max.
public struct SysctlTriple: Equatable, Sendable {
    /// The first number (minimum).
    public var min: Int
    /// The second number (default).
    public var `default`: Int
    /// The third number (maximum).
    public var max: Int

    /// Creates a triple.
    public init(_ min: Int, _ default: Int, _ max: Int) {
        self.min = min
        self.default = `default`
        self.max = max
    }
}

/// Every sysctl the stack reads, with the defaults a fresh network namespace
/// has on a current Linux kernel (6.12 sources, checked against a live 6.18
/// kernel with `unshare -n sysctl -a`), plus the Linux sysctls the stack does
/// not model, which are accepted and remembered (`ignoredNames`).
///
/// Times are in the unit of the sysctl's name or, when the name has none, the
/// unit Linux prints: seconds for tcp_fin_timeout and tcp_keepalive_*,
/// milliseconds for tcp_invalid_ratelimit and tcp_tw_reuse_delay. Memory
/// triples (tcp_mem) are in pages, tcp_rmem/tcp_wmem and net.core in bytes.
///
/// Deliberate choices where the machine's own kernel differs from Linux's
/// built-in defaults: the congestion control is `cubic` (the kernel's default
/// choice; the build this was checked on defaults to bbr, which Linger does not
/// implement); memory-dependent values (tcp_mem, tcp_max_orphans,
/// tcp_max_tw_buckets, tcp_max_syn_backlog, tcp_rmem's max) are those of a
/// machine with 24 GB.
public struct Sysctls: Equatable, Sendable {
    // MARK: net.ipv4: options negotiated on the wire
    /// net.ipv4.tcp_timestamps: 1 = RFC 7323 timestamps with random offsets.
    public var tcpTimestamps = 1
    /// net.ipv4.tcp_window_scaling: offer and accept window scaling.
    public var tcpWindowScaling = 1
    /// net.ipv4.tcp_sack: offer and accept SACK.
    public var tcpSack = 1
    /// net.ipv4.tcp_dsack: send duplicate SACKs.
    public var tcpDsack = 1
    /// net.ipv4.tcp_ecn: 0 off, 1 request and accept, 2 accept only.
    public var tcpEcn = 2
    /// net.ipv4.tcp_ecn_fallback: give up ECN on signs of a broken path.
    public var tcpEcnFallback = 1
    /// net.ipv4.tcp_ecn_option: AccECN option use (kernels with AccECN).
    public var tcpEcnOption = 2
    /// net.ipv4.tcp_ecn_option_beacon: AccECN option beacon rate.
    public var tcpEcnOptionBeacon = 3
    /// net.ipv4.tcp_fastopen: TCP Fast Open flags (1 = client enabled).
    public var tcpFastopen = 1
    /// net.ipv4.tcp_fastopen_key: the primary (and optional backup) key.
    public var tcpFastopenKey = "00000000-00000000-00000000-00000000"
    /// net.ipv4.tcp_fastopen_blackhole_timeout_sec (seconds; 0 = off).
    public var tcpFastopenBlackholeTimeoutSec = 0
    /// net.ipv4.tcp_syncookies: 1 = send cookies when the SYN queue overflows.
    public var tcpSyncookies = 1
    /// net.ipv4.tcp_stdurg: interpret the urgent pointer as RFC 1122 says.
    public var tcpStdurg = 0
    /// net.ipv4.tcp_workaround_signed_windows: assume no scaling if none offered.
    public var tcpWorkaroundSignedWindows = 0
    /// net.ipv4.ip_default_ttl: TTL of outgoing IPv4 packets.
    public var ipDefaultTTL = 64
    /// net.ipv4.ip_no_pmtu_disc: 0 = set DF and do path MTU discovery.
    public var ipNoPmtuDisc = 0

    // MARK: net.ipv4: buffers and memory
    /// net.ipv4.tcp_rmem: receive buffer min/default/max (bytes).
    public var tcpRmem = SysctlTriple(4096, 131_072, 33_554_432)
    /// net.ipv4.tcp_wmem: send buffer min/default/max (bytes).
    public var tcpWmem = SysctlTriple(4096, 16384, 4_194_304)
    /// net.ipv4.tcp_mem: global TCP memory low/pressure/high (pages).
    /// Exists only in the initial namespace.
    public var tcpMem = SysctlTriple(287_832, 383_779, 575_664)
    /// net.ipv4.tcp_moderate_rcvbuf: receive buffer auto-tuning.
    public var tcpModerateRcvbuf = 1
    /// net.ipv4.tcp_adv_win_scale: share of the buffer advertised as window.
    public var tcpAdvWinScale = 1
    /// net.ipv4.tcp_app_win: window reserved for the application (log2 divisor).
    public var tcpAppWin = 31
    /// net.ipv4.tcp_notsent_lowat: unsent bytes before the socket is writable.
    public var tcpNotsentLowat = 4_294_967_295
    /// net.ipv4.tcp_limit_output_bytes: TSQ limit of bytes queued below TCP.
    public var tcpLimitOutputBytes = 4_194_304
    /// net.ipv4.tcp_autocorking: hold small writes while the device is busy.
    public var tcpAutocorking = 1
    /// net.ipv4.tcp_min_tso_segs: minimum segments per TSO frame.
    public var tcpMinTsoSegs = 2
    /// net.ipv4.tcp_tso_win_divisor: share of cwnd one TSO frame may use.
    public var tcpTsoWinDivisor = 3
    /// net.ipv4.tcp_tso_rtt_log: RTT scaling of TSO autosizing.
    public var tcpTsoRttLog = 9
    /// net.ipv4.tcp_shrink_window: allow the advertised window to shrink.
    public var tcpShrinkWindow = 0
    /// net.ipv4.tcp_backlog_ack_defer: defer ACKs of a socket's backlog.
    public var tcpBacklogAckDefer = 1
    /// net.ipv4.tcp_comp_sack_delay_ns: SACK compression delay (ns).
    public var tcpCompSackDelayNs = 1_000_000
    /// net.ipv4.tcp_comp_sack_slack_ns: SACK compression timer slack (ns).
    public var tcpCompSackSlackNs = 100_000
    /// net.ipv4.tcp_comp_sack_nr: most SACKs compressed into one.
    public var tcpCompSackNr = 44

    // MARK: net.ipv4: timers and retries
    /// net.ipv4.tcp_fin_timeout: orphaned FIN_WAIT2 lifetime (seconds).
    public var tcpFinTimeout = 60
    /// net.ipv4.tcp_keepalive_time: idle time before the first probe (seconds).
    public var tcpKeepaliveTime = 7200
    /// net.ipv4.tcp_keepalive_intvl: time between probes (seconds).
    public var tcpKeepaliveIntvl = 75
    /// net.ipv4.tcp_keepalive_probes: unanswered probes before reset.
    public var tcpKeepaliveProbes = 9
    /// net.ipv4.tcp_retries1: retries before asking for a new route.
    public var tcpRetries1 = 3
    /// net.ipv4.tcp_retries2: retries (as a time budget) before giving up.
    public var tcpRetries2 = 15
    /// net.ipv4.tcp_orphan_retries: retries for orphans (0 means 8).
    public var tcpOrphanRetries = 0
    /// net.ipv4.tcp_syn_retries: SYN retransmissions for connect().
    public var tcpSynRetries = 6
    /// net.ipv4.tcp_synack_retries: SYN-ACK retransmissions.
    public var tcpSynackRetries = 5
    /// net.ipv4.tcp_syn_linear_timeouts: SYN retries with linear backoff first.
    public var tcpSynLinearTimeouts = 4
    /// net.ipv4.tcp_thin_linear_timeouts: linear backoff for thin streams.
    public var tcpThinLinearTimeouts = 0
    /// net.ipv4.tcp_rto_min_us: lower bound of the RTO (microseconds).
    public var tcpRtoMinUs = 200_000
    /// net.ipv4.tcp_rto_max_ms: upper bound of the RTO (milliseconds).
    public var tcpRtoMaxMs = 120_000
    /// net.ipv4.tcp_invalid_ratelimit: min gap between dupACKs for invalid
    /// segments (milliseconds, rounded through jiffies).
    public var tcpInvalidRatelimit = 500
    /// net.ipv4.tcp_challenge_ack_limit: challenge ACKs per second.
    public var tcpChallengeAckLimit = 2_147_483_647
    /// net.ipv4.tcp_pingpong_thresh: exchanges before delayed-ACK pingpong mode.
    public var tcpPingpongThresh = 1

    // MARK: net.ipv4: connection life cycle
    /// net.ipv4.tcp_max_orphans: orphans before they are reset.
    /// Exists only in the initial namespace.
    public var tcpMaxOrphans = 131_072
    /// net.ipv4.tcp_max_tw_buckets: TIME_WAIT entries kept at most.
    public var tcpMaxTwBuckets = 131_072
    /// net.ipv4.tcp_tw_reuse: 0 off, 1 on, 2 loopback only.
    public var tcpTwReuse = 2
    /// net.ipv4.tcp_tw_reuse_delay: TIME_WAIT age before reuse (milliseconds).
    public var tcpTwReuseDelay = 1000
    /// net.ipv4.tcp_rfc1337: 1 = a RST does not kill a TIME_WAIT entry.
    public var tcpRfc1337 = 0
    /// net.ipv4.tcp_max_syn_backlog: SYN_RECV requests per listener at most.
    public var tcpMaxSynBacklog = 2048
    /// net.ipv4.tcp_abort_on_overflow: reset instead of dropping on a full
    /// accept queue.
    public var tcpAbortOnOverflow = 0
    /// net.ipv4.tcp_retrans_collapse: merge segments when retransmitting.
    public var tcpRetransCollapse = 1
    /// net.ipv4.ip_local_port_range: ephemeral ports, low.
    public var ipLocalPortRangeLow = 32768
    /// net.ipv4.ip_local_port_range: ephemeral ports, high.
    public var ipLocalPortRangeHigh = 60999
    /// net.ipv4.ip_unprivileged_port_start: first port bind() allows anyone.
    public var ipUnprivilegedPortStart = 1024

    // MARK: net.ipv4: loss recovery and congestion control
    /// net.ipv4.tcp_early_retrans: tail loss probe (3 = TLP on).
    public var tcpEarlyRetrans = 3
    /// net.ipv4.tcp_recovery: 1 = RACK loss detection.
    public var tcpRecovery = 1
    /// net.ipv4.tcp_frto: F-RTO (RFC 5682) mode.
    public var tcpFrto = 2
    /// net.ipv4.tcp_reordering: initial reordering degree (dupthresh).
    public var tcpReordering = 3
    /// net.ipv4.tcp_max_reordering: most reordering tracked.
    public var tcpMaxReordering = 300
    /// net.ipv4.tcp_min_rtt_wlen: min RTT filter window (seconds).
    public var tcpMinRttWlen = 300
    /// net.ipv4.tcp_no_metrics_save: do not cache metrics of closed connections.
    public var tcpNoMetricsSave = 0
    /// net.ipv4.tcp_no_ssthresh_metrics_save: do not cache ssthresh.
    public var tcpNoSsthreshMetricsSave = 1
    /// net.ipv4.tcp_slow_start_after_idle: reset cwnd after an idle RTO.
    public var tcpSlowStartAfterIdle = 1
    /// net.ipv4.tcp_pacing_ss_ratio: pacing rate in slow start (percent).
    public var tcpPacingSsRatio = 200
    /// net.ipv4.tcp_pacing_ca_ratio: pacing rate in congestion avoidance (percent).
    public var tcpPacingCaRatio = 120
    /// net.ipv4.tcp_congestion_control: default algorithm of new sockets.
    public var tcpCongestionControl = "cubic"
    /// net.ipv4.tcp_base_mss: starting MSS of MTU probing.
    public var tcpBaseMss = 1024
    /// net.ipv4.tcp_min_snd_mss: smallest MSS accepted from a peer.
    public var tcpMinSndMss = 48
    /// net.ipv4.tcp_mtu_probe_floor: smallest MSS MTU probing goes down to.
    public var tcpMtuProbeFloor = 48
    /// net.ipv4.tcp_mtu_probing: 0 off, 1 after ICMP black hole, 2 always.
    public var tcpMtuProbing = 0
    /// net.ipv4.tcp_probe_threshold: MTU probing stops within this many bytes.
    public var tcpProbeThreshold = 8
    /// net.ipv4.tcp_probe_interval: MTU re-probing interval (seconds).
    public var tcpProbeInterval = 600

    // MARK: net.core
    /// net.core.rmem_default: SO_RCVBUF default of non-TCP sockets (bytes).
    public var coreRmemDefault = 212_992
    /// net.core.rmem_max: largest SO_RCVBUF a user may set (bytes).
    public var coreRmemMax = 4_194_304
    /// net.core.wmem_default: SO_SNDBUF default of non-TCP sockets (bytes).
    public var coreWmemDefault = 212_992
    /// net.core.wmem_max: largest SO_SNDBUF a user may set (bytes).
    public var coreWmemMax = 4_194_304
    /// net.core.somaxconn: listen() backlog cap.
    public var coreSomaxconn = 4096

    // MARK: Model settings (not sysctls)
    /// Kernel timer frequency used to round jiffy-based sysctls (HZ). Linger
    /// models HZ=1000; set 250 to mirror such a kernel's rounding.
    public var hz = 1000
    /// Whether this is the initial network namespace. A fresh namespace (the
    /// default, as under `unshare -n`) lacks tcp_mem, tcp_max_orphans and a few
    /// other globals, and cannot write net.core buffer limits or the allowed
    /// congestion control list.
    public var isInitialNamespace = false

    /// Values of sysctls Linger accepts but does not model, by full name.
    private var remembered: [String: String] = Sysctls.rememberedDefaults
    /// What set_sysctls.py saved for its restore script (see SysctlCommands).
    var savedForRestore: [(name: String, value: String)] = []

    /// Creates the defaults of a fresh network namespace.
    public init() {}

    public static func == (lhs: Sysctls, rhs: Sysctls) -> Bool {
        lhs.everyValue() == rhs.everyValue() && lhs.hz == rhs.hz
            && lhs.isInitialNamespace == rhs.isInitialNamespace
    }

    /// The congestion control algorithms Linger implements
    /// (tcp_available_congestion_control).
    public static let availableCongestionControl = ["reno", "cubic"]

    /// Every sysctl name Linger knows, in full dotted form, sorted.
    public static var allNames: [String] { descriptors.map(\.name).sorted() }

    /// Linux sysctls that Linger accepts and remembers but that have no effect
    /// on its stack (a `--verbose` run can say so).
    public static var ignoredNames: Set<String> {
        Set(descriptors.compactMap { if case .remembered = $0.storage { $0.name } else { nil } })
    }

    /// The full dotted name for a dotted name, a sysctl(8) slash name
    /// (`net/ipv4/x`) or a /proc/sys path; nil if Linger does not know it.
    public static func canonicalName(_ name: String) -> String? {
        let key = normalize(name)
        return descriptorIndex[key] == nil ? nil : key
    }

    /// The value as Linux prints it (triples tab-separated, no newline), by
    /// full dotted name or /proc/sys path; nil for an unknown name.
    public func get(name: String) -> String? {
        guard let descriptor = Self.descriptor(for: name) else { return nil }
        return value(of: descriptor)
    }

    /// Writes a sysctl by full dotted name or /proc/sys path, with the value
    /// text as it would be written to the /proc file, parsed and validated as
    /// Linux does (numbers in decimal, 0x hex or 0 octal; surrounding blanks
    /// and a trailing newline ignored; extra numbers ignored; a triple written
    /// with fewer numbers keeps the rest; a bad number stops a vector write,
    /// keeping the numbers before it, as Linux does).
    public mutating func set(name: String, value: String) throws(SysctlError) {
        guard let descriptor = Self.descriptor(for: name) else {
            throw .unknownName(Self.normalize(name))
        }
        try write(descriptor, value)
    }

    // MARK: - Descriptors

    enum Format {
        /// An integer vector element rule: proc_dointvec (int), proc_dou8vec
        /// (0...255), proc_douintvec, proc_doulongvec, with min/max.
        case integer(ClosedRange<Int>)
        /// proc_dointvec_jiffies: seconds, |value| * HZ must fit an int.
        case seconds
        /// proc_dointvec_ms_jiffies: milliseconds rounded up to jiffies.
        case milliseconds
        case triple(ClosedRange<Int>)
        case portRange
        case unprivilegedPortStart
        case reordering
        case congestionControl
        case allowedCongestionControl
        case availableCongestionControl
        case fastOpenKey
        case portList
        case readOnly
        /// Exists only in the initial namespace; wraps the real format.
        indirect case initialNamespaceOnly(Format)
        /// Writable only in the initial namespace; wraps the real format.
        indirect case readOnlyInChildNamespace(Format)
    }

    enum Storage {
        case int(WritableKeyPath<Sysctls, Int>)
        case triple(WritableKeyPath<Sysctls, SysctlTriple>)
        case string(WritableKeyPath<Sysctls, String>)
        case portRange
        case remembered
        case computed
    }

    /// Key paths to stored properties are immutable values; the table is
    /// built once and never changed.
    struct Descriptor: @unchecked Sendable {
        let name: String
        let format: Format
        let storage: Storage
    }

    private static let int32Range = Int(Int32.min)...Int(Int32.max)
    private static let u8Range = 0...255
    private static let uintRange = 0...Int(UInt32.max)
    private static let ulongRange = 0...Int.max

    private static func u8(_ range: ClosedRange<Int> = 0...255) -> Format { .integer(range) }

    /// Every sysctl: name, Linux's parsing rule, where the value lives.
    static let descriptors: [Descriptor] = {
        func v4(_ name: String, _ format: Format, _ keyPath: WritableKeyPath<Sysctls, Int>) -> Descriptor {
            Descriptor(name: "net.ipv4." + name, format: format, storage: .int(keyPath))
        }
        func ignored(_ name: String, _ format: Format) -> Descriptor {
            Descriptor(name: name, format: format, storage: .remembered)
        }
        let int = Format.integer(int32Range)
        let uint = Format.integer(uintRange)
        let ulong = Format.integer(ulongRange)
        return [
            v4("tcp_timestamps", u8(), \.tcpTimestamps),
            v4("tcp_window_scaling", u8(), \.tcpWindowScaling),
            v4("tcp_sack", u8(), \.tcpSack),
            v4("tcp_dsack", u8(), \.tcpDsack),
            v4("tcp_ecn", u8(0...2), \.tcpEcn),
            v4("tcp_ecn_fallback", u8(0...1), \.tcpEcnFallback),
            v4("tcp_ecn_option", u8(0...2), \.tcpEcnOption),
            v4("tcp_ecn_option_beacon", u8(0...3), \.tcpEcnOptionBeacon),
            v4("tcp_fastopen", int, \.tcpFastopen),
            Descriptor(name: "net.ipv4.tcp_fastopen_key", format: .fastOpenKey, storage: .string(\.tcpFastopenKey)),
            v4("tcp_fastopen_blackhole_timeout_sec", .integer(0...Int(Int32.max)), \.tcpFastopenBlackholeTimeoutSec),
            v4("tcp_syncookies", u8(), \.tcpSyncookies),
            v4("tcp_stdurg", u8(), \.tcpStdurg),
            v4("tcp_workaround_signed_windows", u8(), \.tcpWorkaroundSignedWindows),
            v4("ip_default_ttl", u8(1...255), \.ipDefaultTTL),
            v4("ip_no_pmtu_disc", u8(), \.ipNoPmtuDisc),
            Descriptor(name: "net.ipv4.tcp_rmem", format: .triple(1...Int(Int32.max)), storage: .triple(\.tcpRmem)),
            Descriptor(name: "net.ipv4.tcp_wmem", format: .triple(1...Int(Int32.max)), storage: .triple(\.tcpWmem)),
            Descriptor(name: "net.ipv4.tcp_mem", format: .initialNamespaceOnly(.triple(ulongRange)), storage: .triple(\.tcpMem)),
            v4("tcp_moderate_rcvbuf", u8(), \.tcpModerateRcvbuf),
            v4("tcp_adv_win_scale", .integer(-31...31), \.tcpAdvWinScale),
            v4("tcp_app_win", u8(0...31), \.tcpAppWin),
            v4("tcp_notsent_lowat", uint, \.tcpNotsentLowat),
            v4("tcp_limit_output_bytes", int, \.tcpLimitOutputBytes),
            v4("tcp_autocorking", u8(0...1), \.tcpAutocorking),
            v4("tcp_min_tso_segs", u8(1...255), \.tcpMinTsoSegs),
            v4("tcp_tso_win_divisor", u8(), \.tcpTsoWinDivisor),
            v4("tcp_tso_rtt_log", u8(0...31), \.tcpTsoRttLog),
            v4("tcp_shrink_window", u8(0...1), \.tcpShrinkWindow),
            v4("tcp_backlog_ack_defer", u8(0...1), \.tcpBacklogAckDefer),
            v4("tcp_comp_sack_delay_ns", ulong, \.tcpCompSackDelayNs),
            v4("tcp_comp_sack_slack_ns", ulong, \.tcpCompSackSlackNs),
            v4("tcp_comp_sack_nr", u8(), \.tcpCompSackNr),
            v4("tcp_fin_timeout", .seconds, \.tcpFinTimeout),
            v4("tcp_keepalive_time", .seconds, \.tcpKeepaliveTime),
            v4("tcp_keepalive_intvl", .seconds, \.tcpKeepaliveIntvl),
            v4("tcp_keepalive_probes", u8(), \.tcpKeepaliveProbes),
            v4("tcp_retries1", u8(), \.tcpRetries1),
            v4("tcp_retries2", u8(), \.tcpRetries2),
            v4("tcp_orphan_retries", u8(), \.tcpOrphanRetries),
            v4("tcp_syn_retries", u8(1...127), \.tcpSynRetries),
            v4("tcp_synack_retries", u8(), \.tcpSynackRetries),
            v4("tcp_syn_linear_timeouts", u8(0...127), \.tcpSynLinearTimeouts),
            v4("tcp_thin_linear_timeouts", u8(), \.tcpThinLinearTimeouts),
            v4("tcp_rto_min_us", .integer(1...Int(Int32.max)), \.tcpRtoMinUs),
            v4("tcp_rto_max_ms", .integer(1000...120_000), \.tcpRtoMaxMs),
            v4("tcp_invalid_ratelimit", .milliseconds, \.tcpInvalidRatelimit),
            v4("tcp_challenge_ack_limit", int, \.tcpChallengeAckLimit),
            v4("tcp_pingpong_thresh", u8(1...255), \.tcpPingpongThresh),
            v4("tcp_max_orphans", .initialNamespaceOnly(int), \.tcpMaxOrphans),
            v4("tcp_max_tw_buckets", int, \.tcpMaxTwBuckets),
            v4("tcp_tw_reuse", u8(0...2), \.tcpTwReuse),
            v4("tcp_tw_reuse_delay", .integer(1...60000), \.tcpTwReuseDelay),
            v4("tcp_rfc1337", u8(), \.tcpRfc1337),
            v4("tcp_max_syn_backlog", int, \.tcpMaxSynBacklog),
            v4("tcp_abort_on_overflow", u8(), \.tcpAbortOnOverflow),
            v4("tcp_retrans_collapse", u8(), \.tcpRetransCollapse),
            Descriptor(name: "net.ipv4.ip_local_port_range", format: .portRange, storage: .portRange),
            v4("ip_unprivileged_port_start", .unprivilegedPortStart, \.ipUnprivilegedPortStart),
            v4("tcp_early_retrans", u8(0...4), \.tcpEarlyRetrans),
            v4("tcp_recovery", u8(), \.tcpRecovery),
            v4("tcp_frto", u8(), \.tcpFrto),
            v4("tcp_reordering", .reordering, \.tcpReordering),
            v4("tcp_max_reordering", .integer(1...Int(Int32.max)), \.tcpMaxReordering),
            v4("tcp_min_rtt_wlen", .integer(0...86400), \.tcpMinRttWlen),
            v4("tcp_no_metrics_save", u8(), \.tcpNoMetricsSave),
            v4("tcp_no_ssthresh_metrics_save", u8(0...1), \.tcpNoSsthreshMetricsSave),
            v4("tcp_slow_start_after_idle", u8(), \.tcpSlowStartAfterIdle),
            v4("tcp_pacing_ss_ratio", .integer(0...1000), \.tcpPacingSsRatio),
            v4("tcp_pacing_ca_ratio", .integer(0...1000), \.tcpPacingCaRatio),
            Descriptor(name: "net.ipv4.tcp_congestion_control", format: .congestionControl,
                       storage: .string(\.tcpCongestionControl)),
            Descriptor(name: "net.ipv4.tcp_allowed_congestion_control",
                       format: .readOnlyInChildNamespace(.allowedCongestionControl), storage: .computed),
            Descriptor(name: "net.ipv4.tcp_available_congestion_control",
                       format: .availableCongestionControl, storage: .computed),
            v4("tcp_base_mss", int, \.tcpBaseMss),
            v4("tcp_min_snd_mss", .integer(48...65535), \.tcpMinSndMss),
            v4("tcp_mtu_probe_floor", .integer(48...65535), \.tcpMtuProbeFloor),
            v4("tcp_mtu_probing", u8(), \.tcpMtuProbing),
            v4("tcp_probe_threshold", int, \.tcpProbeThreshold),
            v4("tcp_probe_interval", .integer(0...Int(UInt32.max) / 1000), \.tcpProbeInterval),
            Descriptor(name: "net.core.rmem_default", format: .readOnlyInChildNamespace(.integer(2304...Int(Int32.max))),
                       storage: .int(\.coreRmemDefault)),
            Descriptor(name: "net.core.rmem_max", format: .readOnlyInChildNamespace(.integer(2304...Int(Int32.max))),
                       storage: .int(\.coreRmemMax)),
            Descriptor(name: "net.core.wmem_default", format: .readOnlyInChildNamespace(.integer(4608...Int(Int32.max))),
                       storage: .int(\.coreWmemDefault)),
            Descriptor(name: "net.core.wmem_max", format: .readOnlyInChildNamespace(.integer(4608...Int(Int32.max))),
                       storage: .int(\.coreWmemMax)),
            Descriptor(name: "net.core.somaxconn", format: .integer(0...Int(Int32.max)), storage: .int(\.coreSomaxconn)),

            // Accepted and remembered, no effect on Linger's stack.
            ignored("net.ipv4.tcp_fack", u8()),
            ignored("net.ipv4.tcp_low_latency", .initialNamespaceOnly(int)),
            ignored("net.ipv4.tcp_early_demux", u8()),
            ignored("net.ipv4.tcp_l3mdev_accept", u8(0...1)),
            ignored("net.ipv4.tcp_fwmark_accept", u8()),
            ignored("net.ipv4.tcp_migrate_req", u8()),
            ignored("net.ipv4.tcp_reflect_tos", u8(0...1)),
            ignored("net.ipv4.tcp_plb_enabled", u8(0...1)),
            ignored("net.ipv4.tcp_plb_idle_rehash_rounds", u8(0...31)),
            ignored("net.ipv4.tcp_plb_rehash_rounds", u8(0...31)),
            ignored("net.ipv4.tcp_plb_suspend_rto_sec", u8()),
            ignored("net.ipv4.tcp_plb_cong_thresh", .integer(0...256)),
            ignored("net.ipv4.tcp_child_ehash_entries", .integer(0...16 * 1024 * 1024)),
            ignored("net.ipv4.tcp_ehash_entries", .readOnly),
            ignored("net.ipv4.tcp_available_ulp", .initialNamespaceOnly(.readOnly)),
            ignored("net.ipv4.ip_nonlocal_bind", u8()),
            ignored("net.ipv4.ip_forward_use_pmtu", u8()),
            ignored("net.ipv4.ip_local_reserved_ports", .portList),
            ignored("net.ipv4.udp_rmem_min", int),
            ignored("net.ipv4.udp_wmem_min", int),
            ignored("net.ipv4.route.min_pmtu", .integer(68...Int(Int32.max))),
            ignored("net.core.optmem_max", int),
        ]
    }()

    static let rememberedDefaults: [String: String] = [
        "net.ipv4.tcp_fack": "0",
        "net.ipv4.tcp_low_latency": "0",
        "net.ipv4.tcp_early_demux": "1",
        "net.ipv4.tcp_l3mdev_accept": "0",
        "net.ipv4.tcp_fwmark_accept": "0",
        "net.ipv4.tcp_migrate_req": "0",
        "net.ipv4.tcp_reflect_tos": "0",
        "net.ipv4.tcp_plb_enabled": "0",
        "net.ipv4.tcp_plb_idle_rehash_rounds": "3",
        "net.ipv4.tcp_plb_rehash_rounds": "12",
        "net.ipv4.tcp_plb_suspend_rto_sec": "60",
        "net.ipv4.tcp_plb_cong_thresh": "128",
        "net.ipv4.tcp_child_ehash_entries": "0",
        "net.ipv4.tcp_ehash_entries": "-262144",
        "net.ipv4.tcp_available_ulp": "",
        "net.ipv4.ip_nonlocal_bind": "0",
        "net.ipv4.ip_forward_use_pmtu": "0",
        "net.ipv4.ip_local_reserved_ports": "",
        "net.ipv4.udp_rmem_min": "4096",
        "net.ipv4.udp_wmem_min": "4096",
        "net.ipv4.route.min_pmtu": "552",
        "net.core.optmem_max": "131072",
    ]

    private static let descriptorIndex: [String: Int] = {
        var index: [String: Int] = [:]
        for (position, descriptor) in descriptors.enumerated() { index[descriptor.name] = position }
        return index
    }()

    /// `/proc/sys/net/ipv4/x`, `net/ipv4/x` and `net.ipv4.x` all name one sysctl.
    static func normalize(_ name: String) -> String {
        var text = Substring(name)
        while let first = text.first, first == " " || first == "\t" { text = text.dropFirst() }
        while let last = text.last, last == " " || last == "\t" || last == "\n" { text = text.dropLast() }
        if text.hasPrefix("/proc/sys/") { text = text.dropFirst("/proc/sys/".count) }
        while text.hasPrefix("/") { text = text.dropFirst() }
        return String(text.map { $0 == "/" ? "." : $0 })
    }

    static func descriptor(for name: String) -> Descriptor? {
        guard let position = descriptorIndex[normalize(name)] else { return nil }
        return descriptors[position]
    }

    private func everyValue() -> [String] {
        Self.descriptors.map { value(of: $0) }
    }

    // MARK: - Reading

    private func value(of descriptor: Descriptor) -> String {
        switch descriptor.storage {
        case .int(let keyPath):
            return String(self[keyPath: keyPath])
        case .triple(let keyPath):
            let triple = self[keyPath: keyPath]
            return "\(triple.min)\t\(triple.default)\t\(triple.max)"
        case .string(let keyPath):
            return self[keyPath: keyPath]
        case .portRange:
            return "\(ipLocalPortRangeLow)\t\(ipLocalPortRangeHigh)"
        case .remembered:
            return remembered[descriptor.name] ?? ""
        case .computed:
            // Available and allowed lists: every algorithm Linger has is allowed
            // (Linux allows the default one plus reno, and registers reno first).
            return Self.availableCongestionControl.joined(separator: " ")
        }
    }

    // MARK: - Writing

    private mutating func write(_ descriptor: Descriptor, _ text: String) throws(SysctlError) {
        let name = descriptor.name
        var format = descriptor.format
        switch format {
        case .initialNamespaceOnly(let inner):
            guard isInitialNamespace else {
                throw .notWritable(name: name, reason: "exists only in the initial network namespace")
            }
            format = inner
        case .readOnlyInChildNamespace(let inner):
            guard isInitialNamespace else {
                throw .notWritable(name: name, reason: "read-only in a network namespace other than the initial one")
            }
            format = inner
        default:
            break
        }

        func invalid(_ reason: String) -> SysctlError {
            .invalidValue(name: name, value: text, reason: reason)
        }

        switch format {
        case .readOnly, .availableCongestionControl, .allowedCongestionControl:
            // Writing the allowed list in the initial namespace needs module
            // loading Linger does not model; treat it as read-only there too.
            throw .notWritable(name: name, reason: "read-only")
        case .integer(let range):
            let number = try Self.parseFirstInteger(text, name: name)
            guard range.contains(number) else { throw invalid("must be in \(range.lowerBound)...\(range.upperBound)") }
            try store(number, descriptor)
        case .seconds:
            let number = try Self.parseFirstInteger(text, name: name)
            let limit = Int(Int32.max) / Swift.max(hz, 1)
            guard (-limit...limit).contains(number) else {
                throw invalid("seconds times HZ (\(hz)) must fit an int: at most \(limit)")
            }
            try store(number, descriptor)
        case .milliseconds:
            let number = try Self.parseFirstInteger(text, name: name)
            guard (0...Int(Int32.max)).contains(number) else { throw invalid("must be in 0...\(Int32.max)") }
            // msecs_to_jiffies rounds up; reading converts jiffies back down.
            let jiffies = (number * hz + 999) / 1000
            try store(jiffies * 1000 / Swift.max(hz, 1), descriptor)
        case .triple(let range):
            guard case .triple(let keyPath) = descriptor.storage else { return }
            var parsed: [Int] = []
            var failure: SysctlError?
            do {
                parsed = try Self.parseIntegers(text, name: name, limit: 3, parsedBeforeError: &parsed)
            } catch {
                failure = error
            }
            var triple = self[keyPath: keyPath]
            for (position, number) in parsed.enumerated() {
                guard range.contains(number) else {
                    self[keyPath: keyPath] = triple  // Linux keeps the numbers before the bad one
                    throw invalid("each number must be in \(range.lowerBound)...\(range.upperBound)")
                }
                switch position {
                case 0: triple.min = number
                case 1: triple.default = number
                default: triple.max = number
                }
            }
            self[keyPath: keyPath] = triple
            if let failure { throw failure }
        case .portRange:
            let numbers = try Self.parseIntegers(text, name: name, limit: 2)
            var low = ipLocalPortRangeLow
            var high = ipLocalPortRangeHigh
            for (position, number) in numbers.enumerated() {
                guard (1...65535).contains(number) else { throw invalid("ports must be in 1...65535") }
                if position == 0 { low = number } else { high = number }
            }
            guard low <= high else { throw invalid("the low port \(low) is above the high port \(high)") }
            guard low >= ipUnprivilegedPortStart else {
                throw invalid("the low port \(low) is below ip_unprivileged_port_start (\(ipUnprivilegedPortStart))")
            }
            // Linux warns (once) when both ends have the same parity; not an error.
            ipLocalPortRangeLow = low
            ipLocalPortRangeHigh = high
        case .unprivilegedPortStart:
            let number = try Self.parseFirstInteger(text, name: name)
            guard (0...65535).contains(number) else { throw invalid("must be in 0...65535") }
            guard number <= ipLocalPortRangeLow else {
                throw invalid("above the low end of ip_local_port_range (\(ipLocalPortRangeLow))")
            }
            ipUnprivilegedPortStart = number
        case .reordering:
            let number = try Self.parseFirstInteger(text, name: name)
            guard (1...tcpMaxReordering).contains(number) else {
                throw invalid("must be in 1...tcp_max_reordering (\(tcpMaxReordering))")
            }
            tcpReordering = number
        case .congestionControl:
            let algorithm = Self.trimmed(text)
            guard !algorithm.isEmpty, algorithm.utf8.count < 16 else { throw invalid("not an algorithm name") }
            guard Self.availableCongestionControl.contains(algorithm) else {
                throw .unavailableAlgorithm(name: name, value: algorithm,
                                            reason: "not available (Linger has \(Self.availableCongestionControl.joined(separator: " ")))")
            }
            tcpCongestionControl = algorithm
        case .fastOpenKey:
            let key = Self.trimmed(text)
            guard Self.isFastOpenKeyList(key) else {
                throw invalid("expected one or two keys of four dash-separated hex words (xxxxxxxx-xxxxxxxx-xxxxxxxx-xxxxxxxx)")
            }
            tcpFastopenKey = Self.normalizedFastOpenKeys(key)
        case .portList:
            let list = Self.trimmed(text)
            guard list.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "," || $0 == "-") }) else {
                throw invalid("expected ports and ranges like 8080,9000-9010")
            }
            remembered[name] = list
        case .initialNamespaceOnly, .readOnlyInChildNamespace:
            throw .notWritable(name: name, reason: "read-only")
        }
    }

    private mutating func store(_ number: Int, _ descriptor: Descriptor) throws(SysctlError) {
        switch descriptor.storage {
        case .int(let keyPath): self[keyPath: keyPath] = number
        case .remembered: remembered[descriptor.name] = String(number)
        default: throw .notWritable(name: descriptor.name, reason: "read-only")
        }
    }

    // MARK: - Parsing as the kernel's proc handlers do

    static func trimmed(_ text: String) -> String {
        String(text.drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }

    /// The first number of the text; anything after it is ignored, as for
    /// any one-number sysctl on Linux.
    static func parseFirstInteger(_ text: String, name: String) throws(SysctlError) -> Int {
        let numbers = try parseIntegers(text, name: name, limit: 1)
        guard let first = numbers.first else {
            throw .invalidValue(name: name, value: text, reason: "no number given")
        }
        return first
    }

    /// Up to `limit` whitespace-separated numbers in C `strtoul(..., 0)`
    /// syntax with an optional leading minus: decimal, 0x hexadecimal,
    /// leading-0 octal. Words after the first `limit` are not looked at.
    /// A malformed word is an error; `parsedBeforeError` then holds the
    /// numbers before it (a vector write keeps those on Linux).
    static func parseIntegers(
        _ text: String, name: String, limit: Int, parsedBeforeError: UnsafeMutablePointer<[Int]>? = nil
    ) throws(SysctlError) -> [Int] {
        var numbers: [Int] = []
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" })
        for word in words.prefix(limit) {
            guard let number = parseCInteger(word) else {
                parsedBeforeError?.pointee = numbers
                throw .invalidValue(name: name, value: text, reason: "\"\(word)\" is not a number")
            }
            numbers.append(number)
        }
        if numbers.isEmpty { throw .invalidValue(name: name, value: text, reason: "no number given") }
        return numbers
    }

    static func parseCInteger(_ word: Substring) -> Int? {
        var digits = word
        var negative = false
        if digits.first == "-" {
            negative = true
            digits = digits.dropFirst()
        }
        var radix = 10
        if digits.count > 1, digits.hasPrefix("0x") || digits.hasPrefix("0X") {
            radix = 16
            digits = digits.dropFirst(2)
        } else if digits.count > 1, digits.first == "0" {
            radix = 8
            digits = digits.dropFirst()
        }
        guard !digits.isEmpty, digits.allSatisfy(\.isHexDigit),
              let magnitude = Int(digits, radix: radix), magnitude >= 0 else { return nil }
        return negative ? -magnitude : magnitude
    }

    static func isFastOpenKeyList(_ text: String) -> Bool {
        let keys = text.split(separator: ",", omittingEmptySubsequences: false)
        guard (1...2).contains(keys.count) else { return false }
        return keys.allSatisfy { key in
            let words = key.split(separator: "-", omittingEmptySubsequences: false)
            return words.count == 4 && words.allSatisfy { word in
                (1...8).contains(word.count) && word.allSatisfy(\.isHexDigit)
            }
        }
    }

    /// Linux prints each word as eight lowercase hex digits.
    static func normalizedFastOpenKeys(_ text: String) -> String {
        text.split(separator: ",").map { key in
            key.split(separator: "-").map { word -> String in
                let lower = word.lowercased()
                return String(repeating: "0", count: Swift.max(0, 8 - lower.count)) + lower
            }.joined(separator: "-")
        }.joined(separator: ",")
    }
}
