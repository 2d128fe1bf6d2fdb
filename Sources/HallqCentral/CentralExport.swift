import Foundation
import HallqCore
import Logging
import PostgresNIO

/// `hallq-central export`: every leg called in the span (each hall's local days) as CSV, one
/// page of rows at a time so memory stays flat. Labels, services, windows and times; no clerk
/// names and nothing about the visitor.
public enum CentralExport {
    public static let header = [
        "hall_id", "day", "ticket", "service", "window", "queued_at", "called_at", "ended_at", "outcome", "wait_s",
        "service_s", "rating",
    ]

    /// Writes the CSV through `send`; returns how many legs.
    public static func legs(
        from: String, to: String, hall: String?, on c: PostgresConnection, logger: Logger,
        send: (String) throws -> Void
    ) async throws -> Int {
        try send(header.joined(separator: ",") + "\n")
        var count = 0
        var after: (String, Int64) = ("", 0)
        while true {
            var page = ""
            var n = 0
            let rows = try await c.query(
                """
                WITH span AS (
                    SELECT hall_id, time_zone AS tz,
                        (extract(epoch FROM (\(from)::date)::timestamp AT TIME ZONE time_zone) * 1000)::bigint AS s,
                        (extract(epoch FROM (\(to)::date + 1)::timestamp AT TIME ZONE time_zone) * 1000)::bigint AS e
                    FROM halls WHERE (\(hall)::text IS NULL OR hall_id = \(hall)))
                SELECT l.hall_id, l.leg_id, l.day, l.label, l.service, l.window_no,
                    to_char(to_timestamp(l.queued_at / 1000.0) AT TIME ZONE sp.tz, 'YYYY-MM-DD"T"HH24:MI:SS'),
                    to_char(to_timestamp(l.called_at / 1000.0) AT TIME ZONE sp.tz, 'YYYY-MM-DD"T"HH24:MI:SS'),
                    to_char(to_timestamp(l.ended_at / 1000.0) AT TIME ZONE sp.tz, 'YYYY-MM-DD"T"HH24:MI:SS'),
                    l.outcome, l.wait_ms, l.service_ms, r.level
                FROM legs l JOIN span sp ON l.hall_id = sp.hall_id AND l.called_at >= sp.s AND l.called_at < sp.e
                LEFT JOIN ratings r ON r.hall_id = l.hall_id AND r.ticket_id = l.ticket_id
                    AND l.outcome NOT IN ('noshow', 'transferred')
                WHERE (l.hall_id, l.leg_id) > (\(after.0), \(after.1))
                ORDER BY l.hall_id, l.leg_id LIMIT 5000
                """, logger: logger)
            for try await pr in rows {
                let r = pr.makeRandomAccess()
                let hallId = try r[0].decode(String.self)
                let leg = try r[1].decode(Int64.self)
                after = (hallId, leg)
                let fields: [String] = [
                    hallId, try r[2].decode(String.self), try r[3].decode(String.self), try r[4].decode(String.self),
                    String(try r[5].decode(Int32.self)), try r[6].decode(String.self), try r[7].decode(String.self),
                    try r[8].decode(String.self), try r[9].decode(String.self),
                    seconds(try r[10].decode(Int64.self)), seconds(try r[11].decode(Int64.self)),
                    (try r[12].decode(Int32?.self)).map { String($0) } ?? "",
                ]
                page += fields.map(TicketCSV.cell).joined(separator: ",") + "\n"
                n += 1
            }
            if n == 0 { break }
            try send(page)
            count += n
            if n < 5000 { break }
        }
        return count
    }

    static func seconds(_ ms: Int64) -> String { String(format: "%.1f", Double(ms) / 1000) }
}
