#if os(Linux)
import Glibc

/// The script's file descriptors, numbered as in a fresh process.
///
/// The real descriptors are in the system call thread's own table, which starts with
/// whatever the host process has as 0, 1 and 2 (maybe nothing), so the kernel's
/// numbers are not always the ones a script expects. The backend numbers the
/// script's descriptors itself the way Linux does for a new process: the lowest free
/// number from 3 up (0, 1 and 2 being standard streams the script does not own), and
/// maps each to the real descriptor. Real descriptors are always close-on-exec, so
/// no command the process spawns inherits a script's socket; the script's own
/// FD_CLOEXEC flag is kept here instead.
struct DescriptorTable {
    /// One script descriptor.
    struct Entry {
        /// The process's descriptor.
        var real: Int32
        /// FD_CLOEXEC as the script set it.
        var closeOnExec: Bool
    }

    /// The first number handed out.
    static let firstNumber: Int32 = 3
    /// What the kernel is given for a number the script does not have open: far above
    /// any RLIMIT_NOFILE, so it is EBADF (and POLLNVAL for poll) like a closed one.
    static let closedDescriptor = Int32.max

    private(set) var entries: [Int32: Entry] = [:]

    /// The real descriptor for a script's number: negative numbers pass unchanged (the
    /// kernel answers them itself), unknown ones become ``closedDescriptor``.
    func real(_ number: Int32) -> Int32 {
        if number < 0 { return number }
        return entries[number]?.real ?? Self.closedDescriptor
    }

    /// The entry for a script's number, if open.
    func entry(_ number: Int32) -> Entry? { entries[number] }

    /// Records a new real descriptor under the lowest free number at or above `minimum`.
    mutating func add(real: Int32, closeOnExec: Bool, minimum: Int32 = firstNumber) -> Int32 {
        var number = max(minimum, Self.firstNumber)
        while entries[number] != nil { number &+= 1 }
        entries[number] = Entry(real: real, closeOnExec: closeOnExec)
        return number
    }

    /// Records a real descriptor under a given number, returning the entry it replaces.
    mutating func set(_ number: Int32, real: Int32, closeOnExec: Bool) -> Entry? {
        entries.updateValue(Entry(real: real, closeOnExec: closeOnExec), forKey: number)
    }

    /// Sets the script's FD_CLOEXEC flag for an open number.
    mutating func setCloseOnExec(_ number: Int32, _ value: Bool) {
        entries[number]?.closeOnExec = value
    }

    /// Forgets a number, returning its entry.
    mutating func remove(_ number: Int32) -> Entry? {
        entries.removeValue(forKey: number)
    }

    /// The soft RLIMIT_NOFILE: the bound dup2() and F_DUPFD check numbers against.
    static func descriptorLimit() -> Int64 {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        return Int64(clamping: limit.rlim_cur)
    }
}
#endif
