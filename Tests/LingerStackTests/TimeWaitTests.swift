import LingerRun
import LingerWire
import Testing

@testable import LingerStack

/// Time-wait rules the scripts in Tests/Scripts cannot reach (other local or
/// remote addresses, loopback, bind to port 0, a bare SYN's reset) and the
/// entry's size. Each expectation was checked on Linux 6.18 (the port and bind
/// cases with a small program over loopback in a private namespace) or comes
/// from the kernel function named beside it.
@Suite struct TimeWaitTests {
    /// A client connection to `remote`:8080 from the stack, closed by us first and
    /// finished by the peer's FIN: a TIME_WAIT entry. Returns the local port and
    /// the stack's ISN.
    private func clientIntoTimeWait(_ h: StackHarness, to remote: IPv4Address, timestamps: Bool = false,
                                    socketOption: Int32? = nil,
                                    sourceLocation: SourceLocation = #_sourceLocation) throws -> (port: UInt16, iss: UInt32) {
        let fd = Int32(h.call(.socket(domain: h.family, type: 1, protocol: 6)).value)
        if let socketOption {
            h.call(.setsockopt(fd: fd, level: LinuxNumbers.SOL_SOCKET, name: socketOption, value: h.int(1), length: 4))
        }
        h.call(.fcntl(fd: fd, command: LinuxNumbers.F_SETFL, argument: Int64(LinuxNumbers.O_RDWR | LinuxNumbers.O_NONBLOCK)))
        #expect(h.call(.connect(fd: fd, address: .ipv4(remote, port: 8080), length: 16)).errno == LinuxNumbers.EINPROGRESS,
                sourceLocation: sourceLocation)
        let syn = try #require(h.packet()?.tcp, sourceLocation: sourceLocation)
        let port = syn.sourcePort
        let iss = syn.sequenceNumber.rawValue
        var peerTS: UInt32 = 5000
        func peer(_ flags: TCPFlags, seq: UInt32, ack: UInt32) {
            var options: [TCPOption] = flags.contains(.syn) ? [.maximumSegmentSize(1460)] : []
            if timestamps {
                peerTS += 100
                options += [.noOperation, .noOperation, .timestamps(value: peerTS, echoReply: 0)]
            }
            h.stack.receive(Packet.tcp(from: .v4(remote), 8080, to: h.local, port, flags: flags, seq: seq, ack: ack,
                                       window: 65535, options: options).serialize())
        }
        peer([.syn, .ack], seq: 7000, ack: iss &+ 1)
        _ = h.packet()
        #expect(h.call(.close(fd: fd)).value == 0, sourceLocation: sourceLocation)
        #expect(h.packet()?.tcp?.flags == [.fin, .ack], sourceLocation: sourceLocation)
        peer([.ack], seq: 7001, ack: iss &+ 2)
        peer([.fin, .ack], seq: 7001, ack: iss &+ 2)
        #expect(h.packet()?.tcp?.flags == [.ack], sourceLocation: sourceLocation)
        return (port, iss)
    }

    private let peer = IPv4Address(192, 0, 2, 1)
    private let otherPeer = IPv4Address(192, 0, 2, 2)

    /// A connect() to `remote`:8080 on a new non-blocking socket: its errno (0 when
    /// a SYN left) and that SYN.
    private func connect(_ h: StackHarness, to remote: IPv4Address) -> (errno: Int32, syn: TCPHeader?) {
        let fd = Int32(h.call(.socket(domain: h.family, type: 1, protocol: 6)).value)
        h.call(.fcntl(fd: fd, command: LinuxNumbers.F_SETFL, argument: Int64(LinuxNumbers.O_RDWR | LinuxNumbers.O_NONBLOCK)))
        let r = h.call(.connect(fd: fd, address: .ipv4(remote, port: 8080), length: 16))
        if r.errno == LinuxNumbers.EINPROGRESS { return (0, h.packet()?.tcp) }
        return (r.errno, nil)
    }

    @Test func entryAndItsTableSlotAreFarBelowLinuxs256Bytes() {
        // Linux's tcp_timewait_sock comes from a 256-byte slab. Ours: the key
        // (the 4-tuple) and the entry (with its timer's deadline), which is what
        // one slot of the table's dense array holds. Today 24 + 47 = 72 bytes
        // (a FourTuple key alone is 48); the index adds a 4-byte slot number at
        // most 3/4 full, the timer FIFO an 8-byte record.
        #expect(MemoryLayout<TimeWaitKey>.stride == 24)
        #expect(MemoryLayout<TimeWaitEntry>.stride <= 48)
        #expect(MemoryLayout<TimeWaitTable.Slot>.stride <= 72)
    }

    @Test func tableKeysKeepAddressFamiliesApart() throws {
        // IPv4 192.0.2.1 and IPv6 ::c000:201 have the same low bits; the local
        // address (and so its family) tells the keys apart.
        var table = TimeWaitTable()
        let v4 = FourTuple(local: TCPEndpoint(.v4(IPv4Address(192, 168, 0, 1)), 40000),
                           remote: TCPEndpoint(.v4(IPv4Address(192, 0, 2, 1)), 8080))
        let v6 = FourTuple(local: TCPEndpoint(.v6(IPv6Address(high: 0xFD00 << 48, low: 1)), 40000),
                           remote: TCPEndpoint(.v6(IPv6Address(high: 0, low: 0xC000_0201)), 8080))
        let entry = TimeWaitEntry(deadline: 1, sndNxt: SequenceNumber(1), rcvNxt: SequenceNumber(2), rcvWindow: 0,
                                  tsRecent: 0, tsOffset: 0, tsRecentStamp: 0, lastOutOfWindowAck: 0, entryStamp: 0,
                                  rcvWscale: 0, tos: 0, flags: [])
        let insertedV4 = table.insert(entry, for: v4)
        #expect(insertedV4)
        #expect(table[v6] == nil)
        var other = entry
        other.sndNxt = SequenceNumber(99)
        let insertedV6 = table.insert(other, for: v6)
        #expect(insertedV6)
        #expect(table.count == 2)
        #expect(table[v4]?.sndNxt == SequenceNumber(1))
        #expect(table[v6]?.sndNxt == SequenceNumber(99))
        let key = try #require(table.key(v6))
        #expect(table.tuple(key) == v6)
        #expect(table.holders(ofPort: 40000)?.entries == 2)
        table.remove(v4)
        #expect(table.holders(ofPort: 40000)?.entries == 1)
        table.remove(v6)
        #expect(table.holders(ofPort: 40000) == nil)
        #expect(table.isEmpty)
    }

    @Test func differentDestinationsShareTheLastEphemeralPort() throws {
        // __inet_hash_connect: a port whose bucket connect() made is shared as long
        // as the 4-tuples differ (__inet_check_established).
        let h = StackHarness()
        try h.stack.setSysctl(name: "net.ipv4.ip_local_port_range", value: "40000 40000")
        let (port, _) = try clientIntoTimeWait(h, to: peer)
        #expect(port == 40000)
        #expect(connect(h, to: peer).errno == 99, "EADDRNOTAVAIL: the entry holds (40000, peer:8080)")
        let other = connect(h, to: otherPeer)
        #expect(other.errno == 0)
        #expect(other.syn?.sourcePort == 40000)
        #expect(connect(h, to: otherPeer).errno == 99, "EADDRNOTAVAIL: now that 4-tuple is taken as well")
    }

    @Test func connectsPortSearchSkipsAPortBindChose() throws {
        // __inet_hash_connect skips a port whose bucket bind() made (fastreuse >= 0),
        // even when the 4-tuple would be new.
        let h = StackHarness()
        try h.stack.setSysctl(name: "net.ipv4.ip_local_port_range", value: "40000 40000")
        let fd = Int32(h.call(.socket(domain: h.family, type: 1, protocol: 6)).value)
        #expect(h.call(.bind(fd: fd, address: .ipv4(IPv4Address(192, 168, 0, 1), port: 40000), length: 16)).value == 0)
        h.call(.fcntl(fd: fd, command: LinuxNumbers.F_SETFL, argument: Int64(LinuxNumbers.O_RDWR | LinuxNumbers.O_NONBLOCK)))
        #expect(h.call(.connect(fd: fd, address: .ipv4(peer, port: 8080), length: 16)).errno == LinuxNumbers.EINPROGRESS)
        #expect(h.packet()?.tcp?.sourcePort == 40000)
        #expect(connect(h, to: otherPeer).errno == 99)
    }

    @Test func bindToPortZeroNeverTakesAPortATimeWaitEntryHolds() throws {
        // inet_csk_find_open_port checks conflicts without relaxing: SO_REUSEADDR on
        // both sides does not help (Linux: bind(port 0) -> EADDRINUSE).
        let h = StackHarness()
        try h.stack.setSysctl(name: "net.ipv4.ip_local_port_range", value: "40000 40000")
        let fd0 = Int32(h.call(.socket(domain: h.family, type: 1, protocol: 6)).value)
        h.call(.setsockopt(fd: fd0, level: LinuxNumbers.SOL_SOCKET, name: LinuxNumbers.SO_REUSEADDR, value: h.int(1), length: 4))
        #expect(h.call(.bind(fd: fd0, address: .ipv4(IPv4Address(192, 168, 0, 1), port: 0), length: 16)).value == 0)
        h.call(.fcntl(fd: fd0, command: LinuxNumbers.F_SETFL, argument: Int64(LinuxNumbers.O_RDWR | LinuxNumbers.O_NONBLOCK)))
        #expect(h.call(.connect(fd: fd0, address: .ipv4(peer, port: 8080), length: 16)).errno == LinuxNumbers.EINPROGRESS)
        let syn = try #require(h.packet()?.tcp)
        #expect(syn.sourcePort == 40000)
        let iss = syn.sequenceNumber.rawValue
        func inject(_ flags: TCPFlags, seq: UInt32, ack: UInt32) {
            h.stack.receive(Packet.tcp(from: .v4(peer), 8080, to: h.local, 40000, flags: flags, seq: seq, ack: ack,
                                       window: 65535, options: flags.contains(.syn) ? [.maximumSegmentSize(1460)] : []).serialize())
        }
        inject([.syn, .ack], seq: 7000, ack: iss &+ 1)
        #expect(h.call(.close(fd: fd0)).value == 0)
        inject([.ack], seq: 7001, ack: iss &+ 2)
        inject([.fin, .ack], seq: 7001, ack: iss &+ 2)
        #expect(h.stack.timeWait.count == 1)

        func bind(_ address: IPv4Address, _ port: UInt16, reuse: Bool) -> Int32 {
            let fd = Int32(h.call(.socket(domain: h.family, type: 1, protocol: 6)).value)
            if reuse {
                h.call(.setsockopt(fd: fd, level: LinuxNumbers.SOL_SOCKET, name: LinuxNumbers.SO_REUSEADDR, value: h.int(1), length: 4))
            }
            let r = h.call(.bind(fd: fd, address: .ipv4(address, port: port), length: 16))
            h.call(.close(fd: fd))
            return r.value == 0 ? 0 : r.errno
        }
        let host = IPv4Address(192, 168, 0, 1)
        #expect(bind(host, 0, reuse: false) == LinuxNumbers.EADDRINUSE)
        #expect(bind(host, 0, reuse: true) == LinuxNumbers.EADDRINUSE)
        // An explicit bind relaxes: SO_REUSEADDR on both sides passes.
        #expect(bind(host, 40000, reuse: false) == LinuxNumbers.EADDRINUSE)
        #expect(bind(host, 40000, reuse: true) == 0)
        // Another local address does not overlap the entry's.
        #expect(bind(IPv4Address(127, 0, 0, 1), 0, reuse: false) == 0)
    }

    @Test func reusePortOnBothSidesLetsBindTakeATimeWaitPort() throws {
        // inet_bind_conflict: SO_REUSEPORT on the socket and on the entry (a
        // time-wait entry needs no matching owner) lets the bind through;
        // SO_REUSEADDR on one side only does not.
        let soReusePort: Int32 = 15
        let h = StackHarness()
        try h.stack.setSysctl(name: "net.ipv4.ip_local_port_range", value: "40000 40000")
        _ = try clientIntoTimeWait(h, to: peer, socketOption: soReusePort)
        func bind(option: Int32) -> Int32 {
            let fd = Int32(h.call(.socket(domain: h.family, type: 1, protocol: 6)).value)
            h.call(.setsockopt(fd: fd, level: LinuxNumbers.SOL_SOCKET, name: option, value: h.int(1), length: 4))
            let r = h.call(.bind(fd: fd, address: .ipv4(IPv4Address(192, 168, 0, 1), port: 40000), length: 16))
            h.call(.close(fd: fd))
            return r.value == 0 ? 0 : r.errno
        }
        #expect(bind(option: LinuxNumbers.SO_REUSEADDR) == LinuxNumbers.EADDRINUSE)
        #expect(bind(option: soReusePort) == 0)
    }

    @Test func loopbackTimeWaitIsReusedWithTheDefaultTcpTwReuse() throws {
        // tcp_tw_reuse=2 (the default) reuses an entry whose address is loopback,
        // once tcp_tw_reuse_delay has passed; the new ISN is the old snd_nxt + 65537
        // and TWRecycled counts it (tcp_twsk_unique, __inet_check_established).
        let h = StackHarness()
        try h.stack.setSysctl(name: "net.ipv4.ip_local_port_range", value: "40000 40000")
        let loopback = IPv4Address(127, 0, 0, 1)
        let (port, iss) = try clientIntoTimeWait(h, to: loopback, timestamps: true)
        #expect(connect(h, to: loopback).errno == 99, "within tcp_tw_reuse_delay")
        h.wait(1_100_000)
        let again = connect(h, to: loopback)
        #expect(again.errno == 0)
        #expect(again.syn?.sourcePort == port)
        // Old snd_nxt: ISN + SYN + FIN.
        #expect(again.syn?.sequenceNumber.rawValue == iss &+ 2 &+ 65537)
        #expect(h.stack.counters[.tcpExtTWRecycled] == 1)
        #expect(h.stack.timeWait.isEmpty)
    }

    @Test func tcpTwReuseDelayIsMillisecondsSinceTheEntryWasMade() throws {
        // Linux over loopback with tcp_tw_reuse_delay=3000: refused at 1.2 s and
        // 2.4 s, reused at 3.2 s.
        let h = StackHarness()
        try h.stack.setSysctl(name: "net.ipv4.ip_local_port_range", value: "40000 40000")
        try h.stack.setSysctl(name: "net.ipv4.tcp_tw_reuse_delay", value: "3000")
        let loopback = IPv4Address(127, 0, 0, 1)
        _ = try clientIntoTimeWait(h, to: loopback, timestamps: true)
        h.wait(1_200_000)
        #expect(connect(h, to: loopback).errno == 99)
        h.wait(1_200_000)
        #expect(connect(h, to: loopback).errno == 99)
        h.wait(800_000)
        #expect(connect(h, to: loopback).errno == 0)
    }

    @Test func nonLoopbackTimeWaitIsNotReusedWithTheDefaultTcpTwReuse() throws {
        let h = StackHarness()
        try h.stack.setSysctl(name: "net.ipv4.ip_local_port_range", value: "40000 40000")
        _ = try clientIntoTimeWait(h, to: peer, timestamps: true)
        h.wait(1_100_000)
        #expect(connect(h, to: peer).errno == 99)
        try h.stack.setSysctl(name: "net.ipv4.tcp_tw_reuse", value: "1")
        #expect(connect(h, to: peer).errno == 0)
        #expect(h.stack.counters[.tcpExtTWRecycled] == 1)
    }

    @Test func bareSynInAFinWait2EntryGetsAResetAndRemovesIt() throws {
        // tcp_timewait_state_process, FIN_WAIT2: a SYN not before rcv_nxt ->
        // TCP_TW_RST; the reset of an ACK-less segment is `R.` seq 0, ack = its
        // sequence + 1 (tcp_v4_send_reset).
        let h = StackHarness()
        let fd = h.acceptedConnection()
        h.call(.close(fd: 3))
        _ = h.packet()
        #expect(h.call(.close(fd: fd)).value == 0)
        #expect(h.packet()?.tcp?.flags == [.fin, .ack])
        h.inject([.ack], seq: h.peerISS + 1, ack: h.iss + 2)
        #expect(h.stack.timeWait.count == 1)
        h.inject([.syn], seq: h.peerISS + 100, options: [.maximumSegmentSize(1460)])
        let rst = try #require(h.packet()?.tcp)
        #expect(rst.flags == [.rst, .ack])
        #expect(rst.sequenceNumber.rawValue == 0)
        #expect(rst.acknowledgmentNumber.rawValue == h.peerISS + 101)
        #expect(h.stack.timeWait.isEmpty)
    }

    @Test func zeroLengthSegmentAtTheWindowsRightEdgeIsInWindow() {
        // tcp_in_window's last clause (Linux 6.12 and later).
        let start = SequenceNumber(1000)
        #expect(sequenceInWindow(SequenceNumber(2000), SequenceNumber(2000), start, SequenceNumber(2000)))
        #expect(!sequenceInWindow(SequenceNumber(2000), SequenceNumber(2001), start, SequenceNumber(2000)))
        #expect(!sequenceInWindow(SequenceNumber(999), SequenceNumber(999), start, SequenceNumber(2000)))
        #expect(sequenceInWindow(SequenceNumber(1000), SequenceNumber(1000), start, SequenceNumber(2000)))
    }
}
