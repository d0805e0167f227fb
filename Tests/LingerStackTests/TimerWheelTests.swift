import Testing
@testable import LingerStack

/// Deterministic generator for the randomized tests (SplitMix64).
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in 0..<n (n > 0), for the randomized tests' choices.
    mutating func next(below n: Int) -> Int { Int(next() % UInt64(n)) }
}

/// The obvious model: a list of (deadline, order, id); due ones fire sorted.
struct ReferenceTimers {
    var timers: [(deadline: Int64, order: Int, id: Int)] = []
    var order = 0

    mutating func schedule(_ id: Int, at deadline: Int64) {
        timers.append((deadline, order, id))
        order += 1
    }

    mutating func cancel(_ id: Int) -> Bool {
        guard let index = timers.firstIndex(where: { $0.id == id }) else { return false }
        timers.remove(at: index)
        return true
    }

    mutating func reschedule(_ id: Int, at deadline: Int64) -> Bool {
        guard cancel(id) else { return false }
        schedule(id, at: deadline)
        return true
    }

    var next: Int64? { timers.map(\.deadline).min() }

    mutating func popDue(by time: Int64) -> (deadline: Int64, id: Int)? {
        var best: Int?
        for (index, timer) in timers.enumerated() where timer.deadline <= time {
            if let current = best {
                let other = timers[current]
                if (timer.deadline, timer.order) < (other.deadline, other.order) { best = index }
            } else {
                best = index
            }
        }
        guard let best else { return nil }
        let timer = timers.remove(at: best)
        return (timer.deadline, timer.id)
    }
}

@Test func firesInDeadlineOrderAndNeverEarly() {
    let wheel = TimerWheel<String>(now: 0)
    _ = wheel.schedule(at: 300, "c")
    _ = wheel.schedule(at: 100, "a")
    _ = wheel.schedule(at: 200, "b")
    var fired: [(Int64, String)] = []
    wheel.advance(to: 199) { _, payload in fired.append((wheel.now, payload)) }
    #expect(fired.map(\.1) == ["a"])
    #expect(fired.first?.0 == 100)
    #expect(wheel.now == 199)
    wheel.advance(to: 1000) { _, payload in fired.append((wheel.now, payload)) }
    #expect(fired.map(\.1) == ["a", "b", "c"])
    #expect(fired.map(\.0) == [100, 200, 300])
    #expect(wheel.count == 0)
    #expect(wheel.nextDeadline() == nil)
}

@Test func tiesFireInSchedulingOrderAcrossLevels() {
    let wheel = TimerWheel<Int>(now: 0)
    // Scheduled far ahead first (high level), then the same deadline when close.
    _ = wheel.schedule(at: 5_000_000, 1)
    wheel.advance(to: 4_999_990) { _, _ in }
    _ = wheel.schedule(at: 5_000_000, 2)
    _ = wheel.schedule(at: 5_000_000, 3)
    var fired: [Int] = []
    wheel.advance(to: 5_000_000) { _, payload in fired.append(payload) }
    #expect(fired == [1, 2, 3])
}

@Test func cancelIsHarmlessOnStaleHandles() {
    let wheel = TimerWheel<Int>(now: 0)
    let first = wheel.schedule(at: 10, 1)
    #expect(wheel.isScheduled(first))
    #expect(wheel.deadline(of: first) == 10)
    #expect(wheel.cancel(first) == 1)
    #expect(wheel.cancel(first) == nil)
    #expect(!wheel.isScheduled(first))
    // The slot is reused; the old handle must not reach the new timer.
    let second = wheel.schedule(at: 20, 2)
    #expect(second != first)
    #expect(wheel.cancel(first) == nil)
    #expect(wheel.isScheduled(second))
    var fired: [Int] = []
    wheel.advance(to: 100) { handle, payload in
        #expect(!wheel.isScheduled(handle))
        fired.append(payload)
    }
    #expect(fired == [2])
    #expect(wheel.cancel(second) == nil)
    #expect(wheel.reschedule(second, at: 500) == false)
}

/// A payload that counts its own deinits, to see the wheel own payloads exactly.
final class CountedPayload {
    let id: Int
    let deinits: DeinitCounter
    init(_ id: Int, _ deinits: DeinitCounter) {
        self.id = id
        self.deinits = deinits
    }
    deinit { deinits.count += 1 }
}

final class DeinitCounter {
    var count = 0
}

