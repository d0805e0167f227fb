#if os(Linux)
import CLingerLinux
import Glibc
import LingerRun
import Synchronization

/// Executes the runner's system calls on real descriptors and reports exactly what
/// Linux returned.
///
/// Confined to the backend's system call thread, which lives in the backend's
/// network namespace: every socket it creates belongs there.
final class SystemCallExecutor: @unchecked Sendable {
    /// The largest buffer one call gets, so that a huge length in a script cannot
    /// exhaust memory: receive buffers beyond it are cut to it (no socket queue holds
    /// more), getsockopt() lengths too.
    static let maximumBufferBytes = 16 << 20

    private var descriptors = DescriptorTable()

    /// Which call is inside the kernel right now (0: none), for the blocked-call check.
    let callInKernel = Atomic<UInt64>(0)
    private var currentCallID: UInt64 = 0

    /// Runs one system call, marking the call identified by `id` as being in the kernel
    /// while its main system call runs.
    func execute(_ call: SocketCall, id: UInt64) -> SocketCallResult {
        currentCallID = id
        defer { currentCallID = 0 }
        let memory = CallMemory()
        switch call {
        case .socket(let domain, let type, let proto):
            let (fd, error) = kernel { Int(Glibc.socket(domain, type | closeOnExecFlag, proto)) }
            return opened(fd, error, closeOnExec: type & closeOnExecFlag != 0)

        case .bind(let fd, let address, let length):
            let storage = memory.address(address)
            let (value, error) = kernel {
                Int(Glibc.bind(descriptors.real(fd), storage.assumingMemoryBound(to: sockaddr.self), length))
            }
            return result(value, error)

        case .listen(let fd, let backlog):
            let (value, error) = kernel { Int(Glibc.listen(descriptors.real(fd), backlog)) }
            return result(value, error)

        case .accept(let fd, let flags):
            let storage = memory.bytes(socketAddressStorageSize)
            var length = UInt32(socketAddressStorageSize)
            let (value, error) = kernel {
                Int(clinger_accept4(descriptors.real(fd), storage, &length, (flags ?? 0) | closeOnExecFlag))
            }
            var outcome = opened(value, error, closeOnExec: (flags ?? 0) & closeOnExecFlag != 0)
            if value >= 0 {
                outcome.output = .acceptedFrom(SocketAddressCoding.decode(storage, length: Int(length)))
            }
            return outcome

        case .connect(let fd, let address, let length):
            let storage = memory.address(address)
            let (value, error) = kernel {
                Int(Glibc.connect(descriptors.real(fd), storage.assumingMemoryBound(to: sockaddr.self), length))
            }
            return result(value, error)

        case .read(let fd, let buffer):
            let area = memory.receive(buffer)
            let (value, error) = kernel { Glibc.read(descriptors.real(fd), area.pointer, area.length) }
            return received(value, error, [area])

        case .readv(let fd, let buffers):
            let areas = buffers.map { memory.receive($0) }
            let vector = memory.vector(areas)
            let (value, error) = kernel { Glibc.readv(descriptors.real(fd), vector, Int32(clamping: areas.count)) }
            return received(value, error, areas)

        case .recv(let fd, let buffer, let flags):
            let area = memory.receive(buffer)
            let (value, error) = kernel { Glibc.recv(descriptors.real(fd), area.pointer, area.length, flags) }
            return received(value, error, [area])

        case .recvfrom(let fd, let buffer, let flags):
            let area = memory.receive(buffer)
            let storage = memory.bytes(socketAddressStorageSize)
            var length = UInt32(socketAddressStorageSize)
            let (value, error) = kernel {
                Glibc.recvfrom(
                    descriptors.real(fd), area.pointer, area.length, flags,
                    storage.assumingMemoryBound(to: sockaddr.self), &length)
            }
            var outcome = received(value, error, [area])
            if value >= 0, case .received(let data) = outcome.output {
                let address = length > 0 ? SocketAddressCoding.decode(storage, length: Int(length)) : nil
                outcome.output = .receivedFrom(data, address: address)
            }
            return outcome

        case .recvmsg(let fd, let buffers, let controlLength, let flags):
            let areas = buffers.map { memory.receive($0) }
            let controlRoom = min(max(controlLength, 0), Self.maximumBufferBytes)
            let control = controlRoom > 0 ? memory.bytes(controlRoom) : nil
            var message = msghdr()
            message.msg_iov = memory.vector(areas)
            message.msg_iovlen = areas.count
            message.msg_control = control
            message.msg_controllen = controlRoom
            let (value, error) = kernel { Glibc.recvmsg(descriptors.real(fd), &message, flags) }
            var outcome = received(value, error, areas)
            if value >= 0, case .received(let data) = outcome.output {
                let messages = control.map { ControlMessageCoding.decode($0, length: min(message.msg_controllen, controlRoom)) }
                outcome.output = .message(data, flags: message.msg_flags, control: messages ?? [])
            }
            return outcome

        case .write(let fd, let data):
            let area = memory.send(data)
            let (value, error) = kernel { Glibc.write(descriptors.real(fd), area.pointer, area.length) }
            return result(value, error)

        case .writev(let fd, let buffers):
            let areas = buffers.map { memory.send($0) }
            let vector = memory.vector(areas)
            let (value, error) = kernel { Glibc.writev(descriptors.real(fd), vector, Int32(clamping: areas.count)) }
            return result(value, error)

        case .send(let fd, let data, let flags):
            let area = memory.send(data)
            let (value, error) = kernel { Glibc.send(descriptors.real(fd), area.pointer, area.length, flags) }
            return result(value, error)

        case .sendto(let fd, let data, let flags, let address):
            let area = memory.send(data)
            let storage = address.map { memory.address($0) }
            let length = address.map(SocketAddressCoding.naturalLength(of:)) ?? 0
            let (value, error) = kernel {
                Glibc.sendto(
                    descriptors.real(fd), area.pointer, area.length, flags,
                    storage?.assumingMemoryBound(to: sockaddr.self), length)
            }
            return result(value, error)

        case .sendmsg(let fd, let buffers, let controlMessages, let flags, let address):
            let areas = buffers.map { memory.send($0) }
            let control = ControlMessageCoding.encode(controlMessages)
            var message = msghdr()
            message.msg_iov = memory.vector(areas)
            message.msg_iovlen = areas.count
            if let address {
                message.msg_name = memory.address(address)
                message.msg_namelen = SocketAddressCoding.naturalLength(of: address)
            }
            if !control.isEmpty {
                message.msg_control = memory.copy(control)
                message.msg_controllen = control.count
            }
            let (value, error) = kernel { Glibc.sendmsg(descriptors.real(fd), &message, flags) }
            return result(value, error)

        case .shutdown(let fd, let how):
            let (value, error) = kernel { Int(Glibc.shutdown(descriptors.real(fd), how)) }
            return result(value, error)

        case .close(let fd):
            // close() releases the number even when it fails (EINTR, EIO).
            let real = descriptors.real(fd)
            if fd >= 0 { _ = descriptors.remove(fd) }
            let (value, error) = kernel { Int(Glibc.close(real)) }
            return result(value, error)

        case .setsockopt(let fd, let level, let name, let value, let length):
            // The kernel reads up to `length` bytes: give it that much memory (the
            // value zero-padded), up to the cap.
            let pointer: UnsafeMutableRawPointer? = value.map { bytes in
                let room = max(bytes.count, min(Int(length), Self.maximumBufferBytes))
                let pointer = memory.bytes(room)
                pointer.copyMemory(from: bytes, byteCount: bytes.count)
                return pointer
            }
            let (status, error) = kernel { Int(Glibc.setsockopt(descriptors.real(fd), level, name, pointer, length)) }
            return result(status, error)

        case .getsockopt(let fd, let level, let name, let length):
            let room = min(Int(length), Self.maximumBufferBytes)
            let pointer = memory.bytes(room)
            var returnedLength = UInt32(room)
            let (status, error) = kernel {
                Int(Glibc.getsockopt(descriptors.real(fd), level, name, pointer, &returnedLength))
            }
            var outcome = result(status, error)
            if status >= 0 {
                let count = min(Int(returnedLength), room)
                outcome.output = .option(Array(UnsafeRawBufferPointer(start: pointer, count: count)))
            }
            return outcome

        case .fcntl(let fd, let command, let argument):
            return fcntl(fd, command: command, argument: argument ?? 0)

        case .ioctl(let fd, let request):
            var integer: Int32 = 0
            let (status, error) = kernel { Int(clinger_ioctl_int(descriptors.real(fd), UInt(truncatingIfNeeded: request), &integer)) }
            var outcome = result(status, error)
            if status >= 0 { outcome.output = .integer(Int64(integer)) }
            return outcome

        case .poll(let entries, let timeout):
            var table = entries.map { pollfd(fd: descriptors.real($0.fd), events: $0.events, revents: 0) }
            let (value, error) = kernel { Int(Glibc.poll(&table, nfds_t(table.count), timeout)) }
            var outcome = result(value, error)
            if value >= 0 { outcome.output = .pollEvents(table.map(\.revents)) }
            return outcome

        case .epollCreate(let size):
            // epoll_create(size) is epoll_create1(0) once size is positive; asking for
            // EPOLL_CLOEXEC (O_CLOEXEC) keeps the real descriptor out of spawned commands.
            let (fd, error) = kernel {
                Int(size > 0 ? clinger_epoll_create1(closeOnExecFlag) : clinger_epoll_create(size))
            }
            return opened(fd, error, closeOnExec: false)

        case .epollControl(let epollFD, let operation, let fd, let event):
            let (value, error) = kernel {
                Int(clinger_epoll_ctl(
                    descriptors.real(epollFD), operation, descriptors.real(fd), event == nil ? 0 : 1,
                    event?.events ?? 0, event?.data ?? 0))
            }
            return result(value, error)

        case .epollWait(let epollFD, let maxEvents, let timeout):
            let capacity = maxEvents > 0 ? min(Int(maxEvents), 65536) : 0
            var events = [UInt32](repeating: 0, count: max(capacity, 1))
            var data = [UInt64](repeating: 0, count: max(capacity, 1))
            let (value, error) = kernel {
                Int(clinger_epoll_wait(
                    descriptors.real(epollFD), capacity > 0 ? Int32(capacity) : maxEvents, Int32(capacity),
                    timeout, &events, &data))
            }
            var outcome = result(value, error)
            if value >= 0 {
                let count = min(value, capacity)
                outcome.output = .epollEvents((0..<count).map { EpollEvent(events: events[$0], data: data[$0]) })
            }
            return outcome

        case .pipe:
            var ends: [Int32] = [-1, -1]
            let (value, error) = kernel { Int(clinger_pipe2(&ends, closeOnExecFlag)) }
            guard value >= 0 else { return .failure(error) }
            let readEnd = descriptors.add(real: ends[0], closeOnExec: false)
            let writeEnd = descriptors.add(real: ends[1], closeOnExec: false)
            return SocketCallResult(value: 0, output: .pipe(read: readEnd, write: writeEnd))

        case .dup(let fd):
            let (real, error) = kernel { Int(clinger_fcntl(descriptors.real(fd), F_DUPFD_CLOEXEC, 0)) }
            return opened(real, error, closeOnExec: false)

        case .dup2(let fd, let newFD):
            return dup2(fd, newFD)

        case .exit:
            // The process's exit is the system call thread's own end
            // (SystemCallThread.exitProcess); it never comes here.
            return .failure(EINVAL)
        }
    }

