public import LingerRun

/// One effect of a script's shell command on the sim.
public enum SysctlCommandAction: Equatable, Sendable {
    /// A sysctl was written; the value is already applied to the `Sysctls`.
    case assign(name: String, value: String)
    /// Linux refuses this write; the `Sysctls` keep their old value (or, for a
    /// vector, the numbers before the bad one).
    case rejected(name: String, value: String, error: SysctlError)
    /// A command that only concerns the host (qdiscs, offloads, routes, files
    /// outside /proc/sys, ...), not run; the reason says what the sim lacks.
    case skip(command: String, reason: String)
    /// `ip tcp_metrics flush`: forget cached per-destination metrics.
    case flushTCPMetrics
}

/// Where a command is: in the command line itself (`file` nil) or in a
/// shell script it called. Lines and columns count from 1.
public struct SysctlCommandPosition: Equatable, Sendable, CustomStringConvertible {
    /// The script file, nil for the command line given to `run`.
    public var file: String?
    /// The line within the command line or file.
    public var line: Int
    /// The column of the command's first character.
    public var column: Int

    public var description: String {
        (file.map { "\($0):" } ?? "") + "\(line):\(column)"
    }
}

/// A command the sim cannot interpret.
public enum SysctlCommandError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A command (or command form) Linger does not know what to do with.
    case unsupportedCommand(command: String, at: SysctlCommandPosition, reason: String)
    /// Shell syntax outside the supported subset, or malformed.
    case syntax(message: String, at: SysctlCommandPosition)
    /// Scripts calling scripts deeper than the limit (a loop, most likely).
    case tooDeep(script: String, at: SysctlCommandPosition, limit: Int)

    public var description: String {
        switch self {
        case .unsupportedCommand(let command, let position, let reason):
            return "\(position): unsupported command `\(command)`: \(reason)"
        case .syntax(let message, let position):
            return "\(position): \(message)"
        case .tooDeep(let script, let position, let limit):
            return "\(position): \(script) nests scripts deeper than \(limit)"
        }
    }
}

/// What running a command line did.
public struct SysctlCommandResult: Equatable, Sendable {
    /// Every effect, in order (including those of called scripts).
    public var actions: [SysctlCommandAction]
    /// The exit status /bin/sh would give: that of the last command run.
    /// Packetdrill fails a script whose command exits nonzero.
    public var exitStatus: Int32
    /// What the commands wrote to standard output and standard error that no
    /// redirection took: `ss` tables, `nstat` lines, the output of host text
    /// tools in their pipelines, ss's error lines.
    public var output: String = ""
}

/// What the interpreter may look at outside the `Sysctls`.
public struct SysctlCommandEnvironment {
    /// The shell's working directory: the directory of the .pkt script.
    /// Relative script paths, at every depth, resolve against it (as in sh).
    public var directory: String
    /// Reads a file by path; nil if it does not exist. (No Foundation here.)
    public var readFile: (String) -> String?
    /// For `nstat`: returns the counters (nstat name, value) in nstat's order,
    /// absolute values or changes since the history, and when `updateHistory`
    /// is true moves the history to now (nstat without -s does). Zero values
    /// may be included; the interpreter drops them as nstat does. Nil: nstat
    /// commands are an error.
    public var counters: ((_ absolute: Bool, _ updateHistory: Bool) -> [(name: String, value: Int64)])?
    /// For `ss`: the stack's sockets now. Nil: ss commands are an error.
    public var snapshot: (() -> StackSnapshot)?
    /// Runs a command line with the host's /bin/sh in ``directory``: the text
    /// tools (grep, wc, awk, ...) that follow `ss` or `nstat` in a pipeline, fed
    /// their text, and redirections of it into files. Nil: only `grep [-q] TEXT`
    /// stages are understood (read by the interpreter itself).
    public var hostShell: ((_ commandLine: String) -> CommandOutcome)?
    /// How deep scripts may call scripts.
    public var depthLimit: Int

    /// Creates an environment.
    public init(
        directory: String,
        readFile: @escaping (String) -> String?,
        counters: ((_ absolute: Bool, _ updateHistory: Bool) -> [(name: String, value: Int64)])? = nil,
        snapshot: (() -> StackSnapshot)? = nil,
        hostShell: ((_ commandLine: String) -> CommandOutcome)? = nil,
        depthLimit: Int = 8
    ) {
        self.directory = directory
        self.readFile = readFile
        self.counters = counters
        self.snapshot = snapshot
        self.hostShell = hostShell
        self.depthLimit = depthLimit
    }
}

