import LingerWire

/// TCP states, numbered as in Linux's include/net/tcp_states.h (tcpi_state shows these).
public enum TCPState: UInt8, Sendable, Hashable, CustomStringConvertible {
    case established = 1
    case synSent = 2
    case synReceived = 3
    case finWait1 = 4
    case finWait2 = 5
    case timeWait = 6
    case close = 7
    case closeWait = 8
    case lastAck = 9
    case listen = 10
    case closing = 11
    case newSynReceived = 12

    /// The name `ss` prints.
    public var description: String {
        switch self {
        case .established: "ESTAB"
        case .synSent: "SYN-SENT"
        case .synReceived: "SYN-RECV"
        case .finWait1: "FIN-WAIT-1"
        case .finWait2: "FIN-WAIT-2"
        case .timeWait: "TIME-WAIT"
        case .close: "CLOSE"
        case .closeWait: "CLOSE-WAIT"
        case .lastAck: "LAST-ACK"
        case .listen: "LISTEN"
        case .closing: "CLOSING"
        case .newSynReceived: "NEW-SYN-RECV"
        }
    }
}

/// What the connection's time is being spent on (enum tcp_chrono).
enum Chrono: UInt8 {
    case unspecified = 0
    case busy = 1
    case rwndLimited = 2
    case sndbufLimited = 3
}

/// Congestion-avoidance states (tcpi_ca_state), as Linux's enum tcp_ca_state.
/// sk_pacing_status.
enum PacingStatus: UInt8 {
    /// No pacing (the default with CUBIC or Reno and no fq).
    case none
    /// TCP paces itself with its pacing timer (SO_MAX_PACING_RATE set, no fq).
    case needed
    /// The fq qdisc paces by the departure times TCP stamps.
    case fairQueue
}

enum CAState: UInt8 {
    case open = 0
    case disorder = 1
    case cwr = 2
    case recovery = 3
    case loss = 4
}

/// The kind of the event the retransmission timer is armed for (icsk_pending).
enum PendingTimer: UInt8 {
    case none = 0
    case retrans = 1
    case reorder = 2  // RACK reordering timeout
    case lossProbe = 3
    case probe0 = 4  // zero-window probe
}

/// sk_shutdown bits.
struct ShutdownMask: OptionSet {
    var rawValue: UInt8
    static let receive = ShutdownMask(rawValue: 1)
    static let send = ShutdownMask(rawValue: 2)
    static let both: ShutdownMask = [.receive, .send]
}

/// Per-record SACK state bits (TCPCB_SACKED_*).
struct SackedBits: OptionSet {
    var rawValue: UInt8
    static let acked = SackedBits(rawValue: 1)
    static let retrans = SackedBits(rawValue: 2)
    static let lost = SackedBits(rawValue: 4)
    static let everRetrans = SackedBits(rawValue: 8)
}

/// One piece of the send queue: Linux's skb in the write or retransmission queue.
/// Records that have been sent are at most one MSS long, so each is one segment
/// on the wire; unsent records may be longer and are cut when they go out.
struct SendRecord {
    var seq: SequenceNumber
    var endSeq: SequenceNumber
    /// SYN, FIN, PSH as they will go on the wire.
    var flags: TCPFlags
    var sacked: SackedBits = []
    /// When it was last sent (skb->skb_mstamp), microseconds; 0 when never.
    var txTime: Int64 = 0
    /// When it was first sent.
    var firstTxTime: Int64 = 0
    /// MSG_EOR: nothing may be appended to it.
    var eor = false
    /// Delivery-rate state at transmission (tcp_rate_skb_sent).
    var txDelivered: UInt32 = 0
    var txDeliveredTime: Int64 = 0
    var txFirstTime: Int64 = 0
    var txAppLimited = false
    /// Segments sent together as one TSO burst share an id.
    var skbID: UInt32 = 0
    /// The skb's own memory beyond its data (its header and shared info), charged
    /// to the socket; a burst's segments after the first split carry none, so a
    /// burst costs what Linux's one skb costs and frees it when fully acked.
    var headerTruesize = 0

    /// Bytes of data (SYN and FIN excluded).
    var dataLength: Int {
        var n = Int(seq.distance(to: endSeq))
        if flags.contains(.syn) { n -= 1 }
        if flags.contains(.fin) { n -= 1 }
        return max(0, n)
    }

    /// Sequence space covered (data + SYN + FIN).
    var length: Int { Int(seq.distance(to: endSeq)) }
}

/// One skb of the receive queue (accounting only: the bytes themselves are in
/// the receive ring): where its data ends, what it is charged, how much free
/// room its buffer still has for coalescing, and whether it carries the FIN.
struct ReceiveRecord {
    var dataEnd: SequenceNumber
    var truesize: Int
    var tailroom: Int
    var hasFin: Bool
}

/// An out-of-order segment held until the hole before it is filled.
struct OutOfOrderSegment {
    var seq: SequenceNumber
    var bytes: [UInt8]
    var fin: Bool
    var truesize: Int
    var tailroom: Int = 0
    var endSeq: SequenceNumber { seq + (bytes.count + (fin ? 1 : 0)) }
}

