#if os(Linux)
import CLingerLinux
import Glibc
import LingerRun

/// A script's shell command, run with `/bin/sh -c`.
enum ShellCommand {
    /// Spawns the shell from `thread` (which fixes the command's network namespace),
    /// collects its output from this thread and waits for it.
    static func run(_ commandLine: String, in directory: String, spawningOn thread: WorkerThread) throws(BackendError)
        -> CommandOutcome
    {
        guard !commandLine.utf8.contains(0), !directory.utf8.contains(0) else {
            throw BackendError("a command line or directory with a NUL byte cannot be passed to /bin/sh")
        }
        var ends: [Int32] = [-1, -1]
        guard clinger_pipe2(&ends, closeOnExecFlag) == 0 else {
            throw BackendError("cannot make a pipe for a command's output: \(errnoDescription(errno))")
        }
        let (readEnd, writeEnd) = (ends[0], ends[1])
        let (error, pid): (Int32, Int32) = thread.perform {
            var pid: Int32 = 0
            let error = clinger_spawn_shell(commandLine, directory, writeEnd, &pid)
            return (error, pid)
        }
        close(writeEnd)
        guard error == 0 else {
            close(readEnd)
            throw BackendError("cannot run /bin/sh -c \(commandLine) in \(directory): \(errnoDescription(error))")
        }
        defer { close(readEnd) }

        // Read until the shell exits, then take what is left without waiting: a
        // background child may hold the pipe open long after.
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        var status: Int32 = 0
        while true {
            var revents: Int16 = 0
            var endOfOutput = false
            if clinger_poll_one(readEnd, Int16(POLLIN), 20_000_000, &revents) > 0 {
                let count = chunk.withUnsafeMutableBytes { Glibc.read(readEnd, $0.baseAddress, $0.count) }
                if count > 0 { output.append(contentsOf: chunk[0..<count]) }
                endOfOutput = count == 0
            }
            if try reap(pid, &status, wait: endOfOutput) { break }
        }
        _ = clinger_fcntl(readEnd, F_SETFL, Int(O_NONBLOCK))
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(readEnd, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            output.append(contentsOf: chunk[0..<count])
        }
        return CommandOutcome(status: exitStatus(status), output: String(decoding: output, as: UTF8.self))
    }

    /// Whether the child has exited (its wait status in `status`).
    private static func reap(_ pid: Int32, _ status: inout Int32, wait: Bool) throws(BackendError) -> Bool {
        while true {
            let result = waitpid(pid, &status, wait ? 0 : WNOHANG)
            if result == pid { return true }
            if result == 0 { return false }
            if errno == EINTR { continue }
            throw BackendError("cannot wait for command process \(pid): \(errnoDescription(errno))")
        }
    }

    /// The shell's exit code, or 128 + the signal that killed it.
    private static func exitStatus(_ status: Int32) -> Int32 {
        let signal = status & 0x7F
        return signal == 0 ? (status >> 8) & 0xFF : 128 + signal
    }
}
#endif
