import Foundation
import HTTPTypes
import HallqApp
import HallqCore
import HallqProtocol
import HallqStore
import Hummingbird
import Logging
import NIOCore

/// The staff side of the HTTP listener (docs/HTTP.md): logins and sessions, the op API
/// (`POST /api/ops/<op>`: the socket protocol's fields, replies, role table and tokens, run by
/// the same dispatcher), the CSV export, the dashboard's charts and the monthly report.
///
/// Every state-changing request needs a live session and its CSRF token in `X-CSRF-Token`; the
/// session cookie is HttpOnly and SameSite=Strict (and Secure under TLS). Every op is logged in
/// the event log with the account and the client's address.
final class StaffDesk: Sendable {
    let hall: Hall
    let dispatcher: Dispatcher
    let accounts: StaffAccounts
    let sessions: Sessions
    let limiter: LoginLimiter
    let devices: KnownDevices
    let screens: ScreenEnrolment
    let secureCookies: Bool
    let logger: Logger

    init(
        hall: Hall, dispatcher: Dispatcher, idleMinutes: Int, secureCookies: Bool,
        clock: @escaping @Sendable () -> Double, logger: Logger
    ) {
        self.hall = hall
        self.dispatcher = dispatcher
        accounts = hall.staffAccounts
        sessions = Sessions(idle: Double(idleMinutes) * 60, now: clock, wall: hall.clock, store: hall.signIns)
        limiter = LoginLimiter(now: clock)
        devices = KnownDevices()
        screens = ScreenEnrolment(store: hall.signIns, clock: hall.clock)
        self.secureCookies = secureCookies
        self.logger = logger
    }

    static let csrfHeader = HTTPField.Name("X-CSRF-Token")!
    static let notLoggedIn = HallError(.unauthorized, "please log in (the session is missing or has expired)")

    func add(to router: Router<HallRequestContext>) {
        router.get("/kiosk") { request, _ in Assets.response(.kiosk, ifNoneMatch: request.headers[.ifNoneMatch]) }
        router.get("/admin") { request, _ in Assets.response(.admin, ifNoneMatch: request.headers[.ifNoneMatch]) }
        router.get("/window/:n") { request, context in
            guard let n = context.parameters.get("n").flatMap(Int.init),
                self.hall.snapshotEngine().config.window(n) != nil
            else { return HTTPReply.error(.unknownWindow(Int(context.parameters.get("n") ?? "") ?? 0)) }
            return Assets.response(.window, ifNoneMatch: request.headers[.ifNoneMatch])
        }
        router.post("/api/login") { request, context in try await self.login(request, context) }
        router.post("/api/logout") { request, context in
            let (id, _) = try await self.authorize(request, changing: true)
            await self.sessions.close(id)
            var r = HTTPReply.json(Wire.ok(id: nil))
            r.setCookie(self.cookie(value: "", maxAge: 0))
            return r
        }
        router.get("/api/session") { request, _ in
            let (_, s) = try await self.authorize(request, changing: false)
            return HTTPReply.json(Wire.ok(id: nil, Self.describe(s)))
        }
        router.post("/api/ops/:op") { request, context in try await self.op(request, context) }
        router.post("/api/bookings") { request, context in try await self.importBookings(request, context) }
        router.get("/api/bookings") { request, context in
            let (_, s) = try await self.authorize(request, changing: false)
            var fields: [String: JSONValue] = ["op": "bookings"]
            let q = request.uri.queryParameters
            if let day = q.get("day") { fields["day"] = .string(String(day)) }
            if let state = q.get("state") { fields["state"] = .string(String(state)) }
            return await self.run(fields, session: s, context)
        }
        addScreens(to: router)
        router.get("/api/export.csv") { request, _ in try await self.export(request) }
        router.get("/api/charts") { request, _ in try await self.charts(request) }
        router.get("/admin/report") { request, _ in try await self.report(request) }
        // The kiosk's QR of a ticket's status address, drawn here (the browser has no QR code).
        router.get("/api/qr.svg") { request, _ in
            _ = try await self.authorize(request, changing: false)
            guard let text = request.uri.queryParameters.get("text").map({ String($0) }), text.utf8.count <= 200,
                let qr = QRCode(text)
            else { return HTTPReply.error(.badRequest("text: at most 200 bytes")) }
            return Response(
                status: .ok, headers: [.contentType: "image/svg+xml", .cacheControl: "no-store"],
                body: .init(byteBuffer: ByteBuffer(string: qr.svg())))
        }
    }