/// A SYN_RECV request (request_sock): the minimal state a listener keeps for a
/// connection that has sent its SYN but not yet completed the handshake.
struct RequestSock {
    var tuple: FourTuple
    var iss: SequenceNumber
    var irs: SequenceNumber
    var mss: Int  // peer's MSS clamp
    var sackOK: Bool
    var timestampOK: Bool
    var tsRecent: UInt32
    var tsOffset: UInt32
    var wscaleOK: Bool
    var sndWscale: UInt8
    var rcvWscale: UInt8
    var rcvWindow: UInt32
    var windowClamp: UInt32
    var peerWindow: UInt16
    var synTime: Int64
    var synAckTime: Int64
    var retransmits = 0
    var numTimeout = 0
    var timer: TimerHandle?
    var acked = false  // TCP_DEFER_ACCEPT style: ack seen but dropped
    var ecnOK = false
    /// snt_tsval_first / snt_tsval_last: the TS values our SYN-ACKs carried
    /// (first is never 0 once set); the handshake's ACK must echo one between.
    var sentTSValFirst: UInt32 = 0
    var sentTSValLast: UInt32 = 0
}

/// A TCP socket: Linux's struct sock, inet_connection_sock and tcp_sock in one
/// object. Its logic is spread over files by concern (input, output, timers,
/// close) as the kernel's is.
///
/// Every connection pays for every stored property, so within each group they
/// are declared widest alignment first (8, 4, 2, then 1 byte): the object then
/// has almost no padding. Keep that order when adding one.
final class TCPSocket {
    /// The stack the socket lives in. Not reference-counted: a socket is only
    /// reached through its stack's tables and timers or a `SocketLayer`, and
    /// both keep the stack alive, so the stack outlives every use of this.
    unowned(unsafe) let stack: NetworkStack
    // ipv6Only: a bit of packedFlags
    /// A unique number for this socket (inode-like), for ordering and inspection.
    let id: UInt64
    /// Every Bool property below, one bit each (see the extension that reads them).
    fileprivate var packedFlags: UInt64 = 0x40000110
    /// AF_INET or AF_INET6.
    let family: Int32

    // MARK: identity and state
    // isBound: a bit of packedFlags // bind() or autobind took a port
    /// bind() chose the port (SOCK_BINDPORT_LOCK): it stays reserved until close.
    // explicitlyBound: a bit of packedFlags
    /// connect()'s port search chose the port (its bind bucket has fastreuse -1),
    /// as opposed to bind(), listen() or a listener for its children.
    // portFromConnect: a bit of packedFlags
    // bindAddressWasAny: a bit of packedFlags
    // inEstablishedTable: a bit of packedFlags
    /// SOCK_DEAD: orphaned, no process refers to it.
    // isOrphan: a bit of packedFlags
    /// SOCK_DONE: the peer's FIN was received or the connection reset.
    // sockDone: a bit of packedFlags
    /// Whether this socket's file is still referenced (the socket has an owner).
    // hasFile: a bit of packedFlags
    // isDestroyed: a bit of packedFlags
    /// Bumped on every wakeup; epoll's edge-triggered mode compares it.
    var wakeCount: UInt64 = 0
    var localAddress: IPAddress?
    var remoteAddress: IPAddress?
    /// Where the socket sits in its port's owner list (`NetworkStack.bound`), so
    /// that taking it out is O(1) (-1: in none).
    fileprivate var storedBoundIndex: Int32 = -1
    /// sk_err and sk_err_soft.
    var error: Int32 = 0
    var softError: Int32 = 0
    var localPort: UInt16 = 0
    var remotePort: UInt16 = 0
    var state: TCPState = .close
    /// The BSD socket state (SS_*).
    var connectState = SocketConnectState.unconnected
    var shutdownMask: ShutdownMask = []

    // MARK: socket options
    // reuseAddress: a bit of packedFlags
    // reusePort: a bit of packedFlags
    // keepaliveEnabled: a bit of packedFlags
    // noDelay: a bit of packedFlags
    /// TCP_NAGLE_PUSH in tp->nonagle: set by TCP_NODELAY, cleared by the next new record.
    // nonaglePush: a bit of packedFlags
    // cork: a bit of packedFlags
    // sendBufferLocked: a bit of packedFlags
    // receiveBufferLocked: a bit of packedFlags
    /// SOCK_NOSPACE: a writer or poll found the send buffer full, so freed space
    /// is announced (tcp_check_space).
    // noSpace: a bit of packedFlags
    /// TSQ_THROTTLED: writing stopped until queued packets leave.
    // smallQueueThrottled: a bit of packedFlags
    // inqEnabled: a bit of packedFlags // TCP_INQ
    var sendBufferSize: Int  // sk_sndbuf
    var receiveBufferSize: Int  // sk_rcvbuf
    var pacingRate: UInt64 = .max
    /// tcp_wstamp_ns: the departure time of the next packet, nanoseconds.
    var departureStampNs: Int64 = 0
    /// Memory of this socket's packets still in the device queue (its share of
    /// sk_wmem_alloc that TCP Small Queues watches).
    var queuedTruesize = 0
    /// The internal pacing timer (tp->pacing_timer).
    fileprivate var storedPacingTimer: UInt64 = .max
    var nextSkbID: UInt32 = 1
    var cwndUsed: UInt32 = 0
    var congestionAlgorithm: CongestionAlgorithm
    /// sk_pacing_status: whether packets carry pacing departure times.
    var pacingStatus: PacingStatus = .none
    var tosByte: UInt8 = 0

    // MARK: listener
    /// A child created by the handshake that no accept() has taken yet.
    // inAcceptQueue: a bit of packedFlags

