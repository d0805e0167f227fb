public import LingerWire

/// The addresses, ports and link a script runs with, as packetdrill sets them up:
/// the stack under test is the local end; the script plays the remote end.
public struct NetworkConfiguration: Sendable, Hashable {
    /// Which IP the script's packets and sockets use (`--ip_version`).
    public enum IPVersion: String, Sendable, Hashable, CaseIterable {
        /// IPv4 packets, AF_INET sockets.
        case ipv4
        /// IPv6 packets, AF_INET6 sockets.
        case ipv6
        /// IPv4 packets, AF_INET6 sockets with IPv4-mapped addresses.
        case ipv4MappedIPv6 = "ipv4-mapped-ipv6"
    }

    /// `--ip_version`.
    public var ipVersion: IPVersion
    /// The stack's own address (`--local_ip`): an IPv4 address for ipv4 and
    /// ipv4-mapped-ipv6, an IPv6 address for ipv6.
    public var localAddress: IPAddress
    /// The script's (the peer's) address (`--remote_ip`).
    public var remoteAddress: IPAddress
    /// The gateway the remote address is routed through (`--gateway_ip`).
    public var gatewayAddress: IPAddress
    /// The local network's prefix length (`--netmask_ip` for IPv4).
    public var prefixLength: Int
    /// The TUN device's MTU (`--mtu`).
    public var mtu: Int
    /// The local port `bind(fd, ..., ...)` uses (`--bind_port`).
    public var bindPort: UInt16
    /// The remote port `connect(fd, ..., ...)` uses (`--connect_port`).
    public var connectPort: UInt16

    /// Creates a configuration.
    public init(
        ipVersion: IPVersion, localAddress: IPAddress, remoteAddress: IPAddress, gatewayAddress: IPAddress,
        prefixLength: Int, mtu: Int = 1500, bindPort: UInt16 = 8080, connectPort: UInt16 = 8080
    ) {
        self.ipVersion = ipVersion
        self.localAddress = localAddress
        self.remoteAddress = remoteAddress
        self.gatewayAddress = gatewayAddress
        self.prefixLength = prefixLength
        self.mtu = mtu
        self.bindPort = bindPort
        self.connectPort = connectPort
    }

    /// packetdrill's defaults for an IP version: local 192.168.0.1/16 and remote
    /// 192.0.2.1 for IPv4 (and IPv4-mapped IPv6); local fd3d:fa7b:d17d::1/48 and
    /// remote 2001:db8::1 for IPv6; MTU 1500; ports 8080.
    public static func packetdrillDefaults(for ipVersion: IPVersion) -> NetworkConfiguration {
        switch ipVersion {
        case .ipv4, .ipv4MappedIPv6:
            return NetworkConfiguration(
                ipVersion: ipVersion,
                localAddress: .v4(IPv4Address(192, 168, 0, 1)),
                remoteAddress: .v4(IPv4Address(192, 0, 2, 1)),
                gatewayAddress: .v4(IPv4Address(192, 168, 0, 2)),
                prefixLength: 16)
        case .ipv6:
            return NetworkConfiguration(
                ipVersion: ipVersion,
                localAddress: .v6(IPv6Address("fd3d:fa7b:d17d::1")!),
                remoteAddress: .v6(IPv6Address("2001:db8::1")!),
                gatewayAddress: .v6(IPv6Address("fd3d:fa7b:d17d:8888::1")!),
                prefixLength: 48)
        }
    }
}
