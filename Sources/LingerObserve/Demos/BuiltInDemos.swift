// The built-in demos of `linger demo`: their scripts and stories.
// The scripts were checked on the live kernel (Linux 6.18) and on the sim:
// the same counters move by the same amounts (Tests/LingerCLITests/DemoCommandTests).

extension Demo {
    /// active close: FIN_WAIT1, FIN_WAIT2, then 60 s of TIME_WAIT
    static let timeWait = Demo(
        name: "time-wait",
        title: "active close: FIN_WAIT1, FIN_WAIT2, then 60 s of TIME_WAIT",
        origin: "seed scenario 1 (spec section 11)",
        applications: "A client connects to a server on port 8080 and sends a 50-byte request. The server reads it, writes a 1200-byte reply and closes the connection first, as HTTP/1.0 servers do. The client acknowledges the server's FIN, then closes its own end. Its last FIN is sent a second time, as if the server's ACK had been lost.",
        why: "close() on an established socket with nothing unread calls tcp_close, which moves the socket to FIN_WAIT1 and sends a FIN (tcp_close_state, tcp_send_fin). close() returns at once and the socket lives on as an orphan. The ACK of that FIN moves it to FIN_WAIT2 (tcp_rcv_state_process). The peer's FIN is ACKed and tcp_fin hands the connection to tcp_time_wait, which swaps the full socket for a small time-wait entry (inet_twsk) that lives for TCP_TIMEWAIT_LEN: 60 s, fixed at compile time, which tcp_fin_timeout does not change. While it lives, tcp_timewait_state_process ACKs a repeated FIN again. That is why TIME_WAIT exists (RFC 9293 3.6): the last ACK may be lost, and old duplicate segments of this connection must not reach a new one on the same four ports.\n\nss shows the entry as TIME-WAIT with timer:(timewait,...); nstat counts it as TcpExtTW when it is made (__inet_twsk_schedule).",
        advice: "Whoever closes first gets the TIME_WAIT. On a server it is cheap (a minisocket of a few hundred bytes, no descriptor) and needs no cure: set SO_REUSEADDR on the listener so a restart can bind() again. Do not use SO_LINGER {1, 0} to avoid it (see linger-zero): that turns every close into a reset. If clients that connect to one server many times run out of ports, see port-exhaustion.",
        script: #"""
        // Demo: active close. The server closes first and its side of the
        // connection ends in TIME_WAIT for 60 s.
        --tolerance_usecs=50000
        
            0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
           +0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
           +0 bind(3, ..., ...) = 0
           +0 listen(3, 1) = 0
          +.1 < S 0:0(0) win 65535 <mss 1460,sackOK,nop,nop>
           +0 > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK>
          +.1 < . 1:1(0) ack 1 win 65535
           +0 accept(3, ..., ...) = 4
        
        // The client's request, the server's reply.
          +.1 < P. 1:51(50) ack 1 win 65535
           +0 > . 1:1(0) ack 51
           +0 read(4, ..., 1000) = 50
           +0 write(4, ..., 1200) = 1200
           +0 > P. 1:1201(1200) ack 51
          +.1 < . 51:51(0) ack 1201 win 65535
        
        // The server closes first: FIN, FIN_WAIT1.
          +.1 close(4) = 0
           +0 > F. 1201:1201(0) ack 51
           +0 ss() = 0
        
        // The client ACKs it (FIN_WAIT2), then closes too: TIME_WAIT.
          +.1 < . 51:51(0) ack 1202 win 65535
          +.1 < F. 51:51(0) ack 1202 win 65535
           +0 > . 1202:1202(0) ack 52
          +.1 ss() = 0
        
        // The client's FIN again (our ACK was lost): TIME_WAIT answers it.
          +.4 < F. 51:51(0) ack 1202 win 65535
           +0 > . 1202:1202(0) ack 52
        """#
    )

    /// passive close: the peer closes first; CLOSE_WAIT, read() = 0, LAST_ACK
    static let passiveClose = Demo(
        name: "passive-close",
        title: "passive close: the peer closes first; CLOSE_WAIT, read() = 0, LAST_ACK",
        origin: "seed scenario 2 (spec section 11)",
        applications: "A client sends its last 80-byte request together with its FIN: it will send nothing more. The server reads the request, then read() returns 0, end of stream. The server still writes its 900-byte answer (a half-closed connection can carry data the other way), then closes. A stray segment from the client arrives after the connection is gone.",
        why: "The peer's FIN is handled by tcp_fin: the socket moves to CLOSE_WAIT, RCV_SHUTDOWN is set and readers are woken, so tcp_recvmsg returns the queued bytes and then 0. CLOSE_WAIT can still send. close() moves CLOSE_WAIT to LAST_ACK and sends our FIN (tcp_close_state, tcp_send_fin). The ACK of that FIN reaches tcp_rcv_state_process, which calls tcp_done: the socket is destroyed at once. The side that closes second has no TIME_WAIT. A later segment finds no socket and gets a reset from tcp_v4_send_reset, with the segment's ACK number as its sequence number (RFC 9293 3.10.7.1).\n\nIn ss the CLOSE-WAIT line shows Recv-Q 81: the 80 unread bytes plus one for the FIN.",
        advice: "Treat read() = 0 as \"the peer has finished sending\", not as an error. Finish what you still owe the peer, then close() promptly. A socket that stays in CLOSE_WAIT is your application's bug (see close-wait-leak).",
        script: #"""
        // Demo: passive close. The client closes first; the server sees end of
        // stream, replies, closes, and its socket passes through LAST_ACK.
        --tolerance_usecs=50000
        
            0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
           +0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
           +0 bind(3, ..., ...) = 0
           +0 listen(3, 1) = 0
          +.1 < S 0:0(0) win 65535 <mss 1460,sackOK,nop,nop>
           +0 > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK>
          +.1 < . 1:1(0) ack 1 win 65535
           +0 accept(3, ..., ...) = 4
        
        // The client sends its last request and its FIN in one segment.
          +.1 < FP. 1:81(80) ack 1 win 65535
           +0 > . 1:1(0) ack 82
           +0 ss() = 0
           +0 read(4, ..., 1000) = 80
           +0 read(4, ..., 1000) = 0
        
        // The server still answers, then closes: LAST_ACK.
          +.1 write(4, ..., 900) = 900
           +0 > P. 1:901(900) ack 82
          +.1 < . 82:82(0) ack 901 win 65535
          +.1 close(4) = 0
           +0 > F. 901:901(0) ack 82
           +0 ss() = 0
        
        // The client's ACK ends it; the socket is gone, no TIME_WAIT on this side.
          +.1 < . 82:82(0) ack 902 win 65535
           +0 ss() = 0
          +.1 < . 82:82(0) ack 902 win 65535
           +0 > R 902:902(0)
        """#
    )

    /// CLOSE_WAIT leak: the peer hung up, the server never closes; two hours, not one packet
    static let closeWaitLeak = Demo(
        name: "close-wait-leak",
        title: "CLOSE_WAIT leak: the peer hung up, the server never closes; two hours, not one packet",
        origin: "seed scenario 3 (spec section 11)",
        applications: "A client sends a request, gets a 300-byte answer and closes its end. The server has a bug: on that path it forgets the descriptor and never calls close(). Two hours of virtual time pass (7200 s on the sim; the kernel run waits 5 s instead, the only difference between the two scripts, see --script --backend kernel). Then a restart or a fix finally closes the descriptor.",
        why: "tcp_fin puts the socket in CLOSE_WAIT when the peer's FIN arrives, and from there only the application moves it on: close() or shutdown(SHUT_WR) send our FIN (CLOSE_WAIT -> LAST_ACK, tcp_close_state). No timer runs in CLOSE_WAIT. The retransmit timer has nothing to resend, and keepalive is off unless SO_KEEPALIVE was set. So the kernel sends nothing, and the socket, its buffers and the descriptor stay for as long as the process holds them. After hours, the two ss tables show the same CLOSE-WAIT line with no timer, only lastsnd/lastrcv growing. The FIN after close() is the first packet since the ACK of the peer's FIN. With SO_KEEPALIVE, tcp_keepalive_timer would eventually probe a peer that has gone and reset the socket (TcpExtTCPAbortOnTimeout), but only after tcp_keepalive_time (7200 s by default) plus the probes.",
        advice: "Close every descriptor on every path: on read() = 0, on errors, on timeouts. Put an idle timeout on connections. Watch `ss -tan state close-wait`: a number that keeps growing is a leak in the application, not in TCP. Keepalive (SO_KEEPALIVE with TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT) limits the damage when the peer has vanished. It does not fix the leak.",
        script: #"""
        // Demo: a CLOSE_WAIT leak. The client hangs up; the server never calls
        // close(), so its socket stays in CLOSE_WAIT for as long as the process
        // keeps the descriptor: nothing in TCP times it out.
        --tolerance_usecs=200000
        
            0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
           +0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
           +0 bind(3, ..., ...) = 0
           +0 listen(3, 1) = 0
          +.1 < S 0:0(0) win 65535 <mss 1460,sackOK,nop,nop>
           +0 > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK>
          +.1 < . 1:1(0) ack 1 win 65535
           +0 accept(3, ..., ...) = 4
        
        // A request the server answers, then the client closes.
          +.1 < P. 1:41(40) ack 1 win 65535
           +0 > . 1:1(0) ack 41
           +0 read(4, ..., 1000) = 40
           +0 write(4, ..., 300) = 300
           +0 > P. 1:301(300) ack 41
          +.1 < F. 41:41(0) ack 301 win 65535
           +0 > . 301:301(0) ack 42
           +0 ss() = 0
        
        // The server's code forgets this descriptor. Time passes; not one packet.
        +7200 ss() = 0
           +0 %{ assert tcpi_state == TCP_CLOSE_WAIT, tcpi_state }%
        
        // A restart (or a fix) finally closes it: only now the FIN leaves.
           +0 close(4) = 0
           +0 > F. 301:301(0) ack 42
          +.1 < . 42:42(0) ack 302 win 65535
        """#,
        kernelScript: #"""
        // Demo: a CLOSE_WAIT leak. The client hangs up; the server never calls
        // close(), so its socket stays in CLOSE_WAIT for as long as the process
        // keeps the descriptor: nothing in TCP times it out.
        --tolerance_usecs=200000
        
            0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
           +0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
           +0 bind(3, ..., ...) = 0
           +0 listen(3, 1) = 0
          +.1 < S 0:0(0) win 65535 <mss 1460,sackOK,nop,nop>
           +0 > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK>
          +.1 < . 1:1(0) ack 1 win 65535
           +0 accept(3, ..., ...) = 4
        
        // A request the server answers, then the client closes.
          +.1 < P. 1:41(40) ack 1 win 65535
           +0 > . 1:1(0) ack 41
           +0 read(4, ..., 1000) = 40
           +0 write(4, ..., 300) = 300
           +0 > P. 1:301(300) ack 41
          +.1 < F. 41:41(0) ack 301 win 65535
           +0 > . 301:301(0) ack 42
           +0 ss() = 0
        
        // The server's code forgets this descriptor. Time passes; not one packet.
          +5 ss() = 0
           +0 %{ assert tcpi_state == TCP_CLOSE_WAIT, tcpi_state }%
        
        // A restart (or a fix) finally closes it: only now the FIN leaves.
           +0 close(4) = 0
           +0 > F. 301:301(0) ack 42
          +.1 < . 42:42(0) ack 302 win 65535
        """#
    )

    /// shared descriptor: close() by one holder sends nothing; the last close sends the FIN
    static let sharedDescriptor = Demo(
        name: "shared-descriptor",
        title: "shared descriptor: close() by one holder sends nothing; the last close sends the FIN",
        origin: "seed scenario 4 (spec section 11)",
        applications: "A server accepts a connection, then a second descriptor for the same socket appears, as fork() gives a worker or dup() gives a library (here dup(4) = 5). One holder closes its descriptor and believes the connection is closed. The other holder still writes 500 bytes on it. Only when the last holder closes does the connection end.",
        why: "A descriptor refers to an open file, and the socket is released only when the last reference goes. close() calls filp_close and fput, which only drop a reference while others remain. Only the last fput reaches __fput -> sock_close -> inet_release -> tcp_close, which sends the FIN. So after close(4) the trace shows no packet and ss still shows ESTAB; descriptor 5 works normally. shutdown(SHUT_WR) is different: it acts on the socket itself (tcp_shutdown) and sends the FIN whoever else holds it.",
        advice: "After fork(), close the connected (and listening) sockets in the process that will not use them, and create sockets with SOCK_CLOEXEC so exec()ed children do not inherit them. When you need the peer to see the end now, whoever else may hold the socket, call shutdown(fd, SHUT_WR) before close().",
        script: #"""
        // needs: dup
        // Demo: a shared descriptor. Two holders of one socket (a fork()ed worker,
        // a dup()); one close() sends nothing, the last one sends the FIN.
        --tolerance_usecs=50000
        
            0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
           +0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
           +0 bind(3, ..., ...) = 0
           +0 listen(3, 1) = 0
          +.1 < S 0:0(0) win 65535 <mss 1460,sackOK,nop,nop>
           +0 > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK>
          +.1 < . 1:1(0) ack 1 win 65535
           +0 accept(3, ..., ...) = 4
        
        // A second descriptor for the same socket, as fork() or dup() gives.
           +0 dup(4) = 5
        
        // One holder closes: no FIN, the connection is untouched.
          +.1 close(4) = 0
           +0 ss() = 0
        
        // The other holder still talks on it.
          +.1 write(5, ..., 500) = 500
           +0 > P. 1:501(500) ack 1
          +.1 < . 1:1(0) ack 501 win 65535
        
        // The last close: now the FIN.
          +.1 close(5) = 0
           +0 > F. 501:501(0) ack 1
           +0 ss() = 0
          +.1 < . 1:1(0) ack 502 win 65535
          +.1 < F. 1:1(0) ack 502 win 65535
           +0 > . 502:502(0) ack 2
        """#
    )

    /// HTTP pipelining: close() with an unread request resets the connection
    static let pipeliningReset = Demo(
        name: "pipelining-rst",
        title: "HTTP pipelining: close() with an unread request resets the connection",
        origin: "seed scenario 5 (spec section 11)",
        applications: "A client pipelines two 120-byte HTTP requests in one segment. The server reads only the first, writes its 1000-byte response with \"Connection: close\" and closes at once. The second request is still unread in the socket's receive queue. The client's ACK for the response arrives after the connection is gone.",
        why: "tcp_close first frees the receive queue and notes whether any data was never read (data_was_unread). If so, it does not send a FIN: it moves the socket straight to CLOSE and sends a reset (tcp_send_active_reset, counted as TcpExtTCPAbortOnClose), as RFC 2525 2.17 asks, so that the peer learns its data was lost. The RST leaves right behind the response, while the response may still be in flight or unread in the client's socket. When the client's TCP receives the RST it throws away whatever it has not yet passed to the application (tcp_reset), and read() returns ECONNRESET. The client can lose the very response it was sent, though the server wrote all of it. The socket is gone at once (the second ss table has only the listener), so the client's next segment gets the no-socket reset.",
        advice: "Before closing a connection the peer may still be sending on, end it gracefully: write the response, shutdown(fd, SHUT_WR), read and discard until read() returns 0 or a deadline passes, then close() (Apache's lingering close; see graceful-shutdown). Reading every byte the peer sent before close() is what avoids the reset.",
        script: #"""
        // Demo: HTTP pipelining meets close() with unread data. The client sends
        // two requests back to back; the server answers the first, decides to close
        // the connection, and never reads the second. close() resets the connection
        // and the client may lose the response it was sent.
        --tolerance_usecs=50000
        
            0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
           +0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
           +0 bind(3, ..., ...) = 0
           +0 listen(3, 1) = 0
          +.1 < S 0:0(0) win 65535 <mss 1460,sackOK,nop,nop>
           +0 > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK>
          +.1 < . 1:1(0) ack 1 win 65535
           +0 accept(3, ..., ...) = 4
        
        // Two pipelined requests, 120 bytes each, in one segment.
          +.1 < P. 1:241(240) ack 1 win 65535
           +0 > . 1:1(0) ack 241
        // The server reads the first request only.
           +0 read(4, ..., 120) = 120
        
        // It answers (Connection: close) and closes at once.
          +.1 write(4, ..., 1000) = 1000
           +0 > P. 1:1001(1000) ack 241
           +0 ss() = 0
           +0 close(4) = 0
           +0 > R. 1001:1001(0) ack 241
           +0 ss() = 0
        
        // The client's ACK for the response meets no socket.
          +.1 < . 241:241(0) ack 1001 win 65535
           +0 > R 1001:1001(0)
        """#
    )

    /// SO_LINGER {1, 0}: close() aborts with a RST, no TIME_WAIT
    static let lingerZero = Demo(
        name: "linger-zero",
        title: "SO_LINGER {1, 0}: close() aborts with a RST, no TIME_WAIT",
        origin: "seed scenario 6 (spec section 11)",
        applications: "A server sets SO_LINGER {onoff 1, linger 0} on an accepted connection, often to avoid TIME_WAIT. It answers a 100-byte request with 700 bytes. Everything is delivered and acknowledged, and then it closes. The client's FIN comes a moment later.",
        why: "With SO_LINGER on and a linger time of 0, tcp_close does not start the FIN handshake. It calls tcp_disconnect, which sends a reset (tcp_send_active_reset) and drops both queues, so the socket goes straight to CLOSE. nstat counts this as TcpExtTCPAbortOnData (a historical name: no data needs to be pending). No FIN, no FIN_WAIT, no TIME_WAIT: the second ss table shows only the listener. The peer sees ECONNRESET and loses anything it had not read yet. Its FIN then meets no socket and gets another reset (tcp_v4_send_reset).",
        advice: "Use SO_LINGER {1, 0} only when you mean to abort: a protocol error, a misbehaving peer, shedding load. It is not a cure for TIME_WAIT, which is harmless on a server. For an ordinary end use close() or the graceful pattern.",
        script: #"""
        // Demo: SO_LINGER {1, 0}. close() aborts: a RST instead of a FIN, no
        // TIME_WAIT.
        --tolerance_usecs=50000
        
            0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
           +0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
           +0 bind(3, ..., ...) = 0
           +0 listen(3, 1) = 0
          +.1 < S 0:0(0) win 65535 <mss 1460,sackOK,nop,nop>
           +0 > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK>
          +.1 < . 1:1(0) ack 1 win 65535
           +0 accept(3, ..., ...) = 4
           +0 setsockopt(4, SOL_SOCKET, SO_LINGER, {onoff=1, linger=0}, 8) = 0
        
        // A request and its reply, fully delivered.
          +.1 < P. 1:101(100) ack 1 win 65535
           +0 > . 1:1(0) ack 101
           +0 read(4, ..., 1000) = 100
           +0 write(4, ..., 700) = 700
           +0 > P. 1:701(700) ack 101
          +.1 < . 101:101(0) ack 701 win 65535
           +0 ss() = 0
        
        // close(): RST, the socket is gone at once.
          +.1 close(4) = 0
           +0 > R. 701:701(0) ack 101
           +0 ss() = 0
        
        // The client's FIN finds nothing.
          +.1 < F. 101:101(0) ack 701 win 65535
           +0 > R 701:701(0)
        """#
    )

    /// SO_LINGER {1, 1}: close() blocks for the FIN's ACK, then returns 0 anyway
    static let lingerTimeout = Demo(
        name: "linger-timeout",
        title: "SO_LINGER {1, 1}: close() blocks for the FIN's ACK, then returns 0 anyway",
        origin: "seed scenario 7 (spec section 11)",
        applications: "A server sets SO_LINGER {onoff 1, linger 1}, hoping that close() will tell it whether the peer received everything. The client has gone quiet. close() sends the FIN and blocks. The FIN is resent with growing intervals, and after one second close() returns 0. Later the client answers and the orphan finishes normally in TIME_WAIT.",
        why: "With a linger time, tcp_close sends the FIN as usual and then waits in sk_stream_wait_close until the socket leaves FIN_WAIT1/CLOSING/LAST_ACK or the time runs out. Either way close() returns 0: the kernel does not report the timeout, and it blocks like this even on a non-blocking socket. The socket is then an orphan and the retransmit timer keeps resending the FIN, first as a tail loss probe and then with RTO backoff (TcpExtTCPLossProbes, TcpExtTCPTimeouts, TcpRetransSegs). ss after close() shows it in FIN-WAIT-1 with timer:(on,...,retransmits).",
        advice: "close()'s return value does not tell you that the peer got your data. If you need to know, make the peer say so: shutdown(SHUT_WR), then read until read() returns 0 (the peer's FIN comes after it has read everything), or use an application-level acknowledgement. SO_LINGER with a timeout only makes close() block.",
        script: #"""
        // Demo: SO_LINGER {1, 1}. close() blocks while the FIN is unacknowledged;
        // after 1 s it gives up waiting and returns 0 anyway.
        --tolerance_usecs=100000
        
            0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
           +0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
           +0 bind(3, ..., ...) = 0
           +0 listen(3, 1) = 0
          +.1 < S 0:0(0) win 65535 <mss 1460,sackOK,nop,nop>
           +0 > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK>
          +.1 < . 1:1(0) ack 1 win 65535
           +0 accept(3, ..., ...) = 4
           +0 setsockopt(4, SOL_SOCKET, SO_LINGER, {onoff=1, linger=1}, 8) = 0
        
        // The client has gone quiet. close() sends the FIN and waits for its ACK.
          +.1...1.1 close(4) = 0
           +0 > F. 1:1(0) ack 1
         +.2~+.5 > F. 1:1(0) ack 1
         +.2~+.5 > F. 1:1(0) ack 1
         +.5~+.85 > F. 1:1(0) ack 1
        // close() has returned 0; the orphan keeps resending its FIN.
           +0 ss() = 0
        +1.1~+1.5 > F. 1:1(0) ack 1
        
        // The client finally answers: the orphan finishes normally.
          +.1 < . 1:1(0) ack 2 win 65535
          +.1 < F. 1:1(0) ack 2 win 65535
           +0 > . 2:2(0) ack 2
           +0 ss() = 0
        """#
    )

    /// the graceful pattern: shutdown(SHUT_WR), read until 0, close(): no RST, no data lost
    static let gracefulShutdown = Demo(
        name: "graceful-shutdown",
        title: "the graceful pattern: shutdown(SHUT_WR), read until 0, close(): no RST, no data lost",
        origin: "seed scenario 8 (spec section 11)",
        applications: "A server answers a 100-byte request with 800 bytes and is done. Instead of closing at once it calls shutdown(SHUT_WR): \"I will send no more.\" It keeps reading. The client still had 60 bytes on the way, then sends its FIN. The server reads the 60 bytes, sees read() = 0, and only then calls close().",
        why: "shutdown(SHUT_WR) runs tcp_shutdown, which moves ESTABLISHED to FIN_WAIT1 and sends the FIN (tcp_close_state, tcp_send_fin) while the socket stays fully readable. The peer's ACK gives FIN_WAIT2. Since the descriptor is still open there is no orphan timeout, and ss shows FIN-WAIT-2 without a timer. The peer's data is received and ACKed as usual; its FIN (tcp_fin) ends the connection into TIME_WAIT. The socket has already handed over to a time-wait entry (tcp_time_wait), so the final close() finds nothing unread and nothing to send: no reset, which is what tcp_close would send if unread data were left.",
        advice: "This is how to end a connection the peer may still be writing to (HTTP keep-alive, pipelining, any request/response protocol): send all you owe, shutdown(fd, SHUT_WR), read and discard until read() returns 0, then close(). Put a deadline on the reading, and if it passes, close() anyway. You may then reset a peer that never stops, which is fair.",
        script: #"""
        // Demo: the graceful pattern. The server sends its last bytes,
        // shutdown(SHUT_WR), reads until read() returns 0, then close().
        --tolerance_usecs=50000
        
            0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
           +0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
           +0 bind(3, ..., ...) = 0
           +0 listen(3, 1) = 0
          +.1 < S 0:0(0) win 65535 <mss 1460,sackOK,nop,nop>
           +0 > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK>
          +.1 < . 1:1(0) ack 1 win 65535
           +0 accept(3, ..., ...) = 4
        
          +.1 < P. 1:101(100) ack 1 win 65535
           +0 > . 1:1(0) ack 101
           +0 read(4, ..., 1000) = 100
           +0 write(4, ..., 800) = 800
           +0 > P. 1:801(800) ack 101
        
        // Done sending: FIN, but the socket still receives.
           +0 shutdown(4, SHUT_WR) = 0
           +0 > F. 801:801(0) ack 101
          +.1 < . 101:101(0) ack 802 win 65535
           +0 ss() = 0
        
        // The client still had 60 bytes in flight, then its FIN.
           +0 < P. 101:161(60) ack 802 win 65535
           +0 > . 802:802(0) ack 161
          +.1 < F. 161:161(0) ack 802 win 65535
           +0 > . 802:802(0) ack 162
        
        // Read to the end: the data, then 0. Nothing is left unread, so close()
        // cannot reset anything.
           +0 read(4, ..., 1000) = 60
           +0 read(4, ..., 1000) = 0
           +0 close(4) = 0
           +0 ss() = 0
        """#
    )

    /// orphaned FIN_WAIT2: tcp_fin_timeout ends it; the late FIN gets a RST (linger2 < 0 in the story)
    static let orphanFinWait2 = Demo(
        name: "orphan-fin-wait2",
        title: "orphaned FIN_WAIT2: tcp_fin_timeout ends it; the late FIN gets a RST (linger2 < 0 in the story)",
        origin: "seed scenario 9 (spec section 11)",
        applications: "A server closes its connection. The client's TCP acknowledges the FIN, but the client application never closes its end (it is hung, or leaks its descriptor). The server's socket is an orphan in FIN_WAIT2, waiting for a FIN that does not come. The script shortens tcp_fin_timeout to 3 s (the default is 60 s) so the kernel run stays short. After 3.5 s the client's FIN finally arrives.",
        why: "An orphan in FIN_WAIT2 depends on the peer's FIN, so Linux bounds its wait. When the ACK of our FIN arrives for an orphan, tcp_rcv_state_process computes tcp_fin_time() (TCP_LINGER2 for the socket, else tcp_fin_timeout, at least 3.5 RTO) and hands the connection to a time-wait entry in the FIN_WAIT2 substate (tcp_time_wait(sk, TCP_FIN_WAIT2, timeout)). ss shows FIN-WAIT-2 with timer:(timewait,3sec,0). nstat counts such a short-lived entry (4 s or less) as TcpExtTWKilled when it is made (__inet_twsk_schedule). When the timer fires the entry is removed (inet_twsk_kill), and the late FIN meets no socket and gets a reset. With TCP_LINGER2 set to -1 (or linger2 < 0) Linux does not wait at all: the ACK of the FIN makes tcp_rcv_state_process send a reset and destroy the socket at once (tcp_done, TcpExtTCPAbortOnLinger). Tests/Scripts/linger2-negative-orphan-rst.pkt shows that case.",
        advice: "Nothing, usually: the timeout protects the server from peers that never close. If orphans pile up (`ss -tan state fin-wait-2`), lower net.ipv4.tcp_fin_timeout or set TCP_LINGER2 on the sockets. Use TCP_LINGER2 = -1 only if you accept resetting peers that are slow to close.",
        script: #"""
        // Demo: an orphaned FIN_WAIT2 times out (tcp_fin_timeout, 3 s here); with
        // TCP_LINGER2 = -1 the next connection skips FIN_WAIT2 altogether.
        --tolerance_usecs=100000
        
        `sysctl -q net.ipv4.tcp_fin_timeout=3`
        
            0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
           +0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
           +0 bind(3, ..., ...) = 0
           +0 listen(3, 1) = 0
          +.1 < S 0:0(0) win 65535 <mss 1460,sackOK,nop,nop>
           +0 > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK>
          +.1 < . 1:1(0) ack 1 win 65535
           +0 accept(3, ..., ...) = 4
        
        // The server closes; the client ACKs the FIN but never sends its own.
          +.1 close(4) = 0
           +0 > F. 1:1(0) ack 1
          +.1 < . 1:1(0) ack 2 win 65535
           +0 ss() = 0
        
        // 3 s later the FIN_WAIT2 entry is gone; the client's late FIN gets a RST.
         +3.5 ss() = 0
           +0 < F. 1:1(0) ack 2 win 65535
           +0 > R 2:2(0)
        """#
    )

    /// simultaneous close: CLOSING, the FIN resent with backoff until the orphan retries run out
    static let simultaneousClose = Demo(
        name: "simultaneous-close",
        title: "simultaneous close: CLOSING, the FIN resent with backoff until the orphan retries run out",
        origin: "seed scenario 10 (spec section 11)",
        applications: "A server sends 1000 bytes, which are acknowledged, and closes. At the same moment the client closes too: its FIN crosses the server's FIN and does not acknowledge it. Then the client's ACK of the server's FIN is lost, again and again. The script sets tcp_orphan_retries to 3 so the socket gives up within seconds. The client's ACK arrives long after.",
        why: "A FIN that arrives in FIN_WAIT1 without acknowledging our FIN moves the socket to CLOSING (tcp_fin). It ACKs the peer's FIN and must still get the ACK of its own. The retransmit timer resends the FIN: first a tail loss probe, then retransmissions with the RTO doubling each time (tcp_retransmit_timer, icsk_backoff), which ss shows as timer:(on,...,N). The socket is an orphan, so tcp_write_timeout limits the retries to tcp_orphan_retries (tcp_orphan_retries(); 0 means 8, about two minutes at these RTTs). When retransmits_timed_out says the budget is spent, tcp_write_err destroys the socket without sending anything (TcpExtTCPAbortOnTimeout). The third ss table has only the listener, and the late ACK gets the no-socket reset.",
        advice: "Simultaneous close is rare and harmless. What matters is the budget: an orphan waiting for an ACK lives for up to tcp_orphan_retries backoffs. On servers with many orphans (`ss -tan state closing` or `state fin-wait-1`), lowering net.ipv4.tcp_orphan_retries frees them sooner. net.ipv4.tcp_max_orphans caps their number.",
        script: #"""
        // Demo: simultaneous close. Both sides send a FIN before seeing the other's;
        // the server's socket enters CLOSING and resends its FIN, with backoff, until
        // the orphan retry budget (tcp_orphan_retries, 3 here) runs out.
        --tolerance_usecs=60000
        
        `sysctl -q net.ipv4.tcp_orphan_retries=3`
        
            0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
           +0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
           +0 bind(3, ..., ...) = 0
           +0 listen(3, 1) = 0
          +.1 < S 0:0(0) win 65535 <mss 1460,sackOK,nop,nop>
           +0 > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK>
          +.1 < . 1:1(0) ack 1 win 65535
           +0 accept(3, ..., ...) = 4
        
         +.05 write(4, ..., 1000) = 1000
           +0 > P. 1:1001(1000) ack 1
         +.05 < . 1:1(0) ack 1001 win 65535
        
        // Both close at once: the client's FIN crosses ours.
          +.1 close(4) = 0
           +0 > F. 1001:1001(0) ack 1
          +.1 < F. 1:1(0) ack 1001 win 65535
           +0 > . 1002:1002(0) ack 2
           +0 ss() = 0
        
        // The client's ACK of our FIN is lost: our FIN again, each time later.
        +.12~+.35 > F. 1001:1001(0) ack 2
        +.22~+.45 > F. 1001:1001(0) ack 2
        +.45~+.80 > F. 1001:1001(0) ack 2
           +0 ss() = 0
        +1.0~+1.45 > F. 1001:1001(0) ack 2
        
        // The budget is spent: the socket is destroyed without a packet.
           +4 ss() = 0
           +0 < . 2:2(0) ack 1002 win 65535
           +0 > R 1002:1002(0)
        """#
    )

    /// close() during connect(): no RST; the late SYN-ACK gets one
    static let closeInSynSent = Demo(
        name: "close-in-syn-sent",
        title: "close() during connect(): no RST; the late SYN-ACK gets one",
        origin: "seed scenario 11 (spec section 11)",
        applications: "A client starts a non-blocking connect(): SYN sent, EINPROGRESS. The server is slow, and 50 ms later the client gives up and closes the socket. One and a half seconds later the server's SYN-ACK arrives.",
        why: "In SYN_SENT nothing has been agreed yet, so tcp_close (through tcp_close_state, whose table maps SYN_SENT to CLOSE with no FIN) simply moves the socket to CLOSE and destroys it (inet_csk_destroy_sock): no FIN and no RST, and the second ss table is empty. The connection existed only on the client's side. When the SYN-ACK arrives, no socket matches it and tcp_v4_send_reset answers with a RST whose sequence number is the SYN-ACK's ACK (RFC 9293 3.10.7.1). That is how the server learns to drop its half-open connection.",
        advice: "Nothing to fix: giving up on a connect() is clean. Note that the server may see a reset for a connection that never reached your application; servers should treat it as normal.",
        script: #"""
        // Demo: close() during connect(). The client gives up before the handshake
        // completes: no RST, the socket simply goes; the late SYN-ACK gets a RST.
        --tolerance_usecs=50000
        
            0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
           +0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0
           +0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)
           +0 > S 0:0(0) <...>
           +0 ss() = 0
        
