import LingerScript
import LingerWire

/// Packet events: run_packet.c's socket matching, inbound mapping and injection,
/// outbound sniffing and verification.
extension ScriptRunner {
    struct PacketError: Error {
        var message: String
        /// Whether `--non_fatal=packet` turns it into a warning.
        var nonFatal = false
    }

    func runPacketEvent(_ packet: PacketSpec, event: Event) throws(RunFailure) {
        currentAction = event.action
        let line = event.location.line
        if !packet.encapsulations.isEmpty {
            throw .unsupported("\(scriptPath):\(line): encapsulated packets (ipv4/ipv6/gre/mpls outer headers) are not supported by linger")
        }
        if case .tcp(let tcp) = packet.body, tcp.pspSPI != nil {
            throw .unsupported("\(scriptPath):\(line): PSP-encapsulated packets are not supported by linger")
        }
        let socket: TrackedSocket
        do throws(PacketError) {
            socket = try findOrCreateSocket(for: packet)
        } catch {
            throw .script("\(scriptPath):\(line): error handling packet: \(error.message)")
        }
        if packet.direction == .inbound { try waitForEvent() }
        do throws(PacketError) {
            if packet.direction == .outbound {
                try expectOutbound(packet, socket: socket)
            } else {
                try injectInbound(packet, socket: socket)
            }
        } catch {
            if error.nonFatal && configuration.nonFatalPacket {
                warnings.append("\(scriptPath):\(line): warning handling packet: \(error.message)")
                return
            }
            throw .script("\(scriptPath):\(line): error handling packet: \(error.message)")
        }
    }

    var wireIsIPv6: Bool { configuration.network.ipVersion == .ipv6 }

    func ephemeralPort() -> UInt16 {
        let port = nextEphemeralPort
        nextEphemeralPort = port == UInt16.max ? 32768 : port + 1
        return port
    }

    /// find_or_create_socket_for_script_packet.
    func findOrCreateSocket(for packet: PacketSpec) throws(PacketError) -> TrackedSocket {
        if case .tcp(let tcp) = packet.body {
            // A SYN to a listener (or to nothing) starts a passive child.
            if packet.direction == .inbound, socketUnderTest == nil || socketUnderTest?.state == .passiveListening {
                let child = TrackedSocket(state: .passivePacketReceived, addressFamily: wireIsIPv6 ? 10 : 2)
                child.script.remote = SocketEndpoint(address: nil, port: tcp.ports?.source ?? 0)
                child.script.local = SocketEndpoint(address: nil, port: tcp.ports?.destination ?? 0)
                child.script.remoteISN = tcp.sequence.start
                child.live.remote = SocketEndpoint(address: configuration.network.remoteAddress, port: ephemeralPort())
                child.live.local = SocketEndpoint(address: configuration.network.localAddress, port: configuration.network.bindPort)
                child.live.remoteISN = tcp.sequence.start
                entries.insert(child, at: 0)
                socketUnderTest = child
                return child
            }
            // An outbound SYN from a connecting socket.
            if packet.direction == .outbound, tcp.flags.syn, !tcp.flags.ack, let socket = socketUnderTest,
               socket.state == .activeConnecting {
                socket.state = .activeSynSent
                socket.script.localISN = tcp.sequence.start
                return socket
            }
        }
        if let socket = socketUnderTest {
            switch packet.body {
            case .tcp: if socket.protocolNumber == 6 { return socket }
            case .udp: if socket.protocolNumber == 17 { return socket }
            case .icmp: if socket.protocolNumber == 6 || socket.protocolNumber == 17 || socket.protocolNumber == 1 || socket.protocolNumber == 58 { return socket }
            }
            switch packet.body {
            case .tcp(let tcp) where tcp.ports != nil: return socket
            case .udp(let udp) where udp.ports != nil: return socket
            default: break
            }
        }
        throw PacketError(message: "no matching socket for script packet")
    }

    // MARK: - Inbound

    func injectInbound(_ spec: PacketSpec, socket: TrackedSocket) throws(PacketError) {
        if case .tcp(let tcp) = spec.body {
            if socket.state == .passiveSynAckSent && tcp.flags.ack {
                socket.state = .passiveSynAckAcked
            } else if socket.state == .activeSynSent && tcp.flags.syn && tcp.flags.ack {
                socket.state = .activeSynAcked
                socket.script.remoteISN = tcp.sequence.start
                socket.live.remoteISN = tcp.sequence.start
            }
        }
        let packet = try buildInbound(spec, socket: socket)
        if let tcp = packet.tcp {
            socket.lastInjectedTCP = tcp
            socket.lastInjectedPayloadLength = packet.payload.count
        }
        emit("inbound injected packet: \(ScriptPackets.seconds(scriptTime(backend.now()))) \(PacketdrillFormatter().format(packet))")
        let bytes = packet.serialize()
        packetObserver?(ObservedPacket(direction: .inbound, time: scriptTime(backend.now()), bytes: bytes))
        do {
            try backend.inject(bytes)
        } catch {
            throw PacketError(message: "backend could not inject the packet: \(error.message)")
        }
    }

