/// A packet line: `< S 0:0(0) win 32792 <mss 1460>` or `> udp (1000)`.
public struct PacketSpec: Hashable, Sendable {
    /// `<` injected into the stack under test, `>` expected from it.
    public var direction: Direction
    /// Outer headers written before the packet (`ipv4 a > b:`, `gre:`, `mpls ...:`),
    /// outermost first.
    public var encapsulations: [Encapsulation]
    /// `[ect0]`, `(tos 0x10)`, `[ttl 64]`, ... for the packet's own IP header.
    public var ipInfo: IPInfo?
    /// The transport part.
    public var body: PacketBody
    /// Where the direction sign is.
    @IgnoredInEquality public var location: SourceLocation

    /// Creates a packet line.
    public init(
        direction: Direction, encapsulations: [Encapsulation] = [], ipInfo: IPInfo? = nil, body: PacketBody,
        location: SourceLocation = SourceLocation(line: 0, column: 0)
    ) {
        self.direction = direction
        self.encapsulations = encapsulations
        self.ipInfo = ipInfo
        self.body = body
        self.location = location
    }
}

/// Which way a packet goes, seen from the stack under test.
public enum Direction: String, Hashable, Sendable {
    /// `<`: the script sends it to the stack.
    case inbound = "<"
    /// `>`: the stack must send it.
    case outbound = ">"
}

/// An outer header around a packet.
public enum Encapsulation: Hashable, Sendable {
    /// `ipv4 [info] SRC > DST:`
    case ipv4(ipInfo: IPInfo?, source: String, destination: String)
    /// `ipv6 [info] SRC > DST:`
    case ipv6(ipInfo: IPInfo?, source: String, destination: String)
    /// `gre:` (nil: defaults) or `gre flags ... sum ... off ... key ... seq ...:`
    case gre(GREHeader?)
    /// `mpls (label L, tc T, [S], ttl N) ...:`
    case mpls([MPLSLabelStackEntry])
}

/// IP header details written in brackets or parentheses after a direction.
public struct IPInfo: Hashable, Sendable {
    /// The ECN / TOS expectation, if written.
    public var tos: TOSSpec?
    /// `flowlabel 0x...` (IPv6 only), if written.
    public var flowLabel: UInt32?
    /// `ttl N` (hop limit for IPv6), if written.
    public var ttl: UInt8?

    /// Creates IP info.
    public init(tos: TOSSpec? = nil, flowLabel: UInt32? = nil, ttl: UInt8? = nil) {
        self.tos = tos
        self.flowLabel = flowLabel
        self.ttl = ttl
    }
}

/// The ECN codepoint of an IP header.
public enum ECNCodepoint: String, Hashable, Sendable {
    /// `noecn`: not ECN-capable (00).
    case notECT = "noecn"
    /// `ect1` (01).
    case ect1
    /// `ect0` (10).
    case ect0
    /// `ce`: congestion experienced (11).
    case ce
}

/// What a packet line says about the IP TOS / traffic class byte.
public enum TOSSpec: Hashable, Sendable {
    /// `[ect0]`, `[ect1]`, `[ce]`, `[noecn]`: this ECN codepoint.
    case ecn(ECNCodepoint)
    /// `[ect01]`: either ECT(0) or ECT(1) (outbound packets only).
    case ect0OrEct1
    /// `tos 0x..`: the whole byte.
    case tos(UInt8)
}

/// The transport part of a packet line.
public enum PacketBody: Hashable, Sendable {
    case tcp(TCPSegmentSpec)
    case udp(UDPDatagramSpec)
    case icmp(ICMPMessageSpec)
}

/// Source and destination ports written as `SRC > DST`.
public struct PortPair: Hashable, Sendable {
    /// The source port.
    public var source: UInt16
    /// The destination port.
    public var destination: UInt16

    /// Creates a port pair.
    public init(source: UInt16, destination: UInt16) {
        self.source = source
        self.destination = destination
    }
}

/// `start:end(length)`: the sequence space a segment covers.
///
/// The parser checks that `end == start + length`, as packetdrill does.
public struct SequenceRange: Hashable, Sendable {
    /// The first sequence number (relative to the connection's initial one).
    public var start: UInt32
    /// The payload length in bytes.
    public var length: UInt16
    /// The sequence number after the payload, as written.
    public var end: UInt32

    /// Creates a range of `length` bytes from `start`.
    public init(start: UInt32, length: UInt16) {
        self.start = start
        self.length = length
        self.end = start &+ UInt32(length)
    }
}

