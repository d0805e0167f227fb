import LingerScript
import Testing

@Suite("Normalized printing")
struct PrinterTests {
    @Test(arguments: [
        (Int64(0), "0"), (100_000, "0.1"), (1, "0.000001"), (2_500_000, "2.5"), (10_000_000_000, "10000"),
        (4_000, "0.004"), (1_000_001, "1.000001"),
    ])
    func secondsAreWrittenWithoutTrailingZeros(microseconds: Int64, text: String) {
        #expect(ScriptPrinter.seconds(microseconds) == text)
    }

    @Test func canonicalLayout() throws {
        let script = try parseOK("""
            --tolerance_usecs=10000
               --local_ip=192.168.0.1
            0.000   socket(...,SOCK_STREAM,IPPROTO_TCP)=3 // comment
              +.1 <  S  0:0(0)   win 32792<mss 1460,sackOK , nop,wscale 7>
            +0>S.   0:0(0) ack 1 < ... >
            0.250~0.3 > [ect0] SEW 1:1(0) ack 1
            +0  < (tos 0x10,flowlabel 0x5) - 1:1(0)
            +0.1...0.25 accept(3,...,...)=4
            +0 poll([{fd=4,events=POLLIN|POLLOUT}],1,0)=-1 EINTR(Interrupted system call)
            *  > ipv4 192.0.2.1>192.168.0.1:  gre  : .2 1:1(0)
            """)
        #expect(script.normalizedText == """
            --tolerance_usecs=10000
            --local_ip=192.168.0.1
            0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
            +0.1 < S 0:0(0) win 32792 <mss 1460,sackOK,nop,wscale 7>
            +0 > S. 0:0(0) ack 1 <...>
            0.25~0.3 > [ect0] SEW 1:1(0) ack 1
            +0 < (tos 0x10, flowlabel 0x5) - 1:1(0)
            +0.1...0.25 accept(3, ..., ...) = 4
            +0 poll([{fd=4, events=POLLIN|POLLOUT}], 1, 0) = -1 EINTR (Interrupted system call)
            * > ipv4 192.0.2.1 > 192.168.0.1: gre: .2 1:1(0)

            """)
    }

    @Test func equalityIgnoresLocationsButNotContent() throws {
        let a = try parseOK("0 close(3) = 0\n+0 > F. 1:1(0) ack 1\n")
        let b = try parseOK("\n\n   0   close( 3 )=0\n\n+0 >  F.  1:1(0)  ack  1\n")
        #expect(a == b)
        #expect(a.events[0].location != b.events[0].location)
        let c = try parseOK("0 close(3) = 0\n+0 > F. 1:1(0) ack 2\n")
        #expect(a != c)
        let d = try parseOK("0 close(4) = 0\n+0 > F. 1:1(0) ack 1\n")
        #expect(a != d)
    }

    /// Scripts written for these tests that use every construct; printing and
    /// parsing again must give the same script and the same text.
    @Test(arguments: [
        DiagnosticTests.sample,
        SeedScripts.closing,
        SeedScripts.closeWait,
        """
        --ip_version=ipv6
        --define=X="quoted"
        0 socket(..., SOCK_DGRAM, IPPROTO_UDP) = 3
        +0 sendto(3, X, 5, 0, {sa_family=AF_INET6, sin_port=htons(53), sin_addr=inet_addr("::1")}, 28) = 5
        +0 > udp 4000 > 53 (5)
        +0 < ipv6 (ttl 5) 2001:db8::2 > 2001:db8::1: icmp packet_too_big mtu 1280 [udp (5)]
        +0 < mpls (label 5, tc 0, [S], ttl 2): (ttl 9) encap psp spi 3 S 0:0(0) <FOEXP,ECN e1b 1 ceb 2 e0b 3,md5 00ff,eol>
        +0 f({..., 3}, {}, [{events=EPOLLOUT, u64=0x10}], "a" "b", "c"..., {flags 0x0, sum 1, off 2, key=3, seq 4}) = ... (fine)
        `echo done`
        """,
    ])
    func printedScriptsParseBackEqual(source: String) throws {
        let script = try parseOK(source)
        let printed = script.normalizedText
        let again = try parseOK(printed)
        #expect(again == script)
        #expect(again.normalizedText == printed)
    }
}
