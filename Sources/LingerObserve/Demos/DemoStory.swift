public import LingerRun

/// A demo run told as a story: the applications, the trace with the socket
/// table at the script's `ss()` points, the counters, why, and what to do.
public struct DemoStory: Sendable {
    /// The demo that ran.
    public var demo: Demo
    /// `sim` or `kernel`.
    public var backend: String
    /// What the run did.
    public var trace: RunTrace
    /// A socket table and how far the run had got when it was taken.
    public struct Table: Sendable {
        /// The table.
        public var report: SocketTableReport
        /// How many packets (both ways), calls and state changes the run had
        /// shown before it.
        public var packetsBefore: Int, callsBefore: Int, stateChangesBefore: Int

        /// Creates one.
        public init(report: SocketTableReport, packetsBefore: Int, callsBefore: Int, stateChangesBefore: Int) {
            self.report = report
            self.packetsBefore = packetsBefore
            self.callsBefore = callsBefore
            self.stateChangesBefore = stateChangesBefore
        }
    }

    /// The socket tables taken at the script's `ss()` calls, in order.
    public var socketTables: [Table]
    /// The counters the run changed.
    public var counters: [CounterValue]

    /// Creates a story from a finished run.
    public init(demo: Demo, backend: String, trace: RunTrace, socketTables: [Table], counters: [CounterValue]) {
        self.demo = demo
        self.backend = backend
        self.trace = trace
        self.socketTables = socketTables
        self.counters = counters
    }

    /// Section headings, also what tests look for.
    public enum Heading {
        /// Before the applications' paragraph.
        public static let applications = "What the applications do"
        /// Before the trace.
        public static let trace = "What happened"
        /// Before the counters.
        public static let counters = "Counters the run moved (nstat)"
        /// Before the explanation.
        public static let why = "Why Linux does this"
        /// Before the advice.
        public static let advice = "What an application should do"
    }

    /// The story as text.
    public var text: String {
        let onKernel = backend == "kernel"
        var out = "linger demo \(demo.name): \(demo.title)\n"
        out += "(\(demo.origin); "
        out += onKernel ? "run on the live kernel, real time)\n" : "run on Linger's stack, virtual time)\n"
        out += "\n" + Heading.applications + "\n" + Self.wrap(demo.applications, indent: 2)
        out += Heading.trace + "\n"
        out += onKernel
            ? "  (packets as tcpdump shows them, system calls, and ss at the script's ss()\n  points; the kernel does not say why)\n\n"
            : "  (packets as tcpdump shows them, system calls, state changes; under each, the\n  stack's reason and the counters it moved; ss at the script's ss() points)\n\n"
        out += tracedWithTables()
        out += "\n" + Heading.counters + "\n"
        out += CounterValue.nstatText(counters) + "\n"
        out += Heading.why + "\n" + Self.wrap(demo.why, indent: 2)
        out += Heading.advice + "\n" + Self.wrap(demo.advice, indent: 2)
        out += "The script: linger demo \(demo.name) --script.  A ladder diagram: --html FILE.  "
        out += onKernel ? "On Linger's stack: without --backend.\n" : "On the live kernel (root): --backend kernel.\n"
        return out
    }

    /// The trace's lines with each socket table placed where it was taken: after
    /// the packets, calls and state changes the run had shown by then.
    func tracedWithTables() -> String {
        var out = ""
        var pending = socketTables[...]
        var packets = 0, calls = 0
        func printTable(_ table: Table) {
            out += String(repeating: " ", count: 13) + "$ \(table.report.command)   "
                + "(at \(RunTrace.seconds(table.report.time).drop(while: { $0 == " " })) s, line \(table.report.line))\n"
            for line in table.report.text.split(separator: "\n") where line.contains(where: { $0 != " " && $0 != "\t" }) {
                out += String(repeating: " ", count: 13) + line.replacing("\t", with: "    ") + "\n"
            }
        }
        let lines = trace.text.split(separator: "\n", omittingEmptySubsequences: false)
        var lineIndex = 0
        var stateChanges = 0
        for entry in trace.entries {
            while let table = pending.first, table.packetsBefore <= packets, table.callsBefore <= calls,
                  table.stateChangesBefore <= stateChanges {
                printTable(table)
                pending.removeFirst()
            }
            switch entry.kind {
            case .packet: packets += 1
            case .call: calls += 1
            case .stateChange: stateChanges += 1
            }
            // An entry is one line, plus one for its explanation.
            for _ in 0..<(entry.explanationText == nil ? 1 : 2) where lineIndex < lines.count {
                out += lines[lineIndex] + "\n"
                lineIndex += 1
            }
        }
        for table in pending { printTable(table) }
        return out
    }

    /// `text` wrapped at 78 columns with `indent` spaces; blank-line separated
    /// paragraphs stay apart.
    static func wrap(_ text: String, indent: Int) -> String {
        let margin = String(repeating: " ", count: indent)
        var out = ""
        for paragraph in text.split(separator: "\n\n", omittingEmptySubsequences: true) {
            var line = ""
            for word in paragraph.split(whereSeparator: { $0 == " " || $0 == "\n" }) {
                if !line.isEmpty, margin.count + line.count + 1 + word.count > 78 {
                    out += margin + line + "\n"
                    line = ""
                }
                line += (line.isEmpty ? "" : " ") + word
            }
            if !line.isEmpty { out += margin + line + "\n" }
            out += "\n"
        }
        return out
    }
}
