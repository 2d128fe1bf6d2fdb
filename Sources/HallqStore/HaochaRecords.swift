import Foundation
import GRDB
import HallqCore

// 好差评 rows (docs/HAOCHA.md): case ratings, work orders, the cases a ticket carries, and the
// reads the export, the dashboard and the upload need.

/// A ticket's cases as stored in `tickets.cases`: JSON as GRDB's Codable encoding writes an
/// array column (keys sorted), `[]` for none without an encoder (every ticket save writes it).
func casesJSON(_ cases: [TicketCase]) -> String {
    if cases.isEmpty { return "[]" }
    let e = JSONEncoder()
    e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return (try? e.encode(cases)).map { String(decoding: $0, as: UTF8.self) } ?? "[]"
}

func casesFromJSON(_ text: String?) -> [TicketCase] {
    guard let text, !text.isEmpty else { return [] }
    return (try? JSONDecoder().decode([TicketCase].self, from: Data(text.utf8))) ?? []
}

extension CaseRating: FetchableRecord, ColumnRecord {
    public static let databaseTableName = "case_ratings"

    public init(row: Row) throws {
        self.init(
            id: row["id"], ticketId: row["ticket_id"], label: row["label"], day: row["day"], service: row["service"],
            window: row["window"], clerk: row["clerk"],
            case: TicketCase(
                caseNo: row["case_no"], itemCode: row["item_code"], itemName: row["item_name"],
                deptCode: row["dept_code"], kind: (row["kind"] as String?).flatMap(TicketCase.Kind.init(rawValue:))),
            level: row["level"], channel: RatingChannel(rawValue: row["channel"]) ?? .evaluator,
            contents: list(row["contents"]), text: row["text"], at: row["at_ms"], count: row["count"])
    }

    static let databaseColumns = [
        "id", "ticket_id", "label", "day", "service", "window", "clerk", "case_no", "item_code", "item_name",
        "dept_code", "kind", "level", "channel", "contents", "text", "at_ms", "count",
    ]

    var databaseValues: [(any DatabaseValueConvertible)?] {
        [
            id, ticketId, label, day, service, window, clerk, caseNo, itemCode, itemName, deptCode, kind?.rawValue,
            level, channel.rawValue, contents.joined(separator: ","), text, at, count,
        ]
    }
}

/// A comma list column back as its items.
private func list(_ text: String?) -> [String] {
    (text ?? "").split(separator: ",").map(String.init)
}

extension WorkOrder: FetchableRecord, ColumnRecord {
    public static let databaseTableName = "rating_orders"

    public init(row: Row) throws {
        self.init(
            id: row["id"], ticketId: row["ticket_id"], label: row["label"], day: row["day"], service: row["service"],
            window: row["window"], clerk: row["clerk"], level: row["level"], contents: list(row["contents"]),
            reason: row["reason"],
            caseNos: list(row["case_nos"]), ratedAt: row["rated_at"], due: row["due"])
        state = State(rawValue: row["state"]) ?? .open
        valid = row["valid"]
        claimant = row["claimant"]
        claimReason = row["claim_reason"]
        revisitContact = (row["revisit_contact"] as String?).flatMap(Contact.init(rawValue:))
        revisitResult = row["revisit_result"]
        revisitSatisfied = row["revisit_satisfied"]
        note = row["note"]
        updatedAt = row["updated_at"]
        closedAt = row["closed_at"]
        secondUntil = row["second_until"]
        secondLevel = row["second_level"]
    }

    static let databaseColumns = [
        "id", "ticket_id", "label", "day", "service", "window", "clerk", "level", "contents", "reason", "case_nos",
        "rated_at", "state", "valid", "due", "claimant", "claim_reason", "revisit_contact", "revisit_result",
        "revisit_satisfied", "note", "updated_at", "closed_at", "second_until", "second_level",
    ]

    var databaseValues: [(any DatabaseValueConvertible)?] {
        [
            id, ticketId, label, day, service, window, clerk, level, contents.joined(separator: ","), reason,
            caseNos.joined(separator: ","), ratedAt, state.rawValue, valid, due, claimant, claimReason,
            revisitContact?.rawValue, revisitResult, revisitSatisfied, note, updatedAt, closedAt, secondUntil,
            secondLevel,
        ]
    }
}