    /// map_inbound_packet: the script's packet with live addresses, ports, sequence
    /// numbers and timestamps.
    func buildInbound(_ spec: PacketSpec, socket: TrackedSocket) throws(PacketError) -> Packet {
        guard let source = socket.live.remote.address, let destination = socket.live.local.address else {
            throw PacketError(message: "no live addresses known for the socket this packet is for")
        }
        let tos = ScriptPackets.tosByte(spec.ipInfo)
        let ttl = ScriptPackets.ttl(spec.ipInfo)
        func ipHeader(_ protocolNumber: UInt8) -> IPHeader {
            switch (source, destination) {
            case (.v4(let s), .v4(let d)):
                return .v4(IPv4Header(source: s, destination: d, protocolNumber: protocolNumber, ttl: ttl, tos: tos, flags: 0))
            default:
                var h = IPHeader.between(source, destination, protocolNumber: protocolNumber, ttl: ttl)
                if case .v6(var v6) = h {
                    v6.trafficClass = tos
                    v6.flowLabel = (spec.ipInfo?.flowLabel ?? 0) & 0xF_FFFF
                    h = .v6(v6)
                }
                return h
            }
        }
        switch spec.body {
        case .tcp(let tcp):
            guard let window = tcp.window else { throw PacketError(message: "window must be specified for inbound packets") }
            guard case .exactly(let optionSpecs) = tcp.options else {
                throw PacketError(message: "<...> for TCP options can only be used with outbound packets")
            }
            var options: [TCPOption]
            do { options = try ScriptPackets.tcpOptions(optionSpecs) } catch { throw PacketError(message: error.message) }
            let isSYN = tcp.flags.syn
            let seq = tcp.sequence.start &+ socket.remoteScriptToLiveOffset(isSYN: isSYN)
            let ackOffset = socket.localScriptToLiveOffset(isSYN: isSYN)
            var ack = tcp.ackNumber ?? 0
            if tcp.flags.ack { ack = ack &+ ackOffset }
            for i in options.indices {
                switch options[i] {
                case .sack(let blocks):
                    options[i] = .sack(blocks.map { SACKBlock(left: $0.left &+ ackOffset, right: $0.right &+ ackOffset) })
                case .timestamps(let value, let ecr) where tcp.flags.ack:
                    let liveEcr: UInt32
                    if let mapped = socket.tsValMap[ecr] {
                        liveEcr = mapped
                    } else if configuration.tcpTimestampEcrScaled, let first = socket.firstTimestamp {
                        liveEcr = ecr &- first.scriptVal &+ first.actualVal
                    } else {
                        throw PacketError(message: "unable to infer live TS ecr for script TS ecr \(ecr);  no matching or preceding outbound TS val")
                    }
                    options[i] = .timestamps(value: value, echoReply: liveEcr)
                default: break
                }
            }
            let header = TCPHeader(
                sourcePort: tcp.ports?.source ?? socket.live.remote.port,
                destinationPort: tcp.ports?.destination ?? socket.live.local.port,
                sequenceNumber: SequenceNumber(seq), acknowledgmentNumber: SequenceNumber(ack),
                flags: ScriptPackets.flags(tcp.flags), window: window, options: options,
                urgentPointer: tcp.urgentPointer ?? 0)
            return Packet(ip: ipHeader(IPProtocolNumber.tcp), transport: .tcp(header),
                          payload: [UInt8](repeating: 0, count: Int(tcp.sequence.length)))
        case .udp(let udp):
            let header = UDPHeader(sourcePort: udp.ports?.source ?? socket.live.remote.port,
                                   destinationPort: udp.ports?.destination ?? socket.live.local.port)
            return Packet(ip: ipHeader(IPProtocolNumber.udp), transport: .udp(header),
                          payload: [UInt8](repeating: 0, count: Int(udp.payloadLength)))
        case .icmp(let icmp):
            return try buildInboundICMP(icmp, socket: socket, source: source, destination: destination, ip: ipHeader)
        }
    }

    static let icmpv4Types: [String: (UInt8, [String: UInt8])] = [
        "echo_reply": (0, [:]),
        "unreachable": (3, ["net_unreachable": 0, "host_unreachable": 1, "protocol_unreachable": 2, "port_unreachable": 3,
                            "frag_needed": 4, "source_route_failed": 5, "net_unknown": 6, "host_unknown": 7,
                            "source_host_isolated": 8, "net_prohibited": 9, "host_prohibited": 10,
                            "net_unreachable_for_tos": 11, "host_unreachable_for_tos": 12, "packet_filtered": 13,
                            "precedence_violation": 14, "precedence_cutoff": 15]),
        "source_quench": (4, [:]), "redirect": (5, [:]), "echo_request": (8, [:]), "time_exceeded": (11, [:]),
        "parameter_problem": (12, [:]), "timestamp_request": (13, [:]), "timestamp_reply": (14, [:]),
        "information_request": (15, [:]), "information_reply": (16, [:]), "address_mask_request": (17, [:]),
        "address_mask_reply": (18, [:]),
    ]

