// Packet lines: direction, encapsulation, IP info, then a TCP, UDP or ICMP body.
extension Parser {
    mutating func parsePacket() throws -> PacketSpec {
        let directionToken = advance()
        let direction: Direction = directionToken.kind == .punctuation("<") ? .inbound : .outbound
        var encapsulations: [Encapsulation] = []
        while true {
            if isKeyword("ipv4") || isKeyword("ipv6") {
                let isV4 = isKeyword("ipv4")
                advance()
                let info = try parseOptionalIPInfo()
                let source = try expectAddress(v4: isV4)
                try expectPunctuation(">")
                let destination = try expectAddress(v4: isV4)
                try expectPunctuation(":")
                encapsulations.append(isV4
                    ? .ipv4(ipInfo: info, source: source, destination: destination)
                    : .ipv6(ipInfo: info, source: source, destination: destination))
            } else if isKeyword("gre") {
                advance()
                if isPunctuation(":") {
                    advance()
                    encapsulations.append(.gre(nil))
                    continue
                }
                if isPunctuation(",") { advance() }
                let header = try parseGREHeader()
                try expectPunctuation(":")
                encapsulations.append(.gre(header))
            } else if isKeyword("mpls") {
                advance()
                var entries: [MPLSLabelStackEntry] = []
                while isPunctuation("(") {
                    entries.append(try parseMPLSEntry())
                }
                try expectPunctuation(":")
                encapsulations.append(.mpls(entries))
            } else {
                break
            }
        }
        let ipInfo = try parseOptionalIPInfo()
        let body: PacketBody
        if isKeyword("udp") {
            advance()
            if case .ecn = ipInfo?.tos {
                semanticError("ECN can only be used with TCP packets", at: directionToken.location)
            }
            let ports = try parseOptionalPorts()
            try expectPunctuation("(")
            let length = try integerField("UDP payload size", maximum: 0xFFFF)
            try expectPunctuation(")")
            body = .udp(UDPDatagramSpec(ports: ports, payloadLength: UInt16(length)))
        } else if isKeyword("icmp") {
            advance()
            body = .icmp(try parseICMP())
        } else {
            body = .tcp(try parseTCP(direction: direction, at: directionToken.location))
        }
        if ipInfo?.tos == .ect0OrEct1 && direction != .outbound {
            semanticError("[ect01] can only be used with outbound packets", at: directionToken.location)
        }
        return PacketSpec(
            direction: direction, encapsulations: encapsulations, ipInfo: ipInfo, body: body,
            location: directionToken.location)
    }

    mutating func expectAddress(v4: Bool) throws -> String {
        switch peek().kind {
        case .ipv4Address(let a) where v4, .ipv6Address(let a) where !v4:
            advance()
            return a
        default:
            throw syntaxError(expected: v4 ? "an IPv4 address" : "an IPv6 address")
        }
    }

    /// `(ip_info)` or `[ip_info]`, if present.
    mutating func parseOptionalIPInfo() throws -> IPInfo? {
        let close: String
        if isPunctuation("(") {
            close = ")"
        } else if isPunctuation("[") {
            close = "]"
        } else {
            return nil
        }
        advance()
        var info = IPInfo()
        if isKeyword("ttl") {
            advance()
            info.ttl = UInt8(try integerField("ttl", maximum: 255))
        } else if isKeyword("flowlabel") {
            info.flowLabel = try parseFlowLabel()
        } else {
            info.tos = try parseTOS()
            if isPunctuation(",") {
                advance()
                info.flowLabel = try parseFlowLabel()
            }
        }
        try expectPunctuation(close)
        return info
    }

    mutating func parseFlowLabel() throws -> UInt32 {
        try expectKeyword("flowlabel")
        let token = peek()
        guard case .hexInteger(let value) = token.kind else { throw syntaxError(expected: "a hex flow label (0x...)") }
        advance()
        return UInt32(ranged(value, 0xFFFFF, "flowlabel", at: token))
    }

