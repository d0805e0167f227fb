import Testing
import LingerWire

@Suite struct AddressTests {
    @Test func ipv4ParsesAndPrints() throws {
        let a = try #require(IPv4Address("192.0.2.1"))
        #expect(a.value == 0xC000_0201)
        #expect(a.description == "192.0.2.1")
        #expect(IPv4Address("0.0.0.0")?.value == 0)
        #expect(IPv4Address("255.255.255.255")?.value == 0xFFFF_FFFF)
    }

    @Test(arguments: ["", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1..2.3", "a.b.c.d", "1.2.3.4 ", ".1.2.3", "1.2.3.", "1234.1.1.1"])
    func ipv4RejectsMalformedText(_ text: String) {
        #expect(IPv4Address(text) == nil)
    }

    /// Text forms as tcpdump 4.99.3 printed these addresses (see TcpdumpOracleFixtures):
    /// each input, written in some uncompressed way, must print as tcpdump printed it.
    @Test(arguments: [
        ("fd3d:0:0:0:0:0:0:1", "fd3d::1"),
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
        ("2001:db8::1:0:0:1", "2001:db8::1:0:0:1"),
        ("2001:0db8:0000:0000:0001:0000:0000:0001", "2001:db8::1:0:0:1"),
        ("::ffff:1.2.3.4", "::ffff:1.2.3.4"),
        ("0:0:0:0:0:ffff:102:304", "::ffff:1.2.3.4"),
        ("::1.2.3.4", "::1.2.3.4"),
        ("::2", "::2"),
        ("fe80::1:2:3:4", "fe80::1:2:3:4"),
        ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1"),
        ("1:0:0:0:0:0:0:8", "1::8"),
        ("::", "::"),
        ("1::", "1::"),
        ("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"),
        ("ffff:0:0:0:0:ffff:0:0", "ffff::ffff:0:0"),
        ("::1", "::1"),
    ])
    func ipv6PrintsLikeTcpdump(_ input: String, _ printed: String) throws {
        let a = try #require(IPv6Address(input))
        #expect(a.description == printed)
        #expect(IPv6Address(printed) == a)
    }

    @Test(arguments: [
        "", ":", ":::", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", "1::2::3", "12345::", "g::1", ":1::", "1::2:",
        "::1.2.3", "::1.2.3.4:5", "1:2:3:4:5:6:7:1.2.3.4", "fe80::1%eth0",
    ])
    func ipv6RejectsMalformedText(_ text: String) {
        #expect(IPv6Address(text) == nil)
    }

    @Test func ipv6BytesRoundTrip() throws {
        let a = try #require(IPv6Address("2001:db8::abcd:1"))
        #expect(a.bytes == [0x20, 0x01, 0x0D, 0xB8, 0, 0, 0, 0, 0, 0, 0, 0, 0xAB, 0xCD, 0, 1])
        #expect(IPv6Address(bytes: a.bytes) == a)
        #expect(IPv6Address(bytes: [1, 2, 3]) == nil)
    }
}

@Suite struct SequenceNumberTests {
    @Test func comparisonWrapsAround() {
        let nearTop = SequenceNumber(0xFFFF_FFF0)
        let wrapped = nearTop + UInt32(0x20)
        #expect(wrapped.rawValue == 0x10)
        #expect(nearTop < wrapped)
        #expect(wrapped > nearTop)
        #expect(!(wrapped < nearTop))
        #expect(nearTop.distance(to: wrapped) == 0x20)
        #expect(wrapped - nearTop == 0x20)
        #expect(nearTop - wrapped == -0x20)
        #expect(nearTop <= nearTop && nearTop >= nearTop)
    }

    @Test func arithmetic() {
        var s = SequenceNumber(100)
        s += 1000
        #expect(s.rawValue == 1100)
        #expect((s - 1100).rawValue == 0)
        #expect((SequenceNumber(0) - 1).rawValue == 0xFFFF_FFFF)
        #expect(SequenceNumber(5).advanced(by: -10).rawValue == 0xFFFF_FFFB)
        // Half the space away is "behind" (RFC 1982 leaves it undefined; we say not less).
        #expect(!(SequenceNumber(0) < SequenceNumber(0x8000_0000)))
    }
}
