import ArgumentParser

/// The `linger` command: the root of every subcommand.
@main
struct Linger: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "linger",
        abstract: "Understand and reproduce how Linux TCP connections end.",
        discussion: """
            Linger runs packetdrill scripts on its own userspace TCP stack, a Swift \
            model of Linux's TCP, in virtual time (the default), or on the host's \
            live Linux kernel in a private network namespace, and checks every \
            packet, system call and timing as packetdrill does. It also reads \
            scripts and raw packets and shows them the way Linux engineers look at \
            them.

            Examples:
              linger demo                               the built-in scenarios, told as stories
              linger demo pipelining-rst                one of them: trace, ss, counters, why
              linger run Tests/Scripts                  every scenario script, virtual time
              sudo linger run --backend kernel x.pkt    the same script on the live kernel
              linger parse Tests/Scripts -q             check scripts for syntax errors
              linger decode 4500003c...                 a raw packet as tcpdump shows it
              linger bench                              Linger against Linux, side by side (release build)
            """,
        version: "0.1.0",
        subcommands: [DemoCommand.self, RunCommand.self, ParseCommand.self, DecodeCommand.self, BenchCommand.self]
    )
}