/// The sim's stand-in for `/bin/sh -c` on a script's backtick commands: it
/// understands the commands test scripts use to configure TCP and applies
/// them to a `Sysctls`.
///
/// Shell subset: words with '...' and "..." quoting and backslash escapes,
/// `$((arithmetic))`, `$PPID`/`${PPID}`, `#` comments, backslash-newline
/// continuations; commands joined by newlines, `;`, `&&`, `||` and `|`;
/// redirections `>`, `>|`, `>>`, `<`, `2>`, `2>&1`, `&>` (discarded, except
/// writes into /proc/sys).
///
/// Commands:
/// - `sysctl [-q] [-w] [-e] [-n] NAME=VALUE... | NAME...` (dotted or slash
///   names; `-e` ignores unknown names; `-p FILE` loads NAME = VALUE lines);
/// - `echo [-n] VALUE > /proc/sys/...` and `printf FORMAT [ARG...] > ...`
///   (also `>|`, `>>`);
/// - `cat /proc/sys/...` (a read: no effect);
/// - shell scripts: `./x.sh`, `../common/defaults.sh`, `sh x.sh`, `bash x.sh`,
///   `source x.sh`, `. x.sh`, read with `readFile` and interpreted the same way
///   (`exit [N]` ends a script);
/// - `.../set_sysctls.py /proc/sys/...=VALUE...` (the test suites' helper:
///   it saves the old values and, like the real one, ignores refused writes)
///   and `/tmp/sysctl_restore_${PPID}.sh` (puts the saved values back);
/// - `nstat [-n] [-s] [-a] [-z]` and `ss [OPTIONS] [state NAME] [FILTER]`
///   (``SocketTableOptions``; the table of the stack's sockets), printing what
///   the real ones print; alone, redirected, or first in a pipeline whose other
///   stages are host text tools (grep, egrep, fgrep, wc, awk, sed, head, tail,
///   sort, uniq, cut, tr, cat): those run with the host's /bin/sh
///   (``SysctlCommandEnvironment/hostShell``) on our text, so the pipeline's exit
///   status is theirs (without a host shell, only `grep [-q] TEXT` stages);
/// - `ip tcp_metrics flush ...` (`flushTCPMetrics`);
/// - `true`, `:`, `false`;
/// - skipped on purpose, with the reason: `tc`, `ethtool`, `ip link`,
///   `ip route`, `ip addr`, other `ip tcp_metrics`, `sleep` (virtual time
///   does not pass inside a command), `rm`/`dd`/`touch`/`mkdir` (no file
///   system), `grep ... /proc/net/...` (host socket tables), writes under
///   /sys/module (module parameters).
///
/// Anything else throws `SysctlCommandError` naming the command and where.
public enum SysctlCommands {
    /// Runs a command line against `sysctls`, as `/bin/sh -c` would.
    public static func run(
        _ commandLine: String, sysctls: inout Sysctls, environment: SysctlCommandEnvironment
    ) throws(SysctlCommandError) -> SysctlCommandResult {
        var interpreter = Interpreter(environment: environment)
        let status = try interpreter.run(commandLine, file: nil, depth: 0, sysctls: &sysctls)
        return SysctlCommandResult(actions: interpreter.actions, exitStatus: status.code, output: interpreter.output)
    }

    /// Joins a directory and a path lexically, resolving `.` and `..`.
    public static func resolve(_ path: String, in directory: String) -> String {
        let joined = path.hasPrefix("/") ? path : directory + "/" + path
        var parts: [Substring] = []
        for part in joined.split(separator: "/") {
            if part == "." { continue }
            if part == ".." {
                if let last = parts.last, last != ".." {
                    parts.removeLast()
                } else if !joined.hasPrefix("/") {
                    parts.append(part)
                }
                continue
            }
            parts.append(part)
        }
        let body = parts.joined(separator: "/")
        return joined.hasPrefix("/") ? "/" + body : (body.isEmpty ? "." : body)
    }
}

// MARK: - Shell words

/// A word after quote removal and expansion.
struct ShellWord: Equatable {
    var text: String
    var position: SysctlCommandPosition
}

enum ShellToken: Equatable {
    case word(ShellWord)
    /// ";", "\n", "&&", "||", "|", "&"
    case separator(String, SysctlCommandPosition)
    /// A redirection operator with its file descriptor: ">", ">>", ">|", "<",
    /// "&>", ">&", "<&".
    case redirect(String, fd: Int?, SysctlCommandPosition)
}

/// Splits shell text into tokens (quotes removed, expansions done).
struct ShellLexer {
    private let characters: [Character]
    private var index = 0
    private var line = 1
    private var column = 1
    private let file: String?

    init(_ text: String, file: String?) {
        self.characters = Array(text)
        self.file = file
    }

    private var position: SysctlCommandPosition {
        SysctlCommandPosition(file: file, line: line, column: column)
    }

    private func peek(_ offset: Int = 0) -> Character? {
        let at = index + offset
        return at < characters.count ? characters[at] : nil
    }

    private mutating func advance() {
        guard index < characters.count else { return }
        if characters[index] == "\n" {
            line += 1
            column = 1
        } else {
            column += 1
        }
        index += 1
    }

