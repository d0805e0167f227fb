/// One SNMP counter of the IPv4 MIBs (/proc/net/snmp and /proc/net/netstat),
/// named after its nstat name with a lowercase first letter
/// (`tcpExtTCPAbortOnClose` is nstat's `TcpExtTCPAbortOnClose`).
///
/// The cases are in the order nstat prints them: Ip, Icmp, Tcp, Udp,
/// UdpLite, TcpExt, IpExt, each in the kernel's order (net/ipv4/proc.c;
/// checked against a live 6.18 kernel, which adds four TcpExt counters to
/// 6.12: BeyondWindow, TSEcrRejected, PAWSOldAck, PAWSTimewait). IcmpMsg
/// counters (one per ICMP type, created on first use) and the IPv6 MIBs are
/// not included.
public enum Counter: Int, CaseIterable, Sendable {
    case ipInReceives
    case ipInHdrErrors
    case ipInAddrErrors
    case ipForwDatagrams
    case ipInUnknownProtos
    case ipInDiscards
    case ipInDelivers
    case ipOutRequests
    case ipOutDiscards
    case ipOutNoRoutes
    case ipReasmTimeout
    case ipReasmReqds
    case ipReasmOKs
    case ipReasmFails
    case ipFragOKs
    case ipFragFails
    case ipFragCreates
    case ipOutTransmits
    case icmpInMsgs
    case icmpInErrors
    case icmpInCsumErrors
    case icmpInDestUnreachs
    case icmpInTimeExcds
    case icmpInParmProbs
    case icmpInSrcQuenchs
    case icmpInRedirects
    case icmpInEchos
    case icmpInEchoReps
    case icmpInTimestamps
    case icmpInTimestampReps
    case icmpInAddrMasks
    case icmpInAddrMaskReps
    case icmpOutMsgs
    case icmpOutErrors
    case icmpOutRateLimitGlobal
    case icmpOutRateLimitHost
    case icmpOutDestUnreachs
    case icmpOutTimeExcds
    case icmpOutParmProbs
    case icmpOutSrcQuenchs
    case icmpOutRedirects
    case icmpOutEchos
    case icmpOutEchoReps
    case icmpOutTimestamps
    case icmpOutTimestampReps
    case icmpOutAddrMasks
    case icmpOutAddrMaskReps
    case tcpRtoAlgorithm
    case tcpRtoMin
    case tcpRtoMax
    case tcpMaxConn
    case tcpActiveOpens
    case tcpPassiveOpens
    case tcpAttemptFails
    case tcpEstabResets
    case tcpCurrEstab
    case tcpInSegs
    case tcpOutSegs
    case tcpRetransSegs
    case tcpInErrs
    case tcpOutRsts
    case tcpInCsumErrors
    case udpInDatagrams
    case udpNoPorts
    case udpInErrors
    case udpOutDatagrams
    case udpRcvbufErrors
    case udpSndbufErrors
    case udpInCsumErrors
    case udpIgnoredMulti
    case udpMemErrors
    case udpLiteInDatagrams
    case udpLiteNoPorts
    case udpLiteInErrors
    case udpLiteOutDatagrams
    case udpLiteRcvbufErrors
    case udpLiteSndbufErrors
    case udpLiteInCsumErrors
    case udpLiteIgnoredMulti
    case udpLiteMemErrors
    case tcpExtSyncookiesSent
    case tcpExtSyncookiesRecv
    case tcpExtSyncookiesFailed
    case tcpExtEmbryonicRsts
    case tcpExtPruneCalled
    case tcpExtRcvPruned
    case tcpExtOfoPruned
    case tcpExtOutOfWindowIcmps
    case tcpExtLockDroppedIcmps
    case tcpExtArpFilter
    case tcpExtTW
    case tcpExtTWRecycled
    case tcpExtTWKilled
    case tcpExtPAWSActive
    case tcpExtPAWSEstab
    case tcpExtBeyondWindow
    case tcpExtTSEcrRejected
    case tcpExtPAWSOldAck
    case tcpExtPAWSTimewait
    case tcpExtDelayedACKs
    case tcpExtDelayedACKLocked
    case tcpExtDelayedACKLost
    case tcpExtListenOverflows
    case tcpExtListenDrops
    case tcpExtTCPHPHits
    case tcpExtTCPPureAcks
    case tcpExtTCPHPAcks
    case tcpExtTCPRenoRecovery
    case tcpExtTCPSackRecovery
    case tcpExtTCPSACKReneging
    case tcpExtTCPSACKReorder
    case tcpExtTCPRenoReorder
    case tcpExtTCPTSReorder
    case tcpExtTCPFullUndo
    case tcpExtTCPPartialUndo
    case tcpExtTCPDSACKUndo
    case tcpExtTCPLossUndo
    case tcpExtTCPLostRetransmit
    case tcpExtTCPRenoFailures
    case tcpExtTCPSackFailures
    case tcpExtTCPLossFailures
    case tcpExtTCPFastRetrans
    case tcpExtTCPSlowStartRetrans
    case tcpExtTCPTimeouts
    case tcpExtTCPLossProbes
    case tcpExtTCPLossProbeRecovery
    case tcpExtTCPRenoRecoveryFail
    case tcpExtTCPSackRecoveryFail
    case tcpExtTCPRcvCollapsed
    case tcpExtTCPBacklogCoalesce
    case tcpExtTCPDSACKOldSent
    case tcpExtTCPDSACKOfoSent
    case tcpExtTCPDSACKRecv
    case tcpExtTCPDSACKOfoRecv
    case tcpExtTCPAbortOnData
    case tcpExtTCPAbortOnClose
    case tcpExtTCPAbortOnMemory
    case tcpExtTCPAbortOnTimeout
    case tcpExtTCPAbortOnLinger
    case tcpExtTCPAbortFailed
    case tcpExtTCPMemoryPressures
    case tcpExtTCPMemoryPressuresChrono
    case tcpExtTCPSACKDiscard
    case tcpExtTCPDSACKIgnoredOld
    case tcpExtTCPDSACKIgnoredNoUndo
    case tcpExtTCPSpuriousRTOs
    case tcpExtTCPMD5NotFound
    case tcpExtTCPMD5Unexpected
    case tcpExtTCPMD5Failure
    case tcpExtTCPSackShifted
    case tcpExtTCPSackMerged
    case tcpExtTCPSackShiftFallback
    case tcpExtTCPBacklogDrop
    case tcpExtPFMemallocDrop
    case tcpExtTCPMinTTLDrop
    case tcpExtTCPDeferAcceptDrop
    case tcpExtIPReversePathFilter
    case tcpExtTCPTimeWaitOverflow
    case tcpExtTCPReqQFullDoCookies
    case tcpExtTCPReqQFullDrop
    case tcpExtTCPRetransFail
    case tcpExtTCPRcvCoalesce
    case tcpExtTCPOFOQueue
    case tcpExtTCPOFODrop
    case tcpExtTCPOFOMerge
    case tcpExtTCPChallengeACK
    case tcpExtTCPSYNChallenge
    case tcpExtTCPFastOpenActive
    case tcpExtTCPFastOpenActiveFail
    case tcpExtTCPFastOpenPassive
    case tcpExtTCPFastOpenPassiveFail
    case tcpExtTCPFastOpenListenOverflow
    case tcpExtTCPFastOpenCookieReqd
    case tcpExtTCPFastOpenBlackhole
    case tcpExtTCPSpuriousRtxHostQueues
    case tcpExtBusyPollRxPackets
    case tcpExtTCPAutoCorking
    case tcpExtTCPFromZeroWindowAdv
    case tcpExtTCPToZeroWindowAdv
    case tcpExtTCPWantZeroWindowAdv
    case tcpExtTCPSynRetrans
    case tcpExtTCPOrigDataSent
    case tcpExtTCPHystartTrainDetect
    case tcpExtTCPHystartTrainCwnd
    case tcpExtTCPHystartDelayDetect
    case tcpExtTCPHystartDelayCwnd
    case tcpExtTCPACKSkippedSynRecv
    case tcpExtTCPACKSkippedPAWS
    case tcpExtTCPACKSkippedSeq
    case tcpExtTCPACKSkippedFinWait2
    case tcpExtTCPACKSkippedTimeWait
    case tcpExtTCPACKSkippedChallenge
    case tcpExtTCPWinProbe
    case tcpExtTCPKeepAlive
    case tcpExtTCPMTUPFail
    case tcpExtTCPMTUPSuccess
    case tcpExtTCPDelivered
    case tcpExtTCPDeliveredCE
    case tcpExtTCPAckCompressed
    case tcpExtTCPZeroWindowDrop
    case tcpExtTCPRcvQDrop
    case tcpExtTCPWqueueTooBig
    case tcpExtTCPFastOpenPassiveAltKey
    case tcpExtTcpTimeoutRehash
    case tcpExtTcpDuplicateDataRehash
    case tcpExtTCPDSACKRecvSegs
    case tcpExtTCPDSACKIgnoredDubious
    case tcpExtTCPMigrateReqSuccess
    case tcpExtTCPMigrateReqFailure
    case tcpExtTCPPLBRehash
    case tcpExtTCPAORequired
    case tcpExtTCPAOBad
    case tcpExtTCPAOKeyNotFound
    case tcpExtTCPAOGood
    case tcpExtTCPAODroppedIcmps
    case ipExtInNoRoutes
    case ipExtInTruncatedPkts
    case ipExtInMcastPkts
    case ipExtOutMcastPkts
    case ipExtInBcastPkts
    case ipExtOutBcastPkts
    case ipExtInOctets
    case ipExtOutOctets
    case ipExtInMcastOctets
    case ipExtOutMcastOctets
    case ipExtInBcastOctets
    case ipExtOutBcastOctets
    case ipExtInCsumErrors
    case ipExtInNoECTPkts
    case ipExtInECT1Pkts
    case ipExtInECT0Pkts
    case ipExtInCEPkts
    case ipExtReasmOverlaps

