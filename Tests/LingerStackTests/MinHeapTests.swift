import Testing

@testable import LingerStack

private struct Stamped: HeapOrdered, Equatable {
    var key: Int
    var order: Int
    func precedes(_ other: Stamped) -> Bool { key != other.key ? key < other.key : order < other.order }
}

/// The shared heap gives elements back in order, ties in insertion order, through
/// interleaved pushes, removals and sweeps (checked against a sorted array).
@Test func minHeapMatchesASortedReference() {
    var generator = SystemRandomNumberGenerator()
    var heap = MinHeap<Stamped>()
    var reference: [Stamped] = []
    var order = 0
    for step in 0..<5000 {
        let choice = Int.random(in: 0..<10, using: &generator)
        if choice < 6 {
            let e = Stamped(key: Int.random(in: 0..<50, using: &generator), order: order)
            order += 1
            heap.push(e)
            reference.append(e)
        } else if choice < 9 {
            reference.sort { $0.precedes($1) }
            let expected = reference.isEmpty ? nil : reference.removeFirst()
            #expect(heap.removeFirst() == expected, "step \(step)")
        } else {
            let cut = Int.random(in: 0..<50, using: &generator)
            heap.removeAll { $0.key % 7 == cut % 7 }
            reference.removeAll { $0.key % 7 == cut % 7 }
        }
        #expect(heap.count == reference.count)
        #expect(heap.first == reference.min { $0.precedes($1) })
    }
    #expect(heap.isEmpty == reference.isEmpty)
}
