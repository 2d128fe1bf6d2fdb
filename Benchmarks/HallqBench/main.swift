// hallq-bench: how fast hallqd answers, next to the floor of the machine it runs on.
//
//   swift build -c release --product hallq-bench --product hallqd
//   .build/release/hallq-bench [--ops N] [--mixed-seconds S] [--hallqd PATH]
//   .build/release/hallq-bench --year [--days D] [--hallqd PATH]
//   .build/release/hallq-bench --login-flood [--ops N] [--hallqd PATH]
//   .build/release/hallq-bench --estimate [--ops ROUNDS] [--waiting N]
//
// Starts the release hallqd (next to this program, or --hallqd) on a temp directory and drives
// it over its Unix sockets as a hall's software would. In the same run, on the same disk, it
// measures the floor: one SQLite WAL `synchronous=FULL` single-row commit, what every
// acknowledged operation must at least cost. Then take and call from one client (p50 / p99),
// from 8 clients (throughput), and a mixed load (30 clerks calling in a closed loop, a kiosk
// taking, an admin polling `status`), each printed beside the floor as a ratio; server CPU per
// operation and RSS. With --year it first writes a synthetic year of a large hall (250 working
// days × 2,400 tickets) through the store's own code, then measures start → READY, `stats` by
// every grouping for a month and for the year, `export` of a month, and RSS.
// A program that prints figures: nothing here passes or fails.
import Foundation
import GRDB
import HallqClient
import HallqCore
import HallqProtocol
import HallqStore
import HallqTestKit

#if canImport(Glibc)
import Glibc
#endif

// MARK: - Options

struct Options: Sendable {
    var year = false
    var loginFlood = false
    var estimate = false
    var waiting = 200
    var days = 250
    var ops = 2000
    var mixedSeconds = 10.0
    var hallqd: String?
    var eta: String?
    /// Keep the generated year here and reuse it on the next run (it takes minutes to write).
    var yearFile: String?

    static func parse() -> Options {
        var o = Options()
        var argv = CommandLine.arguments.dropFirst()
        while let a = argv.popFirst() {
            switch a {
            case "--year": o.year = true
            case "--login-flood": o.loginFlood = true
            case "--estimate": o.estimate = true
            case "--waiting": o.waiting = Int(argv.popFirst() ?? "") ?? o.waiting
            case "--days": o.days = Int(argv.popFirst() ?? "") ?? o.days
            case "--ops": o.ops = Int(argv.popFirst() ?? "") ?? o.ops
            case "--mixed-seconds": o.mixedSeconds = Double(argv.popFirst() ?? "") ?? o.mixedSeconds
            case "--hallqd": o.hallqd = argv.popFirst()
            case "--eta": o.eta = argv.popFirst()
            case "--year-file": o.yearFile = argv.popFirst()
            default:
                FileHandle.standardError.write(Data("hallq-bench: unknown argument \(a)\n".utf8))
                exit(64)
            }
        }
        return o
    }
}
let options = Options.parse()
if let p = options.hallqd { setenv("HALLQ_BIN_DIR", URL(fileURLWithPath: p).deletingLastPathComponent().path, 1) }

// MARK: - Figures

func percentile(_ sorted: [Double], _ p: Double) -> Double {
    guard !sorted.isEmpty else { return .nan }
    return sorted[max(0, min(sorted.count - 1, Int((p * Double(sorted.count)).rounded(.up)) - 1))]
}

struct Latencies {
    var ms: [Double] = []
    mutating func add(_ t0: UInt64) { ms.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6) }
    var p50: Double { percentile(ms.sorted(), 0.5) }
    var p99: Double { percentile(ms.sorted(), 0.99) }
}

func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }
func f2(_ x: Double) -> String { String(format: "%.2f", x) }

/// A process's CPU time (user + system) in ms, from /proc.
func cpuMs(_ pid: Int32) -> Double {
    guard let s = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let close = s.lastIndex(of: ")")
    else { return .nan }
    let f = s[s.index(after: close)...].split(separator: " ")
    let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
    return ((Double(f[11]) ?? 0) + (Double(f[12]) ?? 0)) * 1000 / ticks
}

func rssMB(_ pid: Int32) -> Double {
    let s = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
    let kb = s.split(separator: "\n").first { $0.hasPrefix("VmRSS:") }.flatMap {
        Double($0.split(separator: " ").dropFirst().first ?? "")
    }
    return (kb ?? .nan) / 1024
}

