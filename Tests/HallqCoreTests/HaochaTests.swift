import Foundation
import Testing

@testable import HallqCore

/// 好差评 with cases (docs/HAOCHA.md): working days, the work order's table, cases and per-case
/// ratings in the engine, and the export profiles' codes against the standards' own tables.
@Suite struct HaochaTests {
    static let admin = WorkOrder.Actor(account: "lead", admin: true)

    // MARK: - Working days

    @Test("deadlines count working days: weekends, a public holiday and a 调休 Saturday")
    func workingDays() {
        let plain = WorkingCalendar()
        #expect(plain.adding(workingDays: 5, to: "2026-11-30") == "2026-12-07")  // Monday → next Monday
        #expect(plain.adding(workingDays: 1, to: "2026-12-04") == "2026-12-07")  // Friday → Monday
        #expect(plain.adding(workingDays: 1, to: "2026-12-05") == "2026-12-07")  // Saturday → Monday
        #expect(!plain.isWorkingDay("2026-12-05") && !plain.isWorkingDay("2026-12-06"))
        #expect(plain.isWorkingDay("2026-12-04"))
        // New Year 2027: Friday 1 January a holiday, Saturday 9 January worked in its place.
        let hall = WorkingCalendar(holidays: ["2027-01-01"], workdays: ["2027-01-09"])
        #expect(!hall.isWorkingDay("2027-01-01") && hall.isWorkingDay("2027-01-09"))
        #expect(plain.adding(workingDays: 5, to: "2026-12-31") == "2027-01-07")
        #expect(hall.adding(workingDays: 5, to: "2026-12-31") == "2027-01-08")
        #expect(hall.adding(workingDays: 6, to: "2026-12-31") == "2027-01-09")
        #expect(plain.adding(workingDays: 6, to: "2026-12-31") == "2027-01-08")
        #expect(WorkingCalendar.dayNumber("2026-02-29") == nil && WorkingCalendar.dayNumber("1970-01-01") == 0)
    }

    // MARK: - The work order's table

    func order(clerk: String = "clerk1") -> WorkOrder {
        WorkOrder(
            id: 1, ticketId: 7, label: "A001", day: "2026-11-30", service: "A", window: 1, clerk: clerk, level: 1,
            contents: ["101"], reason: nil, caseNos: ["C1"], ratedAt: monday9am, due: "2026-12-07")
    }

    func step(
        _ o: WorkOrder, _ c: WorkOrder.Change, by a: WorkOrder.Actor = admin, note: String? = "说明",
        today: String = "2026-12-01"
    ) throws(HallError) -> WorkOrder {
        try o.applying(c, by: a, note: note, now: monday9am + 86_400_000, today: today, secondDays: 15)
    }

    func token(_ f: () throws -> WorkOrder) -> String? {
        do {
            _ = try f()
            return nil
        } catch { return (error as? HallError)?.token.rawValue ?? "\(error)" }
    }

    @Test("open → verified → rectifying → rectified → revisited → closed, and nothing out of turn")
    func happyPath() throws {
        var o = order()
        #expect(token { try step(o, .rectify) } == "ORDER-STATE")
        #expect(token { try step(o, .close) } == "ORDER-STATE")
        o = try step(o, .verify)
        #expect(o.state == .verified && o.valid == true)
        o = try step(o, .rectify)
        #expect(o.state == .rectifying)
        #expect(token { try step(o, .rectified, note: nil) } == "BAD-REQUEST")
        #expect(token { try step(o, .postpone(due: "2026-12-05")) } == "BAD-REQUEST")  // not later
        o = try step(o, .postpone(due: "2026-12-14"))
        #expect(o.state == .postponed && o.due == "2026-12-14")
        o = try step(o, .rectified, note: "已加强培训")
        #expect(o.state == .rectified && o.note == "已加强培训" && o.rectifiedInTally)
        #expect(token { try step(o, .revisit(contact: .phone, result: " ", satisfied: true)) } == "BAD-REQUEST")
        o = try step(o, .revisit(contact: .phone, result: "群众表示满意", satisfied: true))
        #expect(o.state == .revisited && o.revisitSatisfied == true)
        #expect(o.secondUntil == monday9am + 15 * 86_400_000)
        o = try step(o, .close)
        #expect(o.state == .closed && o.closedAt != nil)
        #expect(token { try step(o, .verify) } == "ORDER-STATE")
    }

