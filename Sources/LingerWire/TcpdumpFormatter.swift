/// Writes packets the way `tcpdump -nn` prints them (without the timestamp), character
/// for character for TCP over IPv4 and IPv6, UDP, and the common ICMP and ICMPv6 messages.
///
/// Sequence numbers follow ``numbering``. In ``Numbering/tcpdump`` mode the formatter
/// keeps per-connection state exactly as tcpdump does, so feed it the packets of a
/// capture in order.
///
/// Known differences from tcpdump: application-layer decoders other than HTTP and RTSP
/// (DNS, SSH, BGP, SMTP, ...) print nothing after `length N`; MPTCP and TCP-AO options
/// print as unknown kinds; only tcpdump's non-verbose output is reproduced.
public struct TcpdumpFormatter: Sendable {
    /// How TCP sequence and acknowledgment numbers are shown.
    public enum Numbering: Sendable, Hashable {
        /// Raw 32-bit numbers (`tcpdump -S`).
        case absolute
        /// tcpdump's default relative numbering: the first packet with ACK set in each
        /// connection (or any SYN with ACK) shows raw numbers and sets the base; later
        /// packets with ACK set show numbers relative to it; packets without ACK show raw.
        case tcpdump
        /// Relative to known initial sequence numbers of each endpoint: `seq - isn(source)`,
        /// `ack - isn(destination)`. Packets of endpoints not in the table show raw numbers.
        /// With `synAbsolute`, SYN segments show raw numbers (as tcpdump does).
        case initialSequenceNumbers([TCPEndpoint: UInt32], synAbsolute: Bool)
    }

    /// How sequence numbers are shown.
    public var numbering: Numbering

    /// tcpdump's per-connection bases, keyed the way tcpdump keys them.
    private var conversations: [ConversationKey: (seq: UInt32, ack: UInt32)] = [:]

    /// A formatter numbering sequence numbers as given (tcpdump's default: ``Numbering/tcpdump``).
    public init(numbering: Numbering = .tcpdump) {
        self.numbering = numbering
    }

    /// Forgets the connections seen so far (``Numbering/tcpdump`` mode).
    public mutating func reset() { conversations.removeAll() }

    /// The tcpdump line for `packet`, e.g.
    /// `IP 192.0.2.1.54442 > 192.168.0.1.8080: Flags [S], seq 0, win 32792, options [mss 1000], length 0`.
    public mutating func format(_ packet: Packet) -> String {
        var out = ""
        switch packet.ip {
        case .v4(let h):
            out = "IP "
            if h.fragmentOffset != 0 {
                return out + "\(h.source) > \(h.destination): ip-proto-\(h.protocolNumber)"
            }
        case .v6(let h):
            out = "IP6 "
            if !h.extensionHeaders.isEmpty {
                out += "\(h.source) > \(h.destination): "
                var remaining = packet.bytesAfterIPHeader
                for e in h.extensionHeaders {
                    remaining -= e.bytes.count
                    out += Self.describe(e, bytesAfter: remaining)
                }
                if h.isFragment, case .other = packet.transport, h.extensionHeaders.last?.fragmentOffset != 0 {
                    // A later fragment: tcpdump stops after the fragment header.
                    if out.hasSuffix(" ") { out.removeLast() }
                    return out
                }
                return out + formatTransport(packet, addressesShown: false)
            }
        }
        return out + formatTransport(packet, addressesShown: true)
    }

    // MARK: Transport

    private mutating func formatTransport(_ packet: Packet, addressesShown: Bool) -> String {
        let src = packet.ip.source.description
        let dst = packet.ip.destination.description
        switch packet.transport {
        case .tcp(let h):
            let ends = addressesShown
                ? "\(src).\(h.sourcePort) > \(dst).\(h.destinationPort): "
                : "\(h.sourcePort) > \(h.destinationPort): "
            return ends + formatTCP(packet, h)
        case .udp(let h):
            let ends = addressesShown
                ? "\(src).\(h.sourcePort) > \(dst).\(h.destinationPort): "
                : "\(h.sourcePort) > \(h.destinationPort): "
            return ends + "UDP, length \(Int(h.length) - 8)"
        case .icmpv4(let h):
            // Errors whose quoted IP header is missing: tcpdump reports truncation only.
            if h.type == ICMPv4Header.destinationUnreachableType, packet.payload.count < 20 {
                return (addressesShown ? "\(src) > \(dst): " : "") + " [|icmp]"
            }
            return (addressesShown ? "\(src) > \(dst): " : "") + Self.describeICMPv4(h, body: packet.payload)
        case .icmpv6(let h):
            return (addressesShown ? "\(src) > \(dst): " : "") + Self.describeICMPv6(h, body: packet.payload)
        case .other(let proto):
            let prefix = addressesShown ? "\(src) > \(dst): " : ""
            if proto == IPProtocolNumber.noNextHeader { return prefix + "no next header" }
            return prefix + " ip-proto-\(proto) \(packet.payload.count)"
        }
    }

