#if os(Linux)
import Glibc

/// A mutex with one condition variable whose timed waits use CLOCK_MONOTONIC, the
/// backend's clock. Lock it around every access to the state it guards.
final class Monitor: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    init() {
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    /// Runs `body` holding the lock.
    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// Wakes every waiter. Call with the lock held.
    func broadcast() {
        pthread_cond_broadcast(condition)
    }

    /// Waits for a broadcast. Call with the lock held.
    func wait() {
        pthread_cond_wait(condition, mutex)
    }

    /// Waits for a broadcast until `deadline` (CLOCK_MONOTONIC microseconds); false
    /// when the deadline passed. Call with the lock held.
    func wait(until deadline: Int64) -> Bool {
        var time = MonotonicClock.absoluteTime(microseconds: deadline)
        return pthread_cond_timedwait(condition, mutex, &time) != ETIMEDOUT
    }
}
#endif
