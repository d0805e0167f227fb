import LingerWire

/// Finding the socket a segment belongs to, binding ports, and answering segments
/// that find no socket (inet_hashtables.c, tcp_ipv4.c).
extension NetworkStack {
    /// The entry point for every inbound TCP segment. Mirrors tcp_v4_rcv.
    func tcpReceive(_ seg: InboundSegment, _ raw: UnsafeRawBufferPointer) {
        let tuple = seg.tuple
        if let found = established.unretainedSocket(tuple) {
            // The table's reference is borrowed for the segment (a reference of
            // its own would cost a retain and a release per segment); if the
            // segment unhashes the socket, `unhashedSocket` keeps it until here.
            found._withUnsafeGuaranteedRef { sk in
                receivingSocket = ObjectIdentifier(sk)
                sk.segsIn &+= 1
                if seg.payloadCount > 0 { sk.dataSegsIn &+= 1 }
                let needsReset = sk.state == .established ? sk.receiveEstablished(seg, raw) : sk.receiveStateProcess(seg, raw)
                if needsReset { sendResetForSegment(seg) }
            }
            receivingSocket = nil
            if unhashedSocket != nil { unhashedSocket = nil }
            return
        }
        // A stack with no time-wait entry (a server that closes passively)
        // skips the table's lookup and the copy of its fields for the call.
        if !timeWait.isEmpty, timeWait[tuple] != nil {
            timeWaitReceive(seg, raw, tuple: tuple)
            return
        }
        guard let listener = lookupListener(address: seg.destination, port: seg.destinationPort) else {
            noSocket(seg)
            return
        }
        if let request = listener.request(for: tuple) {
            listener.checkRequest(seg, raw, request: request)
            return
        }
        listener.segsIn &+= 1
        if listener.listenReceive(seg, raw) { sendResetForSegment(seg) }
    }

    /// The "no socket" path: count and answer with a reset unless the segment is one.
    func noSocket(_ seg: InboundSegment) {
        sendResetForSegment(seg)
    }

    /// A listener for `address:port` (inet_lookup_listener): exact address first,
    /// then the wildcard.
    func lookupListener(address: IPAddress, port: UInt16) -> TCPSocket? {
        var wildcard: TCPSocket?
        // By index: a copy of the port's list would be retained and released.
        for index in 0..<listeners.count(on: port) {
            let sk = listeners.socket(on: port, at: index)
            guard sk.state == .listen else { continue }
            let isV6Packet: Bool = { if case .v6 = address { return true } else { return false } }()
            if isV6Packet && !sk.isIPv6 { continue }
            if !isV6Packet && sk.isIPv6 && sk.ipv6Only { continue }
            if let bound = sk.localAddress, !sk.bindAddressWasAny {
                if addressesMatch(bound, address) { return sk }
            } else if wildcard == nil {
                wildcard = sk
            }
        }
        return wildcard
    }

    /// Whether a socket's bound address accepts packets to `address` (an IPv4-mapped
    /// IPv6 address matches its IPv4 form).
    func addressesMatch(_ bound: IPAddress, _ address: IPAddress) -> Bool {
        if bound == address { return true }
        switch (bound, address) {
        case (.v6(let b), .v4(let a)): return b.high == 0 && b.low == (0xFFFF_0000_0000 | UInt64(a.value))
        case (.v4(let b), .v6(let a)): return a.high == 0 && a.low == (0xFFFF_0000_0000 | UInt64(b.value))
        default: return false
        }
    }

    // MARK: - Tables

    func hashEstablished(_ sk: TCPSocket) {
        guard let t = sk.tuple else { return }
        established[t] = sk
        sk.inEstablishedTable = true
    }

    func unhashEstablished(_ sk: TCPSocket) {
        guard sk.inEstablishedTable, let t = sk.tuple else { return }
        // The table's reference may be the last one, borrowed by tcpReceive
        // for the segment being processed: it lives on until that is done.
        if receivingSocket == ObjectIdentifier(sk) { unhashedSocket = sk }
        established.remove(sk, at: t)
        sk.inEstablishedTable = false
    }

    func addListener(_ sk: TCPSocket) {
        if !listeners[sk.localPort].contains(where: { $0 === sk }) { listeners[sk.localPort].append(sk) }
    }

    func removeListener(_ sk: TCPSocket) {
        listeners[sk.localPort].removeAll { $0 === sk }
    }

    /// Adds `sk` to its port's owners (inet_bind_hash): O(1), in place, as a
    /// listener's millionth child must not copy or scan the list.
    func addBound(_ sk: TCPSocket) {
        let port = sk.localPort
        let index = sk.boundIndex
        if sk.isBound, index >= 0, index < bound.count(on: port), bound.socket(on: port, at: index) === sk { return }
        sk.boundIndex = bound.append(sk, on: port)
        sk.isBound = true
    }

