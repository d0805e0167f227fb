// Packets captured from the live Linux kernel (6.x) on `lo` in a private network
// namespace, with the lines tcpdump 4.99.3 printed for them.
//
// How: `ip netns add lwcap; ip -n lwcap link set lo up;
// ip netns exec lwcap tcpdump -i lo -nn -U -w cap.pcap &`, then the Python program at the
// end of this file (TCP exchanges on 127.0.0.1:8080 and [::1]:8081 with data and a
// close, a connect to a closed port for a RST, UDP to a closed port for ICMP/ICMPv6
// port unreachable), then `ip netns del lwcap`. The 14-byte Ethernet header that `lo`
// captures carry was stripped; the IP packets were written to a LINKTYPE_RAW pcap and
// printed with `tcpdump -nn -t -r` and `tcpdump -nn -t -S -r`.
//
// Loopback TCP and UDP packets carry partial checksums (CHECKSUM_PARTIAL): the field
// holds only the pseudo-header sum, because the kernel skips the final checksum on `lo`.
// The IPv4 header, ICMP and ICMPv6 checksums are complete, and so is the checksum of the
// IPv4 RST sent for the closed port (the IPv6 one is partial).

enum KernelCapture {
    /// Every packet of the capture, in order (one relative-numbering group).
    static let packets: [TcpdumpOracleCase] = [
        TcpdumpOracleCase(
            hex: "4500003c8f3f40004006ad7a7f0000017f000001abf41f9010588d3900000000a002ffd7fe3000000204ffd70402080a675e7799000000000103030a",
            relative: "IP 127.0.0.1.44020 > 127.0.0.1.8080: Flags [S], seq 274238777, win 65495, options [mss 65495,sackOK,TS val 1734244249 ecr 0,nop,wscale 10], length 0",
            absolute: "IP 127.0.0.1.44020 > 127.0.0.1.8080: Flags [S], seq 274238777, win 65495, options [mss 65495,sackOK,TS val 1734244249 ecr 0,nop,wscale 10], length 0"),
        TcpdumpOracleCase(
            hex: "4500003c0000400040063cba7f0000017f0000011f90abf49c49736a10588d3aa012ffcbfe3000000204ffd70402080a4bb7ab9f675e77990103030a",
            relative: "IP 127.0.0.1.8080 > 127.0.0.1.44020: Flags [S.], seq 2622059370, ack 274238778, win 65483, options [mss 65495,sackOK,TS val 1270328223 ecr 1734244249,nop,wscale 10], length 0",
            absolute: "IP 127.0.0.1.8080 > 127.0.0.1.44020: Flags [S.], seq 2622059370, ack 274238778, win 65483, options [mss 65495,sackOK,TS val 1270328223 ecr 1734244249,nop,wscale 10], length 0"),
        TcpdumpOracleCase(
            hex: "450000348f4040004006ad817f0000017f000001abf41f9010588d3a9c49736b80100040fe2800000101080a675e77994bb7ab9f",
            relative: "IP 127.0.0.1.44020 > 127.0.0.1.8080: Flags [.], ack 1, win 64, options [nop,nop,TS val 1734244249 ecr 1270328223], length 0",
            absolute: "IP 127.0.0.1.44020 > 127.0.0.1.8080: Flags [.], ack 2622059371, win 64, options [nop,nop,TS val 1734244249 ecr 1270328223], length 0"),
        TcpdumpOracleCase(
            hex: "450000418f4140004006ad737f0000017f000001abf41f9010588d3a9c49736b80180040fe3500000101080a675e77994bb7ab9f68656c6c6f206c696e6765720a",
            relative: "IP 127.0.0.1.44020 > 127.0.0.1.8080: Flags [P.], seq 1:14, ack 1, win 64, options [nop,nop,TS val 1734244249 ecr 1270328223], length 13: HTTP",
            absolute: "IP 127.0.0.1.44020 > 127.0.0.1.8080: Flags [P.], seq 274238778:274238791, ack 2622059371, win 64, options [nop,nop,TS val 1734244249 ecr 1270328223], length 13: HTTP"),
        TcpdumpOracleCase(
            hex: "4500003488c940004006b3f87f0000017f0000011f90abf49c49736b10588d4780100040fe2800000101080a4bb7ab9f675e7799",
            relative: "IP 127.0.0.1.8080 > 127.0.0.1.44020: Flags [.], ack 14, win 64, options [nop,nop,TS val 1270328223 ecr 1734244249], length 0",
            absolute: "IP 127.0.0.1.8080 > 127.0.0.1.44020: Flags [.], ack 274238791, win 64, options [nop,nop,TS val 1270328223 ecr 1734244249], length 0"),
        TcpdumpOracleCase(
            hex: "4500010688ca40004006b3257f0000017f0000011f90abf49c49736b10588d4780180040fefa00000101080a4bb7aba0675e7799776f726c642c20776f726c642c20776f726c642c20776f726c642c20776f726c642c20776f726c642c20776f726c642c20776f726c642c20776f726c642c20776f726c642c20776f726c642c20776f726c642c20776f726c642c20776f726c642c20776f726c642c20776f726c642c20776f726c642c20776f726c642c20776f726c642c20776f726c642c20776f726c642c20776f726c642c20776f726c642c20776f726c642c20776f726c642c20776f726c642c20776f726c642c20776f726c642c20776f726c642c20776f726c642c20",
            relative: "IP 127.0.0.1.8080 > 127.0.0.1.44020: Flags [P.], seq 1:211, ack 14, win 64, options [nop,nop,TS val 1270328224 ecr 1734244249], length 210: HTTP",
            absolute: "IP 127.0.0.1.8080 > 127.0.0.1.44020: Flags [P.], seq 2622059371:2622059581, ack 274238791, win 64, options [nop,nop,TS val 1270328224 ecr 1734244249], length 210: HTTP"),
        TcpdumpOracleCase(
            hex: "450000348f4240004006ad7f7f0000017f000001abf41f9010588d479c49743d80100040fe2800000101080a675e779a4bb7aba0",
            relative: "IP 127.0.0.1.44020 > 127.0.0.1.8080: Flags [.], ack 211, win 64, options [nop,nop,TS val 1734244250 ecr 1270328224], length 0",
            absolute: "IP 127.0.0.1.44020 > 127.0.0.1.8080: Flags [.], ack 2622059581, win 64, options [nop,nop,TS val 1734244250 ecr 1270328224], length 0"),
        TcpdumpOracleCase(
            hex: "4500003488cb40004006b3f67f0000017f0000011f90abf49c49743d10588d4780110040fe2800000101080a4bb7abd2675e779a",
            relative: "IP 127.0.0.1.8080 > 127.0.0.1.44020: Flags [F.], seq 211, ack 14, win 64, options [nop,nop,TS val 1270328274 ecr 1734244250], length 0",
            absolute: "IP 127.0.0.1.8080 > 127.0.0.1.44020: Flags [F.], seq 2622059581, ack 274238791, win 64, options [nop,nop,TS val 1270328274 ecr 1734244250], length 0"),
        TcpdumpOracleCase(
            hex: "450000348f4340004006ad7e7f0000017f000001abf41f9010588d479c49743e80110040fe2800000101080a675e77cc4bb7abd2",
            relative: "IP 127.0.0.1.44020 > 127.0.0.1.8080: Flags [F.], seq 14, ack 212, win 64, options [nop,nop,TS val 1734244300 ecr 1270328274], length 0",
            absolute: "IP 127.0.0.1.44020 > 127.0.0.1.8080: Flags [F.], seq 274238791, ack 2622059582, win 64, options [nop,nop,TS val 1734244300 ecr 1270328274], length 0"),
        TcpdumpOracleCase(
            hex: "4500003488cc40004006b3f57f0000017f0000011f90abf49c49743e10588d4880100040fe2800000101080a4bb7abd2675e77cc",
            relative: "IP 127.0.0.1.8080 > 127.0.0.1.44020: Flags [.], ack 15, win 64, options [nop,nop,TS val 1270328274 ecr 1734244300], length 0",
            absolute: "IP 127.0.0.1.8080 > 127.0.0.1.44020: Flags [.], ack 274238792, win 64, options [nop,nop,TS val 1270328274 ecr 1734244300], length 0"),
        TcpdumpOracleCase(
            hex: "6004f579002806400000000000000000000000000000000100000000000000000000000000000001b4341f9158c33d1300000000a002ffc4003000000204ffc40402080afa9d9099000000000103030a",
            relative: "IP6 ::1.46132 > ::1.8081: Flags [S], seq 1489190163, win 65476, options [mss 65476,sackOK,TS val 4204630169 ecr 0,nop,wscale 10], length 0",
            absolute: "IP6 ::1.46132 > ::1.8081: Flags [S], seq 1489190163, win 65476, options [mss 65476,sackOK,TS val 4204630169 ecr 0,nop,wscale 10], length 0"),
        TcpdumpOracleCase(
            hex: "600dc0d20028064000000000000000000000000000000001000000000000000000000000000000011f91b43447a78bd858c33d14a012ffb8003000000204ffc40402080a79a1d2c5fa9d90990103030a",
            relative: "IP6 ::1.8081 > ::1.46132: Flags [S.], seq 1202162648, ack 1489190164, win 65464, options [mss 65476,sackOK,TS val 2040648389 ecr 4204630169,nop,wscale 10], length 0",
            absolute: "IP6 ::1.8081 > ::1.46132: Flags [S.], seq 1202162648, ack 1489190164, win 65464, options [mss 65476,sackOK,TS val 2040648389 ecr 4204630169,nop,wscale 10], length 0"),
        TcpdumpOracleCase(
            hex: "6004f579002006400000000000000000000000000000000100000000000000000000000000000001b4341f9158c33d1447a78bd980100040002800000101080afa9d909979a1d2c5",
            relative: "IP6 ::1.46132 > ::1.8081: Flags [.], ack 1, win 64, options [nop,nop,TS val 4204630169 ecr 2040648389], length 0",
            absolute: "IP6 ::1.46132 > ::1.8081: Flags [.], ack 1202162649, win 64, options [nop,nop,TS val 4204630169 ecr 2040648389], length 0"),
        TcpdumpOracleCase(
            hex: "6004f579002d06400000000000000000000000000000000100000000000000000000000000000001b4341f9158c33d1447a78bd980180040003500000101080afa9d909979a1d2c568656c6c6f206c696e6765720a",
            relative: "IP6 ::1.46132 > ::1.8081: Flags [P.], seq 1:14, ack 1, win 64, options [nop,nop,TS val 4204630169 ecr 2040648389], length 13",
            absolute: "IP6 ::1.46132 > ::1.8081: Flags [P.], seq 1489190164:1489190177, ack 1202162649, win 64, options [nop,nop,TS val 4204630169 ecr 2040648389], length 13"),
        TcpdumpOracleCase(
            hex: "600dc0d20020064000000000000000000000000000000001000000000000000000000000000000011f91b43447a78bd958c33d2180100040002800000101080a79a1d2c5fa9d9099",
            relative: "IP6 ::1.8081 > ::1.46132: Flags [.], ack 14, win 64, options [nop,nop,TS val 2040648389 ecr 4204630169], length 0",
            absolute: "IP6 ::1.8081 > ::1.46132: Flags [.], ack 1489190177, win 64, options [nop,nop,TS val 2040648389 ecr 4204630169], length 0"),
        TcpdumpOracleCase(
            hex: "600dc0d200f2064000000000000000000000000000000001000000000000000000000000000000011f91b43447a78bd958c33d218018004000fa00000101080a79a1d2c5fa9d9099776f726c642c20776f726c642c20776f726c642c20776f726c642c20776f726c642c20776f726c642c20776f726c642c20776f726c642c20776f726c642c20776f726c642c20776f726c642c20776f726c642c20776f726c642c20776f726c642c20776f726c642c20776f726c642c20776f726c642c20776f726c642c20776f726c642c20776f726c642c20776f726c642c20776f726c642c20776f726c642c20776f726c642c20776f726c642c20776f726c642c20776f726c642c20776f726c642c20776f726c642c20776f726c642c20",
            relative: "IP6 ::1.8081 > ::1.46132: Flags [P.], seq 1:211, ack 14, win 64, options [nop,nop,TS val 2040648389 ecr 4204630169], length 210",
            absolute: "IP6 ::1.8081 > ::1.46132: Flags [P.], seq 1202162649:1202162859, ack 1489190177, win 64, options [nop,nop,TS val 2040648389 ecr 4204630169], length 210"),
        TcpdumpOracleCase(
            hex: "6004f579002006400000000000000000000000000000000100000000000000000000000000000001b4341f9158c33d2147a78cab80100040002800000101080afa9d909979a1d2c5",
            relative: "IP6 ::1.46132 > ::1.8081: Flags [.], ack 211, win 64, options [nop,nop,TS val 4204630169 ecr 2040648389], length 0",
            absolute: "IP6 ::1.46132 > ::1.8081: Flags [.], ack 1202162859, win 64, options [nop,nop,TS val 4204630169 ecr 2040648389], length 0"),
        TcpdumpOracleCase(
            hex: "600dc0d20020064000000000000000000000000000000001000000000000000000000000000000011f91b43447a78cab58c33d2180110040002800000101080a79a1d2f7fa9d9099",
            relative: "IP6 ::1.8081 > ::1.46132: Flags [F.], seq 211, ack 14, win 64, options [nop,nop,TS val 2040648439 ecr 4204630169], length 0",
            absolute: "IP6 ::1.8081 > ::1.46132: Flags [F.], seq 1202162859, ack 1489190177, win 64, options [nop,nop,TS val 2040648439 ecr 4204630169], length 0"),
        TcpdumpOracleCase(
            hex: "6004f579002006400000000000000000000000000000000100000000000000000000000000000001b4341f9158c33d2147a78cac80110040002800000101080afa9d90cb79a1d2f7",
            relative: "IP6 ::1.46132 > ::1.8081: Flags [F.], seq 14, ack 212, win 64, options [nop,nop,TS val 4204630219 ecr 2040648439], length 0",
            absolute: "IP6 ::1.46132 > ::1.8081: Flags [F.], seq 1489190177, ack 1202162860, win 64, options [nop,nop,TS val 4204630219 ecr 2040648439], length 0"),
        TcpdumpOracleCase(
            hex: "600dc0d20020064000000000000000000000000000000001000000000000000000000000000000011f91b43447a78cac58c33d2280100040002800000101080a79a1d2f7fa9d90cb",
            relative: "IP6 ::1.8081 > ::1.46132: Flags [.], ack 15, win 64, options [nop,nop,TS val 2040648439 ecr 4204630219], length 0",
            absolute: "IP6 ::1.8081 > ::1.46132: Flags [.], ack 1489190178, win 64, options [nop,nop,TS val 2040648439 ecr 4204630219], length 0"),
        TcpdumpOracleCase(
            hex: "4500003c496140004006f3587f0000017f000001a64600090e40e08a00000000a002ffd7fe3000000204ffd70402080a22a14654000000000103030a",
            relative: "IP 127.0.0.1.42566 > 127.0.0.1.9: Flags [S], seq 239132810, win 65495, options [mss 65495,sackOK,TS val 580994644 ecr 0,nop,wscale 10], length 0",
            absolute: "IP 127.0.0.1.42566 > 127.0.0.1.9: Flags [S], seq 239132810, win 65495, options [mss 65495,sackOK,TS val 580994644 ecr 0,nop,wscale 10], length 0"),
        TcpdumpOracleCase(
            hex: "450000280000400040063cce7f0000017f0000010009a646000000000e40e08b501400001cb30000",
            relative: "IP 127.0.0.1.9 > 127.0.0.1.42566: Flags [R.], seq 0, ack 239132811, win 0, length 0",
            absolute: "IP 127.0.0.1.9 > 127.0.0.1.42566: Flags [R.], seq 0, ack 239132811, win 0, length 0"),
        TcpdumpOracleCase(
            hex: "600807df002806400000000000000000000000000000000100000000000000000000000000000001c2b400098d714e2c00000000a002ffc4003000000204ffc40402080a8e1e9213000000000103030a",
            relative: "IP6 ::1.49844 > ::1.9: Flags [S], seq 2373013036, win 65476, options [mss 65476,sackOK,TS val 2384368147 ecr 0,nop,wscale 10], length 0",
            absolute: "IP6 ::1.49844 > ::1.9: Flags [S], seq 2373013036, win 65476, options [mss 65476,sackOK,TS val 2384368147 ecr 0,nop,wscale 10], length 0"),
        TcpdumpOracleCase(
            hex: "6003bd8d0014064000000000000000000000000000000001000000000000000000000000000000010009c2b4000000008d714e2d50140000001c0000",
            relative: "IP6 ::1.9 > ::1.49844: Flags [R.], seq 0, ack 2373013037, win 0, length 0",
            absolute: "IP6 ::1.9 > ::1.49844: Flags [R.], seq 0, ack 2373013037, win 0, length 0"),
        TcpdumpOracleCase(
            hex: "45000021914440004011ab857f0000017f000001a1b70009000dfe2070696e673f",
            relative: "IP 127.0.0.1.41399 > 127.0.0.1.9: UDP, length 5",
            absolute: "IP 127.0.0.1.41399 > 127.0.0.1.9: UDP, length 5"),
        TcpdumpOracleCase(
            hex: "45c0003d70f3000040010b0b7f0000017f00000103033f3d0000000045000021914440004011ab857f0000017f000001a1b70009000dfe2070696e673f",
            relative: "IP 127.0.0.1 > 127.0.0.1: ICMP 127.0.0.1 udp port 9 unreachable, length 41",
            absolute: "IP 127.0.0.1 > 127.0.0.1: ICMP 127.0.0.1 udp port 9 unreachable, length 41"),
        TcpdumpOracleCase(
            hex: "60081862000d114000000000000000000000000000000001000000000000000000000000000000018db40009000d002070696e673f",
            relative: "IP6 ::1.36276 > ::1.9: UDP, length 5",
            absolute: "IP6 ::1.36276 > ::1.9: UDP, length 5"),
        TcpdumpOracleCase(
            hex: "600d48e8003d3a4000000000000000000000000000000001000000000000000000000000000000010104c90d0000000060081862000d114000000000000000000000000000000001000000000000000000000000000000018db40009000d002070696e673f",
            relative: "IP6 ::1 > ::1: ICMP6, destination unreachable, unreachable port, ::1 udp port 9, length 61",
            absolute: "IP6 ::1 > ::1: ICMP6, destination unreachable, unreachable port, ::1 udp port 9, length 61"),
    ]

