import Testing

@Suite("linger root command")
struct RootCommandTests {
    @Test func helpListsEverySubcommand() throws {
        let outcome = try LingerProcess.run(["--help"])
        #expect(outcome.status == 0)
        for subcommand in ["run", "parse", "decode"] {
            #expect(outcome.standardOutput.contains(subcommand), "help does not mention \(subcommand)")
        }
    }

    @Test func unknownSubcommandFails() throws {
        let outcome = try LingerProcess.run(["no-such-command"])
        #expect(outcome.status != 0)
        #expect(outcome.standardError.contains("no-such-command"))
    }

    @Test func versionIsPrinted() throws {
        let outcome = try LingerProcess.run(["--version"])
        #expect(outcome.status == 0)
        #expect(outcome.standardOutput.split(separator: ".").count == 3)
    }
}
