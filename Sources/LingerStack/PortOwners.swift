/// Sockets grouped by local port, in one list per port indexed by the port
/// itself: the role of inet_bind_hashbucket and the listening hash. A connection
/// that binds and releases a port on every life cycle pays an index, not a hash
/// and a dictionary entry made and freed each time; an emptied list keeps its
/// storage for the port's next owner.
struct PortOwners {
    /// 256 pages of 256 lists, each page made when one of its ports is first
    /// used: a stack that binds a few ports makes and frees a few pages, not
    /// 65,536 lists.
    private var pages: [[[TCPSocket]]] = []

    /// The sockets on `port`, in the order they came (empty when none).
    subscript(port: UInt16) -> [TCPSocket] {
        get {
            let page = Int(port >> 8)
            guard page < pages.count, !pages[page].isEmpty else { return [] }
            return pages[page][Int(port & 0xFF)]
        }
        _modify {
            if pages.isEmpty { pages = Array(repeating: [], count: 256) }
            let page = Int(port >> 8)
            if pages[page].isEmpty { pages[page] = Array(repeating: [], count: 256) }
            yield &pages[page][Int(port & 0xFF)]
        }
    }

    /// Every port's list that holds a socket.
    var nonEmptyLists: some Sequence<[TCPSocket]> { pages.lazy.joined().filter { !$0.isEmpty } }
}
