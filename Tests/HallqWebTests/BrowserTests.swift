import AsyncHTTPClient
import Foundation
import HallqProtocol
import HallqTestKit
import HallqVoice
import NIOCore
import NIOHTTP1
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The pages in a real browser (Debian's headless Chromium through chromedriver) against the real
/// hallqd: the board follows calls live and recovers by itself from a restarted or a frozen
/// hallqd; a phone opens its ticket's status page from the `take` reply and rates it once.
/// Screenshots stay in a directory printed by the test.
@Suite(.serialized) struct BrowserTests {
    let fixture: BrowserHall
    var hall: DaemonHarness { fixture.hall }
    var url: String { fixture.url }
    var shots: URL { fixture.shots }

    init() throws {
        fixture = try BrowserHall("browser") { shots in
            // A clip pack for the board's voice; hallqd's own announcer plays into ALSA's null device.
            let clips = shots.appendingPathComponent("clips")
            try ClipPackFiles.write(syntheticPack(), to: clips, fileNames: [:])
            return "[voice]\ndevice = \"null\"\nclips = \"\(clips.path)\"\n"
        }
    }

    @discardableResult
    func ok(_ role: Role, _ request: JSONValue) throws -> JSONValue { try fixture.ok(role, request) }
    func startHall() async throws { try await fixture.start() }
    func withBrowser(
        width: Int = 1920, height: Int = 1080, extraArgs: [String] = [], _ body: (WebDriver) async throws -> Void
    ) async throws {
        try await fixture.withBrowser(width: width, height: height, extraArgs: extraArgs, body)
    }

    /// A script that is true once the board is connected on a snapshot newer than now: a later
    /// one on the same page, or any on a page the board reloaded meanwhile (its watchdog reloads
    /// it when the stream stalled twice and the server answers again, which a restart on a
    /// loaded machine can take), as the mark set here is then gone.
    func fresh(_ browser: WebDriver) async throws -> String {
        let count =
            try await browser.run("window.hallqTestMark = true; return Number(document.body.dataset.snapshots)")
            .intValue ?? 0
        return "return document.body.dataset.live === 'connected'"
            + " && (!window.hallqTestMark || Number(document.body.dataset.snapshots) > \(count))"
    }

    @Test("the board shows a call within 2 s, and recovers by itself from a restart and from a frozen hallqd")
    func board() async throws {
        try await withBrowser { browser in
            try await browser.open(url + "/board")
            #expect(try await browser.until(10, "return document.body.dataset.live === 'connected'"))
            _ = try ok(.clerk, ["op": "signin", "window": 3, "clerk": "王五"])
            _ = try ok(.kiosk, ["op": "take", "service": "A"])
            _ = try ok(.kiosk, ["op": "take", "service": "A"])
            let call = try ok(.clerk, ["op": "call", "window": 3])
            #expect(
                try await browser.until(10, "return document.getElementById('current-call').dataset.ticket === 'A001'"))
            // When the page drew it, by the page's own clock (the same machine's), against the
            // call's commit: the browser-driving round trips of a busy machine are not counted.
            let shownAt = try await browser.run(
                "return Number(document.getElementById('current-call').dataset.shownAt)")
            let calledAt = try #require(call["ticket"]?["called_at"]?.stringValue.flatMap(parseISO))
            let ms = (shownAt.doubleValue ?? .infinity) - calledAt
            print("call committed → board DOM: \(Int(ms)) ms")
            #expect(ms < 2000, "the call is on the board within 2 s")
            #expect(
                try await browser.run("return document.getElementById('current-call').textContent")
                    == .string("请 A001 号到 3 号窗口"))
            #expect(
                try await browser.run("return document.querySelector('.tile[data-window=\"3\"]').dataset.state")
                    == "calling")
            #expect(try await browser.run("return document.body.innerText.includes('王五')") == .bool(false))
            try await browser.screenshot("board-1920x1080.png")
            try await browser.resize(width: 1080, height: 1920)
            try await browser.screenshot("board-1080x1920.png")
            try await browser.resize(width: 1920, height: 1080)

            // hallqd restarts: the board reconnects (a new snapshot) and shows the next call.
            let reconnected = try await fresh(browser)
            #expect(hall.stop() == 0)
            #expect(try await browser.until(10, "return document.body.dataset.live !== 'connected'"))
            try await startHall()
            #expect(try await browser.until(30, reconnected))
            _ = try ok(.clerk, ["op": "call", "window": 3])
            #expect(
                try await browser.until(5, "return document.getElementById('current-call').dataset.ticket === 'A002'"))

            // A frozen hallqd (stopped, connection open, no heartbeats): the board notices after
            // three missed heartbeats and gets going again by itself once hallqd runs again.
            let pid = try #require(hall.process?.processIdentifier)
            let resumed = try await fresh(browser)
            kill(pid, SIGSTOP)
            let stalled = try await browser.until(10, "return document.body.dataset.live === 'stalled'")
            kill(pid, SIGCONT)
            #expect(stalled, "the board noticed the silence")
            #expect(
                try await browser.until(15, resumed))
            _ = try ok(.kiosk, ["op": "take", "service": "A"])
            _ = try ok(.clerk, ["op": "call", "window": 3])
            #expect(
                try await browser.until(5, "return document.getElementById('current-call').dataset.ticket === 'A003'"))
            try await browser.screenshot("board-after-recovery.png")
        }
    }

    @Test("with ?voice=1 the board plays each call's announcement, in order; a superseded one is skipped")
    func voice() async throws {
        try await withBrowser(extraArgs: ["--autoplay-policy=no-user-gesture-required"]) { browser in
            try await browser.open(url + "/board?voice=1")
            #expect(try await browser.until(10, "return document.body.dataset.live === 'connected'"))
            _ = try ok(.clerk, ["op": "signin", "window": 3, "clerk": "王五"])
            _ = try ok(.clerk, ["op": "signin", "window": 1, "clerk": "张三"])
            for _ in 0..<3 { _ = try ok(.kiosk, ["op": "take", "service": "A"]) }
            // While A001 is said (about a second), window 1 calls A002 and recalls it: the call
            // waiting behind is superseded by the recall, which is said; then window 3's next.
            _ = try ok(.clerk, ["op": "call", "window": 3])
            _ = try ok(.clerk, ["op": "call", "window": 1])
            _ = try ok(.clerk, ["op": "recall", "window": 1])
            #expect(try await browser.until(10, "return document.body.dataset.spoken === 'A001 A002'"))
            #expect(try await browser.run("return document.body.dataset.dropped") == "A002")
            _ = try ok(.clerk, ["op": "call", "window": 3])
            #expect(try await browser.until(10, "return document.body.dataset.spoken === 'A001 A002 A003'"))
        }
    }

    @Test("a phone opens the take reply's status URL, follows the ticket, and rates it once")
    func statusPage() async throws {
        try await withBrowser(width: 390, height: 844) { browser in
            _ = try ok(.clerk, ["op": "signin", "window": 2, "clerk": "王五"])
            let take = try ok(.kiosk, ["op": "take", "service": "B"])
            let statusURL = try #require(take["ticket"]?["status_url"]?.stringValue)
            try await browser.open(statusURL)
            #expect(try await browser.until(10, "return document.getElementById('ticket').textContent === 'B001'"))
            #expect(try await browser.run("return document.getElementById('rate-card').hidden") == .bool(true))
            _ = try ok(.clerk, ["op": "call", "window": 2])
            #expect(
                try await browser.until(5, "return document.getElementById('state').textContent.includes('2 号窗口')"))
            try await browser.screenshot("status-called.png")
            _ = try ok(.clerk, ["op": "finish", "window": 2])
            #expect(try await browser.until(5, "return !document.getElementById('rate-card').hidden"))
            // 非常不满意 asks why: submitting without a reason is stopped in the page.
            try await browser.run("document.querySelector('.level[data-score=\"1\"]').click()")
            #expect(try await browser.run("return document.getElementById('reason-box').hidden") == .bool(false))
            try await browser.run("document.getElementById('rate-submit').click()")
            #expect(try await browser.until(3, "return document.getElementById('rate-error').textContent.length > 0"))
            // 满意, submitted.
            try await browser.run("document.querySelector('.level[data-score=\"4\"]').click()")
            try await browser.run("document.getElementById('rate-submit').click()")
            #expect(try await browser.until(5, "return document.getElementById('rated').dataset.score === '4'"))
            #expect(try await browser.run("return document.getElementById('rate-card').hidden") == .bool(true))
            #expect(try await browser.run("return document.body.innerText.includes('王五')") == .bool(false))
            try await browser.screenshot("status-rated.png")
            let history = try ok(.admin, ["op": "history", "ticket": "B001"])
            #expect(history["ticket"]?["rating"]?.intValue == 4)
            // Once: the page, reloaded, offers no second rating.
            try await browser.open(statusURL)
            #expect(try await browser.until(5, "return document.getElementById('rated').dataset.score === '4'"))
            #expect(try await browser.run("return document.getElementById('rate-card').hidden") == .bool(true))
        }
    }

    @Test("the status page says 即将叫号 once at 3 ahead, with a chime made in the page, and again when called")
    func nearTurn() async throws {
        // Sound without a real touch: WebDriver's clicks are not user gestures to Chromium.
        try await withBrowser(width: 390, height: 844, extraArgs: ["--autoplay-policy=no-user-gesture-required"]) {
            browser in
            _ = try ok(.clerk, ["op": "signin", "window": 4, "clerk": "赵六"])
            for _ in 0..<5 { _ = try ok(.kiosk, ["op": "take", "service": "C"]) }
            let take = try ok(.kiosk, ["op": "take", "service": "C"])
            let ahead = try #require(take["ticket"]?["ahead"]?.intValue)
            #expect(ahead >= 5)
            let rangeValues = take["ticket"]?["eta_range_min"]?.arrayValue ?? []
            let range = rangeValues.compactMap { $0.intValue }
            let median = try #require(take["ticket"]?["eta_min"]?.intValue)
            #expect(range.count == 2 && range[0] <= median && median <= range[1] && range[0] < range[1], "\(range)")
            let label = try #require(take["ticket"]?["label"]?.stringValue)
            // The lobby board shows the range for a ticket taken now.
            try await browser.open(url + "/board")
            #expect(
                try await browser.until(
                    10,
                    "return [...document.querySelectorAll('td.eta')].some(td => /\\d+–\\d+ 分钟/.test(td.textContent))"))
            try await browser.open(try #require(take["ticket"]?["status_url"]?.stringValue))
            #expect(try await browser.until(10, "return document.getElementById('ticket').textContent === '\(label)'"))
            // The range is on the page; the person touches it once.
            #expect(
                try await browser.run("return document.getElementById('state').textContent.includes('–')")
                    == .bool(true))
            try await browser.run("document.dispatchEvent(new PointerEvent('pointerdown'))")
            #expect(try await browser.until(5, "return window.hallqNear.audio !== null"))
            #expect(try await browser.run("return document.body.dataset.nearAlerts === undefined") == .bool(true))
            // Called down to 3 ahead: the alert, once.
            for _ in 0..<(ahead - 3) { _ = try ok(.clerk, ["op": "call", "window": 4]) }
            #expect(try await browser.until(10, "return document.body.dataset.nearAlerts === '1'"))
            #expect(try await browser.run("return !document.getElementById('near').hidden") == .bool(true))
            #expect(try await browser.run("return window.hallqNear.chimes") == .int(1))
            #expect(try await browser.until(3, "return document.title.startsWith('【即将叫号】')"))
            try await browser.screenshot("status-near.png")
            _ = try ok(.clerk, ["op": "call", "window": 4])
            #expect(
                try await browser.until(10, "return document.getElementById('state').textContent.includes('还有 2 人')"))
            #expect(try await browser.run("return document.body.dataset.nearAlerts") == .string("1"))
            // Called (the two ahead, then this ticket): once more.
            for _ in 0..<3 { _ = try ok(.clerk, ["op": "call", "window": 4]) }
            #expect(try await browser.until(10, "return document.body.dataset.calledAlerts === '1'"))
            #expect(try await browser.run("return window.hallqNear.chimes") == .int(2))
            // Nothing was fetched for it but the page's own files.
            #expect(
                try await browser.run(
                    "return performance.getEntriesByType('resource').every(e => new URL(e.name).origin === location.origin && !/\\.(mp3|ogg|wav)$/.test(e.name))"
                ) == .bool(true))
            // Reloaded: the page remembers both alerts were given.
            try await browser.run("location.reload()")
            #expect(
                try await browser.until(10, "return document.getElementById('state').textContent.includes('4 号窗口')"))
            #expect(
                try await browser.run("return window.hallqNear.alerts.called + window.hallqNear.alerts.near") == .int(0)
            )
        }
    }
}

