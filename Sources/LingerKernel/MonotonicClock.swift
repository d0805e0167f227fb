#if os(Linux)
import Glibc

/// CLOCK_MONOTONIC in microseconds: the kernel backend's clock.
enum MonotonicClock {
    /// How long before a deadline `wait(until:)` stops sleeping and starts spinning:
    /// a sleep may end late by the thread's timer slack (50 µs by default) plus the
    /// scheduler's wake-up latency, so the last stretch is spun, as packetdrill does.
    static let spinMicroseconds: Int64 = 120

    /// Microseconds since an arbitrary point (boot).
    static func now() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Int64(time.tv_sec) &* 1_000_000 &+ Int64(time.tv_nsec) / 1000
    }

    /// The absolute `timespec` for a time in microseconds.
    static func absoluteTime(microseconds: Int64) -> timespec {
        let clamped = max(0, microseconds)
        return Glibc.timespec(tv_sec: Int(clamped / 1_000_000), tv_nsec: Int(clamped % 1_000_000) * 1000)
    }

    /// Returns at `time` or just after it: sleeps until shortly before, then spins.
    static func wait(until time: Int64) {
        let sleepUntil = time - spinMicroseconds
        if now() < sleepUntil {
            var deadline = absoluteTime(microseconds: sleepUntil)
            // EINTR (a signal) just ends the sleep early; the loop below finishes the wait.
            while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, nil) == EINTR, now() < sleepUntil {}
        }
        while now() < time {}
    }
}
#endif
