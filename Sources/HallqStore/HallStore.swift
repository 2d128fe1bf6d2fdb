import Foundation
import GRDB
import HallqCore

/// One row of the event log as read back.
public struct StoredEvent: Sendable, Equatable {
    public var seq: Int64
    public var event: HallEvent
    public var role: String?
    public var uid: Int?
    /// The staff account and client address of a step asked for over HTTP.
    public var account: String? = nil
    public var client: String? = nil
}

/// The hall's database: an append-only event log, one row per ticket, one per window visit
/// ("leg"), window states and settings. Intent methods only; SQL stays in this module.
///
/// Durability: WAL with `synchronous = FULL` in force on the writer (set after GRDB's own set-up
/// and read back, see `init`), so the WAL is `fdatasync`ed before `commit` returns and before
/// the client hears "ok" (power loss included, not just a crash). `store-bench` measures its
/// cost (docs/BENCHMARKS.md); docs/ARCHITECTURE.md says what the promise rests on.
public final class HallStore: Sendable {
    /// How SQLite syncs a commit. `full` for hallqd; `normal` exists only for `store-bench`'s
    /// comparison (it may lose the last commits on power loss, which hallq never acknowledges).
    public enum Synchronous: String, Sendable {
        case full = "FULL"
        case normal = "NORMAL"

        /// What `PRAGMA synchronous` reads back as.
        public var pragmaValue: Int {
            switch self {
            case .full: return 2
            case .normal: return 1
            }
        }
    }

    /// The one writer and its readers (WAL). Private: everything goes through intent methods, so
    /// SQL and the schema stay in this module.
    private let pool: DatabasePool
    public let path: String

    /// Folds the WAL into the file off the commit path (see `Checkpointer`).
    private let checkpointer: Checkpointer

