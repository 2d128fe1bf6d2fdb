import Foundation
import HallqProtocol
import HallqTestKit
import Testing

/// 好差评 on the staff pages in a real browser (headless Chromium) against the real hallqd: a
/// clerk attaches a case and the visitor rates on the window page with a content option; an admin
/// works a bad rating's order from open to closed on the 差评 section of /admin.
@Suite(.serialized) struct HaochaBrowserTests {
    let fixture: BrowserHall
    init() throws { fixture = try BrowserHall("haocha") }

    @discardableResult
    func ok(_ role: Role, _ request: JSONValue) throws -> JSONValue { try fixture.ok(role, request) }

    @Test(
        "window page: attach a case, finish, the visitor picks 不满意 and a content option; one case record and an order")
    func windowRating() async throws {
        try await fixture.withBrowser { browser in
            try ok(.admin, ["op": "useradd", "name": "李四", "role": "clerk", "password": "secret-pass-9"])
            try await browser.open(fixture.url + "/window/1")
            try await fixture.logIn(browser, name: "李四")
            try ok(.kiosk, ["op": "take", "service": "A"])
            #expect(
                try await browser.until(10, "return document.getElementById('clerk-name').textContent.includes('李四')"))
            try await browser.run("document.querySelector('#actions [data-op=call]').click()")
            #expect(try await browser.until(10, "return document.body.dataset.ticket === 'A001'"))
            try await browser.run(
                """
                document.getElementById('case-no').value = '330100202611300007';
                document.getElementById('item-name').value = '计量授权';
                document.getElementById('case-form').requestSubmit();
                """)
            #expect(
                try await browser.until(
                    10, "return document.getElementById('cases').textContent.includes('330100202611300007')"))
            try await browser.run("document.querySelector('#actions [data-op=finish]').click()")
            #expect(try await browser.until(10, "return document.body.dataset.ticket === ''"))
            // The visitor: 不满意 (2), then one of that level's content options.
            try await browser.run("document.querySelector('#rate-levels button[data-score=\"2\"]').click()")
            #expect(
                try await browser.until(10, "return document.querySelectorAll('#rate-contents input').length === 4"))
            let code = try await browser.run(
                "const i = document.querySelector('#rate-contents input'); i.click(); return i.value")
            #expect(code == "201")
            try await browser.screenshot("window-rating.png")
            try await browser.run("document.getElementById('rate-submit').click()")
            #expect(try await browser.until(10, "return document.getElementById('log').textContent.includes('评价 不满意')"))
            let ratings = try ok(
                .admin, ["op": "ratings", "from": "2000-01-01", "to": "2100-01-01", "format": "zj-offlinereport"])
            let rows = ratings["rows"]?.arrayValue ?? []
            #expect(rows.count == 1 && rows.first?["projectNo"] == "330100202611300007", "\(ratings.text)")
            #expect(rows.first?["satisfaction"] == 2 && rows.first?["evalDetail"] == "201" && rows.first?["pf"] == "5")
            let orders = try ok(.admin, ["op": "orders"])["orders"]?.arrayValue ?? []
            #expect(orders.count == 1 && orders.first?["clerk"] == "李四" && orders.first?["state"] == "open")
        }
    }

    @Test("admin page: a bad rating's order moved from open to closed step by step, each step logged with the account")
    func adminOrder() async throws {
        try await fixture.withBrowser { browser in
            try ok(.admin, ["op": "useradd", "name": "boss", "role": "admin", "password": "secret-pass-9"])
            try ok(.clerk, ["op": "signin", "window": 1, "clerk": "王五"])
            try ok(.kiosk, ["op": "take", "service": "A"])
            try ok(.clerk, ["op": "call", "window": 1])
            try ok(.clerk, ["op": "case", "window": 1, "case_no": "330100202611300009"])
            try ok(.clerk, ["op": "finish", "window": 1])
            try ok(.clerk, ["op": "rate", "window": 1, "score": 1])
            try await browser.open(fixture.url + "/admin")
            try await fixture.logIn(browser, name: "boss")
            let row = "document.querySelector('#orders tr[data-order=\"1\"]')"
            #expect(try await browser.until(15, "return \(row)?.dataset.state === 'open'"))
            #expect(
                try await browser.until(
                    10, "return document.getElementById('order-counts').textContent.includes('未办结 Open 1')"))
            try await browser.run("document.getElementById('orders-box').scrollIntoView()")
            try await browser.screenshot("admin-orders-open.png")
            let steps: [(action: String, fill: String, state: String)] = [
                ("verify", "", "verified"),
                ("rectify", "", "rectifying"),
                ("rectified", "f.elements.note.value = '增派人员，已培训';", "rectified"),
                (
                    "revisit",
                    "f.elements.contact.value = 'phone'; f.elements.result.value = '群众认可'; f.elements.satisfied.value = 'true';",
                    "revisited"
                ),
                ("close", "", "closed"),
            ]
            for s in steps {
                try await browser.run(
                    """
                    const f = \(row).querySelector('form');
                    f.elements.action.value = '\(s.action)';
                    f.elements.action.dispatchEvent(new Event('change'));
                    \(s.fill)
                    f.requestSubmit();
                    """)
                #expect(try await browser.until(10, "return \(row)?.dataset.state === '\(s.state)'"), "\(s.action)")
            }
            #expect(
                try await browser.until(
                    10, "return document.getElementById('order-counts').textContent.includes('已办结 Closed 1')"))
            try await browser.screenshot("admin-orders-closed.png")
            let history = try ok(.admin, ["op": "order", "order": 1])["history"]?.arrayValue ?? []
            #expect(history.map { $0["action"] } == ["open", "verify", "rectify", "rectified", "revisit", "close"])
            #expect(history.dropFirst().allSatisfy { $0["account"] == "boss" }, "\(history)")
        }
    }
}
