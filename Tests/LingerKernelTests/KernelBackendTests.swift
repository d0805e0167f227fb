import Foundation
import LingerKernel
import LingerRun
import LingerWire
import Testing

/// Every kernel backend test, one at a time: namespace inode numbers are reused once
/// a namespace is gone, so a test checking that nothing is left in its namespace
/// must not run while another creates one.
@Suite(.enabled(if: kernelBackendAvailable, kernelBackendSkipReason), .serialized)
enum KernelBackendTests {}

extension KernelBackendTests {
    @Suite struct KernelBackendConnectionTests {
        /// The three-way handshake of a passive open, driven with packets built by
        /// LingerWire; the kernel's SYN-ACK is parsed with every checksum verified.
        @Test(arguments: [
            NetworkConfiguration.packetdrillDefaults(for: .ipv4),
            NetworkConfiguration.packetdrillDefaults(for: .ipv6),
            NetworkConfiguration.packetdrillDefaults(for: .ipv4MappedIPv6),
            selftestConfiguration(.ipv4),
            selftestConfiguration(.ipv6),
        ])
        func passiveOpenAcceptsTheConnection(network: NetworkConfiguration) throws {
            let backend = try KernelBackend(network: network)
            defer { backend.finish() }
            let listener = try listeningSocket(backend)
            #expect(listener == 3)
            let remote = RemoteEnd(backend: backend, port: 34567, localPort: network.bindPort)

            try backend.inject(remote.segment(.syn, seq: 1000, options: [.maximumSegmentSize(1000)]))
            let synAck = try #require(try nextPacket(backend))
            let tcp = try #require(synAck.tcp)
            #expect(tcp.flags == [.syn, .ack])
            #expect(tcp.acknowledgmentNumber == SequenceNumber(1001))
            #expect(synAck.ip.source == network.localAddress)
            #expect(synAck.ip.destination == network.remoteAddress)
            #expect(tcp.sourcePort == network.bindPort)
            #expect(tcp.destinationPort == 34567)
            // The kernel announces the MSS its own MTU allows: MTU minus IP and TCP headers.
            let headers = network.ipVersion == .ipv6 ? 60 : 40
            #expect(tcp.mss.map(Int.init) == network.mtu - headers)

            try backend.inject(remote.segment(.ack, seq: 1001, ack: tcp.sequenceNumber.rawValue &+ 1))
            let accepted = try finished(backend, .accept(fd: listener, flags: nil))
            #expect(accepted.value == 4)
            let peer = socketAddress(network.remoteAddress, port: 34567, version: network.ipVersion)
            #expect(accepted.output == .acceptedFrom(peer))

            // tcp_info's first byte is the state.
            let info = try finished(backend, .getsockopt(fd: 4, level: Linux.IPPROTO_TCP, name: Linux.TCP_INFO, length: 256))
            guard case .option(let bytes) = info.output else {
                Issue.record("getsockopt returned \(info)")
                return
            }
            #expect(bytes.first == Linux.TCP_ESTABLISHED)
            #expect(info.value == 0)
        }

        /// accept() on a listener with no connection blocks, and returns once the handshake
        /// completes.
        @Test func blockingAcceptReturnsAfterTheHandshake() throws {
            let backend = try KernelBackend(network: .packetdrillDefaults(for: .ipv4))
            defer { backend.finish() }
            let listener = try listeningSocket(backend)
            let remote = RemoteEnd(backend: backend, port: 40000, localPort: 8080)

            guard case .blocked = backend.start(.accept(fd: listener, flags: nil)) else {
                Issue.record("accept with no connection did not block")
                return
            }
            #expect(backend.awaitBlockedCall(deadline: backend.now() + 50_000) == nil)

            try backend.inject(remote.segment(.syn, seq: 0))
            let synAck = try #require(try nextPacket(backend)?.tcp)
            let ackSent = backend.now()
            try backend.inject(remote.segment(.ack, seq: 1, ack: synAck.sequenceNumber.rawValue &+ 1))
            let completion = try #require(backend.awaitBlockedCall(deadline: backend.now() + 2_000_000))
            #expect(completion.result.value == 4)
            #expect(completion.time >= ackSent)
        }

