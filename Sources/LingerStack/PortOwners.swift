/// Sockets grouped by local port, in one list per port indexed by the port
/// itself: the role of inet_bind_hashbucket and the listening hash. A connection
/// that binds and releases a port on every life cycle pays an index, not a hash
/// and a dictionary entry made and freed each time; an emptied list keeps its
/// storage for the port's next owner.
struct PortOwners {
    /// One list per port (65,536), made on first use so that a stack that
    /// never binds a port pays nothing.
    private var lists: [[TCPSocket]] = []

    /// The sockets on `port`, in the order they came (empty when none).
    subscript(port: UInt16) -> [TCPSocket] {
        get { lists.isEmpty ? [] : lists[Int(port)] }
        _modify {
            if lists.isEmpty { lists = Array(repeating: [], count: 65536) }
            yield &lists[Int(port)]
        }
    }

    /// Every port's list that holds a socket.
    var nonEmptyLists: some Sequence<[TCPSocket]> { lists.lazy.filter { !$0.isEmpty } }
}