    static let icmpv6Types: [String: (UInt8, [String: UInt8])] = [
        "unreachable": (1, ["net_unreachable": 0, "no_route": 0, "admin_prohibited": 1, "not_neighbour": 2,
                            "address_unreachable": 3, "port_unreachable": 4]),
        "packet_too_big": (2, [:]),
        "time_exceeded": (3, ["exceeded_hop_limit": 0, "exceeded_frag_time": 1]),
        "parameter_problem": (4, ["header_field": 0, "unknown_next_header": 1, "unknown_option": 2]),
        "echo_request": (128, [:]), "echo_reply": (129, [:]),
    ]

    /// The ICMP type and code a line names (`type_N` / `code_N` also work).
    func icmpTypeAndCode(_ icmp: ICMPMessageSpec) throws(PacketError) -> (UInt8, UInt8) {
        let table = wireIsIPv6 ? Self.icmpv6Types : Self.icmpv4Types
        var codes: [String: UInt8] = [:]
        let type: UInt8
        if icmp.type.hasPrefix("type_"), let n = UInt8(icmp.type.dropFirst(5)) {
            type = n
        } else if let entry = table[icmp.type] {
            type = entry.0
            codes = entry.1
        } else {
            throw PacketError(message: "bad ICMP type \(icmp.type)")
        }
        guard let codeName = icmp.code else { return (type, 0) }
        if codeName.hasPrefix("code_"), let n = UInt8(codeName.dropFirst(5)) { return (type, n) }
        guard let code = codes[codeName] else { throw PacketError(message: "bad ICMP code \(codeName)") }
        return (type, code)
    }

    func buildInboundICMP(_ icmp: ICMPMessageSpec, socket: TrackedSocket, source: IPAddress, destination: IPAddress,
                          ip: (UInt8) -> IPHeader) throws(PacketError) -> Packet {
        let (type, code) = try icmpTypeAndCode(icmp)
        var rest: UInt32 = 0
        if let mtu = icmp.mtu {
            if wireIsIPv6 {
                guard type == 2, code == 0 else { throw PacketError(message: "ICMPv6 MTU is only valid for packet_too_big-0") }
                guard mtu >= 0, mtu <= Int64(UInt32.max) else { throw PacketError(message: "ICMPv6 MTU out of 32-bit range") }
                rest = UInt32(mtu)
            } else {
                guard type == 3, code == 4 else { throw PacketError(message: "ICMPv4 MTU is only valid for unreachable-frag_needed") }
                guard mtu >= 0, mtu <= 0xFFFF else { throw PacketError(message: "ICMPv4 MTU out of 16-bit range") }
                rest = UInt32(mtu)
            }
        }
        if let id = icmp.echoID {
            guard id >= 0, id <= 65535 else { throw PacketError(message: "invalid echo_id, must be between 0 and 65535") }
            rest |= UInt32(id) << 16
        }
        // The quoted packet: the stack's own packet (local -> remote) as the remote end saw it.
        var body: [UInt8] = []
        let echoed = icmp.echoed ?? .tcp(SequenceRange(start: 0, length: 0))
        switch echoed {
        case .tcp(let range):
            let seq = range.start &+ socket.localScriptToLiveOffset(isSYN: false)
            let quoted = Packet(
                ip: quotedHeader(from: destination, to: source, protocolNumber: IPProtocolNumber.tcp),
                transport: .tcp(TCPHeader(sourcePort: socket.live.local.port, destinationPort: socket.live.remote.port,
                                          sequenceNumber: SequenceNumber(seq), flags: [], window: 0)),
                payload: [UInt8](repeating: 0, count: Int(range.length)))
            body = quotedBytes(quoted)
        case .udp(let length):
            let quoted = Packet(
                ip: quotedHeader(from: destination, to: source, protocolNumber: IPProtocolNumber.udp),
                transport: .udp(UDPHeader(sourcePort: socket.live.local.port, destinationPort: socket.live.remote.port)),
                payload: [UInt8](repeating: 0, count: Int(max(0, min(length, 65_000)))))
            body = quotedBytes(quoted)
        case .raw(let length):
            body = [UInt8](repeating: 0, count: Int(max(0, min(length, 65_000)) >= 8 ? max(0, min(length, 65_000)) - 8 : 0))
        }
        switch (source, destination) {
        case (.v4(let s), .v4(let d)):
            var packet = Packet.icmpv4(from: s, to: d, ICMPv4Header(type: type, code: code, restOfHeader: rest), body: body)
            packet.ip = ip(IPProtocolNumber.icmp)
            return packet
        case (.v6(let s), .v6(let d)):
            var packet = Packet.icmpv6(from: s, to: d, ICMPv6Header(type: type, code: code, restOfHeader: rest), body: body)
            packet.ip = ip(IPProtocolNumber.icmpv6)
            return packet
        default:
            throw PacketError(message: "ICMP packet with mixed address families")
        }
    }