        /// A blocking connect() sends a SYN and returns 0 once the SYN-ACK is in; the
        /// kernel then acknowledges it.
        @Test(arguments: [NetworkConfiguration.IPVersion.ipv4, .ipv6])
        func connectSendsSynAndCompletes(version: NetworkConfiguration.IPVersion) throws {
            let network = NetworkConfiguration.packetdrillDefaults(for: version)
            let backend = try KernelBackend(network: network)
            defer { backend.finish() }
            let domain = version == .ipv4 ? Linux.AF_INET : Linux.AF_INET6
            let fd = Int32(try finished(backend, .socket(domain: domain, type: Linux.SOCK_STREAM, protocol: 0)).value)
            let peer = socketAddress(network.remoteAddress, port: network.connectPort, version: version)
            guard case .blocked = backend.start(.connect(fd: fd, address: peer, length: version == .ipv4 ? 16 : 28)) else {
                Issue.record("connect returned before any SYN-ACK")
                return
            }
            let syn = try #require(try nextPacket(backend))
            let synTCP = try #require(syn.tcp)
            #expect(synTCP.flags == .syn)
            #expect(syn.ip.source == network.localAddress)
            #expect(syn.ip.destination == network.remoteAddress)
            #expect(synTCP.destinationPort == network.connectPort)

            let remote = RemoteEnd(backend: backend, port: network.connectPort, localPort: synTCP.sourcePort)
            try backend.inject(
                remote.segment([.syn, .ack], seq: 5000, ack: synTCP.sequenceNumber.rawValue &+ 1,
                               options: [.maximumSegmentSize(1400)]))
            let completion = try #require(backend.awaitBlockedCall(deadline: backend.now() + 2_000_000))
            #expect(completion.result == SocketCallResult(value: 0))
            let ack = try #require(try nextPacket(backend)?.tcp)
            #expect(ack.flags == .ack)
            #expect(ack.acknowledgmentNumber == SequenceNumber(5001))
        }

        /// A packet looked for long after the kernel sent it carries the time it was sent,
        /// not the time it was looked for (packetdrill fails a script whose packet left
        /// too early even when it only looks for it later).
        @Test func aPacketReadLateCarriesItsSendTime() throws {
            let backend = try KernelBackend(network: .packetdrillDefaults(for: .ipv4))
            defer { backend.finish() }
            let listener = try listeningSocket(backend)
            let remote = RemoteEnd(backend: backend, port: 40001, localPort: 8080)
            let injected = backend.now()
            try backend.inject(remote.segment(.syn, seq: 0))
            backend.wait(until: injected + 150_000)
            let lookedFor = backend.now()
            let captured = try #require(try backend.nextOutboundPacket(deadline: lookedFor + 1_000_000))
            let synAck = try Packet(parsing: captured.bytes, checksums: .verify)
            #expect(synAck.tcp?.flags == [.syn, .ack])
            #expect(captured.time >= injected)
            // The kernel answers at once; on a loaded machine maybe tens of ms later, but
            // still before the 150 ms at which the packet was looked for.
            #expect(captured.time < lookedFor, "the packet carries the time it was looked for, not the time it was sent")
            #expect(listener == 3)
        }

