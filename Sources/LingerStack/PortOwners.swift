/// Sockets grouped by local port: the role of inet_bind_hashbucket and the
/// listening hash. A connection that binds and releases a port on every life
/// cycle pays two array reads, not a hash and a dictionary entry made and freed
/// each time; an emptied list keeps its storage for the port's next owner, or,
/// once ``release(_:)`` gives it up, for the next port that gets an owner (as
/// connect() draws a new ephemeral port each time, the new port's list is an
/// old one's storage rather than a fresh allocation).
struct PortOwners {
    /// For each port, 1 + its list's place in `lists`, or 0 when the port has
    /// no list. Plain integers, so a stack's table is made and freed without
    /// touching 65,536 lists.
    private var listNumbers: [Int32] = []
    /// The lists of the ports that have one.
    private var lists: [[TCPSocket]] = []
    /// Numbers (1 + place in `lists`) of empty lists no port holds: the next
    /// port without a list takes one, newest first, with its storage.
    private var freeNumbers: [Int32] = []

    /// The sockets on `port`, in the order they came (empty when none).
    subscript(port: UInt16) -> [TCPSocket] {
        get {
            guard !listNumbers.isEmpty else { return [] }
            let number = Int(listNumbers[Int(port)])
            return number == 0 ? [] : lists[number - 1]
        }
        _modify {
            if listNumbers.isEmpty { listNumbers = Array(repeating: 0, count: 65536) }
            var number = Int(listNumbers[Int(port)])
            if number == 0 {
                number = takeList()
                listNumbers[Int(port)] = Int32(number)
            }
            yield &lists[number - 1]
        }
    }

    /// Appends `sk` to `port`'s list and returns its place there, in one
    /// look-up (the getter would copy the list to count it).
    mutating func append(_ sk: TCPSocket, on port: UInt16) -> Int {
        if listNumbers.isEmpty { listNumbers = Array(repeating: 0, count: 65536) }
        var number = Int(listNumbers[Int(port)])
        if number == 0 {
            number = takeList()
            listNumbers[Int(port)] = Int32(number)
        }
        let index = lists[number - 1].count
        lists[number - 1].append(sk)
        return index
    }

    /// A list for a port that has none: a released one, else a new one.
    private mutating func takeList() -> Int {
        if let free = freeNumbers.popLast() { return Int(free) }
        lists.append([])
        return lists.count
    }

    /// Removes the socket at `index` of `port`'s list by moving the list's
    /// last socket into its place (the order means nothing to the caller),
    /// and returns the socket moved, if any. An emptied list is released
    /// (``release(_:)``): only for the bind table.
    mutating func swapRemove(at index: Int, on port: UInt16) -> TCPSocket? {
        let number = Int(listNumbers[Int(port)])
        let last = lists[number - 1].count - 1
        if index == last {
            lists[number - 1].removeLast()
            if last == 0 {
                listNumbers[Int(port)] = 0
                freeNumbers.append(Int32(number))
            }
            return nil
        }
        lists[number - 1].swapAt(index, last)
        lists[number - 1].removeLast()
        return lists[number - 1][index]
    }

    /// Gives up `port`'s list when it is empty: its storage waits for the
    /// next port that gets an owner. Only for a table whose order of
    /// ``nonEmptyLists`` means nothing (the bind table; the listening table
    /// keeps its lists in the order their ports first got a listener).
    mutating func release(_ port: UInt16) {
        guard !listNumbers.isEmpty else { return }
        let number = listNumbers[Int(port)]
        guard number != 0, lists[Int(number) - 1].isEmpty else { return }
        listNumbers[Int(port)] = 0
        freeNumbers.append(number)
    }

    /// How many sockets `port` has, read without copying its list.
    func count(on port: UInt16) -> Int {
        let number = listNumbers.isEmpty ? 0 : Int(listNumbers[Int(port)])
        return number == 0 ? 0 : lists[number - 1].count
    }

    /// The socket at `index` (0..<count(on: port)) of `port`'s list, read
    /// without copying the list: the listener lookup of every handshake
    /// segment walks it so.
    func socket(on port: UInt16, at index: Int) -> TCPSocket {
        lists[Int(listNumbers[Int(port)]) - 1][index]
    }

    /// Every port's list that holds a socket.
    var nonEmptyLists: some Sequence<[TCPSocket]> { lists.lazy.filter { !$0.isEmpty } }
}
