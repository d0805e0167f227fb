import LingerRun
import LingerWire

/// Renders a ``StackSnapshot`` as iproute2's `ss` 6.1.0 prints the TCP socket
/// table when its output is not a terminal: the same columns (Netid only when
/// several tables are selected, State only when several states are), widths
/// from the contents with no spreading, the same `timer:(...)` field and the
/// same `-i` line, with ss's number formats and omissions.
///
/// ```swift
/// let options = try SocketTableOptions.parse(["-tanoi"])
/// let text = SocketTableFormatter(options: options).render(stack.snapshot())
/// ```
///
/// What the sim cannot know is approximated: `ino:` and `sk:` (`-e`) show the
/// stack's own identifiers, `cgroup:` is always `/`, `-p` names no process, and
/// rows come IPv4 first, listeners first, then in the order the connections were
/// made (Linux walks hash buckets, so its order among connections varies).
public struct SocketTableFormatter: Sendable {
    /// The command line's options and filter.
    public var options: SocketTableOptions
    /// Port names for the non-numeric form (`http-alt`); empty means numbers.
    public var services: ServiceNames
    /// ip_local_port_range: ss never names an ephemeral port.
    public var ephemeralPorts: ClosedRange<Int>

    /// A formatter for one command line.
    public init(options: SocketTableOptions, services: ServiceNames = ServiceNames(),
                ephemeralPorts: ClosedRange<Int> = 32768...60999) {
        self.options = options
        self.services = services
        self.ephemeralPorts = ephemeralPorts
    }

    /// What `ss` prints on standard output for this snapshot; error lines it would
    /// print on standard error (an empty selection) are not included.
    public func render(_ snapshot: StackSnapshot) -> String {
        if options.printVersion { return "ss utility, iproute2-6.1.0\n" }
        var text = options.summary ? summary(snapshot) : ""
        if options.summaryOnly || options.emptyFilterMessage != nil { return text }
        var lines: [[String?]] = []
        if options.showHeader { lines.append(headerLine()) }
        var rows = 0
        // inet_show_netlink: the IPv4 dump, then the IPv6 one; listeners first in each.
        for isIPv6 in [false, true] {
            let family = snapshot.sockets.filter { $0.isIPv6 == isIPv6 }
            let ordered = family.filter { $0.state == .listen } + family.filter { $0.state != .listen }
            for row in ordered where shows(row) {
                lines.append(cells(for: row))
                rows += 1
            }
        }
        text += Self.render(lines, lastIsRow: rows > 0)
        return text
    }

    /// The ss state number of a row.
    static func ssState(_ row: SocketSnapshot) -> Int {
        row.state == .newSynReceived ? Int(TCPState.synReceived.rawValue) : Int(row.state.rawValue)
    }

    func shows(_ row: SocketSnapshot) -> Bool {
        guard options.lists(isIPv6: row.isIPv6, state: Self.ssState(row)) else { return false }
        guard let filter = options.filter else { return true }
        return matches(filter, row)
    }

    // MARK: Filter (run_ssfilter)

    func matches(_ expression: SocketFilterExpression, _ row: SocketSnapshot) -> Bool {
        let localPort = Int(row.localPort)
        let remotePort = Int(row.remote?.port ?? 0)
        switch expression {
        case .and(let a, let b): return matches(a, row) && matches(b, row)
        case .or(let a, let b): return matches(a, row) || matches(b, row)
        case .not(let a): return !matches(a, row)
        case .source(let condition):
            return Self.matches(condition, port: localPort, address: row.local?.address, isIPv6: row.isIPv6)
        case .destination(let condition):
            return Self.matches(condition, port: remotePort, address: row.remote?.address, isIPv6: row.isIPv6)
        case .sourcePortAtLeast(let port): return localPort >= port
        case .sourcePortAtMost(let port): return localPort <= port
        case .destinationPortAtLeast(let port): return remotePort >= port
        case .destinationPortAtMost(let port): return remotePort <= port
        case .autobound: return ephemeralPorts.contains(localPort)
        }
    }

