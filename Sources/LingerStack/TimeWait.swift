import LingerWire

/// A compact time-wait entry (inet_timewait_sock + tcp_timewait_sock): what a
/// connection keeps of itself in TIME_WAIT, or in FIN_WAIT2 after an orphaned
/// close with a short timeout. The full socket is gone; this holds only what
/// tcp_timewait_state_process, the time-wait ACK, connect()'s reuse check and
/// bind()'s conflict check need. Its 4-tuple is the table's key
/// (`TimeWaitKey`), not stored here.
///
/// Times are 32-bit as in Linux: seconds for the timestamp age, milliseconds
/// of the TCP clock for the rest (compared with wrapping arithmetic).
struct TimeWaitEntry {
    /// What else the entry remembers, one bit each.
    struct Flags: OptionSet {
        let rawValue: UInt8
        /// tw_substate FIN_WAIT2 (otherwise TIME_WAIT).
        static let finWait2 = Flags(rawValue: 1)
        /// tw_reuse: the socket had SO_REUSEADDR.
        static let reuseAddress = Flags(rawValue: 2)
        /// tw_reuseport: the socket had SO_REUSEPORT.
        static let reusePort = Flags(rawValue: 4)
        /// The port's bind bucket was made by bind() or listen() (fastreuse >= 0),
        /// not by connect()'s port search: that search skips the port.
        static let portFromBind = Flags(rawValue: 8)
        /// tw_family AF_INET6: an IPv6 socket's entry, also for a v4-mapped
        /// connection (ss shows its addresses in IPv6 form).
        static let ipv6Family = Flags(rawValue: 16)
    }

    /// When the entry's timer (tw_timer) removes it, microseconds. The table
    /// keeps it: set it through `TimeWaitTable.insert` and `restartTimer`.
    var deadline: Int64
    /// tw_snd_nxt.
    var sndNxt: SequenceNumber
    /// tw_rcv_nxt.
    var rcvNxt: SequenceNumber
    /// tw_rcv_wnd: the receive window left when the socket was replaced.
    var rcvWindow: UInt32
    /// tw_ts_recent: the peer's last timestamp (0: none; then ACKs carry no timestamp).
    var tsRecent: UInt32
    /// tw_ts_offset: our timestamp offset.
    var tsOffset: UInt32
    /// tw_ts_recent_stamp, seconds (0: the connection had no timestamps).
    var tsRecentStamp: UInt32
    /// tw_last_oow_ack_time, TCP clock milliseconds (0: never).
    var lastOutOfWindowAck: UInt32
    /// tw_entry_stamp, TCP clock milliseconds: set on entry and again when a
    /// FIN_WAIT2 entry with timestamps gets the peer's FIN.
    var entryStamp: UInt32
    /// Which arming of the timer is current (the table's; a timer record with
    /// another stamp is stale).
    var timerStamp: UInt32 = 0
    /// tw_rcv_wscale.
    var rcvWscale: UInt8
    /// tw_tos.
    var tos: UInt8
    var flags: Flags

    var isFinWait2: Bool { flags.contains(.finWait2) }
}

/// A time-wait entry's 4-tuple in 24 bytes: the remote address whole (an IPv4
/// address in the low 32 bits, its family being the local address's), the
/// local address as its index in `TimeWaitTable`'s short list of local
/// addresses, and both ports.
struct TimeWaitKey: Hashable {
    var remoteHigh: UInt64
    var remoteLow: UInt64
    var localIndex: UInt32
    /// Local port in the high 16 bits, remote port in the low 16.
    var ports: UInt32

    var localPort: UInt16 { UInt16(truncatingIfNeeded: ports >> 16) }

    /// A well-mixed 64-bit hash (MurmurHash3's finalizer over the fields).
    var mixedHash: UInt64 {
        var h = remoteLow &* 0x9E37_79B9_7F4A_7C15
        h ^= remoteHigh &* 0xC2B2_AE3D_27D4_EB4F
        h ^= UInt64(ports) << 32 | UInt64(localIndex)
        h ^= h >> 33
        h &*= 0xFF51_AFD7_ED55_8CCD
        h ^= h >> 33
        h &*= 0xC4CE_B9FE_1A85_EC53
        h ^= h >> 33
        return h
    }
}