    /// Opens (or creates) the database with `synchronous` in force on the writer, read back.
    ///
    /// GRDB's `DatabasePool.init` runs `prepareDatabase` and then its own WAL set-up, which sets
    /// `synchronous = NORMAL` on the writer: a pragma in `prepareDatabase` is silently undone.
    /// So the pragma is set again on the writer once the pool is open and read back; a writer
    /// that does not report what was asked (a GRDB or SQLite that overrides it) is refused with
    /// `StoreProblem.notDurable`, since hallqd would otherwise acknowledge tickets a power cut
    /// can take back.
    public init(path: String, synchronous: Synchronous = .full) throws {
        self.path = path
        var c = Configuration()
        c.prepareDatabase { db in
            try db.execute(sql: "PRAGMA wal_autocheckpoint = \(Checkpointer.writerThresholdPages)")
        }
        c.busyMode = .timeout(5)
        pool = try DatabasePool(path: path, configuration: c)
        let inForce = try pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = \(synchronous.rawValue)")
            return try Int.fetchOne(db, sql: "PRAGMA synchronous")
        }
        guard inForce == synchronous.pragmaValue else {
            try? pool.close()
            throw StoreProblem.notDurable(
                path: path,
                detail:
                    "asked for synchronous = \(synchronous.rawValue), the writer reports \(inForce.map(String.init) ?? "nothing")"
            )
        }
        try Self.migrator.migrate(pool)
        checkpointer = try Checkpointer(path: path, synchronous: synchronous)
        // A new database file's directory entry is durable only once its directory is synced
        // (SQLite syncs the directory for its WAL, not for the main file).
        try DurableFile.syncDirectory(of: path)
    }

    /// The writer's `PRAGMA synchronous` as SQLite reports it (2 FULL, 1 NORMAL): what
    /// hallqd checks at start, and what the tests and benchmarks read back.
    public func writerSynchronous() throws -> Int? {
        try pool.writeWithoutTransaction { try Int.fetchOne($0, sql: "PRAGMA synchronous") }
    }

    deinit { checkpointer.stop() }

    /// A read on one of the WAL readers: never waits for the writer, never blocks the
    /// cooperative pool. For this module's query files.
    func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await pool.read(body)
    }

    /// A write outside the hall's commits (staff accounts): GRDB serialises it with them.
    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await pool.write(body)
    }

    /// Closes every connection (a checkpoint folds the write-ahead log into the file).
    func closePool() throws {
        checkpointer.stop()
        // Everything into the file and the WAL emptied (GRDB keeps the WAL file): a clean close
        // leaves nothing behind that the next start would have to trust.
        _ = try pool.writeWithoutTransaction { try $0.checkpoint(.truncate) }
        try pool.close()
    }

    /// Forgets who took tickets issued before `day` (YYYY-MM-DD) and done: their person hashes
    /// are cleared (a ticket still open keeps its person until it is done: the live queue has it) (`[privacy] person_days`, docs/PRIVACY.md). `secure_delete` zeroes the bytes the
    /// old values leave behind in the pages, and a TRUNCATE checkpoint empties the WAL that still
    /// holds the pages as they were; a checkpoint that readers hold up is tried again on the next
    /// run. Returns how many tickets were cleared.
    @discardableResult
    public func forgetPersons(before day: String) async throws -> Int {
        let n = try await pool.write { db in
            try db.execute(sql: "PRAGMA secure_delete = ON")
            try db.execute(
                sql: "UPDATE tickets SET person = NULL WHERE person IS NOT NULL AND day < ? AND state = 'done'",
                arguments: [day])
            return db.changesCount
        }
        if n > 0 { _ = try? await pool.writeWithoutTransaction { try $0.checkpoint(.truncate) } }
        return n
    }

    /// Notes the start time in the settings table: one real write, so storage that cannot be
    /// written shows at start (`openChecked`).
    func recordStart(now: Int64) throws {
        try pool.write { db in
            try db.execute(
                sql: "INSERT OR REPLACE INTO settings(key, value) VALUES ('last_start_ms', ?)",
                arguments: [String(now)])
        }
    }

    /// Named migrations, applied in order; never edit one that has shipped, add the next.
    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1-log-tickets-legs-windows") { db in
            try db.execute(
                sql: """
                    CREATE TABLE events (
                        seq INTEGER PRIMARY KEY AUTOINCREMENT,
                        at_ms INTEGER NOT NULL,
                        at TEXT NOT NULL,
                        day TEXT NOT NULL,
                        type TEXT NOT NULL,
                        ticket_id INTEGER,
                        ticket TEXT,
                        service TEXT,
                        window INTEGER,
                        clerk TEXT,
                        role TEXT,
                        peer_uid INTEGER,
                        details TEXT NOT NULL DEFAULT '{}'
                    );
                    CREATE INDEX events_ticket ON events(ticket_id);
                    CREATE INDEX events_day ON events(day);
                    CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
                        BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
                    CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
                        BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;

                    CREATE TABLE tickets (
                        id INTEGER PRIMARY KEY,
                        day TEXT NOT NULL,
                        service TEXT NOT NULL,
                        issued_service TEXT NOT NULL,
                        number INTEGER NOT NULL,
                        label TEXT NOT NULL,
                        key TEXT,
                        issued_at INTEGER NOT NULL,
                        queued_at INTEGER NOT NULL,
                        state TEXT NOT NULL,
                        window INTEGER,
                        target_window INTEGER,
                        priority INTEGER NOT NULL,
                        clerk TEXT,
                        first_called_at INTEGER,
                        last_called_at INTEGER,
                        call_at INTEGER,
                        started_at INTEGER,
                        finished_at INTEGER,
                        outcome TEXT,
                        recalls INTEGER NOT NULL,
                        transfers INTEGER NOT NULL,
                        noshows INTEGER NOT NULL,
                        print_status TEXT NOT NULL,
                        print_error TEXT,
                        rating INTEGER,
                        UNIQUE (day, issued_service, number)
                    );
                    CREATE INDEX tickets_label ON tickets(label, day);
                    CREATE INDEX tickets_state ON tickets(state);

                    CREATE TABLE legs (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        ticket_id INTEGER NOT NULL REFERENCES tickets(id),
                        day TEXT NOT NULL,
                        label TEXT NOT NULL,
                        service TEXT NOT NULL,
                        window INTEGER NOT NULL,
                        clerk TEXT,
                        queued_at INTEGER NOT NULL,
                        called_at INTEGER NOT NULL,
                        ended_at INTEGER NOT NULL,
                        outcome TEXT NOT NULL
                    );
                    CREATE INDEX legs_called ON legs(called_at);

                    CREATE TABLE windows (
                        number INTEGER PRIMARY KEY,
                        clerk TEXT,
                        paused INTEGER NOT NULL,
                        current INTEGER
                    );

                    CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                    """)
        }
        // Clock steps: queue order by sequence, durations measured on the monotonic clock.
        // Existing rows keep their order (queued_at is a fine sequence for them) and get their
        // durations from wall time, clamped at 0.
        m.registerMigration("v2-queue-seq-monotonic-durations") { db in
            try db.execute(
                sql: """
                    ALTER TABLE tickets ADD COLUMN queue_seq INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE tickets ADD COLUMN queued_mono TEXT;
                    ALTER TABLE tickets ADD COLUMN call_mono TEXT;
                    ALTER TABLE tickets ADD COLUMN wait_ms INTEGER;
                    ALTER TABLE tickets ADD COLUMN service_ms INTEGER;
                    UPDATE tickets SET queue_seq = queued_at;
                    ALTER TABLE legs ADD COLUMN wait_ms INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE legs ADD COLUMN service_ms INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE legs ADD COLUMN clock_note TEXT;
                    UPDATE legs SET wait_ms = MAX(0, called_at - queued_at), service_ms = MAX(0, ended_at - called_at);
                    """)
        }
        // Reads that must not grow with the history: statistics and export by day, the start-up
        // snapshot's recent keys, recent finishes and recent service times. Each leg that ended a
        // ticket carries the ticket's rating, so statistics read one covering index of legs and
        // join nothing (it replaces the plain index on called_at).
        m.registerMigration("v3-indexes-for-history") { db in
            try db.execute(
                sql: """
                    ALTER TABLE legs ADD COLUMN rating INTEGER;
                    UPDATE legs SET rating = (SELECT rating FROM tickets WHERE tickets.id = legs.ticket_id)
                        WHERE outcome NOT IN ('noshow', 'transferred');
                    CREATE INDEX tickets_day ON tickets(day, issued_at, issued_service);
                    CREATE INDEX tickets_issued ON tickets(issued_at);
                    CREATE INDEX tickets_finished ON tickets(finished_at);
                    CREATE INDEX tickets_queue_seq ON tickets(queue_seq);
                    CREATE INDEX legs_service_served ON legs(service, outcome, id);
                    CREATE INDEX legs_ticket ON legs(ticket_id);
                    CREATE INDEX legs_span ON legs(called_at, outcome, wait_ms, service_ms, service, window, clerk, day, rating);
                    DROP INDEX legs_called;
                    """)
        }
        // 好差评: a low rating's reason, from the ticket's status page.
        m.registerMigration("v4-rating-reason") { db in
            try db.execute(sql: "ALTER TABLE tickets ADD COLUMN rating_reason TEXT")
        }
        // Priority (绿色通道) tickets, marked apart from transferred ones (both go ahead).
        m.registerMigration("v5-green-channel") { db in
            try db.execute(sql: "ALTER TABLE tickets ADD COLUMN green_channel INTEGER NOT NULL DEFAULT 0")
        }
        // Staff accounts for the HTTP pages; "who asked" gains the account and the client address.
        m.registerMigration("v6-accounts") { db in
            try db.execute(
                sql: """
                    CREATE TABLE accounts (
                        name TEXT PRIMARY KEY NOT NULL,
                        role TEXT NOT NULL,
                        hash TEXT NOT NULL,
                        changed_at INTEGER NOT NULL
                    );
                    ALTER TABLE events ADD COLUMN account TEXT;
                    ALTER TABLE events ADD COLUMN client TEXT;
                    """)
        }
        // Sign-ins that outlive a restart: staff sessions and enrolled public screens, each kept
        // by the SHA-256 of its secret (the cookie holds the secret; the file never does).
        m.registerMigration("v7-sessions-and-screens") { db in
            try db.execute(
                sql: """
                    CREATE TABLE staff_sessions (
                        id_hash TEXT PRIMARY KEY NOT NULL,
                        account TEXT NOT NULL,
                        role TEXT NOT NULL,
                        csrf TEXT NOT NULL,
                        password_stamp TEXT NOT NULL,
                        last_seen INTEGER NOT NULL
                    );
                    CREATE TABLE screens (
                        name TEXT PRIMARY KEY NOT NULL,
                        kind TEXT NOT NULL,
                        token_hash TEXT NOT NULL UNIQUE,
                        enrolled_at INTEGER NOT NULL,
                        revoked_at INTEGER
                    );
                    """)
        }
        // The person a ticket was taken for (a keyed hash of an ID card, docs/PRIVACY.md): the
        // per-person rules look tickets up by it; `forgetPersons` clears it after person_days.
        m.registerMigration("v8-person") { db in
            try db.execute(
                sql: """
                    ALTER TABLE tickets ADD COLUMN person TEXT;
                    CREATE INDEX tickets_person ON tickets(person, day) WHERE person IS NOT NULL;
                    """)
        }
        // Bookings (预约) imported from the portal, and the booking a ticket was issued for
        // (docs/BOOKINGS.md). A booking keeps a masked name and a keyed hash at most.
        m.registerMigration("v9-bookings") { db in
            try db.execute(
                sql: """
                    CREATE TABLE bookings (
                        ref TEXT PRIMARY KEY,
                        service TEXT NOT NULL,
                        day TEXT NOT NULL,
                        slot_start INTEGER NOT NULL,
                        slot_end INTEGER NOT NULL,
                        code TEXT NOT NULL,
                        name_masked TEXT,
                        person TEXT,
                        state TEXT NOT NULL,
                        ticket_id INTEGER,
                        label TEXT,
                        checked_in_at INTEGER,
                        updated_at INTEGER NOT NULL
                    );
                    CREATE INDEX bookings_day ON bookings(day, slot_start);
                    ALTER TABLE tickets ADD COLUMN booking_ref TEXT;
                    ALTER TABLE tickets ADD COLUMN slot_start INTEGER;
                    ALTER TABLE tickets ADD COLUMN slot_end INTEGER;
                    """)
        }
        // 好差评 with cases (docs/HAOCHA.md): a ticket's cases, one rating row per case (the
        // province's record, and the outbox its upload reads in id order), the bad-rating work
        // orders, and each outbound sink's cursor (the last id the other side confirmed).
        m.registerMigration("v10-haocha") { db in
            try db.execute(
                sql: """
                    ALTER TABLE tickets ADD COLUMN cases TEXT;
                    CREATE TABLE case_ratings (
                        id INTEGER PRIMARY KEY,
                        ticket_id INTEGER NOT NULL,
                        label TEXT NOT NULL,
                        day TEXT NOT NULL,
                        service TEXT NOT NULL,
                        window INTEGER,
                        clerk TEXT,
                        case_no TEXT NOT NULL,
                        item_code TEXT,
                        item_name TEXT,
                        dept_code TEXT,
                        kind TEXT,
                        level INTEGER NOT NULL,
                        channel TEXT NOT NULL,
                        contents TEXT NOT NULL,
                        text TEXT,
                        at_ms INTEGER NOT NULL,
                        count INTEGER NOT NULL
                    );
                    CREATE INDEX case_ratings_at ON case_ratings(at_ms);
                    CREATE TABLE rating_orders (
                        id INTEGER PRIMARY KEY,
                        ticket_id INTEGER NOT NULL,
                        label TEXT NOT NULL,
                        day TEXT NOT NULL,
                        service TEXT NOT NULL,
                        window INTEGER,
                        clerk TEXT,
                        level INTEGER NOT NULL,
                        contents TEXT NOT NULL,
                        reason TEXT,
                        case_nos TEXT NOT NULL,
                        rated_at INTEGER NOT NULL,
                        state TEXT NOT NULL,
                        valid INTEGER,
                        due TEXT NOT NULL,
                        claimant TEXT,
                        claim_reason TEXT,
                        revisit_contact TEXT,
                        revisit_result TEXT,
                        revisit_satisfied INTEGER,
                        note TEXT,
                        updated_at INTEGER NOT NULL,
                        closed_at INTEGER,
                        second_until INTEGER,
                        second_level INTEGER
                    );
                    CREATE INDEX rating_orders_state ON rating_orders(state);
                    CREATE TABLE sink_cursors (
                        sink TEXT PRIMARY KEY,
                        last_id INTEGER NOT NULL,
                        updated_at INTEGER NOT NULL
                    );
                    """)
        }
        return m
    }

    public func migrationsApplied() throws -> [String] {
        try pool.read { db in try Self.migrator.appliedMigrations(db) }
    }

    // MARK: - Writes

    /// Writes everything one command did in one transaction. Returns only after it is on disk.
    public func commit(_ o: Effects, origin: Origin) throws { try commit([(o, origin)]) }

    /// Writes what several commands did, in their order, in one transaction (group commit):
    /// all of it is on disk when this returns, or none of it.
    public func commit(_ batch: [(effects: Effects, origin: Origin)]) throws {
        try pool.write { db in
            for (o, origin) in batch { try Self.write(o, origin: origin, db) }
        }
    }

    static func write(_ o: Effects, origin: Origin, _ db: Database) throws {
        // One cached statement per row, no per-column name lookups: this is on every command's path.
        // Tickets conflict on their id only: a clash on (day, service, number) stays an error.
        for t in o.tickets {
            try db.cachedStatement(sql: Self.ticketUpsert).execute(arguments: StatementArguments(t.databaseValues))
        }
        for l in o.legs {
            try db.cachedStatement(sql: Self.legInsert).execute(arguments: StatementArguments(l.databaseValues))
        }
        for w in o.windows {
            try db.cachedStatement(sql: Self.windowUpsert).execute(arguments: StatementArguments(w.databaseValues))
        }
        for p in o.prints {
            try db.execute(
                sql: "UPDATE tickets SET print_status = ?, print_error = ? WHERE id = ?",
                arguments: [p.status.rawValue, p.error, p.ticketId])
        }
        for b in o.bookings {
            try db.cachedStatement(sql: Self.bookingUpsert).execute(arguments: StatementArguments(b.databaseValues))
        }
        for r in o.caseRatings {
            try db.cachedStatement(sql: Self.caseRatingInsert).execute(arguments: StatementArguments(r.databaseValues))
        }
        for w in o.orders {
            try db.cachedStatement(sql: Self.orderUpsert).execute(arguments: StatementArguments(w.databaseValues))
        }
        if let m = o.hallMode {
            try db.execute(
                sql: "INSERT OR REPLACE INTO settings(key, value) VALUES ('hall_mode', ?)", arguments: [m.rawValue])
        }
        for e in o.events {
            try Self.append(e, origin: origin, db)
            // The rating goes onto the leg that ended the ticket too (statistics read legs).
            if e.type == .rate, let id = e.ticketId, let rating = o.tickets.first(where: { $0.id == id })?.rating {
                try db.cachedStatement(
                    sql: "UPDATE legs SET rating = ? WHERE ticket_id = ? AND outcome NOT IN ('noshow', 'transferred')"
                ).execute(arguments: [rating, id])
            }
        }
    }

    static func insertSQL(_ table: String, _ columns: [String], upsertOn key: String?) -> String {
        var sql =
            "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES (\(columns.map { _ in "?" }.joined(separator: ", ")))"
        if let key {
            sql +=
                " ON CONFLICT(\(key)) DO UPDATE SET "
                + columns.filter { $0 != key }.map { "\($0) = excluded.\($0)" }.joined(separator: ", ")
        }
        return sql
    }
    static let ticketUpsert = insertSQL("tickets", Ticket.databaseColumns, upsertOn: "id")
    static let legInsert = insertSQL("legs", Leg.databaseColumns, upsertOn: nil)
    static let windowUpsert = insertSQL("windows", WindowState.databaseColumns, upsertOn: "number")
    static let bookingUpsert = insertSQL("bookings", Booking.databaseColumns, upsertOn: "ref")
    static let caseRatingInsert = insertSQL("case_ratings", CaseRating.databaseColumns, upsertOn: nil)
    static let orderUpsert = insertSQL("rating_orders", WorkOrder.databaseColumns, upsertOn: "id")

    static func append(_ e: HallEvent, origin: Origin, _ db: Database) throws {
        let details = detailsJSON(e.details)
        try db.cachedStatement(
            sql: """
                INSERT INTO events(at_ms, at, day, type, ticket_id, ticket, service, window, clerk, role, peer_uid, details,
                    account, client)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(
            arguments: [
                e.at, isoUTC(e.at), e.day, e.type.rawValue, e.ticketId, e.label, e.service, e.window, e.clerk,
                origin.role, origin.uid, details, origin.account, origin.client,
            ])
    }

    // MARK: - Rebuild

    /// Everything the engine needs to continue exactly where the last acknowledged operation left it.
    public func snapshot(
        now: Millis, calendar: HallCalendar, rules: QueueRules, services: [String]
    )
        throws -> QueueEngine.Snapshot
    {
        try pool.read { db in
            var s = QueueEngine.Snapshot()
            s.live = try Ticket.filter(sql: "state IN ('waiting', 'called', 'serving')").fetchAll(db)
            s.windows = try WindowState.fetchAll(db)
            if let m = try String.fetchOne(db, sql: "SELECT value FROM settings WHERE key = 'hall_mode'") {
                s.hallMode = HallMode(rawValue: m) ?? .auto
            }
            let yesterday = calendar.day(now - 86_400_000)
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT day, issued_service, MAX(number) AS n FROM tickets WHERE day >= ? GROUP BY day, issued_service
                    """, arguments: [yesterday])
            {
                s.counters[QueueEngine.counterKey(day: row["day"], service: row["issued_service"])] = row["n"]
            }
            s.keyed = try Ticket.filter(
                sql: "issued_at > ? AND key IS NOT NULL",
                arguments: [now - Millis(rules.idempotencySeconds) * 1000]
            ).fetchAll(db)
            for t in try Ticket.filter(
                sql: "finished_at > ? AND state = 'done' AND outcome != 'noshow' AND window IS NOT NULL",
                arguments: [now - Millis(rules.ratingSeconds) * 1000]
            )
            .order(sql: "finished_at").fetchAll(db) {
                s.lastFinished[t.window!] = t
            }
            // The last 20 service times of each service, newest first in the index: a few rows
            // per service whatever the history's size.
            for service in services {
                let ms = try Int64.fetchAll(
                    db,
                    sql:
                        "SELECT service_ms FROM legs WHERE service = ? AND outcome = 'served' ORDER BY id DESC LIMIT 20",
                    arguments: [service])
                if !ms.isEmpty { s.durations[service] = ms.reversed().map { Double($0) / 1000 } }
            }
            // Today's tickets per person (the daily limit), from the partial index.
            for row in try Row.fetchAll(
                db,
                sql: "SELECT person, COUNT(*) AS n FROM tickets WHERE person IS NOT NULL AND day = ? GROUP BY person",
                arguments: [calendar.day(now)])
            {
                s.personDay[row["person"]] = row["n"]
            }
            s.personDayOf = calendar.day(now)
            s.bookings = try Booking.fetchAll(
                db, sql: "SELECT * FROM bookings WHERE day >= ? OR state = 'booked'", arguments: [yesterday])
            // Today's walk-in tickets per service (the quota counts them): not booked, not 绿色通道.
            let today = calendar.day(now)
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT issued_service, issued_at FROM tickets
                    WHERE day = ? AND slot_start IS NULL AND green_channel = 0 ORDER BY id
                    """, arguments: [today])
            {
                s.walkIns[row["issued_service"], default: []].append(row["issued_at"])
            }
            s.walkInsDay = today
            s.orders = try WorkOrder.fetchAll(
                db,
                sql: """
                    SELECT * FROM rating_orders
                    WHERE state != 'closed' OR (second_until >= ? AND second_level IS NULL)
                    """, arguments: [now])
            s.lastRatingId = try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM case_ratings") ?? 0
            s.lastOrderId = try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM rating_orders") ?? 0
            s.lastTicketId = try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM tickets") ?? 0
            s.lastQueueSeq = try Int64.fetchOne(db, sql: "SELECT MAX(queue_seq) FROM tickets") ?? 0
            return s
        }
    }

    // MARK: - Reads for people
    // Async: GRDB runs them on its reader threads, so a long statistics query neither blocks
    // the cooperative pool nor waits for the writer (WAL).

    /// A ticket by label: on `day` if given, else the most recently issued one with that label.
    public func ticket(label: String, day: String?) async throws -> Ticket? {
        try await pool.read { db in
            if let day {
                return try Ticket.filter(sql: "label = ? AND day = ?", arguments: [label, day]).order(sql: "id DESC")
                    .fetchOne(db)
            }
            return try Ticket.filter(sql: "label = ?", arguments: [label]).order(sql: "id DESC").fetchOne(db)
        }
    }

    public func ticket(id: Int64) async throws -> Ticket? {
        try await pool.read { db in try Ticket.fetchOne(db, key: id) }
    }

    /// A day's bookings by slot (the engine holds only yesterday's and later).
    public func bookings(day: String) async throws -> [Booking] {
        try await pool.read { db in
            try Booking.fetchAll(
                db, sql: "SELECT * FROM bookings WHERE day = ? ORDER BY slot_start, ref", arguments: [day])
        }
    }

    /// The whole timeline of one ticket, oldest first.
    public func events(ticketId: Int64) async throws -> [StoredEvent] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM events WHERE ticket_id = ? ORDER BY seq", arguments: [ticketId])
                .compactMap(Self.storedEvent)
        }
    }

    public func eventCount() async throws -> Int {
        try await pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM events") ?? 0 }
    }

    /// A row as an event; nil for a type this version does not know (a newer hallqd's log).
    static func storedEvent(_ row: Row) -> StoredEvent? {
        guard let type = EventType(rawValue: row["type"]) else { return nil }
        var details: [String: String] = [:]
        if let text: String = row["details"], let data = text.data(using: .utf8),
            let obj = try? JSONSerialization.jsonObject(with: data) as? [String: String]
        {
            details = obj
        }
        var e = HallEvent(
            type: type, at: row["at_ms"], day: row["day"], window: row["window"], clerk: row["clerk"],
            details: details)
        e.ticketId = row["ticket_id"]
        e.label = row["ticket"]
        e.service = row["service"]
        return StoredEvent(
            seq: row["seq"], event: e, role: row["role"], uid: row["peer_uid"], account: row["account"],
            client: row["client"])
    }

    /// Tickets issued on local days from...to (inclusive).
    public func tickets(fromDay: String, toDay: String) async throws -> [Ticket] {
        try await pool.read { db in
            try Ticket.filter(sql: "day >= ? AND day <= ?", arguments: [fromDay, toDay]).order(sql: "id").fetchAll(db)
        }
    }

    /// The first and last id of the tickets issued on local days from...to: ids grow with issue
    /// time, so the days' tickets all lie in between.
    public func ticketIds(fromDay: String, toDay: String) async throws -> ClosedRange<Int64>? {
        try await pool.read { db in
            let r = try Row.fetchOne(
                db, sql: "SELECT MIN(id), MAX(id) FROM tickets WHERE day >= ? AND day <= ?",
                arguments: [fromDay, toDay])
            guard let r, let first = r[0] as Int64?, let last = r[1] as Int64? else { return nil }
            return first...last
        }
    }

    /// Up to `limit` tickets issued on local days from...to, by id, from `ids` (see `ticketIds`):
    /// one page of an export, so memory stays flat whatever the range. A range of the table's
    /// own order (`+day` keeps SQLite from sorting the days' index instead, which cost a sort of
    /// the whole span per page).
    public func tickets(fromDay: String, toDay: String, ids: ClosedRange<Int64>, limit: Int) async throws -> [Ticket] {
        try await pool.read { db in
            try Ticket.fetchAll(
                db,
                sql: "SELECT * FROM tickets WHERE id >= ? AND id <= ? AND +day >= ? AND +day <= ? ORDER BY id LIMIT ?",
                arguments: [ids.lowerBound, ids.upperBound, fromDay, toDay, limit])
        }
    }

    /// Legs called between two instants (UTC ms, half open).
    public func legs(from: Millis, to: Millis) async throws -> [Leg] {
        try await pool.read { db in
            try Leg.filter(sql: "called_at >= ? AND called_at < ?", arguments: [from, to]).order(sql: "id").fetchAll(db)
        }
    }

    /// The latest calls, newest first, for the lobby screen.
    public func recentCalls(limit: Int) async throws -> [RecentCalls.Call] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT ticket, window, service, at_ms, type FROM events
                    WHERE type IN ('call', 'recall') ORDER BY seq DESC LIMIT ?
                    """,
                arguments: [limit]
            ).map {
                RecentCalls.Call(
                    label: $0["ticket"], window: $0["window"], service: $0["service"], at: $0["at_ms"],
                    recall: $0["type"] == "recall")
            }
        }
    }
}

