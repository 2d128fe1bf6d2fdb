import Foundation
import Testing

@testable import HallqCore

@Suite("Bookings (预约), check-in, the booked order, no-shows and quotas (放号量)")
struct BookingTests {
    /// Service A (issues priority tickets too) and B at one window; the test's clock starts at
    /// 2026-11-30 09:00 Shanghai.
    static func hall(bookedRatio: Int = 3, quota: [QuotaPeriod] = []) -> HallConfig {
        var q = QueueRules()
        q.bookedRatio = bookedRatio
        var a = ServiceConfig(id: "A", name: "资质认定", priority: true)
        a.quota = quota
        return HallConfig(
            name: "测试大厅", timeZone: "Asia/Shanghai", queue: q,
            services: [a, ServiceConfig(id: "B", name: "计量授权")],
            windows: [WindowConfig(number: 1, services: ["A", "B"])])
    }

    static func booking(
        _ ref: String, _ code: String, _ start: String, _ end: String, service: String = "A", cancelled: Bool = false
    ) -> BookingInput {
        BookingInput(
            ref: ref, service: service, slotStart: "2026-11-30T\(start):00+08:00",
            slotEnd: "2026-11-30T\(end):00+08:00",
            code: code, nameMasked: "张*", cancelled: cancelled)
    }

    func results(_ d: inout EngineDriver, _ inputs: [BookingInput]) throws -> [String] {
        guard case let .imported(r) = try d.run(.book(inputs)).subject else { return [] }
        return r.map(\.name)
    }

    func checkin(_ d: inout EngineDriver, _ code: String) throws(HallError) -> Ticket {
        guard let t = try d.run(.checkin(code: code)).subject.issued?.ticket else { fatalError("no ticket") }
        return t
    }

    @Test("ISO 8601 slot times: with an offset, UTC, and without an offset in the hall's time zone")
    func isoTimes() {
        let cal = HallCalendar(timeZone: TimeZone(identifier: "Asia/Shanghai")!)
        #expect(cal.instant(iso: "2026-11-30T09:00:00+08:00") == monday9am)
        #expect(cal.instant(iso: "2026-11-30T01:00:00Z") == monday9am)
        #expect(cal.instant(iso: "2026-11-30T09:00") == monday9am)
        #expect(cal.instant(iso: "2026-11-30 09:00:00.250") == monday9am)
        #expect(cal.instant(iso: "2026-11-30T10:30:00+09:30") == monday9am)
        #expect(cal.instant(iso: "2026-02-30T09:00:00+08:00") == nil)
        #expect(cal.instant(iso: "2026-11-30T24:00:00+08:00") == nil)
        #expect(cal.instant(iso: "09:00") == nil)
    }

    @Test("an import is idempotent by ref: the same list twice, a changed slot, a cancellation, bad rows refused")
    func importIdempotence() throws {
        var d = EngineDriver(Self.hall())
        let list = [Self.booking("P1", "K1001", "10:00", "10:30"), Self.booking("P2", "K1002", "10:30", "11:00")]
        #expect(try results(&d, list) == ["created", "created"])
        let again = try d.run(.book(list))
        #expect(again.bookings.isEmpty && again.events.isEmpty)
        #expect(try results(&d, list) == ["unchanged", "unchanged"])
        #expect(try results(&d, [Self.booking("P1", "K1001", "11:00", "11:30")]) == ["updated"])
        #expect(d.engine.bookings["P1"]?.slotStart == monday9am + 2 * 3_600_000)
        #expect(try results(&d, [Self.booking("P2", "K1002", "10:30", "11:00", cancelled: true)]) == ["cancelled"])
        #expect(d.engine.bookings["P2"]?.state == .cancelled)
        #expect(try results(&d, [Self.booking("P2", "K1002", "10:30", "11:00", cancelled: true)]) == ["unchanged"])
        var fullName = Self.booking("P3", "K1003", "10:00", "10:30")
        fullName.nameMasked = "张三丰"
        let refused = try results(
            &d,
            [
                fullName, Self.booking("P4", "K1001", "10:00", "10:30"),
                Self.booking("P5", "K1005", "10:00", "10:30", service: "Z"),
                Self.booking("P6", "K1006", "10:30", "10:00"),
            ])
        #expect(refused == ["refused", "refused", "refused", "refused"])
        #expect(d.engine.bookings.count == 2)
        // Each change is one `booking` event.
        #expect(try d.run(.book([Self.booking("P7", "K1007", "12:00", "12:30")])).events.map(\.type) == [.booking])
    }