/// The time-wait half of the established hash (inet_hashtables' ehash holds
/// both kinds): entries by 4-tuple, and per local port how many entries hold
/// it, so that bind() and connect() find a port's time-wait owners without a
/// walk over every entry (the inet_bind_bucket's tw owners). It also runs the
/// entries' timers (tw_timer).
///
/// Memory is what a million entries make matter: the entries live in one dense
/// array of 72-byte slots (key and entry; a freed slot is reused), found through
/// an open-addressing index of 4-byte slot numbers (linear probing, at most 3/4
/// full, deletion by backward shift, so no tombstones). Timers need no timer
/// wheel: almost every entry lasts the same time (TCP_TIMEWAIT_LEN, or one
/// FIN_WAIT2 timeout), so deadlines arrive in the order entries are armed and a
/// FIFO of 8-byte records (slot, stamp) keeps them sorted; the rare deadline
/// earlier than the FIFO's last goes to a small binary heap. Restarting or
/// removing an entry leaves its old record behind, recognised as stale because
/// the entry's stamp moved on (or the slot was freed); stale records are
/// dropped when they reach the front, or all at once when they outnumber the
/// entries.
struct TimeWaitTable {
    /// How many entries hold one local port, and how many of them got it from bind().
    struct PortHolders {
        var entries: UInt32 = 0
        var fromBind: UInt32 = 0
    }

    /// One place of the dense array: a live entry, or a free place whose key's
    /// `localIndex` is `freeMark` and whose key's `ports` is the next free place.
    struct Slot {
        var key: TimeWaitKey
        var entry: TimeWaitEntry
    }

    /// A timer record of the out-of-order heap: it carries its deadline, since
    /// the heap orders stale records too.
    private struct HeapRecord: HeapOrdered {
        var deadline: Int64
        var record: UInt64

        func precedes(_ other: HeapRecord) -> Bool {
            TimeWaitTable.precedes(record, deadline, other.record, other.deadline)
        }
    }

    private static var freeMark: UInt32 { UInt32.max }
    private static var noSlot: UInt32 { UInt32.max }

    private var slots: [Slot] = []
    private var freeHead = TimeWaitTable.noSlot
    /// Slot number + 1 (0: empty), by the key's hash.
    private var slotIndex = SlotIndex()
    private var localAddresses: [IPAddress] = []
    /// Indexes into `localAddresses`, consulted (and made) only when that list
    /// is long (a short one is searched directly, with no hashing).
    private var localIndexes: [IPAddress: UInt32] = [:]
    /// Holders by local port: a direct array of 65,536 counts (512 KiB, made at
    /// the first insert), so counting costs an index, not a hashed lookup.
    private var ports: [PortHolders] = []

    /// Timer records (slot << 32 | stamp) in deadline order, then arming order.
    private var timerQueue = RingQueue<UInt64>()
    /// The deadline of the last record put in `timerQueue`.
    private var timerQueueLastDeadline = Int64.min
    /// Records whose deadline is before `timerQueueLastDeadline`, a min-heap.
    private var earlyTimers = MinHeap<HeapRecord>()
    private var staleTimerRecords = 0
    private var nextTimerStamp: UInt32 = 0

    /// How many entries there are (TIME_WAIT and FIN_WAIT2).
    private(set) var count = 0
    /// Whether there is none.
    var isEmpty: Bool { count == 0 }

    /// The key of `tuple` if its local address was ever seen here.
    func key(_ tuple: FourTuple) -> TimeWaitKey? {
        guard let index = indexOfLocal(tuple.local.address) else { return nil }
        return Self.key(tuple, localIndex: index)
    }

    /// How many local addresses are searched directly before the hashed index.
    private static var shortLocalList: Int { 8 }

    /// The index of local address `address` in `localAddresses`, if seen.
    private func indexOfLocal(_ address: IPAddress) -> UInt32? {
        if localAddresses.count <= Self.shortLocalList {
            for i in localAddresses.indices where localAddresses[i] == address {
                return UInt32(truncatingIfNeeded: i)
            }
            return nil
        }
        return localIndexes[address]
    }

