import LingerRun
import LingerWire

/// A run as one self-contained HTML page: a ladder diagram (SVG) with the
/// script's peer on the left and the system under test on the right, an arrow per
/// packet labelled with flags, relative sequence and acknowledgment numbers and
/// length, the stack's states beside its line, system calls in the margin on the
/// stack's side and each reason attached to its arrow (as text, as a tooltip, and
/// numbered in the list under the diagram). No script, no network: inline CSS and
/// SVG only; the page is well-formed XML.
public struct HTMLReport: Sendable {
    /// The page's title (the script's path).
    public var title: String
    /// The run.
    public var trace: RunTrace
    /// How the run ended (`passed`, or the failure message).
    public var verdict: String
    /// The backend's name.
    public var backend: String

    /// Creates a report.
    public init(title: String, trace: RunTrace, verdict: String, backend: String) {
        self.title = title
        self.trace = trace
        self.verdict = verdict
        self.backend = backend
    }

    // Layout, in pixels.
    static let peerX = 250
    static let stackX = 700
    static let width = 1120
    static let top = 70
    /// Idle time longer than this is drawn as a break, not to scale.
    static let breakThreshold: Int64 = 1_000_000

    /// The page.
    public func render() -> String {
        let layout = layoutRows()
        var svg = ""
        let height = layout.height + 30
        svg += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Self.width)\" height=\"\(height)\" viewBox=\"0 0 \(Self.width) \(height)\" font-family=\"DejaVu Sans Mono, monospace\" font-size=\"12\">\n"
        svg += "<defs><marker id=\"in\" markerWidth=\"10\" markerHeight=\"8\" refX=\"9\" refY=\"4\" orient=\"auto\"><path d=\"M0,0 L10,4 L0,8 z\" fill=\"#1f5fbf\"/></marker>"
        svg += "<marker id=\"out\" markerWidth=\"10\" markerHeight=\"8\" refX=\"9\" refY=\"4\" orient=\"auto\"><path d=\"M0,0 L10,4 L0,8 z\" fill=\"#b03a2e\"/></marker>"
        svg += "<marker id=\"rst\" markerWidth=\"10\" markerHeight=\"8\" refX=\"9\" refY=\"4\" orient=\"auto\"><path d=\"M0,0 L10,4 L0,8 z\" fill=\"#d4001a\"/></marker></defs>\n"
        // The two lines.
        let (peerName, stackName) = endpointNames()
        svg += "<text x=\"\(Self.peerX)\" y=\"24\" text-anchor=\"middle\" font-weight=\"bold\" font-size=\"14\">peer (the script)</text>"
        svg += "<text x=\"\(Self.peerX)\" y=\"42\" text-anchor=\"middle\" fill=\"#555\">\(Self.escape(peerName))</text>"
        svg += "<text x=\"\(Self.stackX)\" y=\"24\" text-anchor=\"middle\" font-weight=\"bold\" font-size=\"14\">system under test (\(Self.escape(backend)))</text>"
        svg += "<text x=\"\(Self.stackX)\" y=\"42\" text-anchor=\"middle\" fill=\"#555\">\(Self.escape(stackName))</text>\n"
        svg += "<line x1=\"\(Self.peerX)\" y1=\"\(Self.top - 20)\" x2=\"\(Self.peerX)\" y2=\"\(layout.height)\" stroke=\"#333\" stroke-width=\"2\"/>"
        svg += "<line x1=\"\(Self.stackX)\" y1=\"\(Self.top - 20)\" x2=\"\(Self.stackX)\" y2=\"\(layout.height)\" stroke=\"#333\" stroke-width=\"2\"/>\n"
        var notes: [(number: Int, time: Int64, label: String, text: String)] = []
        var numbering = RelativeNumbering()
        for row in layout.rows {
            let entry = trace.entries[row.index]
            let y = row.y
            if let gap = row.breakBefore {
                let breakY = y - 28
                svg += "<g class=\"break\"><rect x=\"20\" y=\"\(breakY - 7)\" width=\"\(Self.width - 40)\" height=\"14\" fill=\"#f3f3f3\"/>"
                for x in [Self.peerX, Self.stackX] {
                    svg += "<path d=\"M\(x - 10),\(breakY + 3) l6,-6 l8,6 l6,-6\" stroke=\"#333\" fill=\"none\" stroke-width=\"2\"/>"
                }
                svg += "<text x=\"\((Self.peerX + Self.stackX) / 2)\" y=\"\(breakY + 4)\" text-anchor=\"middle\" fill=\"#666\">\u{2026} \(Self.escape(Self.duration(gap))) pass \u{2026}</text></g>\n"
            }
            svg += "<text x=\"8\" y=\"\(y + 4)\" fill=\"#888\">\(Self.escape(RunTrace.seconds(entry.time).trimmingLeadingSpaces))</text>"
            var noteNumber: Int?
            if let explanation = entry.explanationText {
                noteNumber = notes.count + 1
                notes.append((notes.count + 1, entry.time, Self.shortLabel(entry, numbering: numbering), explanation))
            }
            switch entry.kind {
            case .packet(let direction, let bytes, let tcpdump):
                let label = numbering.label(bytes)
                let inbound = direction == .inbound
                let (x1, x2) = inbound ? (Self.peerX, Self.stackX) : (Self.stackX, Self.peerX)
                let isReset = label.hasPrefix("R")
                let color = isReset ? "#d4001a" : inbound ? "#1f5fbf" : "#b03a2e"
                let marker = isReset ? "rst" : inbound ? "in" : "out"
                svg += "<g class=\"packet\"><title>\(Self.escape(tcpdump + (entry.explanationText.map { "\n" + $0 } ?? "")))</title>"
                svg += "<line x1=\"\(x1)\" y1=\"\(y - 8)\" x2=\"\(x2)\" y2=\"\(y + 8)\" stroke=\"\(color)\" stroke-width=\"\(isReset ? 2.5 : 1.6)\" marker-end=\"url(#\(marker))\"/>"
                let mid = (Self.peerX + Self.stackX) / 2
                svg += "<text x=\"\(mid)\" y=\"\(y - 6)\" text-anchor=\"middle\" fill=\"\(color)\" font-weight=\"bold\">\(Self.escape(label))</text>"
                if let explanation = entry.reason ?? (entry.counters.isEmpty ? nil : entry.countersText) {
                    let shown = (noteNumber.map { "[\($0)] " } ?? "") + explanation
                    svg += "<text x=\"\(mid)\" y=\"\(y + 20)\" text-anchor=\"middle\" fill=\"#444\" font-size=\"10.5\">\(Self.escape(Self.truncate(shown, 78)))</text>"
                }
                svg += "</g>\n"
            case .call(let text, let line):
                svg += "<g class=\"call\"><title>\(Self.escape("line \(line): \(text)"))</title>"
                svg += "<circle cx=\"\(Self.stackX)\" cy=\"\(y)\" r=\"3.5\" fill=\"#2e7d32\"/>"
                svg += "<text x=\"\(Self.stackX + 12)\" y=\"\(y + 4)\" fill=\"#2e7d32\">\(Self.escape(Self.truncate(text, 60)))</text></g>\n"
            case .stateChange(let connection, let from, let to):
                svg += "<g class=\"state\"><title>\(Self.escape("\(connection): \(from) -> \(to)" + (entry.explanationText.map { "\n" + $0 } ?? "")))</title>"
                let label = "\(to)" + (noteNumber.map { "  [\($0)]" } ?? "")
                let boxWidth = 14 + 8 * label.count
                svg += "<rect x=\"\(Self.stackX + 8)\" y=\"\(y - 10)\" width=\"\(boxWidth)\" height=\"19\" rx=\"4\" fill=\"#fff4d6\" stroke=\"#c9a227\"/>"
                svg += "<text x=\"\(Self.stackX + 15)\" y=\"\(y + 4)\" font-weight=\"bold\" fill=\"#6b4e00\">\(Self.escape(label))</text>"
                svg += "<text x=\"\(Self.stackX + 20 + boxWidth)\" y=\"\(y + 4)\" fill=\"#888\" font-size=\"10.5\">from \(Self.escape(from))</text></g>\n"
            }
        }
        svg += "</svg>\n"