    private func syntax(_ message: String, _ at: SysctlCommandPosition) -> SysctlCommandError {
        .syntax(message: message, at: at)
    }

    mutating func tokens() throws(SysctlCommandError) -> [ShellToken] {
        var tokens: [ShellToken] = []
        while let character = peek() {
            let start = position
            switch character {
            case " ", "\t", "\r":
                advance()
            case "\\" where peek(1) == "\n":
                advance()
                advance()
            case "#":
                while let next = peek(), next != "\n" { advance() }
            case "\n", ";":
                advance()
                tokens.append(.separator(String(character), start))
            case "&":
                advance()
                if peek() == "&" {
                    advance()
                    tokens.append(.separator("&&", start))
                } else if peek() == ">" {
                    advance()
                    tokens.append(.redirect("&>", fd: nil, start))
                } else {
                    tokens.append(.separator("&", start))
                }
            case "|":
                advance()
                if peek() == "|" {
                    advance()
                    tokens.append(.separator("||", start))
                } else {
                    tokens.append(.separator("|", start))
                }
            case ">", "<":
                tokens.append(lexRedirect(fd: nil, start))
            case "(", ")":
                throw syntax("subshells and grouping with ( ) are not supported", start)
            default:
                // A word; digits right before > or < are a descriptor number.
                if character.isNumber {
                    var length = 0
                    while let next = peek(length), next.isNumber { length += 1 }
                    if let after = peek(length), after == ">" || after == "<" {
                        var digits = ""
                        for _ in 0..<length {
                            if let next = peek() { digits.append(next) }
                            advance()
                        }
                        tokens.append(lexRedirect(fd: Int(digits), start))
                        continue
                    }
                }
                tokens.append(.word(try lexWord(start)))
            }
        }
        return tokens
    }

    private mutating func lexRedirect(fd: Int?, _ start: SysctlCommandPosition) -> ShellToken {
        let first = peek() ?? ">"
        advance()
        var op = String(first)
        if first == ">", let next = peek(), next == ">" || next == "|" || next == "&" {
            op.append(next)
            advance()
        } else if first == "<", peek() == "&" {
            op.append("&")
            advance()
        }
        return .redirect(op, fd: fd, start)
    }

    private mutating func lexWord(_ start: SysctlCommandPosition) throws(SysctlCommandError) -> ShellWord {
        var text = ""
        while let character = peek() {
            switch character {
            case " ", "\t", "\r", "\n", ";", "&", "|", "<", ">", "(", ")":
                return ShellWord(text: text, position: start)
            case "\\":
                advance()
                if let next = peek() {
                    if next != "\n" { text.append(next) }
                    advance()
                }
            case "'":
                let quoteStart = position
                advance()
                while let next = peek(), next != "'" {
                    text.append(next)
                    advance()
                }
                guard peek() == "'" else { throw syntax("unterminated single quote", quoteStart) }
                advance()
            case "\"":
                let quoteStart = position
                advance()
                while let next = peek(), next != "\"" {
                    if next == "\\", let escaped = peek(1), "\"\\$`\n".contains(escaped) {
                        advance()
                        if escaped != "\n" { text.append(escaped) }
                        advance()
                    } else if next == "$" {
                        text += try lexExpansion()
                    } else if next == "`" {
                        throw syntax("command substitution is not supported", position)
                    } else {
                        text.append(next)
                        advance()
                    }
                }
                guard peek() == "\"" else { throw syntax("unterminated double quote", quoteStart) }
                advance()
            case "$":
                text += try lexExpansion()
            case "`":
                throw syntax("command substitution is not supported", position)
            default:
                text.append(character)
                advance()
            }
        }
        return ShellWord(text: text, position: start)
    }

    /// `$((...))`, `$NAME`, `${NAME}`; only PPID and PACKETDRILL_PID are
    /// known variables (they name the restore script of set_sysctls.py).
    private mutating func lexExpansion() throws(SysctlCommandError) -> String {
        let start = position
        advance()  // $
        if peek() == "(", peek(1) == "(" {
            advance()
            advance()
            var depth = 0
            var expression = ""
            while let next = peek() {
                if next == "(" { depth += 1 }
                if next == ")" {
                    if depth == 0, peek(1) == ")" {
                        advance()
                        advance()
                        var parser = ArithmeticParser(expression)
                        guard let value = parser.evaluate() else {
                            throw syntax("bad arithmetic expression $((\(expression)))", start)
                        }
                        return String(value)
                    }
                    depth -= 1
                }
                expression.append(next)
                advance()
            }
            throw syntax("unterminated $((", start)
        }
        if peek() == "(" { throw syntax("command substitution $( ) is not supported", start) }
        var name = ""
        if peek() == "{" {
            advance()
            while let next = peek(), next != "}" {
                name.append(next)
                advance()
            }
            guard peek() == "}" else { throw syntax("unterminated ${", start) }
            advance()
        } else {
            while let next = peek(), next.isLetter || next.isNumber || next == "_" {
                name.append(next)
                advance()
            }
        }
        switch name {
        case "": return "$"
        case "PPID", "PACKETDRILL_PID": return ShellLexer.packetdrillPID
        default: throw syntax("unknown shell variable $\(name)", start)
        }
    }