    private static func key(_ tuple: FourTuple, localIndex: UInt32) -> TimeWaitKey {
        let (high, low): (UInt64, UInt64)
        switch tuple.remote.address {
        case .v4(let a): (high, low) = (0, UInt64(a.value))
        case .v6(let a): (high, low) = (a.high, a.low)
        }
        return TimeWaitKey(remoteHigh: high, remoteLow: low, localIndex: localIndex,
                           ports: UInt32(tuple.local.port) << 16 | UInt32(tuple.remote.port))
    }

    /// The 4-tuple a key stands for.
    func tuple(_ key: TimeWaitKey) -> FourTuple? {
        guard Int(key.localIndex) < localAddresses.count else { return nil }
        let local = localAddresses[Int(key.localIndex)]
        let remote: IPAddress
        switch local {
        case .v4: remote = .v4(IPv4Address(UInt32(truncatingIfNeeded: key.remoteLow)))
        case .v6: remote = .v6(IPv6Address(high: key.remoteHigh, low: key.remoteLow))
        }
        return FourTuple(local: TCPEndpoint(local, key.localPort),
                         remote: TCPEndpoint(remote, UInt16(truncatingIfNeeded: key.ports)))
    }

    // MARK: - The index

    /// The bucket holding `key` and its slot, or nil.
    private func find(_ key: TimeWaitKey) -> (bucket: Int, slot: Int)? {
        find(key, hash: Int(truncatingIfNeeded: key.mixedHash))
    }

    /// find, with the key's hash already computed.
    private func find(_ key: TimeWaitKey, hash: Int) -> (bucket: Int, slot: Int)? {
        guard let found = slotIndex.find(hash: hash, matches: { slots[$0].key == key }) else { return nil }
        return (found.bucket, found.entry)
    }

    private func find(_ tuple: FourTuple) -> (bucket: Int, slot: Int)? {
        guard let key = key(tuple) else { return nil }
        return find(key)
    }

    /// Makes the index big enough for `entries` keys at a load of at most 3/4.
    private mutating func growIndex(toHold entries: Int) {
        guard !slotIndex.canHold(entries) else { return }
        let slots = self.slots
        let used = slots.indices.lazy.filter { slots[$0].key.localIndex != Self.freeMark }
        slotIndex.grow(toHold: entries, minimumSize: 16, entries: used) {
            Int(truncatingIfNeeded: slots[$0].key.mixedHash)
        }
    }

    /// Empties `bucket`, shifting back the keys after it that probed past it.
    private mutating func unindex(bucket start: Int) {
        let slots = self.slots
        slotIndex.remove(bucket: start) { Int(truncatingIfNeeded: slots[$0].key.mixedHash) }
    }

    // MARK: - Entries

    /// The entry for `tuple`, if any.
    subscript(tuple: FourTuple) -> TimeWaitEntry? {
        guard let found = find(tuple) else { return nil }
        return slots[found.slot].entry
    }