    /// The name nstat prints.
    public var nstatName: String { Counter.nstatNames[rawValue] }

    /// Tcp values nstat leaves out because they are constants or gauges
    /// (RtoAlgorithm, RtoMin, RtoMax, MaxConn, CurrEstab); `cat
    /// /proc/net/snmp` shows them.
    public var isShownByNstat: Bool {
        switch self {
        case .tcpRtoAlgorithm, .tcpRtoMin, .tcpRtoMax, .tcpMaxConn, .tcpCurrEstab: return false
        default: return true
        }
    }

    /// The counter with this nstat name, nil if there is none.
    public init?(nstatName: String) {
        guard let counter = Counter.byName[nstatName] else { return nil }
        self = counter
    }

    private static let byName: [String: Counter] = {
        var table: [String: Counter] = [:]
        for counter in Counter.allCases { table[counter.nstatName] = counter }
        return table
    }()

    private static let nstatNames: [String] = [
        "IpInReceives",
        "IpInHdrErrors",
        "IpInAddrErrors",
        "IpForwDatagrams",
        "IpInUnknownProtos",
        "IpInDiscards",
        "IpInDelivers",
        "IpOutRequests",
        "IpOutDiscards",
        "IpOutNoRoutes",
        "IpReasmTimeout",
        "IpReasmReqds",
        "IpReasmOKs",
        "IpReasmFails",
        "IpFragOKs",
        "IpFragFails",
        "IpFragCreates",
        "IpOutTransmits",
        "IcmpInMsgs",
        "IcmpInErrors",
        "IcmpInCsumErrors",
        "IcmpInDestUnreachs",
        "IcmpInTimeExcds",
        "IcmpInParmProbs",
        "IcmpInSrcQuenchs",
        "IcmpInRedirects",
        "IcmpInEchos",
        "IcmpInEchoReps",
        "IcmpInTimestamps",
        "IcmpInTimestampReps",
        "IcmpInAddrMasks",
        "IcmpInAddrMaskReps",
        "IcmpOutMsgs",
        "IcmpOutErrors",
        "IcmpOutRateLimitGlobal",
        "IcmpOutRateLimitHost",
        "IcmpOutDestUnreachs",
        "IcmpOutTimeExcds",
        "IcmpOutParmProbs",
        "IcmpOutSrcQuenchs",
        "IcmpOutRedirects",
        "IcmpOutEchos",
        "IcmpOutEchoReps",
        "IcmpOutTimestamps",
        "IcmpOutTimestampReps",
        "IcmpOutAddrMasks",
        "IcmpOutAddrMaskReps",
        "TcpRtoAlgorithm",
        "TcpRtoMin",
        "TcpRtoMax",
        "TcpMaxConn",
        "TcpActiveOpens",
        "TcpPassiveOpens",
        "TcpAttemptFails",
        "TcpEstabResets",
        "TcpCurrEstab",
        "TcpInSegs",
        "TcpOutSegs",
        "TcpRetransSegs",
        "TcpInErrs",
        "TcpOutRsts",
        "TcpInCsumErrors",
        "UdpInDatagrams",
        "UdpNoPorts",
        "UdpInErrors",
        "UdpOutDatagrams",
        "UdpRcvbufErrors",
        "UdpSndbufErrors",
        "UdpInCsumErrors",
        "UdpIgnoredMulti",
        "UdpMemErrors",
        "UdpLiteInDatagrams",
        "UdpLiteNoPorts",
        "UdpLiteInErrors",
        "UdpLiteOutDatagrams",
        "UdpLiteRcvbufErrors",
        "UdpLiteSndbufErrors",
        "UdpLiteInCsumErrors",
        "UdpLiteIgnoredMulti",
        "UdpLiteMemErrors",
        "TcpExtSyncookiesSent",
        "TcpExtSyncookiesRecv",
        "TcpExtSyncookiesFailed",
        "TcpExtEmbryonicRsts",
        "TcpExtPruneCalled",
        "TcpExtRcvPruned",
        "TcpExtOfoPruned",
        "TcpExtOutOfWindowIcmps",
        "TcpExtLockDroppedIcmps",
        "TcpExtArpFilter",
        "TcpExtTW",
        "TcpExtTWRecycled",
        "TcpExtTWKilled",
        "TcpExtPAWSActive",
        "TcpExtPAWSEstab",
        "TcpExtBeyondWindow",
        "TcpExtTSEcrRejected",
        "TcpExtPAWSOldAck",
        "TcpExtPAWSTimewait",
        "TcpExtDelayedACKs",
        "TcpExtDelayedACKLocked",
        "TcpExtDelayedACKLost",
        "TcpExtListenOverflows",
        "TcpExtListenDrops",
        "TcpExtTCPHPHits",
        "TcpExtTCPPureAcks",
        "TcpExtTCPHPAcks",
        "TcpExtTCPRenoRecovery",
        "TcpExtTCPSackRecovery",
        "TcpExtTCPSACKReneging",
        "TcpExtTCPSACKReorder",
        "TcpExtTCPRenoReorder",
        "TcpExtTCPTSReorder",
        "TcpExtTCPFullUndo",
        "TcpExtTCPPartialUndo",
        "TcpExtTCPDSACKUndo",
        "TcpExtTCPLossUndo",
        "TcpExtTCPLostRetransmit",
        "TcpExtTCPRenoFailures",
        "TcpExtTCPSackFailures",
        "TcpExtTCPLossFailures",
        "TcpExtTCPFastRetrans",
        "TcpExtTCPSlowStartRetrans",
        "TcpExtTCPTimeouts",
        "TcpExtTCPLossProbes",
        "TcpExtTCPLossProbeRecovery",
        "TcpExtTCPRenoRecoveryFail",
        "TcpExtTCPSackRecoveryFail",
        "TcpExtTCPRcvCollapsed",
        "TcpExtTCPBacklogCoalesce",
        "TcpExtTCPDSACKOldSent",
        "TcpExtTCPDSACKOfoSent",
        "TcpExtTCPDSACKRecv",
        "TcpExtTCPDSACKOfoRecv",
        "TcpExtTCPAbortOnData",
        "TcpExtTCPAbortOnClose",
        "TcpExtTCPAbortOnMemory",
        "TcpExtTCPAbortOnTimeout",
        "TcpExtTCPAbortOnLinger",
        "TcpExtTCPAbortFailed",
        "TcpExtTCPMemoryPressures",
        "TcpExtTCPMemoryPressuresChrono",
        "TcpExtTCPSACKDiscard",
        "TcpExtTCPDSACKIgnoredOld",
        "TcpExtTCPDSACKIgnoredNoUndo",
        "TcpExtTCPSpuriousRTOs",
        "TcpExtTCPMD5NotFound",
        "TcpExtTCPMD5Unexpected",
        "TcpExtTCPMD5Failure",
        "TcpExtTCPSackShifted",
        "TcpExtTCPSackMerged",
        "TcpExtTCPSackShiftFallback",
        "TcpExtTCPBacklogDrop",
        "TcpExtPFMemallocDrop",
        "TcpExtTCPMinTTLDrop",
        "TcpExtTCPDeferAcceptDrop",
        "TcpExtIPReversePathFilter",
        "TcpExtTCPTimeWaitOverflow",
        "TcpExtTCPReqQFullDoCookies",
        "TcpExtTCPReqQFullDrop",
        "TcpExtTCPRetransFail",
        "TcpExtTCPRcvCoalesce",
        "TcpExtTCPOFOQueue",
        "TcpExtTCPOFODrop",
        "TcpExtTCPOFOMerge",
        "TcpExtTCPChallengeACK",
        "TcpExtTCPSYNChallenge",
        "TcpExtTCPFastOpenActive",
        "TcpExtTCPFastOpenActiveFail",
        "TcpExtTCPFastOpenPassive",
        "TcpExtTCPFastOpenPassiveFail",
        "TcpExtTCPFastOpenListenOverflow",
        "TcpExtTCPFastOpenCookieReqd",
        "TcpExtTCPFastOpenBlackhole",
        "TcpExtTCPSpuriousRtxHostQueues",
        "TcpExtBusyPollRxPackets",
        "TcpExtTCPAutoCorking",
        "TcpExtTCPFromZeroWindowAdv",
        "TcpExtTCPToZeroWindowAdv",
        "TcpExtTCPWantZeroWindowAdv",
        "TcpExtTCPSynRetrans",
        "TcpExtTCPOrigDataSent",
        "TcpExtTCPHystartTrainDetect",
        "TcpExtTCPHystartTrainCwnd",
        "TcpExtTCPHystartDelayDetect",
        "TcpExtTCPHystartDelayCwnd",
        "TcpExtTCPACKSkippedSynRecv",
        "TcpExtTCPACKSkippedPAWS",
        "TcpExtTCPACKSkippedSeq",
        "TcpExtTCPACKSkippedFinWait2",
        "TcpExtTCPACKSkippedTimeWait",
        "TcpExtTCPACKSkippedChallenge",
        "TcpExtTCPWinProbe",
        "TcpExtTCPKeepAlive",
        "TcpExtTCPMTUPFail",
        "TcpExtTCPMTUPSuccess",
        "TcpExtTCPDelivered",
        "TcpExtTCPDeliveredCE",
        "TcpExtTCPAckCompressed",
        "TcpExtTCPZeroWindowDrop",
        "TcpExtTCPRcvQDrop",
        "TcpExtTCPWqueueTooBig",
        "TcpExtTCPFastOpenPassiveAltKey",
        "TcpExtTcpTimeoutRehash",
        "TcpExtTcpDuplicateDataRehash",
        "TcpExtTCPDSACKRecvSegs",
        "TcpExtTCPDSACKIgnoredDubious",
        "TcpExtTCPMigrateReqSuccess",
        "TcpExtTCPMigrateReqFailure",
        "TcpExtTCPPLBRehash",
        "TcpExtTCPAORequired",
        "TcpExtTCPAOBad",
        "TcpExtTCPAOKeyNotFound",
        "TcpExtTCPAOGood",
        "TcpExtTCPAODroppedIcmps",
        "IpExtInNoRoutes",
        "IpExtInTruncatedPkts",
        "IpExtInMcastPkts",
        "IpExtOutMcastPkts",
        "IpExtInBcastPkts",
        "IpExtOutBcastPkts",
        "IpExtInOctets",
        "IpExtOutOctets",
        "IpExtInMcastOctets",
        "IpExtOutMcastOctets",
        "IpExtInBcastOctets",
        "IpExtOutBcastOctets",
        "IpExtInCsumErrors",
        "IpExtInNoECTPkts",
        "IpExtInECT1Pkts",
        "IpExtInECT0Pkts",
        "IpExtInCEPkts",
        "IpExtReasmOverlaps",
    ]
}