    private mutating func formatTCP(_ packet: Packet, _ h: TCPHeader) -> String {
        let flagBits = UInt8(truncatingIfNeeded: h.flags.rawValue)
        var out = "Flags [" + Self.flagLetters(flagBits) + "]"
        var seq = h.sequenceNumber.rawValue
        var ack = h.acknowledgmentNumber.rawValue
        // What SACK block edges are made relative to.
        var sackBase: UInt32 = 0
        switch numbering {
        case .absolute:
            break
        case .tcpdump:
            if h.flags.contains(.ack) {
                let (key, reversed) = ConversationKey.make(packet.ip.source, h.sourcePort, packet.ip.destination, h.destinationPort)
                let base: (seq: UInt32, ack: UInt32)
                if let known = conversations[key], !h.flags.contains(.syn) {
                    base = known
                    if reversed {
                        seq &-= known.ack
                        ack &-= known.seq
                    } else {
                        seq &-= known.seq
                        ack &-= known.ack
                    }
                } else {
                    base = reversed ? (seq: ack &- 1, ack: seq) : (seq: seq, ack: ack &- 1)
                    conversations[key] = base
                }
                sackBase = reversed ? base.seq : base.ack
            }
        case .initialSequenceNumbers(let table, let synAbsolute):
            let ownISN = table[TCPEndpoint(packet.ip.source, h.sourcePort)]
            let peerISN = table[TCPEndpoint(packet.ip.destination, h.destinationPort)]
            if let peerISN { sackBase = peerISN }
            if !(synAbsolute && h.flags.contains(.syn)) {
                if let ownISN { seq &-= ownISN }
                if let peerISN { ack &-= peerISN }
            }
        }
        let length = packet.payload.count
        if length > 0 || flagBits & 0x07 != 0 {
            out += ", seq \(seq)"
            if length > 0 { out += ":\(seq &+ UInt32(truncatingIfNeeded: length))" }
        }
        if h.flags.contains(.ack) { out += ", ack \(ack)" }
        out += ", win \(h.window)"
        if h.flags.contains(.urg) { out += ", urg \(h.urgentPointer)" }
        if h.headerLength > 20 {
            var optionBytes: [UInt8] = []
            for o in h.options { o.append(to: &optionBytes) }
            let room = h.headerLength - 20
            if optionBytes.count > room { optionBytes.removeLast(optionBytes.count - room) }
            while optionBytes.count < room { optionBytes.append(0) }
            out += ", options ["
            switch Self.appendOptions(optionBytes, following: packet.payload, sackBase: sackBase, to: &out) {
            case .complete: out += "]"
            case .bad, .truncated: return out
            }
        }
        out += ", length \(length)"
        if length > 0 {
            out += Self.applicationSummary(sourcePort: h.sourcePort, destinationPort: h.destinationPort, payload: packet.payload)
        }
        return out
    }

    /// tcpdump's flag letters in its order, `none` when no flag of the low eight is set
    /// (tcpdump 4.99 does not show the AE bit).
    static func flagLetters(_ bits: UInt8) -> String {
        let letters: [(UInt8, Character)] = [(0x01, "F"), (0x02, "S"), (0x04, "R"), (0x08, "P"), (0x10, "."),
                                             (0x20, "U"), (0x40, "E"), (0x80, "W")]
        var s = ""
        for (bit, letter) in letters where bits & bit != 0 { s.append(letter) }
        return s.isEmpty ? "none" : s
    }

    enum OptionWalk { case complete, bad, truncated }