    // MARK: send sequence space
    // finQueued: a bit of packedFlags
    var bytesAcked: UInt64 = 0
    var bytesSent: UInt64 = 0
    var bytesRetrans: UInt64 = 0
    var bytesReceived: UInt64 = 0
    /// The send queue, oldest first; `sendHead` is the first record not yet sent.
    var sendQueue = RingQueue<SendRecord>()
    var sendHead = 0
    /// The bytes of the send queue from `sendDataBase` on.
    var sendBytes = ByteRing()
    var wmemQueued = 0  // sk_wmem_queued
    var iss = SequenceNumber(0)
    var sndUna = SequenceNumber(0)
    var sndNxt = SequenceNumber(0)
    var sndUp = SequenceNumber(0)
    var writeSeq = SequenceNumber(0)  // end of data written by the application
    var pushedSeq = SequenceNumber(0)
    var sndWnd: UInt32 = 0
    var maxWindow: UInt32 = 0
    var sndWl1 = SequenceNumber(0)
    var sndSml = SequenceNumber(0)  // end of the last small segment sent (Minshall)
    var segsOut: UInt32 = 0
    var segsIn: UInt32 = 0
    var dataSegsOut: UInt32 = 0
    var dataSegsIn: UInt32 = 0
    var sendDataBase = SequenceNumber(0)

    // MARK: options negotiated
    // timestampOK: a bit of packedFlags
    // sackOK: a bit of packedFlags
    // wscaleOK: a bit of packedFlags
    // sawTimestamp: a bit of packedFlags
    // dsackOK: a bit of packedFlags
    // ecnOK: a bit of packedFlags
    var tsRecentStamp: Int64 = 0  // seconds
    fileprivate var storedMssCache: Int32 = 536
    fileprivate var storedAdvmss: Int32 = 536
    fileprivate var storedMssClamp: Int32 = 536  // rx_opt.mss_clamp: peer's MSS
    fileprivate var storedUserMSSClamp: Int32 = 0
    var tsRecent: UInt32 = 0
    var tsOffset: UInt32 = 0
    var rcvTsval: UInt32 = 0
    var rcvTsecr: UInt32 = 0
    var ipID: UInt16 = 0
    var sndWscale: UInt8 = 0
    var rcvWscale: UInt8 = 0

    // MARK: congestion control and recovery
    // undoMarkerValid: a bit of packedFlags
    // rateAppLimited: a bit of packedFlags
    // isCwndLimited: a bit of packedFlags
    // tlpHighSeqSet: a bit of packedFlags
    // tlpRetrans: a bit of packedFlags
    // frtoActive: a bit of packedFlags
    // isSackReneg: a bit of packedFlags
    // receivedCE: a bit of packedFlags
    var cwndStamp: Int64 = 0
    var deliveredTime: Int64 = 0  // delivered_mstamp
    var firstTxTime: Int64 = 0  // first_tx_mstamp
    var rateIntervalUs: Int64 = 0
    var lastSndTime: Int64 = 0  // lsndtime
    var lastRcvTime: Int64 = 0
    var lastAckRecvTime: Int64 = 0  // rcv_tstamp
    var retransStamp: Int64 = 0
    var lastRTTSample: Int64 = -1
    var rack = RACKState()
    var undoState = UndoState()
    var chronoStartTime: Int64 = 0
    var chronoStats = ChronoStats()
    var cubic = CubicState()
    fileprivate var storedCompressedAck: Int32 = 0
    var cwnd: UInt32 = 10
    var cwndCount: UInt32 = 0
    var ssthresh: UInt32 = 0x7fff_ffff
    var cwndClamp: UInt32 = 0xffff_ffff
    var priorCwnd: UInt32 = 0
    var priorSsthresh: UInt32 = 0
    var packetsOut: UInt32 = 0
    var sackedOut: UInt32 = 0
    var lostOut: UInt32 = 0
    var retransOut: UInt32 = 0
    var highSeq = SequenceNumber(0)
    var undoMarker = SequenceNumber(0)
    var undoRetrans: Int32 = -1
    var reordering: UInt32 = 3
    var reordSeen: UInt32 = 0
    var totalRetrans: UInt32 = 0
    var delivered: UInt32 = 0
    var deliveredCE: UInt32 = 0
    var lost: UInt32 = 0
    /// tp->app_limited: `delivered` once the application-limited bubble is acked;
    /// tcp_init_sock starts it at ~0 (cleared by the first ACK).
    var appLimited: UInt32 = .max
    /// The last delivery-rate sample kept (rate_delivered over rate_interval_us)
    /// and whether it was application-limited (tcpi_delivery_rate and its flag).
    var rateDelivered: UInt32 = 0
    var prrDelivered: UInt32 = 0
    var prrOut: UInt32 = 0
    var maxPacketsOut: UInt32 = 0
    var cwndUsageSeq = SequenceNumber(0)
    var tlpHighSeq = SequenceNumber(0)
    var dsackDups: UInt32 = 0
    var highestSackSeq: SequenceNumber?
    var fackedEnd: SequenceNumber?
    var caState: CAState = .open
    var ecnFlags: UInt8 = 0
    var chronoType = Chrono.unspecified

    // MARK: RTT and timers
    var minRTT = MinRTTFilter()
    var rto: Int64 = 1_000_000
    var probesTstamp: Int64 = 0
    var timeoutAt: Int64 = 0  // icsk_timeout
    var synSentTime: Int64 = 0
    fileprivate var storedRetransmitTimer: UInt64 = .max
    fileprivate var storedDelackTimer: UInt64 = .max
    fileprivate var storedKeepaliveTimer: UInt64 = .max
    fileprivate var storedBackoff: Int32 = 0
    fileprivate var storedRetransmits: Int32 = 0
    fileprivate var storedProbesOut: Int32 = 0
    fileprivate var storedSynRetransmits: Int32 = 0
    var srttUs: UInt32 = 0  // <<3
    var mdevUs: UInt32 = 0  // <<2
    var mdevMaxUs: UInt32 = 0
    var rttvarUs: UInt32 = 0
    var rttSeq = SequenceNumber(0)
    var pending: PendingTimer = .none

