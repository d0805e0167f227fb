// System call lines and their argument expressions.
extension Parser {
    mutating func parseSyscall() throws -> SyscallSpec {
        var blockingEnd: Int64?
        if peek().kind == .ellipsis {
            advance()
            blockingEnd = try parseTime()
        }
        let nameToken = peek()
        let name = try expectWord("a system call name")
        try expectPunctuation("(")
        var arguments: [SyscallExpression] = []
        if !isPunctuation(")") {
            arguments = try parseExpressionList(depth: 0)
        }
        try expectPunctuation(")")
        guard isPunctuation("=") else { throw syntaxError(expected: "'=' and the expected result") }
        advance()
        let result = try parseExpression(depth: 0)
        var errno: ErrnoSpec?
        if case .word(let errnoName) = peek().kind {
            advance()
            guard isPunctuation("(") else { throw syntaxError(expected: "'(' and the error's description after \(errnoName)") }
            errno = ErrnoSpec(name: errnoName, description: try parseNote())
        }
        var note: String?
        if isPunctuation("(") {
            note = try parseNote()
        }
        return SyscallSpec(
            blockingEndMicroseconds: blockingEnd, name: name, arguments: arguments, result: result,
            errno: errno, note: note, location: nameToken.location)
    }

    /// `(word word ...)`
    mutating func parseNote() throws -> String {
        try expectPunctuation("(")
        var words: [String] = []
        while true {
            switch peek().kind {
            case .word(let w):
                advance()
                words.append(w)
                continue
            case .keyword("flags"):
                advance()
                words.append("flags")
                continue
            default:
                break
            }
            break
        }
        if words.isEmpty { throw syntaxError(expected: "words describing the result") }
        try expectPunctuation(")")
        return words.joined(separator: " ")
    }

    mutating func parseExpressionList(depth: Int) throws -> [SyscallExpression] {
        var list = [try parseExpression(depth: depth)]
        while isPunctuation(",") {
            advance()
            list.append(try parseExpression(depth: depth))
        }
        return list
    }

    /// An expression: operands joined by `|`, each possibly `NAME=`-prefixed.
    ///
    /// Both `|` and `NAME=` group to the right, as packetdrill's parser resolves
    /// them: `A=B|C` is `A=(B|C)`, `A|B|C` is `A|(B|C)`. Chains are read in a loop,
    /// not by recursion, so long ones cannot exhaust the stack.
    mutating func parseExpression(depth: Int) throws -> SyscallExpression {
        enum Pending {
            case or(SyscallExpression)
            case assignment(String, SourceLocation)
        }
        var pending: [Pending] = []
        var result: SyscallExpression
        while true {
            if case .word(let name) = peek().kind, isPunctuation("=", 1) {
                pending.append(.assignment(name, peek().location))
                advance()
                advance()
                continue
            }
            let operand = try parseOperand(depth: depth)
            if isPunctuation("|") {
                advance()
                pending.append(.or(operand))
                continue
            }
            result = operand
            break
        }
        for item in pending.reversed() {
            switch item {
            case .or(let lhs):
                result = SyscallExpression(.bitwiseOr(lhs, result), location: lhs.location)
            case .assignment(let name, let location):
                result = SyscallExpression(.assignment(name: name, value: result), location: location)
            }
        }
        return result
    }

    mutating func parseOperand(depth: Int) throws -> SyscallExpression {
        let token = peek()
        let location = token.location
        switch token.kind {
        case .ellipsis:
            advance()
            return SyscallExpression(.ellipsis, location: location)
        case .integer(let n):
            advance()
            return SyscallExpression(.integer(n, .decimal), location: location)
        case .hexInteger(let n):
            advance()
            return SyscallExpression(.integer(n, .hexadecimal), location: location)
        case .word(let w):
            advance()
            return SyscallExpression(.word(w), location: location)
        case .string(let s):
            advance()
            if peek().kind == .ellipsis {
                advance()
                return SyscallExpression(.stringPrefix(s), location: location)
            }
            var parts = [s]
            while case .string(let more) = peek().kind {
                advance()
                parts.append(more)
            }
            return SyscallExpression(parts.count == 1 ? .string(s) : .stringConcatenation(parts), location: location)
        case .punctuation("["):
            guard depth < Parser.maximumNesting else { throw syntaxError(expected: "less deeply nested brackets") }
            return SyscallExpression(.array(try parseArray(depth: depth + 1)), location: location)
        case .keyword("inet_addr"), .keyword("inet6_addr"):
            advance()
            try expectPunctuation("(")
            let address = try expectString("an address in double quotes")
            try expectPunctuation(")")
            return SyscallExpression(token.kind == .keyword("inet_addr") ? .inetAddress(address) : .inet6Address(address), location: location)
        case .punctuation("{"):
            guard depth < Parser.maximumNesting else { throw syntaxError(expected: "less deeply nested braces") }
            return SyscallExpression(try parseBraced(depth: depth + 1), location: location)
        default:
            throw syntaxError(expected: "an expression (a number, a NAME, a \"string\", ..., [array] or {struct})")
        }
    }

    mutating func parseArray(depth: Int) throws -> [SyscallExpression] {
        try expectPunctuation("[")
        if isPunctuation("]") {
            advance()
            return []
        }
        let items = try parseExpressionList(depth: depth)
        try expectPunctuation("]")
        return items
    }

    mutating func expectField(_ keyword: String) throws {
        try expectKeyword(keyword)
        try expectPunctuation("=")
    }

