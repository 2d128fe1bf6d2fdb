// hallq-central-bench: the province's centre at the size of a busy city, beside its floor.
//
//   swift build -c release --product hallq-central-bench --product hallqd
//   pg_virtualenv .build/release/hallq-central-bench [--halls 50] [--days 22] [--tickets 300]
//
// Needs a PostgreSQL the PG* variables name (pg_virtualenv sets them; the role must create
// databases and roles). Writes N halls' histories through the real engine and store (one SQLite
// file a hall, each day one group commit), migrates a fresh database with the real schema, and
// measures, in the same run:
//   - ingest: every hall's relay path (CentralIngest.ship of store batches, as each hall's own
//     role, under row-level security) against the floor, COPY of the same event rows into a
//     table of the same shape;
//   - catch-up: one hall's day shipped after a day offline;
//   - the province's month statistics by hall over all halls;
//   - a real hallqd's take latency with no centre, the centre up, down (refused) and hung (a
//     port that accepts and never answers).
// A program that prints figures: nothing here passes or fails.
import Foundation
import HallqCentral
import HallqClient
import HallqCore
import HallqProtocol
import HallqStore
import HallqTestKit
import Logging
import NIOCore
import PostgresNIO

#if canImport(Glibc)
import Glibc
#endif

struct Options {
    var halls = 50
    var days = 22
    var tickets = 300
    var takes = 300
    var batch = 1000

    static func parse() -> Options {
        var o = Options()
        var argv = CommandLine.arguments.dropFirst()
        while let a = argv.popFirst() {
            switch a {
            case "--halls": o.halls = Int(argv.popFirst() ?? "") ?? o.halls
            case "--days": o.days = Int(argv.popFirst() ?? "") ?? o.days
            case "--tickets": o.tickets = Int(argv.popFirst() ?? "") ?? o.tickets
            case "--takes": o.takes = Int(argv.popFirst() ?? "") ?? o.takes
            case "--batch": o.batch = Int(argv.popFirst() ?? "") ?? o.batch
            default:
                FileHandle.standardError.write(Data("hallq-central-bench: unknown argument \(a)\n".utf8))
                exit(2)
            }
        }
        return o
    }
}
let options = Options.parse()
let (halls, days, tickets, takes, batchSize) = (
    options.halls, options.days, options.tickets, options.takes, options.batch
)

let env = ProcessInfo.processInfo.environment
guard let pgPort = env["PGPORT"].flatMap(Int.init), let pgUser = env["PGUSER"], let pgPassword = env["PGPASSWORD"]
else {
    print("hallq-central-bench: no PostgreSQL (PGPORT, PGUSER, PGPASSWORD); run it under pg_virtualenv")
    exit(2)
}
let logger = Logger(label: "hallq-central-bench")
let database = "hqbench_\(getpid())"
func url(_ db: String, user: String = pgUser, password: String = pgPassword) -> CentralURL {
    try! CentralURL("postgres://\(user):\(password)@127.0.0.1:\(pgPort)/\(db)?sslmode=disable")
}
func seconds(since t0: UInt64) -> Double { Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9 }
func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

// MARK: - Histories

let config = HallConfig(
    services: [
        ServiceConfig(id: "A", name: "甲", last: 99_999, width: 4),
        ServiceConfig(id: "B", name: "乙", last: 99_999, width: 4),
    ],
    windows: (1...6).map { WindowConfig(number: $0, services: ["A", "B"]) })
let work = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("hallq-central-bench-\(getpid())")
try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: work) }

