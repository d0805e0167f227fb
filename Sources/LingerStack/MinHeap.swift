/// What a `MinHeap` orders: `precedes` is a strict order (earlier first).
protocol HeapOrdered {
    /// Whether `self` comes out of the heap before `other`.
    func precedes(_ other: Self) -> Bool
}

/// A binary min-heap in one array: the timer wheel's heap of due timers and
/// the TIME_WAIT table's heap of early deadlines. Both leave cancelled entries
/// in place and drop them when they surface or when `removeAll(where:)` sweeps.
struct MinHeap<Element: HeapOrdered> {
    private var elements: [Element] = []

    /// The element that comes out next.
    var first: Element? { elements.first }
    /// How many elements there are.
    var count: Int { elements.count }
    /// Whether there is none.
    var isEmpty: Bool { elements.isEmpty }

    /// Adds `element` in order.
    mutating func push(_ element: Element) {
        elements.append(element)
        var child = elements.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard elements[child].precedes(elements[parent]) else { break }
            elements.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes and returns the first element.
    @discardableResult
    mutating func removeFirst() -> Element? {
        guard let last = elements.popLast() else { return nil }
        guard !elements.isEmpty else { return last }
        let top = elements[0]
        elements[0] = last
        siftDown(0)
        return top
    }

    /// Removes every element for which `shouldBeRemoved` holds and restores the order.
    mutating func removeAll(where shouldBeRemoved: (Element) -> Bool) {
        elements.removeAll(where: shouldBeRemoved)
        var index = elements.count / 2
        while index > 0 {
            index -= 1
            siftDown(index)
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        let count = elements.count
        while true {
            let left = 2 * parent + 1
            guard left < count else { return }
            var smallest = left
            let right = left + 1
            if right < count, elements[right].precedes(elements[left]) { smallest = right }
            guard elements[smallest].precedes(elements[parent]) else { return }
            elements.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