    mutating func parseTOS() throws -> TOSSpec {
        let token = peek()
        switch token.kind {
        case .keyword("noecn"): advance(); return .ecn(.notECT)
        case .keyword("ect0"): advance(); return .ecn(.ect0)
        case .keyword("ect1"): advance(); return .ecn(.ect1)
        case .keyword("ce"): advance(); return .ecn(.ce)
        case .keyword("ect01"): advance(); return .ect0OrEct1
        case .keyword("tos"):
            advance()
            let valueToken = peek()
            guard case .hexInteger(let value) = valueToken.kind else { throw syntaxError(expected: "a hex TOS value (0x...)") }
            advance()
            return .tos(UInt8(ranged(value, 0xFF, "tos", at: valueToken)))
        default:
            throw syntaxError(expected: "IP info (ect0, ect1, ce, noecn, ect01, tos 0x.., flowlabel 0x.. or ttl N)")
        }
    }

    mutating func parseOptionalPorts() throws -> PortPair? {
        guard case .integer = peek().kind, isPunctuation(">", 1) else { return nil }
        let source = try integerField("source port", maximum: 0xFFFF)
        advance()
        let destination = try integerField("destination port", maximum: 0xFFFF)
        return PortPair(source: UInt16(source), destination: UInt16(destination))
    }

    mutating func parseSequenceRange() throws -> SequenceRange {
        let (start, startToken) = try expectInteger("a sequence range start:end(length)")
        try expectPunctuation(":")
        let (end, endToken) = try expectInteger("the end sequence number")
        try expectPunctuation("(")
        let (length, lengthToken) = try expectInteger("the payload length")
        try expectPunctuation(")")
        let s = ranged(start, 0xFFFF_FFFF, "start sequence number", at: startToken)
        let e = ranged(end, 0xFFFF_FFFF, "end sequence number", at: endToken)
        let l = ranged(length, 0xFFFF, "payload length", at: lengthToken)
        if (s, e, l) == (start, end, length) && e != s + l {
            semanticError("inconsistent sequence numbers and payload length: \(s) + \(l) is not \(e)", at: startToken.location)
        }
        return SequenceRange(start: UInt32(s), length: UInt16(l))
    }

    mutating func parseTCP(direction: Direction, at location: SourceLocation) throws -> TCPSegmentSpec {
        var pspSPI: Int64?
        if isKeyword("encap") {
            advance()
            try expectKeyword("psp")
            try expectKeyword("spi")
            pspSPI = try expectAnyInteger("a PSP SPI (an integer)")
        }
        let ports = try parseOptionalPorts()
        let flags = try parseFlags()
        let sequence = try parseSequenceRange()
        var segment = TCPSegmentSpec(pspSPI: pspSPI, ports: ports, flags: flags, sequence: sequence)
        if isKeyword("ack") {
            advance()
            segment.ackNumber = UInt32(try integerField("ack number", maximum: 0xFFFF_FFFF))
        }
        if isKeyword("win") {
            advance()
            segment.window = UInt16(try integerField("window", maximum: 0xFFFF))
        }
        if isKeyword("urg") {
            advance()
            segment.urgentPointer = UInt16(try integerField("urgent pointer", maximum: 0xFFFF))
        }
        if isPunctuation("<") {
            advance()
            if peek().kind == .ellipsis {
                advance()
                try expectPunctuation(">")
                segment.options = .any
                if direction != .outbound {
                    semanticError("<...> for TCP options can only be used with outbound packets", at: location)
                }
            } else {
                var options = [try parseTCPOption()]
                while isPunctuation(",") {
                    advance()
                    options.append(try parseTCPOption())
                }
                try expectPunctuation(">")
                segment.options = .exactly(options)
            }
        }
        return segment
    }

