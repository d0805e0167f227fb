/// Byte layouts of the Linux structures the runner builds for system calls or reads
/// back from them (x86-64 and arm64 little-endian layouts; both backends use them).
public enum LinuxStructs {
    /// An `int` option value, little-endian.
    public static func int32Bytes(_ value: Int32) -> [UInt8] {
        let bits = UInt32(bitPattern: value)
        return [UInt8(truncatingIfNeeded: bits), UInt8(truncatingIfNeeded: bits >> 8),
                UInt8(truncatingIfNeeded: bits >> 16), UInt8(truncatingIfNeeded: bits >> 24)]
    }

    /// Reads a little-endian `int` at `offset`, or nil when the bytes run short.
    public static func readInt32(_ bytes: [UInt8], at offset: Int = 0) -> Int32? {
        guard let value = readUnsigned(bytes, at: offset, size: 4) else { return nil }
        return Int32(bitPattern: UInt32(truncatingIfNeeded: value))
    }

    /// Reads a little-endian unsigned integer of `size` bytes (1, 2, 4 or 8) at `offset`.
    public static func readUnsigned(_ bytes: [UInt8], at offset: Int, size: Int) -> UInt64? {
        guard offset >= 0, size > 0, size <= 8, offset <= bytes.count - size else { return nil }
        var value: UInt64 = 0
        for i in stride(from: size - 1, through: 0, by: -1) {
            value = value << 8 | UInt64(bytes[offset + i])
        }
        return value
    }

    /// `struct linger { int l_onoff; int l_linger; }`.
    public static func lingerBytes(onOff: Int32, seconds: Int32) -> [UInt8] {
        int32Bytes(onOff) + int32Bytes(seconds)
    }

    /// `struct in6_addr`: the 16 address bytes.
    public static let in6AddrSize = 16
}

/// Linux's `struct tcp_info` (include/uapi/linux/tcp.h, Linux 6.12): 248 bytes.
public enum TCPInfoLayout {
    /// The size of the structure.
    public static let size = 248

    /// One named field: where it is and how wide (bit fields give a shift and width).
    public struct Field: Sendable, Hashable {
        /// The name scripts use, e.g. `tcpi_snd_cwnd`.
        public var name: String
        /// Byte offset.
        public var offset: Int
        /// Width in bytes of the storage unit (1, 2, 4 or 8).
        public var size: Int
        /// For bit fields: the lowest bit and the number of bits within the byte.
        public var bits: (shift: Int, width: Int)?

        public static func == (a: Field, b: Field) -> Bool {
            a.name == b.name && a.offset == b.offset && a.size == b.size
                && a.bits?.shift == b.bits?.shift && a.bits?.width == b.bits?.width
        }

        public func hash(into hasher: inout Hasher) {
            hasher.combine(name)
            hasher.combine(offset)
        }
    }

    private static func f(_ name: String, _ offset: Int, _ size: Int, bits: (Int, Int)? = nil) -> Field {
        Field(name: name, offset: offset, size: size, bits: bits.map { (shift: $0.0, width: $0.1) })
    }

