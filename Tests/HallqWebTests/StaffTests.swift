import Foundation
import HTTPTypes
import HallqApp
import HallqCore
import HallqProtocol
import HallqTestKit
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import HallqWeb

/// A browser's side of the staff API: the session cookie and the CSRF token it was given.
struct StaffClient {
    let client: any TestClientProtocol
    var cookie: String?
    var csrf: String?

    init(_ client: any TestClientProtocol) { self.client = client }

    mutating func login(_ name: String, _ password: String) async throws -> TestResponse {
        let r = try await client.execute(
            uri: "/api/login", method: .post, headers: [.contentType: "application/json"],
            body: ByteBuffer(string: JSONValue.object(["name": .string(name), "password": .string(password)]).text))
        if let set = r.headers[.setCookie], let value = set.split(separator: ";").first {
            cookie = String(value)
        }
        csrf = r.json["csrf"]?.stringValue ?? csrf
        return r
    }

    func op(_ op: String, _ fields: JSONValue = [:], csrf: String?? = nil) async throws -> TestResponse {
        var h: HTTPFields = [.contentType: "application/json"]
        if let cookie { h[.cookie] = cookie }
        if let token = csrf ?? self.csrf { h[HTTPField.Name("X-CSRF-Token")!] = token }
        return try await client.execute(
            uri: "/api/ops/\(op)", method: .post, headers: h, body: ByteBuffer(string: fields.text))
    }

    func get(_ uri: String) async throws -> TestResponse {
        var h: HTTPFields = [:]
        if let cookie { h[.cookie] = cookie }
        return try await client.execute(uri: uri, method: .get, headers: h)
    }
}

@Suite struct StaffTests {
    static let passwords = [
        "kiosk": "kiosk-pass-1", "clerk": "clerk-pass-1", "admin": "admin-pass-1", "booking": "booking-pass-1",
    ]

    /// A hall with one account per role (made over the admin socket, as `hallqctl user add` does).
    func hall(_ extra: String = "") async throws -> WebHall {
        let w = try await WebHall(extraConfig: extra)
        for (role, password) in Self.passwords {
            try await w.ok(
                .admin, ["op": "useradd", "name": .string(role), "role": .string(role), "password": .string(password)])
        }
        return w
    }

    @Test("the role table holds on both transports: the socket and POST /api/ops, one table")
    func roleTable() async throws {
        let w = try await hall()
        try await w.app.test(.router) { client in try await Self.roleTable(client, w) }
        await w.stop()
    }

    static func roleTable(_ client: any TestClientProtocol, _ w: WebHall) async throws {
        var sessions: [Role: StaffClient] = [:]
        for role in Role.allCases {
            var s = StaffClient(client)
            #expect(try await s.login(role.rawValue, Self.passwords[role.rawValue]!).status == .ok)
            sessions[role] = s
        }
        for op in Op.allCases {
            for role in Role.allCases {
                // The booking role is an HTTP account only: it has no socket.
                if Role.sockets.contains(role) {
                    let socket = await w.hall.ask(role, ["op": .string(op.rawValue)])
                    let refusedOnSocket = socket["error"] == "NOT-ALLOWED"
                    #expect(refusedOnSocket == !role.allows(op), "\(op) on \(role) socket: \(socket.text)")
                }
                let http = try await sessions[role]!.op(op.rawValue)
                let refusedOverHTTP = http.status == .forbidden && http.json["error"] == "NOT-ALLOWED"
                #expect(refusedOverHTTP == !role.allows(op), "\(op) as \(role) over HTTP: \(http.status) \(http.text)")
            }
        }
    }

