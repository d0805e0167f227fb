/// Sockets grouped by local port: the role of inet_bind_hashbucket and the
/// listening hash. A connection that binds and releases a port on every life
/// cycle pays two array reads, not a hash and a dictionary entry made and freed
/// each time; an emptied list keeps its storage for the port's next owner.
struct PortOwners {
    /// For each port, 1 + its list's place in `lists`, or 0 when the port never
    /// had an owner. Plain integers, so a stack's table is made and freed
    /// without touching 65,536 lists.
    private var listNumbers: [Int32] = []
    /// The lists of the ports that have had an owner.
    private var lists: [[TCPSocket]] = []

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
                lists.append([])
                number = lists.count
                listNumbers[Int(port)] = Int32(number)
            }
            yield &lists[number - 1]
        }
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
