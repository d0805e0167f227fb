import ArgumentParser

/// `linger decode`: placeholder, replaced by the wire module's owner.
struct DecodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "decode", abstract: "Decode raw packets.")
    func run() throws {}
}
