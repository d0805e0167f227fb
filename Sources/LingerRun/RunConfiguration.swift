public import LingerScript
import LingerWire

/// Everything a run is configured with: packetdrill's options, from the script's
/// option lines and then the command line (which wins, as in packetdrill).
public struct RunConfiguration: Sendable, Hashable {
    /// The network the backend is to set up.
    public var network: NetworkConfiguration
    /// `--tolerance_usecs` (default 4000).
    public var toleranceMicroseconds: Int64 = 4000
    /// `--tolerance_percent` (default 12.5, packetdrill's value since Linux 4.8's timer wheel).
    public var tolerancePercent: Double = 12.5
    /// `--mss`: the MSS injected packets are segmented with when larger than the MTU
    /// (0: not given).
    public var mss: Int = 0
    /// `--speed` in Mbps (nil: the device's default).
    public var speedMbps: UInt32?
    /// `--tcp_ts_ecr_scaled`: infer inbound TS ecr values from the first TS val seen.
    public var tcpTimestampEcrScaled = false
    /// `--tcp_ts_tick_usecs`: microseconds per TS val tick; 0 disables TS val checks.
    public var tcpTimestampTickMicroseconds: Int = 0
    /// `--strict_segments`: each expected packet must be one segment (no TSO/GSO aggregation).
    public var strictSegments = false
    /// `--non_fatal=packet`: packet mismatches are warnings.
    public var nonFatalPacket = false
    /// `--non_fatal=syscall`: recorded, as packetdrill does (it has no effect there either).
    public var nonFatalSyscall = false
    /// `--init_scripts`: shell commands run before the script, in order.
    public var initScripts: [String] = []
    /// `--code_command` (default `python3`).
    public var codeCommand = "python3"
    /// `--verbose`.
    public var verbose = false
    /// `--define NAME=value` definitions, in order.
    public var definitions: [(name: String, value: String)] = []

    /// The socket domain `socket(..., ...)` gets: AF_INET for ipv4, AF_INET6 otherwise.
    public var socketDomain: Int32 { network.ipVersion == .ipv4 ? 2 : 10 }

    public static func == (a: RunConfiguration, b: RunConfiguration) -> Bool {
        a.network == b.network && a.toleranceMicroseconds == b.toleranceMicroseconds
            && a.tolerancePercent == b.tolerancePercent && a.mss == b.mss && a.speedMbps == b.speedMbps
            && a.tcpTimestampEcrScaled == b.tcpTimestampEcrScaled
            && a.tcpTimestampTickMicroseconds == b.tcpTimestampTickMicroseconds
            && a.strictSegments == b.strictSegments && a.nonFatalPacket == b.nonFatalPacket
            && a.nonFatalSyscall == b.nonFatalSyscall && a.initScripts == b.initScripts
            && a.codeCommand == b.codeCommand && a.verbose == b.verbose
            && a.definitions.map(\.name) == b.definitions.map(\.name)
            && a.definitions.map(\.value) == b.definitions.map(\.value)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(network)
        hasher.combine(toleranceMicroseconds)
        hasher.combine(mss)
    }

    /// Builds a configuration from the script's options and then the command line's.
    ///
    /// - Parameters:
    ///   - scriptOptions: the script's `--name=value` lines.
    ///   - commandLine: options given to the CLI, as name and optional value
    ///     (`("tolerance_usecs", "10000")`, `("strict_segments", nil)`).
    ///   - scriptPath: the script's path, for messages.
    /// - Throws: ``RunFailure`` with packetdrill's wording for a bad value, or a
    ///   plain "not supported by linger" message for options that need a feature
    ///   Linger lacks.
    public static func make(
        scriptOptions: [ScriptOption], commandLine: [(name: String, value: String?)] = [], scriptPath: String
    ) throws(RunFailure) -> RunConfiguration {
        var builder = Builder()
        for option in scriptOptions {
            try builder.apply(name: option.name, value: option.value?.text, where: scriptPath, fromScript: true)
        }
        for option in commandLine {
            try builder.apply(name: option.name, value: option.value, where: "Command Line", fromScript: false)
        }
        return try builder.finish(scriptPath: scriptPath)
    }

