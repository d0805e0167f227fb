#if os(Linux)
import CLingerLinux
import Glibc
import LingerRun
import LingerWire

/// Builds the backend's world on the calling thread: a new network namespace with
/// `lo` up and a TUN device configured like packetdrill's.
///
/// Run on the backend's namespace thread: unshare(CLONE_NEWNET) moves only the
/// calling thread.
enum NamespaceSetup {
    /// What setup made.
    struct Outcome: Sendable {
        /// The TUN device's descriptor.
        var tunFD: Int32
        /// The descriptor of the packet socket that sees what the kernel sends on it.
        var snifferFD: Int32
        /// The namespace's inode number (as in `net:[4026532...]`).
        var namespaceInode: UInt64
    }

    /// IPv6 settings for devices created from now on in the namespace (the `default`
    /// configuration, which a new device copies), so that the kernel sends nothing on
    /// the TUN device by itself: no link-local address (addr_gen_mode 1), hence no
    /// router solicitations or MLD reports from one; no duplicate address detection;
    /// no router solicitations or advertisements handled.
    static let quietIPv6Settings: [(name: String, value: String)] = [
        ("addr_gen_mode", "1"),
        ("accept_dad", "0"),
        ("dad_transmits", "0"),
        ("router_solicitations", "0"),
        ("accept_ra", "0"),
    ]

    /// Moves the calling thread into a new network namespace and configures it.
    static func run(_ network: NetworkConfiguration, options: KernelBackend.Options) throws(BackendError) -> Outcome {
        if clinger_unshare_network() != 0 {
            let error = errno
            throw BackendError(
                "cannot create a network namespace (unshare(CLONE_NEWNET)): \(errnoDescription(error)); "
                    + "the kernel backend needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN): run as root, e.g. with sudo, "
                    + "or use the simulated backend")
        }
        let inode = try namespaceInode()
        if access("/proc/sys/net/ipv6", F_OK) == 0 {
            for setting in quietIPv6Settings {
                try writeSysctl("net/ipv6/conf/default/\(setting.name)", setting.value)
            }
        }

        let socket4 = Glibc.socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | closeOnExecFlag, 0)
        guard socket4 >= 0 else { throw BackendError("cannot open a control socket: \(errnoDescription(errno))") }
        defer { close(socket4) }
        try check(clinger_interface_set_up(socket4, "lo"), "bringing up lo")

