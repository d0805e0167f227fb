import Testing
@testable import LingerStack

// Expected values below come from a live Linux 6.18 kernel in a fresh network
// namespace (`unshare -n sysctl -a`, and `echo VALUE > /proc/sys/...` probes),
// not from Linger's own output.

@Test func defaultsAreThoseOfAFreshNamespace() {
    let sysctls = Sysctls()
    let expected: [String: String] = [
        "net.ipv4.tcp_fin_timeout": "60",
        "net.ipv4.tcp_keepalive_time": "7200",
        "net.ipv4.tcp_keepalive_intvl": "75",
        "net.ipv4.tcp_keepalive_probes": "9",
        "net.ipv4.tcp_retries2": "15",
        "net.ipv4.tcp_orphan_retries": "0",
        "net.ipv4.tcp_syn_retries": "6",
        "net.ipv4.tcp_synack_retries": "5",
        "net.ipv4.tcp_tw_reuse": "2",
        "net.ipv4.tcp_ecn": "2",
        "net.ipv4.tcp_early_retrans": "3",
        "net.ipv4.tcp_rmem": "4096\t131072\t33554432",
        "net.ipv4.tcp_wmem": "4096\t16384\t4194304",
        "net.ipv4.ip_local_port_range": "32768\t60999",
        "net.ipv4.tcp_notsent_lowat": "4294967295",
        "net.ipv4.tcp_comp_sack_delay_ns": "1000000",
        "net.ipv4.tcp_rto_min_us": "200000",
        "net.ipv4.tcp_invalid_ratelimit": "500",
        "net.ipv4.tcp_fastopen_key": "00000000-00000000-00000000-00000000",
        "net.core.somaxconn": "4096",
        "net.core.rmem_default": "212992",
        "net.ipv4.tcp_ehash_entries": "-262144",
    ]
    for (name, value) in expected {
        #expect(sysctls.get(name: name) == value, "\(name)")
    }
}

@Test func namesMayBeDottedSlashedOrProcPaths() throws {
    var sysctls = Sysctls()
    try sysctls.set(name: "/proc/sys/net/ipv4/tcp_fin_timeout", value: "30\n")
    #expect(sysctls.tcpFinTimeout == 30)
    try sysctls.set(name: "net/ipv4/tcp_pacing_ss_ratio", value: "150")
    #expect(sysctls.get(name: "net.ipv4.tcp_pacing_ss_ratio") == "150")
    #expect(sysctls.get(name: "/proc/sys/net/ipv4/tcp_pacing_ss_ratio") == "150")
    #expect(Sysctls.canonicalName("/proc/sys/net/core/somaxconn") == "net.core.somaxconn")
}

@Test func unknownNamesAreNamedInTheError() {
    var sysctls = Sysctls()
    #expect(throws: SysctlError.unknownName("net.ipv4.tcp_fastopen_cookies")) {
        try sysctls.set(name: "net.ipv4.tcp_fastopen_cookies", value: "0")
    }
    #expect(sysctls.get(name: "net.ipv4.no_such_thing") == nil)
}

@Test func numbersAreParsedLikeTheKernel() throws {
    var sysctls = Sysctls()
    try sysctls.set(name: "net.ipv4.tcp_fastopen", value: "0x70403")
    #expect(sysctls.get(name: "net.ipv4.tcp_fastopen") == "459779")
    try sysctls.set(name: "net.ipv4.tcp_sack", value: "010")  // octal
    #expect(sysctls.tcpSack == 8)
    try sysctls.set(name: "net.ipv4.tcp_fin_timeout", value: " 30 ")
    #expect(sysctls.tcpFinTimeout == 30)
    try sysctls.set(name: "net.ipv4.tcp_fin_timeout", value: "1 2")  // extra numbers ignored
    #expect(sysctls.tcpFinTimeout == 1)
    try sysctls.set(name: "net.ipv4.tcp_fin_timeout", value: "-0x10")
    #expect(sysctls.tcpFinTimeout == -16)
    for bad in ["30x", "", "+3", "  "] {
        #expect(throws: SysctlError.self, "\(bad)") {
            try sysctls.set(name: "net.ipv4.tcp_fin_timeout", value: bad)
        }
    }
    #expect(sysctls.tcpFinTimeout == -16)
}

