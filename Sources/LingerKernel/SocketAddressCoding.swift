#if os(Linux)
import Glibc
import LingerRun
import LingerWire

/// Bytes of a `struct sockaddr_storage`: room for any address the kernel returns, and
/// the most it accepts (a longer length is EINVAL before it reads anything).
let socketAddressStorageSize = 128

/// `sockaddr_in` and `sockaddr_in6` in Linux's layout: the family in host byte
/// order, port, flow info and address in network byte order, the scope id in host
/// byte order.
enum SocketAddressCoding {
    /// The size C code passes for an address of this kind.
    static func naturalLength(of address: SocketAddress) -> UInt32 {
        switch address {
        case .ipv4, .unspecified: 16
        case .ipv6: 28
        }
    }

    /// Writes `address` at the start of `storage`, which holds at least
    /// ``socketAddressStorageSize`` zeroed bytes.
    static func encode(_ address: SocketAddress, into storage: UnsafeMutableRawPointer) {
        switch address {
        case .ipv4(let ip, let port):
            storage.storeBytes(of: UInt16(AF_INET), toByteOffset: 0, as: UInt16.self)
            storage.storeBytes(of: port.bigEndian, toByteOffset: 2, as: UInt16.self)
            storage.storeBytes(of: ip.value.bigEndian, toByteOffset: 4, as: UInt32.self)
        case .ipv6(let ip, let port, let flowInfo, let scopeID):
            storage.storeBytes(of: UInt16(AF_INET6), toByteOffset: 0, as: UInt16.self)
            storage.storeBytes(of: port.bigEndian, toByteOffset: 2, as: UInt16.self)
            storage.storeBytes(of: flowInfo.bigEndian, toByteOffset: 4, as: UInt32.self)
            for (index, byte) in ip.bytes.enumerated() {
                storage.storeBytes(of: byte, toByteOffset: 8 + index, as: UInt8.self)
            }
            storage.storeBytes(of: scopeID, toByteOffset: 24, as: UInt32.self)
        case .unspecified:
            storage.storeBytes(of: UInt16(AF_UNSPEC), toByteOffset: 0, as: UInt16.self)
        }
    }

    /// The address the kernel wrote (`length` bytes of it valid), or nil for a family
    /// Linger does not model or a length too short for its family.
    static func decode(_ storage: UnsafeRawPointer, length: Int) -> SocketAddress? {
        guard length >= 2 else { return nil }
        let family = Int32(storage.loadUnaligned(fromByteOffset: 0, as: UInt16.self))
        let port = UInt16(bigEndian: storage.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
        switch family {
        case AF_INET where length >= 8:
            let ip = UInt32(bigEndian: storage.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
            return .ipv4(IPv4Address(ip), port: port)
        case AF_INET6 where length >= 24:
            let flowInfo = UInt32(bigEndian: storage.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
            let bytes = UnsafeRawBufferPointer(start: storage + 8, count: 16)
            guard let ip = IPv6Address(bytes: bytes) else { return nil }
            let scopeID = length >= 28 ? storage.loadUnaligned(fromByteOffset: 24, as: UInt32.self) : 0
            return .ipv6(ip, port: port, flowInfo: flowInfo, scopeID: scopeID)
        case AF_UNSPEC:
            return .unspecified
        default:
            return nil
        }
    }
}
#endif
