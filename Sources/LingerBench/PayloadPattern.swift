#if canImport(Glibc)
import Glibc
#endif

/// The bulk stream's bytes: a pseudo-random table with a prime period (65,521
/// bytes, a multiple of no segment or write size), so that data delivered at
/// the wrong offset, twice or not at all fails the check. Writing and
/// checking are one memcpy or memcmp each, on both sides, so the figures
/// measure the stacks rather than a byte loop.
public enum PayloadPattern {
    /// The period.
    public static let period = 65521
    /// The longest run ``slice(at:count:)`` and ``matches(_:at:)`` take.
    public static let longestRun = 1 << 18

    /// `period + longestRun` bytes: any run of up to `longestRun` starting
    /// anywhere in a period is contiguous here.
    static let table: [UInt8] = {
        var state: UInt32 = 0x1234_5678
        var t = [UInt8](repeating: 0, count: period + longestRun)
        for i in 0..<period {
            state ^= state << 13
            state ^= state >> 17
            state ^= state << 5
            t[i] = UInt8(truncatingIfNeeded: state >> 24)
        }
        for i in period..<t.count { t[i] = t[i - period] }
        return t
    }()

    /// The stream's byte at `offset`.
    public static func byte(at offset: Int) -> UInt8 { table[offset % period] }

    /// The stream's `count` bytes from `offset` (count ≤ `longestRun`).
    public static func slice(at offset: Int, count: Int) -> ArraySlice<UInt8> {
        let start = offset % period
        return table[start..<(start + min(count, longestRun))]
    }

    /// Calls `body` with a pointer to the stream's bytes from `offset`
    /// (at least `longestRun` of them).
    public static func withBytes<R>(at offset: Int, _ body: (UnsafeRawPointer) throws -> R) rethrows -> R {
        try table.withUnsafeBytes { raw in
            // The table is never empty, so the base address exists.
            try body(raw.baseAddress.unsafelyUnwrapped + offset % period)
        }
    }

    /// Whether `bytes` are the stream's bytes from `offset` (up to `longestRun` at once).
    public static func matches(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Bool {
        var done = 0
        while done < bytes.count {
            let n = min(longestRun, bytes.count - done)
            guard let base = bytes.baseAddress else { return bytes.isEmpty }
            let same = withBytes(at: offset + done) { memcmp($0, base + done, n) == 0 }
            if !same { return false }
            done += n
        }
        return true
    }
}