@Test func rangesTheKernelEnforces() throws {
    var sysctls = Sysctls()
    let accepted: [(String, String)] = [
        ("net.ipv4.tcp_syn_retries", "127"), ("net.ipv4.tcp_synack_retries", "255"),
        ("net.ipv4.tcp_reordering", "300"), ("net.ipv4.tcp_adv_win_scale", "-31"),
        ("net.ipv4.tcp_app_win", "31"), ("net.ipv4.tcp_rto_max_ms", "1000"),
        ("net.ipv4.tcp_fin_timeout", "0"), ("net.ipv4.tcp_fin_timeout", "2147483"),
        ("net.ipv4.tcp_keepalive_time", "-5"), ("net.ipv4.tcp_timestamps", "3"),
        ("net.ipv4.tcp_max_tw_buckets", "-1"), ("net.ipv4.tcp_max_syn_backlog", "0"),
        ("net.ipv4.tcp_min_snd_mss", "48"), ("net.ipv4.tcp_tw_reuse_delay", "60000"),
        ("net.ipv4.tcp_syn_linear_timeouts", "11"), ("net.ipv4.tcp_plb_rehash_rounds", "31"),
        ("net.ipv4.tcp_rfc1337", "2"), ("net.ipv4.tcp_mtu_probing", "3"),
        ("net.ipv4.tcp_comp_sack_delay_ns", "0"), ("net.core.somaxconn", "2147483647"),
    ]
    for (name, value) in accepted {
        try sysctls.set(name: name, value: value)
        #expect(sysctls.get(name: name) == value, "\(name)=\(value)")
    }
    let rejected: [(String, String)] = [
        ("net.ipv4.tcp_ecn", "3"), ("net.ipv4.tcp_ecn_option", "3"),
        ("net.ipv4.tcp_syn_retries", "0"), ("net.ipv4.tcp_syn_retries", "128"),
        ("net.ipv4.tcp_synack_retries", "256"), ("net.ipv4.tcp_retries2", "-1"),
        ("net.ipv4.tcp_early_retrans", "5"), ("net.ipv4.tcp_tw_reuse", "3"),
        ("net.ipv4.tcp_reordering", "0"), ("net.ipv4.tcp_reordering", "301"),
        ("net.ipv4.tcp_adv_win_scale", "32"), ("net.ipv4.tcp_adv_win_scale", "-32"),
        ("net.ipv4.tcp_app_win", "32"), ("net.ipv4.tcp_min_tso_segs", "0"),
        ("net.ipv4.tcp_rto_min_us", "0"), ("net.ipv4.tcp_rto_max_ms", "999"),
        ("net.ipv4.tcp_rto_max_ms", "120001"), ("net.ipv4.tcp_keepalive_probes", "256"),
        ("net.ipv4.tcp_notsent_lowat", "-1"), ("net.ipv4.tcp_notsent_lowat", "4294967296"),
        ("net.ipv4.tcp_pacing_ss_ratio", "1001"), ("net.ipv4.tcp_comp_sack_nr", "256"),
        ("net.ipv4.tcp_min_snd_mss", "47"), ("net.ipv4.tcp_invalid_ratelimit", "-1"),
        ("net.ipv4.tcp_tw_reuse_delay", "0"), ("net.ipv4.tcp_tw_reuse_delay", "60001"),
        ("net.ipv4.tcp_max_reordering", "0"), ("net.ipv4.tcp_ecn_fallback", "2"),
        ("net.ipv4.tcp_plb_rehash_rounds", "32"), ("net.ipv4.tcp_sack", "256"),
        ("net.ipv4.tcp_comp_sack_delay_ns", "-1"), ("net.core.somaxconn", "-1"),
        ("net.ipv4.tcp_fastopen_key", "zz"),
    ]
    for (name, value) in rejected {
        let before = sysctls.get(name: name)
        #expect(throws: SysctlError.self, "\(name)=\(value)") { try sysctls.set(name: name, value: value) }
        #expect(sysctls.get(name: name) == before, "\(name) unchanged")
    }
}

@Test func jiffySysctlsFollowHZ() throws {
    var sysctls = Sysctls()
    sysctls.hz = 250  // the kernel these values were observed on
    try sysctls.set(name: "net.ipv4.tcp_invalid_ratelimit", value: "7")
    #expect(sysctls.get(name: "net.ipv4.tcp_invalid_ratelimit") == "8")
    try sysctls.set(name: "net.ipv4.tcp_invalid_ratelimit", value: "1")
    #expect(sysctls.tcpInvalidRatelimit == 4)
    try sysctls.set(name: "net.ipv4.tcp_fin_timeout", value: "8589934")
    #expect(throws: SysctlError.self) { try sysctls.set(name: "net.ipv4.tcp_fin_timeout", value: "8589935") }
    sysctls.hz = 1000
    try sysctls.set(name: "net.ipv4.tcp_invalid_ratelimit", value: "7")
    #expect(sysctls.tcpInvalidRatelimit == 7)
}

