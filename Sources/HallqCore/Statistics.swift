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
    /// figure is a duration some ticket really had. The rank is ⌈p·n⌉ in integers (0.9 × 70 is
    /// 63, not the 63.000000000000007 a Double makes of it).
    public init(_ values: [Double]) {
        let v = values.sorted()
        self.init(
            count: v.count, mean: v.isEmpty ? nil : v.reduce(0, +) / Double(v.count),
            median: Self.rank(v, 1, 2), p90: Self.rank(v, 9, 10), max: v.last)
    }

    /// The same from durations in milliseconds, the store's unit: the mean is their exact sum
    /// over the count, in seconds.
    public init(milliseconds values: [Int64]) {
        let v = values.sorted()
        let seconds = { (ms: Int64?) in ms.map { Double($0) / 1000 } }
        self.init(
            count: v.count, mean: v.isEmpty ? nil : Double(v.reduce(0, +)) / Double(v.count) / 1000,
            median: seconds(Self.rank(v, 1, 2)), p90: seconds(Self.rank(v, 9, 10)), max: seconds(v.last))
    }

    public init(count: Int, mean: Double?, median: Double?, p90: Double?, max: Double?) {
        self.count = count
        self.mean = mean
        self.median = median
        self.p90 = p90
        self.max = max
    }

    /// The nearest-rank element for p = num/den: the ⌈p·n⌉-th smallest (1-based).
    static func rank<T>(_ sorted: [T], _ num: Int, _ den: Int) -> T? {
        guard !sorted.isEmpty else { return nil }
        return sorted[Swift.max(1, (num * sorted.count + den - 1) / den) - 1]
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
    /// Satisfaction ratings (好差评) of the tickets these visits ended: how many at each level.
    public var ratingLevels: RatingLevels
    public var ratings: Int { ratingLevels.count }
    public var ratingMean: Double? { ratingLevels.mean }

    public init(
        key: String, issued: Int, served: Int, noshows: Int, transferred: Int, otherEnds: Int,
        wait: DurationSummary, service: DurationSummary, ratingLevels: RatingLevels = .init()
    ) {
        self.key = key
        self.issued = issued
        self.served = served
        self.noshows = noshows
        self.transferred = transferred
        self.otherEnds = otherEnds
        self.wait = wait
        self.service = service
        self.ratingLevels = ratingLevels
    }
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
            var waits: [Int64] = [], services: [Int64] = [], ratings: [Int] = []
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
                a.waits.append(l.waitMs)
                a.services.append(l.serviceMs)
                if let r = ratedByTicket[l.ticketId] { a.ratings.append(r) }
            case .noshow: a.noshow += 1
            case .transferred: a.transferred += 1
            case .incomplete, .referred, .cancelled:
                a.other += 1
                a.services.append(l.serviceMs)
                if let r = ratedByTicket[l.ticketId] { a.ratings.append(r) }
            }
            acc[k] = a
        }
        return acc.keys.sorted(by: Self.keyOrder).map { k in
            let a = acc[k]!
            return StatsRow(
                key: k, issued: a.issued, served: a.served, noshows: a.noshow, transferred: a.transferred,
                otherEnds: a.other, wait: DurationSummary(milliseconds: a.waits),
                service: DurationSummary(milliseconds: a.services),
                ratingLevels: RatingLevels(scores: a.ratings))
        }
    }

    /// Numbers sort as numbers (window 10 after window 9), the rest as text.
    public static func keyOrder(_ a: String, _ b: String) -> Bool {
        if let x = Int(a), let y = Int(b) { return x < y }
        return a < b
    }
}
