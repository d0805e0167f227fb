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
}