/// The stack's SNMP counters: one fixed array indexed by `Counter`, cheap to
/// increment and to copy as a snapshot.
///
/// Linux keeps the four Tcp constants at fixed values (RtoAlgorithm 1, RtoMin
/// 200, RtoMax 120000, MaxConn -1); a new `Counters` starts with those and
/// every other counter at zero. TcpCurrEstab is a gauge (connections in
/// ESTABLISHED or CLOSE_WAIT): use `decrement` for it.
public struct Counters: Equatable, Sendable {
    private var values: [Int64]

    /// All counters zero, Tcp constants as Linux reports them.
    public init() {
        values = Array(repeating: 0, count: Counter.allCases.count)
        values[Counter.tcpRtoAlgorithm.rawValue] = 1
        values[Counter.tcpRtoMin.rawValue] = 200
        values[Counter.tcpRtoMax.rawValue] = 120_000
        values[Counter.tcpMaxConn.rawValue] = -1
    }

    /// The value of one counter.
    public subscript(_ counter: Counter) -> Int64 {
        get { values[counter.rawValue] }
        set { values[counter.rawValue] = newValue }
    }

    /// Adds `amount` (1 by default), wrapping like the kernel's unsigned
    /// counters instead of trapping.
    @inlinable
    public mutating func increment(_ counter: Counter, by amount: Int64 = 1) {
        self[counter] = self[counter] &+ amount
    }

