public import LingerRun

/// setsockopt and getsockopt (net/core/sock.c sk_setsockopt/sk_getsockopt,
/// tcp.c do_tcp_setsockopt/do_tcp_getsockopt, ip_sockglue.c, ipv6_sockglue.c).
extension SocketLayer {
    static func readInt(_ bytes: [UInt8], at offset: Int = 0) -> Int32 {
        guard offset >= 0, offset + 4 <= bytes.count else { return 0 }
        let v = UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
        return Int32(bitPattern: v)
    }

    static func readInt(_ bytes: UnsafeRawBufferPointer, at offset: Int = 0) -> Int32 {
        guard offset >= 0, offset + 4 <= bytes.count else { return 0 }
        let v = UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
        return Int32(bitPattern: v)
    }

    static func intBytes(_ v: Int32) -> [UInt8] {
        let u = UInt32(bitPattern: v)
        return [UInt8(truncatingIfNeeded: u), UInt8(truncatingIfNeeded: u >> 8), UInt8(truncatingIfNeeded: u >> 16),
                UInt8(truncatingIfNeeded: u >> 24)]
    }

    func setsockopt(fd: Int32, level: Int32, name: Int32, value: [UInt8]?, length: UInt32) -> SocketCallResult {
        guard let value else { return setsockopt(fd: fd, level: level, name: name, bytes: nil, length: length) }
        return value.withUnsafeBytes { setsockopt(fd: fd, level: level, name: name, bytes: $0, length: length) }
    }

    /// `setsockopt(fd, level, name, &value, sizeof(int))`: an int option read
    /// from the caller's memory, as a program passes one, with no array made.
    public func setsockopt(fd: Int32, level: Int32, name: Int32, integer: Int32) -> SocketCallResult {
        if exiting { return Self.fail(ESRCH) }
        return withUnsafeBytes(of: integer.littleEndian) {
            setsockopt(fd: fd, level: level, name: name, bytes: $0, length: 4)
        }
    }

    /// setsockopt with `value` (nil: a null pointer) as the option's memory.
    func setsockopt(fd: Int32, level: Int32, name: Int32, bytes value: UnsafeRawBufferPointer?, length: UInt32)
        -> SocketCallResult
    {
        withSocket(fd, failure: { Self.fail($0) }) { setsockopt($1, level: level, name: name, bytes: value, length: length) }
    }