/// Milliseconds since 1970 of a wire timestamp (`2026-11-30T01:02:03.456Z`).
func parseISO(_ s: String) -> Double? {
    let f = ISO8601DateFormatter()
    f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return f.date(from: s).map { $0.timeIntervalSince1970 * 1000 }
}

/// A morning with more phones than live streams: the status page is refused a stream and polls.
@Suite(.serialized) struct StatusPagePollingTests {
    let fixture: BrowserHall

    /// Fewer streams than the reserve kept for the board and staff pages: every phone is refused.
    init() throws { fixture = try BrowserHall("polling") { _ in "max_streams = 16\n" } }

    @Test("a phone refused a live stream shows its ticket, polls, and follows a call within the poll period")
    func polls() async throws {
        // (withBrowser starts hallqd: a start before it left a second hallqd on the same state.)
        try await fixture.withBrowser(width: 390, height: 844) { browser in
            _ = try fixture.ok(.clerk, ["op": "signin", "window": 2, "clerk": "王五"])
            let take = try fixture.ok(.kiosk, ["op": "take", "service": "B"])
            let statusURL = try #require(take["ticket"]?["status_url"]?.stringValue)
            try await browser.open(statusURL)
            #expect(try await browser.until(10, "return document.getElementById('ticket').textContent === 'B001'"))
            #expect(try await browser.until(10, "return document.body.dataset.live === 'polling'"))
            _ = try fixture.ok(.clerk, ["op": "call", "window": 2])
            #expect(
                try await browser.until(20, "return document.getElementById('state').textContent.includes('2 号窗口')"),
                "the call shows after the next poll (every 15 s)")
            try await browser.screenshot("status-polling.png")
        }
    }
}