    private func quotedHeader(from source: IPAddress, to destination: IPAddress, protocolNumber: UInt8) -> IPHeader {
        if case (.v4(let s), .v4(let d)) = (source, destination) {
            return .v4(IPv4Header(source: s, destination: d, protocolNumber: protocolNumber, ttl: 255, flags: 0))
        }
        return IPHeader.between(source, destination, protocolNumber: protocolNumber, ttl: 255)
    }

    /// The IP header and the first 8 bytes after it, as packetdrill quotes a packet
    /// (its IP length still counts the whole original packet).
    private func quotedBytes(_ packet: Packet) -> [UInt8] {
        let bytes = packet.serialize()
        return Array(bytes.prefix(packet.ip.headerLength + 8))
    }

    // MARK: - Outbound

    /// do_outbound_script_packet: takes the stack's next packet(s) for the socket and checks them.
    func expectOutbound(_ spec: PacketSpec, socket: TrackedSocket) throws(PacketError) {
        guard let timing = current else { return }
        let expectedPayload: Int
        switch spec.body {
        case .tcp(let tcp): expectedPayload = Int(tcp.sequence.length)
        case .udp(let udp): expectedPayload = Int(udp.payloadLength)
        case .icmp: expectedPayload = 0
        }
        var isSynAckExpected = false
        if case .tcp(let tcp) = spec.body, socket.state == .passivePacketReceived, tcp.flags.syn, tcp.flags.ack {
            socket.script.localISN = tcp.sequence.start
            isSynAckExpected = true
        }
        let deadline: Int64
        if timing.kind == .any {
            deadline = Int64.max
        } else {
            let ahead = max(timing.time &- scriptLastTime, (timing.end ?? timing.time) &- scriptLastTime)
            let seconds = max(0, ahead / 1_000_000) + 2
            deadline = backend.now() &+ seconds &* 1_000_000
        }
        var sniffed: [(packet: Packet, time: Int64)] = []
        var sniffedPayload = 0
        repeat {
            let (packet, time) = try sniffOutbound(for: socket, deadline: deadline)
            if isSynAckExpected, socket.state == .passivePacketReceived, let tcp = packet.tcp {
                socket.state = .passiveSynAckSent
                socket.live.localISN = tcp.sequenceNumber.rawValue
            }
            emit("outbound sniffed packet: \(ScriptPackets.seconds(scriptTime(time))) \(PacketdrillFormatter().format(packet))",
                 time: scriptTime(time))
            var mapped = packet
            if var tcp = packet.tcp {
                socket.lastOutboundTCP = tcp
                let isSYN = tcp.flags.contains(.syn)
                tcp.sequenceNumber = SequenceNumber(tcp.sequenceNumber.rawValue &+ socket.localLiveToScriptOffset(isSYN: isSYN))
                let ackOffset = socket.remoteLiveToScriptOffset(isSYN: isSYN)
                if tcp.flags.contains(.ack) {
                    tcp.acknowledgmentNumber = SequenceNumber(tcp.acknowledgmentNumber.rawValue &+ ackOffset)
                }
                tcp.options = tcp.options.map { option in
                    if case .sack(let blocks) = option {
                        return .sack(blocks.map { SACKBlock(left: $0.left &+ ackOffset, right: $0.right &+ ackOffset) })
                    }
                    return option
                }
                mapped.transport = .tcp(tcp)
            }
            if let previous = sniffed.last {
                if let problem = fragmentProblem(mapped, previous: previous.packet, sniffedPayload: sniffedPayload,
                                                 expectedPayload: expectedPayload) {
                    var message = problem
                    message += "\n   script packet: \(ScriptPackets.seconds(timing.time)) \(ScriptPackets.describeScriptPacket(spec))"
                    for (index, entry) in (sniffed + [(mapped, time)]).enumerated() {
                        message += "\nactual #\(index) packet: \(ScriptPackets.seconds(scriptTime(entry.time))) \(PacketdrillFormatter().format(entry.packet))"
                    }
                    throw PacketError(message: message)
                }
            }
            sniffed.append((mapped, time))
            sniffedPayload += mapped.payload.count
        } while sniffedPayload < expectedPayload && !configuration.strictSegments
        if sniffedPayload != expectedPayload {
            throw PacketError(message: "live packet payload: expected \(expectedPayload) bytes vs actual \(sniffedPayload) bytes")
        }
        guard var (actual, time) = sniffed.last else { return }
        if sniffed.count > 1, let first = sniffed.first {
            // aggregate_packets: the last packet's headers, the first one's sequence number
            // and CWR bit, every payload in order.
            actual.payload = sniffed.flatMap(\.packet.payload)
            if var tcp = actual.tcp, let firstTCP = first.packet.tcp {
                tcp.sequenceNumber = firstTCP.sequenceNumber
                if firstTCP.flags.contains(.cwr) { tcp.flags.insert(.cwr) } else { tcp.flags.remove(.cwr) }
                actual.transport = .tcp(tcp)
            }
            actual = (try? Packet(parsing: actual.serialize())) ?? actual
        }
        time = sniffed.last?.time ?? time
        try verifyOutbound(spec, actual: actual, rawTime: time, socket: socket)
    }

