public import LingerRun

#if os(Linux)
import CLingerLinux
import Glibc
import LingerWire
#endif

/// The host's live Linux kernel as a ``Backend``, as packetdrill drives it: a private
/// network namespace with a TUN device, real sockets, real time.
///
/// Everything the backend does happens in its own network namespace, so nothing a
/// script does (sysctls, routes, qdiscs, sockets) touches the host or another
/// backend. The namespace is entered by threads the backend owns: a namespace
/// thread that sets it up and spawns commands, and a system call thread that runs
/// every system call. The backend can therefore be driven from any thread, in a
/// process with any number of other threads. ``finish()`` (or deinit) closes
/// everything and ends those threads, and the namespace goes away with them.
///
/// Inside the namespace, `lo` is up and the TUN device (`tun0`) carries the local
/// address with its prefix, the MTU, and a route to the remote address via the
/// gateway. See ``Options`` for what else can be chosen.
///
/// Needs Linux, root (CAP_SYS_ADMIN and CAP_NET_ADMIN) and /dev/net/tun;
/// ``unavailableReason`` says what is missing.
///
/// Script descriptors are numbered as in a fresh process (3, 4, ... lowest free
/// first), whatever numbers the real descriptors have; 0, 1 and 2 are not the
/// script's and answer EBADF. The real descriptors live in the system call thread's
/// own descriptor table, which plays the script's process: `exit()` (and
/// ``finish()``) end that thread, and the kernel closes the table as it does for an
/// exiting process.
public final class KernelBackend: Backend {
    /// Choices beyond the ``NetworkConfiguration``.
    public struct Options: Sendable, Hashable {
        /// The TUN device's name (scripts' commands name it, as in `tc qdisc ... dev tun0`).
        public var deviceName: String
        /// The length of the prefix routed to the device around the remote address:
        /// nil routes just the remote address (/32, /128), as packetdrill does for
        /// `--remote_ip` given without a prefix; packetdrill's own default remote
        /// address comes with /24 (IPv4) and /32 (IPv6).
        public var remotePrefixLength: Int?
        /// Whether ``KernelBackend/nextOutboundPacket(deadline:)`` skips packets to
        /// multicast addresses (IPv4 224.0.0.0/4, IPv6 ff00::/8), which the kernel may
        /// send on its own (MLD, IGMP) and no script plays the receiver of. The
        /// namespace is also set up so that the kernel does not send them (no IPv6
        /// link-local address, no DAD, no router solicitations); this is the second
        /// guard. Off: every packet the device carries is returned.
        public var skipsMulticast: Bool

        /// Creates options.
        public init(deviceName: String = "tun0", remotePrefixLength: Int? = nil, skipsMulticast: Bool = true) {
            self.deviceName = deviceName
            self.remotePrefixLength = remotePrefixLength
            self.skipsMulticast = skipsMulticast
        }
    }

    /// The addresses, ports and MTU the backend's network was set up with.
    public let network: NetworkConfiguration
    /// The options the backend was created with.
    public let options: Options

    #if os(Linux)
    /// The backend's network namespace, by inode number (what `ls -l /proc/PID/ns/net`
    /// and `lsns` show as `net:[NUMBER]`).
    public let namespaceInode: UInt64

    private let namespaceThread: WorkerThread
    private let callThread: SystemCallThread
    private let tun: TunDevice
    private let sniffer: PacketSniffer
    private var finished = false

    /// Creates a private network namespace with a TUN device configured from `network`.
    ///
    /// - Throws: ``BackendError`` saying what is missing (root, /dev/net/tun) or what
    ///   the kernel refused (an MTU, an address, a route the gateway cannot reach).
    public init(network: NetworkConfiguration, options: Options = Options()) throws(BackendError) {
        if let reason = KernelBackend.unavailableReason { throw BackendError(reason) }
        if clinger_install_signal_handlers() != 0 {
            throw BackendError("cannot set up signal handling: \(errnoDescription(errno))")
        }
        let namespaceThread = try WorkerThread(name: "namespace")
        let setup = namespaceThread.perform { () -> Result<(NamespaceSetup.Outcome, SystemCallThread), BackendError> in
            do throws(BackendError) {
                let outcome = try NamespaceSetup.run(network, options: options)
                do throws(BackendError) {
                    // Created from inside the namespace, so the thread is in it too.
                    return .success((outcome, try SystemCallThread()))
                } catch {
                    close(outcome.tunFD)
                    close(outcome.snifferFD)
                    return .failure(error)
                }
            } catch {
                return .failure(error)
            }
        }
        switch setup {
        case .success(let (outcome, callThread)):
            self.network = network
            self.options = options
            self.namespaceInode = outcome.namespaceInode
            self.namespaceThread = namespaceThread
            self.callThread = callThread
            self.tun = TunDevice(fd: outcome.tunFD)
            self.sniffer = PacketSniffer(fd: outcome.snifferFD)
        case .failure(let error):
            namespaceThread.stop()
            throw error
        }
    }

    deinit {
        finish()
    }

