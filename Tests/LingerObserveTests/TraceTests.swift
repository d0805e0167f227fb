import Foundation
import LingerObserve
import LingerRun
import LingerScript
import LingerStack
import LingerWire
import Testing

/// The repository's Tests/Scripts directory.
let scriptsDirectory = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Scripts").path

/// Runs a script of Tests/Scripts on the sim with a trace recorder attached; also
/// collects every packet separately, as `--pcap` does.
func tracedSimRun(_ name: String) throws -> (result: ScriptRunResult, trace: RunTrace, packets: [ObservedPacket]) {
    let path = scriptsDirectory + "/" + name
    let text = try String(contentsOfFile: path, encoding: .utf8)
    let parsed = ScriptParser.parse(source: text, fileName: path)
    try #require(parsed.isSuccess)
    let configuration = try RunConfiguration.make(scriptOptions: parsed.script.options, scriptPath: path)
    let backend = SimBackend(network: configuration.network, readFile: { try? String(contentsOfFile: $0, encoding: .utf8) },
                             inboundSegmentSize: configuration.mss)
    let runner = ScriptRunner(script: parsed.script, scriptPath: path, configuration: configuration, backend: backend)
    var packets: [ObservedPacket] = []
    runner.packetObserver = { packets.append($0) }
    let recorder = TraceRecorder()
    recorder.attach(to: runner)
    let result = runner.run()
    return (result, recorder.trace(), packets)
}

extension RunTrace {
    /// The sent packets with their explanations, RSTs only.
    var sentResets: [Entry] {
        entries.filter {
            if case .packet(.outbound, _, let line) = $0.kind { line.contains("Flags [R") } else { false }
        }
    }

    var stateChanges: [(from: String, to: String, entry: Entry)] {
        entries.compactMap {
            if case .stateChange(_, let from, let to) = $0.kind { (from, to, $0) } else { nil }
        }
    }

    var calls: [String] {
        entries.compactMap { if case .call(let text, _) = $0.kind { text } else { nil } }
    }
}

@Suite("linger run --trace on the sim")
struct TraceTests {
    @Test func closeWithUnreadDataExplainsTheReset() throws {
        let run = try tracedSimRun("close-unread-data-rst.pkt")
        #expect(run.result.verdict == .passed)
        // The script reads 400 of 1000 bytes: tcp_close finds 600 unread.
        let reset = try #require(run.trace.sentResets.first)
        let reason = try #require(reset.reason)
        #expect(reason.hasPrefix("RST: close() with 600 unread bytes"))
        #expect(reason.contains("tcp_close") && reason.contains("RFC 2525 2.17"))
        #expect(reset.counters.contains(CounterValue(name: "TcpExtTCPAbortOnClose", value: 1)))
        #expect(reset.counters.contains(CounterValue(name: "TcpOutRsts", value: 1)))
        // The state change the same decision made, and the close call's result.
        #expect(run.trace.stateChanges.contains { $0.from == "ESTABLISHED" && $0.to == "CLOSE" && ($0.entry.reason ?? "").contains("600 unread") })
        #expect(run.trace.calls.contains("close(4) = 0"))
        #expect(run.trace.calls.contains("read(4, ..., 400) = 400"))
        // The later segment meets no socket.
        let noSocket = try #require(run.trace.sentResets.last)
        #expect(noSocket.reason?.contains("tcp_v4_send_reset") == true)
    }

    @Test func lingerZeroCloseExplainsTheDisconnect() throws {
        let run = try tracedSimRun("linger-zero-close-rst.pkt")
        #expect(run.result.verdict == .passed)
        let reset = try #require(run.trace.sentResets.first)
        #expect(reset.reason?.contains("SO_LINGER {1, 0}") == true)
        #expect(reset.reason?.contains("tcp_disconnect") == true)
        // Linux counts a linger-0 abort as TCPAbortOnData (tcp_close).
        #expect(reset.counters.contains(CounterValue(name: "TcpExtTCPAbortOnData", value: 1)))
    }

