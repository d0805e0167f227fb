public import LingerWire

/// The addresses and link of the simulated host: one interface, as packetdrill's
/// TUN device, with the remote network routed through it.
public struct StackAddresses: Sendable, Hashable {
    /// The host's IPv4 address, if any.
    public var ipv4: IPv4Address?
    /// The host's IPv6 address, if any.
    public var ipv6: IPv6Address?
    /// The interface MTU: MSS is derived from it (1500 gives 1460 on IPv4, 1440 on IPv6).
    public var mtu: Int
    /// Whether the device computes and checks TCP checksums itself, as Linux's
    /// lo and veth do (NETIF_F_HW_CSUM with NETIF_F_RXCSUM). TCP then leaves
    /// only the pseudo-header sum in the checksum field (CHECKSUM_PARTIAL:
    /// tcpdump on lo reports such checksums as incorrect) and takes what the
    /// device delivers as verified (CHECKSUM_UNNECESSARY). Off by default: a
    /// TUN device, like packetdrill's, carries whole checksums both ways.
    public var checksumOffload: Bool

    /// Creates an address set.
    public init(ipv4: IPv4Address? = nil, ipv6: IPv6Address? = nil, mtu: Int = 1500, checksumOffload: Bool = false) {
        self.ipv4 = ipv4
        self.ipv6 = ipv6
        self.mtu = mtu
        self.checksumOffload = checksumOffload
    }
}

/// A packet the stack sent, with the virtual time it left.
public struct SentPacket: Sendable, Hashable {
    /// The IP packet.
    public var bytes: [UInt8]
    /// When it was sent, microseconds.
    public var time: Int64
}

/// What the stack's timers run: a kind and the socket it is for.
///
/// A struct with one reference rather than an enum with payloads: every
/// cancelled timer destroys one, and a multi-payload enum is destroyed through
/// its value witnesses, where this is one release.
struct StackTimer {
    enum Kind: UInt8 {
        case retransmit, delayedAck, keepalive, synAck, pacing, queueRelease
    }

    let kind: Kind
    /// The socket whose timer this is (for synAck, the listener); nil for the
    /// stack's own timers.
    let socket: TCPSocket?
    /// synAck: the request whose SYN-ACK is retransmitted.
    let tuple: FourTuple?

    static func retransmit(_ sk: TCPSocket) -> StackTimer { StackTimer(kind: .retransmit, socket: sk, tuple: nil) }
    static func delayedAck(_ sk: TCPSocket) -> StackTimer { StackTimer(kind: .delayedAck, socket: sk, tuple: nil) }
    static func keepalive(_ sk: TCPSocket) -> StackTimer { StackTimer(kind: .keepalive, socket: sk, tuple: nil) }
    static func synAck(listener: TCPSocket, tuple: FourTuple) -> StackTimer {
        StackTimer(kind: .synAck, socket: listener, tuple: tuple)
    }
    static func pacing(_ sk: TCPSocket) -> StackTimer { StackTimer(kind: .pacing, socket: sk, tuple: nil) }
    static var queueRelease: StackTimer { StackTimer(kind: .queueRelease, socket: nil, tuple: nil) }
}

/// The root queueing discipline of the simulated device, as `tc qdisc` sets it.
public enum QueueDiscipline: Sendable, Hashable {
    /// Packets go straight to the wire (the TUN device frees them at once).
    case passThrough
    /// Every packet is dropped (`pfifo limit 0`): TCP sees NET_XMIT_DROP.
    case dropAll
    /// sch_fq: each packet waits for its departure time (TCP's EDT timestamp),
    /// and the sockets see it as queued memory until then (TCP Small Queues).
    case fairQueue
}

/// A packet the fair-queue discipline holds until its departure time.
struct HeldPacket {
    var bytes: [UInt8]
    var departure: Int64
    var owner: TCPSocket?
    var truesize: Int
}

