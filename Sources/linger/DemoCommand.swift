import ArgumentParser
import Foundation
import LingerObserve
import LingerRun
import LingerScript

/// `linger demo`: the seed scenarios, built in, run and told as stories.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run a built-in scenario and tell it as a story; without a name, list them.",
        discussion: """
            Each demo is a packetdrill script built into linger: two applications \
            and the packets between them. `linger demo NAME` runs it on Linger's \
            stack in virtual time and prints what the applications do, the trace \
            (every packet, system call and state change, with the stack's reason \
            and the counters it moved), the socket table as ss shows it at the \
            moments that matter, the counters in nstat's form, why Linux behaves \
            so, and what an application should do about it.

            --backend kernel runs the same script on the live kernel in a private \
            network namespace (root, real time; a demo that waits hours on the sim \
            waits seconds there, as its story says) so the two can be compared.

            Examples:
              linger demo                                    the list
              linger demo pipelining-rst                     one story
              linger demo pipelining-rst --html report.html  ... and its ladder diagram
              sudo linger demo pipelining-rst --backend kernel
              linger demo pipelining-rst --script > x.pkt    the script, to change and run
            """
    )

    @Argument(help: "The demo to run (see the list).")
    var name: String?

    @Option(help: "Where to run: sim (Linger's own stack, virtual time) or kernel (the live Linux kernel).")
    var backend: RunCommand.BackendKind = .sim

    @Option(help: ArgumentHelp("Also write the run's HTML ladder diagram report to FILE.", valueName: "FILE"))
    var html: String?

    @Flag(help: "Print the demo's script (for --backend kernel, the kernel's version) instead of running it.")
    var script = false

    func validate() throws {
        if name == nil, html != nil || script {
            throw ValidationError("--html and --script need a demo name; the demos:\n" + Demo.listText)
        }
        if let name, Demo.named(name) == nil {
            throw ValidationError("no demo called '\(name)'; the demos are:\n" + Demo.listText)
        }
    }

    func run() throws {
        guard let name, let demo = Demo.named(name) else {
            print(Demo.listText, terminator: "")
            return
        }
        let source = demo.script(onKernel: backend == .kernel)
        if script {
            print(source, terminator: source.hasSuffix("\n") ? "" : "\n")
            return
        }
        RunCommand.allowInterruption()
        let path = "\(demo.name).pkt"
        let parsed = ScriptParser.parse(source: source, fileName: path, definitions: [:])
        guard parsed.isSuccess else {
            throw DemoFailure(parsed.diagnostics.map(\.description).joined(separator: "\n"))
        }
        let configuration: RunConfiguration
        do {
            configuration = try RunConfiguration.make(scriptOptions: parsed.script.options, commandLine: [], scriptPath: path)
        } catch {
            throw DemoFailure(error.message)
        }
        let world: any Backend
        do {
            world = try RunCommand.makeBackend(backend, configuration)
        } catch {
            throw DemoFailure("\(path): \(error.message)")
        }
        let runner = ScriptRunner(script: parsed.script, scriptPath: path, configuration: configuration, backend: world, trace: nil)
        let recorder = TraceRecorder()
        recorder.attach(to: runner)
        // Where each ss() table falls: after how many packets, calls and state changes.
        var packets = 0, calls = 0
        let recordPacket = runner.packetObserver
        runner.packetObserver = { packet in
            recordPacket?(packet)
            packets += 1
        }
        let recordCall = runner.callObserver
        runner.callObserver = { call in
            recordCall?(call)
            calls += 1
        }
        var stateChanges = 0
        let recordExplanation = runner.explanationObserver
        runner.explanationObserver = { explanation in
            recordExplanation?(explanation)
            if case .stateChange = explanation.event { stateChanges += 1 }
        }
        var tables: [DemoStory.Table] = []
        runner.socketTables = (.calls, { report in
            tables.append(DemoStory.Table(report: report, packetsBefore: packets, callsBefore: calls,
                                          stateChangesBefore: stateChanges))
        })
        let result = runner.run()
        let trace = recorder.trace()
        if let html {
            let page = HTMLReport(title: "linger demo \(demo.name)", trace: trace, verdict: result.message ?? "passed",
                                  backend: backend.rawValue).render()
            if let problem = ScriptFiles.write(Array(page.utf8), to: html) {
                throw DemoFailure("cannot write \(html): \(problem)")
            }
        }
        for warning in result.warnings { ScriptFiles.printError("\(path): warning: \(warning)") }
        guard result.verdict == .passed else {
            // The story would be wrong: show what ran and where it differed.
            print(trace.text, terminator: "")
            throw DemoFailure(result.message ?? "\(path): failed")
        }
        let story = DemoStory(demo: demo, backend: backend.rawValue, trace: trace, socketTables: tables,
                              counters: result.counterChanges ?? [])
        print(story.text, terminator: "")
    }
}

/// A demo that could not run or did not behave as its script says: printed on
/// standard error, exit status 1.
struct DemoFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
