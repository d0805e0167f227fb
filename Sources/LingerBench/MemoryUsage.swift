#if canImport(Glibc)
import CLingerLinux
import Glibc
#endif

/// The process's memory as the C library and the kernel count it.
public struct MemoryUsage: Sendable, Equatable {
    /// Bytes malloc has handed out and not had back (mallinfo2: uordblks in the
    /// heap arenas plus hblkhd in mmap'd blocks): what live objects occupy,
    /// with malloc's per-block overhead, without free memory malloc keeps.
    public var allocatedBytes: Int
    /// Resident set size, bytes (/proc/self/statm's second field times the page size).
    public var residentBytes: Int

    /// The figures now.
    public static func current() -> MemoryUsage {
        MemoryUsage(allocatedBytes: mallocAllocatedBytes(), residentBytes: residentSetBytes())
    }

    static func mallocAllocatedBytes() -> Int {
        #if canImport(Glibc)
        return Int(clinger_malloc_allocated_bytes())
        #else
        return 0
        #endif
    }

    static func residentSetBytes() -> Int {
        #if canImport(Glibc)
        guard let text = readSmallFile("/proc/self/statm") else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
        #else
        return 0
        #endif
    }
}

/// A small file's text (procfs, sysfs), or nil if it cannot be read.
func readSmallFile(_ path: String) -> String? {
    #if canImport(Glibc)
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0 { return nil }
        if n == 0 { break }
        bytes.append(contentsOf: chunk[0..<n])
    }
    return String(decoding: bytes, as: UTF8.self)
    #else
    return nil
    #endif
}

/// Linux's per-object sizes from /proc/slabinfo (root only).
public enum LinuxSlab {
    /// The object size of slab cache `name` (e.g. `tw_sock_TCP`, `TCP`, `TCPv6`), or nil.
    public static func objectSize(_ name: String) -> Int? {
        guard let text = readSmallFile("/proc/slabinfo") else { return nil }
        return objectSize(name, inSlabinfo: text)
    }

    /// The object size of `name` in slabinfo text: a line is
    /// `name active_objs num_objs objsize objperslab pagesperslab : ...`.
    public static func objectSize(_ name: String, inSlabinfo text: String) -> Int? {
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if fields.count > 3, fields[0] == name { return Int(fields[3]) }
        }
        return nil
    }
}

/// A monotonic clock in nanoseconds.
public func monotonicNanoseconds() -> Int64 {
    #if canImport(Glibc)
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    #else
    return 0
    #endif
}