        /// Data both ways on an established connection: the kernel's large write leaves as
        /// TSO packets whose offloaded checksums the backend completes; inbound data shows
        /// in FIONREAD, poll, epoll and recv.
        @Test func dataFlowsBothWays() throws {
            let backend = try KernelBackend(network: .packetdrillDefaults(for: .ipv4))
            defer { backend.finish() }
            let listener = try listeningSocket(backend)
            let remote = RemoteEnd(backend: backend, port: 50000, localPort: 8080)
            try backend.inject(remote.segment(.syn, seq: 0, options: [.maximumSegmentSize(1460)]))
            let synAck = try #require(try nextPacket(backend)?.tcp)
            let isn = synAck.sequenceNumber.rawValue
            try backend.inject(remote.segment(.ack, seq: 1, ack: isn &+ 1))
            let fd = Int32(try finished(backend, .accept(fd: listener, flags: nil)).value)

            // Outbound: 10000 bytes fit in the initial window of 10 segments.
            let data = (0..<10000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
            #expect(try finished(backend, .write(fd: fd, data: .bytes(data))).value == 10000)
            var sent: [UInt8] = []
            var packets = 0
            while sent.count < data.count, let packet = try nextPacket(backend) {
                sent += packet.payload
                packets += 1
            }
            #expect(sent == data)
            #expect(packets < 7, "TSO: fewer packets than 1460-byte segments")
            let outq = try finished(backend, .ioctl(fd: fd, request: Linux.SIOCOUTQ))
            #expect(outq.output == .integer(10000))

            // Inbound: 100 bytes.
            let inbound = Array("hello from the remote end, ".utf8) + [UInt8](repeating: 0x41, count: 73)
            try backend.inject(remote.segment([.ack, .psh], seq: 1, ack: isn &+ 1 &+ 10000, payload: inbound))
            let ack = try #require(try nextPacket(backend)?.tcp)
            #expect(ack.acknowledgmentNumber == SequenceNumber(101))
            #expect(try finished(backend, .ioctl(fd: fd, request: Linux.FIONREAD)).output == .integer(100))
            let poll = try finished(
                backend, .poll(descriptors: [PollDescriptor(fd: fd, events: Linux.POLLIN | Linux.POLLOUT),
                                             PollDescriptor(fd: 99, events: Linux.POLLIN)], timeoutMilliseconds: 0))
            #expect(poll.value == 2)
            #expect(poll.output == .pollEvents([Linux.POLLIN | Linux.POLLOUT, Linux.POLLNVAL]))

            let epoll = Int32(try finished(backend, .epollCreate(size: 1)).value)
            let event = EpollEvent(events: Linux.EPOLLIN, data: 0xFEED_0000_0000_0000 | UInt64(fd))
            #expect(try finished(backend, .epollControl(epollFD: epoll, operation: Linux.EPOLL_CTL_ADD, fd: fd, event: event)).value == 0)
            let ready = try finished(backend, .epollWait(epollFD: epoll, maxEvents: 4, timeoutMilliseconds: 0))
            #expect(ready.value == 1)
            #expect(ready.output == .epollEvents([event]))

            let first = try finished(backend, .recv(fd: fd, buffer: .capacity(10), flags: 0))
            #expect(first.output == .received(Array(inbound[0..<10])))
            let rest = try finished(backend, .readv(fd: fd, buffers: [.capacity(40), .capacity(100)]))
            #expect(rest.value == 90)
            #expect(rest.output == .received(Array(inbound[10...])))

            let empty = try finished(backend, .fcntl(fd: fd, command: Linux.F_SETFL, argument: Linux.O_NONBLOCK))
            #expect(empty.value == 0)
            #expect(try finished(backend, .read(fd: fd, buffer: .capacity(10))) == .failure(Linux.EAGAIN))
        }

        /// A NULL buffer reaches the kernel as NULL (EFAULT); a write on a socket shut for
        /// writing fails with EPIPE, and the SIGPIPE it raises does not end the process.
        @Test func faultsAndBrokenPipesAreErrorsNotCrashes() throws {
            let backend = try KernelBackend(network: .packetdrillDefaults(for: .ipv4))
            defer { backend.finish() }
            let listener = try listeningSocket(backend)
            let remote = RemoteEnd(backend: backend, port: 50001, localPort: 8080)
            try backend.inject(remote.segment(.syn, seq: 0))
            let synAck = try #require(try nextPacket(backend)?.tcp)
            try backend.inject(remote.segment(.ack, seq: 1, ack: synAck.sequenceNumber.rawValue &+ 1))
            let fd = Int32(try finished(backend, .accept(fd: listener, flags: nil)).value)

            #expect(try finished(backend, .write(fd: fd, data: .null(length: 10))) == .failure(Linux.EFAULT))
            #expect(try finished(backend, .read(fd: 77, buffer: .capacity(10))) == .failure(Linux.EBADF))
            #expect(try finished(backend, .shutdown(fd: fd, how: Linux.SHUT_WR)).value == 0)
            #expect(try finished(backend, .write(fd: fd, data: .bytes([1, 2, 3]))) == .failure(Linux.EPIPE))
            #expect(try finished(backend, .close(fd: fd)).value == 0)
            #expect(try finished(backend, .close(fd: fd)) == .failure(Linux.EBADF))
        }

        /// finish() interrupts a call still blocked, closes the script's descriptors, and
        /// no thread is left in the namespace.
        @Test func finishEndsABlockedCallAndLeavesNoThreadBehind() throws {
            let backend = try KernelBackend(network: .packetdrillDefaults(for: .ipv6))
            let inode = backend.namespaceInode
            #expect(try threadsInNamespace(inode) == 2)
            let listener = try listeningSocket(backend)
            guard case .blocked = backend.start(.accept(fd: listener, flags: nil)) else {
                Issue.record("accept did not block")
                backend.finish()
                return
            }
            let start = backend.now()
            backend.finish()
            #expect(backend.now() - start < 1_000_000)
            #expect(try threadsInNamespace(inode) == 0)
            #expect(tasksAnywhereInNamespace(inode) == 0)
            #expect(throws: BackendError.self) { try backend.inject([0x45]) }
        }
    }
}

extension KernelBackendTests {
    @Suite struct KernelBackendIsolationTests {
        /// A command's sysctl changes the backend's namespace, not the host's.
        @Test func commandsRunInsideTheNamespace() throws {
            let path = "/proc/sys/net/ipv4/tcp_syn_retries"
            let hostBefore = try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            let newValue = hostBefore == "2" ? "3" : "2"
            let backend = try KernelBackend(network: .packetdrillDefaults(for: .ipv4))
            defer { backend.finish() }

            let set = try backend.runCommand("echo \(newValue) > \(path) && cat \(path)", in: "/")
            #expect(set == CommandOutcome(status: 0, output: "\(newValue)\n"))
            let hostAfter = try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(hostAfter == hostBefore)

            // The command sees the backend's devices and its namespace.
            let devices = try backend.runCommand("cat /proc/net/dev; readlink /proc/self/ns/net", in: "/")
            #expect(devices.output.contains("tun0:"))
            #expect(devices.output.contains("net:[\(backend.namespaceInode)]"))
        }