    /// Subtracts `amount` (1 by default); for the TcpCurrEstab gauge.
    @inlinable
    public mutating func decrement(_ counter: Counter, by amount: Int64 = 1) {
        self[counter] = self[counter] &- amount
    }

    /// Every counter nstat shows, with its value, in nstat's order.
    public var nstatValues: [(name: String, value: Int64)] {
        Counter.allCases.filter(\.isShownByNstat).map { ($0.nstatName, values[$0.rawValue]) }
    }

    /// Every counter including the ones nstat leaves out, in nstat's order.
    public var allValues: [(counter: Counter, value: Int64)] {
        Counter.allCases.map { ($0, values[$0.rawValue]) }
    }

    /// What changed since `earlier`: the counters nstat shows whose value
    /// differs, with the difference (`nstat` after `nstat -n`), in nstat's
    /// order. With `includingUnchanged` every shown counter is listed (`-z`).
    public func changes(since earlier: Counters, includingUnchanged: Bool = false) -> [(name: String, delta: Int64)] {
        var result: [(name: String, delta: Int64)] = []
        for counter in Counter.allCases where counter.isShownByNstat {
            let delta = values[counter.rawValue] &- earlier.values[counter.rawValue]
            if delta != 0 || includingUnchanged { result.append((counter.nstatName, delta)) }
        }
        return result
    }
}