/// Linger's TCP/IP stack: one Linux network namespace's TCP in pure Swift.
///
/// It has no clock and does no I/O: packets come in through ``receive(_:)``, time
/// moves forward through ``advance(to:)``, and what the stack sends collects in
/// ``outbound``; ``nextDeadline()`` says when it next needs to run. System calls
/// enter through a ``SocketLayer`` bound to a ``ProcessFiles`` table.
public final class NetworkStack {
    /// The sysctls in force; change them with ``setSysctl(name:value:)``.
    public internal(set) var sysctls: Sysctls
    /// nstat counters.
    public internal(set) var counters = Counters()
    /// The host's addresses.
    public let addresses: StackAddresses
    /// Now, in microseconds.
    public private(set) var now: Int64
    /// Packets sent and not yet taken, oldest first.
    let outbound = SentPacketQueue()

    /// How many sent packets wait to be taken.
    public var outboundCount: Int { outbound.count }
    /// The device's queueing discipline (`tc qdisc`).
    public var queueDiscipline: QueueDiscipline = .passThrough {
        didSet { if queueDiscipline != .fairQueue { releaseHeldPackets(all: true) } }
    }
    /// Whether the device queue drops every outgoing packet, as a
    /// `tc qdisc ... pfifo limit 0` makes it do: TCP sees local congestion
    /// (NET_XMIT_DROP) and retries on its own schedule.
    public var dropsOutboundPackets: Bool {
        get { queueDiscipline == .dropAll }
        set { queueDiscipline = newValue ? .dropAll : .passThrough }
    }
    /// The segment size the peer's packets are marked with for receive offload
    /// (packetdrill's `--mss`, which writes them to the TUN device as GSO packets):
    /// a packet carrying more payload than this counts as segments of this size.
    /// 0: none.
    public var inboundSegmentSize = 0
    /// Packets the fair queue holds, by departure time (stable for equal times).
    var heldPackets: [HeldPacket] = []
    var queueTimer: TimerHandle?

    let timers: TimerWheel<StackTimer>
    var random: SplitMix64
    var nextSocketID: UInt64 = 1
    /// The monotonic clock's value at time zero, in microseconds (Linux's boot-relative
    /// clock is never zero when a connection starts; timestamps derive from it).
    let clockBase: Int64

    // Demux tables (inet_hashtables).
    var established = EstablishedTable()
    /// The socket whose segment tcpReceive is processing: it borrows the
    /// table's reference instead of taking its own.
    var receivingSocket: ObjectIdentifier?
    /// That socket once taken out of `established`, kept alive until its
    /// segment is done (see unhashEstablished).
    var unhashedSocket: TCPSocket?
    var timeWait = TimeWaitTable()
    var listeners = PortOwners()
    var bound = PortOwners()
    /// Orphaned sockets alive now (tcp_orphan_count): counted from close() (or
    /// a listener dropping an unaccepted child) until the socket is destroyed.
    private(set) var orphanCount = 0
    /// tcp_orphan_cache: the tcp_max_orphans check reads the count as Linux's
    /// tcp_orphan_timer last sampled it (every 100 ms), not the live count, so
    /// the socket being closed is not yet in it.
    private var orphanCache = 0
    private var orphanCacheSampledAt: Int64 = 0
    /// The emptied rings and record queues of destroyed sockets, for the next ones.
    var socketStorage = SocketStorageCache()
    /// net.ipv4.tcp_congestion_control as last parsed, and what it named: every
    /// new socket starts with it, and the name rarely changes.
    private var parsedCongestionName = ""
    private var parsedCongestion = CongestionAlgorithm.cubic
    /// Fast Open cookies by server address (the tcp_metrics cookie cache).
    var fastOpenCookies: [IPAddress: [UInt8]] = [:]
    var lastChallengeAckTime: Int64 = 0
    var challengeAckCount = 0
    /// Called after every input and timer so blocked calls can be re-checked.
    var wakeups: [UInt64: () -> Void] = [:]
    /// `--trace`: what was sent and which states changed, and why; nil when off.
    var explanationLog: ExplanationLog?
    /// Why the next segment or state change happens, set where that is decided.
    var reason = StackReason.none
    var nextWakeupID: UInt64 = 1

    /// tcp_orphan_count_inc.
    func orphanAdded() {
        sampleOrphanCache()
        orphanCount += 1
    }

