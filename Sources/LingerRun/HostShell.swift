import Foundation

/// Runs a command line with the host's /bin/sh. A simulated backend needs it only
/// for the runner's own commands that evaluate `%{ }%` code blocks with python3.
public enum HostShell {
    /// Runs `commandLine` with `/bin/sh -c` in `directory`, returning its exit status
    /// (128 + the signal's number when a signal ended it) and its interleaved output.
    public static func run(_ commandLine: String, in directory: String) -> CommandOutcome {
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
