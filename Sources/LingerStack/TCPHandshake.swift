import LingerWire

/// TCP_TIMEOUT_INIT: the initial RTO, 1 s.
let initialRTO: Int64 = 1_000_000
/// TCP_TIMEOUT_FALLBACK: the RTO after a handshake without an RTT sample, 3 s.
let fallbackRTO: Int64 = 3_000_000
/// TCP_RTO_MAX: 120 s.
let maximumRTO: Int64 = 120_000_000
/// TCP_MSS_DEFAULT.
let defaultMSS = 536
/// TCPOLEN_TSTAMP_ALIGNED.
let timestampOptionLength = 12

/// The three-way handshake in both directions: listeners and their requests
/// (tcp_conn_request, tcp_check_req, tcp_v4_syn_recv_sock), and connect()
/// (tcp_connect, tcp_rcv_synsent_state_process, tcp_finish_connect).
extension TCPSocket {
    // MARK: - Passive open

    /// A segment for a listener that matched no request. Returns true when the
    /// caller must answer with a reset. Mirrors the LISTEN case of tcp_rcv_state_process.
    func listenReceive(_ seg: InboundSegment, _ raw: UnsafeRawBufferPointer, timeWaitISN: SequenceNumber? = nil) -> Bool {
        if seg.hasAck { return true }
        if seg.isRst { return false }
        guard seg.isSyn, !seg.isFin else { return false }
        connRequest(seg, timeWaitISN: timeWaitISN)
        return false
    }

    /// tcp_conn_request: answers a SYN with a SYN-ACK and keeps a request.
    func connRequest(_ seg: InboundSegment, timeWaitISN: SequenceNumber?) {
        let s = stack.sysctls
        if timeWaitISN == nil, synQueue.count > maxAckBacklog, s.tcpSyncookies == 0 {
            listenDrop()
            return
        }
        // The count read in place (the `acceptQueue` getter copies the array).
        if (rare?.acceptQueue.count ?? 0) > maxAckBacklog {
            stack.counters.increment(.tcpExtListenOverflows)
            listenDrop()
            return
        }
        let o = seg.options
        var mssClampValue = defaultMSS
        if let m = o.mss, m > 0 {
            mssClampValue = Int(m)
            if userMSS > 0 && userMSS < mssClampValue { mssClampValue = userMSS }
        }
        let tsOK = o.hasTimestamp && s.tcpTimestamps != 0
        let sackOK = o.sackPermitted && s.tcpSack != 0
        let wscaleOK = o.windowScale != nil && s.tcpWindowScaling != 0
        let ipv6 = seg.destination.isIPv6
        let routeAdvmss = stack.routeMSS(ipv6: ipv6)
        let mss = (userMSS > 0 && userMSS < routeAdvmss) ? userMSS : routeAdvmss
        // tcp_openreq_init_rwin
        let fullSpace = fullSpaceWithRatio(128)
        var clamp = UInt32(windowClampOption)
        if receiveBufferLocked && (clamp > UInt32(fullSpace) || clamp == 0) { clamp = UInt32(fullSpace) }
        let initial = selectInitialWindow(space: fullSpace, mss: mss - (tsOK ? timestampOptionLength : 0),
                                          windowClamp: clamp, wscaleOK: wscaleOK)
        let tuple = seg.tuple
        let isn = timeWaitISN ?? stack.initialSequence(tuple)
        var req = RequestSock(
            tuple: tuple, iss: isn, irs: seg.seq, mss: mssClampValue, sackOK: sackOK, timestampOK: tsOK,
            tsRecent: o.hasTimestamp ? o.tsVal : 0, tsOffset: tsOK ? stack.timestampOffset(tuple) : 0,
            wscaleOK: wscaleOK, sndWscale: min(o.windowScale ?? 0, 14), rcvWscale: initial.wscale,
            rcvWindow: initial.window, windowClamp: initial.clamp, peerWindow: seg.window,
            synTime: stack.now, synAckTime: 0)
        req.timer = stack.schedule(at: stack.now + initialRTO, .synAck(listener: self, tuple: tuple))
        sendSynAck(&req)
        synQueue.setValue(req, forKey: tuple)
    }

    var maxAckBacklog: Int { min(backlog, stack.sysctls.coreSomaxconn) }