    @Test("check-in opens early_min before the slot and closes late_min after it: −61, −60, +20, +21 minutes")
    func checkinWindow() throws {
        var d = EngineDriver(Self.hall())
        _ = try results(
            &d, [Self.booking("E", "EARLY1", "10:01", "10:30"), Self.booking("L", "LATE01", "08:00", "08:39")])
        // 09:00 is 61 minutes before 10:01: too early, saying when it opens.
        do {
            _ = try d.run(.checkin(code: "EARLY1"))
            Issue.record("checked in 61 minutes early")
        } catch {
            #expect(error.token == .tooEarly && error.message.contains("09:01"))
        }
        // 09:00 is 21 minutes after 08:39: too late.
        #expect(d.token(.checkin(code: "LATE01")) == "TOO-LATE")
        d.advance(seconds: 60)
        // 09:01: 60 minutes before 10:01, and 22 after 08:39.
        let t = try checkin(&d, "EARLY1")
        #expect(t.slotStart != nil && t.bookingRef == "E")
        var late = EngineDriver(Self.hall(), at: monday9am - 60_000)
        _ = try results(&late, [Self.booking("L", "LATE01", "08:00", "08:39")])
        // 08:59 is exactly 20 minutes after 08:39.
        #expect(try checkin(&late, "LATE01").label == "A001")
    }

    @Test("check-in refusals: an unknown code, a cancelled booking, a second check-in names the ticket")
    func checkinRefusals() throws {
        var d = EngineDriver(Self.hall())
        _ = try results(
            &d,
            [
                Self.booking("P1", "CODE01", "09:00", "09:30"),
                Self.booking("P2", "CODE02", "09:00", "09:30", cancelled: true),
            ])
        #expect(d.token(.checkin(code: "NOSUCH")) == "BOOKING-UNKNOWN")
        #expect(d.token(.checkin(code: "CODE02")) == "BOOKING-CANCELLED")
        let t = try checkin(&d, "CODE01")
        do {
            _ = try d.run(.checkin(code: "CODE01"))
            Issue.record("checked in twice")
        } catch {
            #expect(error.token == .alreadyCheckedIn && error.message.contains(t.label))
        }
        #expect(d.engine.bookings["P1"]?.state == .checkedIn && d.engine.bookings["P1"]?.label == t.label)
        // The portal cannot move a booking that is checked in; sending it as it was changes nothing.
        #expect(try results(&d, [Self.booking("P1", "CODE01", "11:00", "11:30")]) == ["refused"])
        #expect(try results(&d, [Self.booking("P1", "CODE01", "09:00", "09:30")]) == ["unchanged"])
    }