    static func describe(_ s: Sessions.Session) -> [String: JSONValue] {
        ["account": ["name": .string(s.account), "role": .string(s.role.rawValue)], "csrf": .string(s.csrf)]
    }

    func cookie(name: String = Sessions.cookieName, value: String, maxAge: Int? = nil) -> Cookie {
        Cookie(
            name: name, value: value, maxAge: maxAge, path: "/", secure: secureCookies, httpOnly: true,
            sameSite: .strict)
    }

    /// The request's live session, still matching its account (same role, same password); for a
    /// state-changing request also its CSRF token. Throws the refusal (401, 403) otherwise.
    func authorize(_ request: Request, changing: Bool) async throws -> (String, Sessions.Session) {
        guard let id = request.cookies[Sessions.cookieName]?.value, let s = await sessions.session(id) else {
            return try await screen(request, changing: changing)
        }
        guard let a = try await hall.account(named: s.account), a.role == s.role.rawValue,
            a.hash == s.passwordStamp
        else {
            await sessions.close(id)
            throw RefusalError(Self.notLoggedIn)
        }
        if changing {
            guard let sent = request.headers[Self.csrfHeader], Self.same(sent, s.csrf) else {
                throw RefusalError(HallError(.notAllowed, "missing or wrong X-CSRF-Token; reload the page"))
            }
        }
        return (id, s)
    }

    /// Whether a staff session is still open and still its account's (same role, same
    /// password): the staff stream asks at each heartbeat. An open stream counts as the page in
    /// use, as its requests did when it re-read the status after every event.
    func stillOpen(_ id: String) async -> Bool {
        guard let s = await sessions.session(id), let a = try? await hall.account(named: s.account),
            a.role == s.role.rawValue, a.hash == s.passwordStamp
        else { return false }
        return true
    }

    /// An enrolled screen's request (no staff session): the `kiosk` role, as `screen:<name>`.
    private func screen(_ request: Request, changing: Bool) async throws -> (String, Sessions.Session) {
        let credential = request.cookies[ScreenEnrolment.cookieName]?.value
        switch try await screens.standing(credential) {
        case .none: throw RefusalError(Self.notLoggedIn)
        case .revoked: throw RefusalError(HallError(.unauthorized, "this screen's enrolment was revoked"))
        case let .enrolled(name):
            let csrf = ScreenEnrolment.csrf(credential ?? "")
            if changing {
                guard let sent = request.headers[Self.csrfHeader], Self.same(sent, csrf) else {
                    throw RefusalError(HallError(.notAllowed, "missing or wrong X-CSRF-Token; reload the page"))
                }
            }
            return (
                "",
                Sessions.Session(
                    account: ScreenEnrolment.accountPrefix + name, role: .kiosk, csrf: csrf, passwordStamp: "",
                    lastSeen: 0)
            )
        }
    }