    private func setsockopt(_ sk: TCPSocket, level: Int32, name: Int32, bytes value: UnsafeRawBufferPointer?,
                            length: UInt32) -> SocketCallResult {
        let optlen = Int(Int32(bitPattern: length))
        if level == SOL_TCP && name == TCP_CONGESTION {
            if optlen < 1 { return Self.fail(EINVAL) }
            guard let value else { return Self.fail(EFAULT) }
            let text = String(decoding: value.prefix(min(15, optlen)).prefix { $0 != 0 }, as: UTF8.self)
            guard let algorithm = CongestionAlgorithm(named: text) else { return Self.fail(ENOENT) }
            sk.congestionAlgorithm = algorithm
            sk.congestionInit()
            return SocketCallResult(value: 0)
        }
        if level == SOL_IP {
            // do_ip_setsockopt: an int option may come as one byte, or none (0).
            var val: Int32 = 0
            if optlen >= 4 {
                guard let value, value.count >= 4 else { return Self.fail(EFAULT) }
                val = Self.readInt(value)
            } else if optlen >= 1 {
                guard let value, let byte = value.first else { return Self.fail(EFAULT) }
                val = Int32(byte)
            } else if optlen < 0 {
                return Self.fail(EINVAL)
            }
            switch name {
            case IP_TOS:
                sk.tosByte = UInt8(truncatingIfNeeded: val) & 0xFC | (sk.tosByte & 3)
            case IP_MTU_DISCOVER:
                if val < 0 || val > 5 { return Self.fail(EINVAL) }
            case IP_TTL:
                if optlen < 1 { return Self.fail(EINVAL) }
                if val != -1 && (val < 1 || val > 255) { return Self.fail(EINVAL) }
            case IP_RECVERR:
                break
            default: return Self.fail(ENOPROTOOPT)
            }
            return SocketCallResult(value: 0)
        }
        if optlen < 4 { return Self.fail(EINVAL) }
        guard let value, value.count >= 4 else { return Self.fail(EFAULT) }
        let val = Self.readInt(value)
        let on = val != 0
        switch level {
        case SOL_SOCKET:
            switch name {
            case SO_REUSEADDR: sk.reuseAddress = on
            case SO_REUSEPORT: sk.reusePort = on
            case SO_KEEPALIVE:
                if sk.state != .close && sk.state != .listen {
                    if on && !sk.keepaliveEnabled {
                        sk.resetKeepaliveTimer(sk.keepaliveTimeWhen)
                    } else if !on {
                        sk.deleteKeepaliveTimer()
                    }
                }
                sk.keepaliveEnabled = on
            case SO_LINGER:
                if optlen < 8 || value.count < 8 { return Self.fail(EINVAL) }
                let onoff = Self.readInt(value, at: 0)
                let seconds = Self.readInt(value, at: 4)
                sk.lingerOn = onoff != 0
                if onoff != 0 { sk.lingerSeconds = seconds < 0 ? Int32.max : seconds }
            case SO_SNDBUF, SO_SNDBUFFORCE:
                var v = Int(UInt32(bitPattern: val))
                if name == SO_SNDBUF { v = min(v, stack.sysctls.coreWmemMax) }
                v = min(v, Int(Int32.max) / 2)
                sk.sendBufferLocked = true
                sk.sendBufferSize = max(v * 2, minimumSendBuffer)
                sk.wakeWaiters()
            case SO_RCVBUF, SO_RCVBUFFORCE:
                var v = Int(UInt32(bitPattern: val))
                if name == SO_RCVBUF { v = min(v, stack.sysctls.coreRmemMax) }
                v = min(v, Int(Int32.max) / 2)
                sk.receiveBufferLocked = true
                sk.receiveBufferSize = max(v * 2, minimumReceiveBuffer)
            case SO_RCVLOWAT:
                var v = Int(val < 0 ? Int32.max : val)
                let cap = sk.receiveBufferLocked ? sk.receiveBufferSize >> 1
                    : stack.sysctls.tcpRmem.max >> 1
                v = min(v, cap)
                sk.receiveLowat = v == 0 ? 1 : v
                sk.wakeWaiters()
                if !sk.receiveBufferLocked {
                    let needed = sk.scalingRatio > 0 ? (sk.receiveLowat << 8) / sk.scalingRatio : sk.receiveLowat
                    if needed > sk.receiveBufferSize {
                        sk.receiveBufferSize = needed
                        sk.windowClamp = UInt32(sk.receiveLowat)
                    }
                }
            case SO_RCVTIMEO_OLD, SO_SNDTIMEO_OLD, SO_RCVTIMEO_NEW, SO_SNDTIMEO_NEW:
                if value.count < 16 || optlen < 16 { return Self.fail(EINVAL) }
                let seconds = Int64(Self.readInt(value, at: 0)) | Int64(Self.readInt(value, at: 4)) << 32
                let micros = Int64(Self.readInt(value, at: 8)) | Int64(Self.readInt(value, at: 12)) << 32
                if micros < 0 || micros >= 1_000_000 { return Self.fail(EINVAL) }
                let total = seconds < 0 ? 0 : seconds &* 1_000_000 &+ micros
                if name == SO_RCVTIMEO_OLD || name == SO_RCVTIMEO_NEW { sk.receiveTimeout = total } else { sk.sendTimeout = total }
            case SO_OOBINLINE: sk.oobInline = on
            case SO_BROADCAST: sk.broadcast = on
            case SO_PRIORITY: sk.priority = val
            case SO_MAX_PACING_RATE:
                sk.maxPacingRate = val < 0 ? .max : UInt64(val)
                if sk.maxPacingRate != .max && sk.pacingStatus == .none { sk.pacingStatus = .needed }
                sk.pacingRate = min(sk.pacingRate, sk.maxPacingRate)
            case SO_DEBUG, SO_DONTROUTE, SO_NO_CHECK, SO_MARK, SO_TIMESTAMP_OLD, SO_TIMESTAMPING_OLD, SO_ZEROCOPY,
                 SO_SNDLOWAT:
                break
            default:
                return Self.fail(ENOPROTOOPT)
            }
        case SOL_TCP:
            return tcpSetsockopt(sk, name: name, val: val)
        case SOL_IPV6:
            switch name {
            case IPV6_V6ONLY:
                if sk.isBound { return Self.fail(EINVAL) }
                sk.ipv6Only = on
            case IPV6_TCLASS: sk.tosByte = UInt8(truncatingIfNeeded: val)
            case IPV6_RECVERR: break
            default: return Self.fail(ENOPROTOOPT)
            }
        default:
            return Self.fail(ENOPROTOOPT)
        }
        return SocketCallResult(value: 0)
    }