    // MARK: receive side
    // urgData: a bit of packedFlags
    // finReceived: a bit of packedFlags // a FIN is in the receive queue (in order)
    var rmemAlloc = 0
    /// sk_forward_alloc: memory charged to the socket but not yet used.
    var forwardAlloc = 0
    var receiveBytes = ByteRing()
    var receiveRecords = RingQueue<ReceiveRecord>()
    var rcvSpace = ReceiveSpace()
    var rcvRTT = ReceiveRTT()
    var lastOOWAckTime: Int64 = -1_000_000_000
    var lastDataRecvTime: Int64 = 0
    fileprivate var storedScalingRatio: Int32 = 128
    var irs = SequenceNumber(0)
    var rcvNxt = SequenceNumber(0)
    var copiedSeq = SequenceNumber(0)
    var rcvWup = SequenceNumber(0)
    var rcvWnd: UInt32 = 0
    var rcvSsthresh: UInt32 = 0
    var windowClamp: UInt32 = 0
    /// Header prediction (pred_flags): the window field the fast path expects, or
    /// nil while the fast path is off.
    var fastPathWindow: UInt16?

    // MARK: delayed ACK (icsk_ack)
    var ackAto: Int64 = 0  // us
    var ackTimeout: Int64 = 0
    var ackLrcvtime: Int64 = 0
    fileprivate var storedAckLastSegSize: Int32 = 0
    fileprivate var storedAckRcvMss: Int32 = 536
    var ackQuick: UInt32 = 0
    var ackPingpong: UInt32 = 0
    var lastAckSentSeq = SequenceNumber(0)
    var ackPending: UInt8 = 0  // ICSK_ACK_* bits

    /// Options rarely set and listener state, allocated on the first write of
    /// a value other than the default (`SocketRareState`).
    var rare: SocketRareState?

    // MARK: blocking and readiness

    init(stack: NetworkStack, family: Int32, id: UInt64) {
        self.stack = stack
        self.family = family
        self.id = id
        let s = stack.sysctls
        sendBufferSize = s.tcpWmem.default
        receiveBufferSize = s.tcpRmem.default
        congestionAlgorithm = stack.defaultCongestionAlgorithm()
        reordering = UInt32(max(1, s.tcpReordering))
    }

    var isIPv6: Bool { family == 10 }

    /// The four-tuple once both ends are known.
    var tuple: FourTuple? {
        guard let l = localAddress, let r = remoteAddress else { return nil }
        return FourTuple(local: TCPEndpoint(l, localPort), remote: TCPEndpoint(r, remotePort))
    }

    /// Bytes the application can read now.
    var readableBytes: Int { Int(copiedSeq.distance(to: rcvNxt)) - (finReceived ? 1 : 0) }

    /// Records sent and not yet acknowledged.
    var unackedCount: Int { sendHead }
}

/// The part of a socket most connections never change: socket options left
/// at their defaults, a listener's queues, and what only loss, reordering or
/// a retransmission timeout fill in (the out-of-order queue, the SACK blocks
/// we send, the RTO history of tcp_info). A million idle connections would
/// otherwise carry ~200 bytes each of it; the socket allocates this the
/// first time one of them gets a value other than its default, and the
/// accessors of the same names on `TCPSocket` read the defaults until then.
final class SocketRareState {
    var userMSS: Int = 0  // TCP_MAXSEG
    var keepaliveTime: Int64 = 0  // us; 0: sysctl
    var keepaliveInterval: Int64 = 0
    var keepaliveProbes: Int = 0
    var linger2: Int64 = 0  // us; 0: sysctl; < 0: reset
    var userTimeout: Int64 = 0  // us
    var receiveLowat: Int = 1
    var notsentLowat: Int = 0  // 0: sysctl
    var deferAcceptSeconds: Int = 0
    var synRetriesOption: Int = 0
    var windowClampOption: Int = 0
    var receiveTimeout: Int64 = 0  // SO_RCVTIMEO, us; 0: forever
    var sendTimeout: Int64 = 0
    var maxPacingRate: UInt64 = .max
    /// The cookie the next SYN carries (nil: a cookie request).
    var fastOpenCookie: [UInt8]? = nil
    var lingerSeconds: Int32 = 0
    var priority: Int32 = 0
    var timestampingFlags: UInt32 = 0
    var backlog: Int = 0
    var acceptQueue: [TCPSocket] = []
    var synQueue = TupleMap<RequestSock>()
    var epollWatchers: [ObjectIdentifier: EpollInstance] = [:]
    var lingerOn: Bool = false
    var thinLinearTimeouts: Bool = false
    var oobInline: Bool = false
    var broadcast: Bool = false
    var recvErr: Bool = false
    /// TCP_FASTOPEN_CONNECT.
    var fastOpenConnect: Bool = false
    /// A Fast Open attempt in progress (tp->fastopen_req): the SYN carries the option.
    var fastOpenRequest: Bool = false
    /// connect() was deferred until the first write (DEFER_CONNECT).
    var deferConnect: Bool = false
    var quickAckRequested: Bool = false
    // Loss, reordering and RTO history: untouched while nothing is lost.
    var rtoStamp: Int64 = 0
    var totalRTOTime: UInt32 = 0
    var totalRTO: UInt16 = 0
    var totalRTORecoveries: UInt16 = 0
    var outOfOrder: [OutOfOrderSegment] = []
    var selectiveAcks: [(start: SequenceNumber, end: SequenceNumber)] = []
    var rcvOOOPackets: UInt32 = 0
    var duplicateSack: (start: SequenceNumber, end: SequenceNumber)? = nil
}

