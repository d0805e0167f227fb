import LingerRun
import Testing

/// Host commands: plain lines run their program directly, the rest through /bin/sh,
/// with the same statuses and output either way.
@Suite struct HostShellTests {
    @Test func plainLinesAndShellLinesGiveTheShellsResults() {
        guard HostShell.run("command -v uname", in: "/tmp").status == 0 else { return }
        let direct = HostShell.run("uname -s", in: "/tmp")
        let throughShell = HostShell.run("uname  -s ;", in: "/tmp")
        #expect(direct == throughShell)
        #expect(direct.status == 0 && !direct.output.isEmpty)
        // Status and both streams of a program run directly.
        #expect(HostShell.run("ls /nonexistent-linger-dir", in: "/tmp").status == HostShell.run("ls '/nonexistent-linger-dir'", in: "/tmp").status)
        #expect(HostShell.run("ls /nonexistent-linger-dir", in: "/tmp").output.contains("nonexistent-linger-dir"))
        // A missing program is the shell's to report; builtins stay builtins.
        let missing = HostShell.run("no-such-program-linger", in: "/tmp")
        #expect(missing.status == 127)
        #expect(missing.output.contains("not found"))
        #expect(HostShell.run("echo -n a", in: "/tmp").output == HostShell.run("echo -n 'a'", in: "/tmp").output)
        #expect(HostShell.run("exit 3", in: "/tmp").status == 3)
        #expect(HostShell.run("pwd", in: "/tmp").output == "/tmp\n")
    }
}