        @Test func commandsReportStatusOutputAndDirectory() throws {
            let backend = try KernelBackend(network: .packetdrillDefaults(for: .ipv4))
            defer { backend.finish() }
            #expect(try backend.runCommand("pwd; echo oops >&2; exit 3", in: "/tmp") == CommandOutcome(status: 3, output: "/tmp\noops\n"))
            #expect(try backend.runCommand("kill -TERM $$", in: "/").status == 128 + 15)
            #expect(try backend.runCommand("yes | head -n 2", in: "/") == CommandOutcome(status: 0, output: "y\ny\n"))
            #expect(throws: BackendError.self) { try backend.runCommand("true", in: "/no/such/directory") }
            // A background child holding the output pipe is not waited for.
            let start = backend.now()
            #expect(try backend.runCommand("(sleep 2; echo late) & echo now", in: "/") == CommandOutcome(status: 0, output: "now\n"))
            #expect(backend.now() - start < 1_500_000)
        }

        /// Commands see PACKETDRILL_PID naming this process, which is also the shell's
        /// parent: corpus helpers write /tmp/sysctl_restore_$PACKETDRILL_PID.sh and a
        /// later command runs /tmp/sysctl_restore_${PPID}.sh.
        @Test func commandsSeePacketdrillPIDAsTheirParent() throws {
            let backend = try KernelBackend(network: .packetdrillDefaults(for: .ipv4))
            defer { backend.finish() }
            let outcome = try backend.runCommand("echo $PACKETDRILL_PID $PPID", in: "/")
            let pid = ProcessInfo.processInfo.processIdentifier
            #expect(outcome == CommandOutcome(status: 0, output: "\(pid) \(pid)\n"))
        }

        /// Two backends at once: separate namespaces (neither the host's), each with the
        /// same address and port in use.
        @Test func twoBackendsHaveSeparateNamespaces() throws {
            let first = try KernelBackend(network: .packetdrillDefaults(for: .ipv4))
            defer { first.finish() }
            let second = try KernelBackend(network: .packetdrillDefaults(for: .ipv4))
            defer { second.finish() }
            let host = try hostNamespaceInode()
            #expect(first.namespaceInode != second.namespaceInode)
            #expect(first.namespaceInode != host)
            #expect(second.namespaceInode != host)
            #expect(try listeningSocket(first) == 3)
            #expect(try listeningSocket(second) == 3)

            // A SYN injected into one is answered by that one only.
            let remote = RemoteEnd(backend: first, port: 1234, localPort: 8080)
            try first.inject(remote.segment(.syn, seq: 0))
            #expect(try nextPacket(first)?.tcp?.flags == [.syn, .ack])
            #expect(try second.nextOutboundPacket(deadline: second.now() + 100_000) == nil)
        }

        /// Backends created and driven from several threads at once each get their own
        /// namespace, and leave no thread in it once finished.
        @Test func backendsFromSeveralThreadsAtOnce() throws {
            let versions: [NetworkConfiguration.IPVersion] = [.ipv4, .ipv6, .ipv4MappedIPv6]
            let made = ConcurrentResults()
            DispatchQueue.concurrentPerform(iterations: versions.count) { index in
                let network = NetworkConfiguration.packetdrillDefaults(for: versions[index])
                do {
                    let backend = try KernelBackend(network: network)
                    let domain = network.ipVersion == .ipv4 ? Linux.AF_INET : Linux.AF_INET6
                    let fd = backend.start(.socket(domain: domain, type: Linux.SOCK_STREAM, protocol: 0))
                    guard case .finished(let completion) = fd else { return made.record(nil, "socket blocked") }
                    made.record(backend, completion.result.value == 3 ? nil : "socket returned \(completion.result)")
                } catch {
                    made.record(nil, "\(error)")
                }
            }
            let (backends, problems) = made.snapshot()
            #expect(problems.isEmpty, "\(problems)")
            let inodes = backends.map(\.namespaceInode)
            #expect(Set(inodes).count == versions.count)
            for inode in inodes {
                #expect(try threadsInNamespace(inode) == 2)
            }
            DispatchQueue.concurrentPerform(iterations: backends.count) { made.snapshot().0[$0].finish() }
            for inode in inodes {
                #expect(tasksAnywhereInNamespace(inode) == 0)
            }
        }

        /// The kernel sends nothing on its own on the device (no DAD, router solicitation
        /// or MLD report), even with the multicast filter off.
        @Test(arguments: [NetworkConfiguration.IPVersion.ipv4, .ipv6])
        func theDeviceIsQuiet(version: NetworkConfiguration.IPVersion) throws {
            let backend = try KernelBackend(
                network: .packetdrillDefaults(for: version), options: .init(skipsMulticast: false))
            defer { backend.finish() }
            let stray = try backend.nextOutboundPacket(deadline: backend.now() + 1_500_000)
            #expect(stray == nil, "unexpected packet: \(stray.map { $0.bytes.map { String(format: "%02x", $0) }.joined() } ?? "")")
        }

