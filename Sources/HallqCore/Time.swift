import Foundation

/// Milliseconds since the Unix epoch, UTC. The engine never reads a clock: every command
/// carries the time it happens at, so tests can play a whole day in microseconds.
public typealias Millis = Int64

/// A reading of the monotonic clock (CLOCK_BOOTTIME: it never steps and counts suspend) with
/// the boot it belongs to. Wall clocks step (NTP correcting a machine without an RTC, an admin
/// setting the time); two monotonic readings of one boot give the true time between them.
public struct MonoStamp: Sendable, Equatable, Codable {
    public var boot: String
    public var ms: Int64
    public init(boot: String, ms: Int64) {
        self.boot = boot
        self.ms = ms
    }
}

/// Milliseconds from one moment to a later one: by the monotonic readings when both are from
/// the same boot, else by the wall clock clamped at 0 (`fallback` then says so). Never negative.
public func elapsed(from a: Millis, _ am: MonoStamp?, to b: Millis, _ bm: MonoStamp?) -> (ms: Millis, fallback: Bool) {
    if let am, let bm, am.boot == bm.boot { return (max(0, bm.ms - am.ms), false) }
    return (max(0, b - a), true)
}

/// Local-calendar questions the hall asks of a UTC instant: which business day, which weekday,
/// which minute of the day. Numbering and opening hours follow the hall's time zone, not UTC.
public struct HallCalendar: Sendable {
    public let timeZone: TimeZone
    private let calendar: Calendar

    public init(timeZone: TimeZone) {
        self.timeZone = timeZone
        var c = Calendar(identifier: .gregorian)
        c.timeZone = timeZone
        self.calendar = c
    }

    private func parts(_ t: Millis) -> DateComponents {
        calendar.dateComponents(
            [.year, .month, .day, .hour, .minute, .weekday],
            from: Date(timeIntervalSince1970: Double(t) / 1000))
    }

    /// The business day as "YYYY-MM-DD" in local time.
    public func day(_ t: Millis) -> String {
        let p = parts(t)
        return String(format: "%04d-%02d-%02d", p.year!, p.month!, p.day!)
    }

    /// "YYYY-MM" in local time.
    public func month(_ t: Millis) -> String { String(day(t).prefix(7)) }

    /// Local hour 0...23.
    public func hour(_ t: Millis) -> Int { parts(t).hour! }

    /// Weekday 0 = Monday ... 6 = Sunday, and minutes since local midnight.
    public func weekdayAndMinute(_ t: Millis) -> (weekday: Int, minute: Int) {
        let p = parts(t)
        return ((p.weekday! + 5) % 7, p.hour! * 60 + p.minute!)
    }

    /// The UTC instant at which a local day ("YYYY-MM-DD") begins; nil when the string is no date.
    public func startOfDay(_ day: String) -> Millis? {
        let f = day.split(separator: "-").compactMap { Int($0) }
        guard f.count == 3, day.count == 10 else { return nil }
        var dc = DateComponents()
        dc.year = f[0]
        dc.month = f[1]
        dc.day = f[2]
        guard let d = calendar.date(from: dc), self.day(Millis(d.timeIntervalSince1970 * 1000)) == day else {
            return nil
        }
        return Millis((d.timeIntervalSince1970 * 1000).rounded())
    }

    /// ISO 8601 in local time with offset, e.g. "2026-11-30T09:02:03+08:00", for people reading output.
    public func localTimestamp(_ t: Millis) -> String {
        let f = ISO8601DateFormatter()
        f.timeZone = timeZone
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: Date(timeIntervalSince1970: Double(t) / 1000))
    }
}

/// UTC ISO 8601 with milliseconds, the wire and log format for instants.
public func isoUTC(_ t: Millis) -> String {
    let f = ISO8601DateFormatter()
    f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return f.string(from: Date(timeIntervalSince1970: Double(t) / 1000))
}