    /// verify_packet_fragments: a follow-on segment must continue the previous one.
    func fragmentProblem(_ current: Packet, previous: Packet, sniffedPayload: Int, expectedPayload: Int) -> String? {
        guard let tcp = current.tcp, let before = previous.tcp else { return nil }
        if before.sequenceNumber.rawValue &+ UInt32(truncatingIfNeeded: previous.payload.count) != tcp.sequenceNumber.rawValue {
            let expected = before.sequenceNumber.rawValue &+ UInt32(truncatingIfNeeded: previous.payload.count)
            return Self.fieldMessage("tcp_seq", expected: UInt64(expected), actual: UInt64(tcp.sequenceNumber.rawValue))
        }
        if before.acknowledgmentNumber != tcp.acknowledgmentNumber {
            return Self.fieldMessage("tcp_ack_seq", expected: UInt64(before.acknowledgmentNumber.rawValue),
                                     actual: UInt64(tcp.acknowledgmentNumber.rawValue))
        }
        if before.window != tcp.window {
            return Self.fieldMessage("tcp_window", expected: UInt64(before.window), actual: UInt64(tcp.window))
        }
        let payload = current.payload.count
        if payload < expectedPayload - sniffedPayload && payload != previous.payload.count {
            return "fragment payload: expected \(previous.payload.count) bytes vs actual \(payload) bytes; total payload: expected \(expectedPayload) bytes vs actual \(payload + sniffedPayload) bytes"
        }
        return nil
    }

    /// sniff_outbound_live_packet: the next packet the stack sends on the socket under
    /// test; packets for other sockets are passed over, as packetdrill does.
    func sniffOutbound(for socket: TrackedSocket, deadline: Int64) throws(PacketError) -> (Packet, Int64) {
        while true {
            let captured: CapturedPacket?
            do {
                captured = try backend.nextOutboundPacket(deadline: deadline)
            } catch {
                throw PacketError(message: "backend could not capture packets: \(error.message)")
            }
            guard let captured else { throw PacketError(message: "Timed out waiting for packet") }
            packetObserver?(ObservedPacket(direction: .outbound, time: scriptTime(captured.time), bytes: captured.bytes))
            let packet: Packet
            do {
                packet = try Packet(parsing: captured.bytes, malformedOptions: .keepAsUnparsed)
            } catch {
                throw PacketError(message: "bad outbound packet: \(error)")
            }
            if ipv4HeaderChecksumIsBad(captured.bytes) { throw PacketError(message: "bad outbound IP checksum") }
            if matchesSocketOutbound(packet, socket) || matchesConnect(packet, socket) {
                return (packet, captured.time)
            }
        }
    }

    func ipv4HeaderChecksumIsBad(_ bytes: [UInt8]) -> Bool {
        guard let first = bytes.first, first >> 4 == 4 else { return false }
        let length = Int(first & 0x0F) * 4
        guard length >= 20, length <= bytes.count else { return false }
        return InternetChecksum.checksum(Array(bytes[0..<length])) != 0
    }

    func ports(_ packet: Packet) -> (UInt16, UInt16)? {
        switch packet.transport {
        case .tcp(let h): (h.sourcePort, h.destinationPort)
        case .udp(let h): (h.sourcePort, h.destinationPort)
        default: nil
        }
    }

    func matchesSocketOutbound(_ packet: Packet, _ socket: TrackedSocket) -> Bool {
        guard let local = socket.live.local.address, let remote = socket.live.remote.address else { return false }
        guard packet.ip.source == local, packet.ip.destination == remote else { return false }
        switch packet.transport {
        case .icmpv4: return socket.protocolNumber == 1
        case .icmpv6: return socket.protocolNumber == 58
        default:
            guard let (s, d) = ports(packet) else { return false }
            return s == socket.live.local.port && d == socket.live.remote.port
        }
    }

    /// find_connect_for_live_packet: the SYN (or first datagram) of a socket that just connected.
    func matchesConnect(_ packet: Packet, _ socket: TrackedSocket) -> Bool {
        let udpMatch = packet.udp != nil && socket.protocolNumber == 17 && socket.state == .activeConnecting
        let tcpMatch = packet.tcp.map { $0.flags.contains(.syn) && !$0.flags.contains(.ack) } == true
            && socket.protocolNumber == 6 && socket.state == .activeSynSent
        guard udpMatch || tcpMatch, let (s, d) = ports(packet) else { return false }
        guard packet.ip.destination == socket.live.remote.address, d == socket.live.remote.port else { return false }
        socket.live.local = SocketEndpoint(address: packet.ip.source, port: s)
        if let tcp = packet.tcp { socket.live.localISN = tcp.sequenceNumber.rawValue }
        return true
    }

