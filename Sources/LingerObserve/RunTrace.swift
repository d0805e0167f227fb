public import LingerRun
import LingerWire

/// Everything a run did, in time order: packets both ways, system calls with
/// their results, and (on Linger's stack) state changes, each thing the stack
/// did carrying its reason and the counters it moved.
public struct RunTrace: Sendable, Hashable {
    /// One thing that happened.
    public struct Entry: Sendable, Hashable {
        /// What kind of thing.
        public enum Kind: Sendable, Hashable {
            /// A packet. `tcpdump` is its `tcpdump -nn` line (relative sequence
            /// numbers, as tcpdump shows them by default).
            case packet(direction: ObservedPacket.Direction, bytes: [UInt8], tcpdump: String)
            /// A system call returned: `text` is the call with its result.
            case call(text: String, line: Int)
            /// A socket changed state.
            case stateChange(connection: String, from: String, to: String)
        }

        /// Script time in microseconds.
        public var time: Int64
        /// What happened.
        public var kind: Kind
        /// Why, when the stack said (sim only).
        public var reason: String?
        /// The counters the step moved, when the stack said (sim only).
        public var counters: [CounterValue]

        /// Creates an entry.
        public init(time: Int64, kind: Kind, reason: String? = nil, counters: [CounterValue] = []) {
            self.time = time
            self.kind = kind
            self.reason = reason
            self.counters = counters
        }

        /// The counters as `Name +1, Name +1`.
        public var countersText: String { counters.changesText }

        /// The reason and counters in one line (`reason; counters`), nil when neither is known.
        public var explanationText: String? {
            switch (reason, counters.isEmpty) {
            case (nil, true): return nil
            case (let reason?, true): return reason
            case (nil, false): return countersText
            case (let reason?, false): return reason + "; " + countersText
            }
        }
    }

    /// The entries, in time order.
    public var entries: [Entry]

    /// Creates a trace.
    public init(entries: [Entry]) { self.entries = entries }

    /// The trace as text, one entry per line, reasons on an indented line under
    /// what they explain:
    ///
    /// ```
    ///   0.400000 > IP 192.168.0.1.8080 > 192.0.2.1.40000: Flags [R.], seq 301, ack 1001, win 0, length 0
    ///              RST: close() with 600 unread bytes -> tcp_close sends an active reset (RFC 2525 2.17); TcpExtTCPAbortOnClose +1
    /// ```
    public var text: String {
        var out = ""
        for entry in entries {
            out += Self.seconds(entry.time) + " "
            switch entry.kind {
            case .packet(let direction, _, let tcpdump):
                out += (direction == .inbound ? "< " : "> ") + tcpdump
            case .call(let text, let line):
                out += "  " + text + "   (line \(line))"
            case .stateChange(let connection, let from, let to):
                out += "  state \(from) -> \(to)   \(connection)"
            }
            out += "\n"
            if let explanation = entry.explanationText {
                out += String(repeating: " ", count: 13) + explanation + "\n"
            }
        }
        return out
    }

    /// `12.345678`, right-aligned in 11 columns.
    static func seconds(_ microseconds: Int64) -> String {
        let sign = microseconds < 0 ? "-" : ""
        let magnitude = microseconds.magnitude
        let fraction = String(magnitude % 1_000_000)
        let text = sign + String(magnitude / 1_000_000) + "." + String(repeating: "0", count: 6 - fraction.count) + fraction
        return text.count >= 11 ? text : String(repeating: " ", count: 11 - text.count) + text
    }
}

/// Collects a run's packets, calls and explanations from a ``ScriptRunner`` and
/// merges them into a ``RunTrace``.
///
/// ```swift
/// let recorder = TraceRecorder()
/// recorder.attach(to: runner)
/// _ = runner.run()
/// print(recorder.trace().text)
/// ```
public final class TraceRecorder {
    private var packets: [(order: Int, packet: ObservedPacket)] = []
    private var calls: [(order: Int, call: ObservedCall)] = []
    private var explanations: [Explanation] = []
    private var order = 0

    /// A recorder with nothing recorded.
    public init() {}