    /// The decrement in inet_csk_destroy_sock.
    func orphanRemoved() {
        sampleOrphanCache()
        orphanCount = max(0, orphanCount - 1)
    }

    /// tcp_too_many_orphans: the sampled count, shifted left by `shift`
    /// (penalties of tcp_out_of_resources), above tcp_max_orphans.
    func tooManyOrphans(shift: Int) -> Bool {
        sampleOrphanCache()
        return orphanCache << shift > sysctls.tcpMaxOrphans
    }

    /// tcp_orphan_update, evaluated lazily: the timer fires on every 100 ms
    /// boundary of the clock and the count only changes through the two calls
    /// above, so the count before a change is what the last tick saw.
    private func sampleOrphanCache() {
        let tick = now - now % 100_000
        if tick > orphanCacheSampledAt {
            orphanCache = orphanCount
            orphanCacheSampledAt = tick
        }
    }

    /// Creates a stack.
    ///
    /// - Parameters:
    ///   - addresses: the host's addresses and MTU.
    ///   - sysctls: the sysctls (Linux defaults unless changed).
    ///   - seed: the seed of every "random" choice (ISNs, ports, timestamp offsets).
    ///   - now: the starting time, microseconds (not zero: TCP uses 0 for "never").
    public init(addresses: StackAddresses, sysctls: Sysctls = Sysctls(), seed: UInt64 = 1, now: Int64 = 1_000_000) {
        self.addresses = addresses
        self.sysctls = sysctls
        self.now = now
        timers = TimerWheel(now: now)
        random = SplitMix64(seed: seed)
        clockBase = 4_294_000_000 + Int64(random.next() % 1_000_000_000)
    }

    /// Sets a sysctl by its Linux name (`net.ipv4.tcp_fin_timeout` or the bare name).
    public func setSysctl(name: String, value: String) throws(SysctlError) {
        try sysctls.set(name: name, value: value)
    }

    // MARK: - Time

    /// The earliest time a timer is due, if any.
    public func nextDeadline() -> Int64? {
        // Time-wait entries run their own timers (TimeWaitTable).
        let wheel = timers.nextDeadline()
        guard let timeWaitNext = timeWait.nextDeadline() else { return wheel }
        guard let wheel else { return timeWaitNext }
        return min(wheel, timeWaitNext)
    }

    /// Moves time forward to `time`, running every timer that falls due on the way in
    /// order, each at its own instant.
    public func advance(to requested: Int64) {
        // Far beyond any script, and far enough from Int64.max that deadlines
        // computed from now cannot overflow.
        let time = min(requested, Self.endOfTime)
        while let next = nextDeadline(), next <= time {
            now = max(now, next)
            expireTimeWait(upTo: next)
            var due: [(TimerHandle, StackTimer)] = []
            timers.advance(to: next) { handle, payload in due.append((handle, payload)) }
            for (handle, payload) in due { fire(handle, payload); endExplanationStep() }
            runWakeups()
        }
        now = max(now, time)
        expireTimeWait(upTo: now)
        var due: [(TimerHandle, StackTimer)] = []
        timers.advance(to: now) { handle, payload in due.append((handle, payload)) }
        for (handle, payload) in due { fire(handle, payload); endExplanationStep() }
    }

    /// Sets the clock to `time` without running the timers due then (they run at
    /// the next ``advance(to:)``, still at their own instant). Never moves back.
    public func moveClock(to time: Int64) {
        now = max(now, min(time, Self.endOfTime))
    }

    /// The latest time the stack moves to (about 73,000 years).
    public static let endOfTime: Int64 = Int64.max / 4

    func schedule(at deadline: Int64, _ payload: consuming StackTimer) -> TimerHandle {
        timers.schedule(at: max(deadline, now), payload)
    }

    /// Arms `handle`'s timer for `deadline` (sk_reset_timer, i.e. mod_timer): a
    /// timer still armed moves in place, keeping its handle and payload (it
    /// orders as if scheduled now, as a cancel and a new schedule would); else
    /// a new one is scheduled with `payload`.
    /// The payload is built only when a new timer is scheduled: building it
    /// for a timer that just moves would retain and release its socket.
    @inline(__always)
    func rearm(_ handle: inout TimerHandle?, at deadline: Int64, _ payload: @autoclosure () -> StackTimer) {
        if let h = handle, timers.reschedule(h, at: max(deadline, now)) { return }
        handle = timers.schedule(at: max(deadline, now), payload())
    }

