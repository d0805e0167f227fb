/// The packets a stack sent and its taker has not yet taken, oldest first: a
/// ring of slots in memory of its own that doubles when full. A packet moves
/// in and out (no retain, no release, no array uniqueness check), and taking
/// one from the front is O(1) however many a burst queued.
final class SentPacketQueue {
    private var slots: UnsafeMutablePointer<SentPacket>
    /// A power of two, so positions wrap with a mask.
    private var capacity: Int
    private var head = 0
    /// How many packets wait.
    private(set) var count = 0

    /// An empty queue with room for `capacity` packets (rounded up to a power of two).
    init(capacity: Int = 16) {
        var size = 1
        while size < capacity { size <<= 1 }
        self.capacity = size
        slots = .allocate(capacity: size)
    }

    deinit {
        for i in 0..<count { (slots + ((head + i) & (capacity - 1))).deinitialize(count: 1) }
        slots.deallocate()
    }

    /// Adds `packet` at the back.
    @inline(__always)
    func append(_ packet: consuming SentPacket) {
        if count == capacity { grow() }
        (slots + ((head + count) & (capacity - 1))).initialize(to: packet)
        count += 1
    }

    /// Removes and returns the oldest packet; nil when none waits.
    @inline(__always)
    func removeFirst() -> SentPacket? {
        guard count > 0 else { return nil }
        let packet = (slots + head).move()
        head = (head + 1) & (capacity - 1)
        count -= 1
        return packet
    }

    /// Doubles the room, the oldest packet moving to slot 0.
    private func grow() {
        let larger = UnsafeMutablePointer<SentPacket>.allocate(capacity: capacity * 2)
        let firstRun = min(count, capacity - head)
        larger.moveInitialize(from: slots + head, count: firstRun)
        (larger + firstRun).moveInitialize(from: slots, count: count - firstRun)
        slots.deallocate()
        slots = larger
        capacity *= 2
        head = 0
    }
}
