import Foundation
import GRDB
import HallqCore

/// `stats` over a year of history without loading it: SQLite counts issued tickets per group over
/// an index, and the legs of the span are read once from a covering index as plain values (no
/// ticket or leg records): counts, ratings, and the durations, whose nearest-rank percentiles
/// need them sorted.
/// The definitions are `Statistics.rows`' (a test holds the two to the same figures): legs called
/// in the span, tickets issued on its days, waits of served legs, service times of served and
/// otherwise-ended legs.
///
/// Why not percentiles in SQL as well: SQLite's window functions (ROW_NUMBER over each key's
/// values) cost about 2 µs a row on this machine, several seconds for a year; one indexed scan
/// and a sort of integers in Swift take a fraction of that.
extension HallStore {
    /// Statistics rows for the local days `fromDay`…`toDay`: legs called in [start, end) (UTC
    /// ms, the span's local midnights), tickets issued on those days.
    public func statistics(
        by dim: StatsDimension, fromDay: String, toDay: String, start: Millis, end: Millis, calendar: HallCalendar
    ) async throws -> [StatsRow] {
        let legKeyTemplate = Self.keySQL(dim, ticket: false, calendar: calendar, start: start, end: end)
        /// The legs' key with their columns qualified by `alias` ("" or "l.").
        let legKey: @Sendable (String) -> String = { alias in legKeyTemplate.replacingOccurrences(of: "§", with: alias)
        }
        let ticketKey = Self.keySQL(dim, ticket: true, calendar: calendar, start: start, end: end)
        return try await read { db in
            /// Per key: the counts and ratings (in `row`), and the durations in ms.
            struct Group {
                var row: StatsRow
                var waits: [Int64] = []
                var services: [Int64] = []
            }
            var groups: [String: Group] = [:]
            /// The group of each raw key value seen, so a row costs one lookup.
            var named: [DatabaseValue: String] = [:]
            /// A group's key as `stats` names it (SQL groups days and hours by number).
            func key(_ value: DatabaseValue) -> String {
                switch dim {
                case .day: return HallCalendar.day(number: Int64.fromDatabaseValue(value) ?? 0)
                case .hour: return CivilTime.pad(Int.fromDatabaseValue(value) ?? 0, 2)
                default: return String.fromDatabaseValue(value) ?? "-"
                }
            }
            func group(_ value: DatabaseValue) -> String {
                if let k = named[value] { return k }
                let k = key(value)
                named[value] = k
                if groups[k] == nil {
                    groups[k] = Group(
                        row: StatsRow(
                            key: k, issued: 0, served: 0, noshows: 0, transferred: 0, otherEnds: 0,
                            wait: DurationSummary(milliseconds: []), service: DurationSummary(milliseconds: []),
                            ratingLevels: .init()))
                }
                return k
            }
            let days: StatementArguments = [fromDay, toDay]
            let span: StatementArguments = [start, end]
            for r in try Row.fetchAll(
                db, sql: "SELECT \(ticketKey) AS k, COUNT(*) AS n FROM tickets WHERE day >= ? AND day <= ? GROUP BY k",
                arguments: days)
            {
                groups[group(r["k"])]!.row.issued = r["n"]
            }
            // Every leg of the span once, as five plain values from one covering index; a rating
            // counts when its ticket was issued in the span.
            let legs = try Row.fetchCursor(
                db,
                sql: """
                    SELECT \(legKey("")) AS k, outcome, wait_ms, service_ms,
                        CASE WHEN day >= ? AND day <= ? THEN rating END
                    FROM legs WHERE called_at >= ? AND called_at < ?
                    """,
                arguments: days + span)
            while let r = try legs.next() {
                let k = group(r[0])
                let outcome: String = r[1]
                switch outcome {
                case "served":
                    groups[k]!.row.served += 1
                    groups[k]!.waits.append(r[2])
                    groups[k]!.services.append(r[3])
                case "noshow":
                    groups[k]!.row.noshows += 1
                    continue
                case "transferred":
                    groups[k]!.row.transferred += 1
                    continue
                default:
                    groups[k]!.row.otherEnds += 1
                    groups[k]!.services.append(r[3])
                }
                if let rating = r[4] as Int? { groups[k]!.row.ratingLevels.add(rating) }
            }
            return groups.keys.sorted(by: Statistics.keyOrder).map { k in
                let g = groups[k]!
                var row = g.row
                row.wait = DurationSummary(milliseconds: g.waits)
                row.service = DurationSummary(milliseconds: g.services)
                return row
            }
        }
    }

    /// The SQL for a row's key. `§` stands for the table alias (legs' columns may be qualified).
    /// Hours and days are local: the instant plus the zone's offset in force then (a CASE over
    /// the span's offset changes), divided down to a day or hour number that Swift names after
    /// grouping; months compare the instant with each local month's first midnight. No
    /// `strftime` per row: on a year of legs it cost more than the rest of the query.
    static func keySQL(
        _ dim: StatsDimension, ticket: Bool, calendar: HallCalendar, start: Millis, end: Millis
    ) -> String {
        let instant = ticket ? "issued_at" : "§called_at"
        let local = "(\(instant) + \(offsetSQL(calendar, instant, start, end)))"
        switch dim {
        case .service: return ticket ? "issued_service" : "§service"
        case .window: return ticket ? "'-'" : "CAST(§window AS TEXT)"
        case .clerk: return ticket ? "'-'" : "COALESCE(§clerk, '-')"
        case .hour: return "(\(local) / 3600000 % 24)"
        case .day: return "(\(local) / 86400000)"
        case .month:
            var cases: [String] = []
            var month = calendar.month(start)
            while let next = nextMonthStart(month, calendar), next < end {
                cases.append("WHEN \(instant) < \(next) THEN '\(month)'")
                month = calendar.month(next)
            }
            return cases.isEmpty ? "'\(month)'" : "CASE \(cases.joined(separator: " ")) ELSE '\(month)' END"
        case .total: return "'all'"
        }
    }

    /// The UTC instant of the local midnight that starts the month after "YYYY-MM".
    static func nextMonthStart(_ month: String, _ calendar: HallCalendar) -> Millis? {
        let p = month.split(separator: "-").compactMap { Int($0) }
        guard p.count == 2 else { return nil }
        let (y, m) = p[1] == 12 ? (p[0] + 1, 1) : (p[0], p[1] + 1)
        return calendar.startOfDay(String(format: "%04d-%02d-01", y, m))
    }

    /// The zone's UTC offset in ms at `column`, for instants around [start, end): the calendar's
    /// own table of offsets as a CASE.
    static func offsetSQL(_ calendar: HallCalendar, _ column: String, _ start: Millis, _ end: Millis) -> String {
        let (initial, changes) = calendar.offsetChanges(from: start - 86_400_000, to: end + 86_400_000)
        guard !changes.isEmpty else { return "\(initial)" }
        var before = initial
        var cases: [String] = []
        for c in changes {
            cases.append("WHEN \(column) < \(c.at) THEN \(before)")
            before = c.ms
        }
        return "CASE \(cases.joined(separator: " ")) ELSE \(before) END"
    }
}
