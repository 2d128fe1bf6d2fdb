import Foundation
import HTTPTypes
import HallqCentral
import HallqCore
import HallqProtocol
import Hummingbird
import Logging
import NIOCore

/// The dashboard's addresses. Pages render on the server from the database; the live page
/// updates itself from `/api/live/stream`.
struct DashboardRoutes: Sendable {
    let db: CentralDB
    let hub: LiveHub
    let logger: Logger
    static let cookie = "hq_province"

    func router() -> Router<BasicRequestContext> {
        let r = Router(context: BasicRequestContext.self)
        r.get("/login") { _, _ in Self.html(Pages.login(error: nil)) }
        r.get("/live.js") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/javascript; charset=utf-8", .cacheControl: "no-cache"],
                body: .init(byteBuffer: ByteBuffer(string: Pages.liveScript)))
        }
        r.post("/login") { req, _ in try await self.signIn(req) }
        r.post("/logout") { req, _ in try await self.signOut(req) }
        r.get("/") { req, _ in try await self.page(req) { _ in Pages.live() } }
        r.get("/api/live") { req, _ in
            try await self.api(req) {
                let halls = try await db.run { c, l in try await CentralLive.halls(on: c, logger: l) }
                return "[" + halls.map(Self.json).joined(separator: ",") + "]"
            }
        }
        r.get("/api/live/stream") { req, _ in try await self.stream(req) }
        r.get("/hall/{id}") { req, ctx in
            let id = ctx.parameters.get("id") ?? ""
            return try await self.page(req) { today in
                let halls = try await db.run { c, l in try await CentralLive.halls(only: id, on: c, logger: l) }
                guard let hall = halls.first else { return nil }
                let services = try await db.run { c, l in
                    try await CentralStats.rows(by: .service, from: today, to: today, hall: id, on: c, logger: l)
                }
                let windows = try await db.run { c, l in
                    try await CentralStats.rows(by: .window, from: today, to: today, hall: id, on: c, logger: l)
                }
                return Pages.hall(hall, services: services, windows: windows, day: today)
            }
        }
        r.get("/stats") { req, _ in
            try await self.page(req) { today in
                let q = try self.statsQuery(req, today: today)
                let rows = try await db.run { c, l in
                    try await CentralStats.rows(by: q.by, from: q.from, to: q.to, hall: q.hall, on: c, logger: l)
                }
                return Pages.stats(rows, by: q.by, from: q.from, to: q.to, hall: q.hall)
            }
        }
        r.get("/stats.csv") { req, _ in
            guard try await self.session(req) != nil else { return Self.toLogin() }
            let q = try self.statsQuery(req, today: Self.today())
            let rows = try await db.run { c, l in
                try await CentralStats.rows(by: q.by, from: q.from, to: q.to, hall: q.hall, on: c, logger: l)
            }
            var h = HTTPFields()
            h[.contentType] = "text/csv; charset=utf-8"
            h[.contentDisposition] = "attachment; filename=\"hallq-\(q.by.rawValue)-\(q.from)-\(q.to).csv\""
            return Response(status: .ok, headers: h, body: .init(byteBuffer: ByteBuffer(string: Pages.csv(rows))))
        }
        r.get("/report") { req, _ in
            try await self.page(req) { today in
                let month = req.uri.queryParameters.get("month").map { String($0) } ?? String(today.prefix(7))
                guard let (from, to) = Self.monthSpan(month) else { return nil }
                let rows = try await db.run { c, l in
                    try await CentralStats.rows(by: .hall, from: from, to: to, hall: nil, on: c, logger: l)
                }
                let halls = try await db.run { c, l in try await CentralHalls.list(on: c, logger: l) }
                return Pages.report(month: month, rows: rows, halls: halls)
            }
        }
        return r
    }

    struct StatsQuery {
        var by: CentralStats.Dimension
        var from: String
        var to: String
        var hall: String?
    }

    func statsQuery(_ req: Request, today: String) throws -> StatsQuery {
        let p = req.uri.queryParameters
        let by = p.get("by").flatMap(CentralStats.Dimension.init(rawValue:)) ?? .hall
        let from = p.get("from").map { String($0) } ?? String(today.prefix(8)) + "01"
        let to = p.get("to").map { String($0) } ?? today
        guard WorkingCalendar.dayNumber(from) != nil, WorkingCalendar.dayNumber(to) != nil else {
            throw HTTPError(.badRequest, message: "BAD-REQUEST: from and to are dates YYYY-MM-DD")
        }
        let hall = p.get("hall").map { String($0) }.flatMap { $0.isEmpty ? nil : $0 }
        return StatsQuery(by: by, from: from, to: to, hall: hall)
    }

    /// The first and last day of "YYYY-MM".
    static func monthSpan(_ month: String) -> (String, String)? {
        let p = month.split(separator: "-").compactMap { Int($0) }
        guard p.count == 2, (1...12).contains(p[1]), month.count == 7 else { return nil }
        let (y, m) = p[1] == 12 ? (p[0] + 1, 1) : (p[0], p[1] + 1)
        guard let next = WorkingCalendar.dayNumber(String(format: "%04d-%02d-01", y, m)) else { return nil }
        return (month + "-01", HallCalendar.day(number: next - 1))
    }

    /// Today in China's time (the province's pages; each hall's own zone is used for its rows).
    static func today() -> String {
        HallCalendar.day(number: (Int64(Date().timeIntervalSince1970 * 1000) + 8 * 3_600_000) / 86_400_000)
    }

    // MARK: - Sign-in

    func session(_ req: Request) async throws -> ProvinceAccounts.Session? {
        guard let secret = req.cookies[Self.cookie]?.value, !secret.isEmpty else { return nil }
        return try await db.run { c, l in try await ProvinceAccounts.session(secret, on: c, logger: l) }
    }

    func signIn(_ req: Request) async throws -> Response {
        let form = try await Self.form(req)
        let name = form["account"] ?? ""
        let password = form["password"] ?? ""
        let secret = try await db.run { c, l in
            try await ProvinceAccounts.signIn(name: name, password: password, on: c, logger: l)
        }
        guard let secret else {
            logger.notice("dashboard: sign-in refused", metadata: ["account": .string(name)])
            var r = Self.html(Pages.login(error: "账号或密码不对 · Wrong account or password"))
            r.status = .unauthorized
            return r
        }
        var r = Response(status: .seeOther, headers: [.location: "/"])
        r.setCookie(Cookie(name: Self.cookie, value: secret, path: "/", httpOnly: true, sameSite: .strict))
        return r
    }

    func signOut(_ req: Request) async throws -> Response {
        let form = try await Self.form(req)
        if let secret = req.cookies[Self.cookie]?.value, let s = try await session(req), form["csrf"] == s.csrf {
            try await db.run { c, l in try await ProvinceAccounts.signOut(secret, on: c, logger: l) }
        }
        var r = Self.toLogin()
        r.setCookie(Cookie(name: Self.cookie, value: "", maxAge: 0, path: "/", httpOnly: true, sameSite: .strict))
        return r
    }

    /// A page for a signed-in account; nil from `render` is 404.
    func page(_ req: Request, _ render: (String) async throws -> String?) async throws -> Response {
        guard let s = try await session(req) else { return Self.toLogin() }
        guard let body = try await render(Self.today()) else { throw HTTPError(.notFound) }
        return Self.html(Pages.frame(body, account: s.account, csrf: s.csrf))
    }

    func api(_ req: Request, _ body: () async throws -> String) async throws -> Response {
        guard try await session(req) != nil else { throw HTTPError(.unauthorized, message: "SIGN-IN: sign in first") }
        return Response(
            status: .ok, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: try await body())))
    }

    func stream(_ req: Request) async throws -> Response {
        guard try await session(req) != nil else { throw HTTPError(.unauthorized, message: "SIGN-IN: sign in first") }
        let (id, events) = hub.join()
        let hub = self.hub
        let halls = try await db.run { c, l in try await CentralLive.halls(on: c, logger: l) }
        let first = halls.map { "event: hall\ndata: \(Self.json($0))\n\n" }.joined()
        return Response(
            status: .ok,
            headers: [
                .contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-store",
                HTTPField.Name("X-Accel-Buffering")!: "no",
            ],
            body: .init { writer in
                defer { hub.leave(id) }
                try await writer.write(ByteBuffer(string: "retry: 2000\n\n" + first))
                for await chunk in events { try await writer.write(ByteBuffer(string: chunk)) }
                try await writer.finish(nil)
            })
    }

    // MARK: - Helpers

    static func html(_ s: String) -> Response {
        Response(
            status: .ok,
            headers: [
                .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
                HTTPField.Name("Content-Security-Policy")!:
                    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:",
                HTTPField.Name("X-Frame-Options")!: "DENY",
            ],
            body: .init(byteBuffer: ByteBuffer(string: s)))
    }

    static func toLogin() -> Response { Response(status: .seeOther, headers: [.location: "/login"]) }

    static func json<T: Encodable>(_ v: T) -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? String(data: e.encode(v), encoding: .utf8)) ?? "null"
    }

    /// An urlencoded form body (up to 16 KB).
    static func form(_ req: Request) async throws -> [String: String] {
        let buffer = try await req.body.collect(upTo: 16 * 1024)
        let text = String(buffer: buffer)
        var out: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1).map {
                String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            if kv.count == 2 { out[kv[0]] = kv[1] } else if kv.count == 1 { out[kv[0]] = "" }
        }
        return out
    }
}