    func listenDrop() {
        stack.counters.increment(.tcpExtListenDrops)
    }

    /// tcp_v4_send_synack / tcp_make_synack.
    func sendSynAck(_ req: inout RequestSock) {
        var h = OutboundHeader(tuple: req.tuple, seq: req.iss, ack: req.irs + 1, flags: [.syn, .ack],
                               window: UInt16(truncatingIfNeeded: min(req.rcvWindow, 65535)))
        let routeAdvmss = stack.routeMSS(ipv6: req.tuple.local.address.isIPv6)
        h.mss = UInt16(truncatingIfNeeded: (userMSS > 0 && userMSS < routeAdvmss) ? userMSS : routeAdvmss)
        if req.wscaleOK { h.windowScale = req.rcvWscale }
        if req.timestampOK {
            // tcp_synack_options remembers the range of TS values sent.
            var tsval = stack.timestampClock &+ req.tsOffset
            if req.sentTSValFirst == 0 {
                if tsval == 0 { tsval = ~0 }
                req.sentTSValFirst = tsval
            }
            req.sentTSValLast = tsval
            h.timestamp = (tsval, req.tsRecent)
        }
        h.sackPermitted = req.sackOK
        h.tos = tosByte
        if req.synAckTime == 0 { req.synAckTime = stack.now }
        withStack { stack in
            stack.counters.increment(.tcpOutSegs)
            stack.emitControl(h)
        }
    }

    /// reqsk_timer_handler: retransmits the SYN-ACK with backoff until
    /// tcp_synack_retries runs out, then drops the request.
    func synAckTimerFired(tuple: FourTuple, handle: TimerHandle) {
        guard var req = synQueue[tuple], req.timer == handle else { return }
        var maxRetries = synRetriesOption > 0 ? synRetriesOption : stack.sysctls.tcpSynackRetries
        let qlen = synQueue.count
        if qlen << 1 > max(8, maxAckBacklog) {
            let youngCount = synQueue.values.filter { $0.numTimeout == 0 }.count
            var young = youngCount << 1
            while maxRetries > 2 {
                if qlen < young { break }
                maxRetries -= 1
                young <<= 1
            }
        }
        let expire = req.numTimeout >= maxRetries
        if !expire {
            if !req.acked {
                sendSynAck(&req)
                req.retransmits += 1
                stack.counters.increment(.tcpRetransSegs)
                stack.counters.increment(.tcpExtTCPSynRetrans)
            }
            req.numTimeout += 1
            let timeout = min(initialRTO << Int64(min(req.numTimeout, 20)), maximumRTO)
            req.timer = stack.schedule(at: stack.now + timeout, .synAck(listener: self, tuple: tuple))
            synQueue[tuple] = req
            return
        }
        synQueue[tuple] = nil
    }

    /// The pending request for `tuple`, looked up in place: the `synQueue`
    /// getter would copy the queue (retaining its storage) on every
    /// handshake segment.
    @inline(__always)
    func request(for tuple: FourTuple) -> RequestSock? {
        rare?.synQueue[tuple]
    }

