import Foundation
import GRDB
import HallqClient
import HallqProtocol
import HallqTestKit
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("kill -9 during load", .serialized, .onDaemonThreads)
struct CrashTests {
    struct Acked: Sendable {
        var takes: [(key: String, label: String)] = []
        var calls: [(label: String, window: Int)] = []
    }

    /// Kiosk presses and clerk calls from several connections until the daemon dies.
    static func load(_ d: DaemonHarness, round: Int, acked: Locked<Acked>, kiosks: Int = 1) -> DispatchGroup {
        let group = DispatchGroup()
        for kiosk in 0..<kiosks {
            group.enter()
            Thread {
                defer { group.leave() }
                guard let k = try? d.client(.kiosk) else { return }
                var i = 0
                while true {
                    i += 1
                    let key = "r\(round)-k\(kiosk)-\(i)"
                    let service = ["A", "B", "C"][i % 3]
                    guard let r = try? k.request(["op": "take", "service": .string(service), "key": .string(key)]),
                        r.ok,
                        let label = r["ticket"]?["label"]?.stringValue
                    else { return }
                    acked.with { $0.takes.append((key, label)) }
                }
            }.start()
        }
        for w in 1...3 {
            group.enter()
            Thread {
                defer { group.leave() }
                guard let c = try? d.client(.clerk) else { return }
                guard
                    let s = try? c.request(["op": "signin", "window": .int(Int64(w)), "clerk": .string("clerk\(w)")]),
                    s.ok
                else { return }
                while true {
                    guard let r = try? c.request(["op": "call", "window": .int(Int64(w))]) else { return }
                    if let label = r["ticket"]?["label"]?.stringValue {
                        acked.with { $0.calls.append((label, w)) }
                    } else if r.token != "QUEUE-EMPTY" {
                        return
                    }
                    if w == 3, (try? c.request(["op": "finish", "window": 3])) == nil { return }
                }
            }.start()
        }
        return group
    }

    @Test("nothing acknowledged is lost and no number is issued twice")
    func killNineDuringLoad() throws {
        try Self.killNine(kiosks: 1)
    }

    /// The same with eight kiosks pressing at once, so commands arrive while a commit is on its
    /// way to disk and are committed in groups: a group cut by the kill must be all or nothing.
    @Test("under 8 clients (group commit): nothing acknowledged is lost and no number is issued twice")
    func killNineDuringGroupCommits() throws {
        try Self.killNine(kiosks: 8)
    }

    static func killNine(kiosks: Int) throws {
        let d = try DaemonHarness()
        let acked = Locked(Acked())
        // The kill times are random but replayable: HALLQ_CRASH_SEED=<seed> repeats a run.
        var random = SeededRandom.fromEnvironment("HALLQ_CRASH_SEED")
        let delays = (1...4).map { _ in Int.random(in: 300_000...700_000, using: &random) }
        print(
            "crash test: seed \(random.seed), kill -9 after \(delays.map { "\($0 / 1000) ms" }.joined(separator: ", "))"
        )
        for round in 1...4 {
            try d.start()
            let group = load(d, round: round, acked: acked, kiosks: kiosks)
            usleep(useconds_t(delays[round - 1]))
            d.kill9()
            group.wait()
        }
        try d.start()
        let got = acked.with { $0 }
        #expect(got.takes.count > 20, "the load did run")

        let db = try DatabaseQueue(path: d.stateDir.appendingPathComponent("hallq.sqlite").path)
        try db.read { db in
            for (key, label) in got.takes {
                let stored = try String.fetchOne(db, sql: "SELECT label FROM tickets WHERE key = ?", arguments: [key])
                #expect(stored == label, "acknowledged take \(key) → \(label)")
            }
            for (label, w) in got.calls {
                let n =
                    try Int.fetchOne(
                        db, sql: "SELECT COUNT(*) FROM events WHERE type = 'call' AND ticket = ? AND window = ?",
                        arguments: [label, w]) ?? 0
                #expect(n >= 1, "acknowledged call \(label) at window \(w)")
            }
            let twice = try Int.fetchOne(
                db,
                sql: """
                    SELECT COUNT(*) FROM (SELECT day, issued_service, number FROM tickets
                    GROUP BY day, issued_service, number HAVING COUNT(*) > 1)
                    """)
            #expect(twice == 0)
            let labels = got.takes.map(\.label)
            #expect(Set(labels).count == labels.count, "no two presses were given the same number")
        }

        // The restarted daemon's live queue is the one on disk.
        let status = try d.ask(.admin, ["op": "status"])
        try db.read { db in
            for s in status["services"]?.arrayValue ?? [] {
                let n =
                    try Int.fetchOne(
                        db, sql: "SELECT COUNT(*) FROM tickets WHERE state = 'waiting' AND service = ?",
                        arguments: [s["id"]?.stringValue]) ?? -1
                #expect(s["waiting"]?.intValue == Int64(n))
            }
            for w in status["windows"]?.arrayValue ?? [] {
                let current = try String.fetchOne(
                    db,
                    sql: """
                        SELECT t.label FROM windows w JOIN tickets t ON t.id = w.current WHERE w.number = ?
                        """, arguments: [w["window"]?.intValue])
                #expect(w["ticket"]?.stringValue == current)
            }
        }
        // Numbering goes on after the highest stored number.
        let next = try d.ask(.kiosk, ["op": "take", "service": "A"])
        let maxA =
            try db.read {
                try Int.fetchOne(
                    $0,
                    sql:
                        "SELECT MAX(number) FROM tickets WHERE issued_service = 'A' AND id < (SELECT MAX(id) FROM tickets)"
                )
            } ?? 0
        #expect(next["ticket"]?["number"]?.intValue == Int64(maxA + 1))
        #expect(d.stop() == 0)
    }
}
