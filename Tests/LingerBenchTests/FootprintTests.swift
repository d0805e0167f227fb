import LingerRun
import Testing

@testable import LingerBench
@testable import LingerStack

@Suite(.serialized) struct FootprintTests {
    @Test func memoryUsageSeesAnAllocation() {
        let before = MemoryUsage.current()
        #expect(before.allocatedBytes > 0 && before.residentBytes > 4096)
        // 64 MiB, large against what tests running alongside allocate meanwhile.
        let block = [UInt8](repeating: 1, count: 64 << 20)
        let after = MemoryUsage.current()
        let grown = after.allocatedBytes - before.allocatedBytes
        #expect(grown >= 60 << 20 && grown < 72 << 20)
        #expect(after.residentBytes - before.residentBytes >= 56 << 20)
        withExtendedLifetime(block) {}
    }

    @Test func farmOpensEstablishedConnectionsOnDescriptors() throws {
        let farm = try ConnectionFarm(descriptors: 3000)
        try farm.open(2000)
        #expect(farm.stack.establishedHashCount == 2000)
        // Descriptors 0-2 are the terminal, 3 the listener; the rest in order.
        #expect(farm.openDescriptors.first == 4 && farm.openDescriptors.last == 2003)
        #expect(farm.stack.timeWaitEntryCount == 0)
    }

    @Test func farmLeavesTimeWaitEntries() throws {
        let farm = try ConnectionFarm()
        try farm.openAndCloseIntoTimeWait(500)
        #expect(farm.stack.timeWaitEntryCount == 500)
        #expect(farm.stack.establishedHashCount == 0)
        // The entries are in TIME_WAIT (not FIN_WAIT2): each lists as time-wait.
        let snapshots = farm.stack.snapshot().sockets.filter { $0.state == .timeWait }
        #expect(snapshots.count == 500)
    }

    @Test func descriptorLimitAndLowestFreeDescriptor() throws {
        let files = ProcessFiles()
        files.descriptorLimit = 10
        let stack = NetworkStack(addresses: StackAddresses(ipv4: .init(192, 168, 0, 1)))
        let process = SocketLayer(stack: stack, files: files)
        func socket() -> Int64 {
            guard case .completed(let r) = process.start(.socket(domain: 2, type: 1, protocol: 6)) else { return -2 }
            return r.value
        }
        #expect((3..<10).map { _ in socket() } == Array(3..<10))
        #expect(socket() == -1)  // EMFILE at the limit
        _ = process.start(.close(fd: 5))
        _ = process.start(.close(fd: 7))
        #expect(socket() == 5)
        #expect(socket() == 7)
        #expect(socket() == -1)
    }

    @Test func timerCaseMeasuresASecondWithNoTimerDue() throws {
        let m = try FootprintCases.timerAdvance(count: 200)
        // Per connection: keepalive and retransmission timers.
        #expect(m.armedTimers >= 400)
        #expect(m.advanceOneSecondNanoseconds > 0 && m.timerOperationNanoseconds > 0)
    }
}