@Test func dropDestroysThePayloadAndIgnoresStaleHandles() {
    let deinits = DeinitCounter()
    let wheel = TimerWheel<CountedPayload>(now: 0)
    let dropped = wheel.schedule(at: 10, CountedPayload(1, deinits))
    let kept = wheel.schedule(at: 20, CountedPayload(2, deinits))
    wheel.drop(dropped)
    #expect(deinits.count == 1)
    #expect(!wheel.isScheduled(dropped))
    #expect(wheel.count == 1)
    wheel.drop(dropped)  // stale: nothing happens
    #expect(deinits.count == 1)
    // The freed slot is reused; the stale handle must not drop the new timer.
    let reused = wheel.schedule(at: 30, CountedPayload(3, deinits))
    wheel.drop(dropped)
    #expect(wheel.isScheduled(reused))
    var fired: [Int] = []
    wheel.advance(to: 100) { _, payload in fired.append(payload.id) }
    #expect(fired == [2, 3])
    #expect(deinits.count == 3)
    #expect(!wheel.isScheduled(kept))
}

@Test func payloadsSurviveGrowthAndAreReleasedWithTheWheel() {
    let deinits = DeinitCounter()
    var handles: [TimerHandle] = []
    do {
        let wheel = TimerWheel<CountedPayload>(now: 0)
        // Enough timers to grow the slot storage several times, with freed
        // slots (not holding payloads) among the live ones as it grows.
        for id in 0..<300 {
            handles.append(wheel.schedule(at: Int64(1_000 + id), CountedPayload(id, deinits)))
            if id % 3 == 0 { wheel.drop(handles[id]) }
        }
        #expect(deinits.count == 100)
        for id in 0..<300 where id % 3 == 1 {
            #expect(wheel.payload(of: handles[id])?.id == id)
            #expect(wheel.cancel(handles[id])?.id == id)
        }
        #expect(deinits.count == 200)
        #expect(wheel.count == 100)
    }
    // The wheel is gone: the payloads of the timers still armed went with it.
    #expect(deinits.count == 300)
}

@Test func callbackMayArmTimersDueInTheSameAdvance() {
    let wheel = TimerWheel<String>(now: 0)
    _ = wheel.schedule(at: 10, "first")
    _ = wheel.schedule(at: 50, "later")
    var fired: [(Int64, String)] = []
    wheel.advance(to: 100) { _, payload in
        fired.append((wheel.now, payload))
        if payload == "first" {
            _ = wheel.schedule(at: 30, "re-armed")  // before "later", within this advance
            _ = wheel.schedule(at: 10, "same instant")  // ties with the one firing now
            _ = wheel.schedule(at: 200, "next time")
        }
    }
    #expect(fired.map(\.1) == ["first", "same instant", "re-armed", "later"])
    #expect(fired.map(\.0) == [10, 10, 30, 50])
    #expect(wheel.nextDeadline() == 200)
}

@Test func callbackMayCancelAPendingTimer() {
    let wheel = TimerWheel<Int>(now: 0)
    _ = wheel.schedule(at: 5, 1)
    let victim = wheel.schedule(at: 5, 2)
    _ = wheel.schedule(at: 6, 3)
    var fired: [Int] = []
    wheel.advance(to: 10) { _, payload in
        fired.append(payload)
        if payload == 1 { wheel.cancel(victim) }
    }
    #expect(fired == [1, 3])
}

@Test func farFutureTimersAndBigJumps() {
    let wheel = TimerWheel<Int>(now: 1_000)
    let day: Int64 = 86_400_000_000
    _ = wheel.schedule(at: 1_000 + 7200 * 1_000_000, 1)  // keepalive, two hours
    _ = wheel.schedule(at: 1_000 + 30 * day, 2)
    _ = wheel.schedule(at: Int64.max, 3)
    _ = wheel.schedule(at: 1_000 + 60_000_000, 4)  // TIME_WAIT
    let first = wheel.nextDeadline()
    #expect(first == Int64(60_001_000))
    var fired: [(Int64, Int)] = []
    wheel.advance(to: 1_000 + 10 * day) { _, payload in fired.append((wheel.now, payload)) }
    #expect(fired.map(\.1) == [4, 1])
    let expectedTimes: [Int64] = [60_001_000, 7_200_001_000]
    #expect(fired.map(\.0) == expectedTimes)
    let following = wheel.nextDeadline()
    #expect(following == 1_000 + 30 * day)
    wheel.advance(to: Int64.max) { _, payload in fired.append((wheel.now, payload)) }
    #expect(fired.map(\.1) == [4, 1, 2, 3])
    #expect(fired.last?.0 == Int64.max)
}

@Test func pastDeadlinesFireAtTheNextAdvance() {
    let wheel = TimerWheel<Int>(now: -500)
    _ = wheel.schedule(at: -1_000, 1)  // before the wheel's origin
    _ = wheel.schedule(at: -500, 2)
    #expect(wheel.nextDeadline() == -1_000)
    var fired: [Int] = []
    wheel.advance(to: -500) { _, payload in fired.append(payload) }
    #expect(fired == [1, 2])
}