    @Test("an invalid claim needs an admin who is neither the rated clerk nor the claimant")
    func invalidClaim() throws {
        let o = try step(order(), .claimInvalid(.mistaken), by: .init(account: "clerk1", admin: false))
        #expect(o.state == .invalidClaimed && o.claimant == "clerk1" && o.claimReason == "mistaken")
        #expect(token { try step(order(), .claimInvalid(.malicious), note: nil) } == "BAD-REQUEST")
        // A clerk cannot mark their own 差评 invalid: not as a clerk, not as an admin.
        #expect(token { try step(o, .approve, by: .init(account: "clerk1", admin: false)) } == "NOT-ALLOWED")
        #expect(token { try step(o, .approve, by: .init(account: "clerk1", admin: true)) } == "NOT-ALLOWED")
        #expect(token { try step(o, .approve, by: .init(account: "clerk2", admin: false)) } == "NOT-ALLOWED")
        let claimedByLead = try step(order(), .claimInvalid(.malicious), by: Self.admin)
        #expect(token { try step(claimedByLead, .approve, by: Self.admin) } == "NOT-ALLOWED")
        let approved = try step(o, .approve)
        #expect(approved.state == .closed && approved.valid == false && !approved.rectifiedInTally)
        let rejected = try step(o, .reject)
        #expect(rejected.state == .verified && rejected.valid == true)
    }

    @Test("cannot-rectify needs approval too; rejected, the rectification goes on")
    func cannotRectify() throws {
        var o = try step(try step(order(), .verify), .rectify)
        o = try step(o, .claimCannot, by: .init(account: "clerk1", admin: false))
        #expect(o.state == .cannotClaimed)
        #expect(token { try step(o, .approve, by: .init(account: "clerk1", admin: true)) } == "NOT-ALLOWED")
        #expect(try step(o, .reject).state == .rectifying)
        let approved = try step(o, .approve)
        #expect(approved.state == .cannotRectify)
        let visited = try step(approved, .revisit(contact: .sms, result: "已解释", satisfied: false))
        #expect(visited.state == .revisited && !visited.rectifiedInTally)
    }

    @Test("overdue once the due day has passed while the hall still owes the rectification")
    func overdue() throws {
        let o = order()
        #expect(!o.overdue(today: "2026-12-07"))
        #expect(o.overdue(today: "2026-12-08"))
        var done = try step(try step(try step(o, .verify), .rectify), .rectified)
        #expect(!done.overdue(today: "2026-12-08"))
        done = try step(o, .verify)
        #expect(done.overdue(today: "2026-12-08"))
    }

    // MARK: - The engine

    func hall() -> EngineDriver {
        var c = testConfig()
        c.workingCalendar = WorkingCalendar(holidays: ["2026-12-03"])
        return EngineDriver(c)
    }