extension TCPSocket {
    /// The rare state, allocated on first use.
    func rareState() -> SocketRareState {
        if let rare { return rare }
        let made = SocketRareState()
        rare = made
        return made
    }

    var userMSS: Int {
        get { rare?.userMSS ?? 0 }
        set { if let rare { rare.userMSS = newValue } else if newValue != 0 { rareState().userMSS = newValue } }
    }

    var keepaliveTime: Int64 {
        get { rare?.keepaliveTime ?? 0 }
        set { if let rare { rare.keepaliveTime = newValue } else if newValue != 0 { rareState().keepaliveTime = newValue } }
    }

    var keepaliveInterval: Int64 {
        get { rare?.keepaliveInterval ?? 0 }
        set { if let rare { rare.keepaliveInterval = newValue } else if newValue != 0 { rareState().keepaliveInterval = newValue } }
    }

    var keepaliveProbes: Int {
        get { rare?.keepaliveProbes ?? 0 }
        set { if let rare { rare.keepaliveProbes = newValue } else if newValue != 0 { rareState().keepaliveProbes = newValue } }
    }

    var linger2: Int64 {
        get { rare?.linger2 ?? 0 }
        set { if let rare { rare.linger2 = newValue } else if newValue != 0 { rareState().linger2 = newValue } }
    }

    var userTimeout: Int64 {
        get { rare?.userTimeout ?? 0 }
        set { if let rare { rare.userTimeout = newValue } else if newValue != 0 { rareState().userTimeout = newValue } }
    }

    var receiveLowat: Int {
        get { rare?.receiveLowat ?? 1 }
        set { if let rare { rare.receiveLowat = newValue } else if newValue != 1 { rareState().receiveLowat = newValue } }
    }

    var notsentLowat: Int {
        get { rare?.notsentLowat ?? 0 }
        set { if let rare { rare.notsentLowat = newValue } else if newValue != 0 { rareState().notsentLowat = newValue } }
    }

    var deferAcceptSeconds: Int {
        get { rare?.deferAcceptSeconds ?? 0 }
        set { if let rare { rare.deferAcceptSeconds = newValue } else if newValue != 0 { rareState().deferAcceptSeconds = newValue } }
    }

    var synRetriesOption: Int {
        get { rare?.synRetriesOption ?? 0 }
        set { if let rare { rare.synRetriesOption = newValue } else if newValue != 0 { rareState().synRetriesOption = newValue } }
    }

    var windowClampOption: Int {
        get { rare?.windowClampOption ?? 0 }
        set { if let rare { rare.windowClampOption = newValue } else if newValue != 0 { rareState().windowClampOption = newValue } }
    }

    var receiveTimeout: Int64 {
        get { rare?.receiveTimeout ?? 0 }
        set { if let rare { rare.receiveTimeout = newValue } else if newValue != 0 { rareState().receiveTimeout = newValue } }
    }

    var sendTimeout: Int64 {
        get { rare?.sendTimeout ?? 0 }
        set { if let rare { rare.sendTimeout = newValue } else if newValue != 0 { rareState().sendTimeout = newValue } }
    }

    var maxPacingRate: UInt64 {
        get { rare?.maxPacingRate ?? .max }
        set { if let rare { rare.maxPacingRate = newValue } else if newValue != .max { rareState().maxPacingRate = newValue } }
    }

    /// The cookie the next SYN carries (nil: a cookie request).
    var fastOpenCookie: [UInt8]? {
        get { rare?.fastOpenCookie ?? nil }
        set { if let rare { rare.fastOpenCookie = newValue } else if newValue != nil { rareState().fastOpenCookie = newValue } }
    }

    var lingerSeconds: Int32 {
        get { rare?.lingerSeconds ?? 0 }
        set { if let rare { rare.lingerSeconds = newValue } else if newValue != 0 { rareState().lingerSeconds = newValue } }
    }

    var priority: Int32 {
        get { rare?.priority ?? 0 }
        set { if let rare { rare.priority = newValue } else if newValue != 0 { rareState().priority = newValue } }
    }

    var timestampingFlags: UInt32 {
        get { rare?.timestampingFlags ?? 0 }
        set { if let rare { rare.timestampingFlags = newValue } else if newValue != 0 { rareState().timestampingFlags = newValue } }
    }

    var backlog: Int {
        get { rare?.backlog ?? 0 }
        set { if let rare { rare.backlog = newValue } else if newValue != 0 { rareState().backlog = newValue } }
    }

    var acceptQueue: [TCPSocket] {
        get { rare?.acceptQueue ?? [] }
        _modify {
            if let rare {
                yield &rare.acceptQueue
            } else {
                var value: [TCPSocket] = []
                yield &value
                if !value.isEmpty { rareState().acceptQueue = value }
            }
        }
    }

    var synQueue: TupleMap<RequestSock> {
        get { rare?.synQueue ?? TupleMap() }
        _modify {
            if let rare {
                yield &rare.synQueue
            } else {
                var value = TupleMap<RequestSock>()
                yield &value
                if !value.isEmpty { rareState().synQueue = value }
            }
        }
    }

    /// Whether any epoll instance watches this socket (no dictionary is built to ask).
    var hasEpollWatchers: Bool {
        guard let rare else { return false }
        return !rare.epollWatchers.isEmpty
    }

    var epollWatchers: [ObjectIdentifier: EpollInstance] {
        get { rare?.epollWatchers ?? [:] }
        _modify {
            if let rare {
                yield &rare.epollWatchers
            } else {
                var value: [ObjectIdentifier: EpollInstance] = [:]
                yield &value
                if !value.isEmpty { rareState().epollWatchers = value }
            }
        }
    }

