import HallqCore
import Logging
import PostgresNIO

/// The province's statistics over the halls' shipped legs and tickets, with the hall's own
/// definitions (`HallStore.statistics`, `Statistics.rows`): legs called in the span (each hall's
/// local midnights), tickets issued on its days, waits of served legs, service times of served
/// and otherwise-ended legs, nearest-rank median and p90 (the ⌈p·n⌉-th smallest, in integers), the
/// mean as the exact sum over the count. So a hall's figures here equal its own `hallqctl stats`
/// for the same days; `CentralTests` holds the two together. Read from the derived rows only,
/// never by replaying events.
public enum CentralStats {
    public enum Dimension: String, Sendable, CaseIterable {
        case hall, region, service, window, clerk, month, day, hour, total
    }

    public static func rows(
        by dim: Dimension, from: String, to: String, hall: String?, on c: PostgresConnection, logger: Logger
    ) async throws -> [StatsRow] {
        var rows: [String: StatsRow] = [:]
        func row(_ k: String) -> StatsRow {
            rows[k]
                ?? StatsRow(
                    key: k, issued: 0, served: 0, noshows: 0, transferred: 0, otherEnds: 0,
                    wait: DurationSummary(milliseconds: []), service: DurationSummary(milliseconds: []))
        }
        let span = """
            WITH span AS (
                SELECT hall_id, region, time_zone AS tz,
                    (extract(epoch FROM ($1::date)::timestamp AT TIME ZONE time_zone) * 1000)::bigint AS s,
                    (extract(epoch FROM ($2::date + 1)::timestamp AT TIME ZONE time_zone) * 1000)::bigint AS e
                FROM halls WHERE ($3::text IS NULL OR hall_id = $3))
            """
        func binds() -> PostgresBindings {
            var b = PostgresBindings()
            b.append(from)
            b.append(to)
            b.append(hall)
            return b
        }
        let legKey = key(
            dim, instant: "l.called_at", service: "l.service", window: "l.window_no::text", clerk: "l.clerk")
        let legs = try await c.query(
            PostgresQuery(
                unsafeSQL: span + """
                    , agg AS (
                        SELECT \(legKey) AS k,
                            count(*) FILTER (WHERE outcome = 'served') AS served,
                            count(*) FILTER (WHERE outcome = 'noshow') AS noshows,
                            count(*) FILTER (WHERE outcome = 'transferred') AS transferred,
                            count(*) FILTER (WHERE outcome NOT IN ('served', 'noshow', 'transferred')) AS other,
                            sum(wait_ms) FILTER (WHERE outcome = 'served') AS wsum,
                            array_agg(wait_ms ORDER BY wait_ms) FILTER (WHERE outcome = 'served') AS w,
                            sum(service_ms) FILTER (WHERE outcome NOT IN ('noshow', 'transferred')) AS ssum,
                            array_agg(service_ms ORDER BY service_ms)
                                FILTER (WHERE outcome NOT IN ('noshow', 'transferred')) AS sv,
                            count(*) FILTER (WHERE r.level = 1) AS r1, count(*) FILTER (WHERE r.level = 2) AS r2,
                            count(*) FILTER (WHERE r.level = 3) AS r3, count(*) FILTER (WHERE r.level = 4) AS r4,
                            count(*) FILTER (WHERE r.level = 5) AS r5
                        FROM legs l JOIN span sp ON l.hall_id = sp.hall_id AND l.called_at >= sp.s AND l.called_at < sp.e
                        -- A rating counts on the legs that ended its ticket, when the ticket was issued in the span.
                        LEFT JOIN ratings r ON r.hall_id = l.hall_id AND r.ticket_id = l.ticket_id
                            AND l.outcome NOT IN ('noshow', 'transferred') AND l.day >= $1 AND l.day <= $2
                        GROUP BY 1)
                    SELECT k, served, noshows, transferred, other,
                        wsum::bigint, cardinality(w), w[(cardinality(w) + 1) / 2], w[(9 * cardinality(w) + 9) / 10],
                        w[cardinality(w)],
                        ssum::bigint, cardinality(sv), sv[(cardinality(sv) + 1) / 2], sv[(9 * cardinality(sv) + 9) / 10],
                        sv[cardinality(sv)], r1, r2, r3, r4, r5
                    FROM agg
                    """, binds: binds()), logger: logger)
        for try await pr in legs {
            let r = pr.makeRandomAccess()
            let k = try r[0].decode(String.self)
            var x = row(k)
            x.served = Int(try r[1].decode(Int64.self))
            x.noshows = Int(try r[2].decode(Int64.self))
            x.transferred = Int(try r[3].decode(Int64.self))
            x.otherEnds = Int(try r[4].decode(Int64.self))
            x.wait = try summary(r, from: 5)
            x.service = try summary(r, from: 10)
            x.ratingLevels = RatingLevels(counts: try (15...19).map { Int(try r[$0].decode(Int64.self)) })
            rows[k] = x
        }
        let ticketKey = key(dim, instant: "t.issued_at", service: "t.issued_service", window: "'-'", clerk: "NULL")
        let issued = try await c.query(
            PostgresQuery(
                unsafeSQL: span + """
                    SELECT \(ticketKey) AS k, count(*) FROM tickets t JOIN span sp ON t.hall_id = sp.hall_id
                    WHERE t.day >= $1 AND t.day <= $2 GROUP BY 1
                    """, binds: binds()), logger: logger)
        for try await (k, n) in issued.decode((String, Int64).self) {
            var x = row(k)
            x.issued = Int(n)
            rows[k] = x
        }
        return rows.keys.sorted(by: Statistics.keyOrder).map { rows[$0]! }
    }

    /// A group's key in SQL, named as `stats` names it; times in each hall's zone.
    static func key(_ dim: Dimension, instant: String, service: String, window: String, clerk: String) -> String {
        let local = "(to_timestamp(\(instant) / 1000.0) AT TIME ZONE sp.tz)"
        switch dim {
        case .hall: return "sp.hall_id"
        case .region: return "COALESCE(sp.region, '-')"
        case .service: return service
        case .window: return window
        case .clerk: return "COALESCE(\(clerk), '-')"
        case .month: return "to_char(\(local), 'YYYY-MM')"
        case .day: return "to_char(\(local), 'YYYY-MM-DD')"
        case .hour: return "to_char(\(local), 'HH24')"
        case .total: return "'all'"
        }
    }

    /// Count, mean, median, p90 and max from (sum, count, median, p90, max) in ms.
    static func summary(_ r: PostgresRandomAccessRow, from i: Int) throws -> DurationSummary {
        guard let sum = try r[i].decode(Int64?.self), let n = try r[i + 1].decode(Int32?.self), n > 0 else {
            return DurationSummary(milliseconds: [])
        }
        let s = { (ms: Int64?) in ms.map { Double($0) / 1000 } }
        return DurationSummary(
            count: Int(n), mean: Double(sum) / Double(n) / 1000, median: s(try r[i + 2].decode(Int64?.self)),
            p90: s(try r[i + 3].decode(Int64?.self)), max: s(try r[i + 4].decode(Int64?.self)))
    }
}