    /// Adds (or replaces) the entry for `tuple`; its timer runs out at
    /// `entry.deadline`. Returns false, adding nothing, when the local and
    /// remote addresses are of different families.
    @discardableResult
    mutating func insert(_ entry: TimeWaitEntry, for tuple: FourTuple) -> Bool {
        guard tuple.local.address.isIPv6 == tuple.remote.address.isIPv6 else { return false }
        let localIndex: UInt32
        if let known = indexOfLocal(tuple.local.address) {
            localIndex = known
        } else {
            localIndex = UInt32(truncatingIfNeeded: localAddresses.count)
            localAddresses.append(tuple.local.address)
            if localAddresses.count > Self.shortLocalList {
                if localIndexes.isEmpty {
                    for (index, address) in localAddresses.enumerated() {
                        localIndexes[address] = UInt32(truncatingIfNeeded: index)
                    }
                } else {
                    localIndexes[tuple.local.address] = localIndex
                }
            }
        }
        let key = Self.key(tuple, localIndex: localIndex)
        let hash = Int(truncatingIfNeeded: key.mixedHash)
        var entry = entry
        entry.timerStamp = takeTimerStamp()
        let slot: Int
        // One probe finds the key or the bucket for it (the index grows
        // first, so it has room even when the key turns out to be there).
        growIndex(toHold: count + 1)
        let place = slotIndex.findOrVacancy(hash: hash) { slots[$0].key == key }
        if let found = place.entry {
            slot = found
            release(port: tuple.local.port, slots[slot].entry)
            staleTimerRecords += 1
            slots[slot].entry = entry
        } else {
            if freeHead != Self.noSlot {
                slot = Int(freeHead)
                freeHead = slots[slot].key.ports
                slots[slot] = Slot(key: key, entry: entry)
            } else {
                slot = slots.count
                slots.append(Slot(key: key, entry: entry))
            }
            slotIndex.setEntry(slot, at: place.bucket)
            count += 1
        }
        if ports.isEmpty { ports = [PortHolders](repeating: PortHolders(), count: Int(UInt16.max) + 1) }
        // Read and written back whole: one uniqueness check, not one per field.
        var holders = ports[Int(tuple.local.port)]
        holders.entries += 1
        if entry.flags.contains(.portFromBind) { holders.fromBind += 1 }
        ports[Int(tuple.local.port)] = holders
        pushTimer(slot: slot, stamp: entry.timerStamp, deadline: entry.deadline)
        return true
    }

    /// Changes an existing entry in place (its timer, and its flags that count
    /// per port, stay as they were).
    mutating func update(_ tuple: FourTuple, _ body: (inout TimeWaitEntry) -> Void) {
        guard let found = find(tuple) else { return }
        let kept = slots[found.slot].entry
        body(&slots[found.slot].entry)
        slots[found.slot].entry.deadline = kept.deadline
        slots[found.slot].entry.timerStamp = kept.timerStamp
    }

    /// Removes and returns the entry for `tuple`.
    @discardableResult
    mutating func remove(_ tuple: FourTuple) -> TimeWaitEntry? {
        guard let found = find(tuple) else { return nil }
        return remove(bucket: found.bucket, slot: found.slot)
    }

    private mutating func remove(bucket: Int, slot: Int) -> TimeWaitEntry {
        let entry = slots[slot].entry
        release(port: slots[slot].key.localPort, entry)
        unindex(bucket: bucket)
        slots[slot].key.localIndex = Self.freeMark
        slots[slot].key.ports = freeHead
        freeHead = UInt32(truncatingIfNeeded: slot)
        count -= 1
        // Its timer record is stale now.
        staleTimerRecords += 1
        return entry
    }

    private mutating func release(port: UInt16, _ entry: TimeWaitEntry) {
        guard !ports.isEmpty, ports[Int(port)].entries > 0 else { return }
        ports[Int(port)].entries -= 1
        if entry.flags.contains(.portFromBind) { ports[Int(port)].fromBind -= min(ports[Int(port)].fromBind, 1) }
        if ports[Int(port)].entries == 0 { ports[Int(port)] = PortHolders() }
    }

    /// The entries holding local port `port` (nil when none does).
    func holders(ofPort port: UInt16) -> PortHolders? {
        guard !ports.isEmpty, ports[Int(port)].entries > 0 else { return nil }
        return ports[Int(port)]
    }

    /// Calls `body` with the local address and entry of every entry on local port
    /// `port` until it returns true; returns whether one did. Walks the table
    /// only when some entry holds the port.
    func contains(port: UInt16, where body: (IPAddress, TimeWaitEntry) -> Bool) -> Bool {
        guard holders(ofPort: port) != nil else { return false }
        for slot in slots where slot.key.localIndex != Self.freeMark && slot.key.localPort == port
            && Int(slot.key.localIndex) < localAddresses.count {
            if body(localAddresses[Int(slot.key.localIndex)], slot.entry) { return true }
        }
        return false
    }

    /// Calls `body` with every entry and its 4-tuple.
    func forEach(_ body: (FourTuple, TimeWaitEntry) -> Void) {
        for slot in slots where slot.key.localIndex != Self.freeMark {
            if let tuple = tuple(slot.key) { body(tuple, slot.entry) }
        }
    }