    @Test(
        "login: a wrong password is 401 and sets no cookie; a right one an HttpOnly SameSite=Strict cookie and a CSRF token; no password is echoed or logged"
    )
    func login() async throws {
        let w = try await hall()
        try await w.app.test(.router) { client in
            var s = StaffClient(client)
            let wrong = try await s.login("clerk", "not-the-password")
            #expect(wrong.status == .unauthorized && wrong.json["error"] == "UNAUTHORIZED")
            #expect(wrong.headers[.setCookie] == nil && s.cookie == nil)
            let nobody = try await s.login("nobody", "whatever-it-is")
            #expect(nobody.status == .unauthorized && nobody.json["error"] == "UNAUTHORIZED")
            let ok = try await s.login("clerk", Self.passwords["clerk"]!)
            #expect(ok.status == .ok && ok.json["account"]?["role"] == "clerk")
            let set = try #require(ok.headers[.setCookie])
            #expect(set.contains("HttpOnly") && set.contains("SameSite=Strict") && set.hasPrefix("hallq_session="))
            #expect(!set.contains("Secure"), "no TLS here")
            let id = try #require(s.cookie?.split(separator: "=").last)
            #expect(id.count == 64, "256 bits, hex")
            #expect(s.csrf?.count == 64)
            #expect(!ok.text.contains(Self.passwords["clerk"]!))
            let session = try await s.get("/api/session")
            #expect(session.status == .ok && session.json["csrf"]?.stringValue == s.csrf)
            // The socket's account list never shows a hash or a password.
            let users = await w.hall.ask(.admin, ["op": "users"])
            #expect(users["users"]?.arrayValue?.count == Self.passwords.count)
            #expect(!users.text.contains("$2") && !users.text.contains("pass-1"))
        }
        let log = w.logged.with { $0 }.joined(separator: "\n")
        #expect(log.contains("logins refused") && log.contains("login"))
        for p in Self.passwords.values + ["not-the-password", "whatever-it-is"] { #expect(!log.contains(p)) }
        await w.stop()
    }

    @Test(
        "a clerk's account acts only at the window it signed in at (NOT-YOUR-WINDOW, nothing changes); an admin acts anywhere; history names the account"
    )
    func clerkBoundToWindow() async throws {
        let w = try await hall()
        for name in ["李四", "赵六"] {
            try await w.ok(
                .admin, ["op": "useradd", "name": .string(name), "role": "clerk", "password": "window-pass-1"])
        }
        try await w.app.test(.router) { client in
            var li = StaffClient(client)
            var zhao = StaffClient(client)
            var admin = StaffClient(client)
            #expect(try await li.login("李四", "window-pass-1").status == .ok)
            #expect(try await zhao.login("赵六", "window-pass-1").status == .ok)
            #expect(try await admin.login("admin", Self.passwords["admin"]!).status == .ok)
            // 李四 at window 2, 赵六 at window 1 (a clerk names no clerk: the account is theirs).
            #expect(try await li.op("signin", ["window": 2]).status == .ok)
            #expect(try await zhao.op("signin", ["window": 1]).status == .ok)
            for _ in 0..<3 { try await w.ok(.kiosk, ["op": "take", "service": "A"]) }
            let first = try await zhao.op("call", ["window": 1])
            #expect(first.status == .ok && first.json["ticket"]?["label"] == "A001", "\(first.text)")

            // Every step at 赵六's window, asked by 李四: refused, and the window is as it was.
            for (op, fields) in [
                ("call", ["window": 1] as JSONValue), ("finish", ["window": 1]), ("recall", ["window": 1]),
                ("noshow", ["window": 1]), ("transfer", ["window": 1, "service": "B"]), ("pause", ["window": 1]),
                ("signout", ["window": 1]), ("start", ["window": 1]),
            ] {
                let r = try await li.op(op, fields)
                #expect(r.status == .forbidden && r.json["error"] == "NOT-YOUR-WINDOW", "\(op): \(r.status) \(r.text)")
                #expect(r.json["message"]?.stringValue?.contains("window 2") == true, "names the clerk's own window")
            }
            // An unknown window is still UNKNOWN-WINDOW; a window with nobody signed in is not theirs either.
            #expect(try await li.op("call", ["window": 99]).json["error"] == "UNKNOWN-WINDOW")
            #expect(try await li.op("call", ["window": 3]).json["error"] == "NOT-YOUR-WINDOW")
            let status = await w.hall.ask(.clerk, ["op": "status"])
            let one = status["windows"]?.arrayValue?.first { $0["window"] == 1 }
            #expect(
                one?["clerk"] == "赵六" && one?["ticket"] == "A001" && one?["ticket_state"] == "called"
                    && one?["paused"] == false, "\(status.text)")
            // At their own window, the same steps go through.
            let own = try await li.op("call", ["window": 2])
            #expect(own.status == .ok && own.json["ticket"]?["label"] == "A002", "\(own.text)")
            // An admin acts anywhere, recorded as the admin.
            #expect(try await admin.op("finish", ["window": 1]).status == .ok)
            // The clerk socket is one group for all windows (its file mode is the trust): as today.
            try await w.ok(.clerk, ["op": "call", "window": 1])

            let history = try await w.ok(.admin, ["op": "history", "ticket": "A001"])
            let steps = history["events"]?.arrayValue ?? []
            let call = steps.first { $0["event"] == "call" }
            let finish = steps.first { $0["event"] == "finish" }
            #expect(call?["clerk"] == "赵六" && call?["account"] == "赵六", "\(call?.text ?? "")")
            #expect(finish?["clerk"] == "赵六" && finish?["account"] == "admin", "\(finish?.text ?? "")")
            #expect(!steps.contains { $0["account"] == "李四" }, "none of 李四's refused steps is in the log")
        }
        await w.stop()
    }