    /// S_COND / D_COND: the port, then the prefix; an IPv4 prefix also matches
    /// the v4-mapped address of an IPv6 socket.
    static func matches(_ condition: HostCondition, port: Int, address: IPAddress?, isIPv6: Bool) -> Bool {
        if condition.port != -1 && condition.port != port { return false }
        guard let prefix = condition.prefix, prefix.bits > 0 else { return true }
        // The socket's address as the kernel holds it: 4 or 16 bytes.
        let socketBytes: [UInt8]
        switch address {
        case .v4(let a)?:
            socketBytes = isIPv6 ? [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF] + a.bytes : a.bytes
        case .v6(let a)?:
            socketBytes = a.bytes
        case nil:
            socketBytes = [UInt8](repeating: 0, count: isIPv6 ? 16 : 4)
        }
        var candidate = socketBytes
        let prefixBytes: [UInt8]
        switch prefix.address {
        case .v4(let a):
            prefixBytes = a.bytes
            if socketBytes.count == 16 {
                guard socketBytes[0..<10].allSatisfy({ $0 == 0 }), socketBytes[10] == 0xFF, socketBytes[11] == 0xFF else {
                    return false
                }
                candidate = Array(socketBytes[12...])
            }
        case .v6(let a):
            prefixBytes = a.bytes
            if socketBytes.count != 16 { return false }
        }
        var bits = prefix.bits
        var index = 0
        while bits > 0 && index < prefixBytes.count {
            let mask: UInt8 = bits >= 8 ? 0xFF : UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
            if candidate[index] & mask != prefixBytes[index] & mask { return false }
            bits -= 8
            index += 1
        }
        return true
    }

    // MARK: Columns (ss's struct column)

    enum Alignment { case left, right }
    /// Netid, State, Recv-Q, Send-Q, Local Address:, Port, Peer Address:, Port,
    /// Process (where the timer, details and -i line go), and an empty last one.
    static let columns: [(align: Alignment, header: String, delimiter: String)] = [
        (.left, "Netid", ""), (.left, "State", " "), (.left, "Recv-Q", " "), (.left, "Send-Q", " "),
        (.right, "Local Address:", " "), (.left, "Port", ""), (.right, "Peer Address:", " "), (.left, "Port", ""),
        (.left, "Process", ""), (.left, "", ""),
    ]
    static let extensionColumn = 8

    func enabled(_ column: Int) -> Bool {
        switch column {
        case 0: options.showsNetid
        case 1: options.showsState
        default: true
        }
    }

    func headerLine() -> [String?] {
        (0..<Self.columns.count).map { column in
            guard enabled(column) else { return nil }
            return column == Self.columns.count - 1 ? "" : Self.columns[column].header
        }
    }

    /// One socket's fields: inet_stats_print, then the timer, details and -i line.
    func cells(for row: SocketSnapshot) -> [String?] {
        var cells = [String?](repeating: nil, count: Self.columns.count)
        cells[0] = "tcp"
        cells[1] = Self.stateNames[Self.ssState(row)]
        cells[2] = Self.leftJustified(String(row.receiveQueue), 6)
        cells[3] = Self.leftJustified(String(row.sendQueue), 6)
        cells[4] = address(row.local?.address, isIPv6: row.isIPv6, ipv6Only: row.ipv6Only) + ":"
        cells[5] = service(row.localPort)
        cells[6] = address(row.remote?.address, isIPv6: row.isIPv6, ipv6Only: row.ipv6Only) + ":"
        cells[7] = service(row.remote?.port ?? 0)
        cells[8] = extensionText(row)
        cells[9] = ""
        for column in cells.indices where !enabled(column) { cells[column] = nil }
        return cells
    }