    /// Disarms `handle`'s timer, if any (sk_stop_timer). Inlined: most
    /// handles a connection's teardown clears are already nil.
    @inline(__always)
    func cancel(_ handle: inout TimerHandle?) {
        if let h = handle { timers.drop(h) }
        handle = nil
    }

    private func fire(_ handle: TimerHandle, _ payload: StackTimer) {
        if payload.kind == .queueRelease {
            guard queueTimer == handle else { return }
            queueTimer = nil
            releaseHeldPackets(all: false)
            return
        }
        guard let sk = payload.socket else { return }
        switch payload.kind {
        case .retransmit:
            guard sk.retransmitTimer == handle else { return }
            sk.retransmitTimer = nil
            sk.writeTimerFired()
        case .delayedAck:
            guard sk.delackTimer == handle else { return }
            sk.delackTimer = nil
            sk.delayedAckTimerFired()
        case .keepalive:
            guard sk.keepaliveTimer == handle else { return }
            sk.keepaliveTimer = nil
            sk.keepaliveTimerFired()
        case .synAck:
            guard let tuple = payload.tuple else { return }
            sk.synAckTimerFired(tuple: tuple, handle: handle)
        case .pacing:
            guard sk.pacingTimer == handle else { return }
            sk.pacingTimer = nil
            sk.smallQueueHandler()
        case .queueRelease:
            break
        }
    }

    /// Runs every registered wakeup (blocked calls re-check their condition).
    /// The empty check is inlined: it runs after every packet and timer, and
    /// usually nothing waits.
    @inline(__always)
    func runWakeups() {
        if !wakeups.isEmpty { runRegisteredWakeups() }
    }

    private func runRegisteredWakeups() {
        for id in wakeups.keys.sorted() {
            wakeups[id]?()
        }
    }

    /// Registers `body` to run after every input and timer until removed.
    func addWakeup(_ body: @escaping () -> Void) -> UInt64 {
        let id = nextWakeupID
        nextWakeupID += 1
        wakeups[id] = body
        return id
    }

    func removeWakeup(_ id: UInt64) { wakeups[id] = nil }

    // MARK: - Clocks as TCP sees them

    /// tcp_time_stamp_ms: the millisecond clock TCP timestamps count.
    var timestampClock: UInt32 { UInt32(truncatingIfNeeded: (clockBase + now) / 1000) }

    /// jiffies-like seconds, for ts_recent_stamp.
    var seconds: Int64 { (clockBase + now) / 1_000_000 }

    // MARK: - Output

    /// Hands a built packet to the "device" through the queueing discipline.
    /// `departure` is the packet's EDT timestamp in nanoseconds (0: now), `owner`
    /// the socket whose memory it is, `truesize` what it charges there while queued.
    /// Returns false when the device queue dropped the packet (NET_XMIT_DROP).
    @discardableResult
    func emit(_ bytes: consuming [UInt8], departure: Int64 = 0, owner: TCPSocket? = nil, truesize: Int = 0,
              gsoContinuation payloadBytes: Int? = nil) -> Bool {
        guard !bytes.isEmpty else { return false }
        countOutboundIP(isIPv6: bytes[0] >> 4 == 6, length: bytes.count, gsoContinuation: payloadBytes)
        if explanationLog != nil { explainSent(bytes) }
        switch queueDiscipline {
        case .dropAll:
            return false
        case .passThrough:
            outbound.append(SentPacket(bytes: bytes, time: now))
        case .fairQueue:
            // fq_enqueue: a socket seen by fq paces through it (SK_PACING_FQ).
            if let owner, owner.pacingStatus == .none { owner.pacingStatus = .fairQueue }
            let release = (departure + 999) / 1000
            guard release > now else {
                outbound.append(SentPacket(bytes: bytes, time: now))
                return true
            }
            var index = heldPackets.count
            while index > 0 && heldPackets[index - 1].departure > release { index -= 1 }
            heldPackets.insert(HeldPacket(bytes: bytes, departure: release, owner: owner, truesize: truesize), at: index)
            owner?.queuedTruesize += truesize
            if index == 0 {
                cancel(&queueTimer)
                queueTimer = schedule(at: release, .queueRelease)
            }
        }
        return true
    }