        var page = "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n"
        page += "<title>\(Self.escape(title)) \u{2014} Linger</title>\n<style>\n"
        page += """
        body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; margin: 16px 24px; color: #222; }
        h1 { font-size: 20px; margin: 0 0 4px 0; }
        .meta { color: #555; margin-bottom: 10px; }
        .legend span { margin-right: 18px; }
        ol.notes { font-family: "DejaVu Sans Mono", monospace; font-size: 12px; }
        ol.notes li { margin: 3px 0; }
        ol.notes .t { color: #888; }
        ol.notes .l { color: #b03a2e; font-weight: bold; }
        pre { font-size: 11px; background: #f7f7f7; padding: 8px; overflow-x: auto; }
        svg .packet:hover line { stroke-width: 3.5; }

        """
        page += "</style>\n</head>\n<body>\n"
        page += "<h1>\(Self.escape(title))</h1>\n"
        let packetCount = trace.entries.filter { if case .packet = $0.kind { true } else { false } }.count
        page += "<div class=\"meta\">backend \(Self.escape(backend)) \u{00b7} \(packetCount) packets \u{00b7} \(Self.escape(verdict))</div>\n"
        page += "<div class=\"legend\"><span style=\"color:#1f5fbf\">\u{2192} packet from the peer</span><span style=\"color:#b03a2e\">\u{2190} packet from the stack</span><span style=\"color:#d4001a\">reset</span><span style=\"color:#2e7d32\">\u{25cf} system call = result</span><span style=\"color:#6b4e00\">state change</span><span style=\"color:#666\">sequence numbers relative to each side's first</span></div>\n"
        page += svg
        if !notes.isEmpty {
            page += "<h2>Why</h2>\n<ol class=\"notes\">\n"
            for note in notes {
                page += "<li><span class=\"t\">\(Self.escape(RunTrace.seconds(note.time).trimmingLeadingSpaces))</span> <span class=\"l\">\(Self.escape(note.label))</span> \(Self.escape(note.text))</li>\n"
            }
            page += "</ol>\n"
        }
        page += "<details><summary>The trace as text</summary>\n<pre>\(Self.escape(trace.text))</pre></details>\n"
        page += "</body>\n</html>\n"
        return page
    }

    // MARK: - Layout

    struct Row {
        var index: Int
        var y: Int
        var breakBefore: Int64?
    }

    /// One row per entry; the gap before a row grows with the time since the last
    /// one (up to a second); longer idle times become a break mark.
    func layoutRows() -> (rows: [Row], height: Int) {
        var rows: [Row] = []
        var y = Self.top
        var lastTime: Int64?
        var lastWasPacket = false
        var lastHadReason = false
        for (index, entry) in trace.entries.enumerated() {
            let isPacket: Bool = if case .packet = entry.kind { true } else { false }
            // A packet's reason is written under its arrow: room for it.
            var gap = rows.isEmpty ? 0 : (lastHadReason ? 44 : lastWasPacket ? 30 : 20)
            if isPacket && !rows.isEmpty { gap = max(gap, 28) }
            var breakBefore: Int64?
            if let lastTime {
                let idle = entry.time - lastTime
                if idle > Self.breakThreshold {
                    breakBefore = idle
                    gap += 44
                } else if idle > 0 {
                    // Up to 40 px for a second, more per millisecond at the small end.
                    gap += min(40, Int(idle / 25_000) + (idle >= 1000 ? 4 : 0))
                }
            }
            y += gap
            rows.append(Row(index: index, y: y, breakBefore: breakBefore))
            lastTime = entry.time
            lastWasPacket = isPacket
            lastHadReason = isPacket && (entry.reason != nil || !entry.counters.isEmpty)
        }
        return (rows, y + 30)
    }

    /// The peer's and the stack's addresses, from the first packet.
    func endpointNames() -> (String, String) {
        for entry in trace.entries {
            if case .packet(let direction, let bytes, _) = entry.kind, let packet = try? Packet(parsing: bytes) {
                let source = "\(packet.ip.source)", destination = "\(packet.ip.destination)"
                return direction == .inbound ? (source, destination) : (destination, source)
            }
        }
        return ("", "")
    }

    static func shortLabel(_ entry: RunTrace.Entry, numbering: RelativeNumbering) -> String {
        switch entry.kind {
        case .packet(let direction, let bytes, _):
            var copy = numbering
            return (direction == .inbound ? "\u{2192} " : "\u{2190} ") + copy.label(bytes)
        case .call(let text, _): return text
        case .stateChange(_, let from, let to): return "\(from) \u{2192} \(to)"
        }
    }

    static func truncate(_ text: String, _ limit: Int) -> String {
        text.count <= limit ? text : String(text.prefix(limit - 1)) + "\u{2026}"
    }

    static func duration(_ microseconds: Int64) -> String {
        if microseconds >= 10_000_000 { return "\(microseconds / 1_000_000) s" }
        let tenths = microseconds / 100_000
        return "\(tenths / 10).\(tenths % 10) s"
    }

    /// Text for XML: & < > " ' escaped, control characters (but newline and tab) dropped.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\n", "\t": out.unicodeScalars.append(scalar)
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F { continue }
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