    static let stateNames = ["UNKNOWN", "ESTAB", "SYN-SENT", "SYN-RECV", "FIN-WAIT-1", "FIN-WAIT-2", "TIME-WAIT",
                             "UNCONN", "CLOSE-WAIT", "LAST-ACK", "LISTEN", "CLOSING"]

    static func leftJustified(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }

    /// inet_addr_print: IPv4 dotted; IPv6 in brackets, its wildcard `*` unless the
    /// socket is IPv6-only.
    func address(_ address: IPAddress?, isIPv6: Bool, ipv6Only: Bool) -> String {
        guard isIPv6 else {
            if case .v4(let a)? = address { return a.description }
            return "0.0.0.0"
        }
        switch address {
        case nil:
            return ipv6Only ? "[::]" : "*"
        case .v4(let a)?:
            return "[::ffff:\(a)]"
        case .v6(let a)?:
            if a == .unspecified { return ipv6Only ? "[::]" : "*" }
            return "[\(a)]"
        }
    }

    /// resolve_service: `*` for port 0, a name from /etc/services unless -n or the
    /// port is ephemeral, else the number.
    func service(_ port: UInt16) -> String {
        if port == 0 { return "*" }
        if !options.numeric, !ephemeralPorts.contains(Int(port)), let name = services.name(of: port) { return name }
        return String(port)
    }

    /// Everything after the peer's port: timer, details, the -i line.
    func extensionText(_ row: SocketSnapshot) -> String {
        var text = ""
        if options.showTimers, let timer = row.timer {
            // jiffies_delta_to_msecs: whole milliseconds, a partial one counted.
            let milliseconds = (max(timer.remaining, 0) + 999) / 1000
            text += " timer:(\(timer.kind.rawValue),\(Self.msTimer(milliseconds)),\(timer.count))"
        }
        if options.showDetails {
            let hasInode = row.kind == .full && !row.isOrphan
            text += " ino:\(hasInode ? row.identifier : 0)"
            text += " sk:" + String(row.identifier, radix: 16)
            if row.kind == .full {
                text += " cgroup:/"
                if row.isIPv6 && (row.state == .listen || row.state == .close) {
                    text += " v6only:\(row.ipv6Only ? 1 : 0)"
                }
                text += " " + (row.receiveShutdown ? "-" : "<") + "-" + (row.sendShutdown ? "-" : ">")
            }
        }
        if options.showInfo {
            if !options.oneLine { text += "\n\t" }
            if row.kind == .full, let info = row.tcpInfo {
                text += Self.tcpInfoText(info, congestionControl: row.congestionControl, state: row.state,
                                         showOptions: options.showTimers, numeric: options.numeric)
            }
        }
        return text
    }

    /// print_ms_timer.
    static func msTimer(_ timeout: Int64) -> String {
        var seconds = timeout / 1000
        let minutes = seconds / 60
        seconds %= 60
        var milliseconds = timeout % 1000
        var text = ""
        if minutes > 0 {
            milliseconds = 0
            text += "\(minutes)min"
            if minutes > 9 { seconds = 0 }
        }
        if seconds > 0 {
            if seconds > 9 { milliseconds = 0 }
            text += "\(seconds)" + (milliseconds != 0 ? "." : "sec")
        }
        if milliseconds > 0 {
            text += (milliseconds < 10 ? "00" : milliseconds < 100 ? "0" : "") + "\(milliseconds)ms"
        }
        return text
    }

    /// sprint_bw: bits per second, as a number with -n, else with a unit.
    static func bandwidth(_ bps: Double, numeric: Bool) -> String {
        if numeric { return PrintfNumbers.f(bps, decimals: 0) }
        if bps >= 1e12 { return PrintfNumbers.g(bps / 1e12, precision: 3) + "T" }
        if bps >= 1e9 { return PrintfNumbers.g(bps / 1e9, precision: 3) + "G" }
        if bps >= 1e6 { return PrintfNumbers.g(bps / 1e6, precision: 3) + "M" }
        if bps >= 1e3 { return PrintfNumbers.g(bps / 1e3, precision: 3) + "k" }
        return PrintfNumbers.g(bps)
    }