    /// Why the kernel backend cannot run here, or nil when it can: it needs Linux,
    /// CAP_SYS_ADMIN and CAP_NET_ADMIN (root), and /dev/net/tun.
    public static var unavailableReason: String? {
        if let capabilities = effectiveCapabilities() {
            let netAdmin: UInt64 = 1 << 12
            let sysAdmin: UInt64 = 1 << 21
            if capabilities & (netAdmin | sysAdmin) != netAdmin | sysAdmin {
                return "the kernel backend needs root (CAP_SYS_ADMIN to create a network namespace, CAP_NET_ADMIN "
                    + "to configure it): run as root, e.g. with sudo, or use the simulated backend"
            }
        } else if geteuid() != 0 {
            return "the kernel backend needs root: run as root, e.g. with sudo, or use the simulated backend"
        }
        if access("/dev/net/tun", F_OK) != 0 {
            return "/dev/net/tun is missing: load the tun module (modprobe tun), or in a container pass the "
                + "device (docker run --device /dev/net/tun --cap-add NET_ADMIN --cap-add SYS_ADMIN)"
        }
        return nil
    }

    // MARK: Clock

    /// CLOCK_MONOTONIC, in microseconds.
    public func now() -> Int64 {
        MonotonicClock.now()
    }

    /// Just after a tick of the kernel's clock, as packetdrill's start: spins through
    /// ten changes of the process-time clock (times(2), whose value follows the
    /// kernel's tick counter, jiffies) and returns 250 µs after the last one. Script
    /// times then sit at the same distance from the ticks on which the kernel's
    /// timers (retransmission, delayed ACK, probes) fire, run after run; without it
    /// a timer may fire a tick earlier or later relative to the script.
    ///
    /// Before that, one harmless call (fcntl on descriptor -1) goes through the system
    /// call thread, so the script's first call does not pay for first-time work.
    public func startTime() -> Int64 {
        _ = callThread.start(.fcntl(fd: -1, command: F_GETFL, argument: 0))
        let ticksToSee = 10
        let offsetAfterTick: Int64 = 250
        var seen = 0
        var last = times(nil)
        var start = MonotonicClock.now()
        // A tick comes every 10 ms at most (USER_HZ 100); give up after 300 ms.
        let giveUp = start + 300_000
        while seen < ticksToSee {
            let ticks = times(nil)
            let time = MonotonicClock.now()
            if ticks != last {
                start = time
                seen += 1
                last = ticks
            }
            if time > giveUp { return time }
        }
        return start + offsetAfterTick
    }

    /// Sleeps until shortly before `time`, then spins until it (like packetdrill), so
    /// it returns within a few microseconds after `time`.
    ///
    /// Only this thread spins: a second busy CPU (a system call thread polling for
    /// work, say) changes when the kernel's timers fire relative to the script (a
    /// delayed ACK due on the next tick then went a tick later), so the system call
    /// thread sleeps until it is given a call, as packetdrill's does.
    public func wait(until time: Int64) {
        MonotonicClock.wait(until: time)
    }

    // MARK: Packets

    /// Writes the packet to the TUN device: the kernel receives it as from the wire
    /// (and checks its checksums).
    public func inject(_ packet: [UInt8]) throws(BackendError) {
        guard !finished else { throw BackendError("the kernel backend has finished: no packet can be injected") }
        try tun.write(packet)
    }

    /// The next packet the kernel sent on the TUN device, with complete checksums
    /// (offloaded ones are filled in) and the time the kernel sent it, which may be
    /// well before this call. Large writes come as one TSO packet, as packetdrill shows
    /// them. Multicast packets are skipped unless ``Options/skipsMulticast`` is off.
    ///
    /// As under packetdrill, packets are seen through a packet socket, and each one
    /// seen is then taken off the TUN device's queue: until then the kernel's TCP
    /// finds it still in the host's queues (which holds back, for instance, the
    /// retransmission of a segment not yet gone).
    public func nextOutboundPacket(deadline: Int64) throws(BackendError) -> CapturedPacket? {
        guard !finished else { throw BackendError("the kernel backend has finished: no packets can be read") }
        while let sniffed = try sniffer.next(until: deadline) {
            // The packet socket sees a packet just before the device queues it.
            try tun.discardOne(until: MonotonicClock.now() + 1_000_000)
            if options.skipsMulticast && Self.isMulticast(sniffed.bytes) { continue }
            return CapturedPacket(bytes: sniffed.bytes, time: sniffed.time)
        }
        return nil
    }

    private static func isMulticast(_ packet: [UInt8]) -> Bool {
        guard let first = packet.first else { return false }
        switch first >> 4 {
        case 4: return packet.count >= 20 && packet[16] & 0xF0 == 0xE0
        case 6: return packet.count >= 40 && packet[24] == 0xFF
        default: return false
        }
    }

    // MARK: System calls

