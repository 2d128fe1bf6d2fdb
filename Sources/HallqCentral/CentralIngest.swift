import HallqStore
import Logging
import PostgresNIO

/// One batch from a hall's outbox into the centre, as one PostgreSQL transaction: the month
/// partitions it needs, its events, legs and tickets (each `ON CONFLICT DO NOTHING`, so a batch
/// sent again after a crash adds nothing), and the hall's live state. Either all of it commits
/// or none; the hall moves its cursors only after the commit.
public enum CentralIngest {
    /// The hall's live figures shipped with each batch (the dashboard's "now").
    public struct Pulse: Sendable, Equatable {
        public var waiting = 0
        public var longestWaitSeconds = 0
        /// Per service and window, a JSON object (no personal data: labels and numbers only).
        public var detail = "{}"
        public init(waiting: Int = 0, longestWaitSeconds: Int = 0, detail: String = "{}") {
            self.waiting = waiting
            self.longestWaitSeconds = longestWaitSeconds
            self.detail = detail
        }
    }

    /// Rows per INSERT statement: well under PostgreSQL's 65,535 parameters a statement.
    static let rowsPerStatement = 1000

    public static func ship(
        _ b: HallStore.CentralBatch, hallId: String, pulse: Pulse, lastSeq: Int64, pending: Int, lagSeconds: Int,
        now: Int64, on c: PostgresConnection, logger: Logger
    ) async throws {
        try await c.withTransaction(logger: logger) { tx in
            if let lo = b.events.map(\.atMs).min(), let hi = b.events.map(\.atMs).max() {
                try await tx.query("SELECT hallq_ensure_months(\(lo), \(hi))", logger: logger)
            }
            for chunk in chunks(b.events) { try await tx.query(events(chunk, hallId: hallId), logger: logger) }
            for chunk in chunks(b.legs) { try await tx.query(legs(chunk, hallId: hallId), logger: logger) }
            for chunk in chunks(b.tickets) { try await tx.query(tickets(chunk, hallId: hallId), logger: logger) }
            try await tx.query(
                """
                SELECT hallq_pulse(\(now), \(lastSeq), \(Int32(clamping: pending)), \(Int32(clamping: lagSeconds)), \
                \(Int32(clamping: pulse.waiting)), \(Int32(clamping: pulse.longestWaitSeconds)), \(pulse.detail)::jsonb)
                """, logger: logger)
        }
    }

    static func chunks<T>(_ rows: [T]) -> [ArraySlice<T>] {
        stride(from: 0, to: rows.count, by: rowsPerStatement).map {
            rows[$0..<min($0 + rowsPerStatement, rows.count)]
        }
    }

    /// `INSERT … VALUES ($1, …), (…) ON CONFLICT DO NOTHING` for `columns` per row. `details`
    /// arrives as JSON text for a jsonb column.
    static func insert(
        _ table: String, _ columns: [String], rows: Int, binds: PostgresBindings
    ) -> PostgresQuery {
        var values: [String] = []
        var n = 0
        for _ in 0..<rows {
            let row = columns.map { c in
                n += 1
                return c == "details" ? "$\(n)::jsonb" : "$\(n)"
            }
            values.append("(" + row.joined(separator: ", ") + ")")
        }
        return PostgresQuery(
            unsafeSQL: "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES "
                + values.joined(separator: ", ") + " ON CONFLICT DO NOTHING",
            binds: binds)
    }

    static let eventColumns = [
        "hall_id", "seq", "at_ms", "day", "type", "ticket_id", "ticket", "service", "window_no", "clerk", "role",
        "peer_uid", "account", "client", "details",
    ]

    static func events(_ rows: ArraySlice<HallStore.OutboxEvent>, hallId: String) -> PostgresQuery {
        var b = PostgresBindings(capacity: rows.count * eventColumns.count)
        for e in rows {
            b.append(hallId)
            b.append(e.seq)
            b.append(e.atMs)
            b.append(e.day)
            b.append(e.type)
            b.append(e.ticketId)
            b.append(e.ticket)
            b.append(e.service)
            b.append(e.window.map { Int32(truncatingIfNeeded: $0) })
            b.append(e.clerk)
            b.append(e.role)
            b.append(e.peerUid)
            b.append(e.account)
            b.append(e.client)
            b.append(e.details)
        }
        return insert("events", eventColumns, rows: rows.count, binds: b)
    }

    static let legColumns = [
        "hall_id", "leg_id", "ticket_id", "day", "label", "service", "window_no", "clerk", "queued_at", "called_at",
        "ended_at", "outcome", "wait_ms", "service_ms",
    ]

    static func legs(_ rows: ArraySlice<HallStore.OutboxLeg>, hallId: String) -> PostgresQuery {
        var b = PostgresBindings(capacity: rows.count * legColumns.count)
        for l in rows {
            b.append(hallId)
            b.append(l.id)
            b.append(l.ticketId)
            b.append(l.day)
            b.append(l.label)
            b.append(l.service)
            b.append(Int32(truncatingIfNeeded: l.window))
            b.append(l.clerk)
            b.append(l.queuedAt)
            b.append(l.calledAt)
            b.append(l.endedAt)
            b.append(l.outcome)
            b.append(l.waitMs)
            b.append(l.serviceMs)
        }
        return insert("legs", legColumns, rows: rows.count, binds: b)
    }

    static let ticketColumns = ["hall_id", "ticket_id", "day", "issued_at", "issued_service"]

    static func tickets(_ rows: ArraySlice<HallStore.OutboxTicket>, hallId: String) -> PostgresQuery {
        var b = PostgresBindings(capacity: rows.count * ticketColumns.count)
        for t in rows {
            b.append(hallId)
            b.append(t.id)
            b.append(t.day)
            b.append(t.issuedAt)
            b.append(t.issuedService)
        }
        return insert("tickets", ticketColumns, rows: rows.count, binds: b)
    }
}
