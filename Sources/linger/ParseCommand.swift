import ArgumentParser

/// `linger parse`: placeholder, replaced by the script module's owner.
struct ParseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "parse", abstract: "Parse packetdrill scripts.")
    func run() throws {}
}