/// A record written column by column: its columns and its values, in one order. The commit path
/// binds `databaseValues` to its cached statement; GRDB's persistence methods go through the
/// same two lists (`encode(to:)`), so there is one description of each table's row.
protocol ColumnRecord: PersistableRecord {
    static var databaseColumns: [String] { get }
    var databaseValues: [(any DatabaseValueConvertible)?] { get }
}

extension ColumnRecord {
    public func encode(to c: inout PersistenceContainer) throws {
        for (column, value) in zip(Self.databaseColumns, databaseValues) { c[column] = value }
    }
}

// Records: read through Codable (the coding keys are the column names), written column by
// column: a save is on every command's path, and Codable's generic encoding was a measurable
// share of each one.

extension Ticket: FetchableRecord, ColumnRecord {
    public static let databaseTableName = "tickets"

    public init(row: Row) throws {
        self = .stored(
            id: row["id"], day: row["day"], service: row["service"], issuedService: row["issued_service"],
            number: row["number"], label: row["label"], key: row["key"], issuedAt: row["issued_at"],
            queuedAt: row["queued_at"], queueSeq: row["queue_seq"], queuedMono: monoStamp(row["queued_mono"]),
            callMono: monoStamp(row["call_mono"]), waitMs: row["wait_ms"], serviceMs: row["service_ms"],
            state: State(rawValue: row["state"]) ?? .done, window: row["window"], targetWindow: row["target_window"],
            priority: row["priority"], clerk: row["clerk"], firstCalledAt: row["first_called_at"],
            lastCalledAt: row["last_called_at"], windowCalledAt: row["call_at"], startedAt: row["started_at"],
            finishedAt: row["finished_at"], outcome: (row["outcome"] as String?).flatMap(Leg.Outcome.init(rawValue:)),
            recalls: row["recalls"], transfers: row["transfers"], noshows: row["noshows"],
            printStatus: PrintStatus(rawValue: row["print_status"]) ?? .failed, printError: row["print_error"],
            rating: row["rating"], ratingReason: row["rating_reason"], greenChannel: row["green_channel"],
            person: row["person"], bookingRef: row["booking_ref"], slotStart: row["slot_start"],
            slotEnd: row["slot_end"], cases: casesFromJSON(row["cases"]))
    }