    /// Releases the socket's port (inet_put_port): the list's last owner takes
    /// its place (the list's order means nothing).
    func removeBound(_ sk: TCPSocket) {
        guard sk.isBound else { return }
        let index = sk.boundIndex
        sk.boundIndex = -1
        sk.isBound = false
        // The list is read and changed in place (no local copy of it:
        // holding one would make the mutations copy it).
        let port = sk.localPort
        // An emptied port's list serves the next port connect() or bind() takes.
        if index >= 0, index < bound.count(on: port), bound.socket(on: port, at: index) === sk {
            bound.swapRemove(at: index, on: port)?.boundIndex = index
        } else {
            bound[port].removeAll { $0 === sk }
            bound.release(port)
        }
    }

    /// Whether binding `sk` to `address:port` conflicts with another socket or a
    /// time-wait entry. Mirrors inet_csk_bind_conflict / inet_bind_conflict.
    func bindConflicts(_ sk: TCPSocket, address: IPAddress?, port: UInt16) -> Bool {
        func overlaps(_ other: IPAddress?, _ otherAny: Bool) -> Bool {
            guard let address, let other, !otherAny else { return true }
            return addressesMatch(address, other)
        }
        for other in bound[port] where other !== sk {
            guard overlaps(other.localAddress, other.bindAddressWasAny) else { continue }
            if sk.reuseAddress && other.reuseAddress && other.state != .listen { continue }
            if sk.reusePort && other.reusePort { continue }
            return true
        }
        // Time-wait owners (inet_bind_conflict with relax): both SO_REUSEADDR, or
        // both SO_REUSEPORT, let the bind through.
        return timeWait.contains(port: port) { local, entry in
            guard overlaps(local, false) else { return false }
            if sk.reuseAddress && entry.flags.contains(.reuseAddress) { return false }
            if sk.reusePort && entry.flags.contains(.reusePort) { return false }
            return true
        }
    }

    /// Picks a free ephemeral port for bind(port 0) (inet_csk_find_open_port). The
    /// search does not relax: any time-wait entry on the address holds its port,
    /// whatever SO_REUSEADDR says.
    func ephemeralPortForBind(_ sk: TCPSocket, address: IPAddress?) -> UInt16? {
        firstEphemeralPort { port in
            guard !bindConflicts(sk, address: address, port: port), bound[port].isEmpty else { return false }
            return !timeWait.contains(port: port) { local, _ in
                guard let address else { return true }
                return addressesMatch(address, local)
            }
        }
    }

    /// Walks ip_local_port_range from a random offset, as the kernel's searches do,
    /// and returns the first port `usable` accepts.
    func firstEphemeralPort(where usable: (UInt16) -> Bool) -> UInt16? {
        let low = sysctls.ipLocalPortRangeLow
        let high = sysctls.ipLocalPortRangeHigh
        guard low <= high, low > 0, high < 65536 else { return nil }
        let span = high - low + 1
        let start = randomInt(below: span)
        for i in 0..<span {
            let port = UInt16(truncatingIfNeeded: low + (start + i) % span)
            if usable(port) { return port }
        }
        return nil
    }

    /// Picks a local port for connect() to `remote` (__inet_hash_connect): a port
    /// whose bind bucket bind() or listen() made (a listener, its connections,
    /// an explicitly bound socket, or time-wait entries they left) is skipped;
    /// otherwise the port is usable when no connection uses the 4-tuple it would
    /// make, and a time-wait entry on that 4-tuple yields it when tcp_tw_reuse
    /// allows (__inet_check_established, which counts TWRecycled). Returns the
    /// port and the entry taken over, if any.
    func ephemeralPortForConnect(local: IPAddress, remote: TCPEndpoint) -> (port: UInt16, reused: TimeWaitEntry?)? {
        var reusable: TimeWaitEntry?
        let found = firstEphemeralPort { port in
            // The owners read in place (the getter would copy the list).
            for index in 0..<bound.count(on: port) {
                let owner = bound.socket(on: port, at: index)
                if !(owner.portFromConnect && owner.inEstablishedTable) { return false }
            }
            if let holders = timeWait.holders(ofPort: port), holders.fromBind > 0 { return false }
            let tuple = FourTuple(local: TCPEndpoint(local, port), remote: remote)
            if established[tuple] != nil { return false }
            if let tw = timeWait[tuple] {
                guard timeWaitCanBeReused(tw, tuple: tuple, searchingPorts: true) else { return false }
                reusable = tw
            }
            return true
        }
        guard let port = found else { return nil }
        if reusable != nil {
            killTimeWait(FourTuple(local: TCPEndpoint(local, port), remote: remote))
            counters.increment(.tcpExtTWRecycled)
        }
        return (port, reusable)
    }