/// `days` days of a hall from `start`: takes through the day, six windows calling and finishing,
/// one visitor in five rating. Each day one transaction (the store's own write path).
func history(_ store: HallStore, start: Millis, days: Int) throws -> Int {
    var engine = QueueEngine(config: config)
    var events = 0
    for d in 0..<days {
        var t = start + Millis(d) * 86_400_000
        var batch: [(effects: Effects, origin: Origin)] = []
        func run(_ c: Command) {
            var next = engine
            if let fx = try? next.apply(c, at: t) {
                engine = next
                events += fx.events.count
                batch.append((fx, Origin(role: "bench")))
            }
        }
        for w in 1...6 { run(.signin(window: w, clerk: "clerk\(w)")) }
        for i in 0..<tickets {
            t += 28_800_000 / Millis(tickets)
            run(.take(service: i % 3 == 0 ? "B" : "A", key: nil))
            let w = i % 6 + 1
            if engine.windows[w]?.current != nil {
                run(.finish(window: w, outcome: .served))
                if i % 5 == 0 { run(.rate(window: w, RatingInput(score: 5 - i % 3, channel: .evaluator))) }
            }
            run(.call(window: w, ticket: nil))
        }
        try store.commit(batch)
    }
    return events
}

print("hallq-central-bench: \(halls) halls × \(days) days × \(tickets) tickets a day")
let monthStart: Millis = 1_793_462_400_000  // 2026-11-01 00:00 +08:00
var stores: [HallStore] = []
var totalEvents = 0
var t0 = now()
for h in 0..<halls {
    let s = try HallStore(
        path: work.appendingPathComponent("hall\(h).sqlite").path, synchronous: .normal)
    totalEvents += try history(s, start: monthStart + 32_400_000, days: days)
    stores.append(s)
}
print(
    String(
        format: "histories: %d events written in %.1f s (not a figure of the centre)", totalEvents, seconds(since: t0)))

// MARK: - The centre

let admin0 = try await url("postgres").connect(logger: logger)
try await admin0.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(database)"), logger: logger)
try await admin0.closeGracefully()
let admin = try await url(database).connect(logger: logger)
try await CentralSchema.migrate(admin, logger: logger)
var roles: [(id: String, role: String, password: String)] = []
for h in 0..<halls {
    let id = "b\(getpid() % 10000)-\(h)"
    let (role, password) = try await CentralHalls.add(
        id: id, name: "大厅\(h)", region: "3301", timeZone: "Asia/Shanghai", on: admin, logger: logger)
    roles.append((id, role, password))
}

/// Ships a hall's store to the centre as the relay does: batches of `[central] batch`, as the hall's role.
func ship(_ store: HallStore, _ r: (id: String, role: String, password: String)) async throws -> Int {
    let c = try await url(database, user: r.role, password: r.password).connect(logger: logger)
    defer { Task { try? await c.closeGracefully() } }
    var cursors = HallStore.CentralCursors()
    var sent = 0
    while true {
        let b = try await store.centralBatch(after: cursors, limit: batchSize)
        if b.isEmpty { break }
        try await CentralIngest.ship(
            b, hallId: r.id, pulse: .init(), lastSeq: b.events.last?.seq ?? cursors.events, pending: 0,
            lagSeconds: 0, now: 0, on: c, logger: logger)
        if let e = b.events.last { cursors.events = e.seq }
        if let l = b.legs.last { cursors.legs = l.id }
        if let t = b.tickets.last { cursors.tickets = t.id }
        sent += b.events.count
    }
    return sent
}

// Ingest: two halls at a time (this machine has two cores), all halls.
t0 = now()
var shipped = 0
let allStores = stores
let allRoles = roles
for pair in stride(from: 0, to: halls, by: 2) {
    shipped += try await withThrowingTaskGroup(of: Int.self) { g in
        for h in pair..<min(pair + 2, halls) { g.addTask { try await ship(allStores[h], allRoles[h]) } }
        var n = 0
        for try await x in g { n += x }
        return n
    }
}
let ingest = seconds(since: t0)
let legRows = try await admin.query("SELECT count(*) FROM legs", logger: logger).collect().first!.decode(Int64.self)
let ticketRows = try await admin.query("SELECT count(*) FROM tickets", logger: logger).collect().first!.decode(
    Int64.self)

