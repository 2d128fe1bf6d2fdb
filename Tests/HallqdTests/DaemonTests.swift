import Foundation
import GRDB
import HallqClient
import HallqProtocol
import HallqTestKit
import Testing

@Suite("hallqd end to end", .serialized, .onDaemonThreads)
struct DaemonTests {
    @Test("a small day through all three sockets, read back from SQLite")
    func day() throws {
        let d = try DaemonHarness()
        try d.start()
        let kiosk = try d.client(.kiosk)
        let clerk = try d.client(.clerk)
        let admin = try d.client(.admin)
        #expect(kiosk.hello["role"] == "kiosk" && clerk.hello["role"] == "clerk" && admin.hello["proto"]?["major"] == 1)

        let t1 = try kiosk.request(["id": 1, "op": "take", "service": "A", "key": "press-1"])
        #expect(t1["id"] == 1 && t1.ok && t1["ticket"]?["label"] == "A001" && t1["ticket"]?["ahead"] == 0)
        let again = try kiosk.request(["id": 2, "op": "take", "service": "A", "key": "press-1"])
        #expect(again["ticket"]?["label"] == "A001" && again["ticket"]?["duplicate"] == true)
        #expect(try kiosk.request(["op": "take", "service": "A"])["ticket"]?["ahead"] == 1)
        #expect(try kiosk.request(["op": "take", "service": "B"])["ticket"]?["label"] == "B001")

        #expect(try clerk.request(["op": "signin", "window": 1, "clerk": "张三"]).ok)
        #expect(try clerk.request(["op": "signin", "window": 2, "clerk": "李四"]).ok)
        #expect(try clerk.request(["op": "call", "window": 1])["ticket"]?["label"] == "A001")
        #expect(try clerk.request(["op": "call", "window": 2])["ticket"]?["label"] == "B001")
        #expect(try clerk.request(["op": "recall", "window": 2])["ticket"]?["recalls"] == 1)
        #expect(try clerk.request(["op": "noshow", "window": 2]).ok)
        #expect(try clerk.request(["op": "transfer", "window": 1, "to_window": 2]).ok)
        #expect(try clerk.request(["op": "call", "window": 2])["ticket"]?["label"] == "A001")
        #expect(try clerk.request(["op": "finish", "window": 2]).ok)
        #expect(try clerk.request(["op": "rate", "window": 2, "score": 5])["ticket"]?["rating"] == 5)
        #expect(try clerk.request(["op": "call", "window": 1])["ticket"]?["label"] == "A002")
        #expect(try clerk.request(["op": "call", "window": 1]).token == "QUEUE-EMPTY")

        let status = try admin.request(["op": "status"])
        #expect(status["windows"]?.arrayValue?.first?["ticket"] == "A002")
        let history = try admin.request(["op": "history", "ticket": "A001"])
        let steps = history["events"]?.arrayValue?.compactMap { $0["event"]?.stringValue } ?? []
        #expect(steps.filter { $0 != "print" } == ["take", "call", "transfer", "call", "finish", "rate"])
        let clerks = history["events"]?.arrayValue?.filter { $0["event"] == "call" }.compactMap {
            $0["clerk"]?.stringValue
        }
        #expect(clerks == ["张三", "李四"])

        let today = try #require(status["hall"]?["day"]?.stringValue)
        let stats = try admin.request(["op": "stats", "from": .string(today), "to": .string(today), "by": "window"])
        let rows = stats["rows"]?.arrayValue ?? []
        let w2 = try #require(rows.first { $0["key"] == "2" })
        #expect(w2["served"] == 1 && w2["noshows"] == 1 && w2["wait"]?["count"] == 1)
        let export = try d.export(from: today, to: today)
        #expect(export.csv?.split(separator: "\n").count == 4)  // header + 3 tickets
        #expect(export.reply["count"] == 3)

        // The file on disk says the same, read without the daemon's help.
        let db = try DatabaseQueue(path: d.stateDir.appendingPathComponent("hallq.sqlite").path)
        let row = try #require(try db.read { try Row.fetchOne($0, sql: "SELECT * FROM tickets WHERE label = 'A001'") })
        #expect(
            row["outcome"] as String? == "served" && row["window"] as Int? == 2 && row["clerk"] as String? == "李四"
                && row["rating"] as Int? == 5 && row["transfers"] as Int? == 1)
        let who = try db.read {
            try String.fetchAll($0, sql: "SELECT role FROM events WHERE ticket = 'A001' AND type = 'take'")
        }
        #expect(who == ["kiosk"])
        #expect(d.stop() == 0)
    }

    @Test("bad input gets an error token and everyone else is still served")
    func badInput() throws {
        let d = try DaemonHarness()
        try d.start()
        let good = try d.client(.kiosk)
        for role in Role.sockets {
            let c = try d.client(role)
            try c.sendRaw(Array("this is not json\n".utf8))
            #expect(JSONValue.parse(Array(try c.readLine()!.utf8))?.token == "BAD-REQUEST")
            #expect(try c.request(["id": 3, "op": "explode"]).token == "UNKNOWN-OP")
            #expect(try c.request(["op": "call"]).token == (role == .kiosk ? "NOT-ALLOWED" : "BAD-REQUEST"))
            #expect(
                try c.request(["op": "stats", "from": "2026-01-01", "to": "2026-01-02"]).token
                    == (role == .admin ? nil : "NOT-ALLOWED"))
            try c.sendRaw([0xFF, 0x00, 0xC3, 0x0A])
            #expect(JSONValue.parse(Array(try c.readLine()!.utf8))?.token == "BAD-REQUEST")
            // Still usable after all that.
            #expect(try c.request(["op": "status"]).ok)
            // An over-long line: TOO-LONG, then the connection closes.
            try c.sendRaw(Array(repeating: UInt8(ascii: "x"), count: 5000))
            #expect(JSONValue.parse(Array(try c.readLine()!.utf8))?.token == "TOO-LONG")
            #expect(try c.readLine() == nil)
            #expect(try good.request(["op": "take", "service": "A"]).ok)
        }
        // A client that sends a flood and never reads stalls only itself.
        let hog = try d.client(.admin)
        let flood = Array(String(repeating: "{\"op\":\"status\"}\n", count: 20_000).utf8)
        let writer = Thread { try? hog.sendRaw(flood) }
        writer.start()
        for _ in 0..<5 { #expect(try good.request(["op": "take", "service": "B"]).ok) }
        let clerk = try d.client(.clerk)
        #expect(try clerk.request(["op": "signin", "window": 1, "clerk": "王五"]).ok)
        #expect(try clerk.request(["op": "call", "window": 1]).ok)
        #expect(d.process?.isRunning == true)
    }

    @Test("watchers fill at most 192 places of a socket: the rest are BUSY, and status always gets in")
    func connectionLimit() throws {
        let d = try DaemonHarness()
        try d.start()
        // Watchers are never evicted for a newcomer (a lobby display must not be dropped), so
        // they may hold only part of a socket. (Idle connections give way: GreedyClientTests.)
        var held: [LineClient] = []
        var refused: [LineClient] = []
        for _ in 0..<256 {
            let c = try d.client(.clerk)
            let r = try c.request(["op": "watch"])
            if r["watching"] == true {
                held.append(c)
            } else if r["error"] == "BUSY" {
                refused.append(c)
            }
        }
        #expect(held.count == 192 && refused.count == 64, "watching \(held.count), BUSY \(refused.count)")
        // The socket is full (192 watchers, 64 refused ones still connected): hallqctl status
        // gets in once a refused one has been idle for a second, and the watchers stay.
        var status: JSONValue?
        #expect(
            eventually {
                guard let c = try? LineClient(path: d.path(.clerk), timeout: 10) else { return false }
                status = try? c.request(["op": "status"])
                return true
            })
        #expect(status?.ok == true)
        #expect(try refused[0].readLine()?.contains("IDLE-CLOSED") == true, "the idlest non-watcher made room")
        #expect(try d.ask(.admin, ["op": "status"]).ok)
        held.removeLast()
        // The server notices the hang-up asynchronously; then a new watcher has room.
        #expect(
            eventually {
                guard let c = try? LineClient(path: d.path(.clerk), timeout: 10) else { return false }
                return (try? c.request(["op": "watch"]))?["watching"] == true
            })
        #expect(d.stop() == 0)
    }

    @Test("watch streams events as they are committed")
    func watch() throws {
        let d = try DaemonHarness()
        try d.start()
        let w = try d.client(.clerk)
        #expect(try w.request(["id": 9, "op": "watch"])["watching"] == true)
        #expect(try d.ask(.kiosk, ["op": "take", "service": "C"]).ok)
        var types: [String] = []
        while types.count < 2, let line = try w.readLine(), let e = JSONValue.parse(Array(line.utf8)) {
            #expect(e["type"] == "event")
            types.append(e["event"]?.stringValue ?? "")
            if types.count == 1 { #expect(e["ticket"] == "C001" && e["role"] == "kiosk" && e["local"] != nil) }
        }
        #expect(types == ["take", "print"])
    }

    @Test(
        "a broken config stops hallqd with a message that names the key",
        arguments: [
            ("[hall]\ntimezone = \"Mars/Olympus\"\n", "hall.timezone"),
            (
                DaemonHarness.demoConfig.replacingOccurrences(
                    of: "services = [\"C\", \"A\"]", with: "services = [\"Q\"]"), "window[3].services"
            ),
            (DaemonHarness.demoConfig + "\n[hours]\nmon = \"9-5\"\n", "hours.mon"),
            (DaemonHarness.demoConfig + "\n[printer2]\n", "printer2"),
            ("[[service]]\nid = \"A\"\nname = 3\n", "service[0].name"),
            ("this is = = not toml", "line 1"),
            // A bus name that would escape the state directory through the virtual sign's file name.
            (
                DaemonHarness.demoConfig.replacingOccurrences(of: "name = \"signs\"", with: "name = \"../../escaped\""),
                "bus[0].name"
            ),
            // C (width 3) and C1 (width 2) would both issue C105.
            (DaemonHarness.demoConfig + "\n[[service]]\nid = \"C1\"\nname = \"x\"\nwidth = 2\n", "service[3].id"),
        ])
    func brokenConfig(config: String, key: String) throws {
        let d = try DaemonHarness(config: config)
        let error = #expect(throws: HarnessError.self) { try d.start() }
        #expect(d.log.contains(key), "\(d.log)")
        #expect(error?.description.contains("hallqd exited with 78") == true, "EX_CONFIG")
    }
}
