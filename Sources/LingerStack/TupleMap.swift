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
    /// The entries by their keys' hashes.
    private var index = SlotIndex()

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
        index.find(hash: Int(EstablishedTable.hash(key)), matches: { entries[$0].key == key })
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
            setValue(newValue, forKey: key)
        }
    }

    /// Adds or replaces the value for `key`: the subscript's setter without
    /// the Optional, which costs two copies of a large value per call.
    mutating func setValue(_ value: Value, forKey key: FourTuple) {
        if let found = find(key) {
            entries[found.entry].value = value
            return
        }
        if !index.canHold(entries.count + 1) {
            // A second reference only while the index is rebuilt.
            let entries = self.entries
            index.grow(toHold: entries.count + 1, minimumSize: 8, entries: entries.indices) {
                Int(EstablishedTable.hash(entries[$0].key))
            }
        }
        entries.append((key, value))
        index.insert(entries.count - 1, hash: Int(EstablishedTable.hash(key)))
    }

    /// Removes and returns the value for `key`.
    @discardableResult
    mutating func removeValue(forKey key: FourTuple) -> Value? {
        removeValue(forKey: key) { $0 }
    }

    /// Removes the value for `key` and returns what `part` reads of it:
    /// returning a large value whole copies it twice.
    mutating func removeValue<T>(forKey key: FourTuple, keeping part: (Value) -> T) -> T? {
        guard let found = find(key) else { return nil }
        let kept = part(entries[found.entry].value)
        do {
            // A second reference only while the index shifts (entries change after).
            let current = entries
            index.remove(bucket: found.bucket) { Int(EstablishedTable.hash(current[$0].key)) }
        }
        let last = entries.count - 1
        if found.entry != last {
            // The last entry moves into the hole; its bucket follows it.
            let moved = index.bucket(ofEntry: last, hash: Int(EstablishedTable.hash(entries[last].key)))
            entries.swapAt(found.entry, last)
            index.setEntry(found.entry, at: moved)
        }
        entries.removeLast(1)
        return kept
    }

    mutating func removeAll() {
        entries.removeAll()
        index.removeAll()
    }
}