    /// Prints the option area the way tcpdump walks it: an option advances by the
    /// bytes its printer consumed (so a known option with a wrong length shows `[len N]`
    /// and the walk continues inside it), `eol` stops the walk, a length below 2 or past
    /// the header prints `[bad opt]` and ends the line.
    static func appendOptions(_ b: [UInt8], following: [UInt8], sackBase: UInt32, to out: inout String) -> OptionWalk {
        var i = 0
        var left = b.count
        // Whether an option has been printed (tcpdump then separates with commas, and
        // closes the bracket after "[bad opt]").
        var previous = false
        func be16(_ k: Int) -> UInt32 { UInt32(b[k]) << 8 | UInt32(b[k + 1]) }
        func be32(_ k: Int) -> UInt32 { be16(k) << 16 | be16(k + 2) }
        func hex(_ r: Range<Int>) -> String {
            var s = ""
            for k in r { s += hexDigits(UInt64(b[k]), width: 2) }
            return s
        }
        func bad() -> OptionWalk {
            out += previous ? "[bad opt]]" : "[bad opt]"
            return .bad
        }
        while left > 0 {
            if previous { out += "," }
            let kind = b[i]
            i += 1
            let len: Int
            if kind == 0 || kind == 1 {
                len = 1
            } else {
                guard i < b.count else {
                    // The length byte lies beyond the header: tcpdump reads it from the
                    // segment data (and finds it too long), or reports truncation.
                    if following.isEmpty {
                        out += " [|tcp]"
                        return .truncated
                    }
                    return bad()
                }
                len = Int(b[i])
                i += 1
                if len < 2 || len > left { return bad() }
                left -= 1
            }
            left -= 1
            var datalen = 0
            out += optionName(kind)
            switch kind {
            case 2:
                datalen = 2
                guard datalen <= left else { return bad() }
                out += " \(be16(i))"
            case 3:
                datalen = 1
                guard datalen <= left else { return bad() }
                out += " \(b[i])"
            case 5:
                datalen = len - 2
                if datalen % 8 != 0 {
                    out += " invalid sack"
                } else {
                    out += " \(datalen / 8) "
                    var k = 0
                    while k < datalen {
                        guard k + 8 <= left else { return bad() }
                        out += "{\(be32(i + k) &- sackBase):\(be32(i + k + 4) &- sackBase)}"
                        k += 8
                    }
                }
            case 6, 7, 11, 12, 13:
                datalen = 4
                guard datalen <= left else { return bad() }
                out += " \(be32(i))"
            case 8:
                datalen = 8
                guard datalen <= left else { return bad() }
                out += " val \(be32(i)) ecr \(be32(i + 4))"
            case 19:
                datalen = 16
                guard datalen <= left else { return bad() }
                out += " shared secret not supplied with -M, can't check - " + hex(i..<(i + 16))
            case 28:
                datalen = 2
                guard datalen <= left else { return bad() }
                let raw = be16(i)
                out += " 0x" + String(raw, radix: 16)
                out += " \(raw & 1 != 0 ? (raw >> 1) * 60 : raw >> 1)"
            case 34:
                datalen = len - 2
                guard datalen <= left else { return bad() }
                out += " " + fastOpenText(b, i, datalen, experimental: false)
            case 254:
                datalen = len - 2
                guard datalen <= left, datalen >= 2 else { return bad() }
                let magic = be16(i)
                out += "-"
                if magic == 0xF989 {
                    out += fastOpenText(b, i + 2, datalen - 2, experimental: true)
                } else {
                    out += hexDigits(UInt64(magic), width: 4)
                }
            case 0, 1, 4:
                break
            default:
                datalen = len - 2
                if datalen > 0 { out += " 0x" }
                guard datalen <= left else { return bad() }
                out += hex(i..<(i + datalen))
            }
            i += datalen
            left -= datalen
            let expected = datalen + (kind == 0 || kind == 1 ? 1 : 2)
            if expected != len { out += "[len \(len)]" }
            previous = true
            if kind == 0 { break }
        }
        return .complete
    }

    static func optionName(_ kind: UInt8) -> String {
        switch kind {
        case 0: "eol"
        case 1: "nop"
        case 2: "mss"
        case 3: "wscale"
        case 4: "sackOK"
        case 5: "sack"
        case 6: "echo"
        case 7: "echoreply"
        case 8: "TS"
        case 11: "cc"
        case 12: "ccnew"
        case 13: ""
        case 19: "md5"
        case 28: "uto"
        case 34: "tfo"
        case 254: "exp"
        default: "unknown-\(kind)"
        }
    }

