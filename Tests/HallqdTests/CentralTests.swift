import Foundation
import GRDB
import HallqClient
import HallqProtocol
import HallqTestKit
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Halls shipping their logs to the province's PostgreSQL (docs/CENTRAL.md): the real hallqd,
/// the real `hallq-central`, a real PostgreSQL cluster (pg_virtualenv, started by scripts/test),
/// read back with psql.
@Suite(.serialized, .onDaemonThreads) struct CentralTests {
    /// A hallqd of the demo hall shipping to `cluster` as `id`, through `port` if given (a proxy).
    func hall(
        _ cluster: CentralCluster, _ id: String, port: Int? = nil, before: String = "", central extra: String = ""
    ) throws -> DaemonHarness {
        let section = try cluster.addHall(id, port: port)
        return try DaemonHarness(config: DaemonHarness.demoConfig + before + "\n" + section + extra)
    }

    /// hallqd's /metrics, read with curl.
    func metrics(_ port: Int) throws -> String {
        try runProgram(URL(fileURLWithPath: "/usr/bin/curl"), ["-s", "-m", "5", "http://127.0.0.1:\(port)/metrics"]).out
    }

    /// A morning's worth of steps at a hall: served, no-show, transfer, ratings.
    func serve(_ d: DaemonHarness) throws {
        let k = try d.client(.kiosk)
        let c = try d.client(.clerk)
        for s in ["A", "A", "B", "A", "B", "A", "A"] { try expectOK(k.request(["op": "take", "service": .string(s)])) }
        try expectOK(c.request(["op": "signin", "window": 1, "clerk": "张三"]))
        try expectOK(c.request(["op": "signin", "window": 2, "clerk": "李四"]))
        try expectOK(c.request(["op": "call", "window": 1]))
        try expectOK(c.request(["op": "finish", "window": 1]))
        try expectOK(c.request(["op": "rate", "window": 1, "score": 5]))
        try expectOK(c.request(["op": "call", "window": 2]))
        try expectOK(c.request(["op": "noshow", "window": 2]))
        try expectOK(c.request(["op": "call", "window": 1]))
        try expectOK(c.request(["op": "transfer", "window": 1, "to_window": 2]))
        try expectOK(c.request(["op": "call", "window": 2]))
        try expectOK(c.request(["op": "finish", "window": 2]))
        try expectOK(c.request(["op": "rate", "window": 2, "score": 2]))
        try expectOK(c.request(["op": "call", "window": 1]))
        try expectOK(c.request(["op": "finish", "window": 1]))
        try expectOK(c.request(["op": "call", "window": 2]))
        try expectOK(c.request(["op": "finish", "window": 2]))
        try expectOK(c.request(["op": "rate", "window": 2, "score": 4]))
    }

    func expectOK(_ r: JSONValue, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(r.ok, "\(r.text)", sourceLocation: sourceLocation)
    }