// The floor: COPY of the same rows (events, legs, tickets) into tables of the same shape and
// keys (the events partitioned alike), without the checks and triggers ingest goes through.
for (table, copy) in [("events", "copy_events"), ("legs", "copy_legs"), ("tickets", "copy_tickets")] {
    let partitioned = table == "events" ? " PARTITION BY RANGE (at_ms)" : ""
    try await admin.query(
        PostgresQuery(
            unsafeSQL: "CREATE TABLE \(copy) (LIKE \(table) INCLUDING DEFAULTS INCLUDING CONSTRAINTS)\(partitioned)"),
        logger: logger)
    let key = table == "events" ? "hall_id, seq, at_ms" : table == "legs" ? "hall_id, leg_id" : "hall_id, ticket_id"
    try await admin.query(PostgresQuery(unsafeSQL: "ALTER TABLE \(copy) ADD PRIMARY KEY (\(key))"), logger: logger)
}
try await admin.query(
    PostgresQuery(
        unsafeSQL: "CREATE TABLE copy_events_m PARTITION OF copy_events FOR VALUES FROM (0) TO (9000000000000)"),
    logger: logger)
try await admin.query("CREATE INDEX ON copy_events (hall_id, at_ms)", logger: logger)
try await admin.query("CREATE INDEX ON copy_legs (hall_id, called_at)", logger: logger)
try await admin.query("CREATE INDEX ON copy_tickets (hall_id, day)", logger: logger)
func copyText(_ s: String?) -> String {
    guard let s else { return "\\N" }
    return s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\t", with: "\\t")
        .replacingOccurrences(of: "\n", with: "\\n")
}
func n(_ v: Int64?) -> String { v.map(String.init) ?? "\\N" }
var copyRows: [String: [String]] = ["copy_events": [], "copy_legs": [], "copy_tickets": []]
for (h, s) in stores.enumerated() {
    let b = try await s.centralBatch(after: .init(), limit: Int.max)
    let id = roles[h].id
    for e in b.events {
        copyRows["copy_events"]!.append(
            [
                id, String(e.seq), String(e.atMs), e.day, e.type, n(e.ticketId), copyText(e.ticket),
                copyText(e.service), n(e.window), copyText(e.clerk), copyText(e.role), n(e.peerUid),
                copyText(e.account), copyText(e.client), copyText(e.details),
            ].joined(separator: "\t"))
    }
    for l in b.legs {
        copyRows["copy_legs"]!.append(
            [
                id, String(l.id), String(l.ticketId), l.day, copyText(l.label), copyText(l.service), String(l.window),
                copyText(l.clerk), String(l.queuedAt), String(l.calledAt), String(l.endedAt), l.outcome,
                String(l.waitMs), String(l.serviceMs),
            ].joined(separator: "\t"))
    }
    for t in b.tickets {
        copyRows["copy_tickets"]!.append(
            [id, String(t.id), t.day, String(t.issuedAt), copyText(t.issuedService)].joined(separator: "\t"))
    }
}
let floorRows = copyRows.values.map(\.count).reduce(0, +)
t0 = now()
for (table, rows) in copyRows {
    try await admin.copyFrom(table: table, logger: logger) { w in
        var chunk = ""
        for r in rows {
            chunk += r + "\n"
            if chunk.utf8.count > 1 << 20 {
                try await w.write(ByteBuffer(string: chunk))
                chunk = ""
            }
        }
        if !chunk.isEmpty { try await w.write(ByteBuffer(string: chunk)) }
    }
}
let copy = seconds(since: t0)
let ingestRows = shipped + Int(legRows) + Int(ticketRows)
print(
    String(
        format:
            "ingest:  %d rows (%d events, %d legs, %d tickets) in %.1f s = %.0f rows/s (batches of %d);  floor, COPY of the same rows: %.1f s = %.0f rows/s;  ratio %.2f× the floor",
        ingestRows, shipped, legRows, ticketRows, ingest, Double(ingestRows) / ingest, batchSize, copy,
        Double(floorRows) / copy, (Double(ingestRows) / ingest) / (Double(floorRows) / copy)))

