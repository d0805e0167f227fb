#if os(Linux)
import CLingerLinux
import Glibc
import LingerRun
import LingerWire

/// The TUN device the backend's kernel talks through: what the kernel sends on it is
/// what the script's remote end receives, and what is written to it arrives at the
/// kernel as if from the wire.
///
/// Like packetdrill, the device has a virtio-net header (IFF_VNET_HDR) and takes
/// checksum and TSO offloads, as a typical Ethernet card does: the kernel then sends
/// large TSO segments as one packet (a 10000-byte write is one packet, not seven),
/// which is what packetdrill scripts expect.
final class TunDevice {
    /// The device's file descriptor.
    let fd: Int32
    private let headerSize = VirtioNetHeader.size
    /// Room for the header and the first bytes of a packet: a read takes the whole
    /// packet off the queue whatever the buffer's size.
    private var buffer = [UInt8](repeating: 0, count: 64)

    init(fd: Int32) {
        self.fd = fd
    }

    /// Writes an inbound packet (no offload: the kernel checks its checksums itself).
    func write(_ packet: [UInt8]) throws(BackendError) {
        var frame = [UInt8](repeating: 0, count: headerSize)
        frame.append(contentsOf: packet)
        let written = frame.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        if written < 0 {
            throw BackendError("cannot write a \(packet.count)-byte packet to the TUN device: \(errnoDescription(errno))")
        }
        if written != frame.count {
            throw BackendError("the TUN device took \(written - headerSize) of \(packet.count) bytes of a packet")
        }
    }

    /// Takes the oldest packet the kernel sent off the device's queue and drops it,
    /// waiting until `deadline` (CLOCK_MONOTONIC microseconds) for one; false when
    /// none came by then.
    ///
    /// The backend sees outbound packets through its ``PacketSniffer`` (which has the
    /// kernel's send times) and takes each off the device as it handles it, as
    /// packetdrill does: a packet stays queued in the device, and so counts as in the
    /// host's queues for the kernel's TCP, until the script has seen it.
    @discardableResult
    func discardOne(until deadline: Int64) throws(BackendError) -> Bool {
        while true {
            let remaining = deadline - MonotonicClock.now()
            var revents: Int16 = 0
            let ready = clinger_poll_one(fd, Int16(POLLIN), max(remaining, 0) &* 1000, &revents)
            if ready < 0 {
                if errno == EINTR { continue }
                throw BackendError("cannot wait for packets on the TUN device: \(errnoDescription(errno))")
            }
            if ready == 0 { return false }
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw BackendError("cannot read from the TUN device: \(errnoDescription(errno))")
            }
            return true
        }
    }
}

/// The virtio-net header that precedes packets on the TUN device and on the packet
/// sniffer (IFF_VNET_HDR, PACKET_VNET_HDR).
enum VirtioNetHeader {
    /// Its size in bytes.
    static let size = Int(clinger_tun_vnet_header_size())

    /// Fills in a checksum left to offload (VIRTIO_NET_HDR_F_NEEDS_CSUM in the header's
    /// flags): the field at csum_start + csum_offset holds the pseudo-header sum; the
    /// checksum covers it and everything from csum_start to the end.
    static func completeChecksum(_ packet: inout [UInt8], header: UnsafeRawBufferPointer) {
        let needsChecksum: UInt8 = 1
        guard header.count >= size, header[0] & needsChecksum != 0 else { return }
        let start = Int(UInt16(littleEndian: header.loadUnaligned(fromByteOffset: 6, as: UInt16.self)))
        let offset = Int(UInt16(littleEndian: header.loadUnaligned(fromByteOffset: 8, as: UInt16.self)))
        let field = start + offset
        guard start < packet.count, field + 2 <= packet.count else { return }
        var sum = InternetChecksum()
        packet.withUnsafeBytes { sum.add(UnsafeRawBufferPointer(rebasing: $0[start...])) }
        var checksum = sum.checksum
        // UDP (checksum 6 bytes into its header) sends a computed zero as all ones.
        if checksum == 0 && offset == 6 { checksum = 0xFFFF }
        packet[field] = UInt8(truncatingIfNeeded: checksum >> 8)
        packet[field + 1] = UInt8(truncatingIfNeeded: checksum)
    }
}
#endif