    /// The value `$PPID` expands to: the sim has no real packetdrill process.
    static let packetdrillPID = "0"
}

/// `$(( ))` arithmetic: + - * / % and parentheses on 64-bit integers;
/// nil on bad syntax, division by zero or overflow.
struct ArithmeticParser {
    private let characters: [Character]
    private var index = 0

    init(_ text: String) { characters = Array(text) }

    mutating func evaluate() -> Int? {
        guard let value = sum() else { return nil }
        skipBlanks()
        return index == characters.count ? value : nil
    }

    private mutating func skipBlanks() {
        while index < characters.count, characters[index].isWhitespace { index += 1 }
    }

    private mutating func take(_ symbol: Character) -> Bool {
        skipBlanks()
        guard index < characters.count, characters[index] == symbol else { return false }
        index += 1
        return true
    }

    private mutating func sum() -> Int? {
        guard var value = product() else { return nil }
        while true {
            if take("+") {
                guard let right = product() else { return nil }
                let (result, overflow) = value.addingReportingOverflow(right)
                if overflow { return nil }
                value = result
            } else if take("-") {
                guard let right = product() else { return nil }
                let (result, overflow) = value.subtractingReportingOverflow(right)
                if overflow { return nil }
                value = result
            } else {
                return value
            }
        }
    }

    private mutating func product() -> Int? {
        guard var value = unary() else { return nil }
        while true {
            if take("*") {
                guard let right = unary() else { return nil }
                let (result, overflow) = value.multipliedReportingOverflow(by: right)
                if overflow { return nil }
                value = result
            } else if take("/") {
                guard let right = unary(), right != 0 else { return nil }
                let (result, overflow) = value.dividedReportingOverflow(by: right)
                if overflow { return nil }
                value = result
            } else if take("%") {
                guard let right = unary(), right != 0 else { return nil }
                let (result, overflow) = value.remainderReportingOverflow(dividingBy: right)
                if overflow { return nil }
                value = result
            } else {
                return value
            }
        }
    }

    private mutating func unary() -> Int? {
        if take("-") {
            guard let value = unary() else { return nil }
            return value == Int.min ? nil : -value
        }
        if take("+") { return unary() }
        if take("(") {
            guard let value = sum(), take(")") else { return nil }
            return value
        }
        skipBlanks()
        var word = ""
        while index < characters.count, characters[index].isLetter || characters[index].isNumber {
            word.append(characters[index])
            index += 1
        }
        guard !word.isEmpty else { return nil }
        return Sysctls.parseCInteger(Substring(word))
    }
}

// MARK: - Interpreter

private struct ShellStatus {
    var code: Int32
    /// `exit` was run: stop the current script.
    var exits = false
    static let success = ShellStatus(code: 0)
    static let failure = ShellStatus(code: 1)
}

private struct SimpleCommand {
    var words: [ShellWord] = []
    /// (operator, fd, target) for each redirection.
    var redirects: [(op: String, fd: Int?, target: String)] = []
    var position: SysctlCommandPosition

    var text: String { words.map(\.text).joined(separator: " ") }

    /// Where stdout goes: nil for the terminal/pipe, else the target file.
    var stdoutTarget: String? {
        var target: String?
        for redirect in redirects where redirect.op != "<" && redirect.op != "<&" {
            if redirect.op == ">&" { continue }
            if redirect.op == "&>" || redirect.fd == nil || redirect.fd == 1 { target = redirect.target }
        }
        return target
    }
}

private struct Interpreter {
    let environment: SysctlCommandEnvironment
    var actions: [SysctlCommandAction] = []
    var output = ""

    init(environment: SysctlCommandEnvironment) {
        self.environment = environment
    }