    /// tcp_show_info and tcp_stats_print: the -i line of a full socket from its
    /// struct tcp_info, field by field in ss's order, each left out when ss leaves
    /// it out (zero, or the value ss treats as unset).
    static func tcpInfoText(_ bytes: [UInt8], congestionControl: String?, state: TCPState, showOptions: Bool,
                            numeric: Bool) -> String {
        var info: [String: UInt64] = [:]
        for field in TCPInfoLayout.decode(bytes) { info[field.name] = field.value }
        func u(_ name: String) -> UInt64 { info[name] ?? 0 }
        func g(_ value: Double) -> String { PrintfNumbers.g(value) }
        /// A __u32 field as C's %d prints it.
        func d(_ name: String) -> String { String(Int32(truncatingIfNeeded: u(name))) }
        var text = ""
        let options = u("tcpi_options")
        if showOptions {
            if options & 1 != 0 { text += " ts" }
            if options & 2 != 0 { text += " sack" }
            if options & 8 != 0 { text += " ecn" }
            if options & 16 != 0 { text += " ecnseen" }
            if options & 32 != 0 { text += " fastopen" }
        }
        if let congestionControl, !congestionControl.isEmpty { text += " " + congestionControl }
        if options & 4 != 0 { text += " wscale:\(u("tcpi_snd_wscale")),\(u("tcpi_rcv_wscale"))" }
        let rto = u("tcpi_rto")
        if rto != 0 && rto != 3_000_000 { text += " rto:" + g(Double(rto) / 1000) }
        if u("tcpi_backoff") != 0 { text += " backoff:\(u("tcpi_backoff"))" }
        let rtt = u("tcpi_rtt")
        if rtt != 0 { text += " rtt:" + g(Double(rtt) / 1000) + "/" + g(Double(u("tcpi_rttvar")) / 1000) }
        if u("tcpi_ato") != 0 { text += " ato:" + g(Double(u("tcpi_ato")) / 1000) }
        if u("tcpi_snd_mss") != 0 { text += " mss:" + d("tcpi_snd_mss") }
        if u("tcpi_pmtu") != 0 { text += " pmtu:\(u("tcpi_pmtu"))" }
        if u("tcpi_rcv_mss") != 0 { text += " rcvmss:" + d("tcpi_rcv_mss") }
        if u("tcpi_advmss") != 0 { text += " advmss:" + d("tcpi_advmss") }
        if u("tcpi_snd_cwnd") != 0 { text += " cwnd:\(u("tcpi_snd_cwnd"))" }
        if u("tcpi_snd_ssthresh") < 0xFFFF && u("tcpi_snd_ssthresh") != 0 { text += " ssthresh:" + d("tcpi_snd_ssthresh") }
        for (name, label) in [("tcpi_bytes_sent", "bytes_sent"), ("tcpi_bytes_retrans", "bytes_retrans"),
                              ("tcpi_bytes_acked", "bytes_acked"), ("tcpi_bytes_received", "bytes_received"),
                              ("tcpi_segs_out", "segs_out"), ("tcpi_segs_in", "segs_in"),
                              ("tcpi_data_segs_out", "data_segs_out"), ("tcpi_data_segs_in", "data_segs_in")]
        where u(name) != 0 {
            text += " \(label):\(u(name))"
        }
        let cwnd = u("tcpi_snd_cwnd")
        let mss = u("tcpi_snd_mss")
        if rtt > 0 && mss != 0 && cwnd != 0 {
            let sendBps = Double(cwnd) * Double(mss) * 8_000_000.0 / Double(rtt)
            if sendBps != 0 { text += " send " + bandwidth(sendBps, numeric: numeric) + "bps" }
        }
        if u("tcpi_last_data_sent") != 0 { text += " lastsnd:\(u("tcpi_last_data_sent"))" }
        if u("tcpi_last_data_recv") != 0 { text += " lastrcv:\(u("tcpi_last_data_recv"))" }
        if u("tcpi_last_ack_recv") != 0 { text += " lastack:\(u("tcpi_last_ack_recv"))" }
        let pacing = u("tcpi_pacing_rate")
        if pacing != 0 && pacing != UInt64.max {
            text += " pacing_rate " + bandwidth(Double(pacing) * 8, numeric: numeric) + "bps"
            let maximum = u("tcpi_max_pacing_rate")
            if maximum != 0 && maximum != UInt64.max {
                text += "/" + bandwidth(Double(maximum) * 8, numeric: numeric) + "bps"
            }
        }
        if u("tcpi_delivery_rate") != 0 {
            text += " delivery_rate " + bandwidth(Double(u("tcpi_delivery_rate")) * 8, numeric: numeric) + "bps"
        }
        if u("tcpi_delivered") != 0 { text += " delivered:\(u("tcpi_delivered"))" }
        if u("tcpi_delivered_ce") != 0 { text += " delivered_ce:\(u("tcpi_delivered_ce"))" }
        if u("tcpi_delivery_rate_app_limited") != 0 { text += " app_limited" }
        let busy = u("tcpi_busy_time")
        if busy != 0 {
            text += " busy:\(busy / 1000)ms"
            for (name, label) in [("tcpi_rwnd_limited", "rwnd_limited"), ("tcpi_sndbuf_limited", "sndbuf_limited")]
            where u(name) != 0 {
                let share = 100.0 * Double(u(name)) / Double(busy)
                text += " \(label):\(u(name) / 1000)ms(" + PrintfNumbers.f(share, decimals: 1) + "%)"
            }
        }
        if u("tcpi_unacked") != 0 { text += " unacked:\(u("tcpi_unacked"))" }
        if u("tcpi_retrans") != 0 || u("tcpi_total_retrans") != 0 {
            text += " retrans:\(u("tcpi_retrans"))/\(u("tcpi_total_retrans"))"
        }
        if u("tcpi_lost") != 0 { text += " lost:\(u("tcpi_lost"))" }
        if u("tcpi_sacked") != 0 && state != .listen { text += " sacked:\(u("tcpi_sacked"))" }
        if u("tcpi_dsack_dups") != 0 { text += " dsack_dups:\(u("tcpi_dsack_dups"))" }
        if u("tcpi_fackets") != 0 { text += " fackets:\(u("tcpi_fackets"))" }
        if u("tcpi_reordering") != 3 { text += " reordering:" + d("tcpi_reordering") }
        if u("tcpi_reord_seen") != 0 { text += " reord_seen:" + d("tcpi_reord_seen") }
        if u("tcpi_rcv_rtt") != 0 { text += " rcv_rtt:" + g(Double(u("tcpi_rcv_rtt")) / 1000) }
        if u("tcpi_rcv_space") != 0 { text += " rcv_space:" + d("tcpi_rcv_space") }
        if u("tcpi_rcv_ssthresh") != 0 { text += " rcv_ssthresh:\(u("tcpi_rcv_ssthresh"))" }
        if u("tcpi_notsent_bytes") != 0 { text += " notsent:\(u("tcpi_notsent_bytes"))" }
        let minimumRTT = u("tcpi_min_rtt")
        if minimumRTT != 0 && minimumRTT != UInt64(UInt32.max) { text += " minrtt:" + g(Double(minimumRTT) / 1000) }
        if u("tcpi_rcv_ooopack") != 0 { text += " rcv_ooopack:\(u("tcpi_rcv_ooopack"))" }
        if u("tcpi_snd_wnd") != 0 { text += " snd_wnd:\(u("tcpi_snd_wnd"))" }
        return text
    }