        // The server is slow; the client's code times out and closes.
         +.05 close(3) = 0
           +0 ss() = 0
        
        // The SYN-ACK arrives after all: nobody wants it.
         +1.5 < S. 0:0(0) ack 1 win 65535 <mss 1460,sackOK,nop,nop>
           +0 > R 1:1(0)
        """#
    )

    /// closing a listener resets every connection in its accept queue
    static let listenerClose = Demo(
        name: "listener-close",
        title: "closing a listener resets every connection in its accept queue",
        origin: "seed scenario 12 (spec section 11)",
        applications: "A client connects; the handshake completes in the kernel and the client sends a 150-byte request. The server process never calls accept(). It closes its listening socket, as a restart or a deploy does. The client then sends more.",
        why: "Connections whose handshake completed wait in the listener's accept queue as full sockets (ss shows LISTEN with Recv-Q 1, the queue length, and the child ESTAB with the unread request). Closing the listener calls inet_csk_listen_stop, which takes each child off the queue and disconnects it (inet_child_forget, tcp_disconnect, tcp_send_active_reset). The client gets a RST for a connection it believed was accepted, and its request is lost; nstat counts TcpEstabResets. Its next segment finds no socket and gets the no-socket reset.",
        advice: "To restart without losing clients: stop taking new connections (another process already listening with SO_REUSEPORT, or a load balancer drained first), accept() and serve everything already queued, and only then close the listener. shutdown(SHUT_RD) on a listener resets the queue the same way.",
        script: #"""
        // Demo: closing a listener resets the connections waiting in its accept
        // queue, even ones whose client already sent a request.
        --tolerance_usecs=50000
        