    func tcpSetsockopt(_ sk: TCPSocket, name: Int32, val: Int32) -> SocketCallResult {
        switch name {
        case TCP_SYNCNT:
            if val < 1 || val > 127 { return Self.fail(EINVAL) }
            sk.synRetriesOption = Int(val)
        case TCP_USER_TIMEOUT:
            if val < 0 { return Self.fail(EINVAL) }
            sk.userTimeout = Int64(val) * 1000
        case TCP_KEEPINTVL:
            if val < 1 || val > 32767 { return Self.fail(EINVAL) }
            sk.keepaliveInterval = Int64(val) * 1_000_000
        case TCP_KEEPCNT:
            if val < 1 || val > 127 { return Self.fail(EINVAL) }
            sk.keepaliveProbes = Int(val)
        case TCP_LINGER2:
            if val < 0 {
                sk.linger2 = -1
            } else if val > 120 {
                sk.linger2 = 120_000_000
            } else {
                sk.linger2 = Int64(val) * 1_000_000
            }
        case TCP_DEFER_ACCEPT:
            // secs_to_retrans: how many SYN-ACK timeouts cover `val` seconds.
            var retrans = 0
            if val > 0 {
                var timeout: Int32 = 1
                var period: Int32 = timeout
                retrans = 1
                while val > period && retrans < 255 {
                    retrans += 1
                    timeout <<= 1
                    if timeout > 120 { timeout = 120 }
                    period += timeout
                }
            }
            sk.deferAcceptSeconds = retrans
        case TCP_MAXSEG:
            if val != 0 && (val < 88 || val > 32767) { return Self.fail(EINVAL) }
            sk.userMSS = Int(val)
        case TCP_NODELAY:
            if val != 0 {
                sk.noDelay = true
                sk.nonaglePush = true
                sk.pushPendingFrames()
            } else {
                sk.noDelay = false
            }
        case TCP_CORK:
            if val != 0 {
                sk.cork = true
            } else {
                sk.cork = false
                if sk.noDelay { sk.nonaglePush = true }
                sk.pushPendingFrames()
            }
        case TCP_KEEPIDLE:
            if val < 1 || val > 32767 { return Self.fail(EINVAL) }
            sk.keepaliveTime = Int64(val) * 1_000_000
            if sk.keepaliveEnabled && sk.state != .close && sk.state != .listen {
                let elapsed = min(stack.now - sk.ackLrcvtime, stack.now - sk.lastAckRecvTime)
                let remaining = sk.keepaliveTime > elapsed ? sk.keepaliveTime - elapsed : 0
                sk.resetKeepaliveTimer(remaining)
            }
        case TCP_WINDOW_CLAMP:
            if val == 0 {
                if sk.state != .close { return Self.fail(EINVAL) }
                sk.windowClampOption = 0
            } else {
                let v = max(Int(val), minimumReceiveBuffer / 2)
                sk.windowClampOption = v
                if sk.state != .close { sk.setWindowClamp(v) }
            }
        case TCP_QUICKACK:
            if val == 0 {
                sk.enterPingPongMode()
            } else {
                sk.ackPingpong = 0
                if (sk.state == .established || sk.state == .closeWait) && sk.ackScheduled {
                    sk.ackPending |= AckPendingBits.pushed
                    sk.cleanupReceiveBuffer(copied: 1)
                    if val & 1 == 0 { sk.enterPingPongMode() }
                }
            }
        case TCP_NOTSENT_LOWAT:
            sk.notsentLowat = Int(UInt32(bitPattern: val))
            sk.wakeWaiters()
        case TCP_INQ:
            if val < 0 || val > 1 { return Self.fail(EINVAL) }
            sk.inqEnabled = val != 0
        case TCP_THIN_LINEAR_TIMEOUTS:
            if val < 0 || val > 1 { return Self.fail(EINVAL) }
            sk.thinLinearTimeouts = val != 0
        case TCP_FASTOPEN:
            if sk.state != .close && sk.state != .listen { return Self.fail(EINVAL) }
        case TCP_FASTOPEN_CONNECT:
            if val < 0 || val > 1 { return Self.fail(EINVAL) }
            guard stack.sysctls.tcpFastopen & 1 != 0 else { return Self.fail(EOPNOTSUPP) }
            if sk.state != .close { return Self.fail(EINVAL) }
            sk.fastOpenConnect = val != 0
        default:
            return Self.fail(ENOPROTOOPT)
        }
        return SocketCallResult(value: 0)
    }

