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

/// The arithmetic calendar against Foundation's (an independent implementation: ICU's), for
/// instants across centuries, leap days and DST zones.
@Suite("Civil time without formatters")
struct CivilTimeTests {
    static let zones = ["Asia/Shanghai", "UTC", "America/New_York", "Europe/Berlin", "Asia/Kolkata", "Pacific/Chatham"]

    @Test("isoUTC, day, hour, weekday and local timestamps equal Foundation's", arguments: zones)
    func matchesFoundation(zone: String) {
        let tz = TimeZone(identifier: zone)!
        let cal = HallCalendar(timeZone: tz)
        var g = Calendar(identifier: .gregorian)
        g.timeZone = tz
        let iso = ISO8601DateFormatter()
        iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let local = ISO8601DateFormatter()
        local.timeZone = tz
        local.formatOptions = [.withInternetDateTime]
        var rng = SystemRandomNumberGenerator()
        // Fixed edges (epoch, leap days, DST changes in New York and Berlin) and random instants 1970 … 2100
        // (before 1901 some zones had offsets in seconds, which no hall will see).
        let edges: [Millis] = [
            0, 951_782_400_000, 951_868_799_999, 1_709_164_800_000, 1_710_054_000_000, 1_711_846_800_000,
        ]
        let instants = edges + (0..<1000).map { _ in Millis.random(in: 0...4_102_444_800_000, using: &rng) }
        for t in instants {
            let date = Date(timeIntervalSince1970: Double(t) / 1000)
            #expect(isoUTC(t) == iso.string(from: date), "\(t)")
            let p = g.dateComponents([.year, .month, .day, .hour, .minute, .weekday], from: date)
            #expect(cal.day(t) == String(format: "%04d-%02d-%02d", p.year!, p.month!, p.day!), "\(zone) \(t)")
            #expect(cal.hour(t) == p.hour!, "\(zone) \(t)")
            #expect(cal.weekdayAndMinute(t) == ((p.weekday! + 5) % 7, p.hour! * 60 + p.minute!), "\(zone) \(t)")
            #expect(cal.localTimestamp(t) == local.string(from: date), "\(zone) \(t)")
        }
    }
}
