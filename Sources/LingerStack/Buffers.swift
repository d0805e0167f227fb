import LingerWire

/// The storage of a `ByteRing`: one heap block holding its capacity (a power of
/// two) and that many bytes, left uninitialized until written. A concrete class,
/// so making one needs no run-time lookup of generic array storage metadata and
/// no zero fill.
final class ByteRingStorage: ManagedBuffer<Int, UInt8> {
    static func make(capacity: Int) -> ByteRingStorage {
        let buffer = ByteRingStorage.create(minimumCapacity: capacity) { _ in capacity }
        return unsafeDowncast(buffer, to: ByteRingStorage.self)
    }

    /// The usable size in bytes (what was asked for, not what malloc rounded to).
    var size: Int { header }

    /// The address of the first byte; valid while the storage is alive.
    var base: UnsafeMutableRawPointer {
        withUnsafeMutablePointerToElements { UnsafeMutableRawPointer($0) }
    }
}

/// A growable circular byte buffer: the bytes of a send or receive queue.
///
/// Appends at the back and drops from the front without moving the rest; storage
/// grows by doubling and is reused, so a connection in steady state allocates nothing.
/// Copies share the storage until one of them writes (copy on write).
struct ByteRing {
    private var storage: ByteRingStorage?
    private var head = 0
    private(set) var count = 0

    init(capacity: Int = 0) {
        storage = capacity > 0 ? ByteRingStorage.make(capacity: Self.roundUp(capacity)) : nil
    }

    private static func roundUp(_ n: Int) -> Int {
        var size = 256
        while size < n { size <<= 1 }
        return size
    }

    var isEmpty: Bool { count == 0 }

    /// Whether the ring has no storage yet (a fresh ring).
    var hasNoStorage: Bool { storage == nil }

    /// The storage size in bytes (0 before the first append).
    private var capacity: Int { storage?.size ?? 0 }

    /// Where the bytes live, for tests that check storage is reused, not copied.
    var storageAddress: UnsafeRawPointer? { storage.map { UnsafeRawPointer($0.base) } }

    /// Makes room for `total` bytes in storage this ring owns alone, and returns
    /// its base address. Bytes keep their offsets from the front.
    private mutating func reserve(_ total: Int) -> UnsafeMutableRawPointer {
        // Uniqueness first: binding the storage to a name before the check
        // would hold a second reference and make every append copy the ring.
        if isKnownUniquelyReferenced(&storage), let current = storage, total <= current.size {
            return current.base
        }
        let bigger = ByteRingStorage.make(capacity: Self.roundUp(max(total, capacity)))
        let base = bigger.base
        copyOut(offset: 0, length: count, to: base)
        storage = bigger
        head = 0
        return base
    }