    static func fieldMessage(_ name: String, expected: UInt64, actual: UInt64) -> String {
        "live packet field \(name): expected: \(expected) (0x\(String(expected, radix: 16))) vs actual: \(actual) (0x\(String(actual, radix: 16)))"
    }

    /// verify_outbound_live_packet, with the script and actual packet lines appended.
    func verifyOutbound(_ spec: PacketSpec, actual input: Packet, rawTime: Int64, socket: TrackedSocket) throws(PacketError) {
        guard let timing = current else { return }
        var actual = input
        var failure: PacketError?
        do throws(PacketError) {
            try mapTimestamps(spec, actual: &actual, socket: socket)
            do throws(PacketError) {
                try verifyHeaders(spec, actual: actual)
                if case .v6(let h) = actual.ip, wireIsIPv6 { try verifyFlowLabel(spec, live: h.flowLabel, socket: socket) }
                try verifyOptions(spec, actual: actual, timing: timing)
                if !ScriptPackets.isAllZero(actual.payload), !isICMP(actual) {
                    throw PacketError(message: "incorrect outbound data payload")
                }
                if let message = verifyTime(kind: timing.kind, scriptTime: timing.time, scriptEnd: timing.end ?? 0,
                                            live: rawTime, lastEventTime: last?.time, offset: timing.offset,
                                            description: "outbound packet") {
                    throw PacketError(message: message)
                }
            } catch {
                throw PacketError(message: error.message, nonFatal: true)
            }
        } catch {
            failure = error
        }
        guard var failure else { return }
        failure.message += "\nscript packet: \(ScriptPackets.seconds(timing.time)) \(ScriptPackets.describeScriptPacket(spec))"
        failure.message += "\nactual packet: \(ScriptPackets.seconds(scriptTime(rawTime))) \(PacketdrillFormatter().format(actual))"
        throw failure
    }

    func isICMP(_ packet: Packet) -> Bool {
        switch packet.transport {
        case .icmpv4, .icmpv6: true
        default: false
        }
    }

    /// map_outbound_live_packet's timestamp part: learn script->live TS val, and show the
    /// actual TS val in script space.
    func mapTimestamps(_ spec: PacketSpec, actual: inout Packet, socket: TrackedSocket) throws(PacketError) {
        guard case .tcp(let tcpSpec) = spec.body, case .exactly(let specs) = tcpSpec.options,
              var tcp = actual.tcp, let live = tcp.timestamps else { return }
        var scriptTS: (UInt32, UInt32)?
        for option in specs { if case .timestamp(let v, let e) = option.kind { scriptTS = (v, e) } }
        guard let (scriptVal, _) = scriptTS else { return }
        socket.tsValMap[scriptVal] = live.value
        if socket.firstTimestamp == nil { socket.firstTimestamp = (scriptVal, live.value) }
        guard let first = socket.firstTimestamp else { return }
        let shown = first.scriptVal &+ (live.value &- first.actualVal)
        tcp.options = tcp.options.map { option in
            if case .timestamps(_, let e) = option { return .timestamps(value: shown, echoReply: e) }
            return option
        }
        actual.transport = .tcp(tcp)
    }

    func headerName(_ packet: Packet) -> String {
        switch packet.transport {
        case .tcp: "tcp"
        case .udp: "udp"
        case .icmpv4: "icmpv4"
        case .icmpv6: "icmpv6"
        case .other: "unknown"
        }
    }

