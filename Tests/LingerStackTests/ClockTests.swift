import Testing
@testable import LingerStack

@Test func virtualClockOnlyMovesForward() {
    let clock = VirtualClock(now: 100)
    clock.advance(to: 50)
    #expect(clock.now == 100)
    clock.advance(to: 250)
    #expect(clock.now == 250)
    clock.advance(by: -10)
    #expect(clock.now == 250)
    clock.advance(by: 750)
    #expect(clock.now == 1000)
    clock.advance(by: .max)
    #expect(clock.now == .max)
    let source: any StackClock = clock
    #expect(source.now == .max)
}