@Test func rescheduleMovesATimerAndKeepsItsHandle() {
    let wheel = TimerWheel<Int>(now: 0)
    let handle = wheel.schedule(at: 1_000_000, 7)
    _ = wheel.schedule(at: 500, 8)
    #expect(wheel.reschedule(handle, at: 100))
    #expect(wheel.deadline(of: handle) == 100)
    #expect(wheel.nextDeadline() == 100)
    var fired: [(TimerHandle, Int)] = []
    wheel.advance(to: 1_000_000) { fired.append(($0, $1)) }
    #expect(fired.map(\.1) == [7, 8])
    #expect(fired.first?.0 == handle)
}

@Test func matchesTheReferenceModelOnRandomOperations() {
    for seed in [UInt64(1), 42, 2024] {
        var random = SeededGenerator(state: seed)
        let wheel = TimerWheel<Int>(now: 0)
        var model = ReferenceTimers()
        var handles: [Int: TimerHandle] = [:]
        var now: Int64 = 0
        var nextID = 0
        var mismatches = 0
        // Deadline spreads from microseconds to days, to exercise every level.
        let spreads: [Int64] = [0, 64, 4096, 262_144, 60_000_000, 86_400_000_000]
        for _ in 0..<4000 {
            let choice = Int.random(in: 0..<10, using: &random)
            switch choice {
            case 0..<5:
                let spread = spreads.randomElement(using: &random) ?? 64
                let deadline = now + Int64.random(in: -5...max(spread, 1), using: &random)
                let id = nextID
                nextID += 1
                handles[id] = wheel.schedule(at: deadline, id)
                model.schedule(id, at: deadline)
            case 5:
                guard let id = handles.keys.sorted().randomElement(using: &random), let handle = handles[id] else { continue }
                let cancelled = wheel.cancel(handle)
                if (cancelled != nil) != model.cancel(id) { mismatches += 1 }
                if let cancelled, cancelled != id { mismatches += 1 }
            case 6:
                guard let id = handles.keys.sorted().randomElement(using: &random), let handle = handles[id] else { continue }
                let deadline = now + Int64.random(in: 0...1_000_000, using: &random)
                if wheel.reschedule(handle, at: deadline) != model.reschedule(id, at: deadline) { mismatches += 1 }
            default:
                if wheel.nextDeadline() != model.next { mismatches += 1 }
                let step = spreads.randomElement(using: &random) ?? 64
                let target = now + Int64.random(in: 0...max(step, 1), using: &random)
                var fired: [(Int64, Int)] = []
                wheel.advance(to: target) { _, id in
                    fired.append((wheel.now, id))
                    // Re-arm some from inside the callback, possibly due now.
                    if id % 7 == 0, id < 1_000_000 {
                        let newID = id + 1_000_000
                        handles[newID] = wheel.schedule(at: wheel.now + Int64(id % 3) * 10, newID)
                    }
                }
                var expected: [(Int64, Int)] = []
                var clock = now
                while let due = model.popDue(by: target) {
                    clock = max(clock, due.deadline)
                    expected.append((clock, due.id))
                    if due.id % 7 == 0, due.id < 1_000_000 {
                        model.schedule(due.id + 1_000_000, at: clock + Int64(due.id % 3) * 10)
                    }
                }
                if fired.map(\.1) != expected.map(\.1) || fired.map(\.0) != expected.map(\.0) { mismatches += 1 }
                now = target
            }
            if wheel.count != model.timers.count { mismatches += 1 }
        }
        #expect(mismatches == 0, "seed \(seed)")
        #expect(nextID > 1000)
    }
}

@Test func aMillionTimersStayCheap() {
    let wheel = TimerWheel<Int32>(now: 0)
    var random = SeededGenerator(state: 7)
    var handles: [TimerHandle] = []
    handles.reserveCapacity(1_000_000)
    var smallest = Int64.max
    for index in 0..<1_000_000 {
        // Keepalive-like deadlines bunched within one second, two hours out.
        let deadline = 7_200_000_000 + Int64.random(in: 0..<1_000_000, using: &random)
        smallest = min(smallest, deadline)
        handles.append(wheel.schedule(at: deadline, Int32(index)))
    }
    #expect(wheel.count == 1_000_000)
    // Asking for the next deadline over and over must not rescan the timers
    // (this loop would take minutes if it did).
    var earliest: Int64?
    for _ in 0..<100_000 { earliest = wheel.nextDeadline() }
    #expect(earliest == smallest)
    for handle in handles.prefix(500_000) { wheel.cancel(handle) }
    var last: Int64 = .min
    var firedCount = 0
    var ordered = true
    wheel.advance(to: 7_201_000_000) { _, _ in
        if wheel.now < last { ordered = false }
        last = wheel.now
        firedCount += 1
    }
    #expect(firedCount == 500_000)
    #expect(ordered)
    #expect(wheel.count == 0)
}