    // MARK: Layout (render_calc_width and render, output not a terminal)

    /// Lays out the buffered fields as ss does: each column as wide as its widest
    /// field plus its delimiter (the first shown column without one), right-aligned
    /// address columns, left-aligned others, no spreading. ss never counts the last
    /// row's Process field (it is still unflushed when ss renders) but pads it.
    static func render(_ lines: [[String?]], lastIsRow: Bool) -> String {
        guard !lines.isEmpty else { return "" }
        var maximum = [Int](repeating: 0, count: columns.count)
        for (lineIndex, line) in lines.enumerated() {
            for (column, cell) in line.enumerated() {
                guard let cell else { continue }
                if lastIsRow && lineIndex == lines.count - 1 && column >= extensionColumn { continue }
                maximum[column] = max(maximum[column], cell.utf8.count)
            }
        }
        var widths = [Int](repeating: 0, count: columns.count)
        var first = true
        for column in columns.indices where lines[0][column] != nil {
            widths[column] = !first && maximum[column] > 0 ? maximum[column] + columns[column].delimiter.utf8.count
                                                           : maximum[column]
            if widths[column] > 0 { first = false }
        }
        var out = ""
        for (lineIndex, line) in lines.enumerated() {
            var started = false
            let isLastRow = lastIsRow && lineIndex == lines.count - 1
            for (column, cell) in line.enumerated() {
                guard let cell else { continue }
                // The last row ends after its Process field.
                if isLastRow && column > extensionColumn { break }
                var printed = 0
                if started {
                    out += columns[column].delimiter
                    printed = columns[column].delimiter.utf8.count
                }
                started = true
                let length = cell.utf8.count
                if widths[column] > 0 && columns[column].align == .right {
                    let spaces = widths[column] - length - printed
                    if spaces > 0 {
                        out += String(repeating: " ", count: spaces)
                        printed += spaces
                    }
                }
                out += cell
                printed += length
                if widths[column] > 0 && columns[column].align == .left {
                    let spaces = widths[column] - printed
                    if spaces > 0 { out += String(repeating: " ", count: spaces) }
                }
            }
            out += "\n"
        }
        return out
    }