@Test func triplesAreTabSeparatedAndWrittenPartially() throws {
    var sysctls = Sysctls()
    try sysctls.set(name: "net.ipv4.tcp_rmem", value: "4096 540000 15728640")
    #expect(sysctls.tcpRmem == SysctlTriple(4096, 540_000, 15_728_640))
    #expect(sysctls.get(name: "net.ipv4.tcp_rmem") == "4096\t540000\t15728640")
    // No ordering rule between the three numbers.
    try sysctls.set(name: "net.ipv4.tcp_rmem", value: "8000 100 50")
    #expect(sysctls.get(name: "net.ipv4.tcp_rmem") == "8000\t100\t50")
    // Fewer numbers keep the rest; more are ignored.
    try sysctls.set(name: "net.ipv4.tcp_rmem", value: "4096")
    #expect(sysctls.get(name: "net.ipv4.tcp_rmem") == "4096\t100\t50")
    try sysctls.set(name: "net.ipv4.tcp_rmem", value: "4096 131072 33554432 7")
    #expect(sysctls.get(name: "net.ipv4.tcp_rmem") == "4096\t131072\t33554432")
    // A bad number stops the write after the numbers before it.
    try sysctls.set(name: "net.ipv4.tcp_wmem", value: "1 2")
    #expect(throws: SysctlError.self) { try sysctls.set(name: "net.ipv4.tcp_wmem", value: "7 0 9") }
    #expect(sysctls.get(name: "net.ipv4.tcp_wmem") == "7\t2\t4194304")
}

@Test func localPortRangeRules() throws {
    var sysctls = Sysctls()
    #expect(throws: SysctlError.self) { try sysctls.set(name: "net.ipv4.ip_local_port_range", value: "40000 30000") }
    #expect(throws: SysctlError.self) { try sysctls.set(name: "net.ipv4.ip_local_port_range", value: "1023 2000") }
    #expect(throws: SysctlError.self) { try sysctls.set(name: "net.ipv4.ip_local_port_range", value: "1024 65536") }
    try sysctls.set(name: "net.ipv4.ip_local_port_range", value: "1024 65535")
    try sysctls.set(name: "net.ipv4.ip_local_port_range", value: "2000 2000")  // same parity: only a warning
    try sysctls.set(name: "net.ipv4.ip_local_port_range", value: "2000")
    #expect(sysctls.get(name: "net.ipv4.ip_local_port_range") == "2000\t2000")
    try sysctls.set(name: "net.ipv4.ip_unprivileged_port_start", value: "1")
    try sysctls.set(name: "net.ipv4.ip_local_port_range", value: "1 2")
    #expect(throws: SysctlError.self) { try sysctls.set(name: "net.ipv4.ip_local_port_range", value: "0 2") }
    #expect(throws: SysctlError.self) { try sysctls.set(name: "net.ipv4.ip_unprivileged_port_start", value: "5") }
    #expect(sysctls.ipLocalPortRangeLow == 1)
    #expect(sysctls.ipLocalPortRangeHigh == 2)
}

@Test func namespaceOnlyAndReadOnlySysctls() throws {
    var sysctls = Sysctls()
    #expect(throws: SysctlError.self) { try sysctls.set(name: "net.ipv4.tcp_mem", value: "1 2 3") }
    #expect(throws: SysctlError.self) { try sysctls.set(name: "net.core.rmem_max", value: "100000") }
    #expect(throws: SysctlError.self) { try sysctls.set(name: "net.ipv4.tcp_available_congestion_control", value: "reno") }
    #expect(throws: SysctlError.self) { try sysctls.set(name: "net.ipv4.tcp_allowed_congestion_control", value: "reno") }
    sysctls.isInitialNamespace = true
    try sysctls.set(name: "net.ipv4.tcp_mem", value: "1 2 3")
    #expect(sysctls.tcpMem == SysctlTriple(1, 2, 3))
    try sysctls.set(name: "net.ipv4.tcp_max_orphans", value: "10")
    #expect(sysctls.tcpMaxOrphans == 10)
}

@Test func congestionControlMustBeAvailable() throws {
    var sysctls = Sysctls()
    #expect(sysctls.tcpCongestionControl == "cubic")
    try sysctls.set(name: "net.ipv4.tcp_congestion_control", value: "reno\n")
    #expect(sysctls.get(name: "net.ipv4.tcp_congestion_control") == "reno")
    #expect(throws: SysctlError.self) { try sysctls.set(name: "net.ipv4.tcp_congestion_control", value: "foo") }
    #expect(sysctls.tcpCongestionControl == "reno")
}

@Test func ignoredSysctlsAreRemembered() throws {
    var sysctls = Sysctls()
    #expect(Sysctls.ignoredNames.contains("net.ipv4.tcp_fack"))
    #expect(!Sysctls.ignoredNames.contains("net.ipv4.tcp_fin_timeout"))
    try sysctls.set(name: "net.ipv4.tcp_fack", value: "1")
    #expect(sysctls.get(name: "net.ipv4.tcp_fack") == "1")
    #expect(throws: SysctlError.self) { try sysctls.set(name: "net.ipv4.tcp_fack", value: "256") }
    try sysctls.set(name: "net.ipv4.tcp_fastopen_key", value: "A1A1A1A1-b2b2b2b2-c3c3c3c3-d4d4d4d4")
    #expect(sysctls.tcpFastopenKey == "a1a1a1a1-b2b2b2b2-c3c3c3c3-d4d4d4d4")
}