    /// The hall's log, every column, read from its SQLite file.
    func hallEvents(_ d: DaemonHarness) throws -> [[String]] {
        let db = try DatabaseQueue(path: d.stateDir.appendingPathComponent("hallq.sqlite").path)
        defer { try? db.close() }
        return try db.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT seq, at_ms, day, type, ticket_id, ticket, service, window, clerk, role, peer_uid, account,
                        client, details FROM events ORDER BY seq
                    """
            ).map { r in
                (0..<13).map { i in r[i].map { "\($0)" } ?? "" } + [Self.normal(r[13] as String)]
            }
        }
    }

    /// The centre's copy of one hall's log, the same columns.
    func centreEvents(_ cluster: CentralCluster, _ id: String) throws -> [[String]] {
        try cluster.rows(
            """
            SELECT seq, at_ms, day, type, ticket_id, ticket, service, window_no, clerk, role, peer_uid, account, client,
                details::text FROM events WHERE hall_id = '\(id)' ORDER BY seq
            """
        ).map { Array($0.dropLast()) + [Self.normal($0.last ?? "")] }
    }

    /// A JSON object's text with its keys in one order (jsonb keeps its own).
    static func normal(_ json: String) -> String { JSONValue.parse(Array(json.utf8))?.text ?? json }

    /// Waits until the hall reports nothing left to ship and the centre holds its whole log.
    func caughtUp(_ d: DaemonHarness, _ cluster: CentralCluster, _ id: String, within: Double = 30) throws -> Bool {
        try eventually(within) {
            let central = try d.ask(.admin, ["op": "status"])["central"]
            let hall = try hallEvents(d).count
            let centre = Int(try cluster.rows("SELECT count(*) FROM events WHERE hall_id = '\(id)'").first?.first ?? "")
            return central?["lag_events"] == 0 && centre == hall && hall > 0
        }
    }

    @Test("two halls ship to one centre: each hall's rows there equal its own log, and its stats equal hallqctl's")
    func twoHalls() throws {
        let cluster = try CentralCluster()
        let (id1, id2) = (CentralCluster.newHallId(), CentralCluster.newHallId())
        let h1 = try hall(cluster, id1)
        let h2 = try hall(cluster, id2)
        try h1.start(logLevel: "info")
        try h2.start(logLevel: "info")
        defer {
            h1.stop()
            h2.stop()
        }
        try serve(h1)
        try serve(h2)
        try expectOK(h2.client(.kiosk).request(["op": "take", "service": "C"]))
        for (d, id) in [(h1, id1), (h2, id2)] {
            #expect(try caughtUp(d, cluster, id), "\(d.log.suffix(3000))")
            let mine = try hallEvents(d)
            let there = try centreEvents(cluster, id)
            #expect(there == mine)
            #expect(there.map { Int($0[0]) ?? 0 } == Array(1...mine.count), "contiguous seq from 1")
            let status = try d.ask(.admin, ["op": "status"])
            #expect(status["central"]?["connected"] == true && status["central"]?["hall_id"] == .string(id))
            // The province's statistics for this hall are the hall's own, for the same day.
            let today = try #require(status["hall"]?["day"]?.stringValue)
            for by in ["service", "window", "clerk", "hour", "total"] {
                let own = try d.hallqctl(["stats", "--from", today, "--to", today, "--by", by, "--json"])
                let province = try cluster.central(["stats", "--from", today, "--hall", id, "--by", by, "--json"])
                #expect(own.status == 0 && province.status == 0, "\(own.err) \(province.err)")
                let a = JSONValue.parse(Array(own.out.utf8))?["rows"]
                let b = JSONValue.parse(Array(province.out.utf8))?["rows"]
                #expect(a != nil && a == b, "by \(by): hall \(a?.text ?? own.out) centre \(b?.text ?? province.out)")
            }
        }
        // Across halls: one row per hall, served counts as each hall's own.
        let all = try cluster.central(["stats", "--from", "2000-01-01", "--to", "2100-01-01", "--by", "hall", "--json"])
        let rows = JSONValue.parse(Array(all.out.utf8))?["rows"]?.arrayValue ?? []
        #expect(rows.compactMap { $0["key"]?.stringValue } == [id1, id2].sorted(), "\(all.out)\(all.err)")
        #expect(rows.allSatisfy { $0["served"] == 4 && $0["noshows"] == 1 && $0["transferred"] == 1 })
        // The ratings reached the centre from the rate events (the first of each ticket).
        #expect(try cluster.rows("SELECT count(*) FROM ratings").first == ["6"])
        // The export: every leg, with its rating where the ticket was rated.
        let csv = try cluster.central(["export", "--from", "2000-01-01", "--to", "2100-01-01", "--hall", id1])
        #expect(csv.status == 0 && csv.out.split(separator: "\n").count == 1 + 6, "\(csv.out)\(csv.err)")
        #expect(!csv.out.contains("张三"), "the export names no clerk")
    }

    @Test("the centre down: the hall serves on, status shows the lag and the error, and it catches up in order")
    func outage() throws {
        let cluster = try CentralCluster()
        let id = CentralCluster.newHallId()
        let proxyPort = try freeServerPort()
        var proxy = try TCPProxy(listen: proxyPort, to: cluster.port)
        let http = try freeServerPort()
        let d = try hall(
            cluster, id, port: proxyPort, before: "\n[http]\nlisten = \"127.0.0.1:\(http)\"\n",
            central: "retry_max_s = 2\n")
        try d.start(logLevel: "info")
        defer { d.stop() }
        let k = try d.client(.kiosk)
        try expectOK(k.request(["op": "take", "service": "A"]))
        #expect(try caughtUp(d, cluster, id))
        proxy.stop()
        // Down: takes and calls answered as before.
        let c = try d.client(.clerk)
        for _ in 0..<5 { try expectOK(k.request(["op": "take", "service": "B"])) }
        try expectOK(c.request(["op": "signin", "window": 2, "clerk": "李四"]))
        try expectOK(c.request(["op": "call", "window": 2]))
        var seen: JSONValue?
        #expect(
            try eventually(20) {
                seen = try d.ask(.admin, ["op": "status"])["central"]
                return seen?["connected"] == false && seen?["last_error"]?.stringValue != nil
                    && (seen?["lag_events"]?.intValue ?? 0) >= 5
            }, "\(seen?.text ?? "")")
        #expect(try d.ask(.admin, ["op": "devices"])["central"]?["connected"] == false)
        let down = try metrics(http)
        #expect(down.contains("hallq_central_up 0") && !down.contains("hallq_central_lag_events 0"), "\(down)")
        #expect(d.log.components(separatedBy: "central: shipping to the centre fails").count == 2, "logged once")
        proxy = try TCPProxy(listen: proxyPort, to: cluster.port)
        defer { proxy.stop() }
        #expect(try caughtUp(d, cluster, id), "\(d.log.suffix(3000))")
        #expect(try centreEvents(cluster, id) == hallEvents(d))
        #expect(d.log.contains("central: the centre answers again"))
        let up = try metrics(http)
        #expect(up.contains("hallq_central_up 1") && up.contains("hallq_central_lag_events 0"), "\(up)")
    }

    @Test("kill -9 while shipping, three times: the centre has every event once, no gap")
    func killWhileShipping() throws {
        let cluster = try CentralCluster()
        let id = CentralCluster.newHallId()
        // Small batches, so each kill lands between (or inside) many transactions.
        let d = try hall(cluster, id, central: "batch = 3\n")
        var acknowledged = 0
        for round in 0..<3 {
            try d.start(logLevel: "info")
            let k = try d.client(.kiosk)
            for _ in 0..<40 where try k.request(["op": "take", "service": "A"]).ok { acknowledged += 1 }
            usleep(UInt32(20_000 * round))
            d.kill9()
        }
        try d.start(logLevel: "info")
        defer { d.stop() }
        #expect(try caughtUp(d, cluster, id), "\(d.log.suffix(3000))")
        let mine = try hallEvents(d)
        let there = try centreEvents(cluster, id)
        #expect(there == mine)
        #expect(there.map { Int($0[0]) ?? 0 } == Array(1...mine.count))
        #expect(there.filter { $0[3] == "take" }.count == acknowledged)
        #expect(try cluster.rows("SELECT count(*) FROM tickets WHERE hall_id = '\(id)'").first == ["\(acknowledged)"])
    }

    @Test("a hall's credentials cannot write another hall's rows, read them, or update or delete anything")
    func rowLevelSecurity() throws {
        let cluster = try CentralCluster()
        let (a, b) = (CentralCluster.newHallId(), CentralCluster.newHallId())
        let urlA = try #require(CentralCluster.url(in: try cluster.addHall(a)))
        let urlB = try #require(CentralCluster.url(in: try cluster.addHall(b)))
        let at = 1_764_547_200_000  // 2025-12-01 00:00 UTC
        func row(_ hall: String, _ seq: Int) -> String {
            "INSERT INTO events(hall_id, seq, at_ms, day, type, details) VALUES ('\(hall)', \(seq), \(at), '2025-12-01', 'take', '{}')"
        }
        func refused(
            _ sql: String, as url: String, _ why: String, sourceLocation: SourceLocation = #_sourceLocation
        )
            throws
        {
            let r = try cluster.psql(sql, as: url)
            #expect(r.status != 0 && r.err.contains(why), "\(sql): \(r.out) \(r.err)", sourceLocation: sourceLocation)
        }
        // Each hall writes its own rows.
        for (h, url) in [(a, urlA), (b, urlB)] {
            let r = try cluster.psql("SELECT hallq_ensure_months(\(at), \(at)); " + row(h, 1), as: url)
            #expect(r.status == 0, "\(r.err)")
        }
        try refused(row(b, 2), as: urlA, "row-level security")
        try refused(
            "INSERT INTO legs VALUES ('\(b)', 1, 1, '2025-12-01', 'A001', 'A', 1, NULL, 0, 0, 0, 'served', 0, 0)",
            as: urlA, "row-level security")
        try refused("INSERT INTO tickets VALUES ('\(b)', 1, '2025-12-01', 0, 'A')", as: urlA, "row-level security")
        // It sees only its own.
        let seen = try cluster.psql("SELECT hall_id FROM events", as: urlA)
        #expect(seen.status == 0 && seen.out == "\(a)\n", "\(seen.out)\(seen.err)")
        // Nothing to update or delete, its own rows included; no other table, no partition.
        for sql in [
            "UPDATE events SET type = 'x' WHERE hall_id = '\(a)'", "DELETE FROM events WHERE hall_id = '\(a)'",
            "UPDATE legs SET outcome = 'x'", "DELETE FROM tickets", "TRUNCATE events",
            "UPDATE hall_live SET waiting = 0", "SELECT * FROM halls",
            "INSERT INTO ratings VALUES ('\(a)', 1, 5, 0, 1)",
            "SELECT * FROM events_2025_12", "SELECT * FROM province_accounts",
        ] {
            try refused(sql, as: urlA, "permission denied")
        }
        // The owner cannot change the log either: it is append-only.
        let owner = try cluster.psql("UPDATE events SET type = 'x'")
        #expect(owner.status != 0 && owner.err.contains("append-only"), "\(owner.err)")
        // A removed hall's role cannot log in any more.
        #expect(try cluster.central(["hall", "remove", a]).status == 0)
        try refused("SELECT 1", as: urlA, "not permitted to log in")
    }

    @Test("what reaches the province holds no visitor's ID number, masked name, person key or check-in code")
    func personalData() throws {
        let cluster = try CentralCluster()
        let id = CentralCluster.newHallId()
        let d = try hall(cluster, id)
        try d.start(logLevel: "info")
        defer { d.stop() }
        let iso = ISO8601DateFormatter()
        let booked = try d.ask(
            .admin,
            [
                "op": "book",
                "bookings": [
                    [
                        "ref": "P-20261204-0001", "service": "A", "slot_start": .string(iso.string(from: Date() + 300)),
                        "slot_end": .string(iso.string(from: Date() + 1800)), "code": "QX7K2M9P", "name_masked": "龚*",
                        "id_number": "11010519491231002X",
                    ]
                ],
            ])
        #expect(booked["results"]?.arrayValue?.first?["result"] == "created", "\(booked.text)")
        let ticket = try d.ask(.kiosk, ["op": "checkin", "code": "QX7K2M9P"])
        #expect(ticket.ok, "\(ticket.text)")
        let c = try d.client(.clerk)
        try expectOK(c.request(["op": "signin", "window": 1, "clerk": "张三"]))
        try expectOK(c.request(["op": "call", "window": 1]))
        try expectOK(c.request(["op": "finish", "window": 1]))
        try expectOK(c.request(["op": "rate", "window": 1, "score": 4]))
        #expect(try caughtUp(d, cluster, id))
        let db = try DatabaseQueue(path: d.stateDir.appendingPathComponent("hallq.sqlite").path)
        let person = try db.read { try String.fetchOne($0, sql: "SELECT person FROM tickets WHERE person IS NOT NULL") }
        try db.close()
        let key = try #require(person, "the hall keeps the ticket's person key")
        let dump = try runProgram(
            URL(fileURLWithPath: "/usr/bin/pg_dump"), ["--data-only", "--no-owner", cluster.url()])
        #expect(dump.status == 0 && dump.out.contains("P-20261204-0001"), "the dump holds the shipped log")
        for secret in ["11010519491231002X", "龚*", "龚", key, "QX7K2M9P"] {
            #expect(!dump.out.contains(secret), "\(secret) reached the province")
        }
    }

    @Test("a broken [central] is refused with its key; hall add refuses a bad id; stats refuses a bad --by")
    func refusals() throws {
        let d = try DaemonHarness(
            config: DaemonHarness.demoConfig + "\n[central]\nurl = \"http://x\"\nhall_id = \"a\"\n")
        let check = try runProgram(
            DaemonHarness.binDir.appendingPathComponent("hallqd"), ["--config", d.configURL.path, "--check-config"])
        #expect(check.status != 0 && check.err.contains("central.url"), "\(check.err)")
        let cluster = try CentralCluster()
        let bad = try cluster.central(["hall", "add", "no spaces", "--name", "x"])
        #expect(bad.status != 0 && bad.err.contains("letters, digits or dashes"), "\(bad.err)")
        let by = try cluster.central(["stats", "--from", "2026-12-01", "--by", "planet"])
        #expect(by.status != 0 && by.err.contains("--by must be one of"), "\(by.err)")
    }
}

/// socat as the network between a hall and its centre: stopping it is the centre going away
/// (connections cut, new ones refused); starting it again on the same port brings it back.
struct TCPProxy {
    let process: Process

    init(listen port: Int, to target: Int) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/socat")
        p.arguments = ["TCP-LISTEN:\(port),bind=127.0.0.1,reuseaddr,fork", "TCP:127.0.0.1:\(target)"]
        try p.runSerially()
        process = p
        // Listening once a connection is accepted.
        guard
            (try? eventually(10) {
                let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
                defer { close(fd) }
                var addr = sockaddr_in()
                addr.sin_family = sa_family_t(AF_INET)
                addr.sin_port = in_port_t(UInt16(port).bigEndian)
                addr.sin_addr.s_addr = inet_addr("127.0.0.1")
                return withUnsafePointer(to: &addr) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
                    }
                }
            }) == true
        else { throw HarnessError("socat did not listen on \(port)") }
    }

    /// The listener and every connection it forked.
    func stop() {
        guard process.isRunning else { return }
        _ = try? runProgram(URL(fileURLWithPath: "/usr/bin/pkill"), ["-KILL", "-P", String(process.processIdentifier)])
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
