import ArgumentParser

/// The `linger` command: the root of every subcommand.
@main
struct Linger: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "linger",
        abstract: "Understand and reproduce how Linux TCP connections end.",
        discussion: """
            Linger reads packetdrill scripts and TCP/IP packets and shows them the way \
            Linux engineers look at them. Later releases run scripts on Linger's own \
            userspace TCP stack (virtual time) or on the live Linux kernel.

            Examples:
              linger parse Tests/Scripts            check and normalize every script in a folder
              linger parse seed.pkt --quiet         only report errors
              linger decode 4500003c...             show a raw IPv4 packet as tcpdump would
            """,
        version: "0.1.0",
        subcommands: [RunCommand.self, ParseCommand.self, DecodeCommand.self]
    )
}
