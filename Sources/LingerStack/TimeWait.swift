import LingerWire

/// A compact time-wait entry (inet_timewait_sock + tcp_timewait_sock): what a
/// connection keeps of itself in TIME_WAIT, or in FIN_WAIT2 after an orphaned
/// close with a short timeout. The full socket is gone; this holds only what
/// tcp_timewait_state_process needs.
struct TimeWaitEntry {
    /// Which state the entry stands for.
    enum Substate: UInt8 { case timeWait = 6, finWait2 = 5 }

    var tuple: FourTuple
    var substate: Substate
    var sndNxt: SequenceNumber
    var rcvNxt: SequenceNumber
    var rcvWindow: UInt32
    var rcvWscale: UInt8
    var tsRecent: UInt32
    var tsRecentStamp: Int64
    var tsOffset: UInt32
    var timestampOK: Bool
    var reuse: Bool
    var tos: UInt8
    var lastOOWAck: Int64
    var timer: TimerHandle?
    var expires: Int64
    /// When the connection entered time-wait (tw_entry_stamp).
    var entryStamp: Int64
    /// The socket's family (tw_family): AF_INET6 for a v4-mapped connection too.
    var family: Int32 = AF_INET
    /// The id of the socket it replaced: Linux's entry keeps the socket's cookie.
    var socketID: UInt64 = 0
}

/// Outcome of a segment meeting a time-wait entry (enum tcp_tw_status).
enum TimeWaitVerdict {
    case success
    case ack
    case reset
    case syn(isn: SequenceNumber)
}

/// TCP_TIMEWAIT_LEN: 60 s.
let timeWaitLength: Int64 = 60_000_000

extension NetworkStack {
    /// Replaces `sk` by a time-wait entry in `substate` lasting `timeout` (0 means
    /// TCP_TIMEWAIT_LEN), then finishes the socket. Mirrors tcp_time_wait.
    func enterTimeWait(_ sk: TCPSocket, substate: TimeWaitEntry.Substate, timeout: Int64) {
        guard let tuple = sk.tuple else {
            sk.done()
            return
        }
        if timeWait.count >= sysctls.tcpMaxTwBuckets {
            counters.increment(.tcpExtTCPTimeWaitOverflow)
            sk.done()
            return
        }
        let length = timeout > 0 ? max(timeout, 0) : timeWaitLength
        var entry = TimeWaitEntry(
            tuple: tuple, substate: substate, sndNxt: sk.sndNxt, rcvNxt: sk.rcvNxt,
            rcvWindow: sk.receiveWindow, rcvWscale: sk.rcvWscale,
            tsRecent: sk.tsRecent, tsRecentStamp: sk.tsRecentStamp, tsOffset: sk.tsOffset,
            timestampOK: sk.timestampOK, reuse: sk.reuseAddress, tos: sk.tosByte,
            lastOOWAck: sk.lastOOWAckTime, timer: nil, expires: now + length, entryStamp: now, family: sk.family,
            socketID: sk.id)
        // Linux rounds the time-wait timer onto a coarse timer-wheel slot.
        entry.timer = schedule(at: now + length, .timeWait(tuple))
        // __inet_twsk_schedule: a short-lived entry counts as killed, the rest as TW.
        counters.increment(length <= 4_000_000 ? .tcpExtTWKilled : .tcpExtTW)
        // The entry takes over the connection's place in the tables.
        unhashEstablished(sk)
        timeWait[tuple] = entry
        sk.done()
    }

    func timeWaitTimerFired(tuple: FourTuple, handle: TimerHandle) {
        guard let entry = timeWait[tuple], entry.timer == handle else { return }
        timeWait[tuple] = nil
    }

    /// Removes a time-wait entry now (inet_twsk_deschedule_put).
    func killTimeWait(_ tuple: FourTuple) {
        guard let entry = timeWait[tuple] else { return }
        if let h = entry.timer { timers.cancel(h) }
        timeWait[tuple] = nil
    }

    private func rescheduleTimeWait(_ entry: inout TimeWaitEntry, _ length: Int64) {
        if let h = entry.timer { timers.cancel(h) }
        entry.expires = now + length
        entry.timer = schedule(at: now + length, .timeWait(entry.tuple))
    }

    /// A segment for a time-wait 4-tuple. Mirrors the do_time_wait part of tcp_v4_rcv.
    func timeWaitReceive(_ seg: InboundSegment, _ raw: UnsafeRawBufferPointer, tuple: FourTuple) {
        guard var entry = timeWait[tuple] else { return }
        let verdict = timeWaitStateProcess(&entry, seg)
        if timeWait[tuple] != nil { timeWait[tuple] = entry }
        switch verdict {
        case .success:
            break
        case .ack:
            timeWaitAck(entry)
        case .reset:
            sendResetForSegment(seg)
            killTimeWait(tuple)
        case .syn(let isn):
            if let listener = lookupListener(address: seg.destination, port: seg.destinationPort) {
                killTimeWait(tuple)
                listener.segsIn &+= 1
                if listener.listenReceive(seg, raw, timeWaitISN: isn) { sendResetForSegment(seg) }
            } else {
                timeWaitAck(entry)
            }
        }
    }

