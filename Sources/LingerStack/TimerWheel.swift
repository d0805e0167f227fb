/// An opaque reference to one timer in a `TimerWheel`.
///
/// A handle names a slot and the slot's generation at scheduling time. Once the
/// timer fires or is cancelled the slot's generation moves on, so an old handle
/// can never touch a later timer that reuses the slot: operations on it are
/// harmless no-ops. (A slot would have to be reused 2^32 times for a stale
/// handle to match again.)
public struct TimerHandle: Hashable, Sendable, CustomStringConvertible {
    let slot: UInt32
    let generation: UInt32

    /// A short form for logs, `timer#slot.generation`.
    public var description: String { "timer#\(slot).\(generation)" }
}

/// Every timer of every connection, in one hierarchical timer wheel
/// (after kernel/time/timer.c's idea, but exact to the microsecond).
///
/// Deadlines are microseconds. The wheel fires a timer exactly at its deadline,
/// never early; rounding to jiffies, if wanted, is the caller's business (Linux
/// timers have jiffy resolution: 1 ms at HZ=1000).
///
/// Cost: `schedule`, `cancel`, `reschedule`, `isScheduled` and `deadline(of:)`
/// are O(1). Each timer is moved down the wheel's 11 levels at most 11 times in
/// its life, so `nextDeadline()` and `advance(to:)` are O(1) amortized per timer,
/// plus O(log k) to order k timers that fall due in the same microsecond.
/// Timer state lives in buffers with a free list; nothing is allocated per timer
/// once the slot buffer has grown to the peak number of armed timers. The
/// buffers are raw memory the wheel owns: a timer operation touches several
/// of them, and as arrays each write paid a uniqueness and a bounds check.
/// Every index into them is one the wheel made (handles are checked against
/// the slot count first).
///
/// How it works: deadlines are kept as unsigned offsets from the wheel's
/// origin, read as 11 digits of 6 bits. A timer sits at the level of the
/// highest digit in which its deadline differs from the wheel's cursor, in the
/// bucket given by that digit. Every timer at level k is therefore earlier than
/// every timer at level k+1, and the earliest timer is in the first occupied
/// bucket of the lowest occupied level. Finding the next deadline moves the
/// cursor to that bucket and redistributes it one level down, until the
/// earliest timers are in a level-0 bucket, whose deadline is exact. Timers due
/// now (or whose deadline is before the cursor) wait in a small binary heap
/// ordered by (deadline, scheduling order), which is also how ties fire in the
/// order they were scheduled.
public final class TimerWheel<Payload> {
    private static var levelCount: Int { 11 }
    private static var bucketsPerLevel: Int { 64 }
    private static var bitsPerLevel: Int { 6 }

    /// Where a slot is: in a wheel bucket (>= 0), in the due heap, or free.
    private static var locationHeap: Int32 { -1 }
    private static var locationFree: Int32 { -2 }

    private struct Slot {
        var deadline: Int64 = 0
        var sequence: UInt64 = 0
        var generation: UInt32 = 0
        var location: Int32 = -2  // free
        var next: Int32 = -1  // bucket list, or free list
        var previous: Int32 = -1
    }

    private struct DueEntry: HeapOrdered {
        var deadline: Int64
        var sequence: UInt64
        var slot: Int32
        var generation: UInt32

        func precedes(_ other: DueEntry) -> Bool {
            deadline != other.deadline ? deadline < other.deadline : sequence < other.sequence
        }
    }

    /// `slotCount` initialized slots in room for `slotCapacity`.
    private var slots: UnsafeMutablePointer<Slot>
    /// Each slot's payload, initialized exactly while the slot is not free: a
    /// payload is moved in and out, never stored over or read as an Optional
    /// (whose generic destroys went through value witnesses).
    private var payloads: UnsafeMutablePointer<Payload>
    private var slotCount = 0
    private var slotCapacity = 0
    private var freeHead: Int32 = -1
    /// First slot of each bucket's list, indexed level * 64 + bucket.
    private let bucketHeads: UnsafeMutablePointer<Int32>
    /// Bit b of occupancy[level] is set when that bucket is not empty.
    private let occupancy: UnsafeMutablePointer<UInt64>
    private var due = MinHeap<DueEntry>()
    private var staleDueEntries = 0
    /// The time all offsets are measured from.
    private let origin: Int64
    /// The cursor, as an offset from `origin`: no timer in the wheel (outside
    /// the due heap) is earlier than this.
    private var cursor: UInt64 = 0
    /// The latest time passed to `advance(to:)` (or the initial time).
    public private(set) var now: Int64
    private var nextSequence: UInt64 = 0
    private var isFiring = false

    /// The number of armed timers.
    public private(set) var count = 0