    /// Compares without stopping at the first difference.
    static func same(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// `POST /api/login` `{"name": …, "password": …}` (JSON only: `PostGuard`). The limits are
    /// `LoginLimiter`'s, per client address; a browser that logged in as this account before
    /// (its `hallq_device` cookie) is not held back by a flood from elsewhere.
    private func login(_ request: Request, _ context: HallRequestContext) async throws -> Response {
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        guard case let .success(.object(o)) = JSONReader.read(body.readableBytesView),
            let name = o["name"]?.stringValue, let password = o["password"]?.stringValue,
            AccountRequest.validName(name)
        else { return HTTPReply.error(.badRequest("the body must be {\"name\": …, \"password\": …}")) }
        let client = context.remoteAddress?.ipAddress ?? "?"
        let deviceToken = request.cookies[KnownDevices.cookieName]?.value
        let known = deviceToken.map { devices.account(for: $0) == name } ?? false
        if let wait = limiter.wait(name: name, address: client, knownDevice: known) {
            refused(client)
            return HTTPReply.error(
                .rateLimited("too many wrong passwords from this address; try again in \(Int(wait.rounded(.up))) s"))
        }
        // Each check costs a bcrypt hash on purpose; a flood of logins under made-up names must
        // not take the machine's CPU from the queue: a few at once, one per address.
        guard limiter.startCheck(address: client, knownDevice: known) else {
            refused(client)
            return HTTPReply.error(HallError(.busy, "too many logins at once; try again in a moment"))
        }
        defer { limiter.endCheck(address: client) }
        // A password bcrypt cannot check as typed (over 72 bytes, a NUL or other control
        // character) is wrong without a hash: bcrypt would check a cut-down one.
        let account =
            AccountRequest.validPassword(password) ? try await accounts.verify(name: name, password: password) : nil
        guard let a = account, let role = Role(rawValue: a.role) else {
            limiter.failed(name: name, address: client)
            refused(client)
            return HTTPReply.error(HallError(.unauthorized, "wrong name or password"))
        }
        limiter.succeeded(name: name, address: client)
        let (id, s) = await sessions.open(account: a.name, role: role, passwordStamp: a.hash)
        logger.notice(
            "login", metadata: ["account": .string(name), "role": .string(a.role), "client": .string(client)])
        var r = HTTPReply.json(Wire.ok(id: nil, Self.describe(s)))
        r.setCookie(cookie(value: id))
        if !known {
            r.setCookie(
                cookie(
                    name: KnownDevices.cookieName, value: devices.remember(account: a.name),
                    maxAge: KnownDevices.maxAgeSeconds))
        }
        return r
    }

    /// Refused logins are logged as a count a minute, not a line each (a flood must not flood
    /// the journal).
    private func refused(_ client: String) {
        guard let (count, addresses) = limiter.report(refusedFrom: client) else { return }
        logger.warning(
            "logins refused",
            metadata: [
                "count": .stringConvertible(count), "addresses": .stringConvertible(addresses),
                "last_client": .string(client),
            ])
    }

    /// `POST /api/ops/<op>`: the body is the socket request's fields (without `op`).
    private func op(_ request: Request, _ context: HallRequestContext) async throws -> Response {
        let (_, s) = try await authorize(request, changing: true)
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        var fields: [String: JSONValue] = [:]
        if body.readableBytes > 0 {
            guard case let .success(.object(o)) = JSONReader.read(body.readableBytesView) else {
                return HTTPReply.error(.badRequest("the body must be a JSON object of the op's fields"))
            }
            fields = o
        }
        fields["op"] = .string(context.parameters.get("op") ?? "")
        // A clerk signs in as themself: the account is the window's clerk (an admin may name one).
        if fields["op"] == "signin", s.role == .clerk { fields["clerk"] = .string(s.account) }
        // An enrolled screen is its kiosk (same name): its tickets come out of that kiosk's
        // printer, whatever the page sends. A screen no [[kiosk]] is named after is the first.
        if fields["op"] == "take" || fields["op"] == "card" || fields["op"] == "checkin",
            s.account.hasPrefix(ScreenEnrolment.accountPrefix)
        {
            let name = String(s.account.dropFirst(ScreenEnrolment.accountPrefix.count))
            fields["kiosk"] = hall.snapshotEngine().config.kiosk(name) != nil ? .string(name) : nil
        }
        return await run(fields, session: s, context)
    }

    /// `POST /api/bookings` (the `booking` role, or an admin): the body is a JSON array of
    /// bookings, the `book` op's `bookings`; the reply says what became of each.
    private func importBookings(_ request: Request, _ context: HallRequestContext) async throws -> Response {
        let (_, s) = try await authorize(request, changing: true)
        // A day's bookings (up to `Wire.maxBookings`, about 300 bytes each) in one request.
        let body = try await request.body.collect(upTo: 512 * 1024)
        guard case let .success(.array(items)) = JSONReader.read(body.readableBytesView) else {
            return HTTPReply.error(.badRequest("the body must be a JSON array of bookings"))
        }
        return await run(["op": "book", "bookings": .array(items)], session: s, context)
    }

    /// Parses fields (with `op`) as a request of the session's role, answers it through the
    /// dispatcher, and gives the reply its token's HTTP status: the op API and the bookings routes.
    private func run(
        _ fields: [String: JSONValue], session s: Sessions.Session, _ context: HallRequestContext
    ) async -> Response {
        let (id, parsed) = Wire.parse(object: fields, role: s.role)
        let r: HallqProtocol.Request
        switch parsed {
        case let .failure(e): return HTTPReply.error(e)
        case .success(.watch): return HTTPReply.error(.badRequest("watch is GET /api/events over HTTP"))
        case .success(.export): return HTTPReply.error(.badRequest("export is GET /api/export.csv over HTTP"))
        case let .success(request): r = request
        }
        let origin = Origin(
            role: s.role.rawValue, account: s.account, client: context.remoteAddress?.ipAddress ?? "?")
        switch await dispatcher.outcome(of: r, origin: origin) {
        case let .success(fields): return HTTPReply.json(Wire.ok(id: id, fields))
        case let .failure(e): return HTTPReply.json(Wire.error(id: id, e), status: HTTPReply.status(of: e.token))
        }
    }

    /// `GET /api/export.csv?from=…&to=…` (admin): the tickets as CSV, streamed as the store
    /// hands them over.
    /// An admin's session and the `from`/`to` days of a read over a span (export, charts).
    private func adminSpan(_ request: Request, _ what: String) async throws -> (Sessions.Session, String, String) {
        let (_, s) = try await authorize(request, changing: false)
        guard s.role == .admin else { throw RefusalError(HallError(.notAllowed, "\(what) is for admins")) }
        let q = request.uri.queryParameters
        let from = q.get("from") ?? ""
        let to = q.get("to") ?? ""
        guard Wire.isDay(from), Wire.isDay(to) else { throw RefusalError(.badRequest("from and to: YYYY-MM-DD")) }
        return (s, from, to)
    }

    private func export(_ request: Request) async throws -> Response {
        let (s, from, to) = try await adminSpan(request, "the export")
        let dispatcher = self.dispatcher
        let origin = Origin(role: s.role.rawValue, account: s.account)
        return Response(
            status: .ok,
            headers: [
                .contentType: "text/csv; charset=utf-8", .cacheControl: "no-store",
                .contentDisposition: "attachment; filename=\"hallq-\(from)-\(to).csv\"",
            ],
            body: .init { writer in
                try await dispatcher.respond(to: .export(from: from, to: to), id: nil, origin: origin) { line in
                    if let chunk = line["csv_chunk"]?.stringValue {
                        try await writer.write(ByteBuffer(string: chunk))
                    }
                }
                try await writer.finish(nil)
            })
    }

    /// A `stats` reply's rows, as the admin asked for them.
    func statsRows(
        _ from: String, _ to: String, _ by: StatsDimension, _ s: Sessions.Session
    ) async throws -> [JSONValue] {
        let outcome = await dispatcher.outcome(
            of: .stats(from: from, to: to, by: by), origin: Origin(role: s.role.rawValue, account: s.account))
        switch outcome {
        case let .success(fields): return fields["rows"]?.arrayValue ?? []
        case let .failure(e): throw RefusalError(e)
        }
    }

    /// `GET /api/charts?from=…&to=…` (admin): every dashboard chart as SVG.
    private func charts(_ request: Request) async throws -> Response {
        let (s, from, to) = try await adminSpan(request, "the dashboard's charts")
        // The six groupings are read side by side (WAL readers; none waits for the writer).
        async let hours = statsRows(from, to, .hour, s)
        async let days = statsRows(from, to, .day, s)
        async let services = statsRows(from, to, .service, s)
        async let windows = statsRows(from, to, .window, s)
        async let clerks = statsRows(from, to, .clerk, s)
        async let total = statsRows(from, to, .total, s)
        // Services by their letter and a short name ("A 检验检测机…"); windows as 3号.
        let config = hall.snapshotEngine().config
        let serviceLabels = Dictionary(
            config.services.map { ($0.id, $0.id + " " + ($0.name.count > 6 ? $0.name.prefix(5) + "…" : $0.name)) },
            uniquingKeysWith: { a, _ in a })
        let windowLabels = Dictionary(
            config.windows.map { (String($0.number), "\($0.number)号") }, uniquingKeysWith: { a, _ in a })
        let charts: [(String, String)] = [
            ("wait-by-hour", HallCharts.waitByHour(try await hours)),
            ("served-by-day", HallCharts.served(id: "served-by-day", title: "每日办结量", try await days)),
            (
                "served-by-service",
                HallCharts.served(id: "served-by-service", title: "各事项办结量", try await services, names: serviceLabels)
            ),
            (
                "served-by-window",
                HallCharts.served(id: "served-by-window", title: "各窗口办结量", try await windows, names: windowLabels)
            ),
            ("served-by-clerk", HallCharts.served(id: "served-by-clerk", title: "各工作人员办结量", try await clerks)),
            ("ratings", HallCharts.ratings(try await total)),
        ]
        return HTTPReply.json(
            Wire.ok(id: nil, ["charts": .array(charts.map { ["id": .string($0.0), "svg": .string($0.1)] })]))
    }

    /// `GET /admin/report?month=YYYY-MM` (admin): the month's report as a printable page; without
    /// `month`, the last complete month (as `hallqctl report`).
    private func report(_ request: Request) async throws -> Response {
        let (_, s) = try await authorize(request, changing: false)
        guard s.role == .admin else { return HTTPReply.error(HallError(.notAllowed, "the report is for admins")) }
        let engine = hall.snapshotEngine()
        let asked = request.uri.queryParameters.get("month").map { String($0) }
        guard
            let month = asked ?? MonthlyReportModel.lastCompleteMonth(before: engine.calendar.day(hall.clock())),
            let (from, to) = MonthlyReportModel.span(month)
        else { return HTTPReply.error(.badRequest("month: YYYY-MM")) }
        let total = try await statsRows(from, to, .total, s)
        let days = try await statsRows(from, to, .day, s)
        let model = MonthlyReportModel(
            hall: engine.config.name, month: month, total: total, services: try await statsRows(from, to, .service, s),
            windows: try await statsRows(from, to, .window, s), days: days,
            serviceNames: Dictionary(engine.config.services.map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a }))
        let ratings = try await dispatcher.outcome(
            of: .ratings(from: from, to: to, format: HaochaProfile.gbt39046.name),
            origin: Origin(role: s.role.rawValue, account: s.account)
        ).mapError(RefusalError.init).get()
        let html = MonthlyReport.html(
            model, days: days, hours: try await statsRows(from, to, .hour, s), total: total,
            haocha: HaochaSummary(json: ratings["summary"]))
        return Response(
            status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: html)))
    }
}

/// A refusal thrown out of a route, answered as its token's JSON by `ErrorTokens`.
struct RefusalError: Error, HTTPResponseError {
    let error: HallError
    init(_ e: HallError) { error = e }
    var status: HTTPResponse.Status { HTTPReply.status(of: error.token) }
    func response(from request: Request, context: some RequestContext) throws -> Response { HTTPReply.error(error) }
}
