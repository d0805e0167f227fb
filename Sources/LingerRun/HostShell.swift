import Foundation

/// Runs a command line with the host's /bin/sh. A simulated backend needs it only
/// for the runner's own commands that evaluate `%{ }%` code blocks with python3,
/// and for text tools a script pipes `ss` or `nstat` into.
public enum HostShell {
    /// Runs `commandLine` with `/bin/sh -c` in `directory`, returning its exit status
    /// (128 + the signal's number when a signal ended it) and its interleaved output.
    /// A line that is one program and plain words (nothing the shell would expand,
    /// quote, redirect or treat as a builtin) runs that program directly: the same
    /// result without starting a shell.
    public static func run(_ commandLine: String, in directory: String) -> CommandOutcome {
        if let words = plainWords(commandLine), let executable = executablePath(words[0], in: directory) {
            return launch(executable, Array(words.dropFirst()), in: directory)
        }
        return launch("/bin/sh", ["-c", commandLine], in: directory)
    }

    static func launch(_ executable: String, _ arguments: [String], in directory: String) -> CommandOutcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        do {
            try process.run()
        } catch {
            return CommandOutcome(status: 127, output: "\(executable): \(error.localizedDescription)")
        }
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let status = process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
        return CommandOutcome(status: status, output: output)
    }

    /// The shell's builtins and reserved words (POSIX and dash's): they mean something
    /// else, or behave differently, as programs.
    static let shellWords: Set<String> = [
        ".", ":", "[", "alias", "bg", "break", "cd", "command", "continue", "echo", "eval", "exec", "exit", "export",
        "false", "fc", "fg", "getopts", "hash", "jobs", "kill", "local", "printf", "pwd", "read", "readonly", "return",
        "set", "shift", "test", "times", "trap", "true", "type", "ulimit", "umask", "unalias", "unset", "wait",
        "if", "then", "else", "elif", "fi", "case", "esac", "for", "while", "until", "do", "done", "in", "!", "{", "}",
    ]

    /// The words of a line the shell would split on blanks and otherwise leave alone;
    /// nil when it has any other syntax (quotes, `$`, globs, `~`, redirections,
    /// separators, an assignment) or starts with a builtin.
    static func plainWords(_ commandLine: String) -> [String]? {
        let words = commandLine.split(separator: " ").map(String.init)
        guard let first = words.first, !shellWords.contains(first), !first.contains("=") else { return nil }
        for word in words {
            for byte in word.utf8 {
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"):
                    continue
                case UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "/"), UInt8(ascii: ","), UInt8(ascii: ":"),
                    UInt8(ascii: "="), UInt8(ascii: "@"), UInt8(ascii: "%"), UInt8(ascii: "+"), UInt8(ascii: "-"):
                    continue
                default:
                    return nil
                }
            }
        }
        return words
    }

    /// Where the shell would find `program`: a path as given (relative to
    /// `directory`), else the first executable file of that name on PATH; nil when
    /// there is none (the shell then reports it, in its own words).
    static func executablePath(_ program: String, in directory: String) -> String? {
        func isExecutableFile(_ path: String) -> Bool {
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
                && FileManager.default.isExecutableFile(atPath: path)
        }
        if program.contains("/") {
            let path = program.hasPrefix("/") ? program : directory + "/" + program
            return isExecutableFile(path) ? path : nil
        }
        let searchPath = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for entry in searchPath.split(separator: ":", omittingEmptySubsequences: false) {
            let base = entry.isEmpty ? "." : String(entry)
            let path = (base.hasPrefix("/") ? base : directory + "/" + base) + "/" + program
            if isExecutableFile(path) { return path }
        }
        return nil
    }
}