    // MARK: - Descriptor calls that need the table

    private func fcntl(_ fd: Int32, command: Int32, argument: Int64) -> SocketCallResult {
        let real = descriptors.real(fd)
        switch command {
        case F_DUPFD, F_DUPFD_CLOEXEC:
            let (copy, error) = kernel { Int(clinger_fcntl(real, F_DUPFD_CLOEXEC, 0)) }
            guard copy >= 0 else { return .failure(error) }
            // Linux checks the lowest number against RLIMIT_NOFILE after the descriptor.
            guard argument >= 0, argument < DescriptorTable.descriptorLimit() else {
                _ = Glibc.close(Int32(copy))
                return .failure(EINVAL)
            }
            let number = descriptors.add(
                real: Int32(copy), closeOnExec: command == F_DUPFD_CLOEXEC, minimum: Int32(clamping: argument))
            return SocketCallResult(value: Int64(number))
        case F_GETFD:
            let (value, error) = kernel { Int(clinger_fcntl(real, F_GETFD, 0)) }
            guard value >= 0, let entry = descriptors.entry(fd) else { return result(value, error) }
            return SocketCallResult(value: entry.closeOnExec ? Int64(FD_CLOEXEC) : 0)
        case F_SETFD:
            let (value, error) = kernel { Int(clinger_fcntl(real, F_GETFD, 0)) }
            guard value >= 0 else { return result(value, error) }
            descriptors.setCloseOnExec(fd, argument & Int64(FD_CLOEXEC) != 0)
            return SocketCallResult(value: 0)
        default:
            let (value, error) = kernel { Int(clinger_fcntl(real, command, Int(truncatingIfNeeded: argument))) }
            return result(value, error)
        }
    }