    @Test func orphanedFinWait2TimesOut() throws {
        let run = try tracedSimRun("orphan-fin-wait2-timeout-sysctl.pkt")
        #expect(run.result.verdict == .passed)
        let states = run.trace.stateChanges.map { "\($0.from) -> \($0.to)" }
        #expect(states.contains("ESTABLISHED -> FIN_WAIT1"))
        #expect(states.contains("FIN_WAIT1 -> FIN_WAIT2"))
        #expect(states.contains("FIN_WAIT2 -> FIN_WAIT2 (time-wait entry)"))
        let end = try #require(run.trace.stateChanges.first { $0.from == "FIN_WAIT2 (time-wait entry)" })
        #expect(end.entry.reason?.contains("tcp_fin_timeout") == true)
        let entering = try #require(run.trace.stateChanges.first { $0.to == "FIN_WAIT2 (time-wait entry)" })
        // A FIN_WAIT2 entry shorter than TCP_TIMEWAIT_LEN counts as TWKilled (__inet_twsk_schedule).
        #expect(entering.entry.counters.contains(CounterValue(name: "TcpExtTWKilled", value: 1)))
        // The close that made the orphan sent a FIN, and said why.
        let fin = try #require(run.trace.entries.first {
            if case .packet(.outbound, _, let line) = $0.kind { line.contains("Flags [F") } else { false }
        })
        #expect(fin.reason?.contains("tcp_close_state") == true)
    }

    @Test func orphanRetriesExhaustedAreExplained() throws {
        let run = try tracedSimRun("fin-retransmit-in-fin-wait1-until-etimedout.pkt")
        #expect(run.result.verdict == .passed)
        let retransmissions = run.trace.entries.filter { $0.reason?.contains("tcp_retransmit_timer") == true }
        #expect(!retransmissions.isEmpty)
        #expect(retransmissions.allSatisfy { entry in
            if case .packet(.outbound, _, _) = entry.kind { true } else { false }
        })
        #expect(run.trace.entries.contains { ($0.reason ?? "").contains("tcp_write_timeout") })
        #expect(run.trace.entries.contains { $0.counters.contains { $0.name == "TcpExtTCPTimeouts" } })
    }

    @Test func packetLinesAreTcpdumpsAndEveryPacketIsThere() throws {
        let run = try tracedSimRun("active-close-four-way.pkt")
        #expect(run.result.verdict == .passed)
        let traced = run.trace.entries.compactMap { entry -> (ObservedPacket.Direction, [UInt8], String)? in
            if case .packet(let direction, let bytes, let line) = entry.kind { (direction, bytes, line) } else { nil }
        }
        #expect(traced.count == run.packets.count)
        // Every traced packet is one of the run's packets and the same number of times.
        #expect(traced.map(\.1).sorted { $0.lexicographicallyPrecedes($1) }
                == run.packets.map(\.bytes).sorted { $0.lexicographicallyPrecedes($1) })
        // Reformatting the packets in trace order with LingerWire's formatter gives the same lines.
        var formatter = TcpdumpFormatter()
        for (_, bytes, line) in traced {
            #expect(formatter.format(try Packet(parsing: bytes)) == line)
        }
        // Times never go backwards.
        let times = run.trace.entries.map(\.time)
        #expect(times == times.sorted())
        // Every text line of a packet starts with its time and direction.
        let text = run.trace.text
        #expect(text.contains("   0.000000   socket(..., SOCK_STREAM, IPPROTO_TCP) = 3"))
        #expect(text.split(separator: "\n").filter { $0.contains(" > IP ") || $0.contains(" < IP ") }.count == traced.count)
    }

    @Test func everySentSegmentOfTheSimHasAReason() throws {
        for name in ["close-unread-data-rst.pkt", "passive-close-last-ack.pkt", "close-wait-reclaimed-by-keepalive.pkt"] {
            let run = try tracedSimRun(name)
            #expect(run.result.verdict == .passed, "\(name)")
            for entry in run.trace.entries {
                if case .packet(.outbound, _, let line) = entry.kind {
                    #expect(entry.reason != nil, "\(name): \(line)")
                }
            }
        }
    }

    @Test func keepaliveDeathIsExplained() throws {
        let run = try tracedSimRun("close-wait-reclaimed-by-keepalive.pkt")
        #expect(run.trace.entries.contains { ($0.reason ?? "").contains("tcp_keepalive_timer sends a probe") })
        #expect(run.trace.sentResets.contains { ($0.reason ?? "").contains("tcp_keepalive_probes unanswered") })
    }
}
