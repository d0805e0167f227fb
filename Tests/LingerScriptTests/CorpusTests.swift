import Foundation
import LingerScript
import Testing

/// Parses every .pkt file under the directories named by LINGER_PKT_CORPUS
/// (colon-separated), e.g. packetdrill's own gtests and the kernel's selftests.
/// The corpora are not part of this repository, so without the variable the
/// test is skipped.
@Suite("External packetdrill corpus")
struct CorpusTests {
    static let corpusDirectories: [String] =
        (ProcessInfo.processInfo.environment["LINGER_PKT_CORPUS"] ?? "")
        .split(separator: ":").map(String.init).filter { !$0.isEmpty }

    /// What packetdrill's test harnesses pass with -D. Only MSS changes what
    /// parses: the PSP scripts write `mss MSS` and packetdrill, too, rejects them
    /// unless MSS is defined as an integer. The cookie is an arbitrary hex string.
    static let harnessDefinitions = [
        "MSS": "1000",
        "TFO_COOKIE": "0011223344556677",
    ]

    static func scripts(under directory: String) -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: directory) else { return [] }
        var found: [String] = []
        while let relative = enumerator.nextObject() as? String {
            if relative.hasSuffix(".pkt") { found.append(directory + "/" + relative) }
        }
        return found.sorted()
    }

    // Skipped unless LINGER_PKT_CORPUS names corpus directories.
    @Test(
        "Every corpus script parses, and its normalized form parses back to the same script",
        .enabled(if: !corpusDirectories.isEmpty, "set LINGER_PKT_CORPUS=dir[:dir...] to run over a packetdrill corpus")
    )
    func corpusParses() throws {
        var failures: [String] = []
        var total = 0
        for directory in Self.corpusDirectories {
            let files = Self.scripts(under: directory)
            #expect(!files.isEmpty, "no .pkt files under \(directory)")
            for file in files {
                total += 1
                guard let data = FileManager.default.contents(atPath: file) else {
                    failures.append("\(file): cannot read")
                    continue
                }
                let source = String(decoding: data, as: UTF8.self)
                let result = ScriptParser.parse(source: source, fileName: file, definitions: Self.harnessDefinitions)
                if !result.isSuccess {
                    failures.append(result.diagnostics.map(\.description).joined(separator: "\n"))
                    continue
                }
                let printed = result.script.normalizedText
                let reparsed = ScriptParser.parse(source: printed, fileName: file + " (normalized)")
                if !reparsed.isSuccess || reparsed.script != result.script {
                    failures.append("\(file): normalized form does not parse back to the same script: "
                        + reparsed.diagnostics.map(\.description).joined(separator: "; "))
                }
            }
        }
        #expect(failures.isEmpty, "\(failures.count) of \(total) scripts failed:\n\(failures.joined(separator: "\n"))")
    }
}