    /// Appends `bytes`.
    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        let base = reserve(count + bytes.count)
        let cap = capacity
        let tail = (head + count) & (cap - 1)
        // At most two runs: up to the end of the storage, then from its start.
        let first = min(bytes.count, cap - tail)
        let source = bytes.baseAddress.unsafelyUnwrapped
        (base + tail).copyMemory(from: source, byteCount: first)
        if first < bytes.count { base.copyMemory(from: source + first, byteCount: bytes.count - first) }
        withExtendedLifetime(storage) {}
        count += bytes.count
    }

    /// Appends `n` zero bytes (data whose content the stack never looks at).
    mutating func appendZeros(_ n: Int) {
        guard n > 0 else { return }
        let base = reserve(count + n)
        let cap = capacity
        let tail = (head + count) & (cap - 1)
        let first = min(n, cap - tail)
        (base + tail).initializeMemory(as: UInt8.self, repeating: 0, count: first)
        if first < n { base.initializeMemory(as: UInt8.self, repeating: 0, count: n - first) }
        withExtendedLifetime(storage) {}
        count += n
    }

    mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    /// Drops `n` bytes from the front (all of them if `n` is larger).
    mutating func removeFirst(_ n: Int) {
        let k = min(max(0, n), count)
        guard k > 0, capacity > 0 else { return }
        head = (head + k) & (capacity - 1)
        count -= k
        if count == 0 { head = 0 }
    }

    /// Copies `length` bytes starting `offset` bytes from the front into `out`.
    func copy(offset: Int, length: Int, into out: inout [UInt8]) {
        guard length > 0, offset >= 0, offset + length <= count, capacity > 0 else { return }
        if out.isEmpty {
            // Straight into fresh storage, without zero-filling it first.
            out = [UInt8](unsafeUninitializedCapacity: length) { dst, initialized in
                copyOut(offset: offset, length: length, to: UnsafeMutableRawPointer(dst.baseAddress.unsafelyUnwrapped))
                initialized = length
            }
            return
        }
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: length))
        out.withUnsafeMutableBytes { dst in
            copyOut(offset: offset, length: length, to: dst.baseAddress.unsafelyUnwrapped + start)
        }
    }

    /// Copies `length` bytes starting `offset` bytes from the front to
    /// `destination`, which has room for them; nothing when the range is not
    /// all in the ring.
    func copy(offset: Int, length: Int, to destination: UnsafeMutableRawPointer) {
        guard length > 0, offset >= 0, offset + length <= count else { return }
        copyOut(offset: offset, length: length, to: destination)
    }

    /// Copies `length` bytes from `offset` (both checked by the caller) to
    /// `destination`, in at most two runs.
    private func copyOut(offset: Int, length: Int, to destination: UnsafeMutableRawPointer) {
        guard length > 0, let storage else { return }
        let cap = storage.size
        let from = (head + offset) & (cap - 1)
        let first = min(length, cap - from)
        let base = UnsafeRawPointer(storage.base)
        destination.copyMemory(from: base + from, byteCount: first)
        if first < length { (destination + first).copyMemory(from: base, byteCount: length - first) }
        withExtendedLifetime(storage) {}
    }

    /// Copies `length` bytes starting `offset` bytes from the front to
    /// `destination` and adds them to `checksum` (if any), in one pass (at most
    /// two runs); zeros when the range is not all in the ring.
    func copy(offset: Int, length: Int, to destination: UnsafeMutableRawPointer, summing checksum: inout InternetChecksum?) {
        guard length > 0 else { return }
        guard offset >= 0, offset + length <= count, let storage else {
            destination.initializeMemory(as: UInt8.self, repeating: 0, count: length)
            return
        }
        guard var sum = checksum else {
            copyOut(offset: offset, length: length, to: destination)
            return
        }
        defer { checksum = sum }
        let cap = storage.size
        let from = (head + offset) & (cap - 1)
        let first = min(length, cap - from)
        let base = UnsafeRawPointer(storage.base)
        sum.add(copying: UnsafeRawBufferPointer(start: base + from, count: first), to: destination)
        if first < length {
            sum.add(copying: UnsafeRawBufferPointer(start: base, count: length - first), to: destination + first)
        }
        withExtendedLifetime(storage) {}
    }

    mutating func removeAll() {
        head = 0
        count = 0
    }

    /// Takes the storage of an empty ring that owns it alone (none larger than
    /// `largest` bytes), leaving the ring
    /// as a fresh one (no storage), for a free list to hand to another ring.
    mutating func takeSpareStorage(largest: Int) -> ByteRingStorage? {
        guard count == 0, isKnownUniquelyReferenced(&storage), storage.unsafelyUnwrapped.size <= largest else { return nil }
        let taken = storage
        storage = nil
        head = 0
        return taken
    }

    /// Gives a ring without storage `spare` (from ``takeSpareStorage(largest:)``) to
    /// write into; the ring behaves as before, only its first append does not allocate.
    mutating func adoptSpareStorage(_ spare: ByteRingStorage) {
        guard storage == nil else { return }
        storage = spare
        head = 0
        count = 0
    }

    /// Where the `length` bytes starting `offset` bytes from the front lie in
    /// storage: at most two runs (the second empty unless the range wraps);
    /// nil when the range is not all in the ring. The pointers hold no
    /// reference: they are valid only while this ring is alive and unchanged,
    /// for a caller that copies the bytes out at once (a segment being built).
    func runs(offset: Int, length: Int) -> ByteRuns? {
        guard length > 0 else { return ByteRuns(first: UnsafeRawBufferPointer(start: nil, count: 0)) }
        guard offset >= 0, offset + length <= count, let storage else { return nil }
        let cap = storage.size
        let from = (head + offset) & (cap - 1)
        let first = min(length, cap - from)
        let base = UnsafeRawPointer(storage.base)
        return ByteRuns(first: UnsafeRawBufferPointer(start: base + from, count: first),
                        second: UnsafeRawBufferPointer(start: base, count: length - first))
    }
}

/// Bytes of a ``ByteRing`` where they lie in its storage (see
/// ``ByteRing/runs(offset:length:)``), not owning them.
struct ByteRuns {
    var first: UnsafeRawBufferPointer
    var second = UnsafeRawBufferPointer(start: nil, count: 0)

    /// Copies the bytes to `destination` and adds them to `checksum` (if any),
    /// in one pass (Linux's csum_partial_copy).
    @inline(__always)
    func copy(to destination: UnsafeMutableRawPointer, summing checksum: inout InternetChecksum?) {
        if checksum != nil {
            if first.count > 0 { checksum?.add(copying: first, to: destination) }
            if second.count > 0 { checksum?.add(copying: second, to: destination + first.count) }
            return
        }
        if let from = first.baseAddress { destination.copyMemory(from: from, byteCount: first.count) }
        if let from = second.baseAddress {
            (destination + first.count).copyMemory(from: from, byteCount: second.count)
        }
    }
}