    @Test("a state-changing request without its CSRF token, or with a wrong one, is 403 and changes nothing")
    func csrf() async throws {
        let w = try await hall()
        try await w.app.test(.router) { client in
            var s = StaffClient(client)
            _ = try await s.login("kiosk", Self.passwords["kiosk"]!)
            for token: String? in [nil, "0000", String(repeating: "a", count: 64)] {
                let r = try await s.op("take", ["service": "A"], csrf: .some(token))
                #expect(r.status == .forbidden && r.json["error"] == "NOT-ALLOWED", "\(String(describing: token))")
            }
            let status = await w.hall.ask(.admin, ["op": "status"])
            #expect(status["services"]?.arrayValue?.first?["waiting"] == 0)
            let r = try await s.op("take", ["service": "A"])
            #expect(r.status == .ok && r.json["ticket"]?["label"] == "A001")
        }
        await w.stop()
    }

    @Test("sessions: idle too long is 401 and nothing changes; logout ends it; a new password ends it")
    func expiry() async throws {
        let w = try await hall()
        try await w.app.test(.router) { client in
            var s = StaffClient(client)
            _ = try await s.login("clerk", Self.passwords["clerk"]!)
            #expect(try await s.op("signin", ["window": 1]).status == .ok)
            w.sessionClock.with { $0 += 31 * 60 }
            let late = try await s.op("call", ["window": 1])
            #expect(late.status == .unauthorized && late.json["error"] == "UNAUTHORIZED")
            let history = await w.hall.ask(.admin, ["op": "status"])
            #expect(history["windows"]?.arrayValue?.first?["ticket"] == .null)

            _ = try await s.login("clerk", Self.passwords["clerk"]!)
            #expect(try await s.op("status").status == .ok)
            var h: HTTPFields = [.cookie: s.cookie!, HTTPField.Name("X-CSRF-Token")!: s.csrf!]
            h[.contentType] = "application/json"
            let out = try await client.execute(
                uri: "/api/logout", method: .post, headers: h, body: ByteBuffer(string: "{}"))
            #expect(out.status == .ok && out.headers[.setCookie]?.contains("Max-Age=0") == true)
            #expect(try await s.op("status").status == .unauthorized)

            _ = try await s.login("clerk", Self.passwords["clerk"]!)
            try await w.ok(.admin, ["op": "passwd", "name": "clerk", "password": "a-new-secret"])
            #expect(try await s.op("status").status == .unauthorized)
            #expect(try await s.login("clerk", Self.passwords["clerk"]!).status == .unauthorized)
            #expect(try await s.login("clerk", "a-new-secret").status == .ok)
            try await w.ok(.admin, ["op": "userdel", "name": "clerk"])
            #expect(try await s.op("status").status == .unauthorized)
        }
        await w.stop()
    }

