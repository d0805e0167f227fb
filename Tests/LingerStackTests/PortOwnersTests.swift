import LingerWire
import Testing

@testable import LingerStack

/// The per-port owner lists, checked against a Dictionary of arrays as the
/// oracle through adds and removals on ports at both ends of the range.
@Suite struct PortOwnersTests {
    private let stack = NetworkStack(addresses: StackAddresses(ipv4: IPv4Address(192, 168, 0, 1)))

    @Test func agreesWithADictionary() {
        var owners = PortOwners()
        var oracle: [UInt16: [TCPSocket]] = [:]
        #expect(owners[80].isEmpty)
        #expect(Array(owners.nonEmptyLists).isEmpty)
        let ports: [UInt16] = [0, 1, 80, 8080, 65535]
        var sockets: [TCPSocket] = []
        for i in 0..<40 {
            let sk = TCPSocket(stack: stack, family: 2, id: UInt64(i + 1))
            sockets.append(sk)
            let port = ports[i % ports.count]
            owners[port].append(sk)
            oracle[port, default: []].append(sk)
        }
        // Remove every third socket, as ports are released out of order.
        for (i, sk) in sockets.enumerated() where i % 3 == 0 {
            let port = ports[i % ports.count]
            owners[port].removeAll { $0 === sk }
            oracle[port]?.removeAll { $0 === sk }
        }
        for port in ports {
            #expect(owners[port].map(ObjectIdentifier.init) == (oracle[port] ?? []).map(ObjectIdentifier.init))
            // The in-place accessors read the same list.
            let list = oracle[port] ?? []
            #expect(owners.count(on: port) == list.count)
            for index in list.indices {
                #expect(owners.socket(on: port, at: index) === list[index])
            }
        }
        #expect(owners[443].isEmpty)
        #expect(owners.count(on: 443) == 0)
        #expect(PortOwners().count(on: 80) == 0)
        // Emptying a port leaves it out of the non-empty lists.
        owners[65535].removeAll()
        let listed = owners.nonEmptyLists.map { $0.count }.reduce(0, +)
        let expected = ports.dropLast().map { oracle[$0]?.count ?? 0 }.reduce(0, +)
        #expect(listed == expected)
    }
}

/// The bind table's in-place calls: append returns each socket's place,
/// swap-removal moves the last socket into the gap, and a released (emptied)
/// port's list serves the next port without changing what any port holds.
@Suite struct PortOwnersReuseTests {
    private let stack = NetworkStack(addresses: StackAddresses(ipv4: IPv4Address(192, 168, 0, 1)))

    @Test func appendSwapRemoveAndRelease() {
        var owners = PortOwners()
        let a = TCPSocket(stack: stack, family: 2, id: 1)
        let b = TCPSocket(stack: stack, family: 2, id: 2)
        let c = TCPSocket(stack: stack, family: 2, id: 3)
        #expect(owners.append(a, on: 40000) == 0)
        #expect(owners.append(b, on: 40000) == 1)
        #expect(owners.append(c, on: 40000) == 2)
        // Removing the first moves the last into its place.
        #expect(owners.swapRemove(at: 0, on: 40000) === c)
        #expect(owners[40000].map(ObjectIdentifier.init) == [c, b].map(ObjectIdentifier.init))
        // Removing the last moves nothing.
        #expect(owners.swapRemove(at: 1, on: 40000) == nil)
        #expect(owners.swapRemove(at: 0, on: 40000) == nil)
        #expect(owners.count(on: 40000) == 0)
        // The emptied list serves another port; the first port stays empty.
        #expect(owners.append(a, on: 50000) == 0)
        #expect(owners.count(on: 40000) == 0)
        #expect(owners[40000].isEmpty)
        #expect(owners.socket(on: 50000, at: 0) === a)
        // release leaves a port with owners alone, and frees an empty one.
        owners.release(50000)
        #expect(owners.count(on: 50000) == 1)
        owners[50000].removeAll()
        owners.release(50000)
        owners.release(50000)
        #expect(owners.append(b, on: 60000) == 0)
        #expect(owners.append(c, on: 1) == 0)
        #expect(owners.count(on: 60000) == 1 && owners.count(on: 1) == 1 && owners.count(on: 50000) == 0)
        #expect(Array(owners.nonEmptyLists).map { $0.count }.reduce(0, +) == 2)
        // A port never used reads as empty.
        #expect(owners.count(on: 2) == 0)
        #expect(PortOwners().count(on: 2) == 0)
    }

    /// Random binds and releases over a few ports against a dictionary.
    @Test func agreesWithADictionaryUnderChurn() {
        var owners = PortOwners()
        var oracle: [UInt16: [ObjectIdentifier]] = [:]
        var placed: [(TCPSocket, UInt16, Int)] = []
        var generator = SeededGenerator(state: 7)
        for i in 0..<2000 {
            if placed.isEmpty || Int.random(in: 0..<3, using: &generator) > 0 {
                let sk = TCPSocket(stack: stack, family: 2, id: UInt64(i + 1))
                let port = UInt16.random(in: 1000..<1008, using: &generator)
                let index = owners.append(sk, on: port)
                #expect(index == (oracle[port]?.count ?? 0))
                oracle[port, default: []].append(ObjectIdentifier(sk))
                placed.append((sk, port, index))
            } else {
                let pick = Int.random(in: 0..<placed.count, using: &generator)
                let (sk, port, index) = placed.remove(at: pick)
                #expect(owners.socket(on: port, at: index) === sk)
                if let moved = owners.swapRemove(at: index, on: port) {
                    let from = placed.firstIndex { $0.0 === moved }!
                    placed[from].2 = index
                }
                var list = oracle[port]!
                list.swapAt(index, list.count - 1)
                list.removeLast()
                oracle[port] = list
            }
            for port in UInt16(1000)..<1008 {
                #expect(owners[port].map(ObjectIdentifier.init) == (oracle[port] ?? []))
            }
        }
    }
}