    private func dup2(_ fd: Int32, _ newFD: Int32) -> SocketCallResult {
        let real = descriptors.real(fd)
        guard newFD >= 0, Int64(newFD) < DescriptorTable.descriptorLimit() else { return .failure(EBADF) }
        if fd == newFD {
            let (value, error) = kernel { Int(clinger_fcntl(real, F_GETFD, 0)) }
            return value >= 0 ? SocketCallResult(value: Int64(newFD)) : result(value, error)
        }
        if let replaced = descriptors.entry(newFD) {
            // The kernel's own dup2 onto the real descriptor the number holds: it drops
            // that file's reference in the same call (do_dup2 -> filp_close), and a
            // last reference is released before the call returns, so a socket with
            // SO_LINGER {1, t} makes dup2 wait as close() would.
            let (value, error) = kernel { Int(clinger_dup3(real, replaced.real, closeOnExecFlag)) }
            guard value >= 0 else { return .failure(error) }
            _ = descriptors.set(newFD, real: replaced.real, closeOnExec: false)
            return SocketCallResult(value: Int64(newFD))
        }
        let (copy, error) = kernel { Int(clinger_fcntl(real, F_DUPFD_CLOEXEC, 0)) }
        guard copy >= 0 else { return .failure(error) }
        _ = descriptors.set(newFD, real: Int32(copy), closeOnExec: false)
        return SocketCallResult(value: Int64(newFD))
    }

