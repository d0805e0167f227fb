@testable import LingerWire

/// Bytes from hex text (test fixtures only; traps on bad fixtures, never on product input).
func bytes(_ hex: String) -> [UInt8] {
    var out: [UInt8] = []
    var high: UInt8?
    for c in hex.utf8 {
        guard let v = hexValue(c) else { continue }
        if let h = high {
            out.append(h << 4 | v)
            high = nil
        } else {
            high = v
        }
    }
    return out
}

/// A small deterministic generator (SplitMix64) so fuzz runs repeat exactly.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The checksum computed the slow, obvious way (RFC 1071 section 4.1), as a reference.
func referenceChecksum(_ data: [UInt8]) -> UInt16 {
    var sum: UInt32 = 0
    var i = 0
    while i + 1 < data.count {
        sum += UInt32(data[i]) << 8 | UInt32(data[i + 1])
        i += 2
    }
    if i < data.count { sum += UInt32(data[i]) << 8 }
    while sum >> 16 != 0 { sum = (sum & 0xFFFF) + (sum >> 16) }
    return ~UInt16(sum)
}

/// Every oracle packet (Python-built and kernel-captured).
var allOraclePackets: [[UInt8]] {
    TcpdumpOracle.groups.flatMap { $0.cases.map { bytes($0.hex) } } + KernelCapture.packets.map { bytes($0.hex) }
}
