import Foundation
import Testing
@testable import LingerStack

@Test func everyNameTheSpecAndBriefUseExists() {
    // Names as nstat prints them on Linux (spec section 9 and the counters the
    // stack is expected to move).
    let names = [
        "TcpActiveOpens", "TcpPassiveOpens", "TcpAttemptFails", "TcpEstabResets", "TcpCurrEstab",
        "TcpInSegs", "TcpOutSegs", "TcpRetransSegs", "TcpInErrs", "TcpOutRsts",
        "TcpExtTCPAbortOnClose", "TcpExtTCPAbortOnData", "TcpExtTCPAbortOnLinger",
        "TcpExtTCPAbortOnMemory", "TcpExtTCPAbortOnTimeout", "TcpExtTW", "TcpExtTWKilled",
        "TcpExtTWRecycled", "TcpExtTCPTimeWaitOverflow", "TcpExtTCPChallengeACK", "TcpExtDelayedACKs",
        "TcpExtDelayedACKLost", "TcpExtListenOverflows", "TcpExtListenDrops", "TcpExtTCPTimeouts",
        "TcpExtTCPLossProbes", "TcpExtTCPLossProbeRecovery", "TcpExtTCPSackRecovery",
        "TcpExtTCPFastRetrans", "TcpExtTCPSlowStartRetrans", "TcpExtTCPOrigDataSent", "TcpExtTCPHPHits",
        "TcpExtTCPPureAcks", "TcpExtTCPHPAcks", "TcpExtTCPDSACKRecv", "TcpExtTCPDSACKOldSent",
        "TcpExtTCPSACKReorder", "TcpExtTCPRcvCoalesce", "TcpExtTCPOFOQueue", "TcpExtTCPKeepAlive",
        "TcpExtTCPSynRetrans", "TcpExtTCPWinProbe", "TcpExtTCPAutoCorking", "TcpExtTCPToZeroWindowAdv",
        "TcpExtTCPFromZeroWindowAdv", "TcpExtTCPWantZeroWindowAdv", "TcpExtPAWSEstab",
        "TcpExtTCPACKSkippedTimeWait", "TcpExtTCPACKSkippedChallenge", "TcpExtTCPRetransFail",
        "TcpExtTCPSpuriousRTOs", "TcpExtTCPDelivered", "IpInReceives", "IpOutRequests",
        "TcpExtBeyondWindow", "TcpExtTCPZeroWindowDrop", "TcpExtTCPRcvQDrop", "TcpExtOutOfWindowIcmps",
        "UdpInDatagrams", "IpExtInOctets", "IcmpInMsgs",
    ]
    for name in names {
        #expect(Counter(nstatName: name)?.nstatName == name, "\(name)")
    }
    #expect(Counter(nstatName: "TcpExtNoSuchThing") == nil)
    #expect(Set(Counter.allCases.map(\.nstatName)).count == Counter.allCases.count)
}

@Test func nstatOrderGroupsMIBsAsNstatDoes() {
    // nstat lists /proc/net/snmp (Ip, Icmp, Tcp, Udp, UdpLite) before
    // /proc/net/netstat (TcpExt, IpExt), and leaves out the Tcp gauges.
    let names = Counters().nstatValues.map(\.name)
    let order = ["Ip", "Icmp", "Tcp", "Udp", "UdpLite", "TcpExt", "IpExt"].compactMap { prefix -> Int? in
        names.firstIndex { $0.hasPrefix(prefix) && !(prefix == "Tcp" && $0.hasPrefix("TcpExt"))
            && !(prefix == "Udp" && $0.hasPrefix("UdpLite")) && !(prefix == "Ip" && $0.hasPrefix("IpExt")) }
    }
    #expect(order.count == 7)
    #expect(order == order.sorted())
    #expect(names.first == "IpInReceives")
    #expect(!names.contains("TcpCurrEstab"))
    #expect(!names.contains("TcpMaxConn"))
    #expect(names.firstIndex(of: "TcpActiveOpens").map { $0 < (names.firstIndex(of: "TcpPassiveOpens") ?? 0) } == true)
}

@Test func incrementsAndDifferences() {
    var before = Counters()
    before.increment(.tcpInSegs, by: 10)
    var after = before
    after.increment(.tcpInSegs, by: 3)
    after.increment(.tcpExtTCPAbortOnClose)
    after.increment(.tcpCurrEstab)
    after.decrement(.tcpCurrEstab)
    after.increment(.tcpCurrEstab)
    #expect(after[.tcpInSegs] == 13)
    #expect(after[.tcpCurrEstab] == 1)
    let changes = after.changes(since: before)
    #expect(changes.map(\.name) == ["TcpInSegs", "TcpExtTCPAbortOnClose"])
    #expect(changes.map(\.delta) == [3, 1])
    #expect(after.changes(since: before, includingUnchanged: true).count == Counters().nstatValues.count)
    // Linux's fixed Tcp values.
    #expect(Counters()[.tcpRtoMin] == 200)
    #expect(Counters()[.tcpMaxConn] == -1)
}

@Test func countersWrapInsteadOfTrapping() {
    var counters = Counters()
    counters[.tcpOutSegs] = .max
    counters.increment(.tcpOutSegs)
    #expect(counters[.tcpOutSegs] == .min)
}

/// The live kernel's nstat is the oracle: the stack's counters appear in nstat's
/// list, in nstat's order. Not kept: the per-type ICMP counters (IcmpMsg*,
/// Icmp6InType*, Icmp6OutType*), which Linux creates on first use, and MPTCP's.
@Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/nstat") || FileManager.default.isExecutableFile(atPath: "/sbin/nstat"),
               "skipped: nstat (iproute2) is not installed"))
func namesFollowTheLiveKernelsNstatList() throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", "nstat -asz"]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    let kernel = output.split(separator: "\n").dropFirst().compactMap { $0.split(separator: " ").first.map(String.init) }
    let ours = Counters().nstatValues.map(\.name)
    let missing = ours.filter { !kernel.contains($0) }
    #expect(missing.isEmpty, "not in this kernel's nstat: \(missing)")
    let positions = ours.compactMap { kernel.firstIndex(of: $0) }
    #expect(positions == positions.sorted(), "the order differs from nstat's")
    let perTypeOrMPTCP = ["IcmpMsg", "Icmp6InType", "Icmp6OutType", "MPTcpExt"]
    let notKept = kernel.filter { name in !ours.contains(name) && !perTypeOrMPTCP.contains { name.hasPrefix($0) } }
    #expect(notKept.isEmpty, "nstat lists counters the stack lacks: \(notKept)")
}

@Test func ecnCountersFollowTheCodepointOrder() {
    // countInboundIP picks the counter as first + codepoint (Not-ECT 0,
    // ECT(1) 1, ECT(0) 2, CE 3).
    let v4: [Counter] = [.ipExtInNoECTPkts, .ipExtInECT1Pkts, .ipExtInECT0Pkts, .ipExtInCEPkts]
    let v6: [Counter] = [.ip6InNoECTPkts, .ip6InECT1Pkts, .ip6InECT0Pkts, .ip6InCEPkts]
    for run in [v4, v6] {
        for (codepoint, counter) in run.enumerated() {
            var counters = Counters()
            counters.increment(run[0], plus: codepoint)
            #expect(counters[counter] == 1)
            #expect(run.allSatisfy { $0 == counter || counters[$0] == 0 })
        }
    }
}
