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
            #expect(try await browser.until(10, "return !document.getElementById('login').hidden"))
            try await browser.run(
                """
                const f = document.getElementById('login');
                f.elements.name.value = '\(account)';
                f.elements.password.value = 'secret-pass-9';
                f.requestSubmit();
                """)
            #expect(try await browser.until(10, "return document.body.dataset.session === 'open'"))
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

    @Test("kiosk: press a service button, see the ticket and its QR, and the virtual printer prints it")
    func kiosk() async throws {
        try await withPage("/kiosk", account: "kiosk1", role: "kiosk", width: 1080, height: 1920) { browser in
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
            let day = try #require(try ok(.admin, ["op": "status"])["hall"]?["day"]?.stringValue)
            #expect(try await browser.until(10, "return document.getElementById('range').elements.from.value !== ''"))
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