    static func fastOpenText(_ b: [UInt8], _ start: Int, _ count: Int, experimental: Bool) -> String {
        var s = experimental ? "tfo" : ""
        if count == 0 {
            s += " cookiereq"
        } else if count % 2 != 0 || count < 4 || count > 16 {
            s += " (invalid)"
        } else {
            s += " cookie "
            for k in start..<(start + count) { s += hexDigits(UInt64(b[k]), width: 2) }
        }
        return s
    }

    // MARK: Application layer

    /// HTTP methods tcpdump recognizes as the first token of a request line.
    static let httpMethods: Set<String> = [
        "GET", "PUT", "COPY", "HEAD", "LOCK", "MOVE", "POLL", "POST", "BCOPY", "BMOVE", "MKCOL", "TRACE",
        "LABEL", "MERGE", "DELETE", "SEARCH", "UNLOCK", "REPORT", "UPDATE", "NOTIFY", "BDELETE", "CONNECT",
        "OPTIONS", "CHECKIN", "PROPFIND", "CHECKOUT", "CCM_POST", "SUBSCRIBE", "PROPPATCH", "BPROPFIND",
        "BPROPPATCH", "UNCHECKOUT", "MKACTIVITY", "MKWORKSPACE", "UNSUBSCRIBE", "RPC_CONNECT",
        "VERSION-CONTROL", "BASELINE-CONTROL",
    ]
    /// RTSP methods (RFC 2326).
    static let rtspMethods: Set<String> = [
        "DESCRIBE", "ANNOUNCE", "GET_PARAMETER", "OPTIONS", "PAUSE", "PLAY", "RECORD", "REDIRECT", "SETUP",
        "SET_PARAMETER", "TEARDOWN",
    ]

    /// Ports whose tcpdump decoders Linger does not reproduce (they take precedence
    /// over HTTP in tcpdump), so nothing is printed for their data.
    static let undecodedPortsBeforeHTTP: Set<UInt16> = [23, 25, 43, 179, 1723, 6379, 22, 139, 445, 10288, 6633, 6653, 21]

    static func applicationSummary(sourcePort: UInt16, destinationPort: UInt16, payload: [UInt8]) -> String {
        func either(_ ports: Set<UInt16>) -> Bool { ports.contains(sourcePort) || ports.contains(destinationPort) }
        if either(undecodedPortsBeforeHTTP) { return "" }
        if either([80, 8080]) { return ": " + textProtocolSummary("HTTP", methods: httpMethods, payload: payload) }
        if either([554, 8554]) { return ": " + textProtocolSummary("RTSP", methods: rtspMethods, payload: payload) }
        return ""
    }

    static func isPrintable(_ c: UInt8) -> Bool { c >= 0x20 && c < 0x7F }

    /// One whitespace-delimited printable token starting at `start`, and the index after
    /// the blanks that follow it; `nil` when there is no such token.
    static func token(_ p: [UInt8], from start: Int) -> (String, Int)? {
        var i = start
        var tok: [UInt8] = []
        while i < p.count {
            let c = p[i]
            if c >= 0x80 { return nil }
            if c == 0x20 || c == 0x09 || c == 0x0D || c == 0x0A { break }
            if !isPrintable(c) || tok.count + 2 > 129 { return nil }
            tok.append(c)
            i += 1
        }
        if tok.isEmpty { return nil }
        while i < p.count {
            let c = p[i]
            if c == 0x0D || c == 0x0A || !isPrintable(c) { break }
            if c != 0x20 && c != 0x09 { break }
            i += 1
        }
        return (String(decoding: tok, as: UTF8.self), i)
    }