        /// Bad configurations fail with a message naming what is wrong.
        @Test func badConfigurationsAreClearErrors() throws {
            var mixed = NetworkConfiguration.packetdrillDefaults(for: .ipv4)
            mixed.remoteAddress = .v6(IPv6Address("2001:db8::1")!)
            #expect { try KernelBackend(network: mixed) } throws: { error in
                (error as? BackendError)?.message.contains("mixes address families") == true
            }
            var unreachableGateway = NetworkConfiguration.packetdrillDefaults(for: .ipv4)
            unreachableGateway.gatewayAddress = .v4(IPv4Address(10, 9, 8, 7))
            #expect { try KernelBackend(network: unreachableGateway) } throws: { error in
                (error as? BackendError)?.message.contains("via 10.9.8.7") == true
            }
            #expect { try KernelBackend(network: .packetdrillDefaults(for: .ipv4), options: .init(deviceName: "a-very-long-device-name")) } throws: { error in
                (error as? BackendError)?.message.contains("not a valid interface name") == true
            }
            var tinyMTU = NetworkConfiguration.packetdrillDefaults(for: .ipv4)
            tinyMTU.mtu = 10
            #expect(throws: BackendError.self) { try KernelBackend(network: tinyMTU) }
        }
    }
}

extension KernelBackendTests {
    @Suite struct KernelBackendDescriptorTests {
        /// Descriptors are numbered as in a fresh process: lowest free from 3.
        @Test func descriptorsAreNumberedLikeAFreshProcess() throws {
            let backend = try KernelBackend(network: .packetdrillDefaults(for: .ipv4))
            defer { backend.finish() }
            let tcp = SocketCall.socket(domain: Linux.AF_INET, type: Linux.SOCK_STREAM, protocol: 0)
            #expect(try finished(backend, tcp).value == 3)
            #expect(try finished(backend, tcp).value == 4)
            #expect(try finished(backend, .close(fd: 3)).value == 0)
            #expect(try finished(backend, .pipe) == SocketCallResult(value: 0, output: .pipe(read: 3, write: 5)))
            #expect(try finished(backend, .dup(fd: 4)).value == 6)
            #expect(try finished(backend, .dup2(fd: 4, newFD: 10)).value == 10)
            #expect(try finished(backend, .dup2(fd: 99, newFD: 11)) == .failure(Linux.EBADF))
            #expect(try finished(backend, .fcntl(fd: 4, command: 0, argument: 20)).value == 20)

            // FD_CLOEXEC is the script's own, whatever the real descriptor carries.
            let cloexec = try finished(backend, .socket(domain: Linux.AF_INET, type: Linux.SOCK_STREAM | Linux.SOCK_CLOEXEC, protocol: 0))
            #expect(cloexec.value == 7)
            #expect(try finished(backend, .fcntl(fd: 7, command: Linux.F_GETFD, argument: nil)).value == 1)
            #expect(try finished(backend, .fcntl(fd: 4, command: Linux.F_GETFD, argument: nil)).value == 0)
            #expect(try finished(backend, .fcntl(fd: 4, command: Linux.F_SETFD, argument: 1)).value == 0)
            #expect(try finished(backend, .fcntl(fd: 4, command: Linux.F_GETFD, argument: nil)).value == 1)
            #expect(try finished(backend, .fcntl(fd: 12, command: Linux.F_GETFD, argument: nil)) == .failure(Linux.EBADF))

            // The pipe carries bytes between its ends.
            #expect(try finished(backend, .write(fd: 5, data: .bytes([9, 8, 7]))).value == 3)
            #expect(try finished(backend, .read(fd: 3, buffer: .capacity(8))).output == .received([9, 8, 7]))
            #expect(try finished(backend, .socket(domain: 12345, type: Linux.SOCK_STREAM, protocol: 0)) == .failure(97))
        }

        /// setsockopt and getsockopt move raw bytes; a NULL option value is EFAULT.
        @Test func socketOptionsAreRawBytes() throws {
            let backend = try KernelBackend(network: .packetdrillDefaults(for: .ipv4))
            defer { backend.finish() }
            let fd = Int32(try finished(backend, .socket(domain: Linux.AF_INET, type: Linux.SOCK_STREAM, protocol: 0)).value)
            let linger: [UInt8] = [1, 0, 0, 0, 7, 0, 0, 0]
            #expect(try finished(backend, .setsockopt(fd: fd, level: Linux.SOL_SOCKET, name: Linux.SO_LINGER, value: linger, length: 8)).value == 0)
            let read = try finished(backend, .getsockopt(fd: fd, level: Linux.SOL_SOCKET, name: Linux.SO_LINGER, length: 8))
            #expect(read.output == .option(linger))
            #expect(try finished(backend, .setsockopt(fd: fd, level: Linux.SOL_SOCKET, name: Linux.SO_REUSEADDR, value: nil, length: 4)) == .failure(Linux.EFAULT))
            #expect(try finished(backend, .setsockopt(fd: fd, level: Linux.SOL_SOCKET, name: Linux.SO_REUSEADDR, value: [1, 0, 0, 0], length: 2)) == .failure(Linux.EINVAL))
        }
    }
}