    /// Runs the call on the system call thread. Returns `.finished` when it returns at
    /// once, `.blocked` when the thread is found sleeping inside the system call.
    ///
    /// ``SocketCall/exit`` ends the system call thread: the kernel closes the script's
    /// descriptors as for an exiting process (PF_EXITING: no SO_LINGER wait), and the
    /// call returns 0 once the thread is gone. Every later call answers -1 with ESRCH.
    ///
    /// If an earlier blocked call has not returned (the runner should await it
    /// first), waits up to a second for it, then answers -1 with EBUSY without running
    /// the call.
    public func start(_ call: SocketCall) -> CallStart {
        guard !finished else {
            return .finished(CallCompletion(result: .failure(EBADF), time: MonotonicClock.now()))
        }
        return callThread.start(call)
    }

    /// Waits until the blocked call returns, at most until `deadline`.
    public func awaitBlockedCall(deadline: Int64) -> CallCompletion? {
        callThread.awaitBlockedCall(deadline: deadline)
    }

    // MARK: Commands

    /// Runs `/bin/sh -c commandLine` in `directory`, spawned from the namespace thread so
    /// the command (`sysctl`, `ip`, `tc`, `ss`, ...) sees and changes the backend's
    /// namespace only. Standard input is /dev/null; standard output and standard error
    /// are captured together. Returns when the shell exits (a command it left running
    /// in the background is not waited for).
    public func runCommand(_ commandLine: String, in directory: String) throws(BackendError) -> CommandOutcome {
        guard !finished else { throw BackendError("the kernel backend has finished: no command can run") }
        return try ShellCommand.run(commandLine, in: directory, spawningOn: namespaceThread)
    }

    // MARK: End

    /// Whether ``finish()`` ran.
    var isFinished: Bool { finished }

    /// Ends the system call thread, so the kernel closes every descriptor the script
    /// left open as the exit of its process would (without lingering), ends the
    /// namespace thread and closes the TUN device; with nothing left in it, the
    /// namespace goes away. A call still blocked is interrupted first. Calling it
    /// again does nothing.
    public func finish() {
        guard !finished else { return }
        finished = true
        if callThread.finish() {
            namespaceThread.stop()
            close(tun.fd)
            sniffer.close()
        }
        // A call that ignored the interrupt for ten seconds keeps its thread; the
        // device stays open with it rather than pulling the namespace from under it.
    }

    private static func effectiveCapabilities() -> UInt64? {
        guard let status = NamespaceSetup.readTextFile("/proc/self/status") else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("CapEff:") {
            return UInt64(line.dropFirst("CapEff:".count).trimmingPrefix(while: { $0 == " " || $0 == "\t" }), radix: 16)
        }
        return nil
    }

    #else

    /// Always throws: the kernel backend needs Linux (network namespaces, TUN devices).
    public init(network: NetworkConfiguration, options: Options = Options()) throws(BackendError) {
        throw BackendError(Self.unavailableReason ?? "the kernel backend needs Linux")
    }

    /// Why the kernel backend cannot run here: it needs Linux.
    public static var unavailableReason: String? {
        "the kernel backend needs Linux (network namespaces and TUN devices): use the simulated backend"
    }

    public func now() -> Int64 { 0 }
    public func startTime() -> Int64 { 0 }
    public func wait(until time: Int64) {}
    public func inject(_ packet: [UInt8]) throws(BackendError) { throw BackendError("the kernel backend needs Linux") }
    public func nextOutboundPacket(deadline: Int64) throws(BackendError) -> CapturedPacket? { nil }
    public func start(_ call: SocketCall) -> CallStart {
        .finished(CallCompletion(result: .failure(38), time: 0))
    }
    public func awaitBlockedCall(deadline: Int64) -> CallCompletion? { nil }
    public func runCommand(_ commandLine: String, in directory: String) throws(BackendError) -> CommandOutcome {
        throw BackendError("the kernel backend needs Linux")
    }
    public func finish() {}
    #endif
}

#if os(Linux)
extension KernelBackend: SocketTableSource {
    /// The host's `ss ARGUMENTS` run inside the namespace (its output is a pipe,
    /// so ss lays the table out compactly). The words are passed as they are.
    public func socketTable(arguments: [String]) throws(BackendError) -> String {
        let quoted = arguments.map { word in
            "'" + word.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''") + "'"
        }
        let outcome = try runCommand((["ss"] + quoted).joined(separator: " "), in: "/")
        guard outcome.status == 0 else {
            throw BackendError("ss \(arguments.joined(separator: " ")) exited with status \(outcome.status): \(outcome.output)")
        }
        return outcome.output
    }
}

extension KernelBackend: CounterSource {
    /// The namespace's own counters, read from its /proc/net files on the
    /// namespace thread (/proc/net follows the thread group leader's namespace, so
    /// the files are read under /proc/thread-self). Empty after ``finish()``.
    public func counterValues() -> [CounterValue] {
        guard !isFinished else { return [] }
        return namespaceThread.perform { () -> [CounterValue] in
            func read(_ name: String) -> String { NamespaceSetup.readTextFile("/proc/thread-self/net/" + name) ?? "" }
            return CounterValue.parseProcCounters(snmp: read("snmp"), netstat: read("netstat"), snmp6: read("snmp6"))
        }
    }
}
#endif