    /// tcp_v4_timewait_ack.
    func timeWaitAck(_ entry: TimeWaitEntry) {
        let window = UInt16(truncatingIfNeeded: min(entry.rcvWindow >> UInt32(entry.rcvWscale), 65535))
        let ts: (UInt32, UInt32)? = entry.timestampOK ? (timestampClock &+ entry.tsOffset, entry.tsRecent) : nil
        sendBareAck(tuple: entry.tuple, seq: entry.sndNxt, ack: entry.rcvNxt, window: window, timestamp: ts, tos: entry.tos)
    }

    /// Decides what a segment does to a time-wait entry. Mirrors tcp_timewait_state_process.
    func timeWaitStateProcess(_ tw: inout TimeWaitEntry, _ seg: InboundSegment) -> TimeWaitVerdict {
        var pawsReject = false
        if tw.tsRecentStamp != 0, seg.options.hasTimestamp {
            pawsReject = pawsRejects(tsRecent: tw.tsRecent, tsRecentStamp: tw.tsRecentStamp,
                                     tsVal: seg.options.tsVal, isRst: seg.isRst, nowSeconds: seconds)
        }
        if tw.substate == .finWait2 {
            let inWindow = sequenceInWindow(seg.seq, seg.endSeq, tw.rcvNxt, tw.rcvNxt + Int(tw.rcvWindow))
            if pawsReject || !inWindow {
                return outOfWindowRateLimited(seg, last: &tw.lastOOWAck) ? .success : .ack
            }
            if seg.isRst {
                killTimeWait(tw.tuple)
                return .success
            }
            if seg.isSyn && seg.seq >= tw.rcvNxt { return .reset }
            if !seg.hasAck || seg.endSeq <= tw.rcvNxt || seg.endSeq == seg.seq { return .success }
            if !seg.isFin || seg.endSeq != tw.rcvNxt + 1 { return .reset }
            tw.substate = .timeWait
            tw.rcvNxt = seg.endSeq
            if seg.options.hasTimestamp {
                tw.tsRecentStamp = seconds
                tw.tsRecent = seg.options.tsVal
            }
            rescheduleTimeWait(&tw, timeWaitLength)
            return .ack
        }
        if !pawsReject && seg.seq == tw.rcvNxt && (seg.seq == seg.endSeq || seg.isRst) {
            if seg.isRst {
                if sysctls.tcpRfc1337 == 0 {
                    killTimeWait(tw.tuple)
                    return .success
                }
            } else {
                rescheduleTimeWait(&tw, timeWaitLength)
            }
            if seg.options.hasTimestamp {
                tw.tsRecent = seg.options.tsVal
                tw.tsRecentStamp = seconds
            }
            return .success
        }
        if seg.isSyn && !seg.isRst && !seg.hasAck && !pawsReject
            && (seg.seq > tw.rcvNxt
                || (seg.options.hasTimestamp && Int32(bitPattern: tw.tsRecent &- seg.options.tsVal) < 0)) {
            var isn = tw.sndNxt + 65537
            if isn.rawValue == 0 { isn = SequenceNumber(1) }
            return .syn(isn: isn)
        }
        if pawsReject { counters.increment(.tcpExtPAWSEstab) }
        if !seg.isRst {
            if pawsReject || seg.hasAck { rescheduleTimeWait(&tw, timeWaitLength) }
            return outOfWindowRateLimited(seg, last: &tw.lastOOWAck) ? .success : .ack
        }
        return .success
    }
}

/// tcp_in_window: the segment overlaps the window `start..<end` (zero-length
/// segments at the window's left edge count).
func sequenceInWindow(_ seq: SequenceNumber, _ endSeq: SequenceNumber, _ start: SequenceNumber, _ end: SequenceNumber) -> Bool {
    if seq == start { return true }
    if endSeq > start && seq < end { return true }
    return false
}

/// tcp_paws_check: whether a timestamp passes PAWS with a replay window of `window`
/// (ts_recent older than 24 days, or zero, passes everything).
func pawsCheck(tsRecent: UInt32, tsRecentStamp: Int64, tsVal: UInt32, window: Int32, nowSeconds: Int64) -> Bool {
    if Int32(bitPattern: tsRecent &- tsVal) <= window { return true }
    if nowSeconds >= tsRecentStamp + Int64(Int32.max / 1_000_000) { return true }
    if tsRecent == 0 { return true }
    return false
}

/// tcp_paws_reject: a timestamp older than ts_recent is rejected; a RST passes once
/// ts_recent is older than TCP_PAWS_MSL (60 s).
func pawsRejects(tsRecent: UInt32, tsRecentStamp: Int64, tsVal: UInt32, isRst: Bool, nowSeconds: Int64) -> Bool {
    if pawsCheck(tsRecent: tsRecent, tsRecentStamp: tsRecentStamp, tsVal: tsVal, window: 0, nowSeconds: nowSeconds) {
        return false
    }
    if isRst && nowSeconds >= tsRecentStamp + 60 { return false }
    return true
}
