import Foundation
import GRDB
import HallqCore

/// What the relay to the province's PostgreSQL reads (docs/CENTRAL.md): the event log after its
/// cursor, and the rows the province's statistics are made of (each leg when it ended, each
/// ticket's issue), each after a cursor of its own. All three are append-only in the order they
/// were committed, so a cursor per table says exactly what the centre has confirmed.
extension HallStore {
    /// The cursors' names in `sink_cursors`.
    public enum CentralSink {
        public static let events = "central.events"
        public static let legs = "central.legs"
        public static let tickets = "central.tickets"
    }

    /// One event row as the log keeps it.
    public struct OutboxEvent: Sendable, Equatable {
        public var seq: Int64
        public var atMs: Int64
        public var day: String
        public var type: String
        public var ticketId: Int64?
        public var ticket: String?
        public var service: String?
        public var window: Int64?
        public var clerk: String?
        public var role: String?
        public var peerUid: Int64?
        public var account: String?
        public var client: String?
        /// The event's details, a JSON object as text.
        public var details: String
    }

    /// A leg (one visit to one window) when it ended: the figures `stats` is made of, as the
    /// hall measured them (waits on the monotonic clock).
    public struct OutboxLeg: Sendable, Equatable {
        public var id: Int64
        public var ticketId: Int64
        public var day: String
        public var label: String
        public var service: String
        public var window: Int64
        public var clerk: String?
        public var queuedAt: Int64
        public var calledAt: Int64
        public var endedAt: Int64
        public var outcome: String
        public var waitMs: Int64
        public var serviceMs: Int64
    }

    /// A ticket's issue: what never changes about it (the rest is in its events and legs).
    public struct OutboxTicket: Sendable, Equatable {
        public var id: Int64
        public var day: String
        public var issuedAt: Int64
        public var issuedService: String
    }

    /// One read of everything after the cursors: a consistent snapshot (one WAL read).
    public struct CentralBatch: Sendable {
        public var events: [OutboxEvent] = []
        public var legs: [OutboxLeg] = []
        public var tickets: [OutboxTicket] = []
        /// Events after the cursor before this batch, and the oldest one's time: the lag.
        public var pendingEvents = 0
        public var oldestPendingAt: Millis?
        public var isEmpty: Bool { events.isEmpty && legs.isEmpty && tickets.isEmpty }
    }

    public struct CentralCursors: Sendable, Equatable {
        public var events: Int64 = 0
        public var legs: Int64 = 0
        public var tickets: Int64 = 0
        public init(events: Int64 = 0, legs: Int64 = 0, tickets: Int64 = 0) {
            self.events = events
            self.legs = legs
            self.tickets = tickets
        }
    }

    public func centralCursors() async throws -> CentralCursors {
        try await read { db in
            func c(_ s: String) throws -> Int64 {
                try Int64.fetchOne(db, sql: "SELECT last_id FROM sink_cursors WHERE sink = ?", arguments: [s]) ?? 0
            }
            return CentralCursors(
                events: try c(CentralSink.events), legs: try c(CentralSink.legs), tickets: try c(CentralSink.tickets))
        }
    }

    /// Up to `limit` of each after the cursors.
    public func centralBatch(after c: CentralCursors, limit: Int) async throws -> CentralBatch {
        try await read { db in
            var b = CentralBatch()
            if let r = try Row.fetchOne(
                db, sql: "SELECT COUNT(*), MIN(at_ms) FROM events WHERE seq > ?", arguments: [c.events])
            {
                b.pendingEvents = r[0]
                b.oldestPendingAt = r[1]
            }
            guard b.pendingEvents > 0 || c.legs < Self.maxId(db, "legs") || c.tickets < Self.maxId(db, "tickets")
            else { return b }
            b.events = try Row.fetchAll(
                db,
                sql: """
                    SELECT seq, at_ms, day, type, ticket_id, ticket, service, window, clerk, role, peer_uid, account,
                        client, details
                    FROM events WHERE seq > ? ORDER BY seq LIMIT ?
                    """, arguments: [c.events, limit]
            ).map { r in
                OutboxEvent(
                    seq: r[0], atMs: r[1], day: r[2], type: r[3], ticketId: r[4], ticket: r[5], service: r[6],
                    window: r[7], clerk: r[8], role: r[9], peerUid: r[10], account: r[11], client: r[12], details: r[13]
                )
            }
            b.legs = try Row.fetchAll(
                db,
                sql: """
                    SELECT id, ticket_id, day, label, service, window, clerk, queued_at, called_at, ended_at, outcome,
                        wait_ms, service_ms
                    FROM legs WHERE id > ? ORDER BY id LIMIT ?
                    """, arguments: [c.legs, limit]
            ).map { r in
                OutboxLeg(
                    id: r[0], ticketId: r[1], day: r[2], label: r[3], service: r[4], window: r[5], clerk: r[6],
                    queuedAt: r[7], calledAt: r[8], endedAt: r[9], outcome: r[10], waitMs: r[11], serviceMs: r[12])
            }
            b.tickets = try Row.fetchAll(
                db, sql: "SELECT id, day, issued_at, issued_service FROM tickets WHERE id > ? ORDER BY id LIMIT ?",
                arguments: [c.tickets, limit]
            ).map { r in OutboxTicket(id: r[0], day: r[1], issuedAt: r[2], issuedService: r[3]) }
            return b
        }
    }

    private static func maxId(_ db: Database, _ table: String) -> Int64 {
        (try? Int64.fetchOne(db, sql: "SELECT MAX(id) FROM \(table)")) ?? 0
    }

    /// Moves the three cursors forward (never back) in one durable transaction, after the centre
    /// committed the batch: a crash before this resends the batch, which the centre ignores.
    public func advanceCentralCursors(to c: CentralCursors, at now: Millis) async throws {
        try await write { db in
            for (sink, id) in [
                (CentralSink.events, c.events), (CentralSink.legs, c.legs), (CentralSink.tickets, c.tickets),
            ] {
                try db.execute(
                    sql: """
                        INSERT INTO sink_cursors(sink, last_id, updated_at) VALUES (?, ?, ?)
                        ON CONFLICT(sink) DO UPDATE SET last_id = MAX(last_id, excluded.last_id),
                            updated_at = excluded.updated_at
                        """, arguments: [sink, id, now])
            }
        }
    }
}
