import Foundation
import Testing

/// `linger demo`: the built-in scenarios, their stories, and their scripts on the
/// live kernel as the oracle for the sim.
@Suite("linger demo", .serialized)
struct DemoCommandTests {
    /// The demo names, from `linger demo`'s list.
    static let names: [String] = {
        guard let outcome = try? LingerProcess.run(["demo"]) else { return [] }
        return outcome.standardOutput.split(separator: "\n").compactMap { $0.split(separator: " ").first.map(String.init) }
    }()

    @Test func listHasOneLinePerScenario() throws {
        let outcome = try LingerProcess.run(["demo"])
        #expect(outcome.status == 0)
        let lines = outcome.standardOutput.split(separator: "\n")
        // Twelve seed scenarios (spec section 11) and TIME_WAIT port exhaustion.
        #expect(lines.count == 13)
        #expect(Set(Self.names).count == 13)
        for name in ["time-wait", "close-wait-leak", "pipelining-rst", "graceful-shutdown", "simultaneous-close", "port-exhaustion"] {
            #expect(Self.names.contains(name), "\(name) missing")
        }
    }

    @Test func unknownNameListsTheDemos() throws {
        let outcome = try LingerProcess.run(["demo", "no-such-demo"])
        #expect(outcome.status != 0)
        #expect(outcome.standardError.contains("no demo called 'no-such-demo'"))
        for name in Self.names { #expect(outcome.standardError.contains(name)) }
    }

    @Test(arguments: names)
    func storyOnTheSim(name: String) throws {
        let outcome = try LingerProcess.run(["demo", name], in: FileManager.default.temporaryDirectory)
        #expect(outcome.status == 0, "\(name): \(outcome.standardError)")
        #expect(outcome.standardError.isEmpty, "\(name): \(outcome.standardError)")
        let text = outcome.standardOutput
        for heading in ["What the applications do", "What happened", "Counters the run moved (nstat)",
                        "Why Linux does this", "What an application should do"] {
            #expect(text.contains("\n" + heading + "\n"), "\(name): no \(heading)")
        }
        // The trace: packets in tcpdump form and the stack's reasons with kernel functions.
        #expect(text.contains(" > IP 192."), "\(name): no outbound packet")
        #expect(text.contains("-> tcp_"), "\(name): no reason naming a kernel function")
        #expect(text.contains("state "), "\(name): no state change")
        // ss at the script's ss() points, in ss's own header form.
        #expect(text.contains("$ ss -tanoi   (at "), "\(name): no ss table")
        #expect(text.contains("State ") && text.contains("Local Address:Port"), "\(name): no ss header")
        // The counters in nstat's form.
        #expect(text.contains("\n#kernel\n"), "\(name): no nstat block")
        #expect(text.contains("\nTcpInSegs "), "\(name): no TcpInSegs")
    }

    @Test func scriptIsPrintedAndRunsWithLingerRun() throws {
        let outcome = try LingerProcess.run(["demo", "pipelining-rst", "--script"])
        #expect(outcome.status == 0)
        #expect(outcome.standardOutput.contains("close(4) = 0"))
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("linger-demo-\(getpid()).pkt").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try outcome.standardOutput.write(toFile: path, atomically: true, encoding: .utf8)
        let run = try LingerProcess.run(["run", path])
        #expect(run.status == 0, "\(run.standardError)")
    }

    @Test func htmlReportForADemo() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("linger-demo-\(getpid()).html").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let outcome = try LingerProcess.run(["demo", "linger-zero", "--html", path])
        #expect(outcome.status == 0, "\(outcome.standardError)")
        let page = try String(contentsOfFile: path, encoding: .utf8)
        #expect(page.hasPrefix("<!DOCTYPE html>"))
        #expect(page.contains("SO_LINGER {1, 0}"))
    }

    /// The part of a story between two headings.
    static func section(_ text: String, from start: String, to end: String) -> String? {
        guard let from = text.range(of: "\n" + start + "\n"), let to = text.range(of: "\n" + end + "\n", range: from.upperBound..<text.endIndex)
        else { return nil }
        return String(text[from.upperBound..<to.lowerBound])
    }

    /// The State column of every table in the trace section, in order.
    static func socketStates(_ text: String) -> [String] {
        var states: [String] = []
        var inTable = false
        for line in text.split(separator: "\n") {
            let trimmed = line.drop(while: { $0 == " " })
            if trimmed.hasPrefix("$ ss ") { inTable = true; states.append("|"); continue }
            guard inTable else { continue }
            if trimmed.hasPrefix("State ") { continue }
            if line.hasPrefix(String(repeating: " ", count: 13)), let first = trimmed.split(separator: " ").first,
               first.allSatisfy({ $0.isUppercase || $0 == "-" }), !first.isEmpty {
                states.append(String(first))
            } else if !line.hasPrefix(String(repeating: " ", count: 13)) {
                inTable = false
            }
        }
        return states
    }

    /// Each demo on the live kernel: the script passes, and the sim's story moves
    /// the same counters by the same amounts and shows the same socket states at
    /// each ss() point.
    @Test(
        .enabled(if: KernelScriptTests.unavailableReason == nil, "skipped: \(KernelScriptTests.unavailableReason ?? "")"),
        .timeLimit(.minutes(2)),
        arguments: names)
    func kernelAgreesWithTheSim(name: String) throws {
        let kernel = try LingerProcess.runOnKernel(["demo", "--backend", "kernel", name])
        #expect(kernel.status == 0, "\(name) failed on the kernel:\n\(kernel.standardError)")
        #expect(kernel.standardError.isEmpty, "\(name): \(kernel.standardError)")
        guard kernel.status == 0 else { return }
        let sim = try LingerProcess.run(["demo", name])
        let counters = "Counters the run moved (nstat)", why = "Why Linux does this"
        let kernelCounters = Self.section(kernel.standardOutput, from: counters, to: why)
        let simCounters = Self.section(sim.standardOutput, from: counters, to: why)
        #expect(kernelCounters != nil && kernelCounters == simCounters,
                "\(name): counters differ\n--- sim\n\(simCounters ?? "")--- kernel\n\(kernelCounters ?? "")")
        let trace = "What happened"
        let kernelStates = Self.socketStates(Self.section(kernel.standardOutput, from: trace, to: counters) ?? "")
        let simStates = Self.socketStates(Self.section(sim.standardOutput, from: trace, to: counters) ?? "")
        #expect(!kernelStates.isEmpty && kernelStates == simStates, "\(name): ss states differ: sim \(simStates), kernel \(kernelStates)")
    }
}