    func getsockopt(fd: Int32, level: Int32, name: Int32, length: UInt32) -> SocketCallResult {
        let sk: TCPSocket
        switch socket(fd) {
        case .success(let pair): sk = pair.1
        case .failure(let e): return Self.fail(e.errno)
        }
        let len = Int(Int32(bitPattern: length))
        if len < 0 { return Self.fail(EINVAL) }
        func int(_ v: Int32) -> SocketCallResult {
            SocketCallResult(value: 0, output: .option(Array(Self.intBytes(v).prefix(min(len, 4)))))
        }
        func int(_ v: Int) -> SocketCallResult { int(Int32(truncatingIfNeeded: v)) }
        func bool(_ v: Bool) -> SocketCallResult { int(v ? 1 : 0) }
        switch level {
        case SOL_SOCKET:
            switch name {
            case SO_TYPE: return int(SOCK_STREAM)
            case SO_PROTOCOL: return int(IPPROTO_TCP)
            case SO_DOMAIN: return int(sk.family)
            case SO_ERROR: return int(sk.takeError())
            case SO_REUSEADDR: return bool(sk.reuseAddress)
            case SO_REUSEPORT: return bool(sk.reusePort)
            case SO_KEEPALIVE: return bool(sk.keepaliveEnabled)
            case SO_SNDBUF: return int(sk.sendBufferSize)
            case SO_RCVBUF: return int(sk.receiveBufferSize)
            case SO_RCVLOWAT: return int(sk.receiveLowat)
            case SO_SNDLOWAT: return int(1)
            case SO_OOBINLINE: return bool(sk.oobInline)
            case SO_BROADCAST: return bool(sk.broadcast)
            case SO_PRIORITY: return int(sk.priority)
            case SO_ACCEPTCONN: return bool(sk.state == .listen)
            case SO_LINGER:
                let bytes = Self.intBytes(sk.lingerOn ? 1 : 0) + Self.intBytes(sk.lingerOn ? sk.lingerSeconds : 0)
                return SocketCallResult(value: 0, output: .option(Array(bytes.prefix(min(len, 8)))))
            default: return Self.fail(ENOPROTOOPT)
            }
        case SOL_TCP:
            switch name {
            case TCP_INFO:
                let info = sk.tcpInfo()
                return SocketCallResult(value: 0, output: .option(Array(info.prefix(min(len, info.count)))))
            case TCP_CONGESTION:
                var bytes = Array(sk.congestionAlgorithm.rawValue.utf8)
                bytes += [UInt8](repeating: 0, count: max(0, 16 - bytes.count))
                return SocketCallResult(value: 0, output: .option(Array(bytes.prefix(min(len, 16)))))
            case TCP_MAXSEG:
                var v = sk.mssCache
                if sk.userMSS > 0 && (sk.state == .close || sk.state == .listen) { v = sk.userMSS }
                return int(v)
            case TCP_NODELAY: return bool(sk.noDelay)
            case TCP_CORK: return bool(sk.cork)
            case TCP_KEEPIDLE: return int(Int(sk.keepaliveTimeWhen / 1_000_000))
            case TCP_KEEPINTVL: return int(Int(sk.keepaliveIntervalWhen / 1_000_000))
            case TCP_KEEPCNT: return int(sk.keepaliveProbeCount)
            case TCP_SYNCNT: return int(sk.synRetriesOption > 0 ? sk.synRetriesOption : stack.sysctls.tcpSynRetries)
            case TCP_LINGER2:
                if sk.linger2 < 0 { return int(Int32(-1)) }
                return int(Int(sk.linger2 > 0 ? sk.linger2 / 1_000_000 : Int64(stack.sysctls.tcpFinTimeout)))
            case TCP_WINDOW_CLAMP: return int(Int(sk.windowClamp))
            case TCP_USER_TIMEOUT: return int(Int(sk.userTimeout / 1000))
            case TCP_QUICKACK: return bool(!sk.isPingPong)
            case TCP_NOTSENT_LOWAT: return int(sk.notsentLowat)
            case TCP_INQ: return bool(sk.inqEnabled)
            case TCP_DEFER_ACCEPT:
                var secs = 0
                if sk.deferAcceptSeconds > 0 {
                    var timeout = 1
                    secs = timeout
                    for _ in 1..<sk.deferAcceptSeconds {
                        timeout = min(timeout << 1, 120)
                        secs += timeout
                    }
                }
                return int(secs)
            case TCP_THIN_LINEAR_TIMEOUTS: return bool(sk.thinLinearTimeouts)
            case TCP_FASTOPEN_CONNECT: return bool(sk.fastOpenConnect)
            default: return Self.fail(ENOPROTOOPT)
            }
        case SOL_IP:
            switch name {
            case IP_TOS: return int(Int(sk.tosByte))
            case IP_TTL: return int(64)
            default: return Self.fail(ENOPROTOOPT)
            }
        case SOL_IPV6:
            switch name {
            case IPV6_V6ONLY: return bool(sk.ipv6Only)
            case IPV6_TCLASS: return int(Int(sk.tosByte))
            default: return Self.fail(ENOPROTOOPT)
            }
        default:
            return Self.fail(ENOPROTOOPT)
        }
    }
}