    /// A segment for a pending request. Mirrors tcp_check_req and what tcp_v4_rcv does
    /// with its result.
    /// `request` is the listener's request for the segment's connection, as
    /// the demultiplexer found it (its key is the request's tuple).
    func checkRequest(_ seg: InboundSegment, _ raw: UnsafeRawBufferPointer, request: RequestSock) {
        // One strong reference for the call: each use of the unowned property
        // would otherwise retain and release the stack around it.
        let stack = self.stack
        // Read in place: the branches that change the request copy it (a copy
        // here, on every handshake ACK, is a 148-byte memcpy).
        let req = request
        let tuple = req.tuple
        var pawsReject = false
        // Linux 6.18: the echo must be one of the TS values our SYN-ACKs carried
        // (otherwise ACK and drop, TSEcrRejected).
        var tsecrReject = false
        if seg.options.hasTimestamp {
            if seg.options.tsEcr != 0 && req.timestampOK {
                tsecrReject = req.sentTSValLast &- req.sentTSValFirst < seg.options.tsEcr &- req.sentTSValFirst
            }
            let stamp = stack.seconds - min(initialRTO << Int64(min(req.numTimeout, 20)), maximumRTO) / 1_000_000
            pawsReject = pawsRejects(tsRecent: req.tsRecent, tsRecentStamp: stamp, tsVal: seg.options.tsVal,
                                     isRst: seg.isRst, nowSeconds: stack.seconds)
        }
        let flagBits: TCPFlags = seg.flags.intersection([.rst, .syn, .ack])
        if seg.seq == req.irs && flagBits == [.syn] && !pawsReject {
            var req = req
            var last = lastOOWAckTime
            if !stack.outOfWindowRateLimited(seg, last: &last) {
                sendSynAck(&req)
                req.retransmits += 1
                stack.counters.increment(.tcpRetransSegs)
                if let h = req.timer { stack.timers.drop(h) }
                let timeout = min(initialRTO << Int64(min(req.numTimeout, 20)), maximumRTO)
                req.timer = stack.schedule(at: stack.now + timeout, .synAck(listener: self, tuple: tuple))
            }
            lastOOWAckTime = last
            synQueue[tuple] = req
            return
        }
        if flagBits.contains(.ack) && !flagBits.contains(.rst) && seg.ack != req.iss + 1 {
            // The listener answers with a reset (tcp_rcv_state_process on LISTEN).
            stack.sendResetForSegment(seg)
            return
        }
        let rcvNxt = req.irs + 1
        if pawsReject || tsecrReject || !sequenceInWindow(seg.seq, seg.endSeq, rcvNxt, rcvNxt + Int(req.rcvWindow)) {
            if !seg.isRst {
                var last = lastOOWAckTime
                if !stack.outOfWindowRateLimited(seg, last: &last) {
                    let ts: (UInt32, UInt32)? = req.timestampOK ? (stack.timestampClock &+ req.tsOffset, req.tsRecent) : nil
                    stack.sendBareAck(tuple: tuple, seq: req.iss + 1, ack: rcvNxt,
                                      window: UInt16(truncatingIfNeeded: min(req.rcvWindow >> UInt32(req.rcvWscale), 65535)),
                                      timestamp: ts)
                }
                lastOOWAckTime = last
            }
            if pawsReject {
                stack.counters.increment(.tcpExtPAWSEstab)
            } else if tsecrReject {
                stack.counters.increment(.tcpExtTSEcrRejected)
            }
            return
        }
        var flags = flagBits
        if seg.seq == req.irs { flags.remove(.syn) }
        if flags.contains(.rst) && seg.seq != rcvNxt {
            // Challenge ACK for an inexact RST (RFC 5961, tcp_reqsk_send_challenge_ack).
            let ts: (UInt32, UInt32)? = req.timestampOK ? (stack.timestampClock &+ req.tsOffset, req.tsRecent) : nil
            stack.sendBareAck(tuple: tuple, seq: req.iss + 1, ack: rcvNxt,
                              window: UInt16(truncatingIfNeeded: min(req.rcvWindow >> UInt32(req.rcvWscale), 65535)),
                              timestamp: ts)
            stack.counters.increment(.tcpExtTCPChallengeACK)
            return
        }
        if flags.contains(.rst) || flags.contains(.syn) {
            stack.counters.increment(.tcpAttemptFails)
            if !seg.isRst { stack.sendResetForSegment(seg) }
            dropRequest(tuple)
            stack.counters.increment(.tcpExtEmbryonicRsts)
            return
        }
        guard flags.contains(.ack) else { return }
        if req.numTimeout < deferAcceptSeconds && seg.endSeq == req.irs + 1 {
            var req = req
            req.acked = true
            synQueue[tuple] = req
            stack.counters.increment(.tcpExtTCPDeferAcceptDrop)
            return
        }
        // tcp_v4_syn_recv_sock
        // The count read in place (the `acceptQueue` getter copies the array).
        if (rare?.acceptQueue.count ?? 0) > maxAckBacklog {
            stack.counters.increment(.tcpExtListenOverflows)
            listenDrop()
            if stack.sysctls.tcpAbortOnOverflow == 0 {
                var req = req
                req.acked = true
                synQueue[tuple] = req
            } else {
                stack.sendResetForSegment(seg)
                dropRequest(tuple)
            }
            return
        }
        let child = createChild(from: req, seg)
        if req.timestampOK && seg.options.hasTimestamp && seg.seq <= rcvNxt {
            child.tsRecent = seg.options.tsVal
        }
        dropRequest(tuple)
        child.synAckRTTMeasure(req)
        stack.hashEstablished(child)
        stack.addBound(child)
        acceptQueue.append(child)
        child.inAcceptQueue = true
        // tcp_child_process: the child counts the segment (tcp_segs_in) and runs
        // it through its state machine.
        child.segsIn &+= 1
        if seg.payloadCount > 0 { child.dataSegsIn &+= 1 }
        if child.receiveStateProcess(seg, raw) {
            stack.sendResetForSegment(seg)
        }
    }

