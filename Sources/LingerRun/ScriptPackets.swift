import LingerScript
import LingerWire

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Turning packet lines into LingerWire values: TCP options, flags, ECN, and the
/// short text packetdrill prints for a script packet.
enum ScriptPackets {
    /// Zeros to compare payloads with.
    private static let zeros = [UInt8](repeating: 0, count: 16384)

    /// Whether every byte is zero (a script's payload is zeros): memcmp in chunks, so
    /// that a 64 KB TSO payload costs microseconds even in a debug build, where a
    /// Swift loop over it would take milliseconds and skew the script's timing.
    static func isAllZero(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { raw in
            zeros.withUnsafeBytes { zero in
                guard let base = raw.baseAddress, let zeroBase = zero.baseAddress else { return true }
                var offset = 0
                while offset < raw.count {
                    let length = min(zero.count, raw.count - offset)
                    if memcmp(base + offset, zeroBase, length) != 0 { return false }
                    offset += length
                }
                return true
            }
        }
    }

    /// AccECN option kinds (ECT(0) counter first, or ECT(1) first).
    static let accECN0Kind: UInt8 = 172
    static let accECN1Kind: UInt8 = 174

    struct BadPacket: Error {
        var message: String
    }

    static func hexBytes(_ text: String, what: String) throws(BadPacket) -> [UInt8] {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { throw BadPacket(message: "\(what) has an odd number of hex digits: \(text)") }
        var out: [UInt8] = []
        var i = 0
        while i + 1 < digits.count {
            guard let high = hexValue(digits[i]), let low = hexValue(digits[i + 1]) else {
                throw BadPacket(message: "\(what) is not hex: \(text)")
            }
            out.append(high << 4 | low)
            i += 2
        }
        return out
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x61...0x66: c - 0x61 + 10
        case 0x41...0x46: c - 0x41 + 10
        default: nil
        }
    }

    /// The options of a packet line, as LingerWire options (SACK edges as written).
    static func tcpOptions(_ specs: [TCPOptionSpec]) throws(BadPacket) -> [TCPOption] {
        var out: [TCPOption] = []
        for spec in specs {
            switch spec.kind {
            case .nop: out.append(.noOperation)
            case .eol: out.append(.endOfList)
            case .mss(let v): out.append(.maximumSegmentSize(v))
            case .windowScale(let v): out.append(.windowScale(v))
            case .sackPermitted: out.append(.sackPermitted)
            case .sack(let blocks): out.append(.sack(blocks.map { SACKBlock(left: $0.left, right: $0.right) }))
            case .timestamp(let v, let e): out.append(.timestamps(value: v, echoReply: e))
            case .md5(let hex): out.append(.md5Signature(try hexBytes(hex, what: "TCP MD5 digest")))
            case .fastOpen(let cookie): out.append(.fastOpen(cookie: try hexBytes(cookie, what: "TCP fast open cookie")))
            case .fastOpenExperimental(let cookie):
                out.append(.fastOpenExperimental(cookie: try hexBytes(cookie, what: "TCP fast open cookie")))
            case .accECN(let fields):
                let kind = fields.first?.counter == .ect1Bytes ? accECN1Kind : accECN0Kind
                var data: [UInt8] = []
                for field in fields {
                    data += [UInt8(truncatingIfNeeded: field.value >> 16), UInt8(truncatingIfNeeded: field.value >> 8),
                             UInt8(truncatingIfNeeded: field.value)]
                }
                out.append(.raw(kind: kind, data: data))
            }
        }
        let length = out.reduce(0) { $0 + $1.encodedLength }
        if length % 4 != 0 {
            throw BadPacket(message: "TCP options are not padded correctly to ensure TCP header is a multiple of 4 bytes: \(length % 4) excess bytes")
        }
        if length > 40 { throw BadPacket(message: "TCP header too large") }
        return out
    }

    static func flags(_ spec: TCPFlagsSpec) -> TCPFlags {
        var f = TCPFlags()
        if spec.fin { f.insert(.fin) }
        if spec.syn { f.insert(.syn) }
        if spec.rst { f.insert(.rst) }
        if spec.psh { f.insert(.psh) }
        if spec.ack { f.insert(.ack) }
        if spec.urg { f.insert(.urg) }
        if let ace = spec.ace {
            if ace & 1 != 0 { f.insert(.ece) }
            if ace & 2 != 0 { f.insert(.cwr) }
            if ace & 4 != 0 { f.insert(.ae) }
        } else {
            if spec.ece { f.insert(.ece) }
            if spec.cwr { f.insert(.cwr) }
            if spec.ae { f.insert(.ae) }
        }
        return f
    }

    /// The TOS / traffic class byte an inbound packet carries, and how an outbound one is checked.
    static func tosByte(_ info: IPInfo?) -> UInt8 {
        switch info?.tos {
        case .ecn(let codepoint)?: ecnBits(codepoint)
        case .tos(let value)?: value
        case .ect0OrEct1?, nil: 0
        }
    }

    static func ecnBits(_ codepoint: ECNCodepoint) -> UInt8 {
        switch codepoint {
        case .notECT: 0
        case .ect1: 1
        case .ect0: 2
        case .ce: 3
        }
    }

    /// The TTL written on the line, or 255 (packetdrill's "no check" value) when none is.
    static func ttl(_ info: IPInfo?) -> UInt8 {
        guard let ttl = info?.ttl, ttl != 0 else { return 255 }
        return ttl
    }

    /// One option as packetdrill writes it in messages: LingerWire's packetdrill form,
    /// plus the AccECN option and the raw bytes after an end-of-list that the runner
    /// compares one by one.
    static func describe(_ option: TCPOption) -> String {
        switch option {
        case .raw(let kind, let d) where kind == accECN0Kind || kind == accECN1Kind:
            let labels = kind == accECN0Kind ? ["e0b", "ceb", "e1b"] : ["e1b", "ceb", "e0b"]
            var text = "ECN"
            var i = 0
            while i + 3 <= d.count, i / 3 < 3 {
                let value = UInt32(d[i]) << 16 | UInt32(d[i + 1]) << 8 | UInt32(d[i + 2])
                text += " \(labels[i / 3]) \(value)"
                i += 3
            }
            return text
        case .unparsed(let b):
            if b.allSatisfy({ $0 == 0 }) { return "eol" }
            return "unparsed 0x" + b.map { $0 < 16 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
        default:
            return PacketdrillFormatter.describe(option, peerISN: 0) ?? ""
        }
    }

    /// The options as packetdrill iterates them: every byte after an end-of-list is an
    /// option of its own (padding zeros read as more end-of-lists).
    static func iterated(_ options: [TCPOption]) -> [TCPOption] {
        var out: [TCPOption] = []
        for option in options {
            if case .unparsed(let bytes) = option {
                for byte in bytes { out.append(byte == 0 ? .endOfList : (byte == 1 ? .noOperation : .raw(kind: byte, data: []))) }
            } else {
                out.append(option)
            }
        }
        return out
    }

    /// The short text of a script's packet line, in script sequence space, as packetdrill
    /// prints `script packet:` lines.
    static func describeScriptPacket(_ spec: PacketSpec) -> String {
        switch spec.body {
        case .tcp(let tcp):
            var out = ""
            let f = tcp.flags
            if f.fin { out += "F" }
            if f.syn { out += "S" }
            if f.rst { out += "R" }
            if f.psh { out += "P" }
            if f.ack { out += "." }
            if f.urg { out += "U" }
            if let ace = f.ace {
                out += String(ace)
            } else {
                if f.ece { out += "E" }
                if f.cwr { out += "W" }
                if f.ae { out += "A" }
            }
            out += " \(tcp.sequence.start):\(tcp.sequence.start &+ UInt32(tcp.sequence.length))(\(tcp.sequence.length))"
            if f.ack { out += " ack \(tcp.ackNumber ?? 0)" }
            if let window = tcp.window { out += " win \(window)" }
            if case .exactly(let specs) = tcp.options, !specs.isEmpty, let options = try? tcpOptions(specs) {
                out += " <" + options.map(describe).joined(separator: ",") + ">"
            }
            return out
        case .udp(let udp):
            return "udp (\(udp.payloadLength))"
        case .icmp:
            return "icmp"
        }
    }

    /// `%9.6f` of a time in microseconds, as packetdrill prints event times.
    static func seconds(_ microseconds: Int64, width: Int = 9) -> String {
        let negative = microseconds < 0
        let magnitude = microseconds.magnitude
        let whole = magnitude / 1_000_000
        let fraction = String(magnitude % 1_000_000)
        var text = (negative ? "-" : "") + "\(whole)." + String(repeating: "0", count: 6 - fraction.count) + fraction
        if text.count < width { text = String(repeating: " ", count: width - text.count) + text }
        return text
    }

    /// `%+.6f`.
    static func signedSeconds(_ microseconds: Int64) -> String {
        (microseconds >= 0 ? "+" : "") + seconds(microseconds, width: 0)
    }
}
