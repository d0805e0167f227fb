import LingerRun

/// One descriptor registered with an epoll instance (struct epitem).
struct EpollItem {
    var fd: Int32
    var file: OpenFile
    var events: UInt32
    var data: UInt64
    /// The wake count last reported, for EPOLLET.
    var lastReportedWake: UInt64
    /// EPOLLONESHOT fired: disarmed until EPOLL_CTL_MOD.
    var disarmed = false
}

/// An epoll instance (struct eventpoll).
final class EpollInstance {
    var items: [Int32: EpollItem] = [:]
    var order: [Int32] = []

    func forget(_ sk: TCPSocket) {
        for (fd, item) in items where item.file.socket === sk {
            items[fd] = nil
            order.removeAll { $0 == fd }
        }
    }

    func close() {
        for (_, item) in items {
            if let sk = item.file.socket { sk.epollWatchers[ObjectIdentifier(self)] = nil }
        }
        items.removeAll()
        order.removeAll()
    }
}

/// Readiness: poll() and epoll (fs/select.c, fs/eventpoll.c, tcp_poll).
extension SocketLayer {
    /// The poll mask of an open file (f_op->poll): tcp_poll for sockets.
    func pollMask(_ file: OpenFile) -> Int16 {
        switch file.kind {
        case .terminal:
            return POLLOUT | POLLWRNORM
        case .pipe(let pipe, let isReadEnd):
            if isReadEnd {
                var m: Int16 = pipe.bytes.isEmpty ? 0 : POLLIN | POLLRDNORM
                if pipe.writersOpen == 0 { m |= POLLHUP }
                return m
            }
            var m: Int16 = pipe.bytes.count < pipe.capacity ? POLLOUT | POLLWRNORM : 0
            if pipe.readersOpen == 0 { m |= POLLERR }
            return m
        case .epoll(let ep):
            return epollHasReady(ep) ? POLLIN | POLLRDNORM : 0
        case .socket(let sk):
            return sk.pollMask
        }
    }

    func wakeCount(_ file: OpenFile) -> UInt64 {
        switch file.kind {
        case .socket(let sk): return sk.wakeCount
        case .pipe(let p, _): return p.wakeCount
        default: return 0
        }
    }

    func poll(_ descriptors: [PollDescriptor], timeoutMilliseconds: Int32) -> SyscallOutcome {
        if descriptors.count > Int(files.limit) { return .completed(Self.fail(EINVAL)) }
        let attempt: (Bool) -> SocketCallResult? = { [unowned self] final in
            var revents: [Int16] = []
            var count = 0
            for d in descriptors {
                var r: Int16 = 0
                if d.fd >= 0 {
                    if let f = self.files.file(d.fd) {
                        let mask = self.pollMask(f)
                        r = mask & (d.events | POLLERR | POLLHUP)
                    } else {
                        r = POLLNVAL
                    }
                }
                if r != 0 { count += 1 }
                revents.append(r)
            }
            if count == 0 && !final { return nil }
            return SocketCallResult(value: Int64(count), output: .pollEvents(revents))
        }
        if let r = attempt(timeoutMilliseconds == 0) { return .completed(r) }
        let deadline: Int64? = timeoutMilliseconds < 0 ? nil : stack.now + Int64(timeoutMilliseconds) * 1000
        return .blocked(BlockedCall(name: "poll", deadline: deadline, attempt: { attempt(false) },
                                    timeout: { attempt(true) ?? SocketCallResult(value: 0) }))
    }

    // MARK: - epoll

    func epollCreate(size: Int32) -> SocketCallResult {
        if size <= 0 { return Self.fail(EINVAL) }
        guard let fd = files.lowestFree() else { return Self.fail(EMFILE) }
        files.install(OpenFile(kind: .epoll(EpollInstance()), statusFlags: O_RDWR), at: fd)
        return SocketCallResult(value: Int64(fd))
    }