    func dropRequest(_ tuple: FourTuple) {
        if case let h?? = synQueue.removeValue(forKey: tuple, keeping: { $0.timer }) { withStack { $0.timers.drop(h) } }
    }

    /// tcp_create_openreq_child (with inet_csk_clone_lock's copy of the listener's options).
    func createChild(from req: RequestSock, _ seg: InboundSegment) -> TCPSocket {
        // One strong reference for the call: each use of the unowned property
        // would otherwise retain and release the stack around it.
        let stack = self.stack
        let child = TCPSocket(stack: stack, family: family, id: stack.makeSocketID())
        stack.giveSpareStorage(to: child)
        child.copyOptions(from: self)
        child.hasFile = false
        child.state = .synReceived
        child.localAddress = req.tuple.local.address
        child.localPort = req.tuple.local.port
        child.remoteAddress = req.tuple.remote.address
        child.remotePort = req.tuple.remote.port
        child.bindAddressWasAny = false
        child.irs = req.irs
        child.rcvNxt = req.irs + 1
        child.rcvWup = child.rcvNxt
        child.copiedSeq = child.rcvNxt
        child.segsIn = 1
        child.iss = req.iss
        child.sndUna = req.iss + 1
        child.sndNxt = child.sndUna
        child.sndSml = child.sndUna
        child.sndUp = child.sndUna
        child.sndWl1 = req.irs
        child.writeSeq = child.sndUna
        child.pushedSeq = child.sndUna
        child.sendDataBase = child.sndUna
        child.ackLrcvtime = stack.now
        child.lastSndTime = stack.now
        child.totalRetrans = UInt32(req.retransmits)
        child.timestampOK = req.timestampOK
        child.sackOK = req.sackOK
        child.windowClamp = req.windowClamp
        child.rcvSsthresh = req.rcvWindow
        child.rcvWnd = req.rcvWindow
        child.wscaleOK = req.wscaleOK
        if req.wscaleOK {
            child.sndWscale = req.sndWscale
            child.rcvWscale = req.rcvWscale
        } else {
            child.sndWscale = 0
            child.rcvWscale = 0
            child.windowClamp = min(child.windowClamp, 65535)
        }
        child.sndWnd = UInt32(seg.window) << UInt32(child.sndWscale)
        child.maxWindow = child.sndWnd
        if req.timestampOK {
            child.tsRecent = req.tsRecent
            child.tsRecentStamp = stack.seconds
        } else {
            child.tsRecentStamp = 0
        }
        if req.numTimeout > 0 {
            child.totalRTO = UInt16(truncatingIfNeeded: req.numTimeout)
            child.undoMarker = req.iss
            child.retransStamp = req.synAckTime
            child.totalRTORecoveries = 1
        }
        child.tsOffset = req.tsOffset
        let headerLength = 20 + (req.timestampOK ? timestampOptionLength : 0)
        if seg.payloadCount + 20 >= defaultMSS + headerLength {
            child.ackLastSegSize = seg.payloadCount + 20 - headerLength
        }
        child.mssClamp = req.mss
        child.rto = initialRTO
        stack.counters.increment(.tcpPassiveOpens)
        // tcp_v4_syn_recv_sock: MSS from the route.
        child.syncMSS(pmtu: stack.addresses.mtu)
        let routeAdvmss = stack.routeMSS(ipv6: child.isIPv6Connection)
        child.advmss = (userMSS > 0 && userMSS < routeAdvmss) ? userMSS : routeAdvmss
        child.initializeReceiveMSS()
        if child.keepaliveEnabled { child.resetKeepaliveTimer(child.keepaliveTimeWhen) }
        child.ipID = UInt16(truncatingIfNeeded: stack.randomUInt32())
        return child
    }