    /// Every field, in the order of the structure.
    public static let fields: [Field] = [
        f("tcpi_state", 0, 1), f("tcpi_ca_state", 1, 1), f("tcpi_retransmits", 2, 1),
        f("tcpi_probes", 3, 1), f("tcpi_backoff", 4, 1), f("tcpi_options", 5, 1),
        f("tcpi_snd_wscale", 6, 1, bits: (0, 4)), f("tcpi_rcv_wscale", 6, 1, bits: (4, 4)),
        f("tcpi_delivery_rate_app_limited", 7, 1, bits: (0, 1)),
        f("tcpi_fastopen_client_fail", 7, 1, bits: (1, 2)),
        f("tcpi_rto", 8, 4), f("tcpi_ato", 12, 4), f("tcpi_snd_mss", 16, 4), f("tcpi_rcv_mss", 20, 4),
        f("tcpi_unacked", 24, 4), f("tcpi_sacked", 28, 4), f("tcpi_lost", 32, 4), f("tcpi_retrans", 36, 4),
        f("tcpi_fackets", 40, 4), f("tcpi_last_data_sent", 44, 4), f("tcpi_last_ack_sent", 48, 4),
        f("tcpi_last_data_recv", 52, 4), f("tcpi_last_ack_recv", 56, 4), f("tcpi_pmtu", 60, 4),
        f("tcpi_rcv_ssthresh", 64, 4), f("tcpi_rtt", 68, 4), f("tcpi_rttvar", 72, 4),
        f("tcpi_snd_ssthresh", 76, 4), f("tcpi_snd_cwnd", 80, 4), f("tcpi_advmss", 84, 4),
        f("tcpi_reordering", 88, 4), f("tcpi_rcv_rtt", 92, 4), f("tcpi_rcv_space", 96, 4),
        f("tcpi_total_retrans", 100, 4), f("tcpi_pacing_rate", 104, 8), f("tcpi_max_pacing_rate", 112, 8),
        f("tcpi_bytes_acked", 120, 8), f("tcpi_bytes_received", 128, 8), f("tcpi_segs_out", 136, 4),
        f("tcpi_segs_in", 140, 4), f("tcpi_notsent_bytes", 144, 4), f("tcpi_min_rtt", 148, 4),
        f("tcpi_data_segs_in", 152, 4), f("tcpi_data_segs_out", 156, 4), f("tcpi_delivery_rate", 160, 8),
        f("tcpi_busy_time", 168, 8), f("tcpi_rwnd_limited", 176, 8), f("tcpi_sndbuf_limited", 184, 8),
        f("tcpi_delivered", 192, 4), f("tcpi_delivered_ce", 196, 4), f("tcpi_bytes_sent", 200, 8),
        f("tcpi_bytes_retrans", 208, 8), f("tcpi_dsack_dups", 216, 4), f("tcpi_reord_seen", 220, 4),
        f("tcpi_rcv_ooopack", 224, 4), f("tcpi_snd_wnd", 228, 4), f("tcpi_rcv_wnd", 232, 4),
        f("tcpi_rehash", 236, 4), f("tcpi_total_rto", 240, 2), f("tcpi_total_rto_recoveries", 242, 2),
        f("tcpi_total_rto_time", 244, 4),
    ]

    /// The fields present in `bytes` (an older kernel returns a shorter structure),
    /// with their values; fields past the end are left out.
    public static func decode(_ bytes: [UInt8]) -> [(name: String, value: UInt64)] {
        var out: [(name: String, value: UInt64)] = []
        for field in fields {
            guard var value = LinuxStructs.readUnsigned(bytes, at: field.offset, size: field.size) else { continue }
            if let bits = field.bits {
                value = (value >> UInt64(bits.shift)) & ((1 << UInt64(bits.width)) - 1)
            }
            out.append((field.name, value))
        }
        return out
    }

    /// A structure with the given field values (others zero); unknown names are ignored.
    public static func encode(_ values: [String: UInt64]) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: size)
        for field in fields {
            guard var value = values[field.name] else { continue }
            if let bits = field.bits {
                let mask = (UInt64(1) << UInt64(bits.width)) - 1
                let old = UInt64(bytes[field.offset]) & ~(mask << UInt64(bits.shift))
                value = old | ((value & mask) << UInt64(bits.shift))
            }
            for i in 0..<field.size {
                bytes[field.offset + i] = UInt8(truncatingIfNeeded: value >> UInt64(8 * i))
            }
        }
        return bytes
    }

    /// The names code blocks see for tcpi_state, tcpi_ca_state and tcpi_options values
    /// (Linux's numbers), bound before each sample like packetdrill does.
    public static let symbolicNames: [(name: String, value: UInt64)] = [
        ("TCP_ESTABLISHED", 1), ("TCP_SYN_SENT", 2), ("TCP_SYN_RECV", 3), ("TCP_FIN_WAIT1", 4),
        ("TCP_FIN_WAIT2", 5), ("TCP_TIME_WAIT", 6), ("TCP_CLOSE", 7), ("TCP_CLOSE_WAIT", 8),
        ("TCP_LAST_ACK", 9), ("TCP_LISTEN", 10), ("TCP_CLOSING", 11),
        ("TCP_CA_Open", 0), ("TCP_CA_Disorder", 1), ("TCP_CA_CWR", 2), ("TCP_CA_Recovery", 3), ("TCP_CA_Loss", 4),
        ("TCPI_OPT_TIMESTAMPS", 1), ("TCPI_OPT_SACK", 2), ("TCPI_OPT_WSCALE", 4), ("TCPI_OPT_ECN", 8),
        ("TCPI_OPT_ECN_SEEN", 16), ("TCPI_OPT_SYN_DATA", 32), ("TCPI_OPT_USEC_TS", 64), ("TCPI_OPT_TFO_CHILD", 128),
    ]
}