extension HallStore {
    /// Case ratings given on local days from...to (inclusive), in id order: the export.
    public func caseRatings(fromDay: String, toDay: String) async throws -> [CaseRating] {
        try await read { db in
            try CaseRating.fetchAll(
                db, sql: "SELECT * FROM case_ratings WHERE day >= ? AND day <= ? ORDER BY id",
                arguments: [fromDay, toDay])
        }
    }

    /// Case ratings given between two instants (UTC ms, half open): the monthly report.
    public func caseRatings(from: Millis, to: Millis) async throws -> [CaseRating] {
        try await read { db in
            try CaseRating.fetchAll(
                db, sql: "SELECT * FROM case_ratings WHERE at_ms >= ? AND at_ms < ? ORDER BY id", arguments: [from, to])
        }
    }

    /// The next case ratings after `id`, in order: what an outbound sink sends next.
    public func caseRatings(after id: Int64, limit: Int) async throws -> [CaseRating] {
        try await read { db in
            try CaseRating.fetchAll(
                db, sql: "SELECT * FROM case_ratings WHERE id > ? ORDER BY id LIMIT ?", arguments: [id, limit])
        }
    }

    /// How many case ratings lie after `id` (a sink's backlog).
    public func caseRatingCount(after id: Int64) async throws -> Int {
        try await read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM case_ratings WHERE id > ?", arguments: [id]) ?? 0
        }
    }

    /// The last id a sink's far side confirmed (0: nothing yet).
    public func sinkCursor(_ sink: String) async throws -> Int64 {
        try await read { db in
            try Int64.fetchOne(db, sql: "SELECT last_id FROM sink_cursors WHERE sink = ?", arguments: [sink]) ?? 0
        }
    }

    /// Moves a sink's cursor forward (never back), durably: after a crash the sink resumes after
    /// the last record the far side confirmed, so it sends nothing twice that it knew was taken.
    public func advanceSinkCursor(_ sink: String, to id: Int64, at now: Millis) async throws {
        try await write { db in
            try db.execute(
                sql: """
                    INSERT INTO sink_cursors(sink, last_id, updated_at) VALUES (?, ?, ?)
                    ON CONFLICT(sink) DO UPDATE SET last_id = MAX(last_id, excluded.last_id), updated_at = excluded.updated_at
                    """, arguments: [sink, id, now])
        }
    }

    /// Work orders, newest first: in one state, or all, up to `limit`.
    public func workOrders(state: WorkOrder.State?, fromDay: String?, limit: Int) async throws -> [WorkOrder] {
        try await read { db in
            var sql = "SELECT * FROM rating_orders WHERE 1"
            var args: [any DatabaseValueConvertible] = []
            if let state {
                sql += " AND state = ?"
                args.append(state.rawValue)
            }
            if let fromDay {
                sql += " AND day >= ?"
                args.append(fromDay)
            }
            sql += " ORDER BY id DESC LIMIT ?"
            args.append(limit)
            return try WorkOrder.fetchAll(db, sql: sql, arguments: StatementArguments(args))
        }
    }

    /// How many work orders are in each state.
    public func workOrderCounts() async throws -> [String: Int] {
        try await read { db in
            var out: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT state, COUNT(*) AS n FROM rating_orders GROUP BY state") {
                out[row["state"]] = row["n"]
            }
            return out
        }
    }

    public func workOrder(id: Int64) async throws -> WorkOrder? {
        try await read { db in
            try WorkOrder.fetchOne(db, sql: "SELECT * FROM rating_orders WHERE id = ?", arguments: [id])
        }
    }

    /// Every event of one work order, oldest first (its history, with who acted).
    public func orderEvents(id: Int64) async throws -> [StoredEvent] {
        try await read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT * FROM events WHERE type = 'order' AND json_extract(details, '$.order') = ? ORDER BY seq",
                arguments: [String(id)]
            ).compactMap(Self.storedEvent)
        }
    }

    /// Work orders opened on local days from...to (the monthly report's tally).
    public func workOrders(fromDay: String, toDay: String) async throws -> [WorkOrder] {
        try await read { db in
            try WorkOrder.fetchAll(
                db, sql: "SELECT * FROM rating_orders WHERE day >= ? AND day <= ? ORDER BY id",
                arguments: [fromDay, toDay])
        }
    }
}