    /// Everything that starts with `{`: the special structs are told apart by the
    /// reserved word after the brace; anything else is a plain list of values.
    mutating func parseBraced(depth: Int) throws -> SyscallExpression.Kind {
        try expectPunctuation("{")
        let kind: SyscallExpression.Kind
        switch peek().kind {
        case .keyword("sa_family"):
            try expectField("sa_family")
            let familyToken = peek()
            let family = try expectWord("an address family (AF_INET or AF_INET6)")
            if family != "AF_INET" && family != "AF_INET6" {
                semanticError("address family must be AF_INET or AF_INET6, found \(family)", at: familyToken.location)
            }
            try expectPunctuation(",")
            try expectField("sin_port")
            try expectKeyword("htons")
            try expectPunctuation("(")
            let port = try integerField("port", maximum: 0xFFFF)
            try expectPunctuation(")")
            try expectPunctuation(",")
            try expectField("sin_addr")
            try expectKeyword("inet_addr")
            try expectPunctuation("(")
            let address = try expectString("an address in double quotes")
            try expectPunctuation(")")
            kind = .socketAddress(family: family, port: port, address: address)
        case .keyword("msg_name"):
            advance()
            try expectPunctuation("(")
            guard peek().kind == .ellipsis else { throw syntaxError(expected: "'...'") }
            advance()
            try expectPunctuation(")")
            try expectPunctuation("=")
            guard peek().kind == .ellipsis else { throw syntaxError(expected: "'...'") }
            advance()
            try expectPunctuation(",")
            try expectKeyword("msg_iov")
            try expectPunctuation("(")
            let count = try expectInteger("the iovec count").0
            try expectPunctuation(")")
            try expectPunctuation("=")
            let iov = try parseArray(depth: depth + 1)
            try expectPunctuation(",")
            try expectField("msg_flags")
            let flags = try parseExpression(depth: depth)
            var control: [SyscallExpression]?
            if isPunctuation(",") {
                advance()
                try expectField("msg_control")
                control = try parseArray(depth: depth + 1)
            }
            kind = .messageHeader(MessageHeader(iovCount: count, iov: iov, flags: flags, control: control))
        case .keyword("cmsg_level"):
            try expectField("cmsg_level")
            let level = try parseExpression(depth: depth)
            try expectPunctuation(",")
            try expectField("cmsg_type")
            let type = try parseExpression(depth: depth)
            try expectPunctuation(",")
            try expectField("cmsg_data")
            let data = try parseExpression(depth: depth)
            kind = .controlMessage(level: level, type: type, data: data)
        case .keyword("scm_sec"):
            try expectField("scm_sec")
            let seconds = try expectInteger("seconds").0
            try expectPunctuation(",")
            try expectField("scm_nsec")
            let nanoseconds = try expectInteger("nanoseconds").0
            kind = .timestamping(seconds: seconds, nanoseconds: nanoseconds)
        case .keyword("ee_errno"):
            var values: [SyscallExpression] = []
            for field in ["ee_errno", "ee_origin", "ee_type", "ee_code", "ee_info", "ee_data"] {
                if !values.isEmpty { try expectPunctuation(",") }
                try expectField(field)
                values.append(try parseExpression(depth: depth))
            }
            kind = .extendedError(ExtendedError(
                errno: values[0], origin: values[1], type: values[2], code: values[3], info: values[4], data: values[5]))
        case .ellipsis where isPunctuation(",", 1):
            advance()
            advance()
            let length = try expectInteger("the iovec length (an integer)").0
            kind = .ioVector(length: length)
        case .keyword("fd"):
            try expectField("fd")
            let fd = try parseExpression(depth: depth)
            try expectPunctuation(",")
            try expectField("events")
            let events = try parseExpression(depth: depth)
            var returned: SyscallExpression?
            if isPunctuation(",") {
                advance()
                try expectField("revents")
                returned = try parseExpression(depth: depth)
            }
            kind = .pollDescriptor(fd: fd, events: events, returnedEvents: returned)
        case .keyword("events"):
            try expectField("events")
            let events = try parseExpression(depth: depth)
            try expectPunctuation(",")
            let member = peek().kind
            guard [.keyword("fd"), .keyword("ptr"), .keyword("u32"), .keyword("u64")].contains(member) else {
                throw syntaxError(expected: "fd, ptr, u32 or u64")
            }
            advance()
            try expectPunctuation("=")
            let value = try parseExpression(depth: depth)
            switch member {
            case .keyword("fd"): kind = .epollEvent(events: events, data: .fd(value))
            case .keyword("ptr"): kind = .epollEvent(events: events, data: .ptr(value))
            case .keyword("u32"): kind = .epollEvent(events: events, data: .u32(value))
            default: kind = .epollEvent(events: events, data: .u64(value))
            }
        case .keyword("onoff"):
            try expectField("onoff")
            let onOff = try expectInteger("an integer").0
            try expectPunctuation(",")
            try expectField("linger")
            let seconds = try expectInteger("an integer").0
            kind = .linger(onOff: onOff, seconds: seconds)
        case .punctuation("("), .punctuation("}"):
            var entries: [MPLSLabelStackEntry] = []
            while isPunctuation("(") {
                entries.append(try parseMPLSEntry())
            }
            kind = .mplsStack(entries)
        case .keyword("flags"):
            kind = .greHeader(try parseGREHeader())
        default:
            kind = .structure(try parseExpressionList(depth: depth))
        }
        try expectPunctuation("}")
        return kind
    }
}
