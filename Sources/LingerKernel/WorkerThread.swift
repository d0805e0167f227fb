#if os(Linux)
import CLingerLinux
import Glibc
import LingerRun

/// One POSIX thread that runs the jobs handed to it, in order.
///
/// A thread is created in the network namespace of the thread that creates it, and
/// sockets and processes belong to the namespace of the thread that creates them:
/// the backend's threads are made from inside its namespace, so every socket and
/// every command they create lands there, whichever thread asked.
final class WorkerThread: @unchecked Sendable {
    private let monitor = Monitor()
    // Guarded by `monitor`.
    private var jobs: [@Sendable () -> Void] = []
    private var stopping = false
    private var kernelThreadID: Int32 = 0
    private var thread: pthread_t?

    /// Starts the thread (in the calling thread's network namespace).
    init(name: String) throws(BackendError) {
        let context = Unmanaged.passRetained(self).toOpaque()
        var handle = pthread_t()
        let status = pthread_create(&handle, nil, { context in
            guard let context else { return nil }
            let worker = Unmanaged<WorkerThread>.fromOpaque(context).takeRetainedValue()
            worker.run()
            return nil
        }, context)
        guard status == 0 else {
            Unmanaged<WorkerThread>.fromOpaque(context).release()
            throw BackendError("cannot start the kernel backend's \(name) thread: \(errnoDescription(status))")
        }
        thread = handle
        monitor.withLock {
            while kernelThreadID == 0 { monitor.wait() }
        }
    }

    /// The thread's kernel thread id (its /proc/self/task entry).
    var threadID: Int32 { monitor.withLock { kernelThreadID } }

    /// Queues a job and returns at once.
    func submit(_ job: @escaping @Sendable () -> Void) {
        monitor.withLock {
            jobs.append(job)
            monitor.broadcast()
        }
    }

    /// Runs a job on the thread and waits for its result.
    func perform<T: Sendable>(_ job: @escaping @Sendable () -> T) -> T {
        let box = ResultBox<T>()
        submit {
            let value = job()
            box.monitor.withLock {
                box.value = value
                box.monitor.broadcast()
            }
        }
        return box.monitor.withLock {
            while true {
                if let value = box.value { return value }
                box.monitor.wait()
            }
        }
    }

    /// Lets the thread finish the queued jobs, ends it and waits for it to end.
    func stop() {
        let handle: pthread_t? = monitor.withLock {
            stopping = true
            monitor.broadcast()
            defer { thread = nil }
            return thread
        }
        guard let handle else { return }
        pthread_join(handle, nil)
        // pthread_join returns once the thread has released its memory, a moment
        // before the kernel drops its namespaces and removes it from /proc: wait for
        // that too, so that when stop() returns the thread is in no namespace.
        let giveUp = MonotonicClock.now() + 1_000_000
        let entry = "/proc/self/task/\(threadID)"
        while access(entry, F_OK) == 0 && MonotonicClock.now() < giveUp {
            usleep(50)
        }
    }

    private func run() {
        // The backend interrupts a call still blocked at finish() with a signal.
        _ = clinger_unblock_interrupt_signal()
        monitor.withLock {
            kernelThreadID = clinger_gettid()
            monitor.broadcast()
        }
        while true {
            let job: (@Sendable () -> Void)? = monitor.withLock {
                while jobs.isEmpty && !stopping { monitor.wait() }
                return jobs.isEmpty ? nil : jobs.removeFirst()
            }
            guard let job else { return }
            job()
        }
    }
}

/// A value handed from one thread to another.
private final class ResultBox<T>: @unchecked Sendable {
    let monitor = Monitor()
    var value: T?
}

/// `strerror` text with the errno name, e.g. "Operation not permitted (EPERM)".
func errnoDescription(_ code: Int32) -> String {
    let text = String(cString: strerror(code))
    if let name = errnoNames[code] { return "\(text) (\(name))" }
    return "\(text) (errno \(code))"
}

private let errnoNames: [Int32: String] = [
    EPERM: "EPERM", ENOENT: "ENOENT", EINTR: "EINTR", EBADF: "EBADF", EACCES: "EACCES",
    EBUSY: "EBUSY", EEXIST: "EEXIST", ENODEV: "ENODEV", EINVAL: "EINVAL", ENOSPC: "ENOSPC",
    EAGAIN: "EAGAIN", ENOMEM: "ENOMEM", EFAULT: "EFAULT", ENOTDIR: "ENOTDIR", EMFILE: "EMFILE",
    ENOSYS: "ENOSYS", EADDRINUSE: "EADDRINUSE", EADDRNOTAVAIL: "EADDRNOTAVAIL",
    ENETUNREACH: "ENETUNREACH", ENOBUFS: "ENOBUFS", EMSGSIZE: "EMSGSIZE", EAFNOSUPPORT: "EAFNOSUPPORT",
]
#endif
