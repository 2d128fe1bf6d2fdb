import Foundation

/// Opening hours per weekday and the dispensing cut-off. Hours decide only when tickets may be
/// *issued*: tickets already issued are called and finished whatever the clock says.
public struct BusinessHours: Sendable, Equatable {
    /// Index 0 = Monday ... 6 = Sunday; nil = closed that day. Minutes since local midnight.
    public var days: [ClosedRange<Int>?]
    public var dispenseCutoffMinutes: Int

    public init(days: [ClosedRange<Int>?], dispenseCutoffMinutes: Int = 0) {
        precondition(days.count == 7)
        self.days = days
        self.dispenseCutoffMinutes = dispenseCutoffMinutes
    }

    public static let weekdayKeys = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

    /// Parses "08:30-17:30" into minutes; "" means closed (nil inside .some).
    public static func parseRange(_ s: String) -> ClosedRange<Int>?? {
        if s.trimmingCharacters(in: .whitespaces).isEmpty { return .some(nil) }
        let halves = s.split(separator: "-", omittingEmptySubsequences: false)
        guard halves.count == 2, let a = minute(of: String(halves[0])), let b = minute(of: String(halves[1])), a < b
        else { return nil }
        return .some(a...b)
    }

    private static func minute(of hhmm: String) -> Int? {
        let p = hhmm.trimmingCharacters(in: .whitespaces).split(separator: ":")
        guard p.count == 2, p[1].count == 2, let h = Int(p[0]), let m = Int(p[1]), (0...24).contains(h),
            (0...59).contains(m),
            h * 60 + m <= 24 * 60
        else { return nil }
        return h * 60 + m
    }

    /// Whether the kiosk may issue a ticket at this local weekday and minute.
    public func dispensing(weekday: Int, minute: Int) -> Bool {
        guard let open = days[weekday] else { return false }
        return minute >= open.lowerBound && minute < open.upperBound - dispenseCutoffMinutes
    }
}