/// Sequence numbers relative to each endpoint's first (its ISN when the run saw
/// its SYN), as tcpdump shows them by default; an arrow label such as
/// `S. 0:0(0) ack 1` or `P. 1:301(300) ack 1`.
struct RelativeNumbering {
    var bases: [TCPEndpoint: UInt32] = [:]

    mutating func label(_ bytes: [UInt8]) -> String {
        guard let packet = try? Packet(parsing: bytes), let tcp = packet.tcp else { return "non-TCP packet" }
        let source = TCPEndpoint(packet.ip.source, tcp.sourcePort)
        let destination = TCPEndpoint(packet.ip.destination, tcp.destinationPort)
        let seqBase: UInt32
        if let known = bases[source] { seqBase = known } else {
            seqBase = tcp.sequenceNumber.rawValue
            bases[source] = seqBase
        }
        var flags = ""
        if tcp.flags.contains(.syn) { flags += "S" }
        if tcp.flags.contains(.fin) { flags += "F" }
        if tcp.flags.contains(.rst) { flags += "R" }
        if tcp.flags.contains(.psh) { flags += "P" }
        if tcp.flags.contains(.ack) { flags += "." }
        if flags.isEmpty { flags = "none" }
        let start = tcp.sequenceNumber.rawValue &- seqBase
        let length = UInt32(truncatingIfNeeded: packet.payload.count)
        var text = "\(flags) \(start):\(start &+ length)(\(length))"
        if tcp.flags.contains(.ack) {
            if let ackBase = bases[destination] {
                text += " ack \(tcp.acknowledgmentNumber.rawValue &- ackBase)"
            } else {
                text += " ack \(tcp.acknowledgmentNumber.rawValue)"
            }
        }
        text += " win \(tcp.window)"
        return text
    }
}

extension String {
    var trimmingLeadingSpaces: String { String(drop(while: { $0 == " " })) }
}
