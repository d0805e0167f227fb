public import LingerWire

/// The timer `ss -o` shows for a socket (inet_diag's idiag_timer): which one is
/// running, when it fires and how many retransmissions or probes it has made.
public struct SocketTimerSnapshot: Sendable, Hashable {
    /// Which timer is running, named as `ss` names it.
    public enum Kind: String, Sendable, Hashable {
        /// The retransmission timer, also armed for loss probes and RACK's
        /// reordering timeout (`on`).
        case retransmission = "on"
        /// The socket's keepalive timer (`keepalive`); an orphaned FIN_WAIT2
        /// socket with a long linger2 waits on it too, and so does a socket
        /// that has sent keepalive probes.
        case keepalive = "keepalive"
        /// A time-wait entry's lifetime, TIME_WAIT or a short FIN_WAIT2 (`timewait`).
        case timeWait = "timewait"
        /// The zero-window probe timer (`persist`).
        case zeroWindowProbe = "persist"
    }

    /// Which timer.
    public var kind: Kind
    /// Microseconds until it fires (never negative).
    public var remaining: Int64
    /// Retransmissions so far for `.retransmission` (icsk_retransmits, or the
    /// SYN-ACK count of a request), probes sent for `.keepalive` and
    /// `.zeroWindowProbe` (icsk_probes_out), 0 for `.timeWait`.
    public var count: Int

    /// Creates a timer description.
    public init(kind: Kind, remaining: Int64, count: Int) {
        self.kind = kind
        self.remaining = remaining
        self.count = count
    }
}

/// One row of the socket table: a full socket, a pending connection request
/// (SYN_RECV) or a compact time-wait entry, as `ss -tanoi` would list it.
public struct SocketSnapshot: Sendable, Hashable {
    /// What kind of object the row stands for.
    public enum Kind: Sendable, Hashable {
        /// A full socket (struct tcp_sock).
        case full
        /// A connection request waiting in a listener's SYN queue (request_sock).
        case request
        /// A compact time-wait entry (inet_timewait_sock) in TIME_WAIT or FIN_WAIT2.
        case timeWait
    }

    /// What kind of object this is.
    public var kind: Kind
    /// The TCP state.
    public var state: TCPState
    /// Local address and port; the address is nil for a wildcard bind.
    public var local: TCPEndpoint?
    /// The local port (also set when `local` is nil).
    public var localPort: UInt16
    /// The peer's address and port; nil when not connected.
    public var remote: TCPEndpoint?
    /// Recv-Q: bytes received and not yet read, or for a listener the
    /// connections waiting to be accepted.
    public var receiveQueue: Int
    /// Send-Q: bytes written and not yet acknowledged, or for a listener its
    /// accept backlog.
    public var sendQueue: Int
    /// The running timer `ss -o` shows, if any.
    public var timer: SocketTimerSnapshot?
    /// Whether no process holds the socket any more (closed, still running).
    public var isOrphan: Bool
    /// The congestion control algorithm of a full socket.
    public var congestionControl: String?
    /// struct tcp_info in Linux's layout (LingerRun's ``TCPInfoLayout`` decodes
    /// it), for full sockets.
    public var tcpInfo: [UInt8]?
    /// The stack's id of the socket (Linux shows an inode number and a cookie);
    /// a time-wait entry keeps the id of the socket it replaced, as Linux's keeps
    /// its cookie; a request's is the time its SYN arrived.
    public var identifier: UInt64
    /// Whether the socket is AF_INET6 (an IPv4 address of such a socket is shown
    /// v4-mapped, and the row is listed with the IPv6 sockets).
    public var isIPv6: Bool
    /// IPV6_V6ONLY (sk_ipv6only) of an AF_INET6 socket.
    public var ipv6Only: Bool
    /// sk_shutdown's RCV_SHUTDOWN bit: no more data will be received.
    public var receiveShutdown: Bool
    /// sk_shutdown's SEND_SHUTDOWN bit: no more data will be sent.
    public var sendShutdown: Bool

