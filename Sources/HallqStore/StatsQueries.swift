import Foundation
import GRDB
import HallqCore

/// `stats` computed by SQLite over indexed columns, so a year of history is folded where it lies
/// instead of loaded into Swift objects. The definitions are `Statistics.rows`' (a test holds
/// the two to the same figures): legs called in the span, tickets issued on its days, waits of
/// served legs, service times of served and otherwise-ended legs, nearest-rank percentiles.
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
            var rows: [String: StatsRow] = [:]
            func row(_ k: String) -> StatsRow {
                rows[k]
                    ?? StatsRow(
                        key: k, issued: 0, served: 0, noshows: 0, transferred: 0, otherEnds: 0,
                        wait: DurationSummary(milliseconds: []), service: DurationSummary(milliseconds: []), ratings: 0,
                        ratingMean: nil)
            }
            let days: StatementArguments = [fromDay, toDay]
            let span: StatementArguments = [start, end]
            for r in try Row.fetchAll(
                db, sql: "SELECT \(ticketKey) AS k, COUNT(*) AS n FROM tickets WHERE day >= ? AND day <= ? GROUP BY k",
                arguments: days)
            {
                var x = row(r["k"])
                x.issued = r["n"]
                rows[x.key] = x
            }
            for r in try Row.fetchAll(
                db,
                sql: """
                    SELECT \(legKey("")) AS k,
                        SUM(outcome = 'served') AS served, SUM(outcome = 'noshow') AS noshows,
                        SUM(outcome = 'transferred') AS transferred,
                        SUM(outcome IN ('incomplete', 'referred', 'cancelled')) AS other
                    FROM legs WHERE called_at >= ? AND called_at < ? GROUP BY k
                    """, arguments: span)
            {
                var x = row(r["k"])
                x.served = r["served"]
                x.noshows = r["noshows"]
                x.transferred = r["transferred"]
                x.otherEnds = r["other"]
                rows[x.key] = x
            }
            // Ratings of the tickets issued in the span, on their served or otherwise-ended legs.
            for r in try Row.fetchAll(
                db,
                sql: """
                    SELECT \(legKey("l.")) AS k, COUNT(*) AS n, SUM(t.rating) AS total
                    FROM legs l JOIN tickets t ON t.id = l.ticket_id
                    WHERE l.called_at >= ? AND l.called_at < ? AND l.outcome NOT IN ('noshow', 'transferred')
                        AND t.rating IS NOT NULL AND t.day >= ? AND t.day <= ?
                    GROUP BY k
                    """, arguments: span + days)
            {
                var x = row(r["k"])
                x.ratings = r["n"]
                x.ratingMean = Double(r["total"] as Int64) / Double(x.ratings)
                rows[x.key] = x
            }
            for (column, outcomes, path) in [
                ("wait_ms", "outcome = 'served'", \StatsRow.wait),
                ("service_ms", "outcome NOT IN ('noshow', 'transferred')", \StatsRow.service),
            ] {
                for r in try Row.fetchAll(
                    db, sql: Self.summarySQL(key: legKey(""), column: column, filter: outcomes), arguments: span)
                {
                    var x = row(r["k"])
                    let n: Int = r["n"]
                    let ms = { (name: String) in (r[name] as Int64?).map { Double($0) / 1000 } }
                    x[keyPath: path] = DurationSummary(
                        count: n, mean: Double(r["total"] as Int64) / Double(n) / 1000,
                        median: ms("median"), p90: ms("p90"), max: ms("max"))
                    rows[x.key] = x
                }
            }
            return rows.keys.sorted(by: Statistics.keyOrder).map { rows[$0]! }
        }
    }

    /// Count, sum, max and the nearest-rank median and p90 (⌈n/2⌉-th and ⌈9n/10⌉-th smallest) of
    /// one duration column per key, in one pass over the legs of the span.
    static func summarySQL(key: String, column: String, filter: String) -> String {
        """
        SELECT k, n, total, max,
            MAX(CASE WHEN rn = MAX(1, (n + 1) / 2) THEN v END) AS median,
            MAX(CASE WHEN rn = MAX(1, (9 * n + 9) / 10) THEN v END) AS p90
        FROM (
            SELECT k, v, ROW_NUMBER() OVER w AS rn, COUNT(*) OVER p AS n, SUM(v) OVER p AS total, MAX(v) OVER p AS max
            FROM (SELECT \(key) AS k, \(column) AS v FROM legs
                  WHERE called_at >= ? AND called_at < ? AND \(filter))
            WINDOW p AS (PARTITION BY k), w AS (PARTITION BY k ORDER BY v)
        )
        GROUP BY k
        """
    }

    /// The SQL for a row's key. `§` stands for the table alias (legs' columns may be qualified).
    /// Hours, days and months are local: the instant plus the zone's offset in force then, as a
    /// CASE over the span's offset changes, read by SQLite's `strftime` as UTC.
    static func keySQL(
        _ dim: StatsDimension, ticket: Bool, calendar: HallCalendar, start: Millis, end: Millis
    ) -> String {
        let instant = ticket ? "issued_at" : "§called_at"
        func local(_ format: String) -> String {
            "strftime('\(format)', (\(instant) + \(offsetSQL(calendar.timeZone, instant, start, end))) / 1000, 'unixepoch')"
        }
        switch dim {
        case .service: return ticket ? "issued_service" : "§service"
        case .window: return ticket ? "'-'" : "CAST(§window AS TEXT)"
        case .clerk: return ticket ? "'-'" : "COALESCE(§clerk, '-')"
        case .hour: return local("%H")
        case .day: return local("%Y-%m-%d")
        case .month: return local("%Y-%m")
        case .total: return "'all'"
        }
    }

    /// The zone's UTC offset in ms at `column`, for instants around [start, end).
    static func offsetSQL(_ zone: TimeZone, _ column: String, _ start: Millis, _ end: Millis) -> String {
        var at = Date(timeIntervalSince1970: Double(start) / 1000 - 86_400)
        let last = Date(timeIntervalSince1970: Double(end) / 1000 + 86_400)
        var cases: [String] = []
        var offset = zone.secondsFromGMT(for: at)
        while let change = zone.nextDaylightSavingTimeTransition(after: at), change < last {
            cases.append("WHEN \(column) < \(Millis(change.timeIntervalSince1970 * 1000)) THEN \(Int64(offset) * 1000)")
            at = change
            offset = zone.secondsFromGMT(for: change)
        }
        return cases.isEmpty
            ? "\(Int64(offset) * 1000)" : "CASE \(cases.joined(separator: " ")) ELSE \(Int64(offset) * 1000) END"
    }
}