    // MARK: - Results

    /// Runs the call's main system call marked as being in the kernel, and returns its
    /// value and errno (0 on success).
    private func kernel(_ body: () -> Int) -> (Int, Int32) {
        callInKernel.store(currentCallID, ordering: .sequentiallyConsistent)
        let value = body()
        let error = value < 0 ? errno : 0
        callInKernel.store(0, ordering: .sequentiallyConsistent)
        return (value, error)
    }

    private func result(_ value: Int, _ error: Int32) -> SocketCallResult {
        value < 0 ? .failure(error) : SocketCallResult(value: Int64(value))
    }

    /// A call that made a new descriptor: numbers it for the script.
    private func opened(_ real: Int, _ error: Int32, closeOnExec: Bool) -> SocketCallResult {
        guard real >= 0 else { return .failure(error) }
        return SocketCallResult(value: Int64(descriptors.add(real: Int32(real), closeOnExec: closeOnExec)))
    }

    /// A receive call: the first `value` bytes across its buffers, in order.
    private func received(_ value: Int, _ error: Int32, _ areas: [CallMemory.Area]) -> SocketCallResult {
        guard value >= 0 else { return .failure(error) }
        var data: [UInt8] = []
        data.reserveCapacity(value)
        var remaining = value
        for area in areas where remaining > 0 {
            guard let pointer = area.pointer, area.length > 0 else { continue }
            let count = min(remaining, area.length)
            data.append(contentsOf: UnsafeRawBufferPointer(start: pointer, count: count))
            remaining -= count
        }
        return SocketCallResult(value: Int64(value), output: .received(data))
    }
}

/// O_CLOEXEC, which is also SOCK_CLOEXEC and EPOLL_CLOEXEC on Linux.
let closeOnExecFlag: Int32 = 0o2000000
/// fcntl(F_DUPFD_CLOEXEC).
let F_DUPFD_CLOEXEC: Int32 = 1030