extension KernelBackendTests {
    @Suite struct KernelBackendCallTests {
        /// An established connection's descriptor, from a passive open.
        func establishedConnection(_ backend: KernelBackend, remotePort: UInt16) throws -> (fd: Int32, remote: RemoteEnd, isn: UInt32) {
            let listener = try listeningSocket(backend)
            let remote = RemoteEnd(backend: backend, port: remotePort, localPort: backend.network.bindPort)
            try backend.inject(remote.segment(.syn, seq: 0))
            let synAck = try #require(try nextPacket(backend)?.tcp)
            try backend.inject(remote.segment(.ack, seq: 1, ack: synAck.sequenceNumber.rawValue &+ 1))
            let fd = Int32(try finished(backend, .accept(fd: listener, flags: nil)).value)
            return (fd, remote, synAck.sequenceNumber.rawValue &+ 1)
        }

        /// Message calls: writev and sendmsg gather their buffers into the stream;
        /// recvmsg scatters and reports msg_flags; recvfrom reads the rest.
        @Test func messageCallsGatherAndScatter() throws {
            let backend = try KernelBackend(network: .packetdrillDefaults(for: .ipv6))
            defer { backend.finish() }
            let (fd, remote, isn) = try establishedConnection(backend, remotePort: 41000)
            // TCP_NODELAY: no Nagle hold-back of small writes while earlier data is unacknowledged.
            #expect(try finished(backend, .setsockopt(fd: fd, level: Linux.IPPROTO_TCP, name: 1, value: [1, 0, 0, 0], length: 4)).value == 0)

            #expect(try finished(backend, .writev(fd: fd, buffers: [.bytes([1, 2]), .bytes([3])])).value == 3)
            #expect(try nextPacket(backend)?.payload == [1, 2, 3])
            let sendmsg = SocketCall.sendmsg(fd: fd, buffers: [.bytes([4]), .bytes([5, 6])], control: [], flags: 0, address: nil)
            #expect(try finished(backend, sendmsg).value == 3)
            #expect(try nextPacket(backend)?.payload == [4, 5, 6])
            #expect(try finished(backend, .sendto(fd: fd, data: .bytes([7]), flags: 0, address: nil)).value == 1)
            #expect(try nextPacket(backend)?.payload == [7])

            try backend.inject(remote.segment([.ack, .psh], seq: 1, ack: isn &+ 7, payload: Array(10..<20)))
            #expect(try nextPacket(backend)?.tcp?.acknowledgmentNumber == SequenceNumber(11))
            let message = try finished(backend, .recvmsg(fd: fd, buffers: [.capacity(3), .capacity(2)], controlLength: 0, flags: 0))
            #expect(message.value == 5)
            #expect(message.output == .message([10, 11, 12, 13, 14], flags: 0, control: []))
            let from = try finished(backend, .recvfrom(fd: fd, buffer: .capacity(100), flags: 0))
            // Linux's TCP does not report the source address: the length comes back 0.
            #expect(from.output == .receivedFrom([15, 16, 17, 18, 19], address: nil))
            #expect(try finished(backend, .ioctl(fd: fd, request: 0x894B)).output == .integer(0))
        }

        /// A blocking read waits for data; a poll with a timeout blocks and returns 0 when
        /// it runs out; a non-blocking accept4 with nothing queued is EAGAIN.
        @Test func blockingCallsReturnWhenTheirEventComes() throws {
            let backend = try KernelBackend(network: .packetdrillDefaults(for: .ipv4))
            defer { backend.finish() }
            let (fd, remote, isn) = try establishedConnection(backend, remotePort: 42000)

            guard case .blocked = backend.start(.read(fd: fd, buffer: .capacity(10))) else {
                Issue.record("read with no data did not block")
                return
            }
            try backend.inject(remote.segment([.ack, .psh], seq: 1, ack: isn, payload: [42]))
            let read = try #require(backend.awaitBlockedCall(deadline: backend.now() + 1_000_000))
            #expect(read.result.output == .received([42]))

            let pollStart = backend.now()
            guard case .blocked = backend.start(.poll(descriptors: [PollDescriptor(fd: fd, events: Linux.POLLIN)], timeoutMilliseconds: 100)) else {
                Issue.record("poll with nothing to read did not block")
                return
            }
            let poll = try #require(backend.awaitBlockedCall(deadline: backend.now() + 1_000_000))
            #expect(poll.result.value == 0)
            #expect(poll.time - pollStart >= 100_000)

            // SOCK_NONBLOCK in accept4 is for the new socket; the listener's own flag decides.
            #expect(try finished(backend, .fcntl(fd: 3, command: Linux.F_SETFL, argument: Linux.O_NONBLOCK)).value == 0)
            #expect(try finished(backend, .accept(fd: 3, flags: Linux.SOCK_NONBLOCK)) == .failure(Linux.EAGAIN))
        }