/// A queue of values with indexed access, cheap removal at the front (the dead
/// prefix is compacted now and then) and insertion anywhere: the queues of
/// segment records.
///
/// Trivial elements (records of plain values) leave their slots behind when
/// the queue empties: `tail` marks the end of the live elements and the next
/// appends overwrite the dead slots, so a queue that empties after every
/// segment (a short connection's send queue) never shrinks its array. Other
/// elements are released as they go (`tail` is then always the array's count).
struct RingQueue<Element> {
    private var elements: [Element] = []
    // 32-bit positions keep the queue at two words, as in the sockets that
    // hold two queues; no queue comes near 2^31 elements.
    private var head: Int32 = 0
    private var tail: Int32 = 0

    init() {}

    /// Whether emptied slots may stay in the storage (the elements hold no
    /// references); a constant once the queue is specialized.
    @inline(__always)
    private static var keepsDeadSlots: Bool { _isPOD(Element.self) }

    var count: Int { Int(tail &- head) }
    var isEmpty: Bool { head == tail }

    /// Inlined, as the array's own append is: an outlined call would copy
    /// (retain) an element its caller hands over.
    @inline(__always)
    mutating func append(_ e: Element) {
        if Self.keepsDeadSlots, Int(tail) < elements.count {
            elements[Int(tail)] = e
        } else {
            elements.append(e)
        }
        tail += 1
    }

    mutating func prepend(_ e: Element) {
        if head > 0 {
            head -= 1
            elements[Int(head)] = e
        } else {
            dropDeadSlots()
            elements.insert(e, at: 0)
            tail += 1
        }
    }

    /// Drops the emptied slots after the live elements before the storage
    /// grows in the middle: kept, each insert would shift them along and
    /// leave one more of them, so a long transfer's splits would make the
    /// storage, and every later insert, ever larger.
    private mutating func dropDeadSlots() {
        if Self.keepsDeadSlots, Int(tail) < elements.count { elements.removeSubrange(Int(tail)...) }
    }

    /// The empty check, and the removal of a queue's only element, are
    /// inlined at the call: queues are often polled empty (a stack's outbound
    /// queue once per delivery round) and often hold one element.
    @discardableResult
    @inline(__always)
    mutating func removeFirst() -> Element? {
        guard head < tail else { return nil }
        if head == tail &- 1 {
            if Self.keepsDeadSlots {
                let e = elements[Int(head)]
                head = 0
                tail = 0
                return e
            }
            if head == 0 {
                // The only element moves out; nothing is left to release.
                tail = 0
                return elements.removeLast()
            }
        }
        return takeFirst()
    }

    /// Removes and returns the first element of a non-empty queue.
    private mutating func takeFirst() -> Element {
        if head == tail &- 1 {
            // The last live element moves out (no copy, no release of a dead
            // slot later); the dead prefix, if any, goes with it.
            let e = elements.removeLast()
            if head > 0 { elements.removeAll(keepingCapacity: true) }
            head = 0
            tail = 0
            return e
        }
        let e = elements[Int(head)]
        head += 1
        if head >= 64, Int(head) * 2 >= Int(tail) {
            if Int(tail) < elements.count { elements.removeSubrange(Int(tail)...) }
            elements.removeFirst(Int(head))
            tail -= head
            head = 0
        }
        return e
    }

    @discardableResult
    mutating func removeLast() -> Element? {
        guard head < tail else { return nil }
        let e = Self.keepsDeadSlots ? elements[Int(tail) - 1] : elements.removeLast()
        tail -= 1
        if head == tail {
            if !Self.keepsDeadSlots { elements.removeAll(keepingCapacity: true) }
            head = 0
            tail = 0
        }
        return e
    }

    var first: Element? { head < tail ? elements[Int(head)] : nil }
    var last: Element? { head < tail ? elements[Int(tail) - 1] : nil }

    /// The element at `i` (0..<count); callers check the bound.
    subscript(i: Int) -> Element {
        get { elements[Int(head) + i] }
        // In place: `queue[i].field = x` or `f(&queue[i])` checks uniqueness
        // once and copies no record out and back.
        _modify { yield &elements[Int(head) + i] }
    }

    /// Inserts `e` at position `i` (0...count).
    mutating func insert(_ e: Element, at i: Int) {
        dropDeadSlots()
        elements.insert(e, at: Int(head) + i)
        tail += 1
    }

