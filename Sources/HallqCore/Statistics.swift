import Foundation

/// Wait-time and service-time figures, grouped the way admins ask for them. Pure: the store
/// hands over ticket rows and legs for a date range, this folds them.
public enum StatsDimension: String, Sendable, CaseIterable {
    case service, window, clerk, hour, day, month, total
}

public struct DurationSummary: Sendable, Equatable, Codable {
    public var count: Int
    public var mean: Double?
    public var median: Double?
    public var p90: Double?
    public var max: Double?

    /// Median and p90 by the nearest-rank method on sorted seconds: no interpolation, so every
    /// figure is a duration some ticket really had.
    public init(_ values: [Double]) {
        let v = values.sorted()
        count = v.count
        guard !v.isEmpty else {
            mean = nil
            median = nil
            p90 = nil
            max = nil
            return
        }
        mean = v.reduce(0, +) / Double(v.count)
        func rank(_ p: Double) -> Double { v[Swift.max(0, Int((p * Double(v.count)).rounded(.up)) - 1)] }
        median = rank(0.5)
        p90 = rank(0.9)
        max = v.last
    }
}

public struct StatsRow: Sendable, Equatable, Codable {
    public var key: String
    public var issued: Int
    public var served: Int
    public var noshows: Int
    public var transferred: Int
    public var otherEnds: Int
    public var wait: DurationSummary
    public var service: DurationSummary
    public var ratings: Int
    public var ratingMean: Double?
}

public enum Statistics {
    /// Groups legs (visits to a window) and issued tickets.
    /// - issued: tickets issued, keyed by issue time (no window or clerk: those keys show "-").
    /// - wait: served legs only, call − entering that queue. service: served legs, end − call.
    /// - hour/day/month follow the local time of the call (of issue for `issued`).
    public static func rows(
        by dim: StatsDimension, tickets: [Ticket], legs: [Leg], calendar: HallCalendar
    ) -> [StatsRow] {
        struct Acc {
            var issued = 0, served = 0, noshow = 0, transferred = 0, other = 0
            var waits: [Double] = [], services: [Double] = [], ratings: [Int] = []
        }
        var acc: [String: Acc] = [:]
        func key(service: String, window: Int?, clerk: String?, at: Millis) -> String {
            switch dim {
            case .service: return service
            case .window: return window.map(String.init) ?? "-"
            case .clerk: return clerk ?? "-"
            case .hour: return String(format: "%02d", calendar.hour(at))
            case .day: return calendar.day(at)
            case .month: return calendar.month(at)
            case .total: return "all"
            }
        }
        for t in tickets {
            acc[key(service: t.issuedService, window: nil, clerk: nil, at: t.issuedAt), default: Acc()].issued += 1
        }
        let ratedByTicket = Dictionary(
            tickets.compactMap { t in t.rating.map { (t.id, $0) } }, uniquingKeysWith: { a, _ in a })
        for l in legs {
            let k = key(service: l.service, window: l.window, clerk: l.clerk, at: l.calledAt)
            var a = acc[k, default: Acc()]
            switch l.outcome {
            case .served:
                a.served += 1
                a.waits.append(l.waitSeconds)
                a.services.append(l.serviceSeconds)
                if let r = ratedByTicket[l.ticketId] { a.ratings.append(r) }
            case .noshow: a.noshow += 1
            case .transferred: a.transferred += 1
            case .incomplete, .referred, .cancelled:
                a.other += 1
                a.services.append(l.serviceSeconds)
                if let r = ratedByTicket[l.ticketId] { a.ratings.append(r) }
            }
            acc[k] = a
        }
        return acc.keys.sorted(by: Self.keyOrder).map { k in
            let a = acc[k]!
            return StatsRow(
                key: k, issued: a.issued, served: a.served, noshows: a.noshow, transferred: a.transferred,
                otherEnds: a.other, wait: DurationSummary(a.waits), service: DurationSummary(a.services),
                ratings: a.ratings.count,
                ratingMean: a.ratings.isEmpty ? nil : Double(a.ratings.reduce(0, +)) / Double(a.ratings.count))
        }
    }

    /// Numbers sort as numbers (window 10 after window 9), the rest as text.
    static func keyOrder(_ a: String, _ b: String) -> Bool {
        if let x = Int(a), let y = Int(b) { return x < y }
        return a < b
    }
}
