import LingerWire

/// Where a socket the runner follows is in its life, as packetdrill tracks it
/// (not the TCP state: only what the runner needs to map packets).
enum TrackedSocketState: Sendable, Hashable {
    /// Created by a passive open's SYN before any call names it.
    case initial
    /// After socket().
    case new
    /// After listen().
    case passiveListening
    /// The script injected a SYN to the listener.
    case passivePacketReceived
    /// The stack's SYN-ACK was seen.
    case passiveSynAckSent
    /// The script's ACK of the SYN-ACK was injected.
    case passiveSynAckAcked
    /// After connect() (or sendto() with an address).
    case activeConnecting
    /// The stack's SYN was seen.
    case activeSynSent
    /// The script's SYN-ACK was injected.
    case activeSynAcked
}

/// One end of a 4-tuple: address and port (nil address: not known yet).
struct SocketEndpoint: Sendable, Hashable {
    var address: IPAddress?
    var port: UInt16 = 0
}

/// The script's or the live view of a connection: ends and initial sequence numbers.
struct ConnectionView: Sendable, Hashable {
    var local = SocketEndpoint()
    var localISN: UInt32 = 0
    var remote = SocketEndpoint()
    var remoteISN: UInt32 = 0
}

/// What the runner remembers about one socket: packetdrill's `struct socket`.
final class TrackedSocket {
    var state: TrackedSocketState
    var addressFamily: Int32
    var type: Int32 = 1
    var protocolNumber: Int32 = 6
    /// The fd the script names; -1 until accept() names a passive child.
    var scriptFD: Int32 = -1
    /// The backend's fd; -1 until known.
    var liveFD: Int32 = -1
    var isClosed = false
    /// False for epoll and pipe descriptors and dup() copies.
    var isSocket = true

    /// Ends and ISNs as the script writes them.
    var script = ConnectionView()
    /// Ends and ISNs on the wire.
    var live = ConnectionView()

    /// Script TS val -> live TS val, learned from outbound packets.
    var tsValMap: [UInt32: UInt32] = [:]
    var firstTimestamp: (scriptVal: UInt32, actualVal: UInt32)?

    /// The last TCP headers each way, to build a RST the stack accepts at the end.
    var lastOutboundTCP: TCPHeader?
    var lastInjectedTCP: TCPHeader?
    var lastInjectedPayloadLength = 0

    /// IPv6 flow labels: the script's and the live one last matched.
    var flowLabelMap: (script: UInt32, live: UInt32)?

    init(state: TrackedSocketState, addressFamily: Int32) {
        self.state = state
        self.addressFamily = addressFamily
    }

    // Offsets between script and live sequence space (socket.h's helpers): a SYN's
    // own sequence number is written absolutely in the script, every other one relative
    // to the ISN.

    func remoteScriptToLiveOffset(isSYN: Bool) -> UInt32 { isSYN ? 0 : live.remoteISN }
    func remoteLiveToScriptOffset(isSYN: Bool) -> UInt32 { 0 &- remoteScriptToLiveOffset(isSYN: isSYN) }
    func localScriptToLiveOffset(isSYN: Bool) -> UInt32 {
        isSYN ? live.localISN &- script.localISN : live.localISN
    }
    func localLiveToScriptOffset(isSYN: Bool) -> UInt32 { 0 &- localScriptToLiveOffset(isSYN: isSYN) }

    /// The live tuple of packets the stack sends on this socket.
    var liveOutbound: (source: SocketEndpoint, destination: SocketEndpoint) { (live.local, live.remote) }
}

extension TrackedSocket {
    /// A descriptor that is not a socket the runner maps packets for (epoll, pipe, dup).
    static func plainDescriptor(scriptFD: Int32, liveFD: Int32) -> TrackedSocket {
        let entry = TrackedSocket(state: .new, addressFamily: 0)
        entry.isSocket = false
        entry.scriptFD = scriptFD
        entry.liveFD = liveFD
        return entry
    }
}
