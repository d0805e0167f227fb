/// An open-addressing index over a dense array of entries kept elsewhere: each
/// bucket holds an entry number + 1 (0: empty), placed by linear probing from
/// the entry's hash, at most 3/4 full, with deletion by backward shift (no
/// tombstones). The owner keeps the entries and says how to hash and match
/// them; `TupleMap` and `TimeWaitTable` share it.
struct SlotIndex {
    private var buckets: [UInt32] = []

    /// The bucket holding an entry for which `matches` holds, and that entry's
    /// number; `hash` is the hash of the key looked for.
    @inline(__always)
    func find(hash: Int, matches: (Int) -> Bool) -> (bucket: Int, entry: Int)? {
        guard !buckets.isEmpty else { return nil }
        let mask = buckets.count - 1
        var bucket = hash & mask
        while true {
            let value = buckets[bucket]
            if value == 0 { return nil }
            let entry = Int(value) - 1
            if matches(entry) { return (bucket, entry) }
            bucket = (bucket + 1) & mask
        }
    }

    /// `find` and `insert`'s probe in one: the bucket holding an entry for
    /// which `matches` holds and that entry's number, or else the empty bucket
    /// where a new entry with hash `hash` goes (entry nil; fill it with
    /// `setEntry`). The index must have room for one more entry (`canHold`).
    @inline(__always)
    func findOrVacancy(hash: Int, matches: (Int) -> Bool) -> (bucket: Int, entry: Int?) {
        let mask = buckets.count - 1
        var bucket = hash & mask
        while true {
            let value = buckets[bucket]
            if value == 0 { return (bucket, nil) }
            let entry = Int(value) - 1
            if matches(entry) { return (bucket, entry) }
            bucket = (bucket + 1) & mask
        }
    }

    /// The bucket holding entry number `entry` (which is in the index), whose hash is `hash`.
    func bucket(ofEntry entry: Int, hash: Int) -> Int {
        let mask = buckets.count - 1
        var bucket = hash & mask
        while Int(buckets[bucket]) != entry + 1 { bucket = (bucket + 1) & mask }
        return bucket
    }

    /// Points `bucket` at entry number `entry` (an entry that moved in the owner's array).
    mutating func setEntry(_ entry: Int, at bucket: Int) {
        buckets[bucket] = UInt32(truncatingIfNeeded: entry + 1)
    }

    /// Adds entry number `entry`, whose key is not in the index, with hash `hash`.
    mutating func insert(_ entry: Int, hash: Int) {
        let mask = buckets.count - 1
        var bucket = hash & mask
        while buckets[bucket] != 0 { bucket = (bucket + 1) & mask }
        buckets[bucket] = UInt32(truncatingIfNeeded: entry + 1)
    }

    /// Whether `count` entries fit at a load of at most 3/4.
    func canHold(_ count: Int) -> Bool { count * 4 <= buckets.count * 3 }

    /// Makes the index big enough for `count` entries (at least `minimumSize`
    /// buckets) and puts `entries` back in with their hashes, if it had to grow.
    mutating func grow(toHold count: Int, minimumSize: Int, entries: some Sequence<Int>, hashOf: (Int) -> Int) {
        guard !canHold(count) else { return }
        var size = Swift.max(minimumSize, buckets.count)
        while count * 4 > size * 3 { size *= 2 }
        buckets = [UInt32](repeating: 0, count: size)
        for entry in entries { insert(entry, hash: hashOf(entry)) }
    }

    /// Empties `start`, shifting back the entries after it that probed past it.
    mutating func remove(bucket start: Int, hashOf: (Int) -> Int) {
        let mask = buckets.count - 1
        var hole = start
        var bucket = start
        while true {
            bucket = (bucket + 1) & mask
            let value = buckets[bucket]
            if value == 0 { break }
            let home = hashOf(Int(value) - 1) & mask
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

    /// Drops every bucket.
    mutating func removeAll() { buckets.removeAll() }
}
