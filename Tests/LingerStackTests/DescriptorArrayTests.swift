import LingerRun
import Testing

@testable import LingerStack

/// `ProcessFiles` keeps descriptors in an array indexed by number (as the
/// kernel's fdtable): lookups, the lowest free number, gaps, close-on-exec
/// flags and bad numbers.
@Suite struct DescriptorArrayTests {
    func file() -> OpenFile { OpenFile(kind: .terminal, statusFlags: 0) }

    @Test func lookupsOutsideTheTableFindNothing() {
        let files = ProcessFiles()
        #expect(files.file(-1) == nil)
        #expect(files.file(3) == nil)
        #expect(files.file(1_000_000) == nil)
        #expect(files.file(0) != nil)
        #expect(files.remove(-5) == nil)
        #expect(files.remove(77) == nil)
        #expect(!files.isCloseOnExec(-1))
        #expect(!files.isCloseOnExec(500))
    }

    @Test func installingFarAboveLeavesAGapThatIsHandedOutFirst() {
        let files = ProcessFiles()
        let high = file()
        files.install(high, at: 40, cloexec: true)
        #expect(files.file(40) === high)
        #expect(files.isCloseOnExec(40))
        #expect(files.file(39) == nil)
        #expect(files.lowestFree() == 3)
        files.install(file(), at: 3)
        #expect(files.lowestFree() == 4)
        #expect(files.openDescriptors == [0, 1, 2, 3, 40])
    }

    @Test func removeDropsTheReferenceAndTheFlagAndFreesTheNumber() {
        let files = ProcessFiles()
        let f = file()
        files.install(f, at: 3, cloexec: true)
        files.install(f, at: 4)
        #expect(f.references == 2)
        #expect(files.remove(3) === f)
        #expect(f.references == 1)
        #expect(files.file(3) == nil)
        #expect(!files.isCloseOnExec(3))
        #expect(files.lowestFree() == 3)
        // A new file on the number does not inherit the old flag.
        files.install(file(), at: 3)
        #expect(!files.isCloseOnExec(3))
        files.setCloseOnExec(3, true)
        #expect(files.isCloseOnExec(3))
        files.setCloseOnExec(9, true)  // not open: no flag appears
        #expect(!files.isCloseOnExec(9))
    }

    @Test func theLimitStopsTheSearch() {
        let files = ProcessFiles()
        files.descriptorLimit = 5
        files.install(file(), at: 3)
        files.install(file(), at: 4)
        #expect(files.lowestFree() == nil)
        _ = files.remove(4)
        #expect(files.lowestFree() == 4)
    }
}
