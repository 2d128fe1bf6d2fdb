import Foundation
import HallqCore
import HallqProtocol
import HallqTestKit
import Testing

/// The kiosk page with an ID-card reader, in a real browser against the real hallqd, whose
/// reader is an emulated serial port under the real libserialport (umockdev): the card placed
/// shows 张* and 绿色通道, a service this person already holds is greyed, the press takes the
/// ticket for the card.
@Suite(.serialized) struct KioskCardBrowserTests {
    static let config =
        DaemonHarness.demoConfig
        .replacingOccurrences(of: "[queue]\n", with: "[queue]\npriority_age = 70\n")
        .replacingOccurrences(of: "name = \"检验检测机构资质认定\"\n", with: "name = \"检验检测机构资质认定\"\npriority = true\n")
            + """

            [[kiosk]]
            name = "k1"
            printer = "printer"

            [[idcard]]
            device = "/dev/hallq/idcard"
            kiosk = "k1"
            hold_s = 300

            """ + DaemonHarness.generousLimits

    @Test(
        "a card on the kiosk's reader: 张* and 绿色通道 on the page, the press issues that person's priority ticket, a second card of the same person sees A greyed"
    )
    func cardAtKiosk() async throws {
        let bed = try EmulatedSerial(link: "hallq/idcard")
        try bed.idcardMode()
        let fixture = try BrowserHall("idcard", base: Self.config)
        fixture.environment = bed.environment
        try await fixture.withBrowser(width: 1080, height: 1920) { browser in
            try fixture.ok(.admin, ["op": "useradd", "name": "boss", "role": "admin", "password": "secret-pass-9"])
            try await browser.open(fixture.url + "/kiosk")
            try await fixture.enrol(browser, code: try await fixture.enrolmentCode(browser, screen: "k1"))
            #expect(try await browser.until(30, "return document.querySelectorAll('button.service').length >= 3"))
            #expect(try await browser.run("return document.getElementById('card').hidden") == true)

            try bed.placeCard(IdCardFixtures.golden)
            #expect(try await browser.until(30, "return document.body.dataset.card === 'held'"))
            #expect(try await browser.run("return document.getElementById('card-name').textContent") == "张*")
            #expect(try await browser.run("return document.getElementById('card-green').hidden") == false)
            #expect(
                try await browser.run(
                    "return document.querySelector('button.service[data-service=A]:not([data-priority])').textContent"
                ).stringValue?.contains("绿色通道") == true)
            try await browser.screenshot("kiosk-card-1080x1920.png")
            // Nothing of the card but the masked name on the page.
            let page = try await browser.run("return document.documentElement.outerHTML").stringValue ?? ""
            #expect(!page.contains(IdCardFixtures.goldenNumber) && !page.contains("张三") && !page.contains("1949"))

            try await browser.run(
                "document.querySelector('button.service[data-service=A]:not([data-priority])').click()")
            #expect(try await browser.until(30, "return document.body.dataset.issued === 'A001'"))
            #expect(try await browser.run("return document.getElementById('issued-green').hidden") == false)
            #expect(try await browser.until(30, "return document.body.dataset.card === 'none'"))
            let take = try fixture.ok(.admin, ["op": "history", "ticket": "A001"])["events"]?.arrayValue?.first
            #expect(take?["priority_by"] == "age" || take?["details"]?["priority_by"] == "age", "\(take?.text ?? "")")

            // Taken off and placed again: A is greyed with the reason, B is open.
            try bed.removeCard()
            try await Task.sleep(for: .milliseconds(800))
            try bed.placeCard(IdCardFixtures.golden)
            #expect(try await browser.until(30, "return document.body.dataset.card === 'held'"))
            #expect(
                try await browser.until(
                    30, "return document.querySelector('button.service[data-service=A]:not([data-priority])').disabled")
            )
            #expect(
                try await browser.run(
                    "return document.querySelector('button.service[data-service=A]:not([data-priority])').textContent"
                ).stringValue?.contains("已有本事项的号") == true)
            #expect(
                try await browser.run("return document.querySelector('button.service[data-service=B]').disabled")
                    == false)
            try await browser.screenshot("kiosk-card-has-ticket-1080x1920.png")
            // 不是我: the hold ends, the buttons are plain again.
            try await browser.run("document.getElementById('card-cancel').click()")
            #expect(try await browser.until(30, "return document.body.dataset.card === 'none'"))
            #expect(
                try await browser.until(
                    30, "return !document.querySelector('button.service[data-service=A]:not([data-priority])').disabled"
                ))

            // The portal sent a booking with this person's ID number: the card shows 预约签到 and
            // one press checks it in (the code is not needed, nor shown).
            let calendar = HallCalendar(timeZone: TimeZone(identifier: "Asia/Shanghai")!)
            let today = calendar.day(Millis(Date().timeIntervalSince1970 * 1000))
            try fixture.ok(
                .admin,
                [
                    "op": "book",
                    "bookings": [
                        [
                            "ref": "P-1", "service": "B", "slot_start": .string("\(today)T00:00"),
                            "slot_end": .string("\(today)T23:59"), "code": "K1001",
                            "id_number": .string(IdCardFixtures.goldenNumber),
                        ]
                    ],
                ])
            try bed.removeCard()
            try await Task.sleep(for: .milliseconds(800))
            try bed.placeCard(IdCardFixtures.golden)
            #expect(try await browser.until(30, "return !document.getElementById('card-checkin').hidden"))
            #expect(
                try await browser.run("return document.getElementById('card-checkin').textContent").stringValue?
                    .contains("预约签到 · 计量授权 00:00-23:59") == true)
            try await browser.screenshot("kiosk-card-booking-1080x1920.png")
            try await browser.run("document.getElementById('card-checkin').click()")
            #expect(try await browser.until(30, "return document.body.dataset.issued === 'B001'"))
            #expect(try await browser.run("return document.getElementById('issued-booked').hidden") == false)
            #expect(try await browser.until(30, "return document.body.dataset.card === 'none'"))
        }
    }
}
