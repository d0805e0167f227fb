/// One SNMP counter of the IPv4 MIBs (/proc/net/snmp and /proc/net/netstat),
/// named after its nstat name with a lowercase first letter
/// (`tcpExtTCPAbortOnClose` is nstat's `TcpExtTCPAbortOnClose`).
///
/// The cases are in the order nstat prints them: Ip, Icmp, Tcp, Udp,
/// UdpLite (/proc/net/snmp), the IPv6 MIBs (/proc/net/snmp6), TcpExt, IpExt
/// (/proc/net/netstat), each in the kernel's order (net/ipv4/proc.c;
/// checked against a live 6.18 kernel, which adds four TcpExt counters to
/// 6.12: BeyondWindow, TSEcrRejected, PAWSOldAck, PAWSTimewait). IcmpMsg
/// counters (one per ICMP type, created on first use) are not included.
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
    case ip6InReceives
    case ip6InHdrErrors
    case ip6InTooBigErrors
    case ip6InNoRoutes
    case ip6InAddrErrors
    case ip6InUnknownProtos
    case ip6InTruncatedPkts
    case ip6InDiscards
    case ip6InDelivers
    case ip6OutForwDatagrams
    case ip6OutRequests
    case ip6OutDiscards
    case ip6OutNoRoutes
    case ip6ReasmTimeout
    case ip6ReasmReqds
    case ip6ReasmOKs
    case ip6ReasmFails
    case ip6FragOKs
    case ip6FragFails
    case ip6FragCreates
    case ip6InMcastPkts
    case ip6OutMcastPkts
    case ip6InOctets
    case ip6OutOctets
    case ip6InMcastOctets
    case ip6OutMcastOctets
    case ip6InBcastOctets
    case ip6OutBcastOctets
    case ip6InNoECTPkts
    case ip6InECT1Pkts
    case ip6InECT0Pkts
    case ip6InCEPkts
    case ip6OutTransmits
    case icmp6InMsgs
    case icmp6InErrors
    case icmp6OutMsgs
    case icmp6OutErrors
    case icmp6InCsumErrors
    case icmp6OutRateLimitHost
    case icmp6InDestUnreachs
    case icmp6InPktTooBigs
    case icmp6InTimeExcds
    case icmp6InParmProblems
    case icmp6InEchos
    case icmp6InEchoReplies
    case icmp6InGroupMembQueries
    case icmp6InGroupMembResponses
    case icmp6InGroupMembReductions
    case icmp6InRouterSolicits
    case icmp6InRouterAdvertisements
    case icmp6InNeighborSolicits
    case icmp6InNeighborAdvertisements
    case icmp6InRedirects
    case icmp6InMLDv2Reports
    case icmp6OutDestUnreachs
    case icmp6OutPktTooBigs
    case icmp6OutTimeExcds
    case icmp6OutParmProblems
    case icmp6OutEchos
    case icmp6OutEchoReplies
    case icmp6OutGroupMembQueries
    case icmp6OutGroupMembResponses
    case icmp6OutGroupMembReductions
    case icmp6OutRouterSolicits
    case icmp6OutRouterAdvertisements
    case icmp6OutNeighborSolicits
    case icmp6OutNeighborAdvertisements
    case icmp6OutRedirects
    case icmp6OutMLDv2Reports
    case udp6InDatagrams
    case udp6NoPorts
    case udp6InErrors
    case udp6OutDatagrams
    case udp6RcvbufErrors
    case udp6SndbufErrors
    case udp6InCsumErrors
    case udp6IgnoredMulti
    case udp6MemErrors
    case udpLite6InDatagrams
    case udpLite6NoPorts
    case udpLite6InErrors
    case udpLite6OutDatagrams
    case udpLite6RcvbufErrors
    case udpLite6SndbufErrors
    case udpLite6InCsumErrors
    case udpLite6MemErrors
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
        "Ip6InReceives",
        "Ip6InHdrErrors",
        "Ip6InTooBigErrors",
        "Ip6InNoRoutes",
        "Ip6InAddrErrors",
        "Ip6InUnknownProtos",
        "Ip6InTruncatedPkts",
        "Ip6InDiscards",
        "Ip6InDelivers",
        "Ip6OutForwDatagrams",
        "Ip6OutRequests",
        "Ip6OutDiscards",
        "Ip6OutNoRoutes",
        "Ip6ReasmTimeout",
        "Ip6ReasmReqds",
        "Ip6ReasmOKs",
        "Ip6ReasmFails",
        "Ip6FragOKs",
        "Ip6FragFails",
        "Ip6FragCreates",
        "Ip6InMcastPkts",
        "Ip6OutMcastPkts",
        "Ip6InOctets",
        "Ip6OutOctets",
        "Ip6InMcastOctets",
        "Ip6OutMcastOctets",
        "Ip6InBcastOctets",
        "Ip6OutBcastOctets",
        "Ip6InNoECTPkts",
        "Ip6InECT1Pkts",
        "Ip6InECT0Pkts",
        "Ip6InCEPkts",
        "Ip6OutTransmits",
        "Icmp6InMsgs",
        "Icmp6InErrors",
        "Icmp6OutMsgs",
        "Icmp6OutErrors",
        "Icmp6InCsumErrors",
        "Icmp6OutRateLimitHost",
        "Icmp6InDestUnreachs",
        "Icmp6InPktTooBigs",
        "Icmp6InTimeExcds",
        "Icmp6InParmProblems",
        "Icmp6InEchos",
        "Icmp6InEchoReplies",
        "Icmp6InGroupMembQueries",
        "Icmp6InGroupMembResponses",
        "Icmp6InGroupMembReductions",
        "Icmp6InRouterSolicits",
        "Icmp6InRouterAdvertisements",
        "Icmp6InNeighborSolicits",
        "Icmp6InNeighborAdvertisements",
        "Icmp6InRedirects",
        "Icmp6InMLDv2Reports",
        "Icmp6OutDestUnreachs",
        "Icmp6OutPktTooBigs",
        "Icmp6OutTimeExcds",
        "Icmp6OutParmProblems",
        "Icmp6OutEchos",
        "Icmp6OutEchoReplies",
        "Icmp6OutGroupMembQueries",
        "Icmp6OutGroupMembResponses",
        "Icmp6OutGroupMembReductions",
        "Icmp6OutRouterSolicits",
        "Icmp6OutRouterAdvertisements",
        "Icmp6OutNeighborSolicits",
        "Icmp6OutNeighborAdvertisements",
        "Icmp6OutRedirects",
        "Icmp6OutMLDv2Reports",
        "Udp6InDatagrams",
        "Udp6NoPorts",
        "Udp6InErrors",
        "Udp6OutDatagrams",
        "Udp6RcvbufErrors",
        "Udp6SndbufErrors",
        "Udp6InCsumErrors",
        "Udp6IgnoredMulti",
        "Udp6MemErrors",
        "UdpLite6InDatagrams",
        "UdpLite6NoPorts",
        "UdpLite6InErrors",
        "UdpLite6OutDatagrams",
        "UdpLite6RcvbufErrors",
        "UdpLite6SndbufErrors",
        "UdpLite6InCsumErrors",
        "UdpLite6MemErrors",
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

