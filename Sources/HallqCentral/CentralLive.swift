import Foundation
import HallqCore
import Logging
import PostgresNIO

/// Each hall as the province's live page shows it: what its relay last reported (waiting,
/// longest wait, the windows' calls, its lag) and what the centre counts from shipped rows
/// (calls in the last hour, served today, 好差评 today). A hall is online while its last report
/// is under 90 s old (the relay reports at least every 20 s).
public enum CentralLive {
    public static let onlineSeconds = 90

    public struct Hall: Sendable, Equatable, Codable {
        public var hallId: String
        public var name: String
        public var region: String?
        public var online: Bool
        public var reportedAt: Int64?
        public var lagEvents: Int
        public var lagSeconds: Int
        public var waiting: Int
        public var longestWaitSeconds: Int
        public var callsLastHour: Int
        public var servedToday: Int
        /// Today's ratings by level, index 0 = level 1.
        public var ratingsToday: [Int]
        /// The relay's detail: services (waiting, longest wait) and windows (state, ticket).
        public var detail: String

        enum CodingKeys: String, CodingKey {
            case hallId = "hall_id"
            case name, region, online
            case reportedAt = "reported_at"
            case lagEvents = "lag_events"
            case lagSeconds = "lag_s"
            case waiting
            case longestWaitSeconds = "longest_wait_s"
            case callsLastHour = "calls_last_hour"
            case servedToday = "served_today"
            case ratingsToday = "ratings_today"
            case detail
        }
    }

    public static func halls(only: String? = nil, on c: PostgresConnection, logger: Logger) async throws -> [Hall] {
        let rows = try await c.query(
            """
            WITH h AS (
                SELECT hall_id, name, region, time_zone,
                    (extract(epoch FROM date_trunc('day', now() AT TIME ZONE time_zone) AT TIME ZONE time_zone)
                        * 1000)::bigint AS today,
                    (extract(epoch FROM now()) * 1000)::bigint AS now_ms
                FROM halls WHERE removed_at IS NULL AND (\(only)::text IS NULL OR hall_id = \(only)))
            SELECT h.hall_id, h.name, h.region, l.at_ms, h.now_ms, COALESCE(l.pending, 0), COALESCE(l.lag_s, 0),
                COALESCE(l.waiting, 0), COALESCE(l.longest_wait_s, 0),
                (SELECT count(*) FROM events e WHERE e.hall_id = h.hall_id AND e.type = 'call'
                    AND e.at_ms >= h.now_ms - 3600000),
                (SELECT count(*) FROM legs g WHERE g.hall_id = h.hall_id AND g.called_at >= h.today
                    AND g.outcome = 'served'),
                ARRAY(SELECT (SELECT count(*) FROM ratings r WHERE r.hall_id = h.hall_id AND r.at_ms >= h.today
                    AND r.level = lv) FROM generate_series(1, 5) lv),
                COALESCE(l.detail, '{}')::text
            FROM h LEFT JOIN hall_live l ON l.hall_id = h.hall_id
            ORDER BY h.hall_id
            """, logger: logger)
        var out: [Hall] = []
        for try await pr in rows {
            let r = pr.makeRandomAccess()
            let at = try r[3].decode(Int64?.self)
            let now = try r[4].decode(Int64.self)
            out.append(
                Hall(
                    hallId: try r[0].decode(String.self), name: try r[1].decode(String.self),
                    region: try r[2].decode(String?.self),
                    online: at.map { now - $0 < Int64(onlineSeconds) * 1000 } ?? false, reportedAt: at,
                    lagEvents: Int(try r[5].decode(Int32.self)), lagSeconds: Int(try r[6].decode(Int32.self)),
                    waiting: Int(try r[7].decode(Int32.self)), longestWaitSeconds: Int(try r[8].decode(Int32.self)),
                    callsLastHour: Int(try r[9].decode(Int64.self)), servedToday: Int(try r[10].decode(Int64.self)),
                    ratingsToday: try r[11].decode([Int64].self).map { Int($0) }, detail: try r[12].decode(String.self)
                ))
        }
        return out
    }
}
