import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import LingerObserve
import LingerRun
import Testing

@Suite("linger run --html")
struct HTMLReportTests {
    func report(_ name: String) throws -> (page: String, trace: RunTrace, packets: Int) {
        let run = try tracedSimRun(name)
        let page = HTMLReport(title: name, trace: run.trace, verdict: "passed", backend: "sim").render()
        return (page, run.trace, run.packets.count)
    }

    @Test func pageIsWellFormedWithOneArrowPerPacket() throws {
        let (page, trace, packets) = try report("close-unread-data-rst.pkt")
        #if canImport(FoundationXML)
        let document = try XMLDocument(xmlString: page, options: [])
        let arrows = try document.nodes(forXPath: "//*[local-name()='g'][@class='packet']")
        #expect(arrows.count == packets)
        let calls = try document.nodes(forXPath: "//*[local-name()='g'][@class='call']")
        #expect(calls.count == trace.calls.count)
        let states = try document.nodes(forXPath: "//*[local-name()='g'][@class='state']")
        #expect(states.count == trace.stateChanges.count)
        #endif
        // Self-contained: nothing is fetched, nothing runs.
        #expect(!page.contains("<script"))
        #expect(!page.contains("http://") || !page.replacingOccurrences(of: "http://www.w3.org/", with: "").contains("http://"))
        #expect(!page.contains("https://"))
        // The reason is on the arrow and in the list.
        #expect(page.contains("close() with 600 unread bytes"))
        #expect(page.components(separatedBy: "class=\"packet\"").count - 1 == packets)
    }

    @Test func longIdleTimeIsABreakNotAHugePage() throws {
        // TIME_WAIT lasts 60 s on the sim: the page stays short.
        let (page, _, _) = try report("time-wait-lasts-60s.pkt")
        #expect(page.contains("class=\"break\""))
        let height = try #require(page.firstMatch(of: /height="(\d+)" viewBox/)).output.1
        #expect(Int(height) ?? .max < 3000)
    }
}

/// Headless Chromium renders the page (only where chromium is installed).
@Suite("HTML report in a browser")
struct HTMLReportBrowserTests {
    static let chromium: String? = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    @Test(.enabled(if: chromium != nil, "chromium is not installed"), .timeLimit(.minutes(2)))
    func chromiumRendersThePage() throws {
        let run = try tracedSimRun("close-unread-data-rst.pkt")
        let page = HTMLReport(title: "close-unread-data-rst.pkt", trace: run.trace, verdict: "passed", backend: "sim").render()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("linger-html-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let html = directory.appendingPathComponent("report.html")
        let png = directory.appendingPathComponent("report.png")
        try page.write(to: html, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(Self.chromium))
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--screenshot=\(png.path)",
                             "--window-size=1200,1400", html.absoluteString]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        let data = try Data(contentsOf: png)
        // A PNG, and not a blank one: a blank page compresses to almost nothing.
        #expect(data.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        #expect(data.count > 20_000)
    }
}
