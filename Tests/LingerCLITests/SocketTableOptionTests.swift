import Foundation
import Testing

/// `linger run --ss`: the socket table at the script's ss() calls (and after every
/// event with --ss=each), on the sim and on the kernel, where the host's real ss is
/// the oracle for the sim's rows.
@Suite("linger run --ss", .serialized)
struct SocketTableOptionTests {
    static let script = "Tests/Scripts/orphans-visible-in-ss.pkt"

    /// The reports in `output`: each one's first line (`--- ss -tanoi at ...`) and
    /// the table's lines.
    static func reports(_ output: String) -> [(title: String, lines: [String])] {
        var reports: [(title: String, lines: [String])] = []
        var current: (title: String, lines: [String])?
        for line in output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix("--- ss ") {
                current = (line, [])
            } else if line == "---", let finished = current {
                reports.append(finished)
                current = nil
            } else if current != nil {
                current?.lines.append(line)
            }
        }
        return reports
    }

    /// A table's socket rows without what real time decides: the timers' remaining
    /// time, trailing blanks; -i lines (congestion control and RTT differ) left out.
    static func rows(_ lines: [String]) -> [String] {
        lines.dropFirst().filter { !$0.hasPrefix("\t") }.map { line in
            var text = line
            if let open = text.range(of: "timer:("), let comma = text[open.upperBound...].firstIndex(of: ","),
               let second = text[text.index(after: comma)...].firstIndex(of: ",") {
                text.replaceSubrange(text.index(after: comma)..<second, with: "*")
            }
            while text.last == " " { text.removeLast() }
            return text
        }
    }

    @Test func simPrintsTheTableAtEachSsCall() throws {
        let outcome = try LingerProcess.run(["run", "--ss", Self.script])
        #expect(outcome.status == 0, "\(outcome.standardError)")
        let reports = Self.reports(outcome.standardOutput)
        #expect(reports.map(\.title) == [
            "--- ss -tanoi at 0.300000 s, \(Self.script):38 (ss())",
            "--- ss -tanoi at 0.500000 s, \(Self.script):50 (ss())",
        ])
        guard reports.count == 2 else { return }
        #expect(Self.rows(reports[0].lines) == [
            "LISTEN     0      1        192.168.0.1:8080      0.0.0.0:*",
            "FIN-WAIT-1 0      1        192.168.0.1:8080    192.0.2.1:40000 timer:(on,*,0)",
        ])
        #expect(Self.rows(reports[1].lines) == [
            "LISTEN    0      1        192.168.0.1:8080      0.0.0.0:*",
            "TIME-WAIT 0      0        192.168.0.1:8080    192.0.2.1:40000 timer:(timewait,*,0)",
        ])
    }

    @Test func eachEventAndNone() throws {
        let each = try LingerProcess.run(["run", "--ss=each", Self.script])
        #expect(each.status == 0, "\(each.standardError)")
        // 23 events: a table after each of the 21 others and at the 2 ss() calls.
        let reports = Self.reports(each.standardOutput)
        #expect(reports.count == 23)
        #expect(reports.first?.title == "--- ss -tanoi at 0.000000 s, \(Self.script):25 (socket())")
        let none = try LingerProcess.run(["run", Self.script])
        #expect(none.status == 0)
        #expect(none.standardOutput.isEmpty)
    }

    @Test(.enabled(if: KernelScriptTests.unavailableReason == nil,
                   "skipped: \(KernelScriptTests.unavailableReason ?? "")"),
          .timeLimit(.minutes(1)))
    func kernelRowsMatchTheSim() throws {
        let kernel = try LingerProcess.runOnKernel(["run", "--backend", "kernel", "--ss", Self.script])
        #expect(kernel.status == 0, "\(kernel.standardError)")
        let sim = try LingerProcess.run(["run", "--ss", Self.script])
        let kernelReports = Self.reports(kernel.standardOutput)
        let simReports = Self.reports(sim.standardOutput)
        #expect(kernelReports.count == 2 && simReports.count == 2)
        for (k, s) in zip(kernelReports, simReports) {
            #expect(Self.rows(k.lines) == Self.rows(s.lines), "kernel:\n\(k.lines.joined(separator: "\n"))")
        }
    }
}
