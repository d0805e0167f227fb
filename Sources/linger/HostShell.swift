import Foundation
import LingerRun

/// Runs a command line with the host's /bin/sh. The sim backend needs it only for
/// the runner's own commands that evaluate `%{ }%` code blocks with python3.
enum HostShell {
    static func run(_ commandLine: String, in directory: String) -> CommandOutcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", commandLine]
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        do {
            try process.run()
        } catch {
            return CommandOutcome(status: 127, output: "/bin/sh: \(error.localizedDescription)")
        }
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let status = process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
        return CommandOutcome(status: status, output: output)
    }
}
