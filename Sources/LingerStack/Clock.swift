/// A source of the stack's current time, in microseconds.
///
/// The stack never reads a real clock itself: whoever drives it (the sim backend
/// on virtual time, or a live mode on the system clock) supplies `now`. Time
/// never goes backwards.
public protocol StackClock {
    /// The current time in microseconds since an arbitrary origin.
    var now: Int64 { get }
}

/// A clock that only moves when its owner moves it: the sim backend's virtual
/// time. It is a class so the stack and its owner share one instance.
public final class VirtualClock: StackClock {
    /// The current virtual time in microseconds.
    public private(set) var now: Int64

    /// Creates a clock reading `now` microseconds (0 by default).
    public init(now: Int64 = 0) {
        self.now = now
    }

    /// Moves the clock to `time`. A time earlier than `now` is ignored: virtual
    /// time, like the kernel's, only goes forward.
    public func advance(to time: Int64) {
        if time > now { now = time }
    }

    /// Moves the clock forward by `microseconds` (negative amounts are ignored;
    /// the sum saturates instead of overflowing).
    public func advance(by microseconds: Int64) {
        guard microseconds > 0 else { return }
        let (sum, overflow) = now.addingReportingOverflow(microseconds)
        now = overflow ? Int64.max : sum
    }
}