        /// A non-blocking connect returns EINPROGRESS at once; addresses in the remote
        /// prefix are routed to the device only when the prefix is configured.
        @Test func remotePrefixRoutesNeighboursOfTheRemoteAddress() throws {
            let network = NetworkConfiguration.packetdrillDefaults(for: .ipv4)
            let neighbour = SocketAddress.ipv4(IPv4Address(192, 0, 2, 77), port: 80)
            let nonblockingTCP = SocketCall.socket(domain: Linux.AF_INET, type: Linux.SOCK_STREAM | Linux.SOCK_NONBLOCK, protocol: 0)

            let hostRoute = try KernelBackend(network: network)
            defer { hostRoute.finish() }
            let fd = Int32(try finished(hostRoute, nonblockingTCP).value)
            #expect(try finished(hostRoute, .connect(fd: fd, address: neighbour, length: 16)) == .failure(101))  // ENETUNREACH

            let prefixRoute = try KernelBackend(network: network, options: .init(remotePrefixLength: 24))
            defer { prefixRoute.finish() }
            let other = Int32(try finished(prefixRoute, nonblockingTCP).value)
            #expect(try finished(prefixRoute, .connect(fd: other, address: neighbour, length: 16)) == .failure(Linux.EINPROGRESS))
            let syn = try #require(try nextPacket(prefixRoute))
            #expect(syn.ip.destination == .v4(IPv4Address(192, 0, 2, 77)))
            #expect(syn.tcp?.flags == .syn)
        }

        /// A backend dropped without finish() cleans up in deinit.
        @Test func droppingTheBackendFinishesIt() throws {
            var inode: UInt64 = 0
            do {
                let backend = try KernelBackend(network: .packetdrillDefaults(for: .ipv4))
                inode = backend.namespaceInode
                _ = try listeningSocket(backend)
                #expect(try threadsInNamespace(inode) == 2)
            }
            #expect(try threadsInNamespace(inode) == 0)
        }
    }
}

/// Where the kernel backend cannot run, creating one fails at once and says why.
@Test(.enabled(if: !kernelBackendAvailable, "runs only where the kernel backend is unavailable"))
func creatingTheBackendWithoutPrivilegesFailsClearly() {
    #expect { try KernelBackend(network: .packetdrillDefaults(for: .ipv4)) } throws: { error in
        let message = (error as? BackendError)?.message ?? ""
        return message.contains("root") || message.contains("/dev/net/tun") || message.contains("Linux")
    }
}

extension KernelBackendTests {
    /// `exit()`: the system call thread is the script's process; ending it lets the
    /// kernel close the script's descriptors as for any exiting task.
    @Suite struct KernelBackendExitTests {
        /// Accepts a connection from `remotePort` on `listener`; returns its descriptor
        /// and our next sequence number.
        func accept(_ backend: KernelBackend, listener: Int32, remotePort: UInt16) throws -> (fd: Int32, remote: RemoteEnd, isn: UInt32) {
            let remote = RemoteEnd(backend: backend, port: remotePort, localPort: backend.network.bindPort)
            try backend.inject(remote.segment(.syn, seq: 0))
            let synAck = try #require(try nextPacket(backend)?.tcp)
            #expect(synAck.flags == [.syn, .ack])
            try backend.inject(remote.segment(.ack, seq: 1, ack: synAck.sequenceNumber.rawValue &+ 1))
            let fd = Int32(try finished(backend, .accept(fd: listener, flags: nil)).value)
            return (fd, remote, synAck.sequenceNumber.rawValue &+ 1)
        }