    @Test("booked tickets go by slot ahead of walk-ins, behind 绿色通道; booked_ratio 3 lets an older walk-in in")
    func order() throws {
        var d = EngineDriver(Self.hall(bookedRatio: 3))
        try d.staff([1])
        let walkIn = try d.take("A")
        d.advance(seconds: 10)
        _ = try results(
            &d,
            (1...5).map { i in Self.booking("P\(i)", "CODE0\(i)", "09:\(10 * (6 - i))", "09:\(10 * (6 - i) + 9)") })
        for i in 1...5 { _ = try checkin(&d, "CODE0\(i)") }
        let green = try #require(try d.run(.take(service: "A", key: nil, priority: true)).subject.issued).ticket
        let order = try (0..<7).map { _ in try d.call(1).label }
        // 绿色通道 first; then bookings by slot (P5 at 09:10 … P1 at 09:50), three in a row;
        // then the walk-in, who waited longer; then the rest of the bookings.
        let byRef = Dictionary(uniqueKeysWithValues: d.engine.bookings.values.map { ($0.ref, $0.label ?? "") })
        #expect(
            order == [green.label, byRef["P5"]!, byRef["P4"]!, byRef["P3"]!, walkIn.label, byRef["P2"]!, byRef["P1"]!])
        // 0: booked tickets always before walk-ins.
        var strict = EngineDriver(Self.hall(bookedRatio: 0))
        try strict.staff([1])
        let w = try strict.take("A")
        _ = try results(&strict, (1...4).map { i in Self.booking("P\(i)", "CODE0\(i)", "09:0\(i)", "09:3\(i)") })
        for i in 1...4 { _ = try checkin(&strict, "CODE0\(i)") }
        #expect(try (0..<5).map { _ in try strict.call(1).label }.last == w.label)
    }

    /// A busy morning at one window, 5 minutes a ticket: from 08:30 a walk-in every 20 minutes,
    /// a booking every 5 minutes checked in on time (as many as the window can serve), a 绿色通道
    /// ticket every 30 minutes. Returns the longest wait of a walk-in called before noon, the
    /// walk-ins issued and those left waiting then, and the longest wait of a booked ticket.
    func busyMorning(
        ratio: Int
    ) throws -> (worstWalkIn: Int, walkIns: Int, walkInsLeft: Int, worstBooked: Int) {
        var d = EngineDriver(Self.hall(bookedRatio: ratio), at: monday9am - 1800 * 1000)
        try d.staff([1])
        var issuedAt: [String: (Int, String)] = [:]
        var worst = (walkIn: 0, booked: 0)
        var walkIns = 0
        var walkInsCalled = 0
        var nextCall = 0
        for t in stride(from: 0, to: 3.5 * 3600, by: 60).map({ Int($0) }) {
            if t % 1200 == 0 {
                issuedAt[try d.take("A").label] = (t, "walk-in")
                walkIns += 1
            }
            if t % 300 == 0 {
                let m = 30 + t / 60  // the slot starts now: 08:30 + t
                let ref = "B\(t)"
                let start = String(format: "%02d:%02d", 8 + m / 60, m % 60)
                let end = String(format: "%02d:%02d", 8 + (m + 5) / 60, (m + 5) % 60)
                _ = try results(&d, [Self.booking(ref, "CODE\(t)", start, end)])
                issuedAt[try checkin(&d, "CODE\(t)").label] = (t, "booked")
            }
            if t % 1800 == 0 { _ = try d.run(.take(service: "A", key: nil, priority: true)) }
            if t >= nextCall, case let .ticket(c)? = try? d.run(.call(window: 1, ticket: nil)).subject {
                if let (at, kind) = issuedAt[c.label] {
                    if kind == "walk-in" {
                        walkInsCalled += 1
                        worst.walkIn = max(worst.walkIn, t - at)
                    } else {
                        worst.booked = max(worst.booked, t - at)
                    }
                }
                nextCall = t + 300
            }
            d.advance(seconds: 60)
        }
        return (worst.walkIn, walkIns, walkIns - walkInsCalled, worst.booked)
    }

    @Test("a busy morning: booked strictly first starves the walk-ins; booked_ratio 3 bounds their wait")
    func busyMorningSimulation() throws {
        let strict = try busyMorning(ratio: 0)
        let fair = try busyMorning(ratio: 3)
        print(
            "busy morning, one window: booked strictly first → worst walk-in wait \(strict.worstWalkIn) s, \(strict.walkInsLeft) of \(strict.walkIns) walk-ins not called by noon (worst booked wait \(strict.worstBooked) s); booked_ratio 3 → worst walk-in wait \(fair.worstWalkIn) s, \(fair.walkInsLeft) not called (worst booked wait \(fair.worstBooked) s)"
        )
        // Strictly first, the bookings take every call: no walk-in is called all morning. With
        // the ratio a walk-in who has waited longer than the booked person at the head goes
        // after three booked calls, so most walk-ins are served, at some cost to the bookings.
        #expect(strict.walkInsLeft == strict.walkIns)
        #expect(fair.walkInsLeft * 2 < fair.walkIns)
        #expect(fair.worstWalkIn < 3 * 3600)
        #expect(fair.worstBooked > strict.worstBooked)
    }

    @Test("no-shows: a booking nobody checked in for becomes no_show just after slot_end + late_min")
    func noShows() throws {
        var d = EngineDriver(Self.hall())
        _ = try results(
            &d, [Self.booking("N1", "NOSHOW1", "09:00", "09:30"), Self.booking("N2", "NOSHOW2", "09:30", "10:00")])
        let due = try #require(d.engine.nextNoShow())
        #expect(due == monday9am + 50 * 60_000)
        d.now = due
        #expect(try d.run(.expireBookings).bookings.isEmpty)
        d.now = due + 1
        let e = try d.run(.expireBookings)
        #expect(e.bookings.map(\.ref) == ["N1"] && e.bookings.first?.state == .noShow)
        #expect(e.events.first?.details["action"] == "no_show")
        #expect(d.token(.checkin(code: "NOSHOW1")) == "TOO-LATE")
        #expect(d.engine.nextNoShow() == monday9am + 80 * 60_000)
    }

    @Test(
        "the quota: the 41st walk-in of a period is refused until the next period opens; bookings and 绿色通道 are not counted"
    )
    func quota() throws {
        let periods = [
            QuotaPeriod(start: 8 * 60 + 30, end: 12 * 60, tickets: 40),
            QuotaPeriod(start: 13 * 60 + 30, end: 17 * 60 + 30, tickets: 40),
        ]
        var d = EngineDriver(Self.hall(quota: periods))
        for _ in 0..<40 { _ = try d.take("A") }
        #expect(d.engine.quota(service: "A", at: d.now)?.left == 0)
        do {
            _ = try d.run(.take(service: "A", key: nil))
            Issue.record("the 41st walk-in was issued")
        } catch {
            #expect(error.token == .quotaExhausted && error.message.contains("13:30"))
        }
        // Another service, a 绿色通道 ticket and a booked check-in still go.
        _ = try d.take("B")
        _ = try d.run(.take(service: "A", key: nil, priority: true))
        _ = try results(&d, [Self.booking("P1", "CODE01", "09:00", "09:30")])
        #expect(try checkin(&d, "CODE01").slotStart != nil)
        // At lunch no period runs: not capped. At 13:30 the afternoon's 40 begin.
        d.now = monday9am + 3 * 3_600_000 + 30 * 60_000
        #expect(d.engine.quota(service: "A", at: d.now) == nil)
        d.now = monday9am + 4 * 3_600_000 + 30 * 60_000
        #expect(d.engine.quota(service: "A", at: d.now)?.left == 40)
        _ = try d.take("A")
        #expect(d.engine.quota(service: "A", at: d.now)?.left == 39)
        // A reload that lowers the quota counts what was issued already.
        var c = Self.hall(quota: [QuotaPeriod(start: 13 * 60 + 30, end: 17 * 60 + 30, tickets: 1)])
        c.queue = d.engine.config.queue
        d.engine.reconfigure(c)
        #expect(d.token(.take(service: "A", key: nil)) == "QUOTA-EXHAUSTED")
    }

    @Test("a scanner's keys: a code and Enter; garbage, a half-typed code and a stray Enter do nothing")
    func scanLine() {
        var s = ScanLine()
        var t = 0.0
        func type(_ keys: [String]) -> [String] {
            keys.compactMap { k in
                t += 0.01
                return s.press(k, at: t)
            }
        }
        let code = ["KEY_LEFTSHIFT", "KEY_K", "KEY_1", "KEY_0", "KEY_KP0", "KEY_2", "KEY_ENTER"]
        #expect(type(code) == ["K1002"])
        #expect(type(["KEY_H", "KEY_T", "KEY_SLASH", "KEY_1", "KEY_2", "KEY_3", "KEY_4", "KEY_ENTER"]).isEmpty)
        #expect(type(["KEY_ENTER"]).isEmpty)
        // Half a code, then a pause: the next code starts clean.
        _ = type(["KEY_A", "KEY_B"])
        t += 2
        #expect(type(code) == ["K1002"])
    }
}