    @Test("after 5 wrong passwords for a name within a minute, its logins are 429 for a minute; other names are not")
    func loginLimit() async throws {
        let w = try await hall()
        try await w.app.test(.router) { client in
            var s = StaffClient(client)
            for _ in 0..<5 { #expect(try await s.login("admin", "wrong-password").status == .unauthorized) }
            let blocked = try await s.login("admin", Self.passwords["admin"]!)
            #expect(blocked.status == .tooManyRequests && blocked.json["error"] == "RATE-LIMITED")
            #expect(try await s.login("clerk", Self.passwords["clerk"]!).status == .ok)
            w.sessionClock.with { $0 += 61 }
            #expect(try await s.login("admin", Self.passwords["admin"]!).status == .ok)
        }
        await w.stop()
    }

    @Test(
        "ops over HTTP: socket replies and tokens with HTTP statuses; a clerk signs in as themself; the log has account and address"
    )
    func ops() async throws {
        let w = try await hall()
        try await w.app.test(.router) { client in
            var clerk = StaffClient(client)
            _ = try await clerk.login("clerk", Self.passwords["clerk"]!)
            let signin = try await clerk.op("signin", ["window": 1, "clerk": "someone-else"])
            #expect(signin.status == .ok && signin.json["window"]?["clerk"] == "clerk")
            let empty = try await clerk.op("call", ["window": 1])
            #expect(empty.status == .conflict && empty.json["error"] == "QUEUE-EMPTY")
            let stats = try await clerk.op("stats", ["from": "2026-11-01", "to": "2026-11-30"])
            #expect(stats.status == .forbidden)
            var kiosk = StaffClient(client)
            _ = try await kiosk.login("kiosk", Self.passwords["kiosk"]!)
            #expect(try await kiosk.op("take", ["service": "A"]).status == .ok)
            #expect(try await kiosk.op("take", ["service": "Z"]).status == .notFound)
            let called = try await clerk.op("call", ["window": 1])
            #expect(called.status == .ok && called.json["ticket"]?["label"] == "A001")
            try "paper-out".write(to: w.hall.printerStatusFile, atomically: true, encoding: .utf8)
            #expect(
                await eventuallyAsync {
                    let r = try? await kiosk.op("take", ["service": "A"])
                    return r?.status == .serviceUnavailable && r?.json["error"] == "PRINTER-PAPER-OUT"
                })
            var admin = StaffClient(client)
            _ = try await admin.login("admin", Self.passwords["admin"]!)
            let history = try await admin.op("history", ["ticket": "A001"])
            let call = history.json["events"]?.arrayValue?.first { $0["event"] == "call" }
            #expect(call?["account"] == "clerk" && call?["role"] == "clerk" && call?["client"] != nil)
            #expect(try await admin.op("watch").status == .badRequest)
            #expect(try await admin.op("nonsense").json["error"] == "UNKNOWN-OP")
        }
        await w.stop()
    }

    @Test(
        "ID numbers over HTTP: a kiosk account's take with id_number, the second for the service refused (409), ID-REQUIRED, the number in no reply"
    )
    func idNumbers() async throws {
        let w = try await hall(
            "\n[[service]]\nid = \"R\"\nname = \"特种设备作业人员证\"\nid_required = true\n[[window]]\nnumber = 9\nservices = [\"R\"]\n"
        )
        try await w.app.test(.router) { client in
            var kiosk = StaffClient(client)
            _ = try await kiosk.login("kiosk", Self.passwords["kiosk"]!)
            let number = "11010519491231002X"
            let first = try await kiosk.op("take", ["service": "A", "id_number": .string(number)])
            #expect(first.status == .ok)
            let second = try await kiosk.op("take", ["service": "A", "id_number": "11010519491231002x"])
            #expect(second.status == .conflict && second.json["error"] == "PERSON-HAS-TICKET")
            #expect(second.json["message"]?.stringValue?.contains("A001") == true)
            #expect(try await kiosk.op("take", ["service": "B", "id_number": .string(number)]).status == .ok)
            let required = try await kiosk.op("take", ["service": "R"])
            #expect(required.status == .conflict && required.json["error"] == "ID-REQUIRED")
            let bad = try await kiosk.op("take", ["service": "A", "id_number": "110105194912310021"])
            #expect(bad.status == .badRequest)
            for r in [first, second, bad] { #expect(!r.json.text.contains("1101051949123100")) }
            // No card on any reader here: the kiosk's card is none.
            #expect(try await kiosk.op("card").json["card"] == .null)
        }
        await w.stop()
    }

    @Test(
        "admin reads: the CSV export streams, the charts are SVG with a bar per value, the monthly report is a page; others are refused"
    )
    func adminReads() async throws {
        let w = try await hall()
        for _ in 0..<3 { try await w.ok(.kiosk, ["op": "take", "service": "A"]) }
        try await w.ok(.clerk, ["op": "signin", "window": 1, "clerk": "张三"])
        for _ in 0..<3 {
            try await w.ok(.clerk, ["op": "call", "window": 1])
            w.advance(seconds: 60)
        }
        try await w.ok(.clerk, ["op": "finish", "window": 1])
        let day = try #require(await w.hall.ask(.admin, ["op": "status"])["hall"]?["day"]?.stringValue)
        try await w.app.test(.router) { client in
            var admin = StaffClient(client)
            _ = try await admin.login("admin", Self.passwords["admin"]!)
            let csv = try await admin.get("/api/export.csv?from=\(day)&to=\(day)")
            #expect(csv.status == .ok && csv.headers[.contentType]?.hasPrefix("text/csv") == true)
            #expect(csv.text.split(separator: "\n").count == 4, "header and three tickets")
            let charts = try await admin.get("/api/charts?from=\(day)&to=\(day)")
            let svgs = charts.json["charts"]?.arrayValue ?? []
            #expect(svgs.count == 6)
            let byService = try #require(svgs.first { $0["id"] == "served-by-service" }?["svg"]?.stringValue)
            #expect(
                byService.hasPrefix("<svg") && byService.components(separatedBy: "<rect class=\"bar").count - 1 == 1)
            let ratings = try #require(svgs.first { $0["id"] == "ratings" }?["svg"]?.stringValue)
            #expect(ratings.components(separatedBy: "<rect class=\"bar").count - 1 == 5)
            let report = try await admin.get("/admin/report?month=\(day.prefix(7))")
            #expect(report.status == .ok && report.text.contains("服务情况月报") && report.text.contains("<svg"))
            #expect(!report.text.contains("张三"), "the posted report names no clerk")
            var clerk = StaffClient(client)
            _ = try await clerk.login("clerk", Self.passwords["clerk"]!)
            #expect(try await clerk.get("/api/export.csv?from=\(day)&to=\(day)").status == .forbidden)
            #expect(try await StaffClient(client).get("/api/charts?from=\(day)&to=\(day)").status == .unauthorized)
        }
        await w.stop()
    }