    /// fq_dequeue: lets every held packet whose time has come onto the wire; the
    /// memory goes back to its socket, which writes more if TCP Small Queues had
    /// throttled it (tcp_wfree -> tcp_tsq_handler).
    func releaseHeldPackets(all: Bool) {
        var freed: [TCPSocket] = []
        var count = 0
        while count < heldPackets.count && (all || heldPackets[count].departure <= now) {
            let p = heldPackets[count]
            outbound.append(SentPacket(bytes: p.bytes, time: now))
            if let owner = p.owner {
                owner.queuedTruesize -= p.truesize
                if owner.smallQueueThrottled && !freed.contains(where: { $0 === owner }) { freed.append(owner) }
            }
            count += 1
        }
        heldPackets.removeFirst(count)
        cancel(&queueTimer)
        if let first = heldPackets.first { queueTimer = schedule(at: first.departure, .queueRelease) }
        for sk in freed {
            sk.smallQueueThrottled = false
            sk.smallQueueHandler()
        }
    }

    /// Removes and returns the oldest packet not yet taken.
    public func takeOutbound() -> SentPacket? {
        outbound.removeFirst()
    }

    /// Hands back a packet this stack sent once the taker is done with its
    /// bytes: the stack builds later packets in its storage instead of
    /// allocating, as a driver reuses its transmit buffers. Optional; a taker
    /// that keeps packets simply does not call it.
    public func recycle(_ packet: consuming SentPacket) {
        // The packet is consumed: its bytes move in without a retain.
        spareBuffers.keep((consume packet).bytes)
    }

    /// Packet buffers handed back through ``recycle(_:)``, newest taken first.
    private let spareBuffers = PacketBufferPool(limit: 64)

    /// Storage for the next packet built, `length` bytes long: a recycled
    /// buffer (of that length when one of the newest is), or an empty array.
    func packetBuffer(length: Int) -> [UInt8] {
        spareBuffers.take(count: length)
    }

    // MARK: - Input

    /// Delivers an inbound IP packet now (tcp_v4_rcv / tcp_v6_rcv). Packets that are
    /// not TCP for a local address, or are malformed, are dropped as Linux drops them.
    public func receive(_ bytes: [UInt8]) {
        if explanationLog != nil { explainMarker(.received(bytes: bytes)) }
        bytes.withUnsafeBytes { raw in
            receive(raw)
        }
        runWakeups()
        endExplanationStep()
    }

    /// Inlined into its one caller: a call per packet for nothing.
    @inline(__always)
    func receive(_ raw: UnsafeRawBufferPointer) {
        let isIPv6 = countInboundIP(raw)
        let segment: InboundSegment
        do {
            segment = try SegmentParser.parse(raw, verifyingChecksum: !addresses.checksumOffload)
        } catch {
            if case .badChecksum = error {
                counters.increment(.tcpInCsumErrors)
                counters.increment(.tcpInErrs)
            }
            return
        }
        guard isLocal(segment.destination) else { return }
        counters.increment(isIPv6 ? .ip6InDelivers : .ipInDelivers)
        counters.increment(.tcpInSegs)
        tcpReceive(segment, raw)
    }

    /// The IP layer's receive counters (ip_rcv_core / ipv6_rcv): packets, octets
    /// of whole packets, and the ECN codepoint. Returns whether the packet is IPv6.
    @discardableResult
    func countInboundIP(_ raw: UnsafeRawBufferPointer) -> Bool {
        guard raw.count >= 20 else { return false }
        let isIPv6 = raw[0] >> 4 == 6
        if isIPv6 {
            guard raw.count >= 40 else { return true }
            let length = 40 + Int(raw[4]) << 8 + Int(raw[5])
            counters.increment(.ip6InReceives)
            counters.increment(.ip6InOctets, by: Int64(length))
            // The ECN codepoint (Not-ECT, ECT(1), ECT(0), CE) picks one of four
            // counters declared in that order.
            counters.increment(.ip6InNoECTPkts, plus: Int((raw[1] >> 4) & 3))
        } else {
            let length = Int(raw[2]) << 8 + Int(raw[3])
            counters.increment(.ipInReceives)
            counters.increment(.ipExtInOctets, by: Int64(length))
            counters.increment(.ipExtInNoECTPkts, plus: Int(raw[1] & 3))
        }
        return isIPv6
    }

