import Foundation
import Testing

/// `linger run --pcap`: the file must open in the real tcpdump and tshark (the
/// oracles; .ci/run installs both) with one record per packet of the run.
@Suite struct PcapOutputTests {
    static func tool(_ name: String) -> String? {
        ["/usr/bin/", "/usr/sbin/", "/bin/", "/sbin/"].map { $0 + name }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static func run(_ tool: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// Runs active-close-four-way.pkt on the sim with --pcap and returns the file.
    static func capture() throws -> URL {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("linger-\(UUID().uuidString).pcap")
        let outcome = try LingerProcess.run(["run", "--pcap", file.path, "Tests/Scripts/active-close-four-way.pkt"])
        #expect(outcome.status == 0, "\(outcome.standardError)")
        return file
    }

    // The script's packets: handshake (3), data in two segments and its ACK (3),
    // FIN and its ACK (2), the peer's FIN and our ACK (2), the repeated FIN and
    // our ACK (2), and the runner's closing RST (1).
    static let expectedPackets = 13

    @Test(.enabled(if: tool("tcpdump") != nil, "skipped: tcpdump is not installed"))
    func tcpdumpReadsEveryPacket() throws {
        let file = try Self.capture()
        defer { try? FileManager.default.removeItem(at: file) }
        let (status, output) = try Self.run(try #require(Self.tool("tcpdump")), ["-nn", "-r", file.path])
        #expect(status == 0)
        let lines = output.split(separator: "\n")
        #expect(lines.count == Self.expectedPackets)
        #expect(lines.first?.hasPrefix("00:00:00.100000 IP 192.0.2.1.40000 > 192.168.0.1.8080: Flags [S]") == true)
        #expect(lines.filter { $0.contains("Flags [F.]") }.count == 3)
        #expect(lines.last?.contains("Flags [R.]") == true)
    }

    @Test(.enabled(if: tool("tshark") != nil, "skipped: tshark is not installed"))
    func tsharkReadsEveryPacket() throws {
        let file = try Self.capture()
        defer { try? FileManager.default.removeItem(at: file) }
        let (status, output) = try Self.run(try #require(Self.tool("tshark")),
                                            ["-r", file.path, "-T", "fields", "-e", "tcp.flags.str", "-e", "tcp.len"])
        #expect(status == 0)
        let rows = output.split(separator: "\n")
        #expect(rows.count == Self.expectedPackets)
        // tshark checks what tcpdump shows differently: the TCP payload lengths.
        #expect(rows.compactMap { $0.split(separator: "\t").last.flatMap { Int($0) } }.reduce(0, +) == 2000)
    }

    @Test func pcapWantsOneScript() throws {
        let outcome = try LingerProcess.run(["run", "--pcap", "/tmp/never.pcap", "Tests/Scripts"])
        #expect(outcome.status != 0)
        #expect(outcome.standardError.contains("--pcap writes one run: give one script"))
    }
}
