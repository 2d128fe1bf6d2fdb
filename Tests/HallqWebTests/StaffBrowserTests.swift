import AsyncHTTPClient
import Foundation
import HallqProtocol
import HallqTestKit
import NIOCore
import NIOHTTP1
import Testing

/// The staff pages in a real browser (headless Chromium through chromedriver) against the real
/// hallqd: a clerk logs in at a window terminal, calls and recalls with F2; a kiosk issues a
/// ticket that the virtual printer prints; an admin picks a range and gets the charts.
@Suite(.serialized) struct StaffBrowserTests {
    let fixture: BrowserHall
    var hall: DaemonHarness { fixture.hall }

    init() throws { fixture = try BrowserHall("staff") }

    @discardableResult
    func ok(_ role: Role, _ request: JSONValue) throws -> JSONValue { try fixture.ok(role, request) }

    /// hallqd with an account, and a browser logged in to `page` as it.
    func withPage(
        _ page: String, account: String, role: String, width: Int = 1920, height: Int = 1080,
        _ body: (WebDriver) async throws -> Void
    ) async throws {
        try await fixture.withBrowser(width: width, height: height) { browser in
            try ok(
                .admin, ["op": "useradd", "name": .string(account), "role": .string(role), "password": "secret-pass-9"])
            try await browser.open(fixture.url + page)
            try await fixture.logIn(browser, name: account)
            try await body(browser)
        }
    }