    func epollControl(epfd: Int32, operation: Int32, fd: Int32, event: EpollEvent?) -> SocketCallResult {
        guard let ef = files.file(epfd), let target = files.file(fd) else { return Self.fail(EBADF) }
        guard case .epoll(let ep) = ef.kind else { return Self.fail(EINVAL) }
        if epfd == fd { return Self.fail(EINVAL) }
        if case .terminal = target.kind { return Self.fail(EPERM) }
        if operation != EPOLL_CTL_DEL && event == nil { return Self.fail(EFAULT) }
        switch operation {
        case EPOLL_CTL_ADD:
            if ep.items[fd] != nil { return Self.fail(EEXIST) }
            guard let event else { return Self.fail(EFAULT) }
            ep.items[fd] = EpollItem(fd: fd, file: target, events: event.events, data: event.data,
                                     lastReportedWake: wakeCount(target) &- 1)
            ep.order.append(fd)
            if let sk = target.socket { sk.epollWatchers[ObjectIdentifier(ep)] = ep }
        case EPOLL_CTL_DEL:
            if ep.items[fd] == nil { return Self.fail(ENOENT) }
            ep.items[fd] = nil
            ep.order.removeAll { $0 == fd }
        case EPOLL_CTL_MOD:
            guard var item = ep.items[fd], let event else { return Self.fail(ENOENT) }
            if event.events & EPOLLEXCLUSIVE != 0 || item.events & EPOLLEXCLUSIVE != 0 { return Self.fail(EINVAL) }
            item.events = event.events
            item.data = event.data
            item.disarmed = false
            item.lastReportedWake = wakeCount(target) &- 1
            ep.items[fd] = item
        default:
            return Self.fail(EINVAL)
        }
        return SocketCallResult(value: 0)
    }

    func epollReadyMask(_ item: EpollItem) -> UInt32 {
        if item.disarmed { return 0 }
        let mask = UInt32(UInt16(bitPattern: pollMask(item.file)))
        let wanted = (item.events & 0xFFFF) | UInt32(UInt16(bitPattern: POLLERR | POLLHUP))
        let ready = mask & wanted
        if ready == 0 { return 0 }
        if item.events & EPOLLET != 0 && wakeCount(item.file) == item.lastReportedWake { return 0 }
        return ready
    }

    func epollHasReady(_ ep: EpollInstance) -> Bool {
        ep.order.contains { fd in ep.items[fd].map { epollReadyMask($0) != 0 } ?? false }
    }

    func epollWait(epfd: Int32, maxEvents: Int32, timeoutMilliseconds: Int32) -> SyscallOutcome {
        guard let ef = files.file(epfd) else { return .completed(Self.fail(EBADF)) }
        guard case .epoll(let ep) = ef.kind else { return .completed(Self.fail(EINVAL)) }
        if maxEvents <= 0 { return .completed(Self.fail(EINVAL)) }
        let attempt: (Bool) -> SocketCallResult? = { [unowned self] final in
            var events: [EpollEvent] = []
            for fd in ep.order where events.count < Int(maxEvents) {
                guard var item = ep.items[fd] else { continue }
                let ready = self.epollReadyMask(item)
                guard ready != 0 else { continue }
                events.append(EpollEvent(events: ready, data: item.data))
                item.lastReportedWake = self.wakeCount(item.file)
                if item.events & EPOLLONESHOT != 0 { item.disarmed = true }
                ep.items[fd] = item
            }
            if events.isEmpty && !final { return nil }
            return SocketCallResult(value: Int64(events.count), output: .epollEvents(events))
        }
        if let r = attempt(timeoutMilliseconds == 0) { return .completed(r) }
        let deadline: Int64? = timeoutMilliseconds < 0 ? nil : stack.now + Int64(timeoutMilliseconds) * 1000
        return .blocked(BlockedCall(name: "epoll_wait", deadline: deadline, attempt: { attempt(false) },
                                    timeout: { attempt(true) ?? SocketCallResult(value: 0, output: .epollEvents([])) }))
    }
}

extension TCPSocket {
    /// tcp_poll.
    var pollMask: Int16 {
        if state == .listen {
            return acceptQueue.isEmpty ? 0 : POLLIN | POLLRDNORM
        }
        var mask: Int16 = 0
        if shutdownMask == .both || state == .close { mask |= POLLHUP }
        if shutdownMask.contains(.receive) { mask |= POLLIN | POLLRDNORM | POLLRDHUP }
        if state != .synSent && state != .synReceived {
            let target = max(receiveLowat, 1)
            if readableBytes >= target { mask |= POLLIN | POLLRDNORM }
            if !shutdownMask.contains(.send) {
                if isWriteable {
                    mask |= POLLOUT | POLLWRNORM
                } else {
                    noSpace = true
                }
            } else {
                mask |= POLLOUT | POLLWRNORM
            }
        }
        if error != 0 { mask |= POLLERR }
        return mask
    }

    /// __sk_stream_is_writeable(sk, 1).
    var isWriteable: Bool {
        let wspace = sendBufferSize - wmemQueued
        if wspace < (wmemQueued >> 1) { return false }
        if wmemQueued >= sendBufferSize { return false }
        return (notSentBytes << 1) < effectiveNotsentLowat
    }
}