    mutating func run(
        _ text: String, file: String?, depth: Int, sysctls: inout Sysctls
    ) throws(SysctlCommandError) -> ShellStatus {
        var lexer = ShellLexer(text, file: file)
        let tokens = try lexer.tokens()
        var status = ShellStatus.success
        var skipNext = false  // set by && / || when the next pipeline must not run
        var pipeline: [SimpleCommand] = []
        var current: SimpleCommand?
        var index = 0

        func finishCommand() throws(SysctlCommandError) {
            if let command = current {
                pipeline.append(command)
                current = nil
            }
        }

        while index <= tokens.count {
            let token: ShellToken? = index < tokens.count ? tokens[index] : nil
            index += 1
            switch token {
            case .word(let word):
                if current == nil { current = SimpleCommand(position: word.position) }
                current?.words.append(word)
            case .redirect(let op, let fd, let position):
                guard index < tokens.count, case .word(let target) = tokens[index] else {
                    throw .syntax(message: "redirection \(op) without a target", at: position)
                }
                index += 1
                if current == nil { current = SimpleCommand(position: position) }
                current?.redirects.append((op, fd, target.text))
            case .separator("|", let position):
                guard current != nil else { throw .syntax(message: "| without a command before it", at: position) }
                try finishCommand()
            case .separator("&", let position):
                throw .syntax(message: "background jobs (&) are not supported", at: position)
            case .separator(let separator, let position):
                try finishCommand()
                if pipeline.isEmpty {
                    if separator == "&&" || separator == "||" {
                        throw .syntax(message: "\(separator) without a command before it", at: position)
                    }
                    continue
                }
                if !skipNext {
                    status = try runPipeline(pipeline, depth: depth, sysctls: &sysctls)
                    if status.exits { return status }
                }
                pipeline = []
                switch separator {
                // sh: `&&` runs the next pipeline after success, `||` after
                // failure, judged by the last pipeline that ran.
                case "&&": skipNext = status.code != 0
                case "||": skipNext = status.code == 0
                default: skipNext = false
                }
            case nil:
                try finishCommand()
                if !pipeline.isEmpty, !skipNext {
                    status = try runPipeline(pipeline, depth: depth, sysctls: &sysctls)
                }
                return status
            }
        }
        return status
    }

    private mutating func runPipeline(
        _ commands: [SimpleCommand], depth: Int, sysctls: inout Sysctls
    ) throws(SysctlCommandError) -> ShellStatus {
        guard let first = commands.first, let program = first.words.first?.text else {
            return .success
        }
        // `ss` and `nstat` print the stack's state; what follows them runs on the host.
        if program == "ss" || program == "nstat" {
            let produced = program == "ss" ? try socketTable(first, sysctls: sysctls) : try nstatText(first)
            return try deliver(produced, from: first, through: Array(commands.dropFirst()))
        }
        if commands.count == 1 {
            return try runCommand(first, depth: depth, sysctls: &sysctls)
        }
        // Other pipelines: only host socket-table greps (skipped).
        if program == "grep", first.words.dropFirst().contains(where: { $0.text.hasPrefix("/proc/net/") }) {
            actions.append(.skip(command: commands.map(\.text).joined(separator: " | "),
                                 reason: "reads the host's socket tables (/proc/net); not modeled"))
            return .success
        }
        throw .unsupportedCommand(command: commands.map(\.text).joined(separator: " | "), at: first.position,
                                  reason: "the only pipelines understood start with ss or nstat")
    }

    /// What a first stage printed: standard output, standard error, exit status.
    struct ProducedText {
        var standardOutput: String
        var standardError = ""
        var status: Int32 = 0
    }

    /// The text tools that may follow `ss` or `nstat`, run on the host.
    static let hostTextTools: Set<String> = [
        "grep", "egrep", "fgrep", "wc", "awk", "gawk", "mawk", "sed", "head", "tail", "sort", "uniq", "cut", "tr", "cat",
    ]

    /// A word as the host's /bin/sh reads it back: single-quoted.
    static func shellQuoted(_ text: String) -> String {
        var quoted = "'"
        for character in text {
            if character == "'" { quoted += "'\\''" } else { quoted.append(character) }
        }
        return quoted + "'"
    }

    /// A command's redirections, written back for the host's /bin/sh.
    static func redirections(_ command: SimpleCommand) -> String {
        command.redirects.map { redirect in
            let fd = redirect.fd.map(String.init) ?? ""
            if redirect.op == ">&" || redirect.op == "<&" { return " " + fd + redirect.op + redirect.target }
            return " " + fd + redirect.op + " " + shellQuoted(redirect.target)
        }.joined()
    }

    /// Whether a command's redirections send its standard output to /dev/null;
    /// nil when one of them goes anywhere else (or reads, or duplicates).
    static func discardsOutput(_ command: SimpleCommand) -> Bool? {
        var discards = false
        for redirect in command.redirects {
            guard redirect.target == "/dev/null", [">", ">>", ">|", "&>"].contains(redirect.op) else { return nil }
            if redirect.op == "&>" || redirect.fd == nil || redirect.fd == 1 { discards = true }
        }
        return discards
    }

