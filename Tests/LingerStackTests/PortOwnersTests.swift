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