    /// `tcpdump -nn -t -xx -c 3 -r raw.pcap` output for the first three packets.
    static let tcpdumpHexOutput = "IP 127.0.0.1.44020 > 127.0.0.1.8080: Flags [S], seq 274238777, win 65495, options [mss 65495,sackOK,TS val 1734244249 ecr 0,nop,wscale 10], length 0\n\t0x0000:  4500 003c 8f3f 4000 4006 ad7a 7f00 0001\n\t0x0010:  7f00 0001 abf4 1f90 1058 8d39 0000 0000\n\t0x0020:  a002 ffd7 fe30 0000 0204 ffd7 0402 080a\n\t0x0030:  675e 7799 0000 0000 0103 030a\nIP 127.0.0.1.8080 > 127.0.0.1.44020: Flags [S.], seq 2622059370, ack 274238778, win 65483, options [mss 65495,sackOK,TS val 1270328223 ecr 1734244249,nop,wscale 10], length 0\n\t0x0000:  4500 003c 0000 4000 4006 3cba 7f00 0001\n\t0x0010:  7f00 0001 1f90 abf4 9c49 736a 1058 8d3a\n\t0x0020:  a012 ffcb fe30 0000 0204 ffd7 0402 080a\n\t0x0030:  4bb7 ab9f 675e 7799 0103 030a\nIP 127.0.0.1.44020 > 127.0.0.1.8080: Flags [.], ack 1, win 64, options [nop,nop,TS val 1734244249 ecr 1270328223], length 0\n\t0x0000:  4500 0034 8f40 4000 4006 ad81 7f00 0001\n\t0x0010:  7f00 0001 abf4 1f90 1058 8d3a 9c49 736b\n\t0x0020:  8010 0040 fe28 0000 0101 080a 675e 7799\n\t0x0030:  4bb7 ab9f\n"
}