    /// Flags: a word (`S`, `FP`), optionally followed by `.` or by `.N` (AccECN ACE),
    /// a bare `.N`, `.` alone, or `-` for none.
    mutating func parseFlags() throws -> TCPFlagsSpec {
        let token = peek()
        var text: String
        switch token.kind {
        case .word(let w):
            advance()
            text = w
            if isPunctuation(".") {
                advance()
                text += "."
            } else if case .float(let f) = peek().kind {
                advance()
                text += f
            }
        case .float(let f):
            advance()
            text = f
        case .punctuation("."):
            advance()
            text = "."
        case .punctuation("-"):
            advance()
            text = ""
        default:
            throw syntaxError(expected: "TCP flags (such as S, S., P., F., R, . or -)")
        }
        var flags = TCPFlagsSpec()
        var hasECNFlag = false
        for c in text {
            switch c {
            case ".": flags.ack = true
            case "F": flags.fin = true
            case "S": flags.syn = true
            case "R": flags.rst = true
            case "P": flags.psh = true
            case "U": flags.urg = true
            case "E", "W", "A":
                if flags.ace != nil { semanticError("conflicting TCP flag '\(c)' (an ACE value is already given)", at: token.location) }
                hasECNFlag = true
                if c == "E" { flags.ece = true } else if c == "W" { flags.cwr = true } else { flags.ae = true }
            case "0"..."7":
                if hasECNFlag || flags.ace != nil {
                    semanticError("conflicting TCP flag '\(c)'", at: token.location)
                }
                flags.ace = c.wholeNumberValue.map { UInt8($0) }
            default:
                semanticError("invalid TCP flag '\(c)'", at: token.location)
            }
        }
        return flags
    }

    /// A cookie or digest: hex digits, written as a word or an integer.
    mutating func parseHexBlob() -> String? {
        let token = peek()
        switch token.kind {
        case .word(let w):
            advance()
            return w
        case .integer(let n):
            advance()
            return Int64(token.text) == n ? token.text : String(n)
        default:
            return nil
        }
    }

    mutating func parseTCPOption() throws -> TCPOptionSpec {
        let token = peek()
        let location = token.location
        switch token.kind {
        case .keyword("nop"):
            advance()
            return TCPOptionSpec(.nop, location: location)
        case .keyword("eol"):
            advance()
            return TCPOptionSpec(.eol, location: location)
        case .keyword("mss"):
            advance()
            return TCPOptionSpec(.mss(UInt16(try integerField("mss", maximum: 0xFFFF))), location: location)
        case .keyword("wscale"):
            advance()
            return TCPOptionSpec(.windowScale(UInt8(try integerField("window scale shift count", maximum: 0xFF))), location: location)
        case .keyword("sackOK"):
            advance()
            return TCPOptionSpec(.sackPermitted, location: location)
        case .keyword("sack"):
            advance()
            var blocks: [SACKBlockSpec] = []
            repeat {
                let left = try integerField("SACK left edge", maximum: 0xFFFF_FFFF)
                try expectPunctuation(":")
                let right = try integerField("SACK right edge", maximum: 0xFFFF_FFFF)
                blocks.append(SACKBlockSpec(left: UInt32(left), right: UInt32(right)))
            } while peek().isInteger
            return TCPOptionSpec(.sack(blocks), location: location)
        case .keyword("md5"):
            advance()
            guard let digest = parseHexBlob() else { throw syntaxError(expected: "an MD5 digest in hex") }
            return TCPOptionSpec(.md5(digest), location: location)
        case .keyword("TS"):
            advance()
            try expectKeyword("val")
            let value = try integerField("TS val", maximum: 0xFFFF_FFFF)
            try expectKeyword("ecr")
            let echo = try integerField("TS ecr", maximum: 0xFFFF_FFFF)
            return TCPOptionSpec(.timestamp(value: UInt32(value), echoReply: UInt32(echo)), location: location)
        case .keyword("FO"):
            advance()
            return TCPOptionSpec(.fastOpen(cookie: parseHexBlob() ?? ""), location: location)
        case .keyword("FOEXP"):
            advance()
            return TCPOptionSpec(.fastOpenExperimental(cookie: parseHexBlob() ?? ""), location: location)
        case .keyword("ECN"):
            advance()
            return TCPOptionSpec(.accECN(try parseAccECNFields()), location: location)
        default:
            throw syntaxError(expected: "a TCP option (nop, eol, mss, wscale, sackOK, sack, TS, md5, FO, FOEXP or ECN)")
        }
    }

