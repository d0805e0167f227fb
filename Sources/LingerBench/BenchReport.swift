/// The cases `linger bench` measures, in the order it runs them.
public enum BenchCase: String, CaseIterable, Sendable {
    case throughputMTU1500 = "throughput-mtu1500"
    case throughputMTU65536 = "throughput-mtu65536"
    case lifecycles = "lifecycles"
    case timewaitBytes = "timewait-bytes"
    case establishedBytes = "established-bytes"
    case timerAdvance = "timer-advance"
    case scriptSpeed = "script-speed"

    /// The case's name on the command line and in JSON.
    public var name: String { rawValue }

    /// The unit of both figures.
    public var unit: String {
        switch self {
        case .throughputMTU1500, .throughputMTU65536: "Gbit/s"
        case .lifecycles: "connections/s"
        case .timewaitBytes, .establishedBytes: "bytes"
        case .timerAdvance: "ns/virtual-s"
        case .scriptSpeed: "s"
        }
    }

    /// The bar issue 7 sets for the case, if any.
    public var target: BenchTarget? {
        switch self {
        case .throughputMTU65536: .ratioAtLeast(1)
        case .throughputMTU1500: nil
        case .lifecycles: .ratioAtLeast(5)
        case .timewaitBytes: .lingerAtMost(128)
        case .establishedBytes: .lingerAtMost(1200)
        case .timerAdvance: .lingerAtMost(1_000_000)
        // At least 1000 times faster than the TCP time: wall / TCP time <= 1/1000.
        case .scriptSpeed: .ratioAtMost(0.001)
        }
    }

    /// What the case measures on each side, for `--help`.
    public var summary: String {
        switch self {
        case .throughputMTU1500:
            "one bulk TCP stream between two Linger stacks joined in memory on one thread, MTU 1500, "
                + "against one stream over Linux loopback with lo at MTU 1500; payload Gbit/s, checked"
        case .throughputMTU65536:
            "the same at MTU 65536 (Linux loopback's default MTU)"
        case .lifecycles:
            "complete connections per second: connect, 1-byte request, 1-byte response, client closes, "
                + "server closes, client's TIME_WAIT entry made; Linux: loopback, client and server threads, TCP_NODELAY"
        case .timewaitBytes:
            "bytes of process memory (malloc's count) per TIME_WAIT entry with 1,000,000 alive, against "
                + "Linux's tw_sock_TCP slab object size (/proc/slabinfo)"
        case .establishedBytes:
            "bytes of process memory per idle established connection (1,000,000 of them, each with a "
                + "descriptor), against Linux's TCP slab object size"
        case .timerAdvance:
            "nanoseconds to advance the clock one virtual second over 1,000,000 connections with keepalive "
                + "and retransmission timers armed, no timer due; no Linux figure (its timers run in real time)"
        case .scriptSpeed:
            "wall seconds to run every script in Tests/Scripts on the sim, against the TCP time the scripts "
                + "describe (linux); --with-kernel adds the kernel backend's wall time (kernel_wall, ~10 min)"
        }
    }
}

/// One case's figures.
public struct BenchResult: Sendable, Equatable {
    /// The case.
    public var benchCase: BenchCase
    /// Linger's figure, if measured.
    public var linger: Double?
    /// Linux's figure, if there is one.
    public var linux: Double?
    /// `script-speed` only: the kernel backend's wall time, seconds.
    public var kernelWall: Double?
    /// How each figure was obtained, when it needs saying (shown under the table).
    public var note: String?

    /// Creates a result.
    public init(_ benchCase: BenchCase, linger: Double?, linux: Double?, kernelWall: Double? = nil, note: String? = nil) {
        self.benchCase = benchCase
        self.linger = linger
        self.linux = linux
        self.kernelWall = kernelWall
        self.note = note
    }

    /// Linger / Linux, for every case: above 1 is better for rates
    /// (throughput, life cycles), below 1 is better for bytes and times.
    public var ratio: Double? {
        guard let linger, let linux, linger > 0, linux > 0 else { return nil }
        return linger / linux
    }

    /// Whether the case's target holds: nil when it has none or a figure is missing.
    public var meetsTarget: Bool? {
        guard let target = benchCase.target else { return nil }
        switch target {
        case .ratioAtLeast(let bar): return ratio.map { $0 >= bar }
        case .ratioAtMost(let bar): return ratio.map { $0 <= bar }
        case .lingerAtMost(let bar): return linger.map { $0 <= bar }
        }
    }
}