    private struct Builder {
        var config = RunConfiguration(network: .packetdrillDefaults(for: .ipv4))
        var ipVersion: NetworkConfiguration.IPVersion = .ipv4
        var localIP: String?
        var remoteIP: String?
        var gatewayIP: String?
        var netmaskIP: String?
        var bindPort: UInt16 = 8080
        var connectPort: UInt16 = 8080
        var mtu = 1500

        static let takesValue: [String: Bool] = [
            "ip_version": true, "bind_port": true, "code_command": true, "code_format": true,
            "code_sockopt": true, "connect_port": true, "remote_ip": true, "local_ip": true,
            "gateway_ip": true, "netmask_ip": true, "speed": true, "mss": true, "mtu": true,
            "init_scripts": true, "tolerance_usecs": true, "tolerance_percent": true, "wire_client": false,
            "wire_server": false, "wire_server_ip": true, "wire_server_at": true, "wire_server_port": true,
            "wire_client_dev": true, "wire_server_dev": true, "so_filename": true, "so_flags": true,
            "tcp_ts_ecr_scaled": false, "tcp_ts_tick_usecs": true, "strict_segments": false,
            "non_fatal": true, "dry_run": false, "is_anyip": false, "send_omit_free": false,
            "psp_udp_port": true, "debug": false, "define": true, "verbose": false,
        ]

        /// atoi(3): leading blanks, optional sign, digits; anything else ends the number.
        static func atoi(_ text: String) -> Int64 {
            var scalars = Substring(text).drop { $0 == " " || $0 == "\t" }
            var negative = false
            if let first = scalars.first, first == "-" || first == "+" {
                negative = first == "-"
                scalars = scalars.dropFirst()
            }
            var value: Int64 = 0
            for c in scalars {
                guard let digit = c.wholeNumberValue, c.isASCII else { break }
                value = value.multipliedReportingOverflow(by: 10).partialValue &+ Int64(digit)
                if value > Int64(Int32.max) * 4 { break }
            }
            return negative ? -value : value
        }