    /// verify_outbound_live_headers with strict checks: IP layer, then the transport.
    func verifyHeaders(_ spec: PacketSpec, actual: Packet) throws(PacketError) {
        func check(_ name: String, _ expected: UInt64, _ actual: UInt64) throws(PacketError) {
            if expected != actual { throw PacketError(message: Self.fieldMessage(name, expected: expected, actual: actual)) }
        }
        let scriptIPName = wireIsIPv6 ? "ipv6" : "ipv4"
        let actualIPName: String = { if case .v6 = actual.ip { "ipv6" } else { "ipv4" } }()
        if scriptIPName != actualIPName {
            throw PacketError(message: "live packet header layer 0: expected: \(scriptIPName) header vs actual: \(actualIPName) header")
        }
        let scriptTransport: String
        let scriptProtocol: UInt8
        var scriptTransportLength: Int
        var optionsAllowance = 0
        switch spec.body {
        case .tcp(let tcp):
            scriptTransport = "tcp"
            scriptProtocol = IPProtocolNumber.tcp
            var optionBytes = 0
            if case .exactly(let specs) = tcp.options {
                optionBytes = ((try? ScriptPackets.tcpOptions(specs)) ?? []).reduce(0) { $0 + $1.encodedLength }
            } else if let actualTCP = actual.tcp {
                optionsAllowance = actualTCP.headerLength - 20
            }
            scriptTransportLength = 20 + optionBytes + Int(tcp.sequence.length)
        case .udp(let udp):
            scriptTransport = "udp"
            scriptProtocol = IPProtocolNumber.udp
            scriptTransportLength = 8 + Int(udp.payloadLength)
        case .icmp:
            scriptTransport = wireIsIPv6 ? "icmpv6" : "icmpv4"
            scriptProtocol = wireIsIPv6 ? IPProtocolNumber.icmpv6 : IPProtocolNumber.icmp
            scriptTransportLength = actual.serialize().count - actual.ip.headerLength
        }
        if headerName(actual) != scriptTransport {
            throw PacketError(message: "live packet header layer 1: expected: \(scriptTransport) header vs actual: \(headerName(actual)) header")
        }
        let tos = spec.ipInfo?.tos
        let scriptTOS = ScriptPackets.tosByte(spec.ipInfo)
        let scriptTTL = ScriptPackets.ttl(spec.ipInfo)
        let actualTOS: UInt8
        let actualTTL: UInt8
        switch actual.ip {
        case .v4(let h):
            try check("ipv4_version", 4, 4)
            try check("ipv4_protocol", UInt64(scriptProtocol), UInt64(h.protocolNumber))
            try check("ipv4_header_length", 5, UInt64(h.ihl))
            try check("ipv4_total_length", UInt64(20 + scriptTransportLength + optionsAllowance), UInt64(h.totalLength))
            actualTOS = h.tos
            actualTTL = h.ttl
        case .v6(let h):
            try check("ipv6_version", 6, 6)
            try check("ipv6_payload_len", UInt64(scriptTransportLength + optionsAllowance), UInt64(h.payloadLength))
            try check("ipv6_next_header", UInt64(scriptProtocol), UInt64(h.nextHeader))
            actualTOS = h.trafficClass
            actualTTL = h.hopLimit
        }
        switch tos {
        case .ect0OrEct1?:
            let bits = actualTOS & 3
            if bits != 1 && bits != 2 {
                throw PacketError(message: "live packet field ip_ecn: expected: 0x1 or 0x2 vs actual: 0x\(String(bits, radix: 16))")
            }
        case .ecn?: try check("ip_ecn", UInt64(scriptTOS), UInt64(actualTOS & 3))
        case .tos?: try check("tos", UInt64(scriptTOS), UInt64(actualTOS))
        case nil: break
        }
        if scriptTTL != 255 { try check("ttl", UInt64(scriptTTL), UInt64(actualTTL)) }

        switch (spec.body, actual.transport) {
        case (.tcp(let s), .tcp(let a)):
            let scriptOptionBytes: Int
            if case .exactly(let specs) = s.options {
                scriptOptionBytes = ((try? ScriptPackets.tcpOptions(specs)) ?? []).reduce(0) { $0 + $1.encodedLength }
            } else {
                scriptOptionBytes = a.headerLength - 20
            }
            let f = ScriptPackets.flags(s.flags)
            func bit(_ flags: TCPFlags, _ flag: TCPFlags) -> UInt64 { flags.contains(flag) ? 1 : 0 }
            try check("tcp_data_offset", UInt64(5 + scriptOptionBytes / 4), UInt64(a.dataOffset))
            try check("tcp_fin", bit(f, .fin), bit(a.flags, .fin))
            try check("tcp_syn", bit(f, .syn), bit(a.flags, .syn))
            try check("tcp_rst", bit(f, .rst), bit(a.flags, .rst))
            try check("tcp_psh", bit(f, .psh), bit(a.flags, .psh))
            try check("tcp_ack", bit(f, .ack), bit(a.flags, .ack))
            try check("tcp_urg", bit(f, .urg), bit(a.flags, .urg))
            if s.flags.ace != nil {
                func ace(_ flags: TCPFlags) -> UInt64 { bit(flags, .ae) << 2 | bit(flags, .cwr) << 1 | bit(flags, .ece) }
                try check("tcp_ace", ace(f), ace(a.flags))
            } else {
                try check("tcp_ece", bit(f, .ece), bit(a.flags, .ece))
                try check("tcp_cwr", bit(f, .cwr), bit(a.flags, .cwr))
                try check("tcp_ae", bit(f, .ae), bit(a.flags, .ae))
            }
            try check("tcp_reserved_bits", 0, UInt64(a.reservedBits))
            try check("tcp_seq", UInt64(s.sequence.start), UInt64(a.sequenceNumber.rawValue))
            try check("tcp_ack_seq", UInt64(s.ackNumber ?? 0), UInt64(a.acknowledgmentNumber.rawValue))
            if let window = s.window { try check("tcp_window", UInt64(window), UInt64(a.window)) }
            try check("tcp_urg_ptr", UInt64(s.urgentPointer ?? 0), UInt64(a.urgentPointer))
        case (.udp(let s), .udp(let a)):
            try check("udp_len", UInt64(8 + Int(s.payloadLength)), UInt64(a.length))
        case (.icmp(let s), .icmpv4(let a)):
            let (type, code) = try icmpTypeAndCode(s)
            try check("icmp_type", UInt64(type), UInt64(a.type))
            try check("icmp_code", UInt64(code), UInt64(a.code))
        case (.icmp(let s), .icmpv6(let a)):
            let (type, code) = try icmpTypeAndCode(s)
            try check("icmp_type", UInt64(type), UInt64(a.type))
            try check("icmp_code", UInt64(code), UInt64(a.code))
        default: break
        }
    }

