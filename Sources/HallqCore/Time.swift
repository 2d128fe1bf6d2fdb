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
    /// The zone's UTC offsets from 1970 to 2100, each with the instant it starts (ascending): one
    /// binary search per question instead of asking the time zone database, which an export of a
    /// month asks hundreds of thousands of times.
    private let offsets: [(from: Millis, ms: Millis)]

    public init(timeZone: TimeZone) {
        self.timeZone = timeZone
        var c = Calendar(identifier: .gregorian)
        c.timeZone = timeZone
        self.calendar = c
        var at = Date(timeIntervalSince1970: 0)
        var table: [(from: Millis, ms: Millis)] = [(Millis.min, Millis(timeZone.secondsFromGMT(for: at)) * 1000)]
        let last = Date(timeIntervalSince1970: 4_102_444_800)
        while let next = timeZone.nextDaylightSavingTimeTransition(after: at), next < last {
            table.append(
                (
                    Millis((next.timeIntervalSince1970 * 1000).rounded()),
                    Millis(timeZone.secondsFromGMT(for: next)) * 1000
                ))
            at = next
        }
        offsets = table
    }

    /// The offset in force at `start` and each change of it before `end` (when it happens, the
    /// new offset), all in ms: for code that must compute local times itself (SQL).
    public func offsetChanges(
        from start: Millis, to end: Millis
    ) -> (initial: Millis, changes: [(at: Millis, ms: Millis)]) {
        (offset(at: start), offsets.filter { $0.from > start && $0.from < end }.map { ($0.from, $0.ms) })
    }

    /// The zone's offset from UTC in force at `t`, in ms.
    public func offset(at t: Millis) -> Millis {
        var lo = 0
        var hi = offsets.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if offsets[mid].from <= t { lo = mid } else { hi = mid - 1 }
        }
        return offsets[lo].ms
    }

    /// Local wall-clock fields of an instant: the zone's offset at that instant, then plain
    /// arithmetic. No Calendar or formatter per call (they cost more than the rest of a command).
    private func parts(_ t: Millis) -> CivilTime { CivilTime(t + offset(at: t)) }

    /// The business day as "YYYY-MM-DD" in local time.
    public func day(_ t: Millis) -> String { parts(t).date }

    /// The "YYYY-MM-DD" of a local day given as days since 1970-01-01 (local midnight to local
    /// midnight): how SQL that groups by `(instant + offset) / 86400000` names its groups.
    public static func day(number: Int64) -> String { CivilTime(number * 86_400_000).date }

    /// "YYYY-MM" in local time.
    public func month(_ t: Millis) -> String { String(day(t).prefix(7)) }

    /// Local hour 0...23.
    public func hour(_ t: Millis) -> Int { parts(t).hour }

    /// Weekday 0 = Monday ... 6 = Sunday, and minutes since local midnight.
    public func weekdayAndMinute(_ t: Millis) -> (weekday: Int, minute: Int) {
        let p = parts(t)
        return (p.weekday, p.hour * 60 + p.minute)
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
    /// "YYYY-MM-DD hh:mm:ss" in local time, no offset (the way forms and provincial interfaces
    /// write a time).
    public func localDateTime(_ t: Millis) -> String {
        let c = CivilTime(t + offset(at: t))
        return c.date + " " + c.clock
    }

    public func localTimestamp(_ t: Millis) -> String {
        let offsetMs = offset(at: t)
        let c = CivilTime(t + offsetMs)
        let sign = offsetMs < 0 ? "-" : "+"
        let o = Int(abs(offsetMs) / 60_000)
        return c.date + "T" + c.clock
            + (offsetMs == 0 ? "Z" : sign + CivilTime.pad(o / 60, 2) + ":" + CivilTime.pad(o % 60, 2))
    }
}

/// UTC ISO 8601 with milliseconds, the wire and log format for instants: "2026-11-30T01:02:03.045Z".
public func isoUTC(_ t: Millis) -> String {
    let c = CivilTime(t)
    return c.date + "T" + c.clock + "." + CivilTime.pad(c.millisecond, 3) + "Z"
}

/// Year, month, day, hour, minute, second and weekday of a millisecond count, read as a wall
/// clock (UTC, or local once the offset is added). Proleptic Gregorian, by Howard Hinnant's
/// days-to-civil algorithm: exact for every day, no time zone database involved.
public struct CivilTime {
    var year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, millisecond: Int
    /// 0 = Monday … 6 = Sunday.
    var weekday: Int

    init(_ ms: Millis) {
        let days = Int(ms >= 0 ? ms / 86_400_000 : (ms - 86_399_999) / 86_400_000)
        let rest = Int(ms - Millis(days) * 86_400_000)
        hour = rest / 3_600_000
        minute = rest / 60_000 % 60
        second = rest / 1000 % 60
        millisecond = rest % 1000
        weekday = ((days % 7) + 7 + 3) % 7  // 1970-01-01 was a Thursday (3)
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        day = doy - (153 * mp + 2) / 5 + 1
        month = mp < 10 ? mp + 3 : mp - 9
        year = yoe + era * 400 + (month <= 2 ? 1 : 0)
    }

    /// "YYYY-MM-DD".
    var date: String { Self.pad(year, 4) + "-" + Self.pad(month, 2) + "-" + Self.pad(day, 2) }
    /// "HH:MM:SS".
    var clock: String { Self.pad(hour, 2) + ":" + Self.pad(minute, 2) + ":" + Self.pad(second, 2) }

    public static func pad(_ n: Int, _ width: Int) -> String {
        let s = String(n)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }
}
