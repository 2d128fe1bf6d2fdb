import Foundation
import HallqCore
import HallqProtocol
import HallqTestKit
import Testing

/// The kiosk page's bookings and quota in a real browser against the real hallqd: a service
/// whose quota (放号量) is used up is greyed with 今日上午号已发完, and a booked visitor types
/// their code on the 预约签到 pad and gets the booked ticket.
@Suite(.serialized) struct KioskBookingBrowserTests {
    /// Service B has two walk-in tickets for the whole day (so the test runs at any hour).
    static let config =
        DaemonHarness.demoConfig
        .replacingOccurrences(of: "name = \"计量授权\"\n", with: "name = \"计量授权\"\nquota = { \"00:00-24:00\" = 2 }\n")
        + "\n[[kiosk]]\nname = \"k1\"\nprinter = \"printer\"\n" + DaemonHarness.generousLimits

    @Test("a used-up quota greys its button with 今日上午号已发完; the 预约签到 pad checks a booking in and shows 预约 and the slot")
    func quotaAndCheckin() async throws {
        let fixture = try BrowserHall("booking", base: Self.config)
        let calendar = HallCalendar(timeZone: TimeZone(identifier: "Asia/Shanghai")!)
        let today = calendar.day(Millis(Date().timeIntervalSince1970 * 1000))
        try await fixture.withBrowser(width: 1080, height: 1920) { browser in
            try fixture.ok(.admin, ["op": "useradd", "name": "boss", "role": "admin", "password": "secret-pass-9"])
            try fixture.ok(
                .admin,
                [
                    "op": "book",
                    "bookings": [
                        [
                            "ref": "P-1", "service": "A", "slot_start": .string("\(today)T00:00"),
                            "slot_end": .string("\(today)T23:59"), "code": "260417", "name_masked": "张*",
                        ]
                    ],
                ])
            try await browser.open(fixture.url + "/kiosk")
            try await fixture.enrol(browser, code: try await fixture.enrolmentCode(browser, screen: "k1"))
            let b = "document.querySelector('button.service[data-service=B]')"
            #expect(try await browser.until(30, "return \(b) !== null && !\(b).disabled"))
            for _ in 0..<2 { try fixture.ok(.kiosk, ["op": "take", "service": "B"]) }
            #expect(try await browser.until(30, "return \(b).disabled"))
            #expect(try await browser.run("return \(b).textContent").stringValue?.contains("今日上午号已发完") == true)
            #expect(try fixture.hall.ask(.kiosk, ["op": "take", "service": "B"]).token == "QUOTA-EXHAUSTED")
            try await browser.screenshot("kiosk-quota-1080x1920.png")

            try await browser.run("document.getElementById('checkin-open').click()")
            #expect(try await browser.until(10, "return !document.getElementById('checkin').hidden"))
            for digit in "260417" {
                try await browser.run(
                    "[...document.querySelectorAll('#checkin-pad button')].find(b => b.textContent === '\(digit)').click()"
                )
            }
            try await browser.screenshot("kiosk-checkin-pad-1080x1920.png")
            try await browser.run("document.getElementById('checkin-submit').click()")
            #expect(try await browser.until(30, "return document.body.dataset.issued === 'A001'"))
            #expect(
                try await browser.run("return document.getElementById('issued-booked').textContent").stringValue?
                    .contains("预约 00:00-23:59") == true)
            try await browser.screenshot("kiosk-checked-in-1080x1920.png")
            // A scanner typing into the page (no [[scanner]] configured): a fast burst and Enter.
            try fixture.ok(
                .admin,
                [
                    "op": "book",
                    "bookings": [
                        [
                            "ref": "P-2", "service": "B", "slot_start": .string("\(today)T00:00"),
                            "slot_end": .string("\(today)T23:59"), "code": "260418", "name_masked": "李*",
                        ]
                    ],
                ])
            try await browser.run("document.getElementById('issued-close').click()")
            try await browser.run(
                "for (const key of [...'260418', 'Enter']) document.dispatchEvent(new KeyboardEvent('keydown', { key }))"
            )
            #expect(try await browser.until(30, "return document.body.dataset.issued === 'B003'"))
            // Booked tickets are outside the quota: B's two walk-ins did not stop it.
            #expect(
                try await browser.run("return document.getElementById('issued-booked').hidden") == false)
            // A second check-in of the same code says so on the pad.
            try await browser.run("document.getElementById('checkin-open').click()")
            try await browser.run("document.getElementById('checkin-code').value = '260417'")
            try await browser.run("document.getElementById('checkin-submit').click()")
            #expect(
                try await browser.until(
                    30, "return document.getElementById('checkin-message').textContent.includes('已签到')"))
        }
    }

    @Test("the window terminal lists a checked-in booking first, marked 预约 with its slot")
    func windowTerminal() async throws {
        let fixture = try BrowserHall("booking-window", base: Self.config)
        let calendar = HallCalendar(timeZone: TimeZone(identifier: "Asia/Shanghai")!)
        let today = calendar.day(Millis(Date().timeIntervalSince1970 * 1000))
        try await fixture.withBrowser { browser in
            try fixture.ok(.admin, ["op": "useradd", "name": "李四", "role": "clerk", "password": "secret-pass-9"])
            try fixture.ok(.kiosk, ["op": "take", "service": "A"])
            try fixture.ok(
                .admin,
                [
                    "op": "book",
                    "bookings": [
                        [
                            "ref": "P-1", "service": "A", "slot_start": .string("\(today)T00:00"),
                            "slot_end": .string("\(today)T23:59"), "code": "260417",
                        ]
                    ],
                ])
            try fixture.ok(.kiosk, ["op": "checkin", "code": "260417"])
            try await browser.open(fixture.url + "/window/1")
            try await fixture.logIn(browser, name: "李四")
            #expect(try await browser.until(30, "return document.querySelectorAll('#waiting li').length === 2"))
            let first = try await browser.run("return document.querySelector('#waiting li').textContent").stringValue
            #expect(first?.contains("A002") == true && first?.contains("预约 00:00-23:59") == true, "\(first ?? "")")
            #expect(
                try await browser.run("return document.querySelectorAll('#waiting li[data-booked]').length") == 1)
            try await browser.screenshot("window-booked.png")
        }
    }
}
