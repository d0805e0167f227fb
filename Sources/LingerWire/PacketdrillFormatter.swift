/// Writes packets the way packetdrill writes them in scripts and in its error messages:
/// `S 0:0(0) win 32792 <mss 1000,sackOK,nop,nop,nop,wscale 7>`,
/// `P. 1:1001(1000) ack 1 win 257`.
///
/// Sequence numbers are shown relative to the initial sequence numbers of each endpoint
/// (`seq - isn(source)`, `ack` and SACK edges `- isn(destination)`); endpoints not in the
/// table show raw numbers.
public struct PacketdrillFormatter: Sendable, Hashable {
    /// Initial sequence number of each endpoint.
    public var initialSequenceNumbers: [TCPEndpoint: UInt32]
    /// Prefix lines with `src:port > dst:port ` (packetdrill's full dump format).
    public var showEndpoints: Bool
    /// Show `win N` (packetdrill leaves it out when a script does not check the window).
    public var showWindow: Bool
    /// Show ECE, CWR and AE as one AccECN ACE digit (0...7) instead of the letters E W A.
    public var accurateECN: Bool
    /// Append the IP ECN codepoint as scripts write it (`[ect0]`, `[ect1]`, `[ce]`) when it is not "not ECT".
    public var showIPECN: Bool

    /// A formatter with the given initial sequence numbers and display choices.
    public init(initialSequenceNumbers: [TCPEndpoint: UInt32] = [:], showEndpoints: Bool = false,
                showWindow: Bool = true, accurateECN: Bool = false, showIPECN: Bool = false) {
        self.initialSequenceNumbers = initialSequenceNumbers
        self.showEndpoints = showEndpoints
        self.showWindow = showWindow
        self.accurateECN = accurateECN
        self.showIPECN = showIPECN
    }

    /// The packetdrill line for `packet`.
    public func format(_ packet: Packet) -> String {
        var out = ""
        let endpoints: String
        switch packet.transport {
        case .tcp(let h):
            endpoints = "\(packet.ip.source):\(h.sourcePort) > \(packet.ip.destination):\(h.destinationPort) "
        case .udp(let h):
            endpoints = "\(packet.ip.source):\(h.sourcePort) > \(packet.ip.destination):\(h.destinationPort) "
        default:
            endpoints = ""
        }
        if showEndpoints { out += endpoints }
        switch packet.transport {
        case .tcp(let h):
            out += formatTCP(packet, h)
        case .udp:
            out += "udp (\(packet.payload.count))"
        case .icmpv4:
            out += "icmpv4"
        case .icmpv6:
            out += "icmpv6"
        case .other:
            out += "[NO TCP, UDP OR ICMP HEADER]"
        }
        if showIPECN {
            switch packet.ip.ecn {
            case .notECT: break
            case .ect0: out += " [ect0]"
            case .ect1: out += " [ect1]"
            case .ce: out += " [ce]"
            }
        }
        return out
    }

    private func formatTCP(_ packet: Packet, _ h: TCPHeader) -> String {
        var out = ""
        let letters: [(TCPFlags, Character)] = [(.fin, "F"), (.syn, "S"), (.rst, "R"), (.psh, "P"), (.ack, "."), (.urg, "U")]
        for (flag, letter) in letters where h.flags.contains(flag) { out.append(letter) }
        if accurateECN {
            var ace = 0
            if h.flags.contains(.ece) { ace |= 1 }
            if h.flags.contains(.cwr) { ace |= 2 }
            if h.flags.contains(.ae) { ace |= 4 }
            out += String(ace)
        } else {
            if h.flags.contains(.ece) { out += "E" }
            if h.flags.contains(.cwr) { out += "W" }
            if h.flags.contains(.ae) { out += "A" }
        }
        let ownISN = initialSequenceNumbers[TCPEndpoint(packet.ip.source, h.sourcePort)] ?? 0
        let peerISN = initialSequenceNumbers[TCPEndpoint(packet.ip.destination, h.destinationPort)] ?? 0
        let seq = h.sequenceNumber.rawValue &- ownISN
        let length = UInt32(truncatingIfNeeded: packet.payload.count)
        out += " \(seq):\(seq &+ length)(\(length))"
        if h.flags.contains(.ack) { out += " ack \(h.acknowledgmentNumber.rawValue &- peerISN)" }
        if showWindow { out += " win \(h.window)" }
        if !h.options.isEmpty {
            out += " <" + h.options.compactMap { Self.describe($0, peerISN: peerISN) }.joined(separator: ",") + ">"
        }
        return out
    }

    /// One option as a packetdrill script writes it (`nil` for bytes after end-of-list,
    /// which packetdrill does not show). SACK edges are shown relative to `peerISN`.
    public static func describe(_ option: TCPOption, peerISN: UInt32) -> String? {
        func hex(_ bytes: [UInt8]) -> String { bytes.map { hexDigits(UInt64($0), width: 2) }.joined() }
        switch option {
        case .endOfList: return "eol"
        case .noOperation: return "nop"
        case .maximumSegmentSize(let v): return "mss \(v)"
        case .windowScale(let v): return "wscale \(v)"
        case .sackPermitted: return "sackOK"
        case .sack(let blocks):
            return "sack " + blocks.map { "\($0.left &- peerISN):\($0.right &- peerISN)" }.joined(separator: " ")
        case .timestamps(let v, let e): return "TS val \(v) ecr \(e)"
        case .md5Signature(let d): return d.isEmpty ? "md5" : "md5 " + hex(d)
        case .fastOpen(let c): return c.isEmpty ? "FO" : "FO " + hex(c)
        case .fastOpenExperimental(let c): return c.isEmpty ? "FOEXP" : "FOEXP " + hex(c)
        case .raw(let kind, let d): return d.isEmpty ? "unknown-\(kind)" : "unknown-\(kind) 0x" + hex(d)
        case .unparsed: return nil
        }
    }
}