        let name = options.deviceName
        let nameBytes = Array(name.utf8)
        guard (1...15).contains(nameBytes.count),
            !nameBytes.contains(where: { $0 <= 32 || $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: ":") || $0 >= 127 })
        else {
            throw BackendError("device name \"\(name)\" is not a valid interface name: 1 to 15 ASCII characters, no spaces, / or :")
        }
        let tunFD = clinger_tun_create(name)
        if tunFD < 0 {
            let error = errno
            var advice = ""
            if error == ENOENT || error == ENODEV || error == ENXIO {
                advice = "; load the tun module (modprobe tun), or in a container pass the device (--device /dev/net/tun)"
            }
            throw BackendError("cannot create TUN device \(name) from /dev/net/tun: \(errnoDescription(error))\(advice)")
        }
        do {
            try configureDevice(network, options: options, tunFD: tunFD, socket4: socket4)
            let snifferFD = try PacketSniffer.open(deviceName: name)
            return Outcome(tunFD: tunFD, snifferFD: snifferFD, namespaceInode: inode)
        } catch {
            close(tunFD)
            throw error
        }
    }

    private static func configureDevice(
        _ network: NetworkConfiguration, options: KernelBackend.Options, tunFD: Int32, socket4: Int32
    ) throws(BackendError) {
        let name = options.deviceName
        try check(clinger_tun_set_offloads(tunFD), "setting checksum and TSO offloads on \(name) (TUNSETOFFLOAD)")
        guard network.mtu >= 68, network.mtu <= 65535 else {
            throw BackendError("MTU \(network.mtu) is out of range: a TUN device takes 68 to 65535")
        }
        try check(clinger_interface_set_mtu(socket4, name, Int32(network.mtu)), "setting \(name)'s MTU to \(network.mtu)")
        try check(clinger_interface_set_up(socket4, name), "bringing up \(name)")

        switch (network.localAddress, network.remoteAddress, network.gatewayAddress) {
        case (.v4(let local), .v4(let remote), .v4(let gateway)):
            guard network.ipVersion != .ipv6 else { throw familyMismatch(network) }
            guard (0...32).contains(network.prefixLength) else {
                throw BackendError("IPv4 prefix length \(network.prefixLength) is out of range 0...32")
            }
            let remotePrefix = options.remotePrefixLength ?? 32
            guard (0...32).contains(remotePrefix) else {
                throw BackendError("remote prefix length \(remotePrefix) is out of range 0...32 for IPv4")
            }
            try check(
                clinger_interface_set_ipv4_address(socket4, name, local.value, Int32(network.prefixLength)),
                "adding address \(local)/\(network.prefixLength) to \(name)")
            try check(
                clinger_route_add_ipv4(socket4, name, remote.value, Int32(remotePrefix), gateway.value, 1),
                "adding a route to \(remote)/\(remotePrefix) via \(gateway) on \(name) (the gateway must be on "
                    + "the local network \(local)/\(network.prefixLength))")

        case (.v6(let local), .v6(let remote), .v6(let gateway)):
            guard network.ipVersion == .ipv6 else { throw familyMismatch(network) }
            guard (0...128).contains(network.prefixLength) else {
                throw BackendError("IPv6 prefix length \(network.prefixLength) is out of range 0...128")
            }
            let remotePrefix = options.remotePrefixLength ?? 128
            guard (0...128).contains(remotePrefix) else {
                throw BackendError("remote prefix length \(remotePrefix) is out of range 0...128 for IPv6")
            }
            guard access("/proc/sys/net/ipv6", F_OK) == 0 else {
                throw BackendError("IPv6 is disabled in this kernel (no /proc/sys/net/ipv6): the ipv6 IP version cannot run")
            }
            let socket6 = Glibc.socket(AF_INET6, Int32(SOCK_DGRAM.rawValue) | closeOnExecFlag, 0)
            guard socket6 >= 0 else { throw BackendError("cannot open an IPv6 control socket: \(errnoDescription(errno))") }
            defer { close(socket6) }
            let index = Int32(bitPattern: if_nametoindex(name))
            let localBytes = local.bytes
            let remoteBytes = masked(remote, prefixLength: remotePrefix).bytes
            let gatewayBytes = gateway.bytes
            try check(
                clinger_interface_add_ipv6_address(socket6, index, localBytes, Int32(network.prefixLength)),
                "adding address \(local)/\(network.prefixLength) to \(name)")
            try check(
                clinger_route_add_ipv6(socket6, index, remoteBytes, Int32(remotePrefix), gatewayBytes, 1),
                "adding a route to \(remote)/\(remotePrefix) via \(gateway) on \(name) (the gateway must be on "
                    + "the local network \(local)/\(network.prefixLength))")
            try awaitUsableAddress(local)

        default:
            throw familyMismatch(network)
        }
    }

    /// Waits until the kernel has finished duplicate address detection for `address`:
    /// a new IPv6 address is tentative (it cannot be bound) until a deferred work item
    /// clears that, even on a TUN device where no DAD packet is sent.
    /// (packetdrill adds its address with `nodad` through netlink; the ioctl used here
    /// has no such flag.)
    static func awaitUsableAddress(_ address: IPv6Address) throws(BackendError) {
        let tentative: UInt32 = 0x40
        let dadFailed: UInt32 = 0x08
        let wanted = address.bytes.map { byte in
            let digits = String(byte, radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }.joined()
        let giveUp = MonotonicClock.now() + 3_000_000
        while true {
            // thread-self: /proc/self/net would show the main thread's namespace.
            let table = readTextFile("/proc/thread-self/net/if_inet6") ?? ""
            for line in table.split(separator: "\n") {
                let fields = line.split(separator: " ", omittingEmptySubsequences: true)
                guard fields.count >= 5, fields[0] == wanted, let flags = UInt32(fields[4], radix: 16) else { continue }
                if flags & dadFailed != 0 {
                    throw BackendError("the kernel marked \(address) as a duplicate address (DAD failed)")
                }
                if flags & tentative == 0 { return }
            }
            if MonotonicClock.now() > giveUp {
                throw BackendError("the address \(address) stayed tentative (duplicate address detection) for 3 s")
            }
            usleep(200)
        }
    }

    /// A small text file's contents, or nil when it cannot be read.
    static func readTextFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The namespace of the calling thread, by inode number.
    static func namespaceInode() throws(BackendError) -> UInt64 {
        var status = stat()
        guard stat("/proc/thread-self/ns/net", &status) == 0 else {
            throw BackendError("cannot read /proc/thread-self/ns/net: \(errnoDescription(errno)); is /proc mounted?")
        }
        return UInt64(status.st_ino)
    }

    /// Writes a sysctl of the calling thread's network namespace (`path` below /proc/sys).
    static func writeSysctl(_ path: String, _ value: String) throws(BackendError) {
        let fullPath = "/proc/sys/" + path
        let fd = open(fullPath, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw BackendError("cannot open \(fullPath): \(errnoDescription(errno))") }
        defer { close(fd) }
        let bytes = Array(value.utf8)
        guard Glibc.write(fd, bytes, bytes.count) == bytes.count else {
            throw BackendError("cannot write \(value) to \(fullPath): \(errnoDescription(errno))")
        }
    }

    private static func check(_ status: Int32, _ action: String) throws(BackendError) {
        if status < 0 { throw BackendError("\(action) failed: \(errnoDescription(errno))") }
    }

    private static func familyMismatch(_ network: NetworkConfiguration) -> BackendError {
        BackendError(
            "network configuration for \(network.ipVersion.rawValue) mixes address families: local "
                + "\(network.localAddress), remote \(network.remoteAddress), gateway \(network.gatewayAddress) "
                + "(ipv4 and ipv4-mapped-ipv6 take IPv4 addresses, ipv6 takes IPv6 addresses)")
    }

    private static func masked(_ address: IPv6Address, prefixLength: Int) -> IPv6Address {
        func mask(_ bits: Int) -> UInt64 { bits <= 0 ? 0 : bits >= 64 ? ~0 : ~0 << UInt64(64 - bits) }
        return IPv6Address(high: address.high & mask(prefixLength), low: address.low & mask(prefixLength - 64))
    }
}
#endif