/*
---- exchange.py (run inside the namespace) ----
import socket, threading, time
def serve(fam, addr, port, reply):
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port)); s.listen(1)
    c, _ = s.accept()
    data = c.recv(4096)
    c.sendall(reply)
    time.sleep(0.05)
    c.close(); s.close()
for fam, addr, port in [(socket.AF_INET, '127.0.0.1', 8080), (socket.AF_INET6, '::1', 8081)]:
    t = threading.Thread(target=serve, args=(fam, addr, port, b'world, ' * 30)); t.start()
    time.sleep(0.1)
    c = socket.socket(fam, socket.SOCK_STREAM)
    c.connect((addr, port))
    c.sendall(b'hello linger\n')
    got = b''
    while True:
        d = c.recv(4096)
        if not d: break
        got += d
    c.close(); t.join(); time.sleep(0.1)
# connection refused: RST from a closed port
for fam, addr in [(socket.AF_INET, '127.0.0.1'), (socket.AF_INET6, '::1')]:
    c = socket.socket(fam, socket.SOCK_STREAM)
    try: c.connect((addr, 9))
    except OSError as e: pass
    c.close(); time.sleep(0.05)
# UDP to a closed port: ICMP / ICMPv6 port unreachable carrying the original header
for fam, addr in [(socket.AF_INET, '127.0.0.1'), (socket.AF_INET6, '::1')]:
    u = socket.socket(fam, socket.SOCK_DGRAM)
    u.sendto(b'ping?', (addr, 9)); time.sleep(0.05); u.close()

*/