            0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
           +0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
           +0 bind(3, ..., ...) = 0
           +0 listen(3, 8) = 0
        
        // A client connects and sends its request; the server never accept()s it.
          +.1 < S 0:0(0) win 65535 <mss 1460,sackOK,nop,nop>
           +0 > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK>
          +.1 < . 1:1(0) ack 1 win 65535
          +.1 < P. 1:151(150) ack 1 win 65535
           +0 > . 1:1(0) ack 151
           +0 ss() = 0
        
        // The server shuts down its listener (a restart, a deploy).
          +.1 close(3) = 0
           +0 > R. 1:1(0) ack 151
           +0 ss() = 0
        
        // The client's next segment finds nothing.
          +.1 < P. 151:251(100) ack 1 win 65535
           +0 > R 1:1(0)
        """#
    )

    /// TIME_WAIT port exhaustion on a busy client: connect() fails with EADDRNOTAVAIL; tcp_tw_reuse
    static let portExhaustion = Demo(
        name: "port-exhaustion",
        title: "TIME_WAIT port exhaustion on a busy client: connect() fails with EADDRNOTAVAIL; tcp_tw_reuse",
        origin: "the busy client (spec sections 6 and 11)",
        applications: "A client opens many short connections to one server and closes each first, so every closed connection leaves a TIME_WAIT entry holding its local port for 60 s. The local port range is cut to a single port (ip_local_port_range \"40000 40000\") so one connection is enough to run out. The second connect() fails with EADDRNOTAVAIL. Then the client turns on net.ipv4.tcp_tw_reuse=1, and the third connect() reuses the port of the TIME_WAIT entry, which is over a second old.",
        why: "connect() picks a local port in inet_hash_connect (__inet_hash_connect). A port is usable for a destination only if no socket or time-wait entry holds the same four-tuple (__inet_check_established). A TIME_WAIT entry does hold it, and tcp_twsk_unique lets it go only if tcp_tw_reuse allows (1: always; 2, the default: loopback only), the entry carried timestamps, and it is at least a second old. Then the new connection takes over the port with sequence numbers and timestamps past the old ones, and TcpExtTWRecycled counts it. With no port left, connect() returns EADDRNOTAVAIL. At full size (ephemeral ports 32768-60999 and 60 s of TIME_WAIT), a client reaches this at about 470 new connections a second to one server address and port.",
        advice: "Keep connections open and reuse them (HTTP keep-alive, connection pools) rather than opening one per request. Let the server close first where the protocol allows, so the server carries the TIME_WAIT. Widen net.ipv4.ip_local_port_range, or spread connections over several source addresses or server ports. Enable net.ipv4.tcp_tw_reuse=1 on clients (it needs TCP timestamps, which are on by default). Do not use SO_LINGER {1, 0} to dodge TIME_WAIT.",
        script: #"""
        // Demo: a busy client runs out of local ports to TIME_WAIT. It connects
        // and closes first, over and over; each closed connection keeps its port in
        // TIME_WAIT for 60 s. With one port in ip_local_port_range the second
        // connect() fails with EADDRNOTAVAIL; tcp_tw_reuse=1 lets it reuse the port.
        --tolerance_usecs=100000
        
