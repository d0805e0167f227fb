/// A TCP sequence number: arithmetic and comparison modulo 2^32 (RFC 9293 section 3.4).
///
/// `a < b` means `b` is ahead of `a` by less than 2^31. This is not a total order (it is
/// not transitive across more than half the space), so the type does not conform to
/// `Comparable`; the operators are provided directly.
public struct SequenceNumber: Hashable, Sendable, CustomStringConvertible {
    /// The raw 32-bit value as carried in the header.
    public var rawValue: UInt32

    /// The sequence number with raw value `rawValue`.
    public init(_ rawValue: UInt32) { self.rawValue = rawValue }

    /// The signed distance from `self` to `other`: positive when `other` is ahead.
    public func distance(to other: SequenceNumber) -> Int32 {
        Int32(bitPattern: other.rawValue &- rawValue)
    }

    /// `self` advanced by `n`, wrapping.
    public func advanced(by n: Int32) -> SequenceNumber {
        SequenceNumber(rawValue &+ UInt32(bitPattern: n))
    }

    public var description: String { String(rawValue) }

    public static func + (a: SequenceNumber, n: UInt32) -> SequenceNumber { SequenceNumber(a.rawValue &+ n) }
    public static func + (a: SequenceNumber, n: Int) -> SequenceNumber {
        SequenceNumber(a.rawValue &+ UInt32(truncatingIfNeeded: n))
    }
    public static func - (a: SequenceNumber, n: UInt32) -> SequenceNumber { SequenceNumber(a.rawValue &- n) }
    public static func - (a: SequenceNumber, n: Int) -> SequenceNumber {
        SequenceNumber(a.rawValue &- UInt32(truncatingIfNeeded: n))
    }
    /// The signed distance from `b` to `a` (`a - b`).
    public static func - (a: SequenceNumber, b: SequenceNumber) -> Int32 { b.distance(to: a) }
    public static func += (a: inout SequenceNumber, n: UInt32) { a = a + n }
    public static func += (a: inout SequenceNumber, n: Int) { a = a + n }

    public static func < (a: SequenceNumber, b: SequenceNumber) -> Bool { a.distance(to: b) > 0 }
    public static func <= (a: SequenceNumber, b: SequenceNumber) -> Bool { a.distance(to: b) >= 0 }
    public static func > (a: SequenceNumber, b: SequenceNumber) -> Bool { a.distance(to: b) < 0 }
    public static func >= (a: SequenceNumber, b: SequenceNumber) -> Bool { a.distance(to: b) <= 0 }
}
