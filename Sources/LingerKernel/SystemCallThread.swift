#if os(Linux)
import CLingerLinux
import Glibc
import LingerRun
import Synchronization

/// The backend's system call thread: runs every system call of the script, one at a
/// time, and tells a call that returns at once from one that blocks.
///
/// A call is blocked, as packetdrill decides it, when the thread is found sleeping
/// (state `S` in /proc/self/task/TID/stat) inside the call's system call. The check
/// is made only while the executor marks the call as in the kernel, so a thread
/// that is merely waiting for its next job is never taken for a blocked call.
///
/// The thread is the script's process as far as descriptors go: it has a descriptor
/// table of its own (holding only the process's 0, 1 and 2 when it starts), so the
/// script's sockets are in no other table. When it ends (``exitProcess()``, or
/// ``finish(patience:)``) the kernel itself closes that table as it does for any
/// exiting task: do_exit sets PF_EXITING, exit_files drops each descriptor's
/// reference, and exit_task_work then releases every file whose last reference that
/// was (____fput -> sock_close -> inet_release, which skips the SO_LINGER wait for an
/// exiting task).
final class SystemCallThread: @unchecked Sendable {
    private let worker: WorkerThread
    private let executor = SystemCallExecutor()
    private let threadID: Int32
    private let monitor = Monitor()
    // Guarded by `monitor`.
    private var nextID: UInt64 = 1
    /// The call handed to the thread that has not returned yet.
    private var outstandingID: UInt64?
    /// The last call that returned, until someone takes its result.
    private var completed: (id: UInt64, completion: CallCompletion)?
    /// The call start() reported blocked.
    private var blockedID: UInt64?
    /// Whether the thread has ended, taking the script's descriptors with it.
    private var exited = false

    /// How long start() waits for a call's result before it also checks whether the
    /// call blocked.
    static let quickCallMicroseconds: Int64 = 50

    /// Starts the thread in the calling thread's network namespace, with a descriptor
    /// table of its own.
    init() throws(BackendError) {
        worker = try WorkerThread(name: "system call")
        threadID = worker.threadID
        let status = worker.perform { () -> Int32 in
            clinger_unshare_descriptor_table(3) == 0 ? 0 : errno
        }
        if status != 0 {
            worker.stop()
            throw BackendError("cannot give the system call thread a descriptor table of its own: \(errnoDescription(status))")
        }
    }

    /// See ``Backend/start(_:)``. Once the thread has exited every call answers -1
    /// with ESRCH (no such process).
    func start(_ call: SocketCall) -> CallStart {
        if case .exit = call { return .finished(exitProcess()) }
        if monitor.withLock({ exited }) {
            return .finished(CallCompletion(result: .failure(ESRCH), time: MonotonicClock.now()))
        }
        let admitted: UInt64? = monitor.withLock {
            // The runner finishes a blocked call before the next; if it did not, give
            // the blocked one a second (as packetdrill does), then refuse.
            let giveUp = MonotonicClock.now() + 1_000_000
            while outstandingID != nil {
                if !monitor.wait(until: giveUp) && outstandingID != nil { return nil }
            }
            completed = nil
            blockedID = nil
            let id = nextID
            nextID += 1
            outstandingID = id
            return id
        }
        guard let id = admitted else {
            return .finished(CallCompletion(result: .failure(EBUSY), time: MonotonicClock.now()))
        }
        worker.submit { [self] in
            let result = executor.execute(call, id: id)
            let time = MonotonicClock.now()
            monitor.withLock {
                outstandingID = nil
                completed = (id, CallCompletion(result: result, time: time))
                monitor.broadcast()
            }
        }
        // Most calls return within microseconds: look for the result alone for a
        // while before reading the thread's state from /proc, which costs more than
        // such a call.
        let quickCheckEnd = MonotonicClock.now() + Self.quickCallMicroseconds
        while true {
            if let completion = takeCompletion(of: id) { return .finished(completion) }
            if MonotonicClock.now() < quickCheckEnd {
                sched_yield()
                continue
            }
            if executor.callInKernel.load(ordering: .sequentiallyConsistent) == id, threadIsSleeping(),
                executor.callInKernel.load(ordering: .sequentiallyConsistent) == id
            {
                return monitor.withLock {
                    if let done = completed, done.id == id {
                        completed = nil
                        return .finished(done.completion)
                    }
                    blockedID = id
                    return .blocked
                }
            }
            sched_yield()
        }
    }

    /// See ``Backend/awaitBlockedCall(deadline:)``.
    func awaitBlockedCall(deadline: Int64) -> CallCompletion? {
        monitor.withLock {
            guard let id = blockedID else { return nil }
            while true {
                if let done = completed, done.id == id {
                    completed = nil
                    blockedID = nil
                    return done.completion
                }
                if !monitor.wait(until: deadline) {
                    if let done = completed, done.id == id {
                        completed = nil
                        blockedID = nil
                        return done.completion
                    }
                    return nil
                }
            }
        }
    }

    /// The script's process exits: the thread ends, and the kernel closes its
    /// descriptor table as for any exiting task (see the type's description). Returns
    /// once the kernel has removed the thread, which is after the last of its files
    /// was released: 0, or -1 with EBUSY while a call is still outstanding (the runner
    /// awaits a blocked call first), or ESRCH when the thread has already exited.
    func exitProcess() -> CallCompletion {
        let refusal: Int32? = monitor.withLock {
            if exited { return ESRCH }
            if outstandingID != nil { return EBUSY }
            exited = true
            return nil
        }
        if let refusal { return CallCompletion(result: .failure(refusal), time: MonotonicClock.now()) }
        worker.stop()
        return CallCompletion(result: SocketCallResult(value: 0), time: MonotonicClock.now())
    }

    /// Interrupts a call still blocked (a signal makes it return EINTR) and ends the
    /// thread, so the kernel closes every descriptor the script left open as for an
    /// exiting process. Returns false when a blocked call would not return within
    /// `patience` microseconds: the thread and its descriptors are then left as they
    /// are.
    func finish(patience: Int64 = 10_000_000) -> Bool {
        let giveUp = MonotonicClock.now() + patience
        while monitor.withLock({ outstandingID != nil }) {
            if MonotonicClock.now() > giveUp { return false }
            _ = clinger_interrupt_thread(threadID)
            monitor.withLock {
                if outstandingID != nil { _ = monitor.wait(until: MonotonicClock.now() + 5_000) }
            }
        }
        _ = exitProcess()
        return true
    }

    private func takeCompletion(of id: UInt64) -> CallCompletion? {
        monitor.withLock {
            guard let done = completed, done.id == id else { return nil }
            completed = nil
            return done.completion
        }
    }

    /// Whether the thread is sleeping: the state field (after the parenthesized command
    /// name) of /proc/self/task/TID/stat is `S`.
    private func threadIsSleeping() -> Bool {
        let fd = open("/proc/self/task/\(threadID)/stat", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 512)
        let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        guard count > 0, let nameEnd = buffer[0..<count].lastIndex(of: UInt8(ascii: ")")) else { return false }
        let stateIndex = nameEnd + 2
        return stateIndex < count && buffer[stateIndex] == UInt8(ascii: "S")
    }
}
#endif