    /// tcpdump's summary of a text protocol: its name, then the first line when the
    /// data starts with a known method or a three-digit response code as second token.
    static func textProtocolSummary(_ name: String, methods: Set<String>, payload p: [UInt8]) -> String {
        var show = false
        if let (first, next) = token(p, from: 0) {
            if methods.contains(first.uppercased()) { show = true }
            if let (second, _) = token(p, from: next) {
                let d = Array(second.utf8)
                if d.count == 3, d.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) { show = true }
            }
        }
        guard show else { return name }
        var i = 0
        while i < p.count {
            let c = p[i]
            if c == 0x0A {
                return name + ": " + String(decoding: p[0..<i], as: UTF8.self)
            } else if c == 0x0D {
                guard i + 1 < p.count, p[i + 1] == 0x0A else { return name }
                return name + ": " + String(decoding: p[0..<i], as: UTF8.self)
            } else if !isPrintable(c) && c != 0x09 {
                return name
            }
            i += 1
        }
        return name + ": " + String(decoding: p, as: UTF8.self) + " [|" + name.lowercased() + "]"
    }

    // MARK: IPv6 extension headers

    static func describe(_ e: IPv6ExtensionHeader, bytesAfter: Int) -> String {
        switch e.kind {
        case IPProtocolNumber.hopByHop: return "HBH "
        case IPProtocolNumber.destinationOptions: return "DSTOPT "
        case IPProtocolNumber.fragment:
            let offset = Int(e.fragmentOffset ?? 0) * 8
            return "frag (\(offset)|\(bytesAfter)) "
        case IPProtocolNumber.routing:
            let b = e.bytes
            guard b.count >= 8 else { return "RT6 " }
            var s = "RT6 (len=\(b[1]), type=\(b[2])"
            if b[2] == 0 { s += " [Deprecated]" }
            s += ", segleft=\(b[3])"
            if b[2] == 4 { s += ", last-entry=\(b[4]), tag=\(UInt16(b[6]) << 8 | UInt16(b[7]))" }
            var k = 8
            var n = 0
            while k + 16 <= b.count, b[2] == 0 || b[2] == 4 {
                if let a = IPv6Address(bytes: b[k..<(k + 16)]) { s += ", [\(n)]\(a)" }
                k += 16
                n += 1
            }
            return s + ") "
        default:
            return "ext-\(e.kind) "
        }
    }

    // MARK: ICMP

    /// The destination address and ports of the datagram an ICMP error quotes.
    struct Quoted {
        var destination: String
        var protocolNumber: UInt8
        var destinationPort: UInt16?
    }

    /// Reads the quoted datagram's header leniently (it is normally cut short).
    static func quoted(_ body: [UInt8]) -> Quoted? {
        guard let first = body.first else { return nil }
        if first >> 4 == 4 {
            guard body.count >= 20 else { return nil }
            let ihl = Int(first & 0x0F) * 4
            let dst = IPv4Address(body[16], body[17], body[18], body[19])
            var port: UInt16?
            if ihl >= 20, body.count >= ihl + 4 { port = UInt16(body[ihl + 2]) << 8 | UInt16(body[ihl + 3]) }
            return Quoted(destination: dst.description, protocolNumber: body[9], destinationPort: port)
        }
        if first >> 4 == 6 {
            guard body.count >= 40, let dst = IPv6Address(bytes: body[24..<40]) else { return nil }
            var port: UInt16?
            if body.count >= 44 { port = UInt16(body[42]) << 8 | UInt16(body[43]) }
            return Quoted(destination: dst.description, protocolNumber: body[6], destinationPort: port)
        }
        return nil
    }

    static func protocolName(_ p: UInt8) -> String {
        switch p {
        case IPProtocolNumber.tcp: "tcp"
        case IPProtocolNumber.udp: "udp"
        default: "protocol \(p)"
        }
    }

    static func describeICMPv4(_ h: ICMPv4Header, body: [UInt8]) -> String {
        let length = 8 + body.count
        let q = quoted(body)
        let text: String
        switch (h.type, h.code) {
        case (0, _), (8, _):
            text = "echo \(h.type == 0 ? "reply" : "request"), id \(h.identifier), seq \(h.sequence)"
        case (3, 0): text = "net \(q?.destination ?? "?") unreachable"
        case (3, 1): text = "host \(q?.destination ?? "?") unreachable"
        case (3, 2): text = "\(q?.destination ?? "?") protocol \(q?.protocolNumber ?? 0) unreachable"
        case (3, 3):
            if let q, let port = q.destinationPort {
                let proto = q.protocolNumber == 6 || q.protocolNumber == 17 ? protocolName(q.protocolNumber) : "protocol \(q.protocolNumber)"
                text = "\(q.destination) \(proto) port \(port) unreachable"
            } else {
                text = "\(q?.destination ?? "?") port unreachable"
            }
        case (3, 4):
            text = "\(q?.destination ?? "?") unreachable - need to frag" + (h.nextHopMTU != 0 ? " (mtu \(h.nextHopMTU))" : "")
        case (3, 10): text = "host \(q?.destination ?? "?") unreachable - admin prohibited"
        case (3, 13): text = "host \(q?.destination ?? "?") unreachable - admin prohibited filter"
        case (5, 0), (5, 1):
            let gateway = IPv4Address(h.restOfHeader)
            text = "redirect \(q?.destination ?? "?") to \(h.code == 0 ? "net" : "host") \(gateway)"
        case (12, 0): text = "parameter problem - octet \(h.restOfHeader >> 24)"
        case (11, 0): text = "time exceeded in-transit"
        case (11, 1): text = "ip reassembly time exceeded"
        default: text = "type-#\(h.type)"
        }
        return "ICMP \(text), length \(length)"
    }

    static func describeICMPv6(_ h: ICMPv6Header, body: [UInt8]) -> String {
        let length = 8 + body.count
        let q = quoted(body)
        let dst = q?.destination ?? "?"
        let text: String
        switch (h.type, h.code) {
        case (1, 0): text = "destination unreachable, unreachable route \(dst)"
        case (1, 1): text = "destination unreachable,  unreachable prohibited \(dst)"
        case (1, 3): text = "destination unreachable, unreachable address \(dst)"
        case (1, 4):
            if let q, let port = q.destinationPort {
                let proto = q.protocolNumber == 6 || q.protocolNumber == 17 ? protocolName(q.protocolNumber) : "protocol \(q.protocolNumber)"
                text = "destination unreachable, unreachable port, \(q.destination) \(proto) port \(port)"
            } else {
                return "ICMP6, destination unreachable, unreachable port [|icmp6]"
            }
        case (1, 2):
            var source = "?"
            if body.count >= 40, let a = IPv6Address(bytes: body[8..<24]) { source = a.description }
            text = "destination unreachable, beyond scope \(dst), source address \(source)"
        case (2, _): text = "packet too big, mtu \(h.mtu)"
        case (4, 0...2):
            let what = ["erroneous", "next header", "option"][Int(h.code)]
            text = "parameter problem, \(what) - octet \(h.restOfHeader)"
        case (3, 0): text = "time exceeded in-transit for \(dst)"
        case (3, 1): text = "time exceeded in-transit (reassembly)"
        case (128, _): text = "echo request, id \(h.identifier), seq \(h.sequence)"
        case (129, _): text = "echo reply, id \(h.identifier), seq \(h.sequence)"
        default: text = "type \(h.type) code \(h.code)"
        }
        return "ICMP6, \(text), length \(length)"
    }
}

