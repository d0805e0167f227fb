/// Packet storage a stack's taker handed back, for the packets the stack builds
/// next (as a driver reuses its transmit buffers). A stack of byte arrays in
/// memory of its own, bounded in count: keeping one is a store and taking one
/// a load, with none of an array of arrays' uniqueness checks and out-of-line
/// appends, and the buffer moves in and out without a retain or a release.
final class PacketBufferPool {
    /// The most buffers kept; one handed back beyond it is freed.
    let limit: Int
    private let slots: UnsafeMutablePointer<[UInt8]>
    /// How many buffers are kept (slots 0 ..< count are initialized).
    private(set) var count = 0

    init(limit: Int) {
        self.limit = max(0, limit)
        slots = .allocate(capacity: self.limit)
    }

    deinit {
        slots.deinitialize(count: count)
        slots.deallocate()
    }

    /// Keeps `buffer` for a later ``take()``; drops it when the pool is full.
    @inline(__always)
    func keep(_ buffer: consuming [UInt8]) {
        guard count < limit else { return }
        (slots + count).initialize(to: buffer)
        count += 1
    }

    /// The buffer kept last, or an empty array when none is kept.
    @inline(__always)
    func take() -> [UInt8] {
        guard count > 0 else { return [] }
        count -= 1
        return (slots + count).move()
    }

    /// How many of the newest buffers ``take(count:)`` looks through, and how
    /// many the pool holds before it lends one of another length.
    static let matchDepth = 4

    /// A buffer for a packet of `length` bytes. Packet lengths alternate (a
    /// pure ACK's, a SYN's, a small write's), and resizing an array costs more
    /// than building the packet's headers: so the newest buffer already that
    /// long among the newest few, replaced in its slot by the top one. Failing
    /// that, while fewer than ``matchDepth`` are kept, an empty array (the
    /// builder allocates, and the pool comes to hold a buffer of each length
    /// in use, at most ``matchDepth`` plus those in flight); else the newest,
    /// which the builder resizes.
    func take(count length: Int) -> [UInt8] {
        var index = count - 1
        let lowest = count > Self.matchDepth ? count - Self.matchDepth : 0
        while index >= lowest {
            let slot = slots + index
            if slot.pointee.count == length {
                count -= 1
                let buffer = slot.move()
                if index != count { slot.moveInitialize(from: slots + count, count: 1) }
                return buffer
            }
            index -= 1
        }
        guard count >= Self.matchDepth else { return [] }
        count -= 1
        return (slots + count).move()
    }
}