    /// verify_outbound_live_ipv6_flowlabel.
    func verifyFlowLabel(_ spec: PacketSpec, live: UInt32, socket: TrackedSocket) throws(PacketError) {
        guard let scriptLabel = spec.ipInfo?.flowLabel, scriptLabel != 0 else { return }
        guard live != 0 else { throw PacketError(message: "flowlabel unmarked in the live packet") }
        guard let map = socket.flowLabelMap else {
            socket.flowLabelMap = (scriptLabel, live)
            return
        }
        if scriptLabel != map.script {
            guard live != map.live else { throw PacketError(message: "expected a different flowlabel but got the same") }
            socket.flowLabelMap = (scriptLabel, live)
        } else if live != map.live {
            throw PacketError(message: "inconsistent flowlabels for this packet: expected: 0x\(String(map.live, radix: 16)) vs actual: 0x\(String(live, radix: 16))")
        }
    }

    /// verify_outbound_live_tcp_options.
    func verifyOptions(_ spec: PacketSpec, actual: Packet, timing: EventTiming) throws(PacketError) {
        guard case .tcp(let tcpSpec) = spec.body, case .exactly(let specs) = tcpSpec.options, let tcp = actual.tcp else { return }
        let scriptOptions: [TCPOption]
        do { scriptOptions = try ScriptPackets.tcpOptions(specs) } catch { throw PacketError(message: error.message) }
        let actualOptions = ScriptPackets.iterated(tcp.options)
        var tolerance = configuration.toleranceMicroseconds
        let dynamic = Int64((configuration.tolerancePercent / 100.0) * Double(timing.time))
        if dynamic > tolerance { tolerance = dynamic }
        for index in 0..<max(scriptOptions.count, actualOptions.count) {
            guard index < scriptOptions.count, index < actualOptions.count,
                  scriptOptions[index].kind == actualOptions[index].kind else {
                throw PacketError(message: "bad outbound TCP options")
            }
            let s = scriptOptions[index]
            let a = actualOptions[index]
            switch a {
            case .endOfList, .noOperation: break
            case .timestamps(let actualVal, _):
                guard case .timestamps(let scriptVal, _) = s else { break }
                let tick = Int64(configuration.tcpTimestampTickMicroseconds)
                let drift = Int64(Int32(bitPattern: actualVal &- scriptVal)).magnitude
                if tick != 0 && Int64(drift) &* tick > tolerance {
                    throw PacketError(message: "bad outbound TCP timestamp value, tolerance \(tolerance)")
                }
            default:
                var kind: String?
                if s.encodedLength != a.encodedLength { kind = "bad length" }
                if s.encodedLength > 2 && s != a { kind = "bad value" }
                if let kind {
                    throw PacketError(message: "\(kind) in outbound TCP option (kind=\(s.kind ?? 0)): expected: \(ScriptPackets.describe(s)) actual: \(ScriptPackets.describe(a))")
                }
            }
        }
    }

    /// reset_connection: a RST the stack accepts for the socket's connection.
    func resetConnection(_ socket: TrackedSocket) throws(RunFailure) {
        guard let source = socket.live.remote.address, let destination = socket.live.local.address else { return }
        var seq: UInt32 = 0
        var ack: UInt32 = 0
        var window: UInt16 = 0
        if let injected = socket.lastInjectedTCP, injected.flags.contains(.ack) {
            seq = injected.sequenceNumber.rawValue &+ (injected.flags.contains(.syn) ? 1 : 0)
                &+ (injected.flags.contains(.fin) ? 1 : 0) &+ UInt32(truncatingIfNeeded: socket.lastInjectedPayloadLength)
            ack = injected.acknowledgmentNumber.rawValue
            window = injected.window
        } else if let outbound = socket.lastOutboundTCP, outbound.flags.contains(.ack) {
            seq = outbound.acknowledgmentNumber.rawValue
            ack = outbound.sequenceNumber.rawValue
        } else {
            ack = (socket.lastOutboundTCP?.sequenceNumber.rawValue ?? 0) &+ 1
        }
        var packet = Packet.tcp(from: source, socket.live.remote.port, to: destination, socket.live.local.port,
                                flags: [.rst, .ack], seq: seq, ack: ack, window: window, ttl: 255)
        if case .v4(var h) = packet.ip {
            h.flags = 0
            packet.ip = .v4(h)
        }
        let bytes = packet.serialize()
        packetObserver?(ObservedPacket(direction: .inbound, time: scriptTime(backend.now()), bytes: bytes))
        do {
            try backend.inject(bytes)
        } catch {
            throw .script("\(scriptPath): error reseting connection: \(error.message)")
        }
    }
}