/// Runs `n` closures on threads of their own and waits for all.
func onThreads(_ n: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let group = DispatchGroup()
    for i in 0..<n {
        group.enter()
        Thread {
            body(i)
            group.leave()
        }.start()
    }
    group.wait()
}

// MARK: - The floor

/// One single-row commit in WAL with synchronous=FULL, on the disk the daemon's state is on.
/// The pragma is set after the pool is open and read back: GRDB's WAL set-up sets NORMAL after
/// `prepareDatabase` runs, and a NORMAL commit (no fdatasync) is no floor for a durable one.
func floor(in dir: URL, commits: Int) throws -> Latencies {
    let path = dir.appendingPathComponent("floor.sqlite").path
    let q = try DatabasePool(path: path)
    let level = try q.writeWithoutTransaction { db in
        try db.execute(sql: "PRAGMA synchronous = FULL")
        return try Int.fetchOne(db, sql: "PRAGMA synchronous")
    }
    guard level == HallStore.Synchronous.full.pragmaValue else {
        FileHandle.standardError.write(
            Data("hallq-bench: the floor's writer reports synchronous \(level ?? -1), not FULL\n".utf8))
        exit(70)
    }
    try q.write { try $0.execute(sql: "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT NOT NULL)") }
    var lat = Latencies()
    for i in 0..<commits {
        let t0 = now()
        try q.write { try $0.execute(sql: "INSERT INTO t(v) VALUES (?)", arguments: ["row \(i)"]) }
        lat.add(t0)
    }
    try q.close()
    return lat
}

// MARK: - Load

/// `--eta formula` takes the look-ahead estimator (a simulation of the whole queue, once a
/// second at most, off the request path but on the same two cores) out of the load, to see the
/// request path alone.
nonisolated var loadHall: String {
    TestHallConfig.oneService(windows: 30, last: 999_999, width: 6) + DaemonHarness.generousLimits
        + (options.eta.map { "\n[eta]\nmethod = \"\($0)\"\n" } ?? "")
}