    /// Removes the element at `i`.
    mutating func remove(at i: Int) {
        guard i >= 0, i < count else { return }
        if i == 0 {
            removeFirst()
        } else {
            elements.remove(at: Int(head) + i)
            tail -= 1
        }
    }

    @inline(__always)
    mutating func removeAll() {
        // Array's removeAll(keepingCapacity:) replaces a subrange even when
        // there is nothing to remove.
        if !Self.keepsDeadSlots && !elements.isEmpty { elements.removeAll(keepingCapacity: true) }
        head = 0
        tail = 0
    }

    /// The capacity of the element storage (for free lists that bound what they keep).
    var capacity: Int { elements.capacity }

    /// Takes the element storage of an empty queue (capacity kept), leaving the
    /// queue as a fresh one, for a free list to hand to another queue.
    mutating func takeSpareStorage() -> [Element] {
        guard head == tail else { return [] }
        // Dead trivial slots go along (the next queue overwrites them).
        if !Self.keepsDeadSlots && !elements.isEmpty { elements.removeAll(keepingCapacity: true) }
        head = 0
        tail = 0
        var taken: [Element] = []
        swap(&taken, &elements)
        return taken
    }

    /// Gives an empty queue the storage `spare` (from ``takeSpareStorage()``,
    /// empty but for dead trivial slots): its first appends do not allocate.
    mutating func adoptSpareStorage(_ spare: inout [Element]) {
        guard elements.capacity == 0, Self.keepsDeadSlots || spare.isEmpty else { return }
        swap(&elements, &spare)
        head = 0
        tail = 0
    }
}

/// The emptied queue storage of destroyed sockets, kept for the next sockets
/// (as Linux takes socks and skbs from slab caches instead of the page
/// allocator): a short connection's rings and record queues then cost no
/// malloc and no free. Bounded in count and in the size of what it keeps, so
/// it holds at most a few hundred KiB however many sockets come and go.
struct SocketStorageCache {
    /// One socket's worth of queue storage, taken and given as a whole.
    struct Spare {
        var sendBytes: ByteRingStorage?
        var receiveBytes: ByteRingStorage?
        var sendRecords: [SendRecord]
        var receiveRecords: [ReceiveRecord]
    }

    private var spares: [Spare] = []

    /// How many sockets' storage it keeps.
    static let limit = 64
    /// The largest ring storage kept (bytes); bigger ones are freed.
    static let largestRing = 16384
    /// The largest record queue capacity kept (records); bigger ones are freed.
    static let largestQueue = 64

    var count: Int { spares.count }

    /// Takes the storage of the emptied queues given (what is not empty,
    /// shared or too big stays where it is).
    mutating func keep(sendBytes: inout ByteRing, receiveBytes: inout ByteRing,
                       sendRecords: inout RingQueue<SendRecord>, receiveRecords: inout RingQueue<ReceiveRecord>) {
        guard spares.count < Self.limit else { return }
        // Taken into constants and moved into the spare at the end: a spare
        // built first and then changed field by field costs a retain and a
        // release of the ring storage.
        let sendRing = sendBytes.takeSpareStorage(largest: Self.largestRing)
        let receiveRing = receiveBytes.takeSpareStorage(largest: Self.largestRing)
        let sendQueue = sendRecords.capacity <= Self.largestQueue ? sendRecords.takeSpareStorage() : []
        let receiveQueue = receiveRecords.capacity <= Self.largestQueue ? receiveRecords.takeSpareStorage() : []
        if sendRing == nil && receiveRing == nil && sendQueue.capacity == 0 && receiveQueue.capacity == 0 { return }
        spares.append(Spare(sendBytes: sendRing, receiveBytes: receiveRing,
                            sendRecords: sendQueue, receiveRecords: receiveQueue))
    }

    /// Gives queues without storage the storage of one destroyed socket
    /// (nothing when none is kept).
    mutating func give(sendBytes: inout ByteRing, receiveBytes: inout ByteRing,
                       sendRecords: inout RingQueue<SendRecord>, receiveRecords: inout RingQueue<ReceiveRecord>) {
        // A socket that carried a connection before keeps its own storage.
        guard sendRecords.capacity == 0, sendBytes.hasNoStorage, !spares.isEmpty else { return }
        // removeLast, not popLast: the generic popLast is a call of its own.
        var spare = spares.removeLast()
        if let s = spare.sendBytes { sendBytes.adoptSpareStorage(s) }
        if let s = spare.receiveBytes { receiveBytes.adoptSpareStorage(s) }
        sendRecords.adoptSpareStorage(&spare.sendRecords)
        receiveRecords.adoptSpareStorage(&spare.receiveRecords)
    }
}
