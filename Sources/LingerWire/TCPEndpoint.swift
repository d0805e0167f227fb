/// One end of a TCP or UDP conversation: an address and a port.
public struct TCPEndpoint: Hashable, Sendable, CustomStringConvertible {
    /// The IP address.
    public var address: IPAddress
    /// The port.
    public var port: UInt16

    /// The endpoint `address`:`port`.
    public init(_ address: IPAddress, _ port: UInt16) {
        self.address = address
        self.port = port
    }

    /// `address.port`, as tcpdump writes an endpoint.
    public var description: String { "\(address).\(port)" }
}

extension Packet {
    /// The sending endpoint of a TCP or UDP packet.
    public var sourceEndpoint: TCPEndpoint? {
        switch transport {
        case .tcp(let h): TCPEndpoint(ip.source, h.sourcePort)
        case .udp(let h): TCPEndpoint(ip.source, h.sourcePort)
        default: nil
        }
    }

    /// The receiving endpoint of a TCP or UDP packet.
    public var destinationEndpoint: TCPEndpoint? {
        switch transport {
        case .tcp(let h): TCPEndpoint(ip.destination, h.destinationPort)
        case .udp(let h): TCPEndpoint(ip.destination, h.destinationPort)
        default: nil
        }
    }
}
