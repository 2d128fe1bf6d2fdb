// soak-crash: kill -9 hallqd again and again under load, then check that nothing acknowledged
// was lost and no number was issued twice.
//
//   swift build && .build/debug/soak-crash [cycles=100] [load_ms=800]
//
// Each cycle starts the real hallqd on one state directory, runs 4 kiosk threads (takes with
// unique idempotency keys) and 4 clerk threads (call/finish at windows 1–4) for load_ms, then
// kill -9s it mid-load. After the last cycle it reads the SQLite file: every acknowledged take
// must be there under its label, every acknowledged call must be in the event log, no
// (day, service, number) twice, integrity_check ok. Prints figures; nothing here passes or fails.
import Foundation
import GRDB
import HallqClient
import HallqProtocol

#if canImport(Glibc)
import Glibc
#endif

let args = CommandLine.arguments
let cycles = args.count > 1 ? Int(args[1]) ?? 100 : 100
let loadMs = args.count > 2 ? Int(args[2]) ?? 800 : 800
let bin = URL(fileURLWithPath: args[0]).deletingLastPathComponent()
let dir = URL(fileURLWithPath: "/tmp/hq-soak-\(getpid())")
try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: dir) }
let config = """
    [[service]]
    id = "A"
    name = "资质认定"
    last = 999999
    width = 6
    \((1...4).map { "[[window]]\nnumber = \($0)\nservices = [\"A\"]\n" }.joined())
    [printer]
    kind = "none"
    [limits]
    take_burst = 10000
    take_per_min_connection = 100000
    take_per_min_service = 100000
    """
try Data(config.utf8).write(to: dir.appendingPathComponent("hallq.toml"))
let run = dir.appendingPathComponent("run")

final class Box<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: T
    init(_ v: T) { value = v }
    func with<R>(_ f: (inout T) -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        return f(&value)
    }
}

func start() -> (Process, Double) {
    let p = Process()
    p.executableURL = bin.appendingPathComponent("hallqd")
    p.arguments = [
        "--config", dir.appendingPathComponent("hallq.toml").path, "--state-dir",
        dir.appendingPathComponent("state").path,
        "--runtime-dir", run.path, "--log-level", "error",
    ]
    p.standardError = FileHandle(forWritingAtPath: "/dev/null")
    let t0 = Date()
    try! p.run()
    while true {
        if let c = try? LineClient(path: run.appendingPathComponent("admin.sock").path, timeout: 5),
            c.hello["type"] == "hello"
        {
            return (p, Date().timeIntervalSince(t0) * 1000)
        }
        if !p.isRunning { fatalError("hallqd exited with \(p.terminationStatus) at start") }
        usleep(5_000)
    }
}

let takes = Box([(key: String, label: String)]())
let calls = Box([(label: String, window: Int)]())
var restartMs: [Double] = []
var integrity: [String] = []

for cycle in 0..<cycles {
    let (daemon, ms) = start()
    restartMs.append(ms)
    let stop = Box(false)
    let group = DispatchGroup()
    for k in 0..<4 {
        DispatchQueue.global().async(group: group) {
            guard let c = try? LineClient(path: run.appendingPathComponent("kiosk.sock").path, timeout: 5) else {
                return
            }
            var i = 0
            while !stop.with({ $0 }) {
                let key = "c\(cycle)-k\(k)-\(i)"
                i += 1
                guard let r = try? c.request(["op": "take", "service": "A", "key": .string(key)]) else { return }
                if let label = r["ticket"]?["label"]?.stringValue { takes.with { $0.append((key, label)) } }
            }
        }
    }
    for w in 1...4 {
        DispatchQueue.global().async(group: group) {
            guard let c = try? LineClient(path: run.appendingPathComponent("clerk.sock").path, timeout: 5) else {
                return
            }
            _ = try? c.request(["op": "signin", "window": .int(Int64(w)), "clerk": .string("clerk\(w)")])
            while !stop.with({ $0 }) {
                guard let r = try? c.request(["op": "call", "window": .int(Int64(w))]) else { return }
                if let label = r["ticket"]?["label"]?.stringValue { calls.with { $0.append((label, w)) } }
            }
        }
    }
    usleep(useconds_t(loadMs * 1000))
    kill(daemon.processIdentifier, SIGKILL)
    daemon.waitUntilExit()
    stop.with { $0 = true }
    group.wait()
    let q = try DatabaseQueue(path: dir.appendingPathComponent("state/hallq.sqlite").path)
    let check = try q.read { try String.fetchOne($0, sql: "PRAGMA integrity_check") } ?? "?"
    try q.close()
    if check != "ok" { integrity.append("cycle \(cycle): \(check)") }
}

let (last, _) = start()
last.terminate()
last.waitUntilExit()
let db = try DatabaseQueue(path: dir.appendingPathComponent("state/hallq.sqlite").path)
let (lostTakes, lostCalls, duplicates) = try db.read { db -> (Int, Int, Int) in
    var lostT = 0
    var lostC = 0
    for (key, label) in takes.with({ $0 }) {
        if try String.fetchOne(db, sql: "SELECT label FROM tickets WHERE key = ?", arguments: [key]) != label {
            lostT += 1
        }
    }
    for (label, w) in calls.with({ $0 }) {
        let n =
            try Int.fetchOne(
                db, sql: "SELECT COUNT(*) FROM events WHERE type = 'call' AND ticket = ? AND window = ?",
                arguments: [label, w]) ?? 0
        if n == 0 { lostC += 1 }
    }
    let dup =
        try Int.fetchOne(
            db,
            sql: """
                SELECT COUNT(*) FROM (SELECT day, issued_service, number FROM tickets GROUP BY day, issued_service, number HAVING COUNT(*) > 1)
                """) ?? 0
    return (lostT, lostC, dup)
}
restartMs.sort()
print("cycles: \(cycles) × kill -9 after \(loadMs) ms of 4 kiosk + 4 clerk threads")
print("acknowledged: \(takes.with { $0.count }) takes, \(calls.with { $0.count }) calls")
print("lost: \(lostTakes) takes, \(lostCalls) calls; numbers issued twice: \(duplicates)")
print(
    "integrity_check failures: \(integrity.count)\(integrity.isEmpty ? "" : " " + integrity.prefix(3).joined(separator: "; "))"
)
print(
    String(
        format: "restart → sockets answer (ms): median %.0f  p99 %.0f  max %.0f",
        restartMs[restartMs.count / 2], restartMs[min(restartMs.count - 1, restartMs.count * 99 / 100)], restartMs.last!
    ))