        `sysctl -q net.ipv4.ip_local_port_range="40000 40000" net.ipv4.tcp_tw_reuse=0 net.ipv4.tcp_window_scaling=0`
        
        // Connection 1: connect, a request, close first.
            0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
           +0...0.1 connect(3, ..., ...) = 0
           +0 > S 0:0(0) <mss 1460,sackOK,TS val 100 ecr 0>
          +.1 < S. 0:0(0) ack 1 win 65535 <mss 1460,sackOK,TS val 1000 ecr 100>
           +0 > . 1:1(0) ack 1 <nop,nop,TS val 200 ecr 1000>
          +.1 close(3) = 0
           +0 > F. 1:1(0) ack 1 <nop,nop,TS val 300 ecr 1000>
          +.1 < . 1:1(0) ack 2 win 65535 <nop,nop,TS val 1100 ecr 300>
           +2 < F. 1:1(0) ack 2 win 65535 <nop,nop,TS val 1200 ecr 300>
           +0 > . 2:2(0) ack 2 <nop,nop,TS val 400 ecr 1200>
           +0 ss() = 0
        
        // Connection 2: the only port is in TIME_WAIT.
          +.5 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
           +0 connect(3, ..., ...) = -1 EADDRNOTAVAIL (Cannot assign requested address)
           +0 close(3) = 0
        
        // The remedy: tcp_tw_reuse=1 (timestamps on, entry older than 1 s).
          +.6 `sysctl -q net.ipv4.tcp_tw_reuse=1`
           +0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
           +0...0.1 connect(3, ..., ...) = 0
           +0 > S 0:0(0) <mss 1460,sackOK,TS val 500 ecr 1200>
          +.1 < S. 0:0(0) ack 1 win 65535 <mss 1460,sackOK,TS val 2000 ecr 500>
           +0 > . 1:1(0) ack 1 <nop,nop,TS val 600 ecr 2000>
           +0 ss() = 0
        """#
    )
}