    /// Every entry's 4-tuple.
    var tuples: [FourTuple] {
        var all: [FourTuple] = []
        forEach { tuple, _ in all.append(tuple) }
        return all
    }

    // MARK: - Timers (tw_timer)

    private mutating func takeTimerStamp() -> UInt32 {
        defer { nextTimerStamp &+= 1 }
        return nextTimerStamp
    }

    /// inet_twsk_reschedule: the entry's timer now runs out at `deadline`.
    mutating func restartTimer(_ tuple: FourTuple, at deadline: Int64) {
        guard let found = find(tuple) else { return }
        let stamp = takeTimerStamp()
        slots[found.slot].entry.deadline = deadline
        slots[found.slot].entry.timerStamp = stamp
        staleTimerRecords += 1
        pushTimer(slot: found.slot, stamp: stamp, deadline: deadline)
    }

    private mutating func pushTimer(slot: Int, stamp: UInt32, deadline: Int64) {
        let record = UInt64(UInt32(truncatingIfNeeded: slot)) << 32 | UInt64(stamp)
        if deadline >= timerQueueLastDeadline || timerQueue.isEmpty {
            timerQueue.append(record)
            timerQueueLastDeadline = deadline
        } else {
            earlyTimers.push(HeapRecord(deadline: deadline, record: record))
        }
        if staleTimerRecords > 64 && staleTimerRecords > count { dropStaleTimerRecords() }
    }

    /// The live entry's slot a record stands for, or nil for a stale record.
    private func liveSlot(_ record: UInt64) -> Int? {
        let slot = Int(record >> 32)
        guard slot < slots.count, slots[slot].key.localIndex != Self.freeMark,
              slots[slot].entry.timerStamp == UInt32(truncatingIfNeeded: record) else { return nil }
        return slot
    }

    /// Whether record `a` (due at `da`) runs before `b` (due at `db`): by
    /// deadline, then in arming order.
    fileprivate static func precedes(_ a: UInt64, _ da: Int64, _ b: UInt64, _ db: Int64) -> Bool {
        if da != db { return da < db }
        return Int32(bitPattern: UInt32(truncatingIfNeeded: a) &- UInt32(truncatingIfNeeded: b)) < 0
    }

    /// The first live timer: its slot, and whether it is the FIFO's front (else
    /// the heap's top). Drops stale records on the way.
    private mutating func firstTimer() -> (slot: Int, inQueue: Bool)? {
        var queueSlot: Int?
        while let record = timerQueue.first {
            if let slot = liveSlot(record) {
                queueSlot = slot
                break
            }
            timerQueue.removeFirst()
            staleTimerRecords -= 1
        }
        var heapSlot: Int?
        while let top = earlyTimers.first {
            if let slot = liveSlot(top.record) {
                heapSlot = slot
                break
            }
            earlyTimers.removeFirst()
            staleTimerRecords -= 1
        }
        guard let heapSlot else { return queueSlot.map { ($0, true) } }
        guard let queueSlot, let record = timerQueue.first else { return (heapSlot, false) }
        let queued = slots[queueSlot].entry.deadline
        guard let top = earlyTimers.first else { return (queueSlot, true) }
        return Self.precedes(record, queued, top.record, top.deadline) ? (queueSlot, true) : (heapSlot, false)
    }

    /// When the next entry's timer runs out, nil when there is no entry.
    mutating func nextDeadline() -> Int64? {
        guard count > 0, let first = firstTimer() else { return nil }
        return slots[first.slot].entry.deadline
    }

    /// Removes and returns the entry whose timer runs out first, if that is at
    /// or before `time` (tw_timer_handler -> inet_twsk_kill).
    mutating func removeExpired(upTo time: Int64) -> (FourTuple, TimeWaitEntry)? {
        guard count > 0, let first = firstTimer() else { return nil }
        let key = slots[first.slot].key
        guard slots[first.slot].entry.deadline <= time, let tuple = tuple(key),
              let found = find(key) else { return nil }
        if first.inQueue { timerQueue.removeFirst() } else { earlyTimers.removeFirst() }
        let entry = remove(bucket: found.bucket, slot: found.slot)
        staleTimerRecords -= 1  // its record was taken, not left behind
        return (tuple, entry)
    }