    @Test("pages: /kiosk, /window/1 and /admin are served; an unknown window is 404")
    func pages() async throws {
        let w = try await hall()
        try await w.app.test(.router) { client in
            for (path, script) in [("/kiosk", "kiosk.js"), ("/window/1", "window.js"), ("/admin", "admin.js")] {
                let r = try await client.execute(uri: path, method: .get)
                #expect(r.status == .ok && r.text.contains(script), "\(path)")
            }
            #expect(try await client.execute(uri: "/window/99", method: .get).status == .notFound)
        }
        await w.stop()
    }
}

@Suite struct LoginLimiterTests {
    final class Clock: @unchecked Sendable {
        var t = 1000.0
    }

    @Test("at most four password checks at once and one per address; a known device is never held back")
    func concurrentChecks() {
        let l = LoginLimiter()
        #expect(l.startCheck(address: "10.0.0.1"))
        #expect(!l.startCheck(address: "10.0.0.1"), "one at a time per address")
        #expect((2...4).allSatisfy { l.startCheck(address: "10.0.0.\($0)") })
        #expect(!l.startCheck(address: "10.0.0.5"), "four in all")
        #expect(l.startCheck(address: "10.0.0.1", knownDevice: true), "a browser that logged in before")
        l.endCheck(address: "10.0.0.3")
        #expect(!l.startCheck(address: "10.0.0.5"), "the known device's check counts too")
        l.endCheck(address: "10.0.0.1")
        #expect(l.startCheck(address: "10.0.0.5"))
    }

    @Test("five wrong passwords for a name lock it out from that address for a minute, not from another")
    func perAddress() {
        let c = Clock()
        let l = LoginLimiter(now: { c.t })
        for _ in 0..<4 { l.failed(name: "李四", address: "10.0.0.66") }
        #expect(l.wait(name: "李四", address: "10.0.0.66") == nil)
        l.failed(name: "李四", address: "10.0.0.66")
        #expect(l.wait(name: "李四", address: "10.0.0.66") == 60)
        #expect(l.wait(name: "李四", address: "10.0.0.4") == nil, "the clerk's own terminal")
        #expect(l.wait(name: "王五", address: "10.0.0.66") == nil)
        c.t += 60
        #expect(l.wait(name: "李四", address: "10.0.0.66") == nil)
    }