/// TCP header flags as written (`S.`, `F.`, `P.`, `R`, `.`, `-`, `SEW`, `S.2` ...).
public struct TCPFlagsSpec: Hashable, Sendable {
    /// `F`: FIN.
    public var fin = false
    /// `S`: SYN.
    public var syn = false
    /// `R`: RST.
    public var rst = false
    /// `P`: PSH.
    public var psh = false
    /// `.`: ACK.
    public var ack = false
    /// `U`: URG.
    public var urg = false
    /// `E`: ECN-Echo.
    public var ece = false
    /// `W`: congestion window reduced.
    public var cwr = false
    /// `A`: the AE (accurate ECN) bit.
    public var ae = false
    /// A digit 0-7: the AccECN ACE counter (AE, CWR and ECE bits as one number).
    public var ace: UInt8?

    /// Creates flags (none set by default, which is written `-`).
    public init(
        fin: Bool = false, syn: Bool = false, rst: Bool = false, psh: Bool = false, ack: Bool = false,
        urg: Bool = false, ece: Bool = false, cwr: Bool = false, ae: Bool = false, ace: UInt8? = nil
    ) {
        self.fin = fin
        self.syn = syn
        self.rst = rst
        self.psh = psh
        self.ack = ack
        self.urg = urg
        self.ece = ece
        self.cwr = cwr
        self.ae = ae
        self.ace = ace
    }

    /// Whether no flag at all is set.
    public var isEmpty: Bool { self == TCPFlagsSpec() }
}

/// The TCP options a packet line specifies.
public enum TCPOptionsSpec: Hashable, Sendable {
    /// Exactly these options, in this order (empty when no `<...>` list is written).
    case exactly([TCPOptionSpec])
    /// `<...>`: any options (outbound packets only; the options are not checked).
    case any
}

/// A TCP segment line.
public struct TCPSegmentSpec: Hashable, Sendable {
    /// `encap psp spi N`, if written.
    public var pspSPI: Int64?
    /// `SRC > DST` ports, if written.
    public var ports: PortPair?
    /// The header flags.
    public var flags: TCPFlagsSpec
    /// `start:end(length)`.
    public var sequence: SequenceRange
    /// `ack N`, if written (packetdrill uses 0 when it is not).
    public var ackNumber: UInt32?
    /// `win N`, if written (if not, the window is not checked / a default is used).
    public var window: UInt16?
    /// `urg N`, if written.
    public var urgentPointer: UInt16?
    /// The `<...>` option list.
    public var options: TCPOptionsSpec

    /// Creates a TCP segment line.
    public init(
        pspSPI: Int64? = nil, ports: PortPair? = nil, flags: TCPFlagsSpec, sequence: SequenceRange,
        ackNumber: UInt32? = nil, window: UInt16? = nil, urgentPointer: UInt16? = nil,
        options: TCPOptionsSpec = .exactly([])
    ) {
        self.pspSPI = pspSPI
        self.ports = ports
        self.flags = flags
        self.sequence = sequence
        self.ackNumber = ackNumber
        self.window = window
        self.urgentPointer = urgentPointer
        self.options = options
    }
}

/// One TCP option in a `<...>` list.
public struct TCPOptionSpec: Hashable, Sendable {
    /// Which option, with its values.
    public var kind: Kind
    /// Where the option starts.
    @IgnoredInEquality public var location: SourceLocation

    /// The option kinds packetdrill's grammar has.
    public enum Kind: Hashable, Sendable {
        case nop
        case eol
        /// `mss N`
        case mss(UInt16)
        /// `wscale N`
        case windowScale(UInt8)
        /// `sackOK`
        case sackPermitted
        /// `sack L:R L:R ...`
        case sack([SACKBlockSpec])
        /// `TS val N ecr N`
        case timestamp(value: UInt32, echoReply: UInt32)
        /// `md5 HEX`: digest as hex text. Cookies and digests are kept as written and
        /// not checked to be hex here; packetdrill checks them when it builds the packet.
        case md5(String)
        /// `FO [HEX]`: TCP Fast Open (option 34); cookie as hex text, empty for none.
        case fastOpen(cookie: String)
        /// `FOEXP [HEX]`: experimental Fast Open (option 254, magic 0xF989).
        case fastOpenExperimental(cookie: String)
        /// `ECN e0b N ceb N e1b N` (or `e1b` first): AccECN counters in written order.
        case accECN([AccECNField])
    }

    /// Creates an option.
    public init(_ kind: Kind, location: SourceLocation = SourceLocation(line: 0, column: 0)) {
        self.kind = kind
        self.location = location
    }
}