    /// The socket options a child inherits from its listener.
    func copyOptions(from l: TCPSocket) {
        // sk_clone_lock copies sk_shutdown too: a shutdown() made before listen()
        // (ENOTCONN, yet the bits stay) shuts every child's directions, and
        // tcp_rcv_state_process sends the FIN as soon as a child is established.
        shutdownMask = l.shutdownMask
        reuseAddress = l.reuseAddress
        reusePort = l.reusePort
        keepaliveEnabled = l.keepaliveEnabled
        lingerOn = l.lingerOn
        lingerSeconds = l.lingerSeconds
        noDelay = l.noDelay
        cork = l.cork
        userMSS = l.userMSS
        keepaliveTime = l.keepaliveTime
        keepaliveInterval = l.keepaliveInterval
        keepaliveProbes = l.keepaliveProbes
        linger2 = l.linger2
        userTimeout = l.userTimeout
        sendBufferSize = l.sendBufferSize
        receiveBufferSize = l.receiveBufferSize
        sendBufferLocked = l.sendBufferLocked
        receiveBufferLocked = l.receiveBufferLocked
        receiveLowat = l.receiveLowat
        notsentLowat = l.notsentLowat
        synRetriesOption = l.synRetriesOption
        windowClampOption = l.windowClampOption
        congestionAlgorithm = l.congestionAlgorithm
        receiveTimeout = l.receiveTimeout
        sendTimeout = l.sendTimeout
        tosByte = l.tosByte
        ipv6Only = l.ipv6Only
        maxPacingRate = l.maxPacingRate
        pacingStatus = l.pacingStatus
        inqEnabled = l.inqEnabled
        thinLinearTimeouts = l.thinLinearTimeouts
    }

    /// tcp_synack_rtt_meas: the SYN-ACK's round trip, when it was not retransmitted.
    func synAckRTTMeasure(_ req: RequestSock) {
        var rtt: Int64 = -1
        if req.retransmits == 0 && req.synAckTime != 0 {
            rtt = max(1, stack.now - req.synAckTime)
        }
        _ = ackUpdateRTT(synAcked: true, seqRTT: rtt, sackRTT: -1, caRTT: rtt)
    }

    var isIPv6Connection: Bool { remoteAddress?.isIPv6 ?? isIPv6 }

    // MARK: - Active open

    /// tcp_v4_connect + tcp_connect: picks the route and port, sends the SYN.
    func connect(to remote: TCPEndpoint) -> Int32 {
        // One strong reference for the call: each use of the unowned property
        // would otherwise retain and release the stack around it.
        let stack = self.stack
        let ipv6Wire = remote.address.isIPv6
        guard let local = localAddress ?? stack.localAddress(ipv6: ipv6Wire) else { return ENETUNREACH }
        remoteAddress = remote.address
        remotePort = remote.port
        if localAddress == nil { localAddress = local }
        var reused: TimeWaitEntry?
        if !isBound || localPort == 0 {
            guard let (port, entry) = stack.ephemeralPortForConnect(local: local, remote: remote) else {
                remoteAddress = nil
                remotePort = 0
                return EADDRNOTAVAIL
            }
            localPort = port
            reused = entry
            bindAddressWasAny = false
            portFromConnect = true
            stack.addBound(self)
        } else {
            let tuple = FourTuple(local: TCPEndpoint(local, localPort), remote: remote)
            if stack.established[tuple] != nil {
                remoteAddress = nil
                remotePort = 0
                return EADDRNOTAVAIL
            }
            if let tw = stack.timeWait[tuple] {
                if stack.timeWaitCanBeReused(tw, tuple: tuple, searchingPorts: false) {
                    stack.killTimeWait(tuple)
                    stack.counters.increment(.tcpExtTWRecycled)
                    reused = tw
                } else {
                    remoteAddress = nil
                    remotePort = 0
                    return EADDRNOTAVAIL
                }
            }
        }
        guard let tuple else { return EINVAL }
        state = .synSent
        stack.hashEstablished(self)
        iss = stack.initialSequence(tuple)
        if let tw = reused {
            // The new connection starts above the old one's sequence space and
            // keeps its timestamps, so PAWS protects it (tcp_twsk_unique).
            iss = tw.sndNxt + 65537
            if iss.rawValue == 0 { iss = SequenceNumber(1) }
            tsRecent = tw.tsRecent
            tsRecentStamp = Int64(tw.tsRecentStamp)
        } else if writeSeq.rawValue != 0 {
            // tcp_v4_connect draws an ISN only while write_seq is 0: after
            // tcp_disconnect (shutdown in SYN_SENT, a refused connect) the next
            // connect() continues from old write_seq + max_window + 2.
            iss = writeSeq
        }
        writeSeq = iss
        if stack.sysctls.tcpTimestamps != 0 { tsOffset = stack.timestampOffset(tuple) }
        ipID = UInt16(truncatingIfNeeded: stack.randomUInt32())
        // tcp_fastopen_defer_connect: with a cookie, wait for the first write.
        if fastOpenConnect && !fastOpenRequest && stack.sysctls.tcpFastopen & 1 != 0 {
            if let cookie = stack.fastOpenCookies[remote.address] {
                fastOpenCookie = cookie
                deferConnect = true
                return 0
            }
            fastOpenRequest = true
            fastOpenCookie = nil
        }
        sendSyn()
        return 0
    }