    /// Creates a row.
    public init(
        kind: Kind, state: TCPState, local: TCPEndpoint?, localPort: UInt16, remote: TCPEndpoint?,
        receiveQueue: Int = 0, sendQueue: Int = 0, timer: SocketTimerSnapshot? = nil, isOrphan: Bool = false,
        congestionControl: String? = nil, tcpInfo: [UInt8]? = nil, identifier: UInt64 = 0,
        isIPv6: Bool = false, ipv6Only: Bool = false, receiveShutdown: Bool = false, sendShutdown: Bool = false
    ) {
        self.kind = kind
        self.state = state
        self.local = local
        self.localPort = localPort
        self.remote = remote
        self.receiveQueue = receiveQueue
        self.sendQueue = sendQueue
        self.timer = timer
        self.isOrphan = isOrphan
        self.congestionControl = congestionControl
        self.tcpInfo = tcpInfo
        self.identifier = identifier
        self.isIPv6 = isIPv6
        self.ipv6Only = ipv6Only
        self.receiveShutdown = receiveShutdown
        self.sendShutdown = sendShutdown
    }
}

/// Everything an inspection tool needs at one instant: the socket table and the counters.
public struct StackSnapshot: Sendable {
    /// The stack's clock, microseconds.
    public var time: Int64
    /// Listeners first, then the other sockets, requests and time-wait entries
    /// in the order they were created.
    public var sockets: [SocketSnapshot]
    /// The nstat counters.
    public var counters: Counters
    /// Orphaned sockets alive (what tcp_max_orphans limits).
    public var orphanCount: Int
    /// Time-wait entries alive (what tcp_max_tw_buckets limits).
    public var timeWaitCount: Int

    /// Creates a snapshot.
    public init(time: Int64, sockets: [SocketSnapshot], counters: Counters = Counters(), orphanCount: Int = 0,
                timeWaitCount: Int = 0) {
        self.time = time
        self.sockets = sockets
        self.counters = counters
        self.orphanCount = orphanCount
        self.timeWaitCount = timeWaitCount
    }
}

extension NetworkStack {
    /// A snapshot of every socket, pending request and time-wait entry, with the
    /// counters, for `ss` and `nstat` style views. It reads; it changes nothing.
    public func snapshot() -> StackSnapshot {
        var rows: [(order: UInt64, row: SocketSnapshot)] = []
        var seen = Set<ObjectIdentifier>()
        var listenerRows: [(order: UInt64, row: SocketSnapshot)] = []
        for group in listeners.nonEmptyLists {
            for listener in group where seen.insert(ObjectIdentifier(listener)).inserted {
                listenerRows.append((listener.id, fullSocketRow(listener)))
                for (tuple, request) in listener.synQueue {
                    rows.append((listener.id, requestRow(tuple: tuple, request: request, listener: listener)))
                }
            }
        }
        for socket in established.allSockets where seen.insert(ObjectIdentifier(socket)).inserted {
            rows.append((socket.id, fullSocketRow(socket)))
        }
        timeWait.forEach { tuple, entry in
            // An entry has no id of its own; it sorts after every live socket.
            rows.append((UInt64.max, timeWaitRow(tuple: tuple, entry: entry)))
        }
        listenerRows.sort { $0.order < $1.order }
        rows.sort { a, b in
            if a.order != b.order { return a.order < b.order }
            // Time-wait entries among themselves: by when they were made.
            return a.row.identifier < b.row.identifier
        }
        return StackSnapshot(
            time: now, sockets: listenerRows.map(\.row) + rows.map(\.row), counters: counters,
            orphanCount: orphanCount, timeWaitCount: timeWait.count)
    }

