// Big-endian reads and writes. Reads take an offset the caller has already
// bounds-checked against the buffer: every parser checks lengths before reading.

@inline(__always)
func readBE16(_ b: UnsafeRawBufferPointer, _ o: Int) -> UInt16 {
    UInt16(b[o]) << 8 | UInt16(b[o + 1])
}

@inline(__always)
func readBE32(_ b: UnsafeRawBufferPointer, _ o: Int) -> UInt32 {
    UInt32(b[o]) << 24 | UInt32(b[o + 1]) << 16 | UInt32(b[o + 2]) << 8 | UInt32(b[o + 3])
}

/// Copies `count` bytes at `offset`; the caller has checked the bounds.
@inline(__always)
func copyBytes(_ b: UnsafeRawBufferPointer, _ offset: Int, _ count: Int) -> [UInt8] {
    count <= 0 ? [] : Array(UnsafeRawBufferPointer(rebasing: b[offset..<(offset + count)]))
}

@inline(__always)
func appendBE16(_ out: inout [UInt8], _ v: UInt16) {
    out.append(UInt8(truncatingIfNeeded: v >> 8))
    out.append(UInt8(truncatingIfNeeded: v))
}

@inline(__always)
func appendBE32(_ out: inout [UInt8], _ v: UInt32) {
    out.append(UInt8(truncatingIfNeeded: v >> 24))
    out.append(UInt8(truncatingIfNeeded: v >> 16))
    out.append(UInt8(truncatingIfNeeded: v >> 8))
    out.append(UInt8(truncatingIfNeeded: v))
}

/// Writes `v` big-endian at `offset` of `out`; the caller has checked the bounds.
@inline(__always)
func storeBE16(_ out: inout [UInt8], _ offset: Int, _ v: UInt16) {
    out[offset] = UInt8(truncatingIfNeeded: v >> 8)
    out[offset + 1] = UInt8(truncatingIfNeeded: v)
}