    var lingerOn: Bool {
        get { rare?.lingerOn ?? false }
        set { if let rare { rare.lingerOn = newValue } else if newValue != false { rareState().lingerOn = newValue } }
    }

    var thinLinearTimeouts: Bool {
        get { rare?.thinLinearTimeouts ?? false }
        set { if let rare { rare.thinLinearTimeouts = newValue } else if newValue != false { rareState().thinLinearTimeouts = newValue } }
    }

    var oobInline: Bool {
        get { rare?.oobInline ?? false }
        set { if let rare { rare.oobInline = newValue } else if newValue != false { rareState().oobInline = newValue } }
    }

    var broadcast: Bool {
        get { rare?.broadcast ?? false }
        set { if let rare { rare.broadcast = newValue } else if newValue != false { rareState().broadcast = newValue } }
    }

    var recvErr: Bool {
        get { rare?.recvErr ?? false }
        set { if let rare { rare.recvErr = newValue } else if newValue != false { rareState().recvErr = newValue } }
    }

    /// TCP_FASTOPEN_CONNECT.
    var fastOpenConnect: Bool {
        get { rare?.fastOpenConnect ?? false }
        set { if let rare { rare.fastOpenConnect = newValue } else if newValue != false { rareState().fastOpenConnect = newValue } }
    }

    /// A Fast Open attempt in progress (tp->fastopen_req): the SYN carries the option.
    var fastOpenRequest: Bool {
        get { rare?.fastOpenRequest ?? false }
        set { if let rare { rare.fastOpenRequest = newValue } else if newValue != false { rareState().fastOpenRequest = newValue } }
    }

    /// connect() was deferred until the first write (DEFER_CONNECT).
    var deferConnect: Bool {
        get { rare?.deferConnect ?? false }
        set { if let rare { rare.deferConnect = newValue } else if newValue != false { rareState().deferConnect = newValue } }
    }

    var quickAckRequested: Bool {
        get { rare?.quickAckRequested ?? false }
        set { if let rare { rare.quickAckRequested = newValue } else if newValue != false { rareState().quickAckRequested = newValue } }
    }

    var rtoStamp: Int64 {
        get { rare?.rtoStamp ?? 0 }
        set { if let rare { rare.rtoStamp = newValue } else if newValue != 0 { rareState().rtoStamp = newValue } }
    }

    var totalRTOTime: UInt32 {
        get { rare?.totalRTOTime ?? 0 }
        set { if let rare { rare.totalRTOTime = newValue } else if newValue != 0 { rareState().totalRTOTime = newValue } }
    }

    var totalRTO: UInt16 {
        get { rare?.totalRTO ?? 0 }
        set { if let rare { rare.totalRTO = newValue } else if newValue != 0 { rareState().totalRTO = newValue } }
    }

    var totalRTORecoveries: UInt16 {
        get { rare?.totalRTORecoveries ?? 0 }
        set { if let rare { rare.totalRTORecoveries = newValue } else if newValue != 0 { rareState().totalRTORecoveries = newValue } }
    }

    var outOfOrder: [OutOfOrderSegment] {
        get { rare?.outOfOrder ?? [] }
        _modify {
            if let rare {
                yield &rare.outOfOrder
            } else {
                var value: [OutOfOrderSegment] = []
                yield &value
                if !value.isEmpty { rareState().outOfOrder = value }
            }
        }
    }

    var selectiveAcks: [(start: SequenceNumber, end: SequenceNumber)] {
        get { rare?.selectiveAcks ?? [] }
        _modify {
            if let rare {
                yield &rare.selectiveAcks
            } else {
                var value: [(start: SequenceNumber, end: SequenceNumber)] = []
                yield &value
                if !value.isEmpty { rareState().selectiveAcks = value }
            }
        }
    }

    var rcvOOOPackets: UInt32 {
        get { rare?.rcvOOOPackets ?? 0 }
        set { if let rare { rare.rcvOOOPackets = newValue } else if newValue != 0 { rareState().rcvOOOPackets = newValue } }
    }

    var duplicateSack: (start: SequenceNumber, end: SequenceNumber)? {
        get { rare?.duplicateSack ?? nil }
        set { if let rare { rare.duplicateSack = newValue } else if newValue != nil { rareState().duplicateSack = newValue } }
    }

}

/// Counts and sizes Linux keeps in 32 bits (or fewer) are stored in 32 bits
/// here too, and read as Int.
extension TCPSocket {
    var mssCache: Int {
        get { Int(storedMssCache) }
        set { storedMssCache = Int32(truncatingIfNeeded: newValue) }
    }

    var advmss: Int {
        get { Int(storedAdvmss) }
        set { storedAdvmss = Int32(truncatingIfNeeded: newValue) }
    }

    var mssClamp: Int {
        get { Int(storedMssClamp) }
        set { storedMssClamp = Int32(truncatingIfNeeded: newValue) }
    }

    var userMSSClamp: Int {
        get { Int(storedUserMSSClamp) }
        set { storedUserMSSClamp = Int32(truncatingIfNeeded: newValue) }
    }

    var backoff: Int {
        get { Int(storedBackoff) }
        set { storedBackoff = Int32(truncatingIfNeeded: newValue) }
    }

    var retransmits: Int {
        get { Int(storedRetransmits) }
        set { storedRetransmits = Int32(truncatingIfNeeded: newValue) }
    }

    var probesOut: Int {
        get { Int(storedProbesOut) }
        set { storedProbesOut = Int32(truncatingIfNeeded: newValue) }
    }

    var synRetransmits: Int {
        get { Int(storedSynRetransmits) }
        set { storedSynRetransmits = Int32(truncatingIfNeeded: newValue) }
    }

