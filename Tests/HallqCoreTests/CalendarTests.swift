import Foundation
import Testing

@testable import HallqCore

@Suite("Hall calendar and hours")
struct CalendarTests {
    let shanghai = HallCalendar(timeZone: TimeZone(identifier: "Asia/Shanghai")!)

    @Test func localDayAndWeekday() {
        #expect(shanghai.day(monday9am) == "2026-11-30")
        #expect(shanghai.weekdayAndMinute(monday9am) == (0, 540))
        #expect(shanghai.startOfDay("2026-11-30") == monday9am - 9 * 3_600_000)
        #expect(shanghai.startOfDay("2026-02-30") == nil)
        #expect(shanghai.localTimestamp(monday9am) == "2026-11-30T09:00:00+08:00")
    }

    @Test("hours parse", arguments: [("08:30-17:30", 510...1050), ("00:00-24:00", 0...1440)])
    func parse(text: String, range: ClosedRange<Int>) {
        #expect(BusinessHours.parseRange(text) == .some(range))
    }

    @Test("bad hours are rejected", arguments: ["8-17", "17:30-08:30", "08:30-25:00", "08:3-17:30", "x"])
    func badHours(text: String) {
        #expect(BusinessHours.parseRange(text) == nil)
    }

    @Test func closedDayIsEmptyString() {
        #expect(BusinessHours.parseRange("") == .some(nil))
    }
}