    /// tcp_connect_init + tcp_connect.
    func sendSyn() {
        let s = stack.sysctls
        let headerExtra = s.tcpTimestamps != 0 ? timestampOptionLength : 0
        if userMSS > 0 { mssClamp = userMSS }
        maxWindow = 0
        syncMSS(pmtu: stack.addresses.mtu, headerExtra: headerExtra)
        let routeAdvmss = withStack { $0.routeMSS(ipv6: isIPv6Connection) }
        advmss = (userMSS > 0 && userMSS < routeAdvmss) ? userMSS : routeAdvmss
        initializeReceiveMSS()
        var clamp = UInt32(windowClampOption)
        let full = fullSpaceWithRatio(scalingRatio)
        if receiveBufferLocked && (clamp > UInt32(full) || clamp == 0) { clamp = UInt32(full) }
        let initial = selectInitialWindow(space: full, mss: advmss - (tsRecentStamp != 0 ? headerExtra : 0),
                                          windowClamp: clamp, wscaleOK: s.tcpWindowScaling != 0)
        rcvWnd = initial.window
        windowClamp = initial.clamp
        rcvWscale = initial.wscale
        rcvSsthresh = rcvWnd
        error = 0
        sockDone = false
        sndWnd = 0
        sndWl1 = SequenceNumber(0)
        sendQueue.removeAll()
        withStack { $0.giveSpareStorage(to: self) }
        sendHead = 0
        sndUna = writeSeq
        sndSml = writeSeq
        sndUp = writeSeq
        sndNxt = writeSeq
        rcvNxt = SequenceNumber(0)
        rcvWup = rcvNxt
        copiedSeq = rcvNxt
        rto = initialRTO
        retransmits = 0
        synRetransmits = 0
        // The SYN record.
        var syn = SendRecord(seq: writeSeq, endSeq: writeSeq + 1, flags: [.syn])
        syn.headerTruesize = sendSkbOverhead
        chargeSend(sendSkbOverhead)
        writeSeq += 1
        sendDataBase = writeSeq
        retransStamp = stack.now
        synSentTime = stack.now
        sendQueue.append(syn)
        transmit(seq: syn.seq, flags: [.syn], payloadOffset: 0, payloadLength: 0, countAsNew: true)
        sendQueue[0].txTime = stack.now
        sendQueue[0].firstTxTime = stack.now
        sndNxt = writeSeq
        pushedSeq = writeSeq
        sendHead = 1
        packetsOut = 1
        stack.counters.increment(.tcpActiveOpens)
        resetRetransmitTimer(.retrans, after: rto)
    }