func runLoad() throws {
    let daemon = try DaemonHarness(config: loadHall)
    try daemon.start(logLevel: "error")
    guard let pid = daemon.process?.processIdentifier else { return }
    let fl = try floor(in: daemon.root, commits: options.ops)
    let floorP50 = fl.p50
    let floorRate = 1000 / (fl.ms.reduce(0, +) / Double(fl.ms.count))
    print(
        "hallq-bench: release hallqd at \(DaemonHarness.binDir.path), \(ProcessInfo.processInfo.activeProcessorCount) cores"
            + (options.eta.map { ", [eta] method = \($0)" } ?? "")
    )
    print(
        "floor: SQLite WAL synchronous=FULL (read back: 2) one-row commit, \(options.ops) commits on the state directory's disk"
    )
    print("  p50 \(f2(fl.p50)) ms  p99 \(f2(fl.p99)) ms  \(Int(floorRate)) commits/s")
    func ratio(_ x: Double) -> String { String(format: "%.1f× floor", x / floorP50) }
    func rateRatio(_ r: Double) -> String { String(format: "%.2f× floor rate", r / floorRate) }

    // Take and call, one client.
    let kiosk = try daemon.client(.kiosk)
    let clerk = try daemon.client(.clerk)
    _ = try clerk.request(["op": "signin", "window": 1, "clerk": "bench"])
    var take1 = Latencies()
    let cpu0 = cpuMs(pid)
    for _ in 0..<options.ops {
        let t0 = now()
        _ = try kiosk.request(["op": "take", "service": "A"])
        take1.add(t0)
    }
    var call1 = Latencies()
    for _ in 0..<options.ops {
        let t0 = now()
        let r = try clerk.request(["op": "call", "window": 1])
        call1.add(t0)
        if r["ok"]?.boolValue != true { print("call refused: \(r.text)") }
    }
    let cpuPerOp = (cpuMs(pid) - cpu0) / Double(2 * options.ops)
    print("take, one client:  p50 \(f2(take1.p50)) ms (\(ratio(take1.p50)))  p99 \(f2(take1.p99)) ms")
    print("call, one client:  p50 \(f2(call1.p50)) ms (\(ratio(call1.p50)))  p99 \(f2(call1.p99)) ms")
    print("server CPU per operation (take + call, one client): \(f2(cpuPerOp)) ms")

    // 8 clients.
    let per = options.ops / 8 * 2
    var t0 = now()
    onThreads(8) { _ in
        guard let k = try? daemon.client(.kiosk) else { return }
        for _ in 0..<per { _ = try? k.request(["op": "take", "service": "A"]) }
    }
    let takeRate = Double(8 * per) / (Double(now() - t0) / 1e9)
    t0 = now()
    let served = Locked(0)
    onThreads(8) { i in
        guard let c = try? daemon.client(.clerk) else { return }
        let w = Int64(i + 2)
        _ = try? c.request(["op": "signin", "window": .int(w), "clerk": .string("bench\(w)")])
        for _ in 0..<per {
            if (try? c.request(["op": "call", "window": .int(w)]))?["ok"]?.boolValue == true {
                served.with { $0 += 1 }
            }
        }
    }
    let callRate = Double(served.with { $0 }) / (Double(now() - t0) / 1e9)
    print("take, 8 clients:   \(Int(takeRate)) ops/s (\(rateRatio(takeRate)))")
    print("call, 8 clients (8 windows): \(Int(callRate)) ops/s (\(rateRatio(callRate)))")

    // Mixed: enough waiting that every call finds a ticket (30 clerks call faster than 8: three
    // times the 8-client rate; 1.5 ran dry once the calls got faster).
    let prefill = Int(min(60_000, max(2_000, callRate * options.mixedSeconds * 3)))
    onThreads(8) { _ in
        guard let k = try? daemon.client(.kiosk) else { return }
        for _ in 0..<(prefill / 8) { _ = try? k.request(["op": "take", "service": "A"]) }
    }
    let calls = Locked(Latencies())
    let statuses = Locked(Latencies())
    let takes = Locked(Latencies())
    let empty = Locked(0)
    let deadline = now() + UInt64(options.mixedSeconds * 1e9)
    onThreads(32) { i in
        switch i {
        case 0:
            guard let k = try? daemon.client(.kiosk) else { return }
            while now() < deadline {
                let t0 = now()
                _ = try? k.request(["op": "take", "service": "A"])
                takes.with { $0.add(t0) }
            }
        case 1:
            guard let a = try? daemon.client(.admin) else { return }
            while now() < deadline {
                let t0 = now()
                _ = try? a.request(["op": "status"])
                statuses.with { $0.add(t0) }
            }
        default:
            guard let c = try? daemon.client(.clerk) else { return }
            let w = Int64(i - 1)
            _ = try? c.request(["op": "signin", "window": .int(w), "clerk": .string("mixed\(w)")])
            while now() < deadline {
                let t0 = now()
                let r = try? c.request(["op": "call", "window": .int(w)])
                if r?["ok"]?.boolValue == true { calls.with { $0.add(t0) } } else { empty.with { $0 += 1 } }
            }
        }
    }
    let (c, s, k) = (calls.with { $0 }, statuses.with { $0 }, takes.with { $0 })
    print(
        "mixed \(Int(options.mixedSeconds)) s, 30 clerks + a kiosk + an admin polling status:"
            + " call p50 \(f2(c.p50)) ms p99 \(f2(c.p99)) ms (\(c.ms.count) calls, \(empty.with { $0 }) refused);"
            + " status p50 \(f2(s.p50)) ms p99 \(f2(s.p99)) ms; take p50 \(f2(k.p50)) ms")
    print("RSS after the load: \(f2(rssMB(pid))) MB")
    daemon.stop()
}

// MARK: - A year