    @Test("an address guessing many names backs off 1 s, 2 s, 4 s … up to 5 min; a right password starts over")
    func addressBackoff() {
        let c = Clock()
        let l = LoginLimiter(now: { c.t })
        for i in 0..<9 { l.failed(name: "n\(i)", address: "10.0.0.9") }
        #expect(l.wait(name: "x", address: "10.0.0.9") == nil)
        l.failed(name: "n9", address: "10.0.0.9")
        #expect(l.wait(name: "x", address: "10.0.0.9") == 1)
        #expect(l.wait(name: "x", address: "10.0.0.9", knownDevice: true) == nil)
        l.failed(name: "n10", address: "10.0.0.9")
        l.failed(name: "n11", address: "10.0.0.9")
        #expect(l.wait(name: "x", address: "10.0.0.9") == 4)
        for i in 12..<40 { l.failed(name: "n\(i)", address: "10.0.0.9") }
        #expect(l.wait(name: "x", address: "10.0.0.9") == 300)
        #expect(l.wait(name: "x", address: "10.0.0.10") == nil)
        l.succeeded(name: "real", address: "10.0.0.9")
        #expect(l.wait(name: "x", address: "10.0.0.9") == nil)
    }

    @Test("refused logins are reported as a count a minute, the first at once")
    func report() {
        let c = Clock()
        let l = LoginLimiter(now: { c.t })
        #expect(l.report(refusedFrom: "a")! == (1, 1))
        for i in 0..<500 { #expect(l.report(refusedFrom: "b\(i % 7)") == nil) }
        c.t += 60
        #expect(l.report(refusedFrom: "a")! == (501, 8))
    }
}

@Suite struct ChartAndQRTests {
    @Test(
        "the value axis steps by 1, 2 or 5 × 10ⁿ, at most five steps, up to the first step at or above the largest value"
    )
    func ticks() {
        #expect(SVGChart.ticks(upTo: 0) == (1, 1))
        #expect(SVGChart.ticks(upTo: 7) == (2, 8))
        #expect(SVGChart.ticks(upTo: 23) == (5, 25))
        #expect(SVGChart.ticks(upTo: 50) == (10, 50))
        #expect(SVGChart.ticks(upTo: 720) == (200, 800))
        let svg = SVGChart.bars(
            id: "t", title: "t", unit: "", labels: ["a"], series: [.init(name: "n", values: [7])])
        #expect(svg.components(separatedBy: "class=\"tick\"").count - 1 == 5, "0, 2, 4, 6, 8")
    }

    @Test("a chart has one bar per value and escapes its text")
    func chart() {
        let svg = SVGChart.bars(
            id: "x", title: "a<b", unit: "s", labels: ["1", "2", "3"],
            series: [.init(name: "m", values: [1, nil, 3]), .init(name: "p", values: [2, 2, 2])])
        #expect(svg.components(separatedBy: "<rect class=\"bar").count - 1 == 5)
        #expect(svg.contains("a&lt;b") && !svg.contains("a<b"))
    }

    /// Writes the code as a PBM image (4 px a module, quiet zone) and reads it with zbarimg.
    func decode(_ qr: QRCode) throws -> String {
        let scale = 4
        let n = (qr.size + 8) * scale
        var pbm = "P1\n\(n) \(n)\n"
        for y in 0..<n {
            var row = ""
            for x in 0..<n {
                let mx = x / scale - 4
                let my = y / scale - 4
                let dark = (0..<qr.size).contains(mx) && (0..<qr.size).contains(my) && qr.modules[my][mx]
                row += dark ? "1 " : "0 "
            }
            pbm += row + "\n"
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent(
            "qr-\(UUID().uuidString.prefix(8)).pbm")
        try pbm.write(to: file, atomically: true, encoding: .ascii)
        defer { try? FileManager.default.removeItem(at: file) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/zbarimg")
        p.arguments = ["--raw", "-q", "-Sbinary", file.path]
        let out = Pipe()
        p.standardOutput = out
        try p.runSerially()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        try p.finish()
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .newlines)
    }

    @Test("QR codes of status addresses and other lengths read back with zbarimg (an independent decoder)")
    func qr() throws {
        for text in [
            "A", "http://hall.example:8080/t/2026-11-30/A012.9cc7d6f1f9a27d67",
            "https://zhengwu.example.gov.cn/queue/t/2026-11-30/B0123.0123456789abcdef",
            String(repeating: "x", count: 150), "中文 请A012号",
        ] {
            let code = try #require(QRCode(text), "\(text.count) characters")
            let read = try decode(code)
            #expect(read == text, "read \(read.prefix(80)) for \(text.prefix(80))")
        }
        #expect(QRCode(String(repeating: "y", count: 300)) == nil)
    }
}