    /// A segment in SYN_SENT. Returns true when the caller must send a reset.
    /// Mirrors tcp_rcv_synsent_state_process.
    func receiveSynSent(_ seg: InboundSegment, _ raw: UnsafeRawBufferPointer) -> Bool {
        let o = seg.options
        var tsecr = o.tsEcr
        if o.hasTimestamp && tsecr != 0 { tsecr = tsecr &- tsOffset }
        if seg.hasAck {
            if seg.ack <= sndUna || seg.ack > sndNxt {
                if retransmits == 0 { resetRetransmitTimer(.retrans, after: 2000) }
                return true
            }
            if o.hasTimestamp && tsecr != 0 && stack.sysctls.tcpTimestamps != 0 {
                let sent = UInt32(truncatingIfNeeded: (stack.clockBase + synSentTime) / 1000)
                let nowTS = stack.timestampClock
                if !(tsecr &- sent <= nowTS &- sent) {
                    stack.counters.increment(.tcpExtPAWSActive)
                    return true
                }
            }
            if seg.isRst {
                reset(from: seg)
                return false
            }
            guard seg.isSyn else { return false }
            // Options of the SYN-ACK.
            parseSynOptions(o)
            if fastOpenRequest {
                // tcp_rcv_fastopen_synack: remember the server's cookie.
                if let cookie = o.cookie { stack.fastOpenCookies[seg.source] = cookie }
                fastOpenRequest = false
                fastOpenCookie = nil
            }
            sndWl1 = seg.seq
            _ = processAck(seg, raw, flags: [.slowPath])
            rcvNxt = seg.seq + 1
            rcvWup = rcvNxt
            sndWnd = UInt32(seg.window)
            if !wscaleOK {
                sndWscale = 0
                rcvWscale = 0
                windowClamp = min(windowClamp, 65535)
            }
            if o.hasTimestamp && stack.sysctls.tcpTimestamps != 0 {
                timestampOK = true
                advmss -= timestampOptionLength
                tsRecent = o.tsVal
                tsRecentStamp = stack.seconds
            }
            syncMSS(pmtu: stack.addresses.mtu)
            initializeReceiveMSS()
            copiedSeq = rcvNxt
            finishConnect()
            wakeWaiters()
            if deferAcceptSeconds > 0 || isPingPong {
                ackPending |= AckPendingBits.sched
                enterQuickAckMode(16)
                resetDelackTimer(after: 200_000)
                return false
            }
            sendAck()
            return false
        }
        if seg.isRst { return false }
        if tsRecentStamp != 0 && o.hasTimestamp
            && pawsRejects(tsRecent: tsRecent, tsRecentStamp: tsRecentStamp, tsVal: o.tsVal, isRst: false, nowSeconds: stack.seconds) {
            return false
        }
        if seg.isSyn {
            // Simultaneous open.
            state = .synReceived
            parseSynOptions(o)
            if o.hasTimestamp && stack.sysctls.tcpTimestamps != 0 {
                timestampOK = true
                tsRecent = o.tsVal
                tsRecentStamp = stack.seconds
            }
            rcvNxt = seg.seq + 1
            copiedSeq = rcvNxt
            rcvWup = rcvNxt
            sndWnd = UInt32(seg.window)
            sndWl1 = seg.seq
            maxWindow = sndWnd
            syncMSS(pmtu: stack.addresses.mtu)
            initializeReceiveMSS()
            sendSynAckFromSocket()
            return false
        }
        return false
    }

    /// The SYN options of a SYN-ACK (or crossed SYN): MSS, window scale, SACK.
    func parseSynOptions(_ o: SegmentOptions) {
        let s = stack.sysctls
        if let m = o.mss, m > 0 {
            var v = Int(m)
            if userMSS > 0 && userMSS < v { v = userMSS }
            mssClamp = v
        } else {
            mssClamp = userMSS > 0 ? min(userMSS, defaultMSS) : defaultMSS
        }
        if let ws = o.windowScale, s.tcpWindowScaling != 0 {
            wscaleOK = true
            sndWscale = min(ws, 14)
        } else {
            wscaleOK = false
        }
        sackOK = o.sackPermitted && s.tcpSack != 0
    }

    /// tcp_send_synack for a socket in SYN_RECV after crossed SYNs: the SYN in
    /// the retransmission queue gains ACK and goes out again with the options
    /// of our own SYN (tcp_syn_options follows the sysctls, not what the peer
    /// offered); its retransmissions are SYN-ACKs too.
    func sendSynAckFromSocket() {
        guard sendHead > 0, sendQueue[0].flags.contains(.syn) else { return }
        sendQueue[0].flags.insert(.ack)
        // Not counted in TcpOutSegs: the skb ends at snd_nxt and is not empty.
        transmit(seq: sendQueue[0].seq, flags: [.syn, .ack], payloadOffset: 0, payloadLength: 0, countAsNew: false)
    }