    /// The IP layer's send counters (ip_output / ip6_output): counted before the
    /// queueing discipline, so packets it drops count too, as on Linux. A TSO
    /// burst is one packet to IP (the device splits it later): its later
    /// segments, `gsoContinuation`, add only their payload.
    /// `length`: the whole packet's.
    func countOutboundIP(isIPv6: Bool, length: Int, gsoContinuation payloadBytes: Int?) {
        if let payloadBytes {
            counters.increment(isIPv6 ? .ip6OutOctets : .ipExtOutOctets, by: Int64(payloadBytes))
        } else if isIPv6 {
            counters.increment(.ip6OutRequests)
            counters.increment(.ip6OutTransmits)
            counters.increment(.ip6OutOctets, by: Int64(length))
        } else {
            counters.increment(.ipOutRequests)
            counters.increment(.ipOutTransmits)
            counters.increment(.ipExtOutOctets, by: Int64(length))
        }
    }

    /// Compares the address words in place: every inbound segment asks, and
    /// LingerWire's `==` through an Optional is a call. Inlined: a call per
    /// segment for a few compares.
    @inline(__always)
    func isLocal(_ address: IPAddress) -> Bool {
        switch address {
        case .v4(let a):
            if let own = addresses.ipv4, own.value == a.value { return true }
            return a.value >> 24 == 127
        case .v6(let a):
            if let own = addresses.ipv6, own.high == a.high && own.low == a.low { return true }
            return a.high == 0 && a.low == 1  // ::1
        }
    }

    // MARK: - Randomness

    func randomUInt32() -> UInt32 { UInt32(truncatingIfNeeded: random.next() >> 16) }
    func randomInt(below n: Int) -> Int { n <= 0 ? 0 : Int(random.next() % UInt64(n)) }

    /// Gives a socket about to carry a connection the spare storage of
    /// destroyed sockets' queues (none when there is none): its queues behave
    /// as fresh ones, only their first appends take no malloc.
    func giveSpareStorage(to sk: TCPSocket) {
        socketStorage.give(sendBytes: &sk.sendBytes, receiveBytes: &sk.receiveBytes,
                           sendRecords: &sk.sendQueue, receiveRecords: &sk.receiveRecords)
    }

    /// Takes back the storage of a destroyed socket's emptied queues (kept
    /// only when empty and owned by the socket alone).
    func keepSpareStorage(of sk: TCPSocket) {
        socketStorage.keep(sendBytes: &sk.sendBytes, receiveBytes: &sk.receiveBytes,
                           sendRecords: &sk.sendQueue, receiveRecords: &sk.receiveRecords)
    }

    /// The algorithm tcp_congestion_control names (cubic when it names none),
    /// parsed again only when the name changed.
    func defaultCongestionAlgorithm() -> CongestionAlgorithm {
        let name = sysctls.tcpCongestionControl
        if name != parsedCongestionName {
            parsedCongestion = CongestionAlgorithm(named: name) ?? .cubic
            parsedCongestionName = name
        }
        return parsedCongestion
    }

    func makeSocketID() -> UInt64 {
        defer { nextSocketID += 1 }
        return nextSocketID
    }

    /// The MSS the route gives for `address`'s family: MTU minus IP and TCP headers.
    func routeMSS(ipv6: Bool) -> Int {
        addresses.mtu - (ipv6 ? 60 : 40)
    }

    /// The host's address for a family.
    func localAddress(ipv6: Bool) -> IPAddress? {
        if ipv6 { return addresses.ipv6.map { .v6($0) } }
        return addresses.ipv4.map { .v4($0) }
    }
}

/// A small, fast, seedable generator (SplitMix64) for the stack's random choices.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