/// A large hall's year written through the store's own code: the real engine applies every
/// take, call, start, finish, no-show, transfer and rating at simulated times, and the store
/// commits each day's effects in one transaction.
func writeYear(to path: String, days: Int) throws -> (tickets: Int, events: Int) {
    let services = (0..<12).map { i in
        ServiceConfig(id: String(UnicodeScalar(UInt8(65 + i))), name: "业务\(i + 1)", last: 9_999, width: 4)
    }
    let windows = (1...24).map { n in
        WindowConfig(number: n, services: [services[(n - 1) % 12].id, services[n % 12].id, services[(n + 5) % 12].id])
    }
    let config = HallConfig(name: "测试大厅", services: services, windows: windows)
    let store = try HallStore(path: path, synchronous: .normal)
    var engine = QueueEngine(config: config)
    var rng = SeededRandom(seed: 2026)
    func uniform() -> Double { Double(rng.next() >> 11) / Double(1 << 53) }
    // 2026-01-05, a Monday, 08:30 in Shanghai.
    var dayStart: Millis = 1_767_573_000_000
    var issued = 0
    var events = 0
    var day = 0
    while day < days {
        var batch: [(effects: Effects, origin: Origin)] = []
        func run(_ c: Command, at t: Millis, _ origin: Origin) -> Effects? {
            guard let e = try? engine.apply(c, at: t) else { return nil }
            batch.append((e, origin))
            events += e.events.count
            return e
        }
        // Arrivals over the 9-hour day, busier in the morning.
        let arrivals = (0..<2_400).map { _ -> Millis in
            let x = uniform()
            return dayStart + Millis((x * x * 0.4 + x * 0.6) * 9 * 3_600_000)
        }.sorted()
        // Each window: free at, and its clerk.
        var freeAt = [Millis](repeating: dayStart, count: 25)
        for n in 1...24 {
            _ = run(.signin(window: n, clerk: "clerk\((n + day) % 30)"), at: dayStart, Origin(role: "clerk"))
        }
        var next = 0
        let closing = dayStart + 9 * 3_600_000
        while true {
            // The earliest free window, or the next arrival, whichever comes first.
            let w = (1...24).min { freeAt[$0] < freeAt[$1] }!
            if next < arrivals.count && arrivals[next] <= freeAt[w] {
                let service = services[Int(uniform() * 12)].id
                if run(.take(service: service, key: nil), at: arrivals[next], Origin(role: "kiosk")) != nil {
                    issued += 1
                }
                next += 1
                continue
            }
            let t = freeAt[w]
            if t >= .max / 2 { break }  // every window is past its last call and nothing it serves waits
            if engine.windows[w]?.current != nil {
                _ = run(.finish(window: w, outcome: .served), at: t, Origin(role: "clerk"))
            }
            guard run(.call(window: w, ticket: nil), at: t, Origin(role: "clerk")) != nil else {
                if next >= arrivals.count && engine.waitingTotal == 0 { break }
                freeAt[w] = t + 30_000
                if freeAt[w] > closing + 4 * 3_600_000 { freeAt[w] = .max / 2 }
                continue
            }
            let r = uniform()
            if r < 0.05 {
                _ = run(.noshow(window: w), at: t + 60_000, Origin(role: "clerk"))
                freeAt[w] = t + 60_000
            } else if r < 0.08 {
                let to = services[Int(uniform() * 12)].id
                _ = run(.transfer(window: w, toService: to, toWindow: nil), at: t + 120_000, Origin(role: "clerk"))
                freeAt[w] = t + 120_000
            } else {
                let serviceMs = Millis(60_000 + uniform() * uniform() * 600_000)
                _ = run(.start(window: w), at: t + 20_000, Origin(role: "clerk"))
                let end = t + 20_000 + serviceMs
                _ = run(.finish(window: w, outcome: r < 0.1 ? .incomplete : .served), at: end, Origin(role: "clerk"))
                if uniform() < 0.6 {
                    _ = run(
                        .rate(window: w, score: 1 + Int(uniform() * uniform() * 5), reason: nil), at: end + 15_000,
                        Origin(role: "clerk"))
                }
                freeAt[w] = end + 30_000
            }
        }
        for n in 1...24 { _ = run(.signout(window: n), at: closing + 5 * 3_600_000, Origin(role: "clerk")) }
        try store.commit(batch)
        day += 1
        // Next working day: Monday after Friday.
        dayStart += (day % 5 == 0 ? 3 : 1) * 86_400_000
    }
    return (issued, events)
}