    /// tcp_finish_connect.
    func finishConnect() {
        setState(.established)
        if sndWscale == 0 { fastPathOn() } else { fastPathWindow = nil }
        ackLrcvtime = stack.now
        initTransfer()
        lastSndTime = stack.now
        if keepaliveEnabled { resetKeepaliveTimer(keepaliveTimeWhen) }
    }

    /// tcp_init_transfer: initial cwnd, metrics, buffer space.
    func initTransfer() {
        if srttUs == 0 {
            // tcp_init_metrics: no RTT sample from the handshake.
            rttvarUs = UInt32(fallbackRTO)
            mdevUs = rttvarUs
            mdevMaxUs = rttvarUs
            rto = fallbackRTO
        }
        ssthresh = 0x7fff_ffff
        if totalRetrans > 1 && undoMarker.rawValue != 0 {
            cwnd = 1
        } else {
            cwnd = 10
        }
        cwndStamp = stack.now
        congestionInit()
        initBufferSpace()
        updatePacingRate()
    }

    /// tcp_sync_mss: the MSS for sending, from the path MTU and the peer's clamp.
    func syncMSS(pmtu: Int, headerExtra: Int? = nil) {
        let ipHeader = isIPv6Connection ? 40 : 20
        var mss = pmtu - ipHeader - 20
        if mss > mssClamp { mss = mssClamp }
        if mss < stack.sysctls.tcpMinSndMss { mss = stack.sysctls.tcpMinSndMss }
        mss -= headerExtra ?? (timestampOK ? timestampOptionLength : 0)
        mss = boundToHalfWindow(mss)
        mssCache = max(1, mss)
    }

    /// tcp_bound_to_half_wnd.
    func boundToHalfWindow(_ size: Int) -> Int {
        let cutoff: Int
        if maxWindow > UInt32(defaultMSS) {
            cutoff = Int(maxWindow >> 1)
        } else {
            cutoff = Int(maxWindow)
        }
        if cutoff > 0 && size > cutoff {
            return max(cutoff, 68 - 20 - (timestampOK ? timestampOptionLength : 0))
        }
        return size
    }

    /// tcp_initialize_rcv_mss.
    func initializeReceiveMSS() {
        var hint = min(advmss, mssCache)
        hint = min(hint, Int(rcvWnd / 2))
        hint = min(hint, defaultMSS)
        hint = max(hint, 88)
        ackRcvMss = hint
    }

    /// tcp_select_initial_window: the first receive window, its clamp and the
    /// window scale to offer.
    func selectInitialWindow(space rawSpace: Int, mss: Int, windowClamp clamp: UInt32, wscaleOK: Bool)
        -> (window: UInt32, clamp: UInt32, wscale: UInt8) {
        var space = UInt32(max(0, rawSpace))
        var windowClamp = clamp
        if windowClamp == 0 { windowClamp = 65535 << 14 }
        space = min(windowClamp, space)
        if mss > 0 && space > UInt32(mss) { space = space / UInt32(mss) * UInt32(mss) }
        var window = space
        if stack.sysctls.tcpWorkaroundSignedWindows != 0 { window = min(space, 32767) }
        var wscale: UInt8 = 0
        if wscaleOK {
            var s = max(space, UInt32(max(0, stack.sysctls.tcpRmem.max)))
            s = max(s, UInt32(max(0, stack.sysctls.coreRmemMax)))
            s = min(s, windowClamp)
            let log = s == 0 ? 0 : (31 - s.leadingZeroBitCount)
            wscale = UInt8(min(max(log - 15, 0), 14))
        }
        let newClamp = min(UInt32(65535) << UInt32(wscale), windowClamp)
        return (window, newClamp, wscale)
    }
}

extension IPAddress {
    var isIPv6: Bool { if case .v6 = self { true } else { false } }
}

extension NetworkStack {
    /// An initial sequence number for a connection (secure_tcp_seq): deterministic
    /// from the seed.
    func initialSequence(_ tuple: FourTuple) -> SequenceNumber {
        SequenceNumber(randomUInt32())
    }

    /// A per-connection timestamp offset (secure_tcp_ts_off).
    func timestampOffset(_ tuple: FourTuple) -> UInt32 {
        randomUInt32()
    }
}
