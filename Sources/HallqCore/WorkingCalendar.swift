/// The hall's working days (`[calendar]`): Monday to Friday, less the public holidays, plus the
/// weekend days worked in their place (调休). Deadlines that rules give "in working days" — the
/// bad-rating work order's rectification (`[rating] rectify_days`) — count on it.
///
/// The State Council publishes each year's holidays and 调休 days in December; a hall enters them
/// as local dates (`holidays = ["2027-01-01", …]`, `workdays = ["2027-02-07", …]`). A date listed
/// in both is a working day.
public struct WorkingCalendar: Sendable, Equatable {
    public var holidays: Set<String>
    public var workdays: Set<String>

    public init(holidays: Set<String> = [], workdays: Set<String> = []) {
        self.holidays = holidays
        self.workdays = workdays
    }

    public func isWorkingDay(_ day: String) -> Bool {
        if workdays.contains(day) { return true }
        if holidays.contains(day) { return false }
        guard let n = Self.dayNumber(day) else { return false }
        // 1970-01-01 (day 0) was a Thursday: weekday 0 is Monday … 6 Sunday.
        let weekday = ((n + 3) % 7 + 7) % 7
        return weekday < 5
    }

    /// The `n`th working day after `day` (the day itself never counts): a deadline of 5 working
    /// days from a Friday rating is the next Friday, with no holiday in between.
    public func adding(workingDays n: Int, to day: String) -> String {
        guard var d = Self.dayNumber(day) else { return day }
        var left = max(0, n)
        while left > 0 {
            d += 1
            if isWorkingDay(HallCalendar.day(number: d)) { left -= 1 }
        }
        return HallCalendar.day(number: d)
    }

    /// Days since 1970-01-01 of a "YYYY-MM-DD" date (proleptic Gregorian), or nil if it is not one.
    public static func dayNumber(_ day: String) -> Int64? {
        let parts = day.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let y = Int64(parts[0]), let m = Int64(parts[1]), let d = Int64(parts[2]), (1...12).contains(m),
            d >= 1, d <= daysIn(month: m, year: y)
        else { return nil }
        // Howard Hinnant's days_from_civil.
        let yy = m <= 2 ? y - 1 : y
        let era = (yy >= 0 ? yy : yy - 399) / 400
        let yoe = yy - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func daysIn(month m: Int64, year y: Int64) -> Int64 {
        switch m {
        case 2: return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}