    /// `e0b N [ceb N [e1b N]]` or `e1b N [ceb N [e0b N]]`.
    mutating func parseAccECNFields() throws -> [AccECNField] {
        func counter(_ token: Token) -> AccECNField.Counter? {
            switch token.kind {
            case .keyword("e0b"): return .ect0Bytes
            case .keyword("e1b"): return .ect1Bytes
            case .keyword("ceb"): return .ceBytes
            default: return nil
            }
        }
        guard let first = counter(peek()), first != .ceBytes else { throw syntaxError(expected: "'e0b' or 'e1b'") }
        let order: [AccECNField.Counter] = first == .ect0Bytes ? [.ect0Bytes, .ceBytes, .ect1Bytes] : [.ect1Bytes, .ceBytes, .ect0Bytes]
        var fields: [AccECNField] = []
        for expected in order {
            guard counter(peek()) == expected else { break }
            advance()
            let value = try integerField("AccECN counter", maximum: 0xFF_FFFF)
            fields.append(AccECNField(counter: expected, value: UInt32(value)))
        }
        return fields
    }

    mutating func parseICMP() throws -> ICMPMessageSpec {
        var message = ICMPMessageSpec(type: try expectWord("an ICMP type (such as unreachable)"))
        if case .word(let code) = peek().kind {
            advance()
            message.code = code
        }
        if isKeyword("mtu") {
            advance()
            message.mtu = try expectInteger("an MTU (an integer)").0
        }
        if isKeyword("id") {
            advance()
            message.echoID = try expectInteger("an echo id (an integer)").0
        }
        if isPunctuation("[") {
            advance()
            if isKeyword("udp") || isKeyword("raw") {
                let isUDP = isKeyword("udp")
                advance()
                try expectPunctuation("(")
                let length = try expectInteger("a payload length").0
                try expectPunctuation(")")
                message.echoed = isUDP ? .udp(payloadLength: length) : .raw(payloadLength: length)
            } else {
                message.echoed = .tcp(try parseSequenceRange())
            }
            try expectPunctuation("]")
        }
        return message
    }

    mutating func parseGREHeader() throws -> GREHeader {
        try expectKeyword("flags")
        let flags: GREFlags
        if isPunctuation("[") {
            advance()
            var names: [GREFlag] = []
            repeat {
                if !names.isEmpty { advance() }
                switch peek().kind {
                case .keyword("none"):
                    advance()
                    names.append(.none)
                case .keyword("checksum"), .keyword("key"), .keyword("sequence#"):
                    let flag: GREFlag = isKeyword("checksum") ? .checksumPresent : isKeyword("key") ? .keyPresent : .sequencePresent
                    advance()
                    try expectKeyword("present")
                    names.append(flag)
                default:
                    throw syntaxError(expected: "a GRE flag (none, checksum present, key present or sequence# present)")
                }
            } while isPunctuation(",")
            try expectPunctuation("]")
            flags = .named(names)
        } else {
            flags = .value(try expectAnyInteger("GRE flags ([...] or an integer)"))
        }
        if isPunctuation(",") { advance() }
        try expectKeyword("sum")
        let checksum = try expectAnyInteger("a GRE checksum")
        if isPunctuation(",") { advance() }
        try expectKeyword("off")
        let offset = try expectAnyInteger("a GRE offset")
        if isPunctuation(",") { advance() }
        try expectKeyword("key")
        if isPunctuation("=") { advance() }
        let key = try expectAnyInteger("a GRE key")
        if isPunctuation(",") { advance() }
        try expectKeyword("seq")
        let sequence = try expectAnyInteger("a GRE sequence number")
        return GREHeader(flags: flags, checksum: checksum, offset: offset, key: key, sequence: sequence)
    }

    /// `(label L, tc T, [S], ttl N)`
    mutating func parseMPLSEntry() throws -> MPLSLabelStackEntry {
        try expectPunctuation("(")
        try expectKeyword("label")
        let label = try integerField("MPLS label", maximum: 0xFFFFF)
        try expectPunctuation(",")
        try expectKeyword("tc")
        let trafficClass = try integerField("MPLS traffic class", maximum: 7)
        try expectPunctuation(",")
        var bottom = false
        if isPunctuation("[") {
            advance()
            let marker = peek()
            let word = try expectWord("S (bottom of stack)")
            if word != "S" { semanticError("expected [S] for the bottom of the MPLS label stack", at: marker.location) }
            try expectPunctuation("]")
            try expectPunctuation(",")
            bottom = true
        }
        try expectKeyword("ttl")
        let ttl = try integerField("MPLS ttl", maximum: 255)
        try expectPunctuation(")")
        return MPLSLabelStackEntry(label: label, trafficClass: trafficClass, isBottomOfStack: bottom, ttl: ttl)
    }
}
