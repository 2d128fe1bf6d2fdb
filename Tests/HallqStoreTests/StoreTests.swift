import Foundation
import GRDB
import HallqCore
import Testing

@testable import HallqStore

func tempDir() -> URL {
    let u = FileManager.default.temporaryDirectory.appendingPathComponent("hallq-store-\(UUID().uuidString)")
    try! FileManager.default.createDirectory(at: u, withIntermediateDirectories: true)
    return u
}

let t0: Millis = 1_796_000_400_000  // 2026-11-30 09:00 Shanghai

func config() -> HallConfig {
    var q = QueueRules()
    q.noshowRequeue = .end
    return HallConfig(
        queue: q, services: [ServiceConfig(id: "A", name: "甲"), ServiceConfig(id: "B", name: "乙")],
        windows: [WindowConfig(number: 1, services: ["A", "B"]), WindowConfig(number: 2, services: ["B", "A"])])
}

/// Applies commands through engine and store as the daemon does: commit, then keep.
struct StoreDriver {
    var engine: QueueEngine
    let store: HallStore
    var now: Millis = t0

    init(store: HallStore, snapshotAt: Millis = t0) throws {
        self.store = store
        let c = config()
        engine = QueueEngine(
            config: c,
            snapshot: try store.snapshot(
                now: snapshotAt, calendar: HallCalendar(timeZone: TimeZone(identifier: c.timeZone)!), rules: c.queue,
                services: c.services.map(\.id)))
        now = snapshotAt
    }

    @discardableResult
    mutating func run(_ c: Command, after seconds: Double = 1) throws -> Effects {
        now += Millis(seconds * 1000)
        var next = engine
        let out = try next.apply(c, at: now)
        try store.commit(out, origin: Origin(role: "clerk", uid: 1000))
        engine = next
        return out
    }
}

