/// What an open file description refers to.
enum OpenFileKind {
    /// A TCP socket.
    case socket(TCPSocket)
    /// One end of a pipe.
    case pipe(PipeBuffer, isReadEnd: Bool)
    /// An epoll instance.
    case epoll(EpollInstance)
    /// Standard input, output or error: present so numbering starts at 3.
    case terminal
}

/// An open file description (Linux's struct file): what descriptors point to.
/// dup() and dup2() add references; the object is released when the last
/// descriptor referring to it is closed (fput -> __fput).
final class OpenFile {
    /// Constant for the description's life: reading it needs no exclusive
    /// access, and a case's payload is taken without copying the whole enum.
    let kind: OpenFileKind
    /// File status flags (O_NONBLOCK, O_RDWR, ...), as fcntl(F_GETFL) reports them.
    var statusFlags: Int32
    /// How many descriptors refer to this description.
    var references = 0

    init(kind: OpenFileKind, statusFlags: Int32) {
        self.kind = kind
        self.statusFlags = statusFlags
    }

    var isNonBlocking: Bool { statusFlags & O_NONBLOCK != 0 }

    /// The socket, when the description is one.
    var socket: TCPSocket? {
        if case .socket(let s) = kind { return s }
        return nil
    }
}

/// A pipe's buffer (64 KiB, as Linux's default pipe size).
final class PipeBuffer {
    var bytes = ByteRing()
    var readersOpen = 1
    var writersOpen = 1
    let capacity = 65536
    var wakeCount: UInt64 = 0
}

/// One process's descriptor table (struct files_struct): descriptor numbers to
/// open file descriptions, plus the close-on-exec flag of each descriptor.
public final class ProcessFiles {
    /// The open files by descriptor number (fdtable's fd array): a descriptor
    /// is an index, as in the kernel, so looking one up is no hashing.
    private var table: [OpenFile?] = []
    /// The close-on-exec flag of each descriptor (fdtable's close_on_exec bits).
    private var closeOnExecFlags: [Bool] = []
    /// RLIMIT_NOFILE.
    var limit: Int32 = 1024
    /// files_struct's next_fd: every descriptor below it is open, so the search
    /// for a free one starts here (without it, opening the millionth descriptor
    /// would walk past 999,999 open ones).
    private var nextFree: Int32 = 0

    /// RLIMIT_NOFILE (1024 unless raised, as a shell's default soft limit):
    /// descriptors at or above it are never handed out.
    public var descriptorLimit: Int32 {
        get { limit }
        set { limit = max(3, newValue) }
    }

    /// A table with descriptors 0, 1 and 2 open on the terminal.
    public init() {
        for fd: Int32 in 0...2 {
            let f = OpenFile(kind: .terminal, statusFlags: O_RDWR)
            install(f, at: fd)
        }
    }

    /// The open file description of `fd`, if open.
    func file(_ fd: Int32) -> OpenFile? {
        guard fd >= 0, Int(fd) < table.count else { return nil }
        return table[Int(fd)]
    }

    /// The lowest free descriptor at or above `minimum` (get_unused_fd_flags).
    func lowestFree(from minimum: Int32 = 0) -> Int32? {
        var fd = max(0, minimum, nextFree)
        while fd < limit {
            if file(fd) == nil { return fd }
            fd += 1
        }
        return nil
    }

    /// Points `fd` at `file`, adding a reference (fd_install).
    func install(_ file: OpenFile, at fd: Int32, cloexec: Bool = false) {
        guard fd >= 0 else { return }
        file.references += 1
        let index = Int(fd)
        if index >= table.count {
            let count = index + 1 - table.count
            table.append(contentsOf: repeatElement(nil, count: count))
            closeOnExecFlags.append(contentsOf: repeatElement(false, count: count))
        }
        table[index] = file
        if fd == nextFree {
            repeat { nextFree += 1 } while self.file(nextFree) != nil
        }
        // Written only when it changes: a read needs no uniqueness check.
        if closeOnExecFlags[index] != cloexec { closeOnExecFlags[index] = cloexec }
    }

    /// Removes `fd` and returns the description it referred to, with its
    /// reference already dropped (filp_close -> fput). The caller releases the
    /// description when its count reached zero.
    func remove(_ fd: Int32) -> OpenFile? {
        guard fd >= 0, Int(fd) < table.count else { return nil }
        // Moved out of the table, not copied and then cleared (a retain and a release).
        var taken: OpenFile? = nil
        swap(&taken, &table[Int(fd)])
        guard let f = taken else { return nil }
        nextFree = min(nextFree, fd)
        if closeOnExecFlags[Int(fd)] { closeOnExecFlags[Int(fd)] = false }
        f.references -= 1
        return f
    }

    /// Whether `fd` is closed on exec (FD_CLOEXEC).
    func isCloseOnExec(_ fd: Int32) -> Bool {
        guard fd >= 0, Int(fd) < closeOnExecFlags.count else { return false }
        return closeOnExecFlags[Int(fd)]
    }

    func setCloseOnExec(_ fd: Int32, _ on: Bool) {
        guard file(fd) != nil else { return }
        closeOnExecFlags[Int(fd)] = on
    }

    /// Every open descriptor, lowest first.
    var openDescriptors: [Int32] {
        table.indices.compactMap { table[$0] == nil ? nil : Int32($0) }
    }
}
