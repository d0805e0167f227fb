/// A map from 4-tuples to values with the Dictionary operations the stack
/// uses, hashed with `EstablishedTable.hash` (a few multiplies) instead of
/// SipHash: a listener's queue of connection requests, looked up by every
/// segment of a handshake.
///
/// Entries live in a dense array (iteration walks it; removal moves the last
/// entry into the hole), found through an open-addressing index of entry
/// numbers (linear probing, at most 3/4 full, deletion by backward shift).
struct TupleMap<Value>: Sequence {
    typealias Element = (key: FourTuple, value: Value)

    private var entries: [Element] = []
    /// Entry number + 1 (0: empty), by the key's hash.
    private var buckets: [Int32] = []

    init() {}

    /// How many entries there are.
    var count: Int { entries.count }
    /// Whether there is none.
    var isEmpty: Bool { entries.isEmpty }
    /// The values, in iteration order.
    var values: [Value] { entries.map(\.value) }

    func makeIterator() -> IndexingIterator<[Element]> { entries.makeIterator() }

    /// The bucket holding `key` and its entry number, or nil.
    private func find(_ key: FourTuple) -> (bucket: Int, entry: Int)? {
        guard !buckets.isEmpty else { return nil }
        let mask = buckets.count - 1
        var bucket = Int(EstablishedTable.hash(key)) & mask
        while true {
            let value = buckets[bucket]
            if value == 0 { return nil }
            let entry = Int(value) - 1
            if entries[entry].key == key { return (bucket, entry) }
            bucket = (bucket + 1) & mask
        }
    }

    /// The bucket holding entry number `entry` (which is in the index).
    private func bucket(ofEntry entry: Int) -> Int {
        let mask = buckets.count - 1
        var bucket = Int(EstablishedTable.hash(entries[entry].key)) & mask
        while Int(buckets[bucket]) != entry + 1 { bucket = (bucket + 1) & mask }
        return bucket
    }

    /// Puts entry number `entry` (whose key is not in the index) into the index.
    private mutating func index(_ entry: Int) {
        let mask = buckets.count - 1
        var bucket = Int(EstablishedTable.hash(entries[entry].key)) & mask
        while buckets[bucket] != 0 { bucket = (bucket + 1) & mask }
        buckets[bucket] = Int32(truncatingIfNeeded: entry + 1)
    }

    /// Empties `start`, shifting back the entries after it that probed past it.
    private mutating func unindex(bucket start: Int) {
        let mask = buckets.count - 1
        var hole = start
        var bucket = start
        while true {
            bucket = (bucket + 1) & mask
            let value = buckets[bucket]
            if value == 0 { break }
            let home = Int(EstablishedTable.hash(entries[Int(value) - 1].key)) & mask
            // The entry may move to the hole unless its home lies cyclically in (hole, bucket].
            let homeAfterHole = (home &- hole) & mask
            let bucketAfterHole = (bucket &- hole) & mask
            if homeAfterHole == 0 || homeAfterHole > bucketAfterHole {
                buckets[hole] = value
                hole = bucket
            }
        }
        buckets[hole] = 0
    }

    /// The value for `key`; setting nil removes it.
    subscript(key: FourTuple) -> Value? {
        get {
            guard let found = find(key) else { return nil }
            return entries[found.entry].value
        }
        set {
            guard let newValue else {
                removeValue(forKey: key)
                return
            }
            if let found = find(key) {
                entries[found.entry].value = newValue
                return
            }
            if (entries.count + 1) * 4 > buckets.count * 3 {
                var size = Swift.max(8, buckets.count)
                while (entries.count + 1) * 4 > size * 3 { size *= 2 }
                buckets = [Int32](repeating: 0, count: size)
                for entry in entries.indices { index(entry) }
            }
            entries.append((key, newValue))
            index(entries.count - 1)
        }
    }

    /// Removes and returns the value for `key`.
    @discardableResult
    mutating func removeValue(forKey key: FourTuple) -> Value? {
        guard let found = find(key) else { return nil }
        unindex(bucket: found.bucket)
        let last = entries.count - 1
        if found.entry != last {
            // The last entry moves into the hole; its bucket follows it.
            let moved = bucket(ofEntry: last)
            entries.swapAt(found.entry, last)
            buckets[moved] = Int32(truncatingIfNeeded: found.entry + 1)
        }
        return entries.removeLast().value
    }

    mutating func removeAll() {
        entries.removeAll()
        buckets.removeAll()
    }
}