    var scalingRatio: Int {
        get { Int(storedScalingRatio) }
        set { storedScalingRatio = Int32(truncatingIfNeeded: newValue) }
    }

    var compressedAck: Int {
        get { Int(storedCompressedAck) }
        set { storedCompressedAck = Int32(truncatingIfNeeded: newValue) }
    }

    var ackLastSegSize: Int {
        get { Int(storedAckLastSegSize) }
        set { storedAckLastSegSize = Int32(truncatingIfNeeded: newValue) }
    }

    var ackRcvMss: Int {
        get { Int(storedAckRcvMss) }
        set { storedAckRcvMss = Int32(truncatingIfNeeded: newValue) }
    }

}

/// The socket's flags, one bit each of `packedFlags` (a byte apiece would
/// cost every connection ~40 bytes).
extension TCPSocket {
    private func flag(_ bit: UInt64) -> Bool { packedFlags & bit != 0 }
    private func setFlag(_ bit: UInt64, _ on: Bool) {
        if on { packedFlags |= bit } else { packedFlags &= ~bit }
    }

    var ipv6Only: Bool {
        get { flag(1 << 0) }
        set { setFlag(1 << 0, newValue) }
    }
    var isBound: Bool {
        get { flag(1 << 1) }
        set { setFlag(1 << 1, newValue) }
    }
    var explicitlyBound: Bool {
        get { flag(1 << 2) }
        set { setFlag(1 << 2, newValue) }
    }
    var portFromConnect: Bool {
        get { flag(1 << 3) }
        set { setFlag(1 << 3, newValue) }
    }
    var bindAddressWasAny: Bool {
        get { flag(1 << 4) }
        set { setFlag(1 << 4, newValue) }
    }
    var inEstablishedTable: Bool {
        get { flag(1 << 5) }
        set { setFlag(1 << 5, newValue) }
    }
    var isOrphan: Bool {
        get { flag(1 << 6) }
        set { setFlag(1 << 6, newValue) }
    }
    var sockDone: Bool {
        get { flag(1 << 7) }
        set { setFlag(1 << 7, newValue) }
    }
    var hasFile: Bool {
        get { flag(1 << 8) }
        set { setFlag(1 << 8, newValue) }
    }
    var isDestroyed: Bool {
        get { flag(1 << 9) }
        set { setFlag(1 << 9, newValue) }
    }
    var reuseAddress: Bool {
        get { flag(1 << 10) }
        set { setFlag(1 << 10, newValue) }
    }
    var reusePort: Bool {
        get { flag(1 << 11) }
        set { setFlag(1 << 11, newValue) }
    }
    var keepaliveEnabled: Bool {
        get { flag(1 << 12) }
        set { setFlag(1 << 12, newValue) }
    }
    var noDelay: Bool {
        get { flag(1 << 13) }
        set { setFlag(1 << 13, newValue) }
    }
    var nonaglePush: Bool {
        get { flag(1 << 14) }
        set { setFlag(1 << 14, newValue) }
    }
    var cork: Bool {
        get { flag(1 << 15) }
        set { setFlag(1 << 15, newValue) }
    }
    var sendBufferLocked: Bool {
        get { flag(1 << 16) }
        set { setFlag(1 << 16, newValue) }
    }
    var receiveBufferLocked: Bool {
        get { flag(1 << 17) }
        set { setFlag(1 << 17, newValue) }
    }
    var noSpace: Bool {
        get { flag(1 << 18) }
        set { setFlag(1 << 18, newValue) }
    }
    var smallQueueThrottled: Bool {
        get { flag(1 << 19) }
        set { setFlag(1 << 19, newValue) }
    }
    var inqEnabled: Bool {
        get { flag(1 << 20) }
        set { setFlag(1 << 20, newValue) }
    }
    var inAcceptQueue: Bool {
        get { flag(1 << 21) }
        set { setFlag(1 << 21, newValue) }
    }
    var finQueued: Bool {
        get { flag(1 << 22) }
        set { setFlag(1 << 22, newValue) }
    }
    var timestampOK: Bool {
        get { flag(1 << 23) }
        set { setFlag(1 << 23, newValue) }
    }
    var sackOK: Bool {
        get { flag(1 << 24) }
        set { setFlag(1 << 24, newValue) }
    }
    var wscaleOK: Bool {
        get { flag(1 << 25) }
        set { setFlag(1 << 25, newValue) }
    }
    var sawTimestamp: Bool {
        get { flag(1 << 26) }
        set { setFlag(1 << 26, newValue) }
    }
    var dsackOK: Bool {
        get { flag(1 << 27) }
        set { setFlag(1 << 27, newValue) }
    }
    var ecnOK: Bool {
        get { flag(1 << 28) }
        set { setFlag(1 << 28, newValue) }
    }
    var undoMarkerValid: Bool {
        get { flag(1 << 29) }
        set { setFlag(1 << 29, newValue) }
    }
    var rateAppLimited: Bool {
        get { flag(1 << 30) }
        set { setFlag(1 << 30, newValue) }
    }
    var isCwndLimited: Bool {
        get { flag(1 << 31) }
        set { setFlag(1 << 31, newValue) }
    }
    var tlpHighSeqSet: Bool {
        get { flag(1 << 32) }
        set { setFlag(1 << 32, newValue) }
    }
    var tlpRetrans: Bool {
        get { flag(1 << 33) }
        set { setFlag(1 << 33, newValue) }
    }
    var frtoActive: Bool {
        get { flag(1 << 34) }
        set { setFlag(1 << 34, newValue) }
    }
    var isSackReneg: Bool {
        get { flag(1 << 35) }
        set { setFlag(1 << 35, newValue) }
    }
    var receivedCE: Bool {
        get { flag(1 << 36) }
        set { setFlag(1 << 36, newValue) }
    }
    var urgData: Bool {
        get { flag(1 << 37) }
        set { setFlag(1 << 37, newValue) }
    }
    var finReceived: Bool {
        get { flag(1 << 38) }
        set { setFlag(1 << 38, newValue) }
    }
}