    /// Rebuilds the FIFO and the heap without stale records.
    private mutating func dropStaleTimerRecords() {
        var queue = RingQueue<UInt64>()
        while let record = timerQueue.removeFirst() {
            if liveSlot(record) != nil { queue.append(record) }
        }
        timerQueue = queue
        var early = earlyTimers
        earlyTimers = MinHeap()
        early.removeAll { liveSlot($0.record) == nil }
        earlyTimers = early
        staleTimerRecords = 0
    }
}

/// Outcome of a segment meeting a time-wait entry (enum tcp_tw_status).
enum TimeWaitVerdict {
    case success
    case ack
    case reset
    case syn(isn: SequenceNumber)
}

/// TCP_TIMEWAIT_LEN: 60 s.
let timeWaitLength: Int64 = 60_000_000

extension NetworkStack {
    /// Replaces `sk` by a time-wait entry in `substate` lasting `timeout` (at least
    /// 3.5 RTO; TIME_WAIT always TCP_TIMEWAIT_LEN), then finishes the socket. With
    /// tcp_max_tw_buckets entries already, none is made (TCPTimeWaitOverflow) and
    /// the connection simply ends. Mirrors tcp_time_wait.
    func enterTimeWait(_ sk: TCPSocket, substate: TCPState, timeout: Int64) {
        guard let tuple = sk.tuple else {
            sk.done()
            return
        }
        // inet_twsk_alloc refuses beyond tcp_max_tw_buckets.
        if timeWait.count >= sysctls.tcpMaxTwBuckets {
            counters.increment(.tcpExtTCPTimeWaitOverflow)
            sk.done()
            return
        }
        let rto = (sk.rto << 2) - (sk.rto >> 1)
        let length = substate == .timeWait ? timeWaitLength : max(timeout, rto)
        var flags: TimeWaitEntry.Flags = []
        if substate == .finWait2 { flags.insert(.finWait2) }
        if sk.reuseAddress { flags.insert(.reuseAddress) }
        if sk.reusePort { flags.insert(.reusePort) }
        if !sk.portFromConnect { flags.insert(.portFromBind) }
        if sk.family == AF_INET6 { flags.insert(.ipv6Family) }
        let entry = TimeWaitEntry(
            deadline: now + length, sndNxt: sk.sndNxt, rcvNxt: sk.rcvNxt, rcvWindow: sk.receiveWindow,
            tsRecent: sk.tsRecent, tsOffset: sk.tsOffset,
            tsRecentStamp: UInt32(truncatingIfNeeded: sk.tsRecentStamp),
            lastOutOfWindowAck: 0, entryStamp: timestampClock,
            rcvWscale: sk.rcvWscale, tos: sk.tosByte, flags: flags)
        // The entry takes over the connection's place in the tables.
        unhashEstablished(sk)
        guard timeWait.insert(entry, for: tuple) else {
            sk.done()
            return
        }
        // __inet_twsk_schedule: a short-lived entry counts as killed, the rest as TW.
        counters.increment(length <= 4 * 1_000_000 ? .tcpExtTWKilled : .tcpExtTW)
        explainTimeWait(sk, substate: substate, length: length)
        sk.done()
    }

    /// tw_timer_handler -> inet_twsk_kill: removes every entry whose time is up
    /// at or before `time`, in deadline order (the table runs their timers).
    func expireTimeWait(upTo time: Int64) {
        while let (tuple, entry) = timeWait.removeExpired(upTo: time) {
            if explanationLog != nil {
                explainTimeWaitEnd(tuple, finWait2: entry.isFinWait2)
                endExplanationStep()
            }
        }
    }

    /// Removes a time-wait entry now (inet_twsk_deschedule_put).
    func killTimeWait(_ tuple: FourTuple) {
        timeWait.remove(tuple)
    }

    /// inet_twsk_reschedule: the entry's timer restarts with `length`.
    private func rescheduleTimeWait(_ tw: inout TimeWaitEntry, _ tuple: FourTuple, _ length: Int64) {
        tw.deadline = now + length
        timeWait.restartTimer(tuple, at: tw.deadline)
    }