    /// tcp_twsk_unique: whether connect() may take over a time-wait 4-tuple. The old
    /// connection must have used timestamps. A port bind() chose is then always
    /// reused; during the ephemeral search tcp_tw_reuse decides (2: loopback only;
    /// never a FIN_WAIT2 entry), and only once tcp_tw_reuse_delay ms have passed
    /// since the entry entered TIME_WAIT.
    func timeWaitCanBeReused(_ tw: TimeWaitEntry, tuple: FourTuple, searchingPorts: Bool) -> Bool {
        guard tw.tsRecentStamp != 0 else { return false }
        guard searchingPorts else { return true }
        var reuse = tw.isFinWait2 ? 0 : sysctls.tcpTwReuse
        if reuse == 2 {
            let loopback: Bool
            switch (tuple.remote.address, tuple.local.address) {
            case (.v4(let r), .v4(let l)): loopback = r.value >> 24 == 127 || l.value >> 24 == 127
            case (.v6(let r), .v6(let l)):
                loopback = r == .loopback || l == .loopback || isMappedIPv4Loopback(r) || isMappedIPv4Loopback(l)
            default: loopback = false
            }
            if !loopback { reuse = 0 }
        }
        guard reuse != 0 else { return false }
        // time_after32(tcp_clock_ms(), tw_entry_stamp + tcp_tw_reuse_delay)
        let threshold = tw.entryStamp &+ UInt32(truncatingIfNeeded: sysctls.tcpTwReuseDelay)
        return Int32(bitPattern: threshold &- timestampClock) < 0
    }

    /// ipv6_addr_v4mapped_loopback: ::ffff:127.x.y.z.
    private func isMappedIPv4Loopback(_ a: IPv6Address) -> Bool {
        a.high == 0 && a.low >> 32 == 0xFFFF && (a.low >> 24) & 0xFF == 127
    }

    // MARK: - Resets for segments without a socket

    /// Answers `seg` with a reset (tcp_v4_send_reset): seq = its ACK field when it
    /// has one, else seq 0 with an ACK of everything it occupied. Never answers a RST.
    func sendResetForSegment(_ seg: InboundSegment) {
        guard !seg.isRst else { return }
        if reason == .none { reason = .noSocket }
        var header = OutboundHeader(
            tuple: seg.tuple, seq: SequenceNumber(0), ack: SequenceNumber(0), flags: [.rst], window: 0)
        if seg.hasAck {
            header.seq = seg.ack
        } else {
            header.flags.insert(.ack)
            header.ack = seg.endSeq
        }
        counters.increment(.tcpOutSegs)
        counters.increment(.tcpOutRsts)
        emitControl(header)
    }

    /// Sends a segment without payload (a reset, a bare ACK, a SYN-ACK), built
    /// in a buffer the link handed back rather than a new array.
    @discardableResult
    func emitControl(_ header: OutboundHeader) -> Bool {
        var bytes = packetBuffer(length: SegmentBuilder.packetLength(header, payloadLength: 0))
        SegmentBuilder.build(header, payloadLength: 0, checksumOffload: addresses.checksumOffload, into: &bytes) { _, _ in }
        return emit(consume bytes)
    }

    /// A bare ACK on behalf of a request or time-wait entry (tcp_v4_send_ack).
    func sendBareAck(tuple: FourTuple, seq: SequenceNumber, ack: SequenceNumber, window: UInt16,
                     timestamp: (UInt32, UInt32)?, tos: UInt8 = 0) {
        var header = OutboundHeader(tuple: tuple, seq: seq, ack: ack, flags: [.ack], window: window)
        header.timestamp = timestamp
        header.tos = tos
        counters.increment(.tcpOutSegs)
        emitControl(header)
    }

    /// Whether out-of-window ACKs are being sent too often (tcp_oow_rate_limited);
    /// `skipped` is the counter that records a suppressed ACK.
    func outOfWindowRateLimited(_ seg: InboundSegment, last: inout Int64, skipped: Counter? = nil) -> Bool {
        if seg.seq != seg.endSeq && !seg.isSyn { return false }
        let elapsed = now - last
        if elapsed >= 0 && elapsed < Int64(sysctls.tcpInvalidRatelimit) * 1000 {
            if let skipped { counters.increment(skipped) }
            return true
        }
        last = now
        return false
    }
}
