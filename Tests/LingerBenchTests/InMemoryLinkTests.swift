import Testing

@testable import LingerBench

@Suite struct InMemoryLinkTests {
    @Test(arguments: [1500, 65536])
    func bulkTransferArrivesIntactAndInOrder(mtu: Int) throws {
        let link = try InMemoryLink(mtu: mtu)
        // An odd size and write size, so that segments and writes do not line up.
        let m = try link.bulkTransfer(bytes: 300_001, writeSize: 7777)
        #expect(m.bytes == 300_001)
        // At least one full-sized segment per MSS of payload went across.
        #expect(m.packets >= 300_001 / (mtu - 40))
        #expect(link.client.establishedHashCount == 1 && link.server.establishedHashCount == 1)
    }

    /// With checksum offload on both devices the stream still arrives whole.
    @Test(arguments: [1500, 65536])
    func bulkTransferWithChecksumOffload(mtu: Int) throws {
        let link = try InMemoryLink(mtu: mtu, checksumOffload: true)
        let m = try link.bulkTransfer(bytes: 200_003, writeSize: 65536)
        #expect(m.bytes == 200_003)
    }

    @Test func patternHasALongPeriod() {
        // Shifted copies of the stream differ: a segment delivered at the wrong
        // offset would fail the check.
        for shift in [1, 1448, 65483, 65536] {
            #expect((0..<4096).contains { PayloadPattern.byte(at: $0) != PayloadPattern.byte(at: $0 + shift) })
        }
    }

    @Test func patternMatchesOnlyItself() {
        let run = Array(PayloadPattern.slice(at: 70_000, count: 5000))
        #expect(run.count == 5000 && run[0] == PayloadPattern.byte(at: 70_000))
        #expect(run.withUnsafeBytes { PayloadPattern.matches($0, at: 70_000) })
        #expect(!run.withUnsafeBytes { PayloadPattern.matches($0, at: 70_001) })
        var altered = run
        altered[4999] &+= 1
        #expect(!altered.withUnsafeBytes { PayloadPattern.matches($0, at: 70_000) })
        // Longer than one table run: checked piecewise.
        let long = (0..<600_000).map { PayloadPattern.byte(at: 123 + $0) }
        #expect(long.withUnsafeBytes { PayloadPattern.matches($0, at: 123) })
    }

    @Test func lifecyclesLeaveOneTimeWaitEntryEach() throws {
        let link = try InMemoryLink(mtu: 65536, sysctls: [("net.ipv4.ip_local_port_range", "1024 65535")])
        _ = try link.lifecycles(50)
        #expect(link.client.timeWaitEntryCount == 50)
        #expect(link.server.timeWaitEntryCount == 0)
        // Only the listener is left on the server.
        #expect(link.server.establishedHashCount == 0)
    }
}
