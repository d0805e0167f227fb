import ArgumentParser
import Foundation
import LingerScript

/// `linger parse`: checks packetdrill scripts and prints them in normalized form.
struct ParseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parse",
        abstract: "Check packetdrill scripts and print them in a normalized form.",
        discussion: """
            Reads each script with the same grammar packetdrill uses (options, \
            packets, system calls, `shell commands`, %{ python }% blocks) and prints \
            it back in one canonical layout: one event per line, times in seconds, \
            single spaces. A directory stands for every .pkt file under it, in \
            sorted order.

            Problems go to standard error as file:line:column: expected ..., found ..., \
            and reading continues after each one so that a single run reports them all. \
            The exit status is 0 only when every script parses.

            Examples:
              linger parse close.pkt             print the normalized script
              linger parse Tests/Scripts -q      check a folder: errors and a summary
              linger parse -D MSS=1412 psp/      define a symbol, as packetdrill -D does
            """
    )

    @Argument(help: ArgumentHelp("Script files or directories (searched recursively for .pkt files).", valueName: "file-or-dir"))
    var paths: [String] = []

    @Flag(name: [.short, .long], help: "Print only errors and a summary line, not the normalized scripts.")
    var quiet = false

    @Option(
        name: [.customShort("D"), .customLong("define")],
        help: ArgumentHelp(
            "Define a symbol, as packetdrill's -D/--define: the word NAME in the scripts' events reads as value (repeatable).",
            valueName: "NAME=value"))
    var definitions: [String] = []

    func validate() throws {
        if paths.isEmpty {
            throw ValidationError("give at least one script file or directory, e.g. 'linger parse close.pkt' or 'linger parse Tests/Scripts'")
        }
        for definition in definitions where definition.firstIndex(of: "=").map({ $0 == definition.startIndex }) ?? true {
            throw ValidationError("-D needs NAME=value, got '\(definition)'")
        }
    }

    func run() throws {
        var symbols: [String: String] = [:]
        for definition in definitions {
            if let equals = definition.firstIndex(of: "=") {
                symbols[String(definition[..<equals])] = String(definition[definition.index(after: equals)...])
            }
        }
        var files: [String] = []
        var failures = 0
        for path in paths {
            switch ScriptFiles.expand(path) {
            case .success(let found):
                if found.isEmpty {
                    ScriptFiles.printError("linger: no .pkt files under \(path)")
                    failures += 1
                }
                files += found
            case .failure(let problem):
                ScriptFiles.printError("linger: \(problem.message)")
                failures += 1
            }
        }
        var accepted = 0
        var rejected = 0
        for file in files {
            guard let source = ScriptFiles.read(file) else {
                ScriptFiles.printError("linger: cannot read \(file)")
                rejected += 1
                continue
            }
            let result = ScriptParser.parse(source: source, fileName: file, definitions: symbols)
            if result.isSuccess {
                accepted += 1
                if !quiet {
                    if files.count > 1 { print("// \(file)") }
                    print(result.script.normalizedText, terminator: "")
                }
            } else {
                rejected += 1
                for diagnostic in result.diagnostics {
                    ScriptFiles.printError(diagnostic.description)
                }
            }
        }
        let summary = "parsed \(files.count) script\(files.count == 1 ? "" : "s"): \(accepted) ok, \(rejected) with errors"
        if quiet {
            print(summary)
        } else if files.count > 1 || rejected > 0 {
            ScriptFiles.printError(summary)
        }
        if rejected > 0 || failures > 0 {
            throw ExitCode(1)
        }
    }
}
