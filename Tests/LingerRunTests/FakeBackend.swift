import LingerRun
import LingerScript
import LingerWire

/// A backend that plays a tiny scripted kernel on a virtual clock: tests say what each
/// system call returns and which packets the "stack" sends when, and read back what the
/// runner injected and asked for. No real time passes.
final class FakeBackend: Backend {
    let network: NetworkConfiguration
    var clock: Int64 = 5_000_000
    /// Packets the stack "sends", in order, each at its time.
    var outbound: [CapturedPacket] = []
    /// Packets the runner injected, with the clock when they came.
    var injected: [(packet: Packet, time: Int64)] = []
    /// Calls the runner started, with the clock.
    var calls: [(call: SocketCall, time: Int64)] = []
    /// What each call returns; the default answers like a quiet kernel.
    var respond: (SocketCall, FakeBackend) -> CallStart = { call, backend in backend.defaultAnswer(call) }
    /// Runs after each injection (to answer a SYN with a SYN-ACK, ...).
    var onInject: (Packet, FakeBackend) -> Void = { _, _ in }
    /// The blocked call's return, when it comes.
    var blockedCompletion: CallCompletion?
    var commands: [(line: String, directory: String)] = []
    var commandStatus: (String) -> Int32 = { _ in 0 }
    /// Runs commands with the host's /bin/sh instead of answering with ``commandStatus``.
    var runsCommandsOnHost = false
    var finished = false
    var nextFD: Int32 = 3

    init(network: NetworkConfiguration = .packetdrillDefaults(for: .ipv4)) {
        self.network = network
    }

    func now() -> Int64 { clock }

    func wait(until time: Int64) { clock = max(clock, time) }

    func inject(_ bytes: [UInt8]) throws(BackendError) {
        guard let packet = try? Packet(parsing: bytes, checksums: .verify) else { throw BackendError("bad packet injected") }
        injected.append((packet, clock))
        onInject(packet, self)
    }

    func nextOutboundPacket(deadline: Int64) throws(BackendError) -> CapturedPacket? {
        if let first = outbound.first, first.time <= deadline {
            outbound.removeFirst()
            clock = max(clock, first.time)
            return first
        }
        if deadline != Int64.max { clock = max(clock, deadline) }
        return nil
    }

    func start(_ call: SocketCall) -> CallStart {
        calls.append((call, clock))
        return respond(call, self)
    }

    func awaitBlockedCall(deadline: Int64) -> CallCompletion? {
        if let completion = blockedCompletion, completion.time <= deadline {
            blockedCompletion = nil
            clock = max(clock, completion.time)
            return completion
        }
        if deadline != Int64.max { clock = max(clock, deadline) }
        return nil
    }

    func runCommand(_ commandLine: String, in directory: String) throws(BackendError) -> CommandOutcome {
        commands.append((commandLine, directory))
        if runsCommandsOnHost { return HostShell.run(commandLine, in: "/tmp") }
        return CommandOutcome(status: commandStatus(commandLine), output: "")
    }

    func finish() { finished = true }

    /// Success for everything: new descriptors for socket/accept, the count for writes.
    func defaultAnswer(_ call: SocketCall) -> CallStart {
        func done(_ value: Int64, _ errno: Int32 = 0, _ output: SocketCallOutput = .none) -> CallStart {
            .finished(CallCompletion(result: SocketCallResult(value: value, errno: errno, output: output), time: clock))
        }
        switch call {
        case .socket, .accept, .epollCreate, .dup:
            defer { nextFD += 1 }
            return done(Int64(nextFD))
        case .write(_, let data): return done(Int64(data.length))
        case .getsockopt(_, _, _, let length): return done(0, 0, .option([UInt8](repeating: 0, count: Int(length))))
        default: return done(0)
        }
    }

    /// Queues a TCP packet from the local end, `delay` microseconds from now.
    func send(_ flags: TCPFlags, seq: UInt32, ack: UInt32 = 0, window: UInt16 = 502, options: [TCPOption] = [],
              payload: Int = 0, nonzeroByteAt: Int? = nil, toPort: UInt16 = 40_000, fromPort: UInt16 = 8080,
              after delay: Int64 = 0) {
        var bytes = [UInt8](repeating: 0, count: payload)
        if let index = nonzeroByteAt, bytes.indices.contains(index) { bytes[index] = 0x5A }
        let packet = Packet.tcp(from: network.localAddress, fromPort, to: network.remoteAddress, toPort, flags: flags,
                                seq: seq, ack: ack, window: window, options: options, payload: bytes)
        outbound.append(CapturedPacket(bytes: packet.serialize(), time: clock + delay))
    }
}

/// Runs script text on a backend and returns the result.
func run(_ text: String, on backend: FakeBackend, commandLine: [(name: String, value: String?)] = []) -> ScriptRunResult {
    let parsed = ScriptParser.parse(source: text, fileName: "script.pkt")
    guard parsed.isSuccess else {
        return ScriptRunResult(verdict: .failed, message: "parse: " + parsed.diagnostics.map(\.description).joined(separator: "\n"))
    }
    let configuration: RunConfiguration
    do {
        configuration = try RunConfiguration.make(scriptOptions: parsed.script.options, commandLine: commandLine,
                                                  scriptPath: "/tmp/scripts/script.pkt")
    } catch {
        return ScriptRunResult(verdict: error.kind == .unsupported ? .unsupported : .failed, message: error.message)
    }
    return ScriptRunner(script: parsed.script, scriptPath: "/tmp/scripts/script.pkt", configuration: configuration,
                        backend: backend).run()
}

/// A listening socket on fd 3 (lines 1-4).
let listenPreamble = """
0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0

"""

/// A stack that answers an injected SYN with a SYN-ACK (ISN 5000) `delay` later.
func answerSYN(_ backend: FakeBackend, delay: Int64 = 0, ack: UInt32? = nil,
               options: [TCPOption] = [.maximumSegmentSize(1460), .noOperation, .noOperation, .sackPermitted,
                                       .noOperation, .windowScale(8)]) {
    backend.onInject = { packet, backend in
        guard let tcp = packet.tcp, tcp.flags == .syn else { return }
        backend.send([.syn, .ack], seq: 5000, ack: ack ?? (tcp.sequenceNumber.rawValue &+ 1), window: 65535,
                     options: options, toPort: tcp.sourcePort, after: delay)
    }
}
