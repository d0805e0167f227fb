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
/// which is what packetdrill scripts expect. Such packets leave with a partial
/// checksum (the pseudo-header sum only); the header says where the checksum goes,
/// and ``read(until:)`` completes it, so every packet read back has complete, valid
/// checksums.
final class TunDevice {
    /// The device's file descriptor.
    let fd: Int32
    private let headerSize = Int(clinger_tun_vnet_header_size())
    /// Room for the largest packet a device can hand over (64 KiB TSO segments, and
    /// more if a script raises gso_max_size for BIG TCP).
    private var buffer = [UInt8](repeating: 0, count: 512 * 1024)

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

    /// The next packet the kernel sent, waiting until `deadline` (CLOCK_MONOTONIC
    /// microseconds); nil when none came by then.
    func read(until deadline: Int64) throws(BackendError) -> [UInt8]? {
        while true {
            let remaining = deadline - MonotonicClock.now()
            var revents: Int16 = 0
            let ready = clinger_poll_one(fd, Int16(POLLIN), max(remaining, 0) &* 1000, &revents)
            if ready < 0 {
                if errno == EINTR { continue }
                throw BackendError("cannot wait for packets on the TUN device: \(errnoDescription(errno))")
            }
            if ready == 0 { return nil }
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw BackendError("cannot read from the TUN device: \(errnoDescription(errno))")
            }
            guard count > headerSize else { continue }
            var packet = Array(buffer[headerSize..<count])
            completeChecksum(&packet)
            return packet
        }
    }

    /// Fills in a checksum left to offload (VIRTIO_NET_HDR_F_NEEDS_CSUM): the field at
    /// csum_start + csum_offset holds the pseudo-header sum; the checksum covers it and
    /// everything from csum_start to the end.
    private func completeChecksum(_ packet: inout [UInt8]) {
        let needsChecksum: UInt8 = 1
        guard buffer[0] & needsChecksum != 0 else { return }
        let start = Int(buffer.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 6, as: UInt16.self) })
        let offset = Int(buffer.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 8, as: UInt16.self) })
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