    /// Sends a first stage's text where the shell would: to the command's output,
    /// /dev/null, a file, or the rest of the pipeline (run on the host, so its
    /// exit status is the pipeline's).
    private mutating func deliver(
        _ produced: ProducedText, from first: SimpleCommand, through rest: [SimpleCommand]
    ) throws(SysctlCommandError) -> ShellStatus {
        output += produced.standardError
        let target = first.stdoutTarget
        if rest.isEmpty && (target == nil || target == "/dev/null") {
            if target == nil { output += produced.standardOutput }
            return ShellStatus(code: produced.status)
        }
        for command in rest {
            guard let tool = command.words.first?.text, Self.hostTextTools.contains(tool) else {
                throw .unsupportedCommand(
                    command: command.text, at: command.position,
                    reason: "only text tools (\(Self.hostTextTools.sorted().joined(separator: ", "))) may follow ss or nstat")
            }
        }
        // grep and wc read here when they can give exactly what the host's would;
        // the only redirections they take send a stream to /dev/null.
        if !rest.isEmpty, let firstDiscards = Self.discardsOutput(first) {
            var discarding: Set<Int> = []
            var understood = true
            for (index, command) in rest.enumerated() {
                guard let discards = Self.discardsOutput(command) else {
                    understood = false
                    break
                }
                if discards { discarding.insert(index) }
            }
            if understood, let result = PipelineTextTools.run(
                rest.map { $0.words.map(\.text) }, discarding: discarding,
                input: firstDiscards ? "" : produced.standardOutput) {
                output += result.output
                return ShellStatus(code: result.status)
            }
        }
        guard let hostShell = environment.hostShell else {
            throw .unsupportedCommand(
                command: ([first] + rest).map(\.text).joined(separator: " | "), at: first.position,
                reason: rest.isEmpty
                    ? "writing into files needs the host's shell, which this run lacks"
                    : "this pipeline needs the host's shell, which this run lacks (in-process: grep [-qcvxwisFEG] "
                        + "PATTERN with plain or basic/extended regular expressions, wc -l|-w|-c)")
        }
        // printf is a shell builtin: the text is never an argument of an exec.
        var line = "printf '%s' " + Self.shellQuoted(produced.standardOutput)
        if rest.isEmpty {
            line += Self.redirections(first)
        } else {
            line += Self.redirections(first)
            for command in rest {
                line += " | " + command.words.map { Self.shellQuoted($0.text) }.joined(separator: " ")
                line += Self.redirections(command)
            }
        }
        let outcome = hostShell(line)
        output += outcome.output
        return ShellStatus(code: outcome.status)
    }

    private mutating func runCommand(
        _ command: SimpleCommand, depth: Int, sysctls: inout Sysctls
    ) throws(SysctlCommandError) -> ShellStatus {
        guard let program = command.words.first?.text else { return .success }
        let arguments = Array(command.words.dropFirst())
        let base = program.split(separator: "/").last.map(String.init) ?? program
        func skip(_ reason: String) -> ShellStatus {
            actions.append(.skip(command: command.text, reason: reason))
            return .success
        }
        switch base {
        case "true", ":":
            return .success
        case "false":
            return .failure
        case "exit":
            let code = arguments.first.flatMap { Int32($0.text) } ?? 0
            return ShellStatus(code: code, exits: true)
        case "sysctl":
            return try runSysctl(command, arguments, sysctls: &sysctls)
        case "echo", "printf":
            return try runEcho(command, base, arguments, sysctls: &sysctls)
        case "cat":
            return .success
        case "set_sysctls.py":
            return try runSetSysctls(command, arguments, sysctls: &sysctls)
        case "python", "python3":
            if let script = arguments.first, script.text.hasSuffix("set_sysctls.py") {
                return try runSetSysctls(command, Array(arguments.dropFirst()), sysctls: &sysctls)
            }
        case "sh", "bash", "source", ".":
            guard let script = arguments.first else {
                throw .unsupportedCommand(command: command.text, at: command.position, reason: "no script named")
            }
            return try runScript(script.text, command, depth: depth, sysctls: &sysctls)
        case "tc":
            return skip("traffic control (qdiscs) is not modeled; the sim has no qdisc or pacing layer")
        case "ethtool":
            return skip("device offloads (TSO/GSO) are not modeled")
        case "ip":
            let words = arguments.map(\.text).filter { !$0.hasPrefix("-") }
            if words.first == "tcp_metrics" {
                if words.dropFirst().first == "flush" {
                    actions.append(.flushTCPMetrics)
                    return .success
                }
                return skip("tcp_metrics inspection is not modeled")
            }
            if let object = words.first, ["link", "route", "addr", "address", "neigh", "rule", "r", "l", "a"].contains(object) {
                return skip("routes, links and addresses (MTU, advmss, initcwnd) are not modeled")
            }
        case "sleep":
            return skip("virtual time does not pass inside a command")
        case "rm", "dd", "touch", "mkdir", "chmod":
            return skip("files outside /proc/sys are not modeled")
        case "grep":
            if arguments.contains(where: { $0.text.hasPrefix("/proc/net/") }) {
                return skip("reads the host's socket tables (/proc/net); not modeled")
            }
        default:
            if base.hasPrefix("sysctl_restore_"), base.hasSuffix(".sh"), program.hasPrefix("/tmp/") {
                return restoreSavedSysctls(sysctls: &sysctls)
            }
            if program.contains("/") || base.hasSuffix(".sh") {
                return try runScript(program, command, depth: depth, sysctls: &sysctls)
            }
        }
        throw .unsupportedCommand(command: command.text, at: command.position,
                                  reason: "not a command the sim knows")
    }