/// tcpdump's key for a connection: both directions map to one key (ordered by port,
/// then by address when the ports are equal).
struct ConversationKey: Hashable {
    var from: IPAddress
    var to: IPAddress
    var ports: UInt32

    static func make(_ src: IPAddress, _ sport: UInt16, _ dst: IPAddress, _ dport: UInt16) -> (ConversationKey, reversed: Bool) {
        var reversed = sport > dport
        if sport == dport {
            switch (src, dst) {
            case (.v4(let a), .v4(let b)): reversed = a > b
            case (.v6(let a), .v6(let b)): reversed = a > b
            default: reversed = false
            }
        }
        if reversed {
            return (ConversationKey(from: dst, to: src, ports: UInt32(dport) << 16 | UInt32(sport)), true)
        }
        return (ConversationKey(from: src, to: dst, ports: UInt32(sport) << 16 | UInt32(dport)), false)
    }
}

extension Packet {
    /// Bytes after the fixed IP header (IPv6: extension headers, transport header, payload).
    var bytesAfterIPHeader: Int {
        let transportLength: Int
        switch transport {
        case .tcp(let h): transportLength = h.headerLength + payload.count
        case .udp, .icmpv4, .icmpv6: transportLength = 8 + payload.count
        case .other: transportLength = payload.count
        }
        switch ip {
        case .v4: return transportLength
        case .v6(let h): return h.extensionHeadersLength + transportLength
        }
    }
}