/// One SACK block `left:right`.
public struct SACKBlockSpec: Hashable, Sendable {
    /// The first sequence number of the block.
    public var left: UInt32
    /// The sequence number after the block.
    public var right: UInt32

    /// Creates a SACK block.
    public init(left: UInt32, right: UInt32) {
        self.left = left
        self.right = right
    }
}

/// One AccECN option counter.
public struct AccECNField: Hashable, Sendable {
    /// Which counter.
    public enum Counter: String, Hashable, Sendable {
        /// `e0b`: bytes received with ECT(0).
        case ect0Bytes = "e0b"
        /// `e1b`: bytes received with ECT(1).
        case ect1Bytes = "e1b"
        /// `ceb`: bytes received with CE.
        case ceBytes = "ceb"
    }

    /// Which counter.
    public var counter: Counter
    /// A 24-bit counter value.
    public var value: UInt32

    /// Creates a counter value.
    public init(counter: Counter, value: UInt32) {
        self.counter = counter
        self.value = value
    }
}

/// A UDP packet line: `udp [SRC > DST] (LENGTH)`.
public struct UDPDatagramSpec: Hashable, Sendable {
    /// `SRC > DST` ports, if written.
    public var ports: PortPair?
    /// The payload length in bytes.
    public var payloadLength: UInt16

    /// Creates a UDP packet line.
    public init(ports: PortPair? = nil, payloadLength: UInt16) {
        self.ports = ports
        self.payloadLength = payloadLength
    }
}

/// An ICMP (or ICMPv6) packet line: `icmp TYPE [CODE] [mtu N] [id N] [[echoed]]`.
public struct ICMPMessageSpec: Hashable, Sendable {
    /// The type by name, e.g. `unreachable`, `packet_too_big`, `time_exceeded`.
    public var type: String
    /// The code by name, e.g. `frag_needed`, `port_unreachable`, if written.
    public var code: String?
    /// `mtu N`, if written.
    public var mtu: Int64?
    /// `id N` (echo identifier), if written.
    public var echoID: Int64?
    /// The offending packet quoted in the ICMP payload, if written.
    public var echoed: ICMPEchoedPacket?

    /// Creates an ICMP packet line.
    public init(type: String, code: String? = nil, mtu: Int64? = nil, echoID: Int64? = nil, echoed: ICMPEchoedPacket? = nil) {
        self.type = type
        self.code = code
        self.mtu = mtu
        self.echoID = echoID
        self.echoed = echoed
    }
}

/// The packet an ICMP message quotes, written in brackets.
public enum ICMPEchoedPacket: Hashable, Sendable {
    /// `[start:end(len)]`: a TCP segment.
    case tcp(SequenceRange)
    /// `[udp (len)]`
    case udp(payloadLength: Int64)
    /// `[raw (len)]`
    case raw(payloadLength: Int64)
}

/// A GRE header: `flags [..] sum N off N key N seq N` (commas optional).
public struct GREHeader: Hashable, Sendable {
    /// The flags, as a list of names or as one number.
    public var flags: GREFlags
    /// `sum N`.
    public var checksum: Int64
    /// `off N`.
    public var offset: Int64
    /// `key N`.
    public var key: Int64
    /// `seq N`.
    public var sequence: Int64

    /// Creates a GRE header.
    public init(flags: GREFlags, checksum: Int64, offset: Int64, key: Int64, sequence: Int64) {
        self.flags = flags
        self.checksum = checksum
        self.offset = offset
        self.key = key
        self.sequence = sequence
    }
}

/// GRE flags in either written form.
public enum GREFlags: Hashable, Sendable {
    /// `flags [checksum present, key present, sequence# present]` or `flags [none]`.
    case named([GREFlag])
    /// `flags 0x...`
    case value(Int64)
}

/// A named GRE flag.
public enum GREFlag: String, Hashable, Sendable {
    case none = "none"
    case checksumPresent = "checksum present"
    case keyPresent = "key present"
    case sequencePresent = "sequence# present"
}

/// One MPLS label stack entry: `(label L, tc T, [S], ttl N)`.
public struct MPLSLabelStackEntry: Hashable, Sendable {
    /// The 20-bit label.
    public var label: Int64
    /// The 3-bit traffic class (`tc`).
    public var trafficClass: Int64
    /// `[S]`: the bottom of the stack.
    public var isBottomOfStack: Bool
    /// The time to live.
    public var ttl: Int64

    /// Creates an entry.
    public init(label: Int64, trafficClass: Int64, isBottomOfStack: Bool, ttl: Int64) {
        self.label = label
        self.trafficClass = trafficClass
        self.isBottomOfStack = isBottomOfStack
        self.ttl = ttl
    }
}