        /// SO_LINGER {1, 5} with data in flight: close() would wait up to 5 s for the
        /// peer's ACK; the exiting task does not wait (inet_release sees PF_EXITING),
        /// and still sends the FIN behind the data. The thread is gone afterwards, later
        /// calls have no process to run in, and the listener is closed too.
        @Test func exitDoesNotLingerAndEndsTheThread() throws {
            let backend = try KernelBackend(network: .packetdrillDefaults(for: .ipv4))
            defer { backend.finish() }
            let inode = backend.namespaceInode
            let listener = try listeningSocket(backend)
            let (fd, remote, isn) = try accept(backend, listener: listener, remotePort: 43000)
            let linger: [UInt8] = [1, 0, 0, 0, 5, 0, 0, 0]
            #expect(try finished(backend, .setsockopt(fd: fd, level: Linux.SOL_SOCKET, name: Linux.SO_LINGER, value: linger, length: 8)).value == 0)
            #expect(try finished(backend, .write(fd: fd, data: .bytes([UInt8](repeating: 7, count: 100)))).value == 100)
            #expect(try nextPacket(backend)?.payload.count == 100)
            #expect(try threadsInNamespace(inode) == 2)

            let start = backend.now()
            let exit = try finished(backend, .exit)
            #expect(exit.value == 0)
            #expect(backend.now() - start < 1_000_000, "exit() waited for the linger time")
            let fin = try #require(try nextPacket(backend)?.tcp)
            #expect(fin.flags == [.fin, .ack])
            #expect(fin.sequenceNumber == SequenceNumber(isn &+ 100))
            #expect(try threadsInNamespace(inode) == 1, "only the namespace thread is left")
            #expect(try finished(backend, .socket(domain: Linux.AF_INET, type: Linux.SOCK_STREAM, protocol: 0)) == .failure(Linux.ESRCH))
            #expect(try finished(backend, .exit) == .failure(Linux.ESRCH))

            // The listener went with the process: a new SYN finds no socket.
            let stranger = RemoteEnd(backend: backend, port: 43001, localPort: backend.network.bindPort)
            try backend.inject(stranger.segment(.syn, seq: 0))
            #expect(try nextPacket(backend)?.tcp?.flags == [.rst, .ack])
            // The orphan lives on: the peer's ACK and FIN are answered.
            try backend.inject(remote.segment([.fin, .ack], seq: 1, ack: isn &+ 101))
            #expect(try nextPacket(backend)?.tcp?.acknowledgmentNumber == SequenceNumber(2))
            backend.finish()
            #expect(try threadsInNamespace(inode) == 0)
        }

        /// finish() ends the process the same way: a socket left with SO_LINGER {1, 5}
        /// and data in flight does not hold it up, and nothing is left in the namespace.
        @Test func finishDoesNotLingerEither() throws {
            let backend = try KernelBackend(network: .packetdrillDefaults(for: .ipv6))
            let inode = backend.namespaceInode
            let listener = try listeningSocket(backend)
            let (fd, _, _) = try accept(backend, listener: listener, remotePort: 45000)
            let linger: [UInt8] = [1, 0, 0, 0, 5, 0, 0, 0]
            #expect(try finished(backend, .setsockopt(fd: fd, level: Linux.SOL_SOCKET, name: Linux.SO_LINGER, value: linger, length: 8)).value == 0)
            #expect(try finished(backend, .write(fd: fd, data: .bytes([1, 2, 3]))).value == 3)
            let start = backend.now()
            backend.finish()
            #expect(backend.now() - start < 1_000_000, "finish() waited for the linger time")
            #expect(tasksAnywhereInNamespace(inode) == 0)
        }

        /// The exiting task drops its descriptors in ascending order (close_files), and
        /// each file whose last reference goes is queued as task work, which runs newest
        /// first: the socket with the highest descriptor is released first.
        @Test func exitReleasesTheHighestDescriptorFirst() throws {
            let backend = try KernelBackend(network: .packetdrillDefaults(for: .ipv4))
            defer { backend.finish() }
            let listener = try listeningSocket(backend)
            let first = try accept(backend, listener: listener, remotePort: 44000)
            let second = try accept(backend, listener: listener, remotePort: 44001)
            let third = try accept(backend, listener: listener, remotePort: 44002)
            #expect([first.fd, second.fd, third.fd] == [4, 5, 6])
            #expect(try finished(backend, .exit).value == 0)
            var order: [UInt16] = []
            for _ in 0..<3 {
                let tcp = try #require(try nextPacket(backend)?.tcp)
                #expect(tcp.flags == [.fin, .ack])
                order.append(tcp.destinationPort)
            }
            #expect(order == [44002, 44001, 44000])
        }

        /// The system call thread's table holds the script's descriptors and the host
        /// process's 0, 1 and 2 only: not the TUN device, the packet socket or any other
        /// descriptor of the process.
        @Test func theScriptsDescriptorTableHoldsOnlyItsOwnDescriptors() throws {
            let backend = try KernelBackend(network: .packetdrillDefaults(for: .ipv4))
            defer { backend.finish() }
            _ = try listeningSocket(backend)
            let tasks = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").filter {
                (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/task/\($0)/ns/net"))
                    == "net:[\(backend.namespaceInode)]"
            }
            #expect(tasks.count == 2)
            func descriptors(of task: String) -> [Int32] {
                ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task/\(task)/fd")) ?? []).compactMap { Int32($0) }
            }
            // The system call thread: above 2, only the listening socket.
            let scriptTask = try #require(tasks.first { descriptors(of: $0).filter { $0 >= 3 }.count == 1 })
            let own = descriptors(of: scriptTask).filter { $0 >= 3 }
            let target = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/task/\(scriptTask)/fd/\(own[0])")
            #expect(target.hasPrefix("socket:["))
            // The namespace thread has the process's table: the device, the packet
            // socket and more, but not the script's socket.
            let processTask = try #require(tasks.first { $0 != scriptTask })
            let processTargets = descriptors(of: processTask).compactMap {
                try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/task/\(processTask)/fd/\($0)")
            }
            #expect(processTargets.contains("/dev/net/tun"))
            #expect(!processTargets.contains(target))
        }
    }
}
