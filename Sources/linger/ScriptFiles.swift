import Foundation

/// Finding and reading script files.
enum ScriptFiles {
    struct Problem: Error {
        var message: String
    }

    /// The file itself, or every .pkt file under a directory (sorted).
    static func expand(_ path: String) -> Result<[String], Problem> {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            return .failure(Problem(message: "no such file or directory: \(path)"))
        }
        guard isDirectory.boolValue else { return .success([path]) }
        guard let enumerator = FileManager.default.enumerator(atPath: path) else {
            return .failure(Problem(message: "cannot list directory \(path)"))
        }
        var found: [String] = []
        while let relative = enumerator.nextObject() as? String {
            if relative.hasSuffix(".pkt") {
                found.append((path as NSString).appendingPathComponent(relative))
            }
        }
        return .success(found.sorted())
    }

    /// The file's text (bytes that are not UTF-8 are replaced), or nil when it cannot be read.
    static func read(_ path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    /// Whether `path` names a directory.
    static func isDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    /// Writes `bytes` to `path`, replacing it; nil on success, else why not.
    static func write(_ bytes: [UInt8], to path: String) -> String? {
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            return nil
        } catch {
            return error.localizedDescription
        }
    }

    static func printError(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