        mutating func apply(name: String, value: String?, where place: String, fromScript: Bool) throws(RunFailure) {
            guard let hasArgument = Self.takesValue[name] else {
                throw RunFailure.script("\(place): option '\(name)' unknown")
            }
            if fromScript {
                if value != nil && !hasArgument { throw .script("\(place): option '\(name)' forbids an argument") }
                if value == nil && hasArgument { throw .script("\(place): option '\(name)' requires an argument") }
            } else if value == nil && hasArgument {
                throw .script("\(place): option '--\(name)' requires an argument")
            }
            let text = value ?? ""
            func bad() -> RunFailure { .script("\(place): bad --\(name): \(text)") }
            switch name {
            case "ip_version":
                guard let version = NetworkConfiguration.IPVersion(rawValue: text) else { throw bad() }
                ipVersion = version
            case "bind_port", "connect_port":
                let port = Self.atoi(text)
                guard port > 0, port <= 0xFFFF else { throw bad() }
                if name == "bind_port" { bindPort = UInt16(port) } else { connectPort = UInt16(port) }
            case "code_command": config.codeCommand = text
            case "code_format":
                guard text == "python" else { throw .unsupported("--code_format=\(text) is not supported by linger: only python") }
            case "code_sockopt":
                guard text.isEmpty || text == "TCP_INFO" else {
                    throw .unsupported("--code_sockopt=\(text) is not supported by linger: only TCP_INFO")
                }
            case "remote_ip": remoteIP = text
            case "local_ip": localIP = text
            case "gateway_ip": gatewayIP = text
            case "netmask_ip": netmaskIP = text
            case "speed":
                guard let speed = UInt32(text) else { throw bad() }
                config.speedMbps = speed
            case "mss":
                let mss = Self.atoi(text)
                guard mss > 0 else { throw bad() }
                config.mss = Int(mss)
            case "mtu":
                let value = Self.atoi(text)
                guard value >= 0 else { throw bad() }
                mtu = Int(value)
            case "init_scripts":
                config.initScripts = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            case "tolerance_usecs":
                let value = Self.atoi(text)
                guard value > 0 else { throw bad() }
                config.toleranceMicroseconds = value
            case "tolerance_percent":
                let value = Double(text.trimmingPrefix(" ")) ?? 0
                guard value >= 0, value <= 100 else { throw bad() }
                config.tolerancePercent = value
            case "tcp_ts_ecr_scaled": config.tcpTimestampEcrScaled = true
            case "tcp_ts_tick_usecs":
                let value = Self.atoi(text)
                guard value >= 0, value <= 1_000_000 else { throw bad() }
                config.tcpTimestampTickMicroseconds = Int(value)
            case "strict_segments": config.strictSegments = true
            case "non_fatal":
                for token in text.split(whereSeparator: { $0 == "," || $0 == " " }) {
                    if token == "packet" { config.nonFatalPacket = true }
                    if token == "syscall" { config.nonFatalSyscall = true }
                }
            case "define":
                guard let equals = text.firstIndex(of: "="), equals != text.startIndex else {
                    throw .script("\(place): bad definition: \(text)")
                }
                config.definitions.append((String(text[..<equals]), String(text[text.index(after: equals)...])))
            case "verbose": config.verbose = true
            case "debug", "dry_run", "send_omit_free": break
            case "wire_client", "wire_server", "wire_server_ip", "wire_server_at", "wire_server_port",
                 "wire_client_dev", "wire_server_dev":
                throw .unsupported("--\(name) is not supported by linger: remote (wire client/server) mode")
            case "so_filename", "so_flags":
                throw .unsupported("--\(name) is not supported by linger: shared-object TCP stacks")
            case "psp_udp_port":
                throw .unsupported("--\(name) is not supported by linger: PSP encryption")
            case "is_anyip":
                throw .unsupported("--\(name) is not supported by linger: any-IP mode")
            default:
                throw .script("\(place): option '\(name)' unknown")
            }
        }

        func finish(scriptPath: String) throws(RunFailure) -> RunConfiguration {
            var result = config
            var network = NetworkConfiguration.packetdrillDefaults(for: ipVersion)
            func address(_ text: String?, _ option: String, v6: Bool) throws(RunFailure) -> IPAddress? {
                guard let text else { return nil }
                if !v6, let a = IPv4Address(text) { return .v4(a) }
                if v6, let a = IPv6Address(text) { return .v6(a) }
                throw .script("\(scriptPath): bad --\(option): \(text)")
            }
            let v6 = ipVersion == .ipv6
            // packetdrill accepts a prefix on --remote_ip (`192.0.2.1/24`); the address is what counts.
            let remoteText = remoteIP.map { String($0.split(separator: "/", maxSplits: 1).first ?? "") }
            if let a = try address(localIP, "local_ip", v6: v6) { network.localAddress = a }
            if let a = try address(remoteText, "remote_ip", v6: v6) { network.remoteAddress = a }
            if let a = try address(gatewayIP, "gateway_ip", v6: v6) { network.gatewayAddress = a }
            if let netmaskIP, !v6 {
                guard let mask = IPv4Address(netmaskIP) else { throw .script("\(scriptPath): bad --netmask_ip: \(netmaskIP)") }
                // netmask_to_prefix counts the leading one bits.
                network.prefixLength = mask.value.leadingZeroBitCount == 0 ? (~mask.value).leadingZeroBitCount : 0
            }
            network.mtu = mtu
            network.bindPort = bindPort
            network.connectPort = connectPort
            result.network = network
            return result
        }
    }
}
