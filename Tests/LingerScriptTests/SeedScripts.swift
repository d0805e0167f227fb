import LingerScript
import Testing

/// The two packetdrill scripts of the project's seed article (seed 003): a
/// simultaneous close that leaves the socket in CLOSING, and a peer FIN that the
/// application never answers (CLOSE_WAIT). Kept verbatim, comments included.
enum SeedScripts {
    static let closing = """
        0.000 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
        0.000 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
        0.000 bind(3, ..., ...) = 0
        0.000 listen(3, 1) = 0

        0.100 < S 0:0(0) win 32792 <mss 1460,sackOK,nop,nop,nop,wscale 7>
        0.100 > S. 0:0(0) ack 1 win 5840 <mss 1460,nop,nop,sackOK,nop,wscale 7>
        0.200 < . 1:1(0) ack 1 win 257
        0.200 accept(3, ..., ...) = 4

        // 象征性写入一些数据,装的像一点一个正常的TCP连接:握手-传输-挥手
        0.250 write(4, ..., 1000) = 1000

        0.300 < . 1:1(0) ack 1001 win 257

        // 主动断开,发送FIN
        0.400 close(4) = 0
        // 在未对上述close的FIN进行ACK前,先FIN
        0.500 < F. 1:1(0) ack 1001 win 260
        // 至此,成功进入同时关闭的CLOSING状态。

        // 由于packetdrill不能用dup调用,也好用多线程,为了维持进程不退出,只能等待
        10000.000 close(4) = 0
        """

    static let closeWait = """
        0.000 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
        0.000 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
        0.000 bind(3, ..., ...) = 0
        0.000 listen(3, 1) = 0

        0.100 < S 0:0(0) win 32792 <mss 1460,sackOK,nop,nop,nop,wscale 7>
        0.100 > S. 0:0(0) ack 1 win 14600 <mss 1460,nop,nop,sackOK,nop,wscale 7>
        0.200 < . 1:1(0) ack 1 win 257
        0.200 accept(3, ..., ...) = 4
        // 什么也不发了,直接断开
        0.350 < F. 1:1(0) ack 1 win 260
        // 协议栈会对这个FIN进行ACK,然则应用程序不关闭连接的话...
        //0.450 close(4) = 0
        // 该连接就会变成CLOSE_WAIT,并且只要其socket引用计数不为0,就一直僵死在那里
        2000.000 close(4) = 0
        """
}

@Suite("Seed article scripts")
struct SeedScriptTests {
    @Test func closingScriptParses() throws {
        let script = try parseOK(SeedScripts.closing)
        #expect(script.events.count == 13)
        #expect(script.events.last?.time == .absolute(microseconds: 10_000_000_000))
        guard case .packet(let fin) = script.events[11].action, case .tcp(let segment) = fin.body else {
            Issue.record("event 12 should be the peer's FIN")
            return
        }
        #expect(fin.direction == .inbound)
        #expect(segment.flags == TCPFlagsSpec(fin: true, ack: true))
        #expect(segment.ackNumber == 1001 && segment.window == 260)
    }

    @Test func closeWaitScriptParses() throws {
        let script = try parseOK(SeedScripts.closeWait)
        #expect(script.events.count == 10)
        let closes = script.events.filter {
            if case .syscall(let call) = $0.action { return call.name == "close" }
            return false
        }
        // The commented-out close at 0.450 is not an event.
        #expect(closes.map(\.time) == [.absolute(microseconds: 2_000_000_000)])
    }
}
