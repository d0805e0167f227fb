import Testing
import LingerWire

/// The formatter against real tcpdump output (TcpdumpOracleFixtures, KernelCaptureFixtures).
@Suite struct TcpdumpFormatterTests {
    @Test func matchesTcpdumpRelativeNumbering() throws {
        for group in TcpdumpOracle.groups {
            var formatter = TcpdumpFormatter()
            for c in group.cases {
                let packet = try Packet(parsing: bytes(c.hex), malformedOptions: .keepAsUnparsed)
                #expect(formatter.format(packet) == c.relative, "group \(group.name)")
            }
        }
    }

    @Test func matchesTcpdumpAbsoluteNumbering() throws {
        let formatter = TcpdumpFormatter(numbering: .absolute)
        for group in TcpdumpOracle.groups {
            for c in group.cases {
                var f = formatter
                let packet = try Packet(parsing: bytes(c.hex), malformedOptions: .keepAsUnparsed)
                #expect(f.format(packet) == c.absolute, "group \(group.name)")
            }
        }
    }

    @Test func knownInitialSequenceNumbers() throws {
        // The "conn" group: client 192.0.2.1:54442 (ISN 1000), server 192.168.0.1:8080 (ISN 3000000000).
        let client = TCPEndpoint(try #require(IPAddress("192.0.2.1")), 54442)
        let server = TCPEndpoint(try #require(IPAddress("192.168.0.1")), 8080)
        let cases = try #require(TcpdumpOracle.groups.first { $0.name == "conn" }).cases
        var relativeSyn = TcpdumpFormatter(numbering: .initialSequenceNumbers([client: 1000, server: 3_000_000_000], synAbsolute: false))
        var tcpdumpLike = TcpdumpFormatter(numbering: .initialSequenceNumbers([client: 1000, server: 3_000_000_000], synAbsolute: true))
        let syn = try Packet(parsing: bytes(cases[0].hex))
        let synAck = try Packet(parsing: bytes(cases[1].hex))
        #expect(relativeSyn.format(syn).contains("Flags [S], seq 0, win 32792"))
        #expect(relativeSyn.format(synAck).contains("Flags [S.], seq 0, ack 1, win 65535"))
        // With raw SYNs, every line equals tcpdump's own relative output for this connection
        // (tcpdump shows SYNs raw and relates the rest to the handshake).
        for c in cases.prefix(7) {
            #expect(tcpdumpLike.format(try Packet(parsing: bytes(c.hex))) == c.relative)
        }
    }
}

@Suite struct KernelCaptureTests {
    @Test func parsesRebuildsAndPrintsLikeTcpdump() throws {
        var relative = TcpdumpFormatter()
        var absolute = TcpdumpFormatter(numbering: .absolute)
        for c in KernelCapture.packets {
            let wire = bytes(c.hex)
            let packet = try Packet(parsing: wire)
            #expect(packet.serialize(updatingLengths: false, updatingChecksums: false) == wire)
            #expect(relative.format(packet) == c.relative)
            #expect(absolute.format(packet) == c.absolute)
        }
    }

    /// Loopback TCP and UDP checksums are mostly partial (pseudo-header sum only): the
    /// kernel leaves them for an offload that never happens on `lo`. The IPv4 header, ICMP
    /// and ICMPv6 checksums are complete, and so is the IPv4 RST from the closed port
    /// (Linux builds that reply itself, checksum included). Strict verification tells
    /// them apart, the partial policy accepts all, and recomputed checksums verify strictly.
    @Test func checksumsAreCompleteOrPartialAsLinuxLeavesThem() throws {
        var complete: [String] = []
        for c in KernelCapture.packets {
            let wire = bytes(c.hex)
            let packet = try Packet(parsing: wire, checksums: .verifyAllowingPartial)
            do {
                _ = try Packet(parsing: wire, checksums: .verify)
                complete.append(c.relative)
            } catch {
                guard case .badChecksum(let kind, _, _, _) = error else {
                    Issue.record("\(error)")
                    continue
                }
                #expect(kind == .tcp || kind == .udp)
            }
            let recomputed = packet.serialize()
            #expect(throws: Never.self) { try Packet(parsing: recomputed, checksums: .verify) }
            // Only transport bytes (the checksum field) may differ.
            #expect(recomputed.count == wire.count)
            let differing = zip(recomputed, wire).enumerated().filter { $0.element.0 != $0.element.1 }.map(\.offset)
            #expect(differing.allSatisfy { $0 >= 20 })
        }
        #expect(complete == [
            "IP 127.0.0.1.9 > 127.0.0.1.42566: Flags [R.], seq 0, ack 239132811, win 0, length 0",
            "IP 127.0.0.1 > 127.0.0.1: ICMP 127.0.0.1 udp port 9 unreachable, length 41",
            "IP6 ::1 > ::1: ICMP6, destination unreachable, unreachable port, ::1 udp port 9, length 61",
        ])
    }

    @Test func hexDumpReadsTcpdumpXXOutput() throws {
        let chunks = try HexDump.packets(in: KernelCapture.tcpdumpHexOutput)
        #expect(chunks.map(\.bytes) == KernelCapture.packets.prefix(3).map { bytes($0.hex) })
        #expect(chunks.map(\.line) == [2, 7, 12])
    }
}