    /// The table's columns, in the order of `databaseValues`.
    static let databaseColumns: [String] = [
        "id", "day", "service", "issued_service", "number", "label", "key", "issued_at", "queued_at", "queue_seq",
        "queued_mono", "call_mono", "wait_ms", "service_ms", "state", "window", "target_window", "priority", "clerk",
        "first_called_at", "last_called_at", "call_at", "started_at", "finished_at", "outcome", "recalls", "transfers",
        "noshows", "print_status", "print_error", "rating", "rating_reason", "green_channel",
        "person", "booking_ref", "slot_start", "slot_end", "cases",
    ]

    /// This row's values, in the order of `databaseColumns`.
    var databaseValues: [(any DatabaseValueConvertible)?] {
        [
            id,
            day,
            service,
            issuedService,
            number,
            label,
            key,
            issuedAt,
            queuedAt,
            queueSeq,
            queuedMono.map(monoJSON),
            callMono.map(monoJSON),
            waitMs,
            serviceMs,
            state.rawValue,
            window,
            targetWindow,
            priority,
            clerk,
            firstCalledAt,
            lastCalledAt,
            windowCalledAt,
            startedAt,
            finishedAt,
            outcome?.rawValue,
            recalls,
            transfers,
            noshows,
            printStatus.rawValue,
            printError,
            rating,
            ratingReason,
            greenChannel,
            person,
            bookingRef,
            slotStart,
            slotEnd,
            casesJSON(cases),
        ]
    }
}