    @Test("window terminal: log in at /window/1, press 叫号 and see the ticket, press F2 and see the recall")
    func windowTerminal() async throws {
        try await withPage("/window/1", account: "李四", role: "clerk") { browser in
            _ = try ok(.kiosk, ["op": "take", "service": "A"])
            _ = try ok(.kiosk, ["op": "take", "service": "A"])
            #expect(
                try await browser.until(10, "return document.getElementById('clerk-name').textContent.includes('李四')"))
            try await browser.run("document.querySelector('#actions [data-op=call]').click()")
            #expect(try await browser.until(10, "return document.body.dataset.ticket === 'A001'"))
            #expect(try await browser.run("return document.getElementById('ticket').textContent") == "A001")
            try await browser.press("\u{E032}")  // F2
            #expect(
                try await browser.until(10, "return document.getElementById('log').textContent.includes('重呼 A001')"))
            let events = try ok(.admin, ["op": "history", "ticket": "A001"])["events"]?.arrayValue ?? []
            let recall = events.first { $0["event"] == "recall" }
            #expect(recall?["account"] == "李四" && recall?["clerk"] == "李四" && recall?["client"] == "127.0.0.1")
            try await browser.screenshot("window-1.png")
            try await browser.resize(width: 400, height: 800)
            try await browser.screenshot("window-1-phone.png")
        }
    }

    /// The page's requests to /api/ so far, in order (Resource Timing: each fetch once its
    /// response has ended).
    static let apiRequests = """
        return performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname)
          .filter((p) => p.startsWith('/api/'))
        """

    @Test("window terminal: one request per click, the rest pushed by the staff stream, no polling")
    func windowTerminalRequests() async throws {
        try await withPage("/window/1", account: "王五", role: "clerk") { browser in
            _ = try ok(.kiosk, ["op": "take", "service": "A"])
            _ = try ok(.kiosk, ["op": "take", "service": "A"])
            #expect(try await browser.until(10, "return document.body.dataset.staffLive === 'connected'"))
            #expect(
                try await browser.until(10, "return document.getElementById('waiting').textContent.includes('A002')"))
            let before = try await browser.run(Self.apiRequests).arrayValue ?? []
            // Opening the page: the login and the sign-in (the stream, still open, is listed only
            // once it ends); never a status read.
            #expect(!before.contains("/api/ops/status"), "\(before)")
            try await browser.run("document.querySelector('#actions [data-op=call]').click()")
            #expect(try await browser.until(10, "return document.body.dataset.ticket === 'A001'"))
            // A ticket taken elsewhere reaches the page's queue without the page asking.
            _ = try ok(.kiosk, ["op": "take", "service": "A"])
            #expect(
                try await browser.until(10, "return document.getElementById('waiting').textContent.includes('A003')"))
            try await browser.press("\u{E032}")  // F2: recall
            #expect(
                try await browser.until(10, "return document.getElementById('log').textContent.includes('重呼 A001')"))
            // Longer than any polling period the pages had (5 s): nothing asked meanwhile.
            try await Task.sleep(for: .seconds(6))
            let after = try await browser.run(Self.apiRequests).arrayValue ?? []
            #expect(Array(after.dropFirst(before.count)) == ["/api/ops/call", "/api/ops/recall"], "\(after)")
        }
    }

    @Test("kiosk: press a service button, see the ticket and its QR, and the virtual printer prints it")
    func kiosk() async throws {
        try await fixture.withBrowser(width: 1080, height: 1920) { browser in
            try ok(.admin, ["op": "useradd", "name": "boss", "role": "admin", "password": "secret-pass-9"])
            try await browser.open(fixture.url + "/kiosk")
            try await fixture.enrol(browser, code: try await fixture.enrolmentCode(browser, screen: "k1"))
            #expect(try await browser.until(10, "return document.querySelectorAll('button.service').length >= 3"))
            try await browser.screenshot("kiosk-buttons-1080x1920.png")
            try await browser.run("document.querySelector('button.service[data-service=A]').click()")
            #expect(try await browser.until(10, "return document.body.dataset.issued === 'A001'"))
            #expect(
                try await browser.until(
                    10,
                    "const i = document.querySelector('#issued-qr img'); return !!i && i.complete && i.naturalWidth > 0"
                ))
            let printed = hall.stateDir.appendingPathComponent("printer/tickets.txt")
            #expect(eventually { ((try? String(contentsOf: printed, encoding: .utf8)) ?? "").contains("A001") })
            try await browser.screenshot("kiosk-1080x1920.png")
            // A double tap is one ticket: the same button twice reuses its key.
            try await browser.run(
                "const b = document.querySelector('button.service[data-service=B]'); b.click(); b.click();")
            #expect(try await browser.until(10, "return document.body.dataset.issued === 'B001'"))
            let services = try ok(.kiosk, ["op": "services"])["services"]?.arrayValue ?? []
            #expect(services.first { $0["id"] == "B" }?["waiting"] == 1)
            let take = try ok(.admin, ["op": "history", "ticket": "A001"])["events"]?.arrayValue?.first
            #expect(take?["account"] == "screen:k1" && take?["role"] == "kiosk", "\(take?.text ?? "")")

            // The kiosk tells the truth: paper out greys its buttons with a notice before anyone
            // presses; paper back, the notice goes within seconds.
            try await browser.run("document.getElementById('issued-close').click()")
            let status = hall.stateDir.appendingPathComponent("printer/status")
            try "paper-out".write(to: status, atomically: true, encoding: .utf8)
            #expect(try await browser.until(10, "return document.body.dataset.printer === 'out'"))
            #expect(
                try await browser.run("return document.getElementById('notice').textContent").stringValue?.contains(
                    "缺纸")
                    == true)
            try await browser.screenshot("kiosk-paper-out-1080x1920.png")
            try FileManager.default.removeItem(at: status)
            #expect(try await browser.until(10, "return document.body.dataset.printer === 'ok'"))
            #expect(try await browser.run("return document.getElementById('notice').hidden") == true)
            // hallqd gone: the whole screen says so, nothing can be pressed.
            _ = hall.stop()
            #expect(
                try await browser.until(
                    15, "return getComputedStyle(document.getElementById('offline')).display !== 'none'"))
            try await browser.screenshot("kiosk-offline-1080x1920.png")
            try await fixture.start()
        }
    }

    @Test(
        "a restart leaves an enrolled kiosk issuing with no form, and an admin's session open; a revoked kiosk says only 请联系工作人员"
    )
    func restart() async throws {
        try await fixture.withBrowser(width: 1080, height: 1920) { browser in
            try ok(.admin, ["op": "useradd", "name": "boss", "role": "admin", "password": "secret-pass-9"])
            try await browser.open(fixture.url + "/kiosk")
            let code = try await fixture.enrolmentCode(browser, screen: "k1")
            try await fixture.enrol(browser, code: code)
            #expect(try await browser.until(10, "return document.querySelectorAll('button.service').length >= 3"))
            // A code is good once.
            let again = try await browser.run(
                """
                return fetch('/api/enrol', { method: 'POST', headers: { 'Content-Type': 'application/json' },
                  body: JSON.stringify({ code: '\(code)' }) }).then((r) => r.status);
                """)
            #expect(again == 401)

            // hallqd restarts (an upgrade, the watchdog, a power cut) under the open page.
            _ = hall.stop()
            try await fixture.start()
            // (The page may be reconnecting, or reloading itself, just then: press once it is there.)
            #expect(
                try await browser.until(
                    15,
                    """
                    const b = document.querySelector('button.service[data-service=A]');
                    if (b && !document.body.dataset.issued) b.click();
                    return document.body.dataset.issued === 'A001';
                    """))
            try await browser.open(fixture.url + "/kiosk")
            #expect(try await browser.until(10, "return document.querySelectorAll('button.service').length >= 3"))
            #expect(try await browser.run("return document.getElementById('enrol').hidden") == true)
            #expect(try await browser.run("return document.body.dataset.session") == "open")
            try await browser.screenshot("kiosk-after-restart-1080x1920.png")

            // An admin's session survives a restart too: the dashboard, no login form.
            try await browser.run(
                """
                return fetch('/api/login', { method: 'POST', headers: { 'Content-Type': 'application/json' },
                  body: JSON.stringify({ name: 'boss', password: 'secret-pass-9' }) }).then((r) => r.status);
                """)
            _ = hall.stop()
            try await fixture.start()
            try await browser.open(fixture.url + "/admin")
            #expect(try await browser.until(10, "return !document.getElementById('dashboard').hidden"))
            #expect(try await browser.run("return document.getElementById('login').hidden") == true)
            #expect(
                try await browser.until(
                    10, "return !!document.querySelector('#screens tr[data-screen=k1]')"),
                "the admin page lists the enrolled kiosk")
            // Revoked from /admin: the kiosk page says only 请联系工作人员.
            try await browser.run("window.confirm = () => true;")
            try await browser.run("document.querySelector('#screens tr[data-screen=k1] button').click()")
            #expect(
                try await browser.until(
                    10,
                    "const r = document.querySelector('#screens tr[data-screen=k1]'); return !!r && r.textContent.includes('已撤销')"
                ))
            let session = try #require(try await browser.cookies()["hallq_session"])
            for name in ["hallq.sqlite", "hallq.sqlite-wal"] {
                let file = (try? Data(contentsOf: hall.stateDir.appendingPathComponent(name))) ?? Data()
                #expect(file.range(of: Data(session.utf8)) == nil, "the session's id in \(name)")
            }
            try await browser.run("document.getElementById('logout').click()")
            #expect(try await browser.until(10, "return !document.getElementById('login').hidden"))
            try await browser.open(fixture.url + "/kiosk")
            #expect(try await browser.until(10, "return document.body.dataset.session === 'revoked'"))
            #expect(try await browser.run("return document.getElementById('revoked').hidden") == false)
            #expect(try await browser.run("return document.getElementById('enrol').hidden") == true)
            #expect(try await browser.run("return document.getElementById('kiosk').hidden") == true)
            try await browser.screenshot("kiosk-revoked-1080x1920.png")
            // No secret in the store: the file holds hashes of the credentials only.
            let secrets = try await browser.cookies()
            let screen = try #require(secrets["hallq_screen"])
            #expect(screen.count == 64)
            for name in ["hallq.sqlite", "hallq.sqlite-wal"] {
                let file = (try? Data(contentsOf: hall.stateDir.appendingPathComponent(name))) ?? Data()
                #expect(file.range(of: Data(screen.utf8)) == nil, "the screen's credential in \(name)")
                #expect(file.range(of: Data(code.utf8)) == nil, "the enrolment code in \(name)")
            }
        }
    }

    @Test("admin: pick a range and see the charts' SVG with a bar per window that served")
    func admin() async throws {
        try await withPage("/admin", account: "boss", role: "admin") { browser in
            for _ in 0..<3 { _ = try ok(.kiosk, ["op": "take", "service": "A"]) }
            for w in [1, 2] {
                _ = try ok(.clerk, ["op": "signin", "window": .int(Int64(w)), "clerk": .string("c\(w)")])
                _ = try ok(.clerk, ["op": "call", "window": .int(Int64(w))])
                _ = try ok(.clerk, ["op": "finish", "window": .int(Int64(w))])
            }
            _ = try ok(.clerk, ["op": "rate", "window": 1, "score": 5])
            _ = try ok(.clerk, ["op": "rate", "window": 2, "score": 2, "reason": "等候太久"])
            let day = try #require(try ok(.admin, ["op": "status"])["hall"]?["day"]?.stringValue)
            #expect(try await browser.until(10, "return document.getElementById('range').elements.from.value !== ''"))
            // The numbers show on opening the page, without 查询: this month so far.
            try await browser.open(fixture.url + "/admin")
            #expect(
                try await browser.until(15, "return document.querySelectorAll('#stats-window tbody tr').length === 2"))
            // Services by name beside their letter, durations as minutes and seconds, 满意率,
            // and no row for tickets that reached no window.
            let service = try await browser.run(
                "return document.querySelector('#stats-service tbody tr').textContent")
            #expect(service.stringValue?.contains("A 检验检测机构资质认定") == true, "\(service.text)")
            #expect(service.stringValue?.contains("秒") == true && service.stringValue?.contains("50%") == true)
            let windows = try await browser.run(
                "return [...document.querySelectorAll('#stats-window tbody tr')].map((r) => r.cells[0].textContent)")
            #expect(windows == ["1号窗口", "2号窗口"], "\(windows.text)")
            // A ticket's history in Chinese and the hall's local time.
            try await browser.run(
                "const h = document.getElementById('history-form'); h.elements.ticket.value = 'A001'; h.requestSubmit();"
            )
            #expect(try await browser.until(10, "return document.querySelectorAll('#history tbody tr').length >= 4"))
            let steps = try await browser.run(
                "return [...document.querySelectorAll('#history tbody tr')].map((r) => r.cells[1].textContent).join(' ')"
            )
            #expect(
                ["取号", "叫号", "办结", "评价"].allSatisfy { steps.stringValue?.contains($0) == true },
                "\(steps.text)")
            let time = try await browser.run("return document.querySelector('#history tbody tr').cells[0].textContent")
            #expect(
                time.stringValue?.range(of: #"^\d\d-\d\d \d\d:\d\d:\d\d$"#, options: .regularExpression) != nil,
                "\(time.text)")
            try await browser.run(
                """
                const f = document.getElementById('range');
                f.elements.from.value = '\(day)';
                f.elements.to.value = '\(day)';
                f.requestSubmit();
                """)
            #expect(try await browser.until(15, "return document.querySelectorAll('#charts svg.chart').length === 6"))
            let bars = try await browser.run(
                "return document.querySelectorAll('[data-chart=served-by-window] rect.bar').length")
            let svg = try await browser.run("return document.querySelector('[data-chart=served-by-window]').innerHTML")
            #expect(bars == 2, "\(svg)")
            #expect(try await browser.until(10, "return document.querySelectorAll('#win-table tbody tr').length === 4"))
            try await browser.screenshot("admin.png")
        }
    }
}