    /// Creates an empty wheel whose current time is `now` (microseconds).
    public init(now: Int64) {
        self.origin = now
        self.now = now
        self.slots = UnsafeMutablePointer<Slot>.allocate(capacity: 0)
        self.payloads = UnsafeMutablePointer<Payload>.allocate(capacity: 0)
        self.bucketHeads = UnsafeMutablePointer<Int32>.allocate(capacity: Self.levelCount * Self.bucketsPerLevel)
        self.bucketHeads.initialize(repeating: -1, count: Self.levelCount * Self.bucketsPerLevel)
        self.occupancy = UnsafeMutablePointer<UInt64>.allocate(capacity: Self.levelCount)
        self.occupancy.initialize(repeating: 0, count: Self.levelCount)
    }

    deinit {
        for index in 0..<slotCount where slots[index].location != Self.locationFree {
            (payloads + index).deinitialize(count: 1)
        }
        payloads.deallocate()
        slots.deinitialize(count: slotCount)
        slots.deallocate()
        bucketHeads.deallocate()
        occupancy.deallocate()
    }

    /// Arms a timer that fires at `deadline` (microseconds) with `payload`.
    /// A deadline at or before `now` fires at the next `advance(to:)`.
    public func schedule(at deadline: Int64, _ payload: consuming Payload) -> TimerHandle {
        let slot = allocateSlot()
        // Consumed: the caller's reference moves into the slot (no retain).
        (payloads + Int(slot)).initialize(to: payload)
        place(slot, at: deadline)
        count += 1
        return TimerHandle(slot: UInt32(slot), generation: slots[Int(slot)].generation)
    }

    /// Moves an armed timer to a new deadline, keeping its handle and payload.
    /// For tie-breaking it counts as scheduled now (like Linux's mod_timer).
    /// Returns false (and does nothing) if the handle has fired or was cancelled.
    @discardableResult
    public func reschedule(_ handle: TimerHandle, at deadline: Int64) -> Bool {
        guard let slot = liveSlot(handle) else { return false }
        // Still in the same bucket (as most re-arms a few microseconds or
        // none later are): only the deadline and the order change. A linked
        // slot is always in the bucket insertIntoWheel would choose for it
        // now (the cursor only moves within the lowest occupied bucket,
        // keeping every other timer's level and digit), so this is exact.
        let index = Int(slot)
        let location = slots[index].location
        if location >= 0 && deadline >= origin {
            let deadlineOffset = offset(of: deadline)
            if deadlineOffset >= cursor && list(forOffset: deadlineOffset) == Int(location) {
                slots[index].deadline = deadline
                slots[index].sequence = nextSequence
                nextSequence &+= 1
                return true
            }
        }
        unlink(slot)
        place(slot, at: deadline)
        return true
    }

    /// Disarms a timer and returns its payload. Cancelling a timer that has
    /// fired or was already cancelled does nothing and returns nil.
    @discardableResult
    public func cancel(_ handle: TimerHandle) -> Payload? {
        guard let slot = liveSlot(handle) else { return nil }
        unlink(slot)
        return release(slot)
    }

    /// Disarms a timer and destroys its payload in place, for callers that
    /// do not want it back. A timer that has fired or was cancelled is left alone.
    public func drop(_ handle: TimerHandle) {
        guard let slot = liveSlot(handle) else { return }
        unlink(slot)
        (payloads + Int(slot)).deinitialize(count: 1)
        freeSlot(slot)
    }

    /// Whether the handle's timer is armed (not yet fired, not cancelled).
    public func isScheduled(_ handle: TimerHandle) -> Bool {
        liveSlot(handle) != nil
    }

    /// The deadline of an armed timer, nil if it has fired or was cancelled.
    public func deadline(of handle: TimerHandle) -> Int64? {
        guard let slot = liveSlot(handle) else { return nil }
        return slots[Int(slot)].deadline
    }

    /// The payload of an armed timer, nil if it has fired or was cancelled.
    public func payload(of handle: TimerHandle) -> Payload? {
        guard let slot = liveSlot(handle) else { return nil }
        return payloads[Int(slot)]
    }

    /// The earliest deadline of any armed timer, nil when none is armed.
    /// Amortized O(1); safe to call after every step.
    public func nextDeadline() -> Int64? {
        dropStaleDueEntries()
        let dueDeadline = due.first?.deadline
        while true {
            guard let level = lowestOccupiedLevel() else { return dueDeadline }
            let bucket = occupancy[level].trailingZeroBitCount
            if level == 0 {
                let offset = (cursor & ~UInt64(63)) | UInt64(bucket)
                let wheelDeadline = instant(atOffset: offset)
                if let dueDeadline, dueDeadline <= wheelDeadline { return dueDeadline }
                return wheelDeadline
            }
            // Every timer in this bucket is at or after the bucket's start; if
            // the due heap is not later than that, there is nothing to sort out.
            let shift = UInt64(level * Self.bitsPerLevel)
            let highMask: UInt64 = level + 1 >= Self.levelCount ? 0 : ~((UInt64(1) << (shift + 6)) - 1)
            let bucketStart = (cursor & highMask) | (UInt64(bucket) << shift)
            if let dueDeadline, dueDeadline <= instant(atOffset: bucketStart) { return dueDeadline }
            cascade(level: level, bucket: bucket, start: bucketStart)
        }
    }