extension Booking: FetchableRecord, ColumnRecord {
    public static let databaseTableName = "bookings"

    public init(row: Row) throws {
        self.init(
            ref: row["ref"], service: row["service"], day: row["day"], slotStart: row["slot_start"],
            slotEnd: row["slot_end"], code: row["code"], nameMasked: row["name_masked"], person: row["person"],
            state: State(rawValue: row["state"]) ?? .booked, ticketId: row["ticket_id"], label: row["label"],
            checkedInAt: row["checked_in_at"], updatedAt: row["updated_at"])
    }

    /// The table's columns, in the order of `databaseValues`.
    static let databaseColumns: [String] = [
        "ref", "service", "day", "slot_start", "slot_end", "code", "name_masked", "person", "state", "ticket_id",
        "label", "checked_in_at", "updated_at",
    ]

    var databaseValues: [(any DatabaseValueConvertible)?] {
        [
            ref, service, day, slotStart, slotEnd, code, nameMasked, person, state.rawValue, ticketId, label,
            checkedInAt, updatedAt,
        ]
    }
}

extension Leg: FetchableRecord, ColumnRecord {
    public static let databaseTableName = "legs"

    /// The table's columns, in the order of `databaseValues`.
    static let databaseColumns: [String] = [
        "ticket_id", "day", "label", "service", "window", "clerk", "queued_at", "called_at", "ended_at", "outcome",
        "wait_ms", "service_ms", "clock_note",
    ]

