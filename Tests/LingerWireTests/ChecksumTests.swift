import Testing
@testable import LingerWire

@Test func checksumOfEmptyIsAllOnes() {
    #expect(InternetChecksum.checksum([UInt8]()) == 0xFFFF)
}
