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
    /// What the description refers to. Set when it is opened and reset when
    /// its object goes back to the process's spare list (``ProcessFiles/recycle(_:)``).
    var kind: OpenFileKind
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

    /// The socket, unretained, for a caller that lends it on while this
    /// description holds it (``SocketLayer/withSocket(_:failure:_:)``).
    @inline(__always)
    var unretainedSocket: Unmanaged<TCPSocket>? {
        if case .socket(let s) = kind { return Unmanaged.passUnretained(s) }
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
    /// Released descriptions kept for reuse, as struct file comes from a slab
    /// cache: a socket opened after one was closed takes the closed one's
    /// object instead of a new allocation (and its free). Every field is reset
    /// when an object comes back.
    private var spare: [OpenFile] = []
    /// At most this many spare objects: a burst of closes keeps no more.
    static let spareLimit = 16
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

    /// A new open file description of `kind` (alloc_file): a spare object when
    /// there is one. Not yet installed at any descriptor.
    func open(_ kind: OpenFileKind, statusFlags: Int32) -> OpenFile {
        if let f = spare.popLast() {
            f.kind = kind
            f.statusFlags = statusFlags
            return f
        }
        return OpenFile(kind: kind, statusFlags: statusFlags)
    }

    /// Takes back a released description (references 0) for reuse, unless
    /// anyone else still holds the object (an epoll registration, a sleeping
    /// call): then it stays theirs. A kept object carries nothing over: its
    /// kind drops the socket, pipe or epoll instance now, as freeing it would.
    /// Consumed: the caller's reference moves into the spare list.
    func recycle(_ file: consuming OpenFile) {
        guard spare.count < Self.spareLimit else { return }
        var f = consume file
        guard isKnownUniquelyReferenced(&f) else { return }
        f.kind = .terminal
        f.statusFlags = 0
        f.references = 0
        spare.append(consume f)
    }

    /// How many released descriptions wait for reuse.
    var spareCount: Int { spare.count }

    /// The open file description of `fd`, if open.
    func file(_ fd: Int32) -> OpenFile? {
        guard fd >= 0, Int(fd) < table.count else { return nil }
        return table[Int(fd)]
    }

    /// The open file description of `fd`, unretained, for a caller that lends
    /// it on while the table holds it (``SocketLayer/withSocket(_:failure:_:)``).
    @inline(__always)
    func unretainedFile(_ fd: Int32) -> Unmanaged<OpenFile>? {
        guard fd >= 0, Int(fd) < table.count, let f = table[Int(fd)] else { return nil }
        return Unmanaged.passUnretained(f)
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
    /// Consumed: a caller done with `file` moves its reference into the table.
    func install(_ file: consuming OpenFile, at fd: Int32, cloexec: Bool = false) {
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
