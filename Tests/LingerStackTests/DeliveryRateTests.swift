import LingerRun
import LingerWire
import Testing

@testable import LingerStack

/// Delivery-rate sampling (tcp_rate.c) as tcp_info and `ss -i` show it:
/// `app_limited` and `delivery_rate`. The expectations are what the live kernel
/// showed for the same exchanges (ss -tanoi on the kernel backend, Linux 6.18):
/// app_limited right after the handshake (tcp_init_sock starts rate_app_limited
/// at 1 and no sample replaces it), still app_limited with a delivery rate once a
/// small write is acknowledged, and no longer app_limited once a write larger
/// than the peer's window has been sent and acknowledged.
@Suite struct DeliveryRateTests {
    func info(_ h: StackHarness) throws -> [String: UInt64] {
        let row = try #require(h.stack.snapshot().sockets.first { $0.state == .established })
        var values: [String: UInt64] = [:]
        for field in TCPInfoLayout.decode(try #require(row.tcpInfo)) { values[field.name] = field.value }
        return values
    }

    @Test func handshakeLeavesTheConnectionApplicationLimited() throws {
        let h = StackHarness()
        _ = h.acceptedConnection()
        let values = try info(h)
        #expect(values["tcpi_delivery_rate_app_limited"] == 1)
        #expect(values["tcpi_delivery_rate"] == 0)
    }

    @Test func aSmallWriteGivesAnApplicationLimitedSample() throws {
        let h = StackHarness()
        let fd = h.acceptedConnection()
        h.wait(100_000)
        #expect(h.call(.write(fd: fd, data: .bytes([UInt8](repeating: 1, count: 1000)))).value == 1000)
        _ = h.packet()
        h.wait(50_000)
        h.inject([.ack], seq: h.peerISS + 1, ack: h.iss + 1001)
        let values = try info(h)
        #expect(values["tcpi_delivery_rate_app_limited"] == 1)
        // One segment delivered over the 50 ms it took: mss * 1 s / 50 ms.
        #expect(values["tcpi_delivery_rate"] == UInt64(values["tcpi_snd_mss"] ?? 0) * 20)
    }

    @Test func aWindowLimitedTransferClearsApplicationLimited() throws {
        let h = StackHarness()
        // The peer's window (1024 bytes) holds back most of a 3000-byte write.
        let fd = h.acceptedConnection(window: 1024)
        #expect(h.call(.write(fd: fd, data: .bytes([UInt8](repeating: 1, count: 3000)))).value == 3000)
        var acked: UInt32 = 0
        while acked < 3000, let (packet, _) = h.nextPacket(within: 1_000_000), let tcp = packet.tcp {
            let end = tcp.sequenceNumber.rawValue &- h.iss &- 1 &+ UInt32(packet.payload.count)
            h.wait(50_000)
            acked = max(acked, end)
            h.inject([.ack], seq: h.peerISS + 1, ack: h.iss + 1 + acked, window: 1024)
        }
        #expect(acked == 3000)
        let values = try info(h)
        #expect(values["tcpi_delivery_rate_app_limited"] == 0)
        #expect((values["tcpi_delivery_rate"] ?? 0) > 0)
    }
}