    /// Fires, in deadline order (ties in scheduling order), every timer due at
    /// or before `time`, then makes `time` the wheel's current time.
    ///
    /// The callback may schedule, reschedule and cancel timers; a timer it arms
    /// for a deadline at or before `time` fires in this same call, in order (a
    /// deadline already passed fires next). A fired timer's handle is already
    /// stale when the callback runs. A nested `advance` from inside a callback
    /// does nothing. A `time` before the current time fires nothing.
    public func advance(to time: Int64, firing fire: (TimerHandle, Payload) -> Void) {
        guard !isFiring else { return }
        isFiring = true
        defer { isFiring = false }
        while let next = nextDeadline(), next <= time {
            // Bring the next level-0 bucket into the due heap if it is next.
            if let level = lowestOccupiedLevel(), level == 0 {
                let bucket = occupancy[0].trailingZeroBitCount
                let offset = (cursor & ~UInt64(63)) | UInt64(bucket)
                if instant(atOffset: offset) == next {
                    cursor = offset
                    moveBucketToDue(level: 0, bucket: bucket)
                }
            }
            guard let entry = popDue() else { break }
            let slot = entry.slot
            let handle = TimerHandle(slot: UInt32(slot), generation: entry.generation)
            if let payload = release(slot) {
                if entry.deadline > now { now = entry.deadline }
                fire(handle, payload)
            }
        }
        if time > now { now = time }
    }

    // MARK: - Slots

    private func allocateSlot() -> Int32 {
        if freeHead >= 0 {
            let slot = freeHead
            freeHead = slots[Int(slot)].next
            return slot
        }
        if slotCount == slotCapacity { growSlots() }
        (slots + slotCount).initialize(to: Slot())
        slotCount += 1
        return Int32(slotCount - 1)
    }

    /// Doubles the slot buffer (the slots move; indexes stay).
    private func growSlots() {
        let capacity = max(16, slotCapacity * 2)
        let grown = UnsafeMutablePointer<Slot>.allocate(capacity: capacity)
        let grownPayloads = UnsafeMutablePointer<Payload>.allocate(capacity: capacity)
        for index in 0..<slotCount where slots[index].location != Self.locationFree {
            (grownPayloads + index).moveInitialize(from: payloads + index, count: 1)
        }
        grown.moveInitialize(from: slots, count: slotCount)
        slots.deallocate()
        payloads.deallocate()
        slots = grown
        payloads = grownPayloads
        slotCapacity = capacity
    }

    /// The slot of an armed timer, nil for a stale or foreign handle.
    private func liveSlot(_ handle: TimerHandle) -> Int32? {
        let index = Int(handle.slot)
        guard index < slotCount else { return nil }
        guard slots[index].generation == handle.generation, slots[index].location != Self.locationFree else {
            return nil
        }
        return Int32(index)
    }

    /// Frees a slot that is no longer linked anywhere and returns its payload.
    private func release(_ slot: Int32) -> Payload? {
        guard slots[Int(slot)].location != Self.locationFree else { return nil }
        let payload = (payloads + Int(slot)).move()
        freeSlot(slot)
        return payload
    }

    /// Puts an unlinked slot whose payload is gone on the free list.
    private func freeSlot(_ slot: Int32) {
        let index = Int(slot)
        slots[index].location = Self.locationFree
        slots[index].generation &+= 1
        slots[index].previous = -1
        slots[index].next = freeHead
        freeHead = slot
        count -= 1
    }

    // MARK: - Placement

    private func offset(of deadline: Int64) -> UInt64 {
        UInt64(bitPattern: deadline) &- UInt64(bitPattern: origin)
    }

    private func instant(atOffset offset: UInt64) -> Int64 {
        Int64(bitPattern: UInt64(bitPattern: origin) &+ offset)
    }

    /// Puts an unlinked, allocated slot at `deadline`, with a new sequence number.
    private func place(_ slot: Int32, at deadline: Int64) {
        let index = Int(slot)
        slots[index].deadline = deadline
        slots[index].sequence = nextSequence
        nextSequence &+= 1
        if deadline < origin || offset(of: deadline) < cursor {
            pushDue(slot)
        } else {
            insertIntoWheel(slot)
        }
    }