    /// A segment for a time-wait 4-tuple. Mirrors the do_time_wait part of tcp_v4_rcv.
    func timeWaitReceive(_ seg: InboundSegment, _ raw: UnsafeRawBufferPointer, tuple: FourTuple) {
        guard var entry = timeWait[tuple] else { return }
        let verdict = timeWaitStateProcess(&entry, seg, tuple: tuple)
        if timeWait[tuple] != nil { timeWait.update(tuple) { $0 = entry } }
        switch verdict {
        case .success:
            break
        case .ack:
            reason = .timeWaitAck
            timeWaitAck(entry, tuple: tuple)
        case .reset:
            reason = .timeWaitReset
            sendResetForSegment(seg)
            killTimeWait(tuple)
        case .syn(let isn):
            if let listener = lookupListener(address: seg.destination, port: seg.destinationPort) {
                killTimeWait(tuple)
                listener.segsIn &+= 1
                if listener.listenReceive(seg, raw, timeWaitISN: isn) { sendResetForSegment(seg) }
            } else {
                timeWaitAck(entry, tuple: tuple)
            }
        }
    }

    /// tcp_v4_timewait_ack: an ACK from the entry's own numbers, with a timestamp
    /// only when the peer's last one (the echo) is not zero (tcp_v4_send_ack).
    func timeWaitAck(_ entry: TimeWaitEntry, tuple: FourTuple) {
        let window = UInt16(truncatingIfNeeded: entry.rcvWindow >> UInt32(min(entry.rcvWscale, 14)))
        let ts: (UInt32, UInt32)? = entry.tsRecent != 0 ? (timestampClock &+ entry.tsOffset, entry.tsRecent) : nil
        sendBareAck(tuple: tuple, seq: entry.sndNxt, ack: entry.rcvNxt, window: window, timestamp: ts, tos: entry.tos)
    }

    /// tcp_timewait_check_oow_rate_limit -> tcp_oow_rate_limited: a data segment
    /// without SYN is always answered; anything else at most once per
    /// tcp_invalid_ratelimit, the skipped ones counted in `skipped`.
    private func timeWaitAckRateLimited(_ tw: inout TimeWaitEntry, _ seg: InboundSegment, skipped: Counter) -> TimeWaitVerdict {
        if seg.seq != seg.endSeq && !seg.isSyn { return .ack }
        let nowMs = timestampClock
        if tw.lastOutOfWindowAck != 0 {
            let elapsed = Int32(bitPattern: nowMs &- tw.lastOutOfWindowAck)
            if elapsed >= 0 && Int64(elapsed) < Int64(sysctls.tcpInvalidRatelimit) {
                counters.increment(skipped)
                return .success
            }
        }
        tw.lastOutOfWindowAck = nowMs
        return .ack
    }

