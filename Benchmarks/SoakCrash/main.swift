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
import HallqTestKit

#if canImport(Glibc)
import Glibc
#endif

let args = CommandLine.arguments
let cycles = args.count > 1 ? Int(args[1]) ?? 100 : 100
let loadMs = args.count > 2 ? Int(args[2]) ?? 800 : 800
let config =
    TestHallConfig.oneService(windows: 4, last: 999_999, width: 6) + DaemonHarness.generousLimits
let daemon = try DaemonHarness(config: config)

/// Starts hallqd on the same state directory; how long until its sockets answer, in ms.
func start() throws -> Double {
    let t0 = Date()
    try daemon.start(logLevel: "error")
    return Date().timeIntervalSince(t0) * 1000
}

/// Runs `body` on a thread of its own (eight blocking clients must not wait for a pool's workers).
func onThread(_ group: DispatchGroup, _ body: @escaping @Sendable () -> Void) {
    group.enter()
    Thread {
        body()
        group.leave()
    }.start()
}

let takes = Locked([(key: String, label: String)]())
let calls = Locked([(label: String, window: Int)]())
var restartMs: [Double] = []
var integrity: [String] = []

for cycle in 0..<cycles {
    restartMs.append(try start())
    let stop = Locked(false)
    let group = DispatchGroup()
    for k in 0..<4 {
        onThread(group) {
            guard let c = try? daemon.client(.kiosk) else {
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
        onThread(group) {
            guard let c = try? daemon.client(.clerk) else {
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
    daemon.kill9()
    stop.with { $0 = true }
    group.wait()
    let q = try DatabaseQueue(path: daemon.stateDir.appendingPathComponent("hallq.sqlite").path)
    let check = try q.read { try String.fetchOne($0, sql: "PRAGMA integrity_check") } ?? "?"
    try q.close()
    if check != "ok" { integrity.append("cycle \(cycle): \(check)") }
}

_ = try start()
daemon.stop()
let db = try DatabaseQueue(path: daemon.stateDir.appendingPathComponent("hallq.sqlite").path)
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