/// The stack's SNMP counters: one fixed inline array indexed by `Counter`,
/// cheap to increment and to copy as a snapshot.
///
/// The values live inline rather than in an `Array`, so an increment is one
/// add: an `Array` would check its buffer's uniqueness on every write, several
/// times per segment.
///
/// Linux keeps the four Tcp constants at fixed values (RtoAlgorithm 1, RtoMin
/// 200, RtoMax 120000, MaxConn -1); a new `Counters` starts with those and
/// every other counter at zero. TcpCurrEstab is a gauge (connections in
/// ESTABLISHED or CLOSE_WAIT): use `decrement` for it.
public struct Counters: Equatable, Sendable {
    /// One slot per `Counter` case. An inline array's size must be a literal;
    /// `init` checks that it equals `Counter.allCases.count`.
    private typealias Storage = InlineArray<319, Int64>
    private var values: Storage

    /// All counters zero, Tcp constants as Linux reports them.
    public init() {
        values = Storage(repeating: 0)
        precondition(values.count == Counter.allCases.count, "Counters' storage needs one slot per Counter case")
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

    /// Adds 1 to the counter `offset` cases after `first`: one of a run of
    /// counters (the ECN counts) picked by arithmetic, as Counter(rawValue:)
    /// is an outlined switch.
    mutating func increment(_ first: Counter, plus offset: Int) {
        values[first.rawValue &+ offset] &+= 1
    }

    /// Subtracts `amount` (1 by default); for the TcpCurrEstab gauge.
    @inlinable
    public mutating func decrement(_ counter: Counter, by amount: Int64 = 1) {
        self[counter] = self[counter] &- amount
    }

    /// Whether every counter holds the same value in both.
    public static func == (lhs: Counters, rhs: Counters) -> Bool {
        for index in lhs.values.indices where lhs.values[index] != rhs.values[index] { return false }
        return true
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