    /// This row's values, in the order of `databaseColumns`.
    var databaseValues: [(any DatabaseValueConvertible)?] {
        [
            ticketId,
            day,
            label,
            service,
            window,
            clerk,
            queuedAt,
            calledAt,
            endedAt,
            outcome.rawValue,
            waitMs,
            serviceMs,
            clockNote,
        ]
    }
}

extension WindowState: FetchableRecord, ColumnRecord {
    public static let databaseTableName = "windows"

    /// The table's columns, in the order of `databaseValues`.
    static let databaseColumns: [String] = ["number", "clerk", "paused", "current"]

    /// This row's values, in the order of `databaseColumns`.
    var databaseValues: [(any DatabaseValueConvertible)?] {
        [
            number,
            clerk,
            paused,
            current,
        ]
    }
}

/// A monotonic reading as the JSON text Codable stored it: sorted keys, `/` escaped.
func monoJSON(_ m: MonoStamp) -> String {
    "{\"boot\":" + jsonString(m.boot) + ",\"ms\":\(m.ms)}"
}

/// An event's details as JSON text, keys sorted, as JSONSerialization wrote them before.
func detailsJSON(_ d: [String: String]) -> String {
    "{" + d.sorted { $0.key < $1.key }.map { jsonString($0.key) + ":" + jsonString($0.value) }.joined(separator: ",")
        + "}"
}