/// Timer handles stored in 8 bytes (no handle: all ones, a slot no wheel
/// reaches) instead of an Optional's 12, and the port-list index in 32 bits.
extension TCPSocket {
    private static func unpack(_ bits: UInt64) -> TimerHandle? {
        bits == .max ? nil : TimerHandle(slot: UInt32(truncatingIfNeeded: bits >> 32), generation: UInt32(truncatingIfNeeded: bits))
    }

    private static func pack(_ handle: TimerHandle?) -> UInt64 {
        guard let handle else { return .max }
        return UInt64(handle.slot) << 32 | UInt64(handle.generation)
    }

    var pacingTimer: TimerHandle? {
        get { Self.unpack(storedPacingTimer) }
        set { storedPacingTimer = Self.pack(newValue) }
    }

    var retransmitTimer: TimerHandle? {
        get { Self.unpack(storedRetransmitTimer) }
        set { storedRetransmitTimer = Self.pack(newValue) }
    }

    var delackTimer: TimerHandle? {
        get { Self.unpack(storedDelackTimer) }
        set { storedDelackTimer = Self.pack(newValue) }
    }

    var keepaliveTimer: TimerHandle? {
        get { Self.unpack(storedKeepaliveTimer) }
        set { storedKeepaliveTimer = Self.pack(newValue) }
    }

    var boundIndex: Int {
        get { Int(storedBoundIndex) }
        set { storedBoundIndex = Int32(truncatingIfNeeded: newValue) }
    }
}

/// ICSK_ACK_* bits.
enum AckPendingBits {
    static let sched: UInt8 = 1
    static let timer: UInt8 = 2
    static let pushed: UInt8 = 4
    static let pushed2: UInt8 = 8
    static let now: UInt8 = 16
    static let nomem: UInt8 = 32
}

/// tcp_sock.rcvq_space: the receive-buffer autotuning state.
struct ReceiveSpace {
    var space: Int = 0
    var seq = SequenceNumber(0)
    var time: Int64 = 0
}

/// tcp_sock.rcv_rtt_est.
struct ReceiveRTT {
    var rttUs: UInt32 = 0
    var seq = SequenceNumber(0)
    var time: Int64 = 0
}

/// tcp_sock.chrono_stat: milliseconds spent busy, rwnd-limited and
/// sndbuf-limited, indexed by `Chrono.rawValue - 1`. Three fields in the socket
/// rather than an array: no allocation per connection.
struct ChronoStats {
    private var busy: Int64 = 0
    private var rwndLimited: Int64 = 0
    private var sndbufLimited: Int64 = 0

    subscript(index: Int) -> Int64 {
        get { index == 0 ? busy : index == 1 ? rwndLimited : sndbufLimited }
        set {
            switch index {
            case 0: busy = newValue
            case 1: rwndLimited = newValue
            default: sndbufLimited = newValue
            }
        }
    }
}

/// The three samples of a windowed minimum, stored in place (no allocation per connection).
struct MinRTTSamples {
    private var first: (time: Int64, value: UInt32)
    private var second: (time: Int64, value: UInt32)
    private var third: (time: Int64, value: UInt32)

    init(repeating sample: (time: Int64, value: UInt32)) {
        first = sample
        second = sample
        third = sample
    }

    subscript(index: Int) -> (time: Int64, value: UInt32) {
        get { index == 0 ? first : index == 1 ? second : third }
        set {
            switch index {
            case 0: first = newValue
            case 1: second = newValue
            default: third = newValue
            }
        }
    }
}

/// A windowed minimum of RTT samples (lib/win_minmax.c), kept for `min_rtt`.
struct MinRTTFilter {
    var samples = MinRTTSamples(repeating: (0, .max))

    var value: UInt32 { samples[0].value }

    /// Mirrors minmax_running_min.
    mutating func update(window: Int64, time: Int64, value: UInt32) {
        if value <= samples[0].value || time - samples[2].time > window {
            samples = MinRTTSamples(repeating: (time, value))
            return
        }
        if value <= samples[1].value {
            samples[1] = (time, value)
            samples[2] = (time, value)
        } else if value <= samples[2].value {
            samples[2] = (time, value)
        }
        let dt = time - samples[0].time
        if dt > window {
            samples[0] = samples[1]
            samples[1] = samples[2]
            samples[2] = (time, value)
            if time - samples[0].time > window {
                samples[0] = samples[1]
                samples[1] = samples[2]
                samples[2] = (time, value)
            }
        } else if samples[1].time == samples[0].time, dt > window / 4 {
            samples[1] = (time, value)
            samples[2] = (time, value)
        } else if samples[2].time == samples[1].time, dt > window / 2 {
            samples[2] = (time, value)
        }
    }
}

/// RACK loss-detection state (tcp_sock.rack).
struct RACKState {
    var mstamp: Int64 = 0  // tx time of the most recently delivered record
    var rttUs: UInt32 = 0
    var endSeq = SequenceNumber(0)
    var lastDeliveredSeq = SequenceNumber(0)
    var reoWndSteps: UInt8 = 1
    var reoWndPersist: UInt8 = 0
    var dsackSeen = false
    var advanced = false
}

/// What undo needs (undo_marker etc. beyond the socket fields).
struct UndoState {
    var retransStampAtEntry: Int64 = 0
}