/// The memory one call hands the kernel, freed when the call is done.
final class CallMemory {
    /// A buffer handed to the kernel: `pointer` may be NULL; `length` is what the call
    /// passes, which for a NULL buffer may be anything the script said.
    struct Area {
        var pointer: UnsafeMutableRawPointer?
        var length: Int
    }

    private var allocations: [UnsafeMutableRawPointer] = []

    deinit {
        for pointer in allocations { pointer.deallocate() }
    }

    /// `count` zeroed bytes (at least one, so the pointer is never NULL).
    func bytes(_ count: Int) -> UnsafeMutableRawPointer {
        let size = max(count, 1)
        let pointer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
        pointer.initializeMemory(as: UInt8.self, repeating: 0, count: size)
        allocations.append(pointer)
        return pointer
    }

    /// A copy of `data`.
    func copy(_ data: [UInt8]) -> UnsafeMutableRawPointer {
        let pointer = bytes(data.count)
        pointer.copyMemory(from: data, byteCount: data.count)
        return pointer
    }

    /// A socket address in a `sockaddr_storage`.
    func address(_ address: SocketAddress) -> UnsafeMutableRawPointer {
        let pointer = bytes(socketAddressStorageSize)
        SocketAddressCoding.encode(address, into: pointer)
        return pointer
    }

    /// Room for a receive call; a negative length goes to the kernel with a NULL pointer
    /// (it answers EFAULT or EINVAL as it would for unusable memory).
    func receive(_ buffer: ReceiveBuffer) -> Area {
        switch buffer {
        case .null(let length):
            return Area(pointer: nil, length: length)
        case .capacity(let count) where count < 0:
            return Area(pointer: nil, length: count)
        case .capacity(let count):
            let room = min(count, SystemCallExecutor.maximumBufferBytes)
            return Area(pointer: bytes(room), length: room)
        }
    }

    /// The bytes of a send call.
    func send(_ buffer: SendBuffer) -> Area {
        switch buffer {
        case .null(let length): Area(pointer: nil, length: length)
        case .bytes(let data): Area(pointer: copy(data), length: data.count)
        }
    }

    /// An iovec array for these areas.
    func vector(_ areas: [Area]) -> UnsafeMutablePointer<iovec> {
        let pointer = bytes(MemoryLayout<iovec>.stride * max(areas.count, 1)).bindMemory(
            to: iovec.self, capacity: max(areas.count, 1))
        for (index, area) in areas.enumerated() {
            pointer[index] = iovec(iov_base: area.pointer, iov_len: area.length)
        }
        return pointer
    }
}

/// `struct cmsghdr` sequences in Linux's 64-bit layout: an 8-byte length, level and
/// type (4 bytes each), the data, padding to 8 bytes.
enum ControlMessageCoding {
    static let headerSize = 16

    static func aligned(_ length: Int) -> Int { (length + 7) & ~7 }

    /// The control buffer for sendmsg().
    static func encode(_ messages: [ControlMessage]) -> [UInt8] {
        var buffer: [UInt8] = []
        for message in messages {
            let length = headerSize + message.data.count
            withUnsafeBytes(of: UInt64(length)) { buffer.append(contentsOf: $0) }
            withUnsafeBytes(of: message.level) { buffer.append(contentsOf: $0) }
            withUnsafeBytes(of: message.type) { buffer.append(contentsOf: $0) }
            buffer.append(contentsOf: message.data)
            buffer.append(contentsOf: repeatElement(0, count: aligned(length) - length))
        }
        return buffer
    }

    /// The control messages recvmsg() returned in `length` bytes.
    static func decode(_ pointer: UnsafeRawPointer, length: Int) -> [ControlMessage] {
        var messages: [ControlMessage] = []
        var offset = 0
        while offset + headerSize <= length {
            let size = Int(clamping: pointer.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            guard size >= headerSize, size <= length - offset else { break }
            let level = pointer.loadUnaligned(fromByteOffset: offset + 8, as: Int32.self)
            let type = pointer.loadUnaligned(fromByteOffset: offset + 12, as: Int32.self)
            let data = Array(UnsafeRawBufferPointer(start: pointer + offset + headerSize, count: size - headerSize))
            messages.append(ControlMessage(level: level, type: type, data: data))
            offset += aligned(size)
        }
        return messages
    }
}
#endif
