/// Prints a ``Script`` back as packetdrill text in one canonical layout: one
/// option or event per line, single spaces, times in seconds with trailing zeros
/// dropped (`0.1`, `+0`, `+0.25~+0.3`), ECN marks in brackets and other IP info
/// in parentheses, and flags in the order `FSRPUEWA`, then `.`, then an ACE digit.
///
/// Parsing the printed text gives back an equal script.
public struct ScriptPrinter: Sendable {
    /// Creates a printer.
    public init() {}

    /// The whole script, ending with a newline.
    public func print(_ script: Script) -> String {
        var lines: [String] = []
        for option in script.options {
            lines.append(format(option))
        }
        if let command = script.initCommand {
            lines.append("`\(command.commandLine)`")
        }
        for event in script.events {
            lines.append(format(event))
        }
        if let command = script.cleanupCommand {
            lines.append("`\(command.commandLine)`")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// One option line.
    public func format(_ option: ScriptOption) -> String {
        guard let value = option.value else { return "--\(option.name)" }
        let text: String
        switch value {
        case .integer(let n): text = String(n)
        case .word(let w), .ipv4Address(let w), .ipv6Address(let w): text = w
        case .string(let s): text = "\"\(s)\""
        case .definition(let name, let v): text = "\(name)=\(v)"
        }
        return "--\(option.name)=\(text)"
    }

    /// One event line (a command or code block may span several lines).
    public func format(_ event: Event) -> String {
        var time = format(event.time)
        let action: String
        switch event.action {
        case .packet(let packet):
            action = format(packet)
        case .syscall(let call):
            if let end = call.blockingEndMicroseconds {
                time += "..." + Self.seconds(end)
            }
            action = format(call)
        case .command(let command):
            action = "`\(command.commandLine)`"
        case .code(let code):
            action = "%{ \(code.text) }%"
        }
        return "\(time) \(action)"
    }

    /// An event time.
    public func format(_ time: EventTime) -> String {
        switch time {
        case .absolute(let t): return Self.seconds(t)
        case .relative(let t): return "+" + Self.seconds(t)
        case .any: return "*"
        case .absoluteRange(let a, let b): return Self.seconds(a) + "~" + Self.seconds(b)
        case .relativeRange(let a, let b): return "+" + Self.seconds(a) + "~+" + Self.seconds(b)
        }
    }

    /// Microseconds as seconds: `1500000` -> `1.5`, `0` -> `0`, `1` -> `0.000001`.
    public static func seconds(_ microseconds: Int64) -> String {
        let whole = microseconds / 1_000_000
        let fraction = microseconds % 1_000_000
        guard fraction != 0 else { return String(whole) }
        var digits = String(fraction)
        digits = String(repeating: "0", count: max(0, 6 - digits.count)) + digits
        while digits.hasSuffix("0") { digits.removeLast() }
        return "\(whole).\(digits)"
    }

    // MARK: packets

    /// A packet line without its time.
    public func format(_ packet: PacketSpec) -> String {
        var parts = [packet.direction.rawValue]
        for encapsulation in packet.encapsulations {
            switch encapsulation {
            case .ipv4(let info, let source, let destination), .ipv6(let info, let source, let destination):
                var words = [encapsulation.isIPv4 ? "ipv4" : "ipv6"]
                if let info { words.append(format(info)) }
                words.append("\(source) > \(destination):")
                parts.append(words.joined(separator: " "))
            case .gre(let header):
                parts.append(header.map { "gre \(format($0)):" } ?? "gre:")
            case .mpls(let entries):
                parts.append((["mpls"] + entries.map(format)).joined(separator: " ") + ":")
            }
        }
        if let info = packet.ipInfo { parts.append(format(info)) }
        switch packet.body {
        case .tcp(let segment):
            parts.append(format(segment))
        case .udp(let datagram):
            var words = ["udp"]
            if let ports = datagram.ports { words.append("\(ports.source) > \(ports.destination)") }
            words.append("(\(datagram.payloadLength))")
            parts.append(words.joined(separator: " "))
        case .icmp(let message):
            var words = ["icmp", message.type]
            if let code = message.code { words.append(code) }
            if let mtu = message.mtu { words.append("mtu \(mtu)") }
            if let id = message.echoID { words.append("id \(id)") }
            switch message.echoed {
            case .tcp(let range): words.append("[\(format(range))]")
            case .udp(let length): words.append("[udp (\(length))]")
            case .raw(let length): words.append("[raw (\(length))]")
            case nil: break
            }
            parts.append(words.joined(separator: " "))
        }
        return parts.joined(separator: " ")
    }

    func format(_ info: IPInfo) -> String {
        var items: [String] = []
        var onlyECN = false
        switch info.tos {
        case .ecn(let codepoint):
            items.append(codepoint.rawValue)
            onlyECN = true
        case .ect0OrEct1:
            items.append("ect01")
            onlyECN = true
        case .tos(let value):
            items.append("tos " + Self.hex(Int64(value)))
        case nil:
            break
        }
        if let label = info.flowLabel {
            items.append("flowlabel " + Self.hex(Int64(label)))
            onlyECN = false
        }
        if let ttl = info.ttl {
            // The grammar has no form combining ttl with the others.
            return "(ttl \(ttl))"
        }
        let body = items.joined(separator: ", ")
        return onlyECN ? "[\(body)]" : "(\(body))"
    }

    static func hex(_ value: Int64) -> String { "0x" + String(value, radix: 16) }

    func format(_ range: SequenceRange) -> String {
        "\(range.start):\(range.end)(\(range.length))"
    }

    func format(_ segment: TCPSegmentSpec) -> String {
        var words: [String] = []
        if let spi = segment.pspSPI { words.append("encap psp spi \(spi)") }
        if let ports = segment.ports { words.append("\(ports.source) > \(ports.destination)") }
        words.append(format(segment.flags))
        words.append(format(segment.sequence))
        if let ack = segment.ackNumber { words.append("ack \(ack)") }
        if let window = segment.window { words.append("win \(window)") }
        if let urg = segment.urgentPointer { words.append("urg \(urg)") }
        switch segment.options {
        case .any:
            words.append("<...>")
        case .exactly(let options) where !options.isEmpty:
            words.append("<" + options.map(format).joined(separator: ",") + ">")
        case .exactly:
            break
        }
        return words.joined(separator: " ")
    }

    /// Flags as written in a packet line.
    public func format(_ flags: TCPFlagsSpec) -> String {
        var text = ""
        if flags.fin { text += "F" }
        if flags.syn { text += "S" }
        if flags.rst { text += "R" }
        if flags.psh { text += "P" }
        if flags.urg { text += "U" }
        if flags.ece { text += "E" }
        if flags.cwr { text += "W" }
        if flags.ae { text += "A" }
        if flags.ack { text += "." }
        if let ace = flags.ace { text += String(ace) }
        return text.isEmpty ? "-" : text
    }

    /// One TCP option as written inside `<...>`.
    public func format(_ option: TCPOptionSpec) -> String {
        switch option.kind {
        case .nop: return "nop"
        case .eol: return "eol"
        case .mss(let n): return "mss \(n)"
        case .windowScale(let n): return "wscale \(n)"
        case .sackPermitted: return "sackOK"
        case .sack(let blocks): return "sack " + blocks.map { "\($0.left):\($0.right)" }.joined(separator: " ")
        case .timestamp(let value, let echo): return "TS val \(value) ecr \(echo)"
        case .md5(let digest): return "md5 \(digest)"
        case .fastOpen(let cookie): return cookie.isEmpty ? "FO" : "FO \(cookie)"
        case .fastOpenExperimental(let cookie): return cookie.isEmpty ? "FOEXP" : "FOEXP \(cookie)"
        case .accECN(let fields): return (["ECN"] + fields.map { "\($0.counter.rawValue) \($0.value)" }).joined(separator: " ")
        }
    }

    func format(_ header: GREHeader) -> String {
        let flags: String
        switch header.flags {
        case .named(let names): flags = "[" + names.map(\.rawValue).joined(separator: ", ") + "]"
        case .value(let v): flags = String(v)
        }
        return "flags \(flags), sum \(header.checksum), off \(header.offset), key \(header.key), seq \(header.sequence)"
    }

    func format(_ entry: MPLSLabelStackEntry) -> String {
        "(label \(entry.label), tc \(entry.trafficClass), \(entry.isBottomOfStack ? "[S], " : "")ttl \(entry.ttl))"
    }

    // MARK: system calls

    /// A system call line without its time (and without a blocking end time).
    public func format(_ call: SyscallSpec) -> String {
        var text = "\(call.name)(\(call.arguments.map(format).joined(separator: ", "))) = \(format(call.result))"
        if let errno = call.errno { text += " \(errno.name) (\(errno.description))" }
        if let note = call.note { text += " (\(note))" }
        return text
    }

    /// An expression.
    public func format(_ expression: SyscallExpression) -> String {
        switch expression.kind {
        case .ellipsis: return "..."
        case .integer(let n, .decimal): return String(n)
        case .integer(let n, .hexadecimal): return Self.hex(n)
        case .word(let w): return w
        case .string(let s): return "\"\(s)\""
        case .stringConcatenation(let parts): return parts.map { "\"\($0)\"" }.joined(separator: " ")
        case .stringPrefix(let s): return "\"\(s)\"..."
        case .bitwiseOr(let lhs, let rhs): return "\(format(lhs))|\(format(rhs))"
        case .assignment(let name, let value): return "\(name)=\(format(value))"
        case .array(let items): return "[" + items.map(format).joined(separator: ", ") + "]"
        case .structure(let items): return "{" + items.map(format).joined(separator: ", ") + "}"
        case .inetAddress(let a): return "inet_addr(\"\(a)\")"
        case .inet6Address(let a): return "inet6_addr(\"\(a)\")"
        case .socketAddress(let family, let port, let address):
            return "{sa_family=\(family), sin_port=htons(\(port)), sin_addr=inet_addr(\"\(address)\")}"
        case .messageHeader(let header):
            var text = "{msg_name(...)=..., msg_iov(\(header.iovCount))=[" + header.iov.map(format).joined(separator: ", ")
                + "], msg_flags=\(format(header.flags))"
            if let control = header.control {
                text += ", msg_control=[" + control.map(format).joined(separator: ", ") + "]"
            }
            return text + "}"
        case .ioVector(let length): return "{..., \(length)}"
        case .pollDescriptor(let fd, let events, let returned):
            var text = "{fd=\(format(fd)), events=\(format(events))"
            if let returned { text += ", revents=\(format(returned))" }
            return text + "}"
        case .epollEvent(let events, let data):
            let member: String
            switch data {
            case .fd(let e): member = "fd=\(format(e))"
            case .ptr(let e): member = "ptr=\(format(e))"
            case .u32(let e): member = "u32=\(format(e))"
            case .u64(let e): member = "u64=\(format(e))"
            }
            return "{events=\(format(events)), \(member)}"
        case .linger(let onOff, let seconds): return "{onoff=\(onOff), linger=\(seconds)}"
        case .mplsStack(let entries): return "{" + entries.map(format).joined(separator: " ") + "}"
        case .controlMessage(let level, let type, let data):
            return "{cmsg_level=\(format(level)), cmsg_type=\(format(type)), cmsg_data=\(format(data))}"
        case .timestamping(let seconds, let nanoseconds): return "{scm_sec=\(seconds), scm_nsec=\(nanoseconds)}"
        case .extendedError(let e):
            return "{ee_errno=\(format(e.errno)), ee_origin=\(format(e.origin)), ee_type=\(format(e.type)), "
                + "ee_code=\(format(e.code)), ee_info=\(format(e.info)), ee_data=\(format(e.data))}"
        case .greHeader(let header): return "{\(format(header))}"
        }
    }
}

extension Encapsulation {
    var isIPv4: Bool {
        if case .ipv4 = self { return true }
        return false
    }
}
