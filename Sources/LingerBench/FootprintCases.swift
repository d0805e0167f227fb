import LingerStack

/// What a memory measurement found.
public struct FootprintMeasurement: Sendable {
    /// How many entries or connections were alive when measured.
    public var count: Int
    /// malloc's bytes per entry (the figure reported).
    public var allocatedBytesPerEntry: Double
    /// Resident-set bytes per entry (a cross-check: includes malloc's free pages).
    public var residentBytesPerEntry: Double
    /// Wall seconds spent building them.
    public var buildSeconds: Double
}

/// The Linger sides of the memory and timer cases.
public enum FootprintCases {
    /// Connections opened before the baseline, so that one-time allocations
    /// (the listener's, the tables' first growth) are not charged to the entries.
    static let warmUp = 1000

    /// Bytes per TIME_WAIT entry with `count` of them alive: connections opened and
    /// closed one by one from the stack's side, each leaving its entry.
    public static func timeWaitBytes(count: Int) throws(BenchError) -> FootprintMeasurement {
        let farm = try ConnectionFarm()
        try farm.openAndCloseIntoTimeWait(warmUp)
        return try measure(farm, count: count, what: "TIME_WAIT entries", alive: { $0.stack.timeWaitEntryCount }) {
            (farm: ConnectionFarm) throws(BenchError) in try farm.openAndCloseIntoTimeWait(count)
        }
    }

    /// Bytes per idle established connection with `count` of them open, each
    /// accepted onto its own descriptor.
    public static func establishedBytes(count: Int) throws(BenchError) -> FootprintMeasurement {
        let farm = try ConnectionFarm(descriptors: Int32(count + warmUp + 100))
        try farm.open(warmUp)
        farm.reserve(count)
        return try measure(farm, count: count, what: "established connections", alive: { $0.stack.establishedHashCount }) {
            (farm: ConnectionFarm) throws(BenchError) in try farm.open(count)
        }
    }

    /// Builds `count` more entries with `build`, checks that `alive` then counts
    /// them all (with the warm-up ones), and divides the memory they took.
    private static func measure(
        _ farm: ConnectionFarm, count: Int, what: String, alive: (ConnectionFarm) -> Int,
        build: (ConnectionFarm) throws(BenchError) -> Void
    ) throws(BenchError) -> FootprintMeasurement {
        let before = MemoryUsage.current()
        let start = monotonicNanoseconds()
        try build(farm)
        let seconds = Double(monotonicNanoseconds() - start) / 1e9
        let after = MemoryUsage.current()
        let found = alive(farm)
        guard found == count + warmUp else {
            throw BenchError("expected \(count + warmUp) \(what) on the Linger stack, found \(found)")
        }
        return withExtendedLifetime(farm) {
            FootprintMeasurement(
                count: count, allocatedBytesPerEntry: Double(after.allocatedBytes - before.allocatedBytes) / Double(count),
                residentBytesPerEntry: Double(after.residentBytes - before.residentBytes) / Double(count),
                buildSeconds: seconds)
        }
    }
}

/// What the timer case found.
public struct TimerMeasurement: Sendable {
    /// Connections with timers armed.
    public var connections: Int
    /// Timers armed in the stack when measured.
    public var armedTimers: Int
    /// Nanoseconds for one `advance(to: now + 1 s)` with no timer due.
    public var advanceOneSecondNanoseconds: Double
    /// Nanoseconds for the same second advanced in 1,000 steps of 1 ms (a
    /// real-time driver's pattern), in total.
    public var advanceInMillisecondStepsNanoseconds: Double
    /// Nanoseconds for one schedule + reschedule + cancel on a timer wheel
    /// holding as many timers as the stack.
    public var timerOperationNanoseconds: Double
}

extension FootprintCases {
    /// `count` established connections with SO_KEEPALIVE on and one
    /// unacknowledged byte each (keepalive and retransmission timers armed);
    /// the clock is moved past the first retransmissions until the next timer
    /// is more than two seconds away, then one virtual second is timed.
    public static func timerAdvance(count: Int) throws(BenchError) -> TimerMeasurement {
        let farm = try ConnectionFarm(descriptors: Int32(count + 100))
        farm.reserve(count)
        try farm.open(count)
        try farm.enableKeepalive()
        try farm.sendUnacknowledgedByte()
        let stack = farm.stack
        var rounds = 0
        while let next = stack.nextDeadline(), next < stack.now + 2_100_000 {
            farm.advance(to: next)
            rounds += 1
            guard rounds < 1000 else { throw BenchError("timers keep falling due on the Linger stack") }
        }
        // One second, one call.
        var start = monotonicNanoseconds()
        stack.advance(to: stack.now + 1_000_000)
        let oneCall = Double(monotonicNanoseconds() - start)
        guard stack.outboundCount == 0 else { throw BenchError("a timer fired during the measured second") }
        // The next second in 1 ms steps.
        let base = stack.now
        start = monotonicNanoseconds()
        for step in 1...1000 { stack.advance(to: base + Int64(step) * 1000) }
        let steps = Double(monotonicNanoseconds() - start)
        guard stack.outboundCount == 0 else { throw BenchError("a timer fired during the measured second") }
        let armed = stack.armedTimerCount
        let operation = timerOperationCost(loadedWith: armed)
        return withExtendedLifetime(farm) {
            TimerMeasurement(connections: count, armedTimers: armed, advanceOneSecondNanoseconds: oneCall,
                             advanceInMillisecondStepsNanoseconds: steps, timerOperationNanoseconds: operation)
        }
    }

    /// Nanoseconds per schedule + reschedule + cancel of one timer on a wheel
    /// already holding `load` timers spread over two hours.
    static func timerOperationCost(loadedWith load: Int) -> Double {
        let wheel = TimerWheel<Int>(now: 1_000_000)
        var seed: UInt64 = 0x9e37_79b9_7f4a_7c15
        func nextRandom() -> Int64 {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int64(seed >> 33)
        }
        for i in 0..<load { _ = wheel.schedule(at: 1_000_000 + nextRandom() % 7_200_000_000, i) }
        let operations = 200_000
        let start = monotonicNanoseconds()
        for i in 0..<operations {
            let handle = wheel.schedule(at: 1_200_000 + nextRandom() % 1_000_000, i)
            wheel.reschedule(handle, at: 1_400_000 + nextRandom() % 120_000_000)
            wheel.cancel(handle)
        }
        return Double(monotonicNanoseconds() - start) / Double(operations)
    }
}