    /// The bucket list (level * 64 + bucket) for an offset at or after the cursor.
    @inline(__always)
    private func list(forOffset deadlineOffset: UInt64) -> Int {
        let differing = deadlineOffset ^ cursor
        let level = differing == 0 ? 0 : (63 - differing.leadingZeroBitCount) / Self.bitsPerLevel
        let bucket = Int((deadlineOffset >> UInt64(level * Self.bitsPerLevel)) & 63)
        return level * Self.bucketsPerLevel + bucket
    }

    /// Links a slot whose deadline is at or after the cursor into its bucket.
    private func insertIntoWheel(_ slot: Int32) {
        let list = list(forOffset: offset(of: slots[Int(slot)].deadline))
        let level = list / Self.bucketsPerLevel
        let bucket = list % Self.bucketsPerLevel
        let head = bucketHeads[list]
        slots[Int(slot)].location = Int32(list)
        slots[Int(slot)].previous = -1
        slots[Int(slot)].next = head
        if head >= 0 { slots[Int(head)].previous = slot }
        bucketHeads[list] = slot
        occupancy[level] |= UInt64(1) << UInt64(bucket)
    }

    /// Takes an armed slot out of its bucket (O(1)) or marks its due-heap entry
    /// stale (it is skipped when it reaches the top).
    private func unlink(_ slot: Int32) {
        let index = Int(slot)
        let location = slots[index].location
        if location == Self.locationHeap {
            staleDueEntries += 1
            slots[index].location = Self.locationFree - 1  // in no list; set again by place/release
            return
        }
        guard location >= 0 else { return }
        let previous = slots[index].previous
        let next = slots[index].next
        if previous >= 0 { slots[Int(previous)].next = next } else { bucketHeads[Int(location)] = next }
        if next >= 0 { slots[Int(next)].previous = previous }
        if bucketHeads[Int(location)] < 0 {
            let level = Int(location) / Self.bucketsPerLevel
            let bucket = Int(location) % Self.bucketsPerLevel
            occupancy[level] &= ~(UInt64(1) << UInt64(bucket))
        }
        slots[index].next = -1
        slots[index].previous = -1
        slots[index].location = Self.locationFree - 1
    }

    private func lowestOccupiedLevel() -> Int? {
        for level in 0..<Self.levelCount where occupancy[level] != 0 {
            return level
        }
        return nil
    }

    /// Moves the cursor to the start of an occupied bucket (nothing is earlier)
    /// and spreads the bucket's timers over the levels below.
    private func cascade(level: Int, bucket: Int, start: UInt64) {
        cursor = start
        var slot = detachBucket(level: level, bucket: bucket)
        while slot >= 0 {
            let next = slots[Int(slot)].next
            insertIntoWheel(slot)
            slot = next
        }
    }

    private func moveBucketToDue(level: Int, bucket: Int) {
        var slot = detachBucket(level: level, bucket: bucket)
        while slot >= 0 {
            let next = slots[Int(slot)].next
            pushDue(slot)
            slot = next
        }
    }

    /// Empties a bucket and returns its former list (linked by `next`).
    private func detachBucket(level: Int, bucket: Int) -> Int32 {
        let list = level * Self.bucketsPerLevel + bucket
        let head = bucketHeads[list]
        bucketHeads[list] = -1
        occupancy[level] &= ~(UInt64(1) << UInt64(bucket))
        return head
    }

    // MARK: - Due heap (binary min-heap on deadline, then sequence)

    private func pushDue(_ slot: Int32) {
        let index = Int(slot)
        slots[index].location = Self.locationHeap
        slots[index].next = -1
        slots[index].previous = -1
        due.push(DueEntry(
            deadline: slots[index].deadline, sequence: slots[index].sequence,
            slot: slot, generation: slots[index].generation))
        compactDueIfMostlyStale()
    }

    /// An entry is current if its slot is still armed in the heap with the
    /// same generation and sequence (a reschedule or cancel makes it stale).
    private func isCurrent(_ entry: DueEntry) -> Bool {
        let index = Int(entry.slot)
        return slots[index].location == Self.locationHeap && slots[index].generation == entry.generation
            && slots[index].sequence == entry.sequence
    }

    private func dropStaleDueEntries() {
        while let top = due.first, !isCurrent(top) {
            due.removeFirst()
            staleDueEntries -= 1
        }
    }

    private func popDue() -> DueEntry? {
        dropStaleDueEntries()
        return due.removeFirst()
    }

    /// Stale entries of cancelled timers wait until they reach the top; if they
    /// ever outnumber the live ones, rebuild the heap without them.
    private func compactDueIfMostlyStale() {
        guard staleDueEntries > 64, staleDueEntries * 2 > due.count else { return }
        due.removeAll { !isCurrent($0) }
        staleDueEntries = 0
    }
}
