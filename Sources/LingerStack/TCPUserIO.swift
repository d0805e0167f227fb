import LingerRun
import LingerWire

/// What the application's reads and writes do to a connection (tcp.c:
/// tcp_recvmsg_locked, tcp_cleanup_rbuf, tcp_sendmsg_locked, sk_stream_error).
extension TCPSocket {
    /// sock_error: the pending error, cleared.
    func takeError() -> Int32 {
        let e = error
        error = 0
        return e
    }

    /// Something changed that sleepers and epoll may care about (sk_data_ready,
    /// sk_write_space, sk_state_change all end here).
    func wakeWaiters() {
        wakeCount &+= 1
    }

    /// One try at a receive call. Returns nil when the call would sleep.
    /// The data goes to `destination` (at least `capacity` bytes) when given,
    /// else into the result's `.received` array. Mirrors tcp_recvmsg_locked
    /// (without urgent data).
    func receiveAttempt(capacity: Int, flags: Int32, nullBuffer: Bool, canBlock: Bool,
                        into destination: UnsafeMutableRawPointer? = nil) -> SocketCallResult? {
        if state == .listen { return SocketLayer.fail(ENOTCONN) }
        if capacity == 0 { return SocketCallResult(value: 0, output: .received([])) }
        let peek = flags & MSG_PEEK != 0
        let target = flags & MSG_WAITALL != 0 ? capacity : min(max(receiveLowat, 1), capacity)
        let available = readableBytes
        if available > 0 {
            let finished = sockDone || error != 0 || shutdownMask.contains(.receive) || state == .close
            if available < target && canBlock && !finished { return nil }
            let n = min(capacity, available)
            if nullBuffer { return SocketLayer.fail(EFAULT) }
            var output = SocketCallOutput.none
            if let destination {
                receiveBytes.copy(offset: 0, length: n, to: destination)
            } else {
                var out: [UInt8] = []
                receiveBytes.copy(offset: 0, length: n, into: &out)
                output = .received(out)
            }
            if !peek {
                receiveBytes.removeFirst(n)
                copiedSeq = copiedSeq + n
                while let first = receiveRecords.first, first.dataEnd <= copiedSeq, !first.hasFin {
                    uncharge(first.truesize)
                    receiveRecords.removeFirst()
                }
                receiveSpaceAdjust()
                cleanupReceiveBuffer(copied: n)
            }
            return SocketCallResult(value: Int64(n), output: output)
        }
        if sockDone {
            // found_fin_ok: the reader reached the FIN; its buffer is freed.
            if !peek {
                while let first = receiveRecords.first, first.dataEnd <= copiedSeq {
                    uncharge(first.truesize)
                    receiveRecords.removeFirst()
                }
            }
            return SocketCallResult(value: 0, output: .received([]))
        }
        if error != 0 { return SocketLayer.fail(takeError()) }
        if shutdownMask.contains(.receive) { return SocketCallResult(value: 0, output: .received([])) }
        if state == .close { return SocketLayer.fail(ENOTCONN) }
        if !canBlock { return SocketLayer.fail(EAGAIN) }
        return nil
    }

    /// tcp_cleanup_rbuf: after a read, ACK now if one is owed or if the window
    /// can open significantly.
    func cleanupReceiveBuffer(copied: Int) {
        var timeToAck = false
        if ackScheduled {
            if Int(rcvWup.distance(to: rcvNxt)) > ackRcvMss
                || (copied > 0
                    && (ackPending & AckPendingBits.pushed2 != 0
                        || (ackPending & AckPendingBits.pushed != 0 && !isPingPong))
                    && rmemAlloc == 0) {
                timeToAck = true
            }
        }
        if copied > 0 && !timeToAck && !shutdownMask.contains(.receive) {
            let now = receiveWindow
            if 2 * now <= windowClamp {
                let newWindow = computeWindow()
                if newWindow != 0 && newWindow >= 2 * now { timeToAck = true }
            }
        }
        if timeToAck { stack.reason = .windowUpdate; sendAck() }
    }

    /// One try at a send call: copies what fits from `data[offset..<count]`,
    /// advancing `offset`. Returns the call's result, or nil when it must sleep
    /// (for space, or for the connection to complete). Mirrors tcp_sendmsg_locked.
    func sendAttempt(_ data: UnsafeRawBufferPointer, offset: inout Int, count: Int, flags: Int32, canBlock: Bool,
                     faultAfter: Bool) -> SocketCallResult? {
        if state != .established && state != .closeWait {
            // sk_stream_wait_connect
            if error != 0 { return offset > 0 ? SocketCallResult(value: Int64(offset)) : SocketLayer.fail(takeError()) }
            if state != .synSent && state != .synReceived {
                return offset > 0 ? SocketCallResult(value: Int64(offset)) : SocketLayer.fail(EPIPE)
            }
            if !canBlock { return offset > 0 ? SocketCallResult(value: Int64(offset)) : SocketLayer.fail(EAGAIN) }
            return nil
        }
        if error != 0 || shutdownMask.contains(.send) {
            if offset > 0 { return SocketCallResult(value: Int64(offset)) }
            let e = takeError()
            return SocketLayer.fail(e != 0 ? e : EPIPE)
        }
        if count == 0 {
            if faultAfter { return SocketLayer.fail(EFAULT) }
            return SocketCallResult(value: 0)
        }
        let before = offset
        let taken = appendToSendQueue(UnsafeRawBufferPointer(rebasing: data[offset..<count]), count: count - offset,
                                      more: flags & MSG_MORE != 0, eor: flags & MSG_EOR != 0)
        offset += taken
        if offset < count {
            // wait_for_space
            noSpace = true
            if offset > before { push(more: false, nonagle: .push) }
            if !canBlock { return offset > 0 ? SocketCallResult(value: Int64(offset)) : SocketLayer.fail(EAGAIN) }
            return nil
        }
        push(more: flags & MSG_MORE != 0, nonagle: nagleMode)
        if faultAfter && offset == 0 { return SocketLayer.fail(EFAULT) }
        return SocketCallResult(value: Int64(offset))
    }
}