extension TCPSocket {
    /// tcp_get_info: Linux's struct tcp_info (248 bytes, little-endian).
    func tcpInfo() -> [UInt8] {
        var b = [UInt8](repeating: 0, count: 248)
        func put(_ offset: Int, _ size: Int, _ value: UInt64) {
            for i in 0..<size { b[offset + i] = UInt8(truncatingIfNeeded: value >> UInt64(8 * i)) }
        }
        func put32(_ offset: Int, _ value: Int64) { put(offset, 4, UInt64(UInt32(truncatingIfNeeded: value))) }
        put(0, 1, UInt64(state.rawValue))
        put(104, 8, pacingRate)
        put(112, 8, maxPacingRate)
        put32(88, Int64(reordering))
        put32(80, Int64(cwnd))
        if state == .listen {
            put32(24, Int64(acceptQueue.count))
            put32(28, Int64(maxAckBacklog))
            return b
        }
        put(1, 1, UInt64(caState.rawValue))
        put(2, 1, UInt64(min(retransmits, 255)))
        put(3, 1, UInt64(min(probesOut, 255)))
        put(4, 1, UInt64(min(backoff, 255)))
        var options: UInt8 = 0
        if timestampOK { options |= 1 }
        if sackOK { options |= 2 }
        if wscaleOK {
            options |= 4
            b[6] = (sndWscale & 0xF) | (rcvWscale & 0xF) << 4
        }
        b[5] = options
        if rateAppLimited { b[7] |= 1 }
        put32(8, rto)
        put32(12, min(ackAto, delackMax))
        put32(16, Int64(mssCache))
        put32(20, Int64(ackRcvMss))
        put32(24, Int64(packetsOut))
        put32(28, Int64(sackedOut))
        put32(32, Int64(lostOut))
        put32(36, Int64(retransOut))
        let now = stack.now
        put32(44, (now - lastSndTime) / 1000)
        put32(52, (now - ackLrcvtime) / 1000)
        put32(56, (now - lastAckRecvTime) / 1000)
        put32(60, Int64(state == .close ? 0 : stack.addresses.mtu))
        put32(64, Int64(rcvSsthresh))
        put32(68, Int64(srttUs >> 3))
        put32(72, Int64(mdevUs >> 2))
        put32(76, Int64(ssthresh))
        put32(84, Int64(advmss))
        put32(92, Int64(rcvRTT.rttUs >> 3))
        put32(96, Int64(rcvSpace.space))
        put32(100, Int64(totalRetrans))
        put(120, 8, bytesAcked)
        put(128, 8, bytesReceived)
        put32(136, Int64(segsOut))
        put32(140, Int64(segsIn))
        put32(144, Int64(max(0, Int(sndNxt.distance(to: writeSeq)))))
        put32(148, Int64(minRTT.value))
        put32(152, Int64(dataSegsIn))
        put32(156, Int64(dataSegsOut))
        put(160, 8, deliveryRate)
        let chrono = chronoMicroseconds
        put(168, 8, UInt64(max(0, chrono.busy)))
        put(176, 8, UInt64(max(0, chrono.rwnd)))
        put(184, 8, UInt64(max(0, chrono.sndbuf)))
        put32(192, Int64(delivered))
        put32(196, Int64(deliveredCE))
        put(200, 8, bytesSent)
        put(208, 8, bytesRetrans)
        put32(216, Int64(dsackDups))
        put32(220, Int64(reordSeen))
        put32(224, Int64(rcvOOOPackets))
        put32(228, Int64(sndWnd))
        put32(232, Int64(rcvWnd))
        put(240, 2, UInt64(totalRTO))
        put(242, 2, UInt64(totalRTORecoveries))
        var rtoTime = Int64(totalRTOTime)
        if rtoStamp != 0 && retransmits > 0 { rtoTime += (now - rtoStamp) / 1000 }
        put32(244, rtoTime)
        return b
    }
}
