import ArgumentParser
import Foundation
import LingerWire

/// `linger decode`: shows raw IPv4/IPv6 packets as tcpdump (and packetdrill) would.
struct DecodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Decode raw IPv4/IPv6 packets written in hex and print them like tcpdump.",
        discussion: """
            Each argument is one packet in hex. Without arguments, packets are read from \
            standard input: plain hex (spaces, newlines and 0x prefixes allowed; a blank \
            line separates packets) or the output of `tcpdump -xx` / `-x` / `-X`, where \
            each `0x0000:` offset starts a packet and summary lines are skipped. The IP \
            version comes from the first nibble; link-layer headers are not accepted.

            Sequence numbers are relative per connection, as tcpdump shows them, unless \
            --absolute is given. With --packetdrill, each packet is followed by its \
            packetdrill form, numbered from the first SYN seen from each endpoint.

            A malformed packet is reported with its number and the byte where it goes \
            wrong; the other packets are still shown, and the exit status is 1.

            Examples:
              linger decode 45000034000040004006b819c0000201c0a80001d4aa1f9000000000000000008002801879df0000020403e80402010101030307
              sudo tcpdump -i lo -nn -xx -c 4 | linger decode --packetdrill
              linger decode --verify-checksums < packets.hex
            """
    )

    @Argument(help: "Packets in hex, one per argument (read standard input when none are given).")
    var packets: [String] = []

    @Flag(name: .long, help: "Also print each TCP packet as a packetdrill script line.")
    var packetdrill = false

    @Flag(name: .long, help: "Check the IPv4 header, TCP, UDP and ICMP checksums; a wrong one is an error.")
    var verifyChecksums = false

    @Flag(name: .long, help: "With --verify-checksums, accept TCP/UDP checksums that hold only the pseudo-header sum (offloaded, as captured on lo).")
    var allowPartialChecksums = false

    @Flag(name: [.customShort("S"), .long], help: "Print absolute TCP sequence numbers (like tcpdump -S).")
    var absolute = false

    @Flag(name: .long, help: "Keep malformed TCP options as raw bytes instead of rejecting the packet.")
    var lenientOptions = false

    func run() throws {
        var chunks: [(label: String, bytes: [UInt8])] = []
        var failures = 0
        if packets.isEmpty {
            var text = ""
            while let line = readLine(strippingNewline: false) { text += line }
            do {
                for c in try HexDump.packets(in: text) { chunks.append(("line \(c.line)", c.bytes)) }
            } catch {
                printError("standard input: \(error)")
                throw ExitCode(1)
            }
        } else {
            for (n, argument) in packets.enumerated() {
                do {
                    let found = try HexDump.packets(in: argument)
                    if found.isEmpty {
                        printError("packet \(chunks.count + 1) (argument \(n + 1)): no hex digits")
                        failures += 1
                    }
                    for c in found { chunks.append(("argument \(n + 1)", c.bytes)) }
                } catch {
                    printError("argument \(n + 1): \(error)")
                    failures += 1
                }
            }
        }
        var tcpdump = TcpdumpFormatter(numbering: absolute ? .absolute : .tcpdump)
        var drill = PacketdrillFormatter(showEndpoints: true)
        for (index, chunk) in chunks.enumerated() {
            do {
                let policy: ChecksumPolicy = verifyChecksums ? (allowPartialChecksums ? .verifyAllowingPartial : .verify) : .ignore
                let packet = try Packet(parsing: chunk.bytes, checksums: policy,
                                        malformedOptions: lenientOptions ? .keepAsUnparsed : .reject)
                print(tcpdump.format(packet))
                if packetdrill {
                    if let tcp = packet.tcp, tcp.flags.contains(.syn), let source = packet.sourceEndpoint,
                       drill.initialSequenceNumbers[source] == nil {
                        drill.initialSequenceNumbers[source] = tcp.sequenceNumber.rawValue
                    }
                    print("    " + drill.format(packet))
                }
            } catch {
                printError("packet \(index + 1) (\(chunk.label), \(chunk.bytes.count) bytes): \(error)")
                failures += 1
            }
        }
        if failures > 0 { throw ExitCode(1) }
    }

    private func printError(_ message: String) {
        FileHandle.standardError.write(Data("linger decode: error: \(message)\n".utf8))
    }
}