/// A monotonic reading back from its JSON text (`{"boot":"…","ms":…}`, as `monoJSON` and
/// Codable wrote it); anything else goes through JSONDecoder.
func monoStamp(_ text: String?) -> MonoStamp? {
    guard let text else { return nil }
    let prefix = "{\"boot\":\""
    if text.hasPrefix(prefix), !text.contains("\\"), let end = text.range(of: "\",\"ms\":"),
        let ms = Int64(text[end.upperBound...].dropLast())
    {
        return MonoStamp(
            boot: String(text[text.index(text.startIndex, offsetBy: prefix.count)..<end.lowerBound]), ms: ms)
    }
    return try? JSONDecoder().decode(MonoStamp.self, from: Data(text.utf8))
}

/// A JSON string literal as Foundation's JSONEncoder writes it. Not the wire's `JSONValue`
/// quoting: rows already on disk were written by Foundation (`/` escaped, U+2028 not), and the
/// bytes must stay the same (RecordEncodingTests); the store also sits below the protocol module.
func jsonString(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "/": out += "\\/"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case "\u{08}": out += "\\b"
        case "\u{0C}": out += "\\f"
        case _ where u.value < 0x20: out += String(format: "\\u%04x", u.value)
        default: out.unicodeScalars.append(u)
        }
    }
    return out + "\""
}