@Suite("SQLite store")
struct StoreTests {
    @Test("migrations run on an empty file, and again is a no-op")
    func migrations() throws {
        let path = tempDir().appendingPathComponent("hallq.sqlite").path
        let s = try HallStore(path: path)
        #expect(
            try s.migrationsApplied() == [
                "v1-log-tickets-legs-windows", "v2-queue-seq-monotonic-durations", "v3-indexes-for-history",
                "v4-rating-reason", "v5-green-channel", "v6-accounts", "v7-sessions-and-screens", "v8-person",
                "v9-bookings",
                "v10-haocha",
            ])
        let again = try HallStore(path: path)
        #expect(
            try again.migrationsApplied() == [
                "v1-log-tickets-legs-windows", "v2-queue-seq-monotonic-durations", "v3-indexes-for-history",
                "v4-rating-reason", "v5-green-channel", "v6-accounts", "v7-sessions-and-screens", "v8-person",
                "v9-bookings",
                "v10-haocha",
            ])
        // WAL is a property of the file: another connection, as any SQLite tool would open it, sees it.
        let mode = try DatabaseQueue(path: path).read { try String.fetchOne($0, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
    }

    @Test("a restart rebuilds the live queue exactly")
    func rebuild() throws {
        let path = tempDir().appendingPathComponent("hallq.sqlite").path
        var d = try StoreDriver(store: try HallStore(path: path))
        try d.run(.signin(window: 1, clerk: "张三"))
        try d.run(.signin(window: 2, clerk: "李四"))
        for s in ["A", "A", "B", "A", "B"] { try d.run(.take(service: s, key: "k-\(s)-\(d.now)")) }
        try d.run(.call(window: 1, ticket: nil))
        try d.run(.call(window: 2, ticket: nil))
        try d.run(.start(window: 2))
        try d.run(.transfer(window: 1, toService: "B", toWindow: nil))
        try d.run(.call(window: 1, ticket: nil))
        try d.run(.noshow(window: 1))
        try d.run(.recall(window: 2))
        try d.run(.pause(window: 1))
        try d.run(.take(service: "A", key: "dup"))
        try d.run(.hall(.closed))

        // Same file, new process: the snapshot must give back the same live queue.
        var r = try StoreDriver(store: try HallStore(path: path), snapshotAt: d.now)
        #expect(r.engine.live == d.engine.live)
        #expect(r.engine.windows == d.engine.windows)
        #expect(r.engine.hallMode == .closed)
        #expect(r.engine.windows[1]?.paused == true && r.engine.windows[2]?.current != nil)
        // Numbering continues, and a repeated key inside 10 s is still the same ticket.
        try d.run(.hall(.auto))
        try r.run(.hall(.auto))
        let a = try d.run(.take(service: "A", key: "dup"), after: 2).subject
        let b = try r.run(.take(service: "A", key: "dup"), after: 2).subject
        #expect(a == b)
        let (t1, _, _, dup) = try #require(try r.run(.take(service: "A", key: nil)).subject.issued)
        #expect(!dup && t1.label == "A005")
        #expect(r.engine.etaMinutes(service: "A", ahead: 3) == d.engine.etaMinutes(service: "A", ahead: 3))
    }

    @Test("the event log is append-only and every event names who asked")
    func appendOnly() async throws {
        let path = tempDir().appendingPathComponent("hallq.sqlite").path
        let store = try HallStore(path: path)
        var d = try StoreDriver(store: store)
        try d.run(.signin(window: 1, clerk: "张三"))
        let t = try d.run(.take(service: "A", key: nil)).tickets[0]
        try d.run(.call(window: 1, ticket: nil), after: 65)
        try d.run(.finish(window: 1, outcome: .served), after: 300)
        // The log refuses edits from any connection to the file, not only from hallq's.
        let outside = try DatabaseQueue(path: path)
        #expect(throws: (any Error).self) { try outside.write { try $0.execute(sql: "UPDATE events SET clerk = 'x'") } }
        #expect(throws: (any Error).self) { try outside.write { try $0.execute(sql: "DELETE FROM events") } }
        let events = try await store.events(ticketId: t.id)
        #expect(events.map(\.event.type) == [.take, .call, .finish])
        #expect(events.allSatisfy { $0.role == "clerk" && $0.uid == 1000 })
        #expect(events[1].event.clerk == "张三" && events[1].event.window == 1)
        let row = try #require(try await store.ticket(label: "A001", day: "2026-11-30"))
        #expect(row.outcome == .served && row.finishedAt == t0 + 367_000 && row.windowCalledAt == t0 + 67_000)
        let legs = try await store.legs(from: t0, to: t0 + 86_400_000)
        #expect(legs.count == 1 && legs[0].waitSeconds == 65 && legs[0].serviceSeconds == 300)
    }

    @Test("a number is never stored twice for the same service and day")
    func uniqueNumbers() throws {
        let store = try HallStore(path: tempDir().appendingPathComponent("hallq.sqlite").path)
        var d = try StoreDriver(store: store)
        let out = try d.run(.take(service: "A", key: nil))
        var clash = out
        clash.tickets[0].id += 100
        #expect(throws: (any Error).self) { try store.commit(clash, origin: .system) }
    }

    @Test("a failed commit writes nothing")
    func atomic() async throws {
        let store = try HallStore(path: tempDir().appendingPathComponent("hallq.sqlite").path)
        var d = try StoreDriver(store: store)
        let before = try await store.eventCount()
        var out = try d.engine.apply(.take(service: "A", key: nil), at: t0)
        out.legs = [
            Leg(
                ticketId: 999, day: "x", label: "x", service: "A", window: 1, clerk: nil, queuedAt: 0, calledAt: 0,
                endedAt: 0, outcome: .served)
        ]
        // Break the transaction halfway: a leg for a ticket that does not exist violates its key.
        #expect(throws: (any Error).self) { try store.commit(out, origin: .system) }
        #expect(try await store.eventCount() == before)
        #expect(try await store.tickets(fromDay: "2026-11-30", toDay: "2026-11-30").isEmpty)
    }
}