    @Test("cases on the ticket in hand; one rating of a ticket with two cases is two records")
    func twoCases() throws {
        var b = hall()
        try b.staff([1])
        #expect(b.token(.attachCase(window: 1, TicketCase(caseNo: "C1"))) == "NO-ACTIVE-TICKET")
        _ = try b.take("A")
        _ = try b.call(1)
        #expect(b.token(.attachCase(window: 1, TicketCase(caseNo: "bad case"))) == "BAD-REQUEST")
        try b.run(.attachCase(window: 1, TicketCase(caseNo: "C1", itemCode: "11330000MB0001", kind: .immediate)))
        try b.run(.attachCase(window: 1, TicketCase(caseNo: "C1", itemCode: "11330000MB0002", kind: .immediate)))
        let out = try b.run(.attachCase(window: 1, TicketCase(caseNo: "C2", itemName: "计量授权", kind: .promised)))
        #expect(out.events.first?.type == .caseAttached && out.events.first?.details["case_no"] == "C2")
        guard case let .ticket(t) = out.subject else {
            Issue.record("no ticket")
            return
        }
        #expect(t.cases.map(\.caseNo) == ["C1", "C2"] && t.cases[0].itemCode == "11330000MB0002")
        try b.run(.finish(window: 1, outcome: .served))
        // The business system creates a case number at completion: it still lands on the ticket.
        try b.run(.attachCase(window: 1, TicketCase(caseNo: "C3")))
        let window = RatingInput(score: 1, contents: [], channel: .window)
        #expect(b.token(.rate(window: 1, window)) == "BAD-REQUEST")  // a screen asks why
        #expect(b.token(.rate(window: 1, RatingInput(score: 1, contents: ["501"], channel: .window))) == "BAD-REQUEST")
        let rated = try b.run(
            .rate(window: 1, RatingInput(score: 1, reason: "等太久", contents: ["101"], channel: .window)))
        #expect(rated.caseRatings.map(\.caseNo) == ["C1", "C2", "C3"])
        #expect(rated.caseRatings.allSatisfy { $0.level == 1 && $0.count == 1 && $0.channel == .window })
        #expect(rated.caseRatings.map(\.id) == [1, 2, 3])
        #expect(rated.tickets.first?.rating == 1)
        // A bad rating opens one order, due five working days on (Thursday 3 December a holiday).
        #expect(rated.orders.count == 1)
        let o = try #require(rated.orders.first)
        #expect(o.state == .open && o.due == "2026-12-08" && o.caseNos == ["C1", "C2", "C3"] && o.clerk == "clerk1")
        #expect(rated.events.map(\.type) == [.rate, .order])
        #expect(rated.events.first?.details["ratings"] == "1,2,3" && rated.events.first?.details["order"] == "1")
        #expect(rated.events.first?.details["channel"] == "window" && rated.events.first?.details["count"] == "1")
        #expect(b.token(.attachCase(window: 1, TicketCase(caseNo: "C4"))) == "NO-ACTIVE-TICKET")
        // Overdue the day after the due day, and shown as such.
        #expect(b.engine.overdueOrders(at: b.now).isEmpty)
        b.advance(seconds: 9 * 86_400)
        #expect(b.engine.overdueOrders(at: b.now).map(\.id) == [1])
    }

    @Test("a ticket without cases rates as before; a button evaluator needs no content options")
    func withoutCases() throws {
        var b = hall()
        try b.staff([1])
        _ = try b.take("A")
        _ = try b.call(1)
        try b.run(.finish(window: 1, outcome: .served))
        let out = try b.run(.rate(window: 1, score: 4, reason: nil))
        #expect(out.caseRatings.isEmpty && out.orders.isEmpty && out.tickets.first?.rating == 4)
        _ = try b.take("A")
        _ = try b.call(1)
        try b.run(.attachCase(window: 1, TicketCase(caseNo: "C9")))
        try b.run(.finish(window: 1, outcome: .served))
        let bad = try b.run(.rate(window: 1, score: 2, reason: nil))
        #expect(bad.caseRatings.map(\.channel) == [.evaluator] && bad.orders.count == 1)
    }

    @Test("a second rating after the return visit, once, within second_days")
    func secondRating() throws {
        var b = hall()
        try b.staff([1])
        _ = try b.take("A")
        _ = try b.call(1)
        try b.run(.attachCase(window: 1, TicketCase(caseNo: "C1")))
        guard case let .ticket(finished) = try b.run(.finish(window: 1, outcome: .served)).subject else { return }
        try b.run(.rate(window: 1, RatingInput(score: 2, contents: ["203"], channel: .evaluator)))
        let qr = RatingInput(score: 4, contents: [], channel: .qr)
        b.advance(seconds: 86_400)
        #expect(b.token(.rateTicket(finished, qr)) == "NOTHING-TO-RATE")
        for change in [
            WorkOrder.Change.verify, .rectify, .rectified, .revisit(contact: .phone, result: "ok", satisfied: true),
        ] {
            try b.run(.orderUpdate(id: 1, change, by: Self.admin, note: "n"))
        }
        let again = try b.run(.rateTicket(finished, qr))
        #expect(again.caseRatings.map(\.count) == [2] && again.caseRatings.first?.level == 4)
        #expect(again.orders.first?.secondLevel == 4)
        #expect(b.token(.rateTicket(finished, qr)) != nil)
        let closed = try b.run(.orderUpdate(id: 1, .close, by: Self.admin, note: nil))
        #expect(closed.events.first?.details["action"] == "close" && b.engine.orders[1] == nil)
        #expect(b.token(.orderUpdate(id: 1, .close, by: Self.admin, note: nil)) == "UNKNOWN-ORDER")
    }