func runYear() throws {
    let daemon = try DaemonHarness(config: "")
    try FileManager.default.createDirectory(at: daemon.stateDir, withIntermediateDirectories: true)
    let db = daemon.stateDir.appendingPathComponent("hallq.sqlite").path
    var t0 = now()
    if let kept = options.yearFile, FileManager.default.fileExists(atPath: kept) {
        try FileManager.default.copyItem(atPath: kept, toPath: db)
        print("year: reusing \(kept)")
    } else {
        let written = try writeYear(to: db, days: options.days)
        print(
            "year: \(options.days) working days, \(written.tickets) tickets, \(written.events) events"
                + " (written in \(Int(Double(now() - t0) / 1e9)) s)")
        if let kept = options.yearFile { try FileManager.default.copyItem(atPath: db, toPath: kept) }
    }
    let q = try DatabaseQueue(path: db)
    let counts = try q.read { db in
        (
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM tickets") ?? 0,
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM events") ?? 0
        )
    }
    try q.close()
    let size = ((try? FileManager.default.attributesOfItem(atPath: db)[.size] as? Int) ?? 0) / 1_048_576
    print("  \(counts.0) tickets, \(counts.1) events, \(size) MB")
    // The hall hallqd runs on: the same services and windows as the year.
    let services = (0..<12).map {
        "[[service]]\nid = \"\(String(UnicodeScalar(UInt8(65 + $0))))\"\nname = \"业务\($0 + 1)\"\nlast = 9999\nwidth = 4\n"
    }
    let windows = (1...24).map { n in
        "[[window]]\nnumber = \(n)\nservices = [\"\(String(UnicodeScalar(UInt8(65 + (n - 1) % 12))))\"]\n"
    }
    let hall = "[hall]\nname = \"测试大厅\"\n[printer]\nkind = \"none\"\n" + services.joined() + windows.joined()
    try Data((hall + DaemonHarness.generousLimits).utf8).write(to: daemon.configURL)
    // The first start reads the whole file (quick_check: nothing recorded that hallqd closed it
    // cleanly); a restart after a clean stop does not.
    t0 = now()
    try daemon.start(logLevel: "error")
    let first = Double(now() - t0) / 1e6
    daemon.stop()
    t0 = now()
    try daemon.start(logLevel: "error")
    let ready = Double(now() - t0) / 1e6
    guard let pid = daemon.process?.processIdentifier else { return }
    print(
        "start → READY (sockets answer): \(Int(ready)) ms after a clean stop; \(Int(first)) ms the first time (whole-file check)"
    )
    // A generous timeout: an old hallqd (--hallqd) takes a minute for a year.
    let admin = try LineClient(path: daemon.path(.admin), timeout: 600)
    var peak = rssMB(pid)
    func timed(_ label: String, _ request: JSONValue) throws {
        let t0 = now()
        let r = try admin.request(request)
        let ms = Double(now() - t0) / 1e6
        peak = max(peak, rssMB(pid))
        let rows = r["rows"]?.arrayValue?.count ?? 0
        print("  \(label): \(f2(ms)) ms (\(rows) rows\(r["ok"]?.boolValue == true ? "" : ", " + r.text))")
    }
    let month = (from: "2026-03-01", to: "2026-03-31")
    print("stats for one month (\(month.from) … \(month.to)):")
    for by in StatsDimension.allCases {
        try timed(
            "by \(by.rawValue)",
            ["op": "stats", "from": .string(month.from), "to": .string(month.to), "by": .string(by.rawValue)])
    }
    print("stats for the year:")
    try timed("by month", ["op": "stats", "from": "2026-01-01", "to": "2026-12-31", "by": "month"])
    try timed("by service", ["op": "stats", "from": "2026-01-01", "to": "2026-12-31", "by": "service"])
    // Export: every line of the reply until the final one, as a client writing a file would.
    let e0 = now()
    try admin.send(["id": 1, "op": "export", "from": .string(month.from), "to": .string(month.to)])
    var bytes = 0
    var count: JSONValue?
    while let line = try admin.readLine() {
        bytes += line.utf8.count
        peak = max(peak, rssMB(pid))
        guard let v = JSONValue.parse(Array(line.utf8)) else { break }
        if v["ok"] != nil {
            count = v["count"]
            break
        }
    }
    print(
        "export of one month: \(f2(Double(now() - e0) / 1e6)) ms, \(count?.text ?? "?") tickets, \(bytes / 1024) KB on the wire"
    )
    print("RSS: \(f2(rssMB(pid))) MB at the end, \(f2(peak)) MB at the highest reading")
    daemon.stop()
}

if options.estimate {
    try runEstimate(waiting: options.waiting, rounds: min(options.ops, 500))
} else if options.loginFlood {
    try runLoginFlood()
} else if options.year {
    try runYear()
} else {
    try runLoad()
}