    // MARK: Summary (-s)

    /// print_summary from the stack's own numbers. Linux reads some of them
    /// host-wide (sockets used, TCP alloc, orphans), so on a real host they count
    /// other namespaces' sockets too.
    func summary(_ snapshot: StackSnapshot) -> String {
        let full = snapshot.sockets.filter { $0.kind == .full }
        let hashed = full.filter { $0.state != .close }
        let hashed4 = hashed.filter { !$0.isIPv6 }.count
        let hashed6 = hashed.count - hashed4
        let established = full.filter { $0.state == .established || $0.state == .closeWait }.count
        let timeWait = snapshot.timeWaitCount
        let total = full.count
        let sockets = full.filter { !$0.isOrphan }.count
        func column(_ value: Int) -> String { Self.leftJustified(String(value), 9) }
        var text = "Total: \(sockets)\n"
        text += "TCP:   \(total + timeWait) (estab \(established), closed \(total - (hashed4 + hashed6 - timeWait)), "
        text += "orphaned \(snapshot.orphanCount), timewait \(timeWait))\n\n"
        text += "Transport Total     IP        IPv6\n"
        text += "RAW\t  " + column(0) + " " + column(0) + " " + column(0) + "\n"
        text += "UDP\t  " + column(0) + " " + column(0) + " " + column(0) + "\n"
        text += "TCP\t  " + column(hashed4 + hashed6) + " " + column(hashed4) + " " + column(hashed6) + "\n"
        text += "INET\t  " + column(hashed4 + hashed6) + " " + column(hashed4) + " " + column(hashed6) + "\n"
        text += "FRAG\t  " + column(0) + " " + column(0) + " " + column(0) + "\n\n"
        return text
    }
}

extension IPv4Address {
    /// The four address bytes, most significant first.
    fileprivate var bytes: [UInt8] {
        [UInt8(truncatingIfNeeded: value >> 24), UInt8(truncatingIfNeeded: value >> 16),
         UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)]
    }
}