    /// Decides what a segment does to a time-wait entry. Mirrors tcp_timewait_state_process
    /// (Linux 6.18: a PAWS failure counts PAWSTimewait).
    func timeWaitStateProcess(_ tw: inout TimeWaitEntry, _ seg: InboundSegment, tuple: FourTuple) -> TimeWaitVerdict {
        // Timestamps are looked at only when the connection had them.
        let sawTimestamp = tw.tsRecentStamp != 0 && seg.options.hasTimestamp
        var pawsReject = false
        if sawTimestamp {
            pawsReject = pawsRejects(tsRecent: tw.tsRecent, tsRecentStamp: Int64(tw.tsRecentStamp),
                                     tsVal: seg.options.tsVal, isRst: seg.isRst, nowSeconds: seconds)
        }
        if tw.isFinWait2 {
            // The checks of tcp_rcv_state_process, repeated.
            if pawsReject || !sequenceInWindow(seg.seq, seg.endSeq, tw.rcvNxt, tw.rcvNxt + Int(tw.rcvWindow)) {
                return timeWaitAckRateLimited(&tw, seg, skipped: .tcpExtTCPACKSkippedFinWait2)
            }
            if seg.isRst {
                killTimeWait(tuple)
                return .success
            }
            if seg.isSyn && seg.seq >= tw.rcvNxt { return .reset }
            // A duplicate ACK, or nothing new.
            if !seg.hasAck || seg.endSeq <= tw.rcvNxt || seg.endSeq == seg.seq { return .success }
            // New data after our half of the close, or anything but the FIN: reset.
            if !seg.isFin || seg.endSeq != tw.rcvNxt + 1 { return .reset }
            // The FIN: true TIME_WAIT for TCP_TIMEWAIT_LEN.
            tw.flags.remove(.finWait2)
            tw.rcvNxt = seg.endSeq
            if sawTimestamp {
                tw.entryStamp = timestampClock
                tw.tsRecentStamp = UInt32(truncatingIfNeeded: seconds)
                tw.tsRecent = seg.options.tsVal
            }
            rescheduleTimeWait(&tw, tuple, timeWaitLength)
            return .ack
        }
        // In TIME_WAIT a segment at rcv_nxt can only be a bare ACK or a RST.
        if !pawsReject && seg.seq == tw.rcvNxt && (seg.seq == seg.endSeq || seg.isRst) {
            if seg.isRst {
                // TIME_WAIT assassination (RFC 1337), allowed unless tcp_rfc1337.
                if sysctls.tcpRfc1337 == 0 {
                    killTimeWait(tuple)
                    return .success
                }
            } else {
                rescheduleTimeWait(&tw, tuple, timeWaitLength)
            }
            if sawTimestamp {
                tw.tsRecent = seg.options.tsVal
                tw.tsRecentStamp = UInt32(truncatingIfNeeded: seconds)
            }
            return .success
        }
        // A new SYN may reopen the 4-tuple: its sequence is above the old one's,
        // or its timestamp is newer. The new ISN starts above everything we sent.
        if seg.isSyn && !seg.isRst && !seg.hasAck && !pawsReject
            && (seg.seq > tw.rcvNxt
                || (sawTimestamp && Int32(bitPattern: tw.tsRecent &- seg.options.tsVal) < 0)) {
            var isn = tw.sndNxt + 65537
            if isn.rawValue == 0 { isn = SequenceNumber(1) }
            return .syn(isn: isn)
        }
        if pawsReject { counters.increment(.tcpExtPAWSTimewait) }
        if !seg.isRst {
            // An ACK-less SYN below rcv_nxt may be an old duplicate: no restart for it.
            if pawsReject || seg.hasAck { rescheduleTimeWait(&tw, tuple, timeWaitLength) }
            return timeWaitAckRateLimited(&tw, seg, skipped: .tcpExtTCPACKSkippedTimeWait)
        }
        return .success
    }
}

/// tcp_in_window: the segment overlaps the window `start..<end`; a zero-length
/// segment at either edge counts.
func sequenceInWindow(_ seq: SequenceNumber, _ endSeq: SequenceNumber, _ start: SequenceNumber, _ end: SequenceNumber) -> Bool {
    if seq == start { return true }
    if endSeq > start && seq < end { return true }
    return seq == end && seq == endSeq
}

/// tcp_paws_check: whether a timestamp passes PAWS with a replay window of `window`
/// (ts_recent older than 24 days, or zero, passes everything).
func pawsCheck(tsRecent: UInt32, tsRecentStamp: Int64, tsVal: UInt32, window: Int32, nowSeconds: Int64) -> Bool {
    if Int32(bitPattern: tsRecent &- tsVal) <= window { return true }
    if nowSeconds >= tsRecentStamp + Int64(Int32.max / 1_000_000) { return true }
    if tsRecent == 0 { return true }
    return false
}

/// tcp_paws_reject: a timestamp older than ts_recent is rejected; a RST passes once
/// ts_recent is older than TCP_PAWS_MSL (60 s).
func pawsRejects(tsRecent: UInt32, tsRecentStamp: Int64, tsVal: UInt32, isRst: Bool, nowSeconds: Int64) -> Bool {
    if pawsCheck(tsRecent: tsRecent, tsRecentStamp: tsRecentStamp, tsVal: tsVal, window: 0, nowSeconds: nowSeconds) {
        return false
    }
    if isRst && nowSeconds >= tsRecentStamp + 60 { return false }
    return true
}