    /// Makes the runner report to this recorder (keeping any packet observer it
    /// already had, such as `--pcap`'s) and, on a backend that explains itself,
    /// turns its explanations on.
    public func attach(to runner: ScriptRunner) {
        let previous = runner.packetObserver
        runner.packetObserver = { [unowned self] packet in
            previous?(packet)
            self.packets.append((self.order, packet))
            self.order += 1
        }
        runner.callObserver = { [unowned self] call in
            self.calls.append((self.order, call))
            self.order += 1
        }
        runner.explanationObserver = { [unowned self] explanation in
            self.explanations.append(explanation)
        }
    }

    /// The merged trace. On a backend that explains itself the stack's log gives
    /// the order of everything (packets in and out, calls returning, state
    /// changes); elsewhere entries go by time, then in the order the runner met them.
    public func trace() -> RunTrace {
        struct Item {
            var time: Int64
            var key: (Int, Int)
            var entry: RunTrace.Entry
            var bytes: [UInt8]?
            var direction: ObservedPacket.Direction?
        }
        var items: [Item] = []
        // The log's packets by bytes and calls by time, oldest first.
        var sentAt: [[UInt8]: [Int]] = [:]
        var receivedAt: [[UInt8]: [Int]] = [:]
        var callsAt: [Int64: [Int]] = [:]
        for (index, explanation) in explanations.enumerated() {
            switch explanation.event {
            case .sent(let bytes):
                sentAt[bytes, default: []].append(index)
            case .received(let bytes):
                receivedAt[bytes, default: []].append(index)
            case .callReturned:
                callsAt[explanation.time, default: []].append(index)
            case .stateChange(let connection, let from, let to):
                items.append(Item(time: explanation.time, key: (index, 0),
                                  entry: .init(time: explanation.time, kind: .stateChange(connection: connection, from: from, to: to),
                                               reason: explanation.reason, counters: explanation.counters)))
            }
        }
        func take(_ table: inout [[UInt8]: [Int]], _ bytes: [UInt8]) -> Int? {
            guard var queue = table[bytes], !queue.isEmpty else { return nil }
            let index = queue.removeFirst()
            table[bytes] = queue
            return index
        }
        let ordered = !explanations.isEmpty
        // What the runner met, in its order; each gets the log's position when the
        // log has it, else follows the previous one.
        var runnerItems: [(order: Int, item: Item)] = []
        for (runOrder, packet) in packets {
            var item = Item(time: packet.time, key: (0, 0), entry: .init(time: packet.time, kind: .call(text: "", line: 0)),
                            bytes: packet.bytes, direction: packet.direction)
            if packet.direction == .outbound, let index = take(&sentAt, packet.bytes) {
                item.key = (index, 0)
                item.entry.reason = explanations[index].reason
                item.entry.counters = explanations[index].counters
            } else if packet.direction == .inbound, let index = take(&receivedAt, packet.bytes) {
                item.key = (index, 0)
            } else {
                item.key = (-1, runOrder)
            }
            runnerItems.append((runOrder, item))
        }
        for (runOrder, call) in calls {
            var item = Item(time: call.time, key: (-1, runOrder), entry: .init(time: call.time, kind: .call(text: call.text, line: call.line)))
            if var queue = callsAt[call.time], !queue.isEmpty {
                item.key = (queue.removeFirst(), 0)
                callsAt[call.time] = queue
            }
            runnerItems.append((runOrder, item))
        }
        runnerItems.sort { $0.order < $1.order }
        var previous = (0, 0)
        for (runOrder, var item) in runnerItems {
            if item.key.0 < 0 {
                item.key = (previous.0, previous.1 + 1 + runOrder)
            } else {
                previous = item.key
            }
            items.append(item)
        }
        if ordered {
            items.sort { $0.key < $1.key }
        } else {
            items.sort { ($0.time, $0.key.1) < ($1.time, $1.key.1) }
        }
        var formatter = TcpdumpFormatter()
        var entries: [RunTrace.Entry] = []
        entries.reserveCapacity(items.count)
        for item in items {
            var entry = item.entry
            if let bytes = item.bytes, let direction = item.direction {
                let line: String
                if let packet = try? Packet(parsing: bytes) {
                    line = formatter.format(packet)
                } else {
                    line = "unparsable packet of \(bytes.count) bytes"
                }
                entry.kind = .packet(direction: direction, bytes: bytes, tcpdump: line)
            }
            entries.append(entry)
        }
        return RunTrace(entries: entries)
    }
}
