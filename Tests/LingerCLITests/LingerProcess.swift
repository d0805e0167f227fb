import Foundation

/// Runs the `linger` executable built beside the test bundle and captures what it prints.
struct LingerProcess {
    /// What one run of `linger` produced.
    struct Outcome {
        var status: Int32
        var standardOutput: String
        var standardError: String
    }

    /// The repository's root, found from this file's path.
    static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // LingerCLITests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()

    /// The `linger` binary: SwiftPM puts it in the same folder as the test bundle.
    static var executable: URL {
        let bundleFolder = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var folder = bundleFolder.deletingLastPathComponent()
        // On Linux the test runner is `<build>/debug/LingerPackageTests.xctest`; walk up until `linger` appears.
        for _ in 0..<4 {
            let candidate = folder.appendingPathComponent("linger")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            folder = folder.deletingLastPathComponent()
        }
        return folder.appendingPathComponent("linger")
    }

    /// Runs `linger` with `arguments`, feeding `input` to its standard input.
    static func run(_ arguments: [String], input: String? = nil, in directory: URL = repositoryRoot) throws -> Outcome {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = directory
        let output = Pipe(), error = Pipe(), inputPipe = Pipe()
        process.standardOutput = output
        process.standardError = error
        process.standardInput = inputPipe
        try process.run()
        if let input { inputPipe.fileHandleForWriting.write(Data(input.utf8)) }
        try inputPipe.fileHandleForWriting.close()
        // Read both pipes before waiting so a large output cannot block the child.
        let outData = output.fileHandleForReading.readDataToEndOfFile()
        let errData = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(
            status: process.terminationStatus,
            standardOutput: String(decoding: outData, as: UTF8.self),
            standardError: String(decoding: errData, as: UTF8.self)
        )
    }

    /// How many times a kernel-backend run is tried when it fails on timing alone.
    static let kernelAttempts = 3

    /// Runs `linger` on the live kernel, trying again (up to ``kernelAttempts``
    /// runs in all) when a run's only failure is a timing error. The kernel runs
    /// in real time, and on a shared virtual machine the runner can lose the CPU
    /// for a tenth of a second, long enough to miss a 50 ms tolerance, as real
    /// packetdrill would. Any other failure, or a timing error in every attempt,
    /// is returned as it is, so a script whose times are wrong still fails.
    static func runOnKernel(_ arguments: [String]) throws -> Outcome {
        var outcome = try run(arguments)
        var attempt = 1
        while attempt < kernelAttempts, failedOnTimingAlone(outcome) {
            let firstLine = outcome.standardError.split(separator: "\n").first ?? ""
            FileHandle.standardError.write(Data("note: linger \(arguments.joined(separator: " ")) missed its timing (\(firstLine)); running it again\n".utf8))
            // Let a stall of the machine pass before the next try.
            Thread.sleep(forTimeInterval: 2)
            outcome = try run(arguments)
            attempt += 1
        }
        return outcome
    }

    /// Whether a run failed and every error it printed is a timing error.
    static func failedOnTimingAlone(_ outcome: Outcome) -> Bool {
        guard outcome.status != 0 else { return false }
        // Error lines name the script's file and line; the script and actual
        // packet lines that follow a packet's timing error belong to it.
        let errors = outcome.standardError.split(separator: "\n").filter {
            !$0.hasPrefix(" ") && !$0.hasPrefix("script packet:") && !$0.hasPrefix("actual packet:")
        }
        return !errors.isEmpty && errors.allSatisfy { $0.contains(": timing error: ") }
    }
}