// Catch-up: a hall offline for its busiest day, then shipping it all.
let lateStore = try HallStore(path: work.appendingPathComponent("late.sqlite").path, synchronous: .normal)
let lateEvents = try history(lateStore, start: monthStart + Millis(days) * 86_400_000 + 32_400_000, days: 1)
let (lateRole, latePassword) = try await CentralHalls.add(
    id: "late-\(getpid() % 10000)", name: "迟到大厅", region: "3301", timeZone: "Asia/Shanghai", on: admin,
    logger: logger)
t0 = now()
_ = try await ship(lateStore, ("late-\(getpid() % 10000)", lateRole, latePassword))
print(
    String(format: "catch-up: one hall's day (%d events) after a day offline: %.2f s", lateEvents, seconds(since: t0)))

// The province's month statistics by hall.
try await admin.query("ANALYZE", logger: logger)
var statTimes: [Double] = []
for _ in 0..<3 {
    t0 = now()
    let rows = try await CentralStats.rows(
        by: .hall, from: "2026-11-01", to: "2026-11-30", hall: nil, on: admin, logger: logger)
    statTimes.append(seconds(since: t0))
    precondition(rows.count >= halls)
}
print(
    String(
        format: "stats:   the month by hall over %d halls (%d legs): best of 3 %.2f s", halls + 1, legRows + 0,
        statTimes.min()!))

// MARK: - A hall's take latency, centre up, down and hung

func takeLatency(central: String?) throws -> (p50: Double, p90: Double) {
    let d = try DaemonHarness(config: DaemonHarness.demoConfig + (central ?? ""))
    try d.start(logLevel: "warning")
    defer { d.stop() }
    let k = try d.client(.kiosk)
    var ms: [Double] = []
    for _ in 0..<takes {
        let t = now()
        _ = try k.request(["op": "take", "service": "A"])
        ms.append(Double(now() - t) / 1e6)
    }
    ms.sort()
    return (ms[ms.count / 2], ms[ms.count * 9 / 10])
}
let (benchRole, benchPassword) = try await CentralHalls.add(
    id: "lat-\(getpid() % 10000)", name: "测速大厅", region: "3301", timeZone: "Asia/Shanghai", on: admin,
    logger: logger)
func section(port: Int, user: String = benchRole, password: String = benchPassword) -> String {
    "\n[central]\nurl = \"postgres://\(user):\(password)@127.0.0.1:\(port)/\(database)?sslmode=disable\"\nhall_id = \"lat-\(getpid() % 10000)\"\n"
}
// Hung: a socket that listens (the kernel completes connections into its backlog) and never reads.
let hung = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
var addr = sockaddr_in()
addr.sin_family = sa_family_t(AF_INET)
addr.sin_addr.s_addr = inet_addr("127.0.0.1")
_ = withUnsafePointer(to: &addr) {
    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(hung, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
}
listen(hung, 16)
var bound = sockaddr_in()
var len = socklen_t(MemoryLayout<sockaddr_in>.size)
_ = withUnsafeMutablePointer(to: &bound) {
    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(hung, $0, &len) }
}
let hungPort = Int(UInt16(bigEndian: bound.sin_port))
let refusedPort = try freeServerPort()
let none = try takeLatency(central: nil)
let up = try takeLatency(central: section(port: pgPort))
let down = try takeLatency(central: section(port: refusedPort))
let slow = try takeLatency(central: section(port: hungPort))
close(hung)
print(String(format: "take, no centre (floor): p50 %.2f ms  p90 %.2f ms", none.p50, none.p90))
for (name, r) in [("centre up", up), ("centre down", down), ("centre hung", slow)] {
    print(
        String(
            format: "take, %@: p50 %.2f ms  p90 %.2f ms  (%.2f× the centre-up p50)", name, r.p50, r.p90, r.p50 / up.p50)
    )
}

try await admin.closeGracefully()
let cleanup = try await url("postgres").connect(logger: logger)
try await cleanup.query(PostgresQuery(unsafeSQL: "DROP DATABASE \(database) WITH (FORCE)"), logger: logger)
try await cleanup.closeGracefully()