    // MARK: sysctl(8)

    private mutating func runSysctl(
        _ command: SimpleCommand, _ arguments: [ShellWord], sysctls: inout Sysctls
    ) throws(SysctlCommandError) -> ShellStatus {
        var ignoreUnknown = false
        var loadFile = false
        var failed = false
        var operands: [String] = []
        for argument in arguments {
            let text = argument.text
            if text.hasPrefix("-"), operands.isEmpty, !loadFile {
                for flag in text.dropFirst() {
                    switch flag {
                    case "q", "w", "n", "N": break
                    case "e": ignoreUnknown = true
                    case "p": loadFile = true
                    default:
                        throw .unsupportedCommand(command: command.text, at: argument.position,
                                                  reason: "sysctl option -\(flag) is not supported")
                    }
                }
                continue
            }
            operands.append(text)
        }
        if loadFile {
            let path = operands.first ?? "/etc/sysctl.conf"
            guard let contents = environment.readFile(SysctlCommands.resolve(path, in: environment.directory)) else {
                return .failure
            }
            operands = contents.split(separator: "\n").compactMap { line in
                let text = Sysctls.trimmed(String(line))
                return text.isEmpty || text.hasPrefix("#") || text.hasPrefix(";") ? nil : text
            }
        }
        for operand in operands {
            guard let equals = operand.firstIndex(of: "=") else {
                // A read: prints the value; fails for an unknown name.
                if Sysctls.canonicalName(operand) == nil, !ignoreUnknown { failed = true }
                continue
            }
            let name = Sysctls.trimmed(String(operand[..<equals]))
            let value = Sysctls.trimmed(String(operand[operand.index(after: equals)...]))
            if Sysctls.canonicalName(name) == nil, ignoreUnknown { continue }
            if !assign(name, value, sysctls: &sysctls) { failed = true }
        }
        return failed ? ShellStatus(code: 255) : .success
    }

    /// Writes one sysctl, recording the outcome; true if Linux accepts it.
    private mutating func assign(_ name: String, _ value: String, sysctls: inout Sysctls) -> Bool {
        let canonical = Sysctls.canonicalName(name) ?? Sysctls.normalize(name)
        do throws(SysctlError) {
            try sysctls.set(name: name, value: value)
            actions.append(.assign(name: canonical, value: value))
            return true
        } catch {
            actions.append(.rejected(name: canonical, value: value, error: error))
            return false
        }
    }

    // MARK: echo and printf into /proc/sys

    private mutating func runEcho(
        _ command: SimpleCommand, _ program: String, _ arguments: [ShellWord], sysctls: inout Sysctls
    ) throws(SysctlCommandError) -> ShellStatus {
        var words = arguments.map(\.text)
        var value: String
        if program == "echo" {
            while let first = words.first, ["-n", "-e", "-E"].contains(first) { words.removeFirst() }
            value = words.joined(separator: " ")
        } else {
            guard let format = words.first else { return .failure }
            var remaining = Array(words.dropFirst())
            value = ""
            var characters = Array(format)[...]
            while let character = characters.popFirst() {
                if character == "%", let directive = characters.popFirst() {
                    switch directive {
                    case "s", "d", "u", "i": value += remaining.isEmpty ? "" : remaining.removeFirst()
                    case "%": value.append("%")
                    default:
                        throw .unsupportedCommand(command: command.text, at: command.position,
                                                  reason: "printf directive %\(directive) is not supported")
                    }
                } else if character == "\\", let escaped = characters.popFirst() {
                    value.append(escaped == "n" ? "\n" : escaped == "t" ? "\t" : escaped)
                } else {
                    value.append(character)
                }
            }
        }
        guard let target = command.stdoutTarget, target != "/dev/null" else { return .success }
        if target.hasPrefix("/proc/sys/") {
            return assign(target, value, sysctls: &sysctls) ? .success : .failure
        }
        if target.hasPrefix("/sys/module/") {
            actions.append(.skip(command: command.text, reason: "kernel module parameters are not modeled"))
            return .success
        }
        throw .unsupportedCommand(command: command.text, at: command.position,
                                  reason: "writes to \(target), which the sim does not model")
    }

    // MARK: set_sysctls.py and its restore script

    private mutating func runSetSysctls(
        _ command: SimpleCommand, _ arguments: [ShellWord], sysctls: inout Sysctls
    ) throws(SysctlCommandError) -> ShellStatus {
        // Each run rewrites the restore script from scratch.
        sysctls.savedForRestore = []
        for argument in arguments {
            let parts = argument.text.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let path = String(parts[0])
            let value = parts.count > 1 ? String(parts[1]) : ""
            // Reading the old value fails for an unknown file: the helper stops.
            guard let old = sysctls.get(name: path) else {
                actions.append(.rejected(name: Sysctls.normalize(path), value: value,
                                         error: .unknownName(Sysctls.normalize(path))))
                return .failure
            }
            sysctls.savedForRestore.append((path, old))
            // The helper runs `echo value > path` and ignores its failure.
            _ = assign(path, value, sysctls: &sysctls)
        }
        return .success
    }