    private func fullSocketRow(_ sk: TCPSocket) -> SocketSnapshot {
        let isListener = sk.state == .listen
        var receiveQueue = 0
        var sendQueue = 0
        if isListener {
            receiveQueue = sk.acceptQueue.count
            sendQueue = sk.maxAckBacklog
        } else {
            receiveQueue = max(0, Int(sk.copiedSeq.distance(to: sk.rcvNxt)))
            sendQueue = max(0, Int(sk.sndUna.distance(to: sk.writeSeq)))
        }
        return SocketSnapshot(
            kind: .full, state: sk.state,
            local: sk.localAddress.map { TCPEndpoint($0, sk.localPort) },
            localPort: sk.localPort,
            remote: sk.remoteAddress.map { TCPEndpoint($0, sk.remotePort) },
            receiveQueue: receiveQueue, sendQueue: sendQueue, timer: timerRow(sk),
            isOrphan: sk.isOrphan, congestionControl: sk.congestionAlgorithm.rawValue,
            tcpInfo: sk.tcpInfo(), identifier: sk.id, isIPv6: sk.isIPv6, ipv6Only: sk.ipv6Only,
            receiveShutdown: sk.shutdownMask.contains(.receive), sendShutdown: sk.shutdownMask.contains(.send))
    }

    /// inet_diag's choice: the retransmission timer's kinds first, then the
    /// zero-window probe, then the keepalive timer (sk_timer).
    private func timerRow(_ sk: TCPSocket) -> SocketTimerSnapshot? {
        switch sk.pending {
        case .retrans, .reorder, .lossProbe:
            return SocketTimerSnapshot(
                kind: .retransmission, remaining: max(0, sk.timeoutAt - now), count: sk.retransmits)
        case .probe0:
            return SocketTimerSnapshot(
                kind: .zeroWindowProbe, remaining: max(0, sk.timeoutAt - now), count: sk.probesOut)
        case .none:
            guard let handle = sk.keepaliveTimer, let deadline = timers.deadline(of: handle) else { return nil }
            return SocketTimerSnapshot(kind: .keepalive, remaining: max(0, deadline - now), count: sk.probesOut)
        }
    }

    private func requestRow(tuple: FourTuple, request: RequestSock, listener: TCPSocket) -> SocketSnapshot {
        var timer: SocketTimerSnapshot?
        if let handle = request.timer, let deadline = timers.deadline(of: handle) {
            timer = SocketTimerSnapshot(kind: .retransmission, remaining: max(0, deadline - now), count: request.retransmits)
        }
        return SocketSnapshot(
            kind: .request, state: .synReceived, local: tuple.local, localPort: tuple.local.port,
            remote: tuple.remote, receiveQueue: 0, sendQueue: 0, timer: timer, isOrphan: false,
            congestionControl: nil, tcpInfo: nil, identifier: UInt64(bitPattern: request.synTime),
            isIPv6: listener.isIPv6, ipv6Only: listener.ipv6Only)
    }

    private func timeWaitRow(tuple: FourTuple, entry: TimeWaitEntry) -> SocketSnapshot {
        SocketSnapshot(
            kind: .timeWait, state: entry.isFinWait2 ? .finWait2 : .timeWait,
            local: tuple.local, localPort: tuple.local.port, remote: tuple.remote,
            receiveQueue: 0, sendQueue: 0,
            timer: SocketTimerSnapshot(kind: .timeWait, remaining: max(0, entry.deadline - now),
                                       count: 0),
            isOrphan: false, congestionControl: nil, tcpInfo: nil,
            identifier: UInt64(entry.entryStamp), isIPv6: entry.flags.contains(.ipv6Family))
    }
}

extension NetworkStack {
    /// How many time-wait entries (TIME_WAIT, and FIN_WAIT2 after an orphaned
    /// close) the stack holds: a count, without building snapshots.
    public var timeWaitEntryCount: Int { timeWait.count }

    /// How many full sockets the established hash holds (every state from
    /// SYN_RECV-accepted to LAST_ACK that has a 4-tuple).
    public var establishedHashCount: Int { established.count }
}

extension NetworkStack {
    /// How many timers are armed (every socket's, every time-wait entry's, the queue's).
    public var armedTimerCount: Int { timers.count + timeWait.count }
}
