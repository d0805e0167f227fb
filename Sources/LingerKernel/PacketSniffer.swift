#if os(Linux)
import CLingerLinux
import Glibc
import LingerRun

/// Watches what the kernel sends on the TUN device through a packet socket bound to
/// it, as packetdrill does, and reports each packet with the time the kernel sent it.
///
/// The time matters: the runner may look for an outbound packet long after the
/// kernel sent it (while it was injecting packets or waiting for a system call), and
/// a packet sent too early must fail the script's timing check as it does under
/// packetdrill. A packet read from the TUN device carries no time; one seen by a
/// packet socket carries the kernel's timestamp of its transmission.
final class PacketSniffer {
    /// The packet socket's descriptor (-1 once closed).
    private(set) var fd: Int32
    /// packetdrill's receive buffer for its sniffing socket.
    static let receiveBufferBytes: Int32 = 2 * 1024 * 1024
    /// sll_pkttype of a packet this host sends.
    private static let outgoing: Int32 = 4
    /// Room for the virtio-net header and the largest packet a device can hand over
    /// (64 KiB TSO segments, and more if a script raises gso_max_size for BIG TCP).
    private var buffer = [UInt8](repeating: 0, count: 512 * 1024)

    /// Opens the packet socket on `deviceName`, in the calling thread's network
    /// namespace; returns its descriptor for ``init(fd:)``.
    static func open(deviceName: String) throws(BackendError) -> Int32 {
        let fd = clinger_packet_socket_open(deviceName, receiveBufferBytes)
        guard fd >= 0 else {
            throw BackendError("cannot open a packet socket on \(deviceName) to see what the kernel sends: "
                + errnoDescription(errno))
        }
        return fd
    }

    /// Takes over a descriptor from ``open(deviceName:)``; closes it at deinit.
    init(fd: Int32) {
        self.fd = fd
    }

    /// A packet the kernel sent, with its send time on the backend's clock
    /// (CLOCK_MONOTONIC microseconds).
    struct Sniffed {
        var bytes: [UInt8]
        var time: Int64
    }

    /// The next packet the kernel sent on the device, waiting until `deadline`
    /// (CLOCK_MONOTONIC microseconds); nil when none came by then. Packets arriving
    /// from the device (injected ones) are passed over. Offloaded checksums are
    /// completed.
    func next(until deadline: Int64) throws(BackendError) -> Sniffed? {
        guard fd >= 0 else { throw BackendError("the packet socket on the TUN device is closed") }
        while true {
            var packetType: Int32 = 0
            var realtime: Int64 = 0
            let capacity = Int32(buffer.count)
            let length = buffer.withUnsafeMutableBytes {
                clinger_packet_socket_receive(fd, $0.baseAddress?.assumingMemoryBound(to: UInt8.self), capacity,
                                              &packetType, &realtime)
            }
            if length < 0 {
                let error = errno
                if error == EINTR { continue }
                guard error == EAGAIN || error == EWOULDBLOCK else {
                    throw BackendError("cannot read the packet socket on the TUN device: \(errnoDescription(error))")
                }
                let remaining = deadline - MonotonicClock.now()
                if remaining <= 0 { return nil }
                var revents: Int16 = 0
                if clinger_poll_one(fd, Int16(POLLIN), remaining &* 1000, &revents) < 0, errno != EINTR {
                    throw BackendError("cannot wait on the packet socket: \(errnoDescription(errno))")
                }
                continue
            }
            guard packetType == Self.outgoing else { continue }
            let headerSize = VirtioNetHeader.size
            let total = Int(length)
            guard total > headerSize else { continue }
            guard total <= buffer.count else {
                throw BackendError("the kernel sent a \(total - headerSize)-byte packet, more than the "
                    + "\(buffer.count - headerSize) bytes linger can capture")
            }
            var packet = Array(buffer[headerSize..<total])
            buffer.withUnsafeBytes {
                VirtioNetHeader.completeChecksum(&packet, header: UnsafeRawBufferPointer(rebasing: $0[0..<headerSize]))
            }
            return Sniffed(bytes: packet, time: Self.monotonicMicroseconds(fromRealtimeNanoseconds: realtime))
        }
    }

    /// A CLOCK_REALTIME timestamp on the CLOCK_MONOTONIC scale, by the clocks' current
    /// difference (now when there is no timestamp).
    static func monotonicMicroseconds(fromRealtimeNanoseconds realtime: Int64) -> Int64 {
        var realNow: Int64 = 0
        var monotonicNow: Int64 = 0
        clinger_realtime_and_monotonic(&realNow, &monotonicNow)
        guard realtime > 0 else { return monotonicNow / 1000 }
        let time = (realtime &- (realNow &- monotonicNow)) / 1000
        // A packet cannot have been sent after now (the clocks may have been stepped).
        return min(time, monotonicNow / 1000)
    }

    /// Closes the packet socket (which holds the namespace too). Idempotent.
    func close() {
        if fd >= 0 { _ = Glibc.close(fd) }
        fd = -1
    }

    deinit {
        close()
    }
}
#endif