    private mutating func restoreSavedSysctls(sysctls: inout Sysctls) -> ShellStatus {
        var status = ShellStatus.success
        for (name, value) in sysctls.savedForRestore {
            status = assign(name, value, sysctls: &sysctls) ? .success : .failure
        }
        return status
    }

    // MARK: scripts

    private mutating func runScript(
        _ path: String, _ command: SimpleCommand, depth: Int, sysctls: inout Sysctls
    ) throws(SysctlCommandError) -> ShellStatus {
        guard depth < environment.depthLimit else {
            throw .tooDeep(script: path, at: command.position, limit: environment.depthLimit)
        }
        let resolved = SysctlCommands.resolve(path, in: environment.directory)
        guard let contents = environment.readFile(resolved) else {
            throw .unsupportedCommand(command: command.text, at: command.position,
                                      reason: "no script at \(resolved)")
        }
        var status = try run(contents, file: resolved, depth: depth + 1, sysctls: &sysctls)
        status.exits = false
        return status
    }

    // MARK: ss

    /// `ss ...`: the stack's socket table, as ss 6.1.0 prints it into a pipe.
    private func socketTable(_ command: SimpleCommand, sysctls: Sysctls) throws(SysctlCommandError) -> ProducedText {
        guard let snapshot = environment.snapshot else {
            throw .unsupportedCommand(command: command.text, at: command.position,
                                      reason: "no socket table was given to the interpreter")
        }
        let services = environment.readFile("/etc/services").map { ServiceNames.cached(etcServices: $0) } ?? ServiceNames()
        let options: SocketTableOptions
        do throws(SocketTableError) {
            options = try SocketTableOptions.parse(command.words.dropFirst().map(\.text), services: services)
        } catch {
            switch error {
            case .invalid(let message, let status):
                return ProducedText(standardOutput: "", standardError: message + "\n", status: status)
            case .unsupported(let reason):
                throw .unsupportedCommand(command: command.text, at: command.position, reason: reason)
            }
        }
        let formatter = SocketTableFormatter(
            options: options, services: services,
            ephemeralPorts: sysctls.ipLocalPortRangeLow...max(sysctls.ipLocalPortRangeLow, sysctls.ipLocalPortRangeHigh))
        return ProducedText(standardOutput: formatter.render(snapshot()),
                            standardError: options.emptyFilterMessage.map { $0 + "\n" } ?? "")
    }

    // MARK: nstat

    /// `nstat ...`: `#kernel` and a line per counter, nothing with -n.
    private mutating func nstatText(_ command: SimpleCommand) throws(SysctlCommandError) -> ProducedText {
        let values = try nstatValues(command)
        let printsNothing = command.words.dropFirst().contains { $0.text.hasPrefix("-") && $0.text.contains("n") }
        if printsNothing { return ProducedText(standardOutput: "") }
        var text = Array("#kernel\n".utf8)
        text.reserveCapacity(values.count * 56)
        for value in values { CounterValue.appendNstatLine(name: value.name, value: value.value, to: &text) }
        return ProducedText(standardOutput: String(decoding: text, as: UTF8.self))
    }

    /// The counters nstat prints for `command`'s options (none with -n).
    private mutating func nstatValues(_ command: SimpleCommand) throws(SysctlCommandError) -> [(name: String, value: Int64)] {
        var absolute = false
        var updateHistory = true
        var printsNothing = false
        var zeros = false
        for argument in command.words.dropFirst() {
            let text = argument.text
            guard text.hasPrefix("-"), text.count > 1 else {
                throw .unsupportedCommand(command: command.text, at: argument.position,
                                          reason: "nstat name patterns are not supported")
            }
            for flag in text.dropFirst() {
                switch flag {
                case "a": absolute = true
                case "s": updateHistory = false
                case "n": printsNothing = true
                case "z": zeros = true
                default:
                    throw .unsupportedCommand(command: command.text, at: argument.position,
                                              reason: "nstat option -\(flag) is not supported")
                }
            }
        }
        guard let counters = environment.counters else {
            throw .unsupportedCommand(command: command.text, at: command.position,
                                      reason: "no counters were given to the interpreter")
        }
        let values = counters(absolute, updateHistory)
        if printsNothing { return [] }
        return zeros ? values : values.filter { $0.value != 0 }
    }

    /// nstat's line layout: name in 32 columns, value in 16, rate as %6.1f
    /// (always 0.0 here: no time passes in a command).
    static func nstatLine(name: String, value: Int64) -> String {
        CounterValue.nstatLine(name: name, value: value)
    }
}