/// A case's bar: a bound on the ratio or on Linger's own figure.
public enum BenchTarget: Sendable, Equatable {
    /// Linger / Linux must be at least this.
    case ratioAtLeast(Double)
    /// Linger / Linux must be at most this.
    case ratioAtMost(Double)
    /// Linger's figure must be at most this, in the case's unit.
    case lingerAtMost(Double)

    /// The bar as the table prints it.
    public var text: String {
        switch self {
        case .ratioAtLeast(let bar): "ratio >= \(BenchReport.figure(bar))"
        case .ratioAtMost(let bar): "ratio <= \(BenchReport.figure(bar))"
        case .lingerAtMost(let bar): "Linger <= \(BenchReport.figure(bar))"
        }
    }
}

/// A whole run's figures and how to print them.
public struct BenchReport: Sendable {
    /// The machine, as `uname` and /proc/cpuinfo describe it.
    public var machine: String
    /// The results, in the order measured.
    public var results: [BenchResult]

    /// Creates a report.
    public init(machine: String, results: [BenchResult]) {
        self.machine = machine
        self.results = results
    }

    /// `{"machine": "...", "cases": [{"name": ..., "unit": ..., "linger": N, "linux": N, "ratio": N}]}`;
    /// a figure that does not exist is `null`; `script-speed` adds `kernel_wall` when measured.
    public func json() -> String {
        var out = "{\"machine\": \(Self.jsonString(machine)), \"cases\": ["
        for (index, r) in results.enumerated() {
            if index > 0 { out += ", " }
            out += "{\"name\": \(Self.jsonString(r.benchCase.name)), \"unit\": \(Self.jsonString(r.benchCase.unit)), "
            out += "\"linger\": \(Self.jsonNumber(r.linger)), \"linux\": \(Self.jsonNumber(r.linux)), "
            out += "\"ratio\": \(Self.jsonNumber(r.ratio))"
            if r.benchCase == .scriptSpeed, let wall = r.kernelWall { out += ", \"kernel_wall\": \(Self.jsonNumber(wall))" }
            out += "}"
        }
        return out + "]}"
    }

    /// The table: case, unit, Linger, Linux, ratio (Linger / Linux), target and
    /// whether it holds, then notes.
    public func table() -> String {
        var rows: [[String]] = [["case", "unit", "Linger", "Linux", "ratio", "target"]]
        for r in results {
            var target = r.benchCase.target?.text ?? "-"
            if let met = r.meetsTarget { target += met ? " (met)" : " (NOT met)" }
            rows.append([r.benchCase.name, r.benchCase.unit, Self.figure(r.linger), Self.figure(r.linux),
                         Self.ratioFigure(r.ratio), target])
        }
        var widths = [Int](repeating: 0, count: 6)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        var out = "machine: \(machine)\n"
        for row in rows {
            var line = ""
            for (i, cell) in row.enumerated() {
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                line += i < 2 || i == 5 ? cell + pad : pad + cell
                if i < 5 { line += "  " }
            }
            while line.hasSuffix(" ") { line.removeLast() }
            out += line + "\n"
        }
        for r in results {
            if let wall = r.kernelWall { out += "\(r.benchCase.name): kernel backend wall time \(Self.figure(wall)) s\n" }
            if let note = r.note { out += "\(r.benchCase.name): \(note)\n" }
        }
        out += "ratio: Linger / Linux (rates: above 1 is better; bytes and times: below 1 is better)\n"
        return out
    }

    /// A ratio with enough digits to show small ones (script speed is about 0.001).
    static func ratioFigure(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "-" }
        if value >= 0.01 { return figure(value) }
        var digits = 4
        var v = value
        while v < 0.01, v > 0, digits < 9 { v *= 10; digits += 1 }
        return fixed(value, decimals: digits)
    }

    /// A figure for people: about four significant digits, no exponent; "-" for none.
    public static func figure(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "-" }
        let magnitude = abs(value)
        let decimals = magnitude >= 1000 ? 0 : magnitude >= 100 ? 1 : magnitude >= 1 ? 2 : 4
        return fixed(value, decimals: decimals)
    }

    /// `value` with `decimals` digits after the point (no Foundation formatting).
    static func fixed(_ value: Double, decimals: Int) -> String {
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        guard scaled < 9e18 else { return "\(value)" }
        let whole = UInt64(scaled)
        let integerPart = whole / UInt64(scale)
        var text = (value < 0 && whole != 0 ? "-" : "") + String(integerPart)
        if decimals > 0 {
            var fraction = String(whole % UInt64(scale))
            while fraction.count < decimals { fraction = "0" + fraction }
            text += "." + fraction
        }
        return text
    }

    static func jsonNumber(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "null" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return fixed(value, decimals: abs(value) >= 1 ? 4 : 9)
    }

    static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