    // MARK: - Export profiles against the standards' tables

    /// GB/T 39046-2020 Appendix A.8 满意度代码, as the standard writes it (../shared/HAOCHA.md):
    /// copied from the standard's table, not from our encoder.
    static let gbt39046Codes = ["非常满意": 1, "满意": 2, "基本满意": 3, "不满意": 4, "非常不满意": 5]
    /// The Zhejiang `offlinereport` interface's `satisfaction` (public gateway code): 1 = 非常不满意 … 5 = 非常满意.
    static let zjCodes = ["非常不满意": 1, "不满意": 2, "基本满意": 3, "满意": 4, "非常满意": 5]

    func rating(level: Int, channel: RatingChannel = .evaluator) -> CaseRating {
        CaseRating(
            id: 42, ticketId: 7, label: "A001", day: "2026-11-30", service: "A", window: 1, clerk: "clerk1",
            case: TicketCase(caseNo: "330100202611300001", itemCode: "T001", itemName: "计量授权", kind: .immediate),
            level: level, channel: channel, contents: ["101", "103"], text: "态度差", at: monday9am, count: 1)
    }

    @Test("非常满意 exports as 1 in gbt39046 and as 5 in the Zhejiang profile, each level by its name")
    func direction() {
        let cal = HallCalendar(timeZone: TimeZone(identifier: "Asia/Shanghai")!)
        for (score, name, _) in Rating.levels {
            let r = rating(level: score)
            let g = HaochaProfile.gbt39046.record(r, region: "330100", hall: "h", calendar: cal)
            #expect(g.first { $0.name == "满意度代码" }?.value == .number(Self.gbt39046Codes[name]!), "\(name)")
            let z = HaochaProfile.zjOfflineReport.record(r, region: "330100", hall: "h", calendar: cal)
            #expect(z.first { $0.name == "satisfaction" }?.value == .number(Self.zjCodes[name]!), "\(name)")
        }
        #expect(
            HaochaProfile.gbt39046.direction == .bestIsOne && HaochaProfile.zjOfflineReport.direction == .bestIsFive)
    }

    @Test("gbt39046 writes Table 9's fields, in its order, with its time format and no rater")
    func gbtFields() {
        let cal = HallCalendar(timeZone: TimeZone(identifier: "Asia/Shanghai")!)
        let g = HaochaProfile.gbt39046.record(
            rating(level: 5, channel: .qr), region: "330100", hall: "h", calendar: cal)
        #expect(g.map(\.name) == ["办件编号", "评价渠道", "评价人", "评价时间", "评价次数", "满意度代码", "文字评价", "行政区划"])
        #expect(g.map(\.value.text) == ["330100202611300001", "二维码", "", "20261130T090000", "1", "1", "态度差", "330100"])
        let z = HaochaProfile.zjOfflineReport.record(rating(level: 1), region: "330100", hall: "h", calendar: cal)
        let zj = Dictionary(z.map { ($0.name, $0.value.text) }, uniquingKeysWith: { a, _ in a })
        #expect(zj["pf"] == "4" && zj["evalDetail"] == "101,103" && zj["assessTime"] == "2026-11-30 09:00:00")
        #expect(zj["assessNumber"] == "1" && zj["projectNo"] == "330100202611300001" && zj["taskName"] == "计量授权")
    }
}
