import Foundation
import HTTPTypes
import HallqApp
import HallqCore
import HallqProtocol
import HallqStore
import Hummingbird
import Logging
import NIOCore

/// The public HTTP faces of the hall (docs/HTTP.md): the lobby board, the ticket's status page,
/// their event stream and JSON, the rating, and `/metrics`. Everything is read from the
/// committed queue or handed to the same `Hall` the sockets use: no request here holds the
/// engine, and the only write (a rating) is one command like any other.
public final class WebFaces: Sendable {
    public let feed: BoardFeed
    /// The staff pages' stream (`/api/staff/events`).
    let staffFeed: StaffFeed
    public let metrics: HallMetrics
    let hall: Hall
    let voice: BoardVoice?
    let staff: StaffDesk
    /// The HTTP listener's connections and streams (ConnectionGuard).
    let census: ConnectionCensus
    private let commits: AsyncStream<Committed>
    private let commitSink: AsyncStream<Committed>.Continuation
    private let subscription: UUID

    /// - heartbeat: the event stream's (`[http] heartbeat_s`).
    /// - clientBacklog: events a stream client may have unread before it is dropped.
    /// - stateDir: where the clip pack is by default (`[voice]`, for the board's voice).
    /// - dispatcher: runs the staff pages' ops, as for the sockets.
    /// - sessionClock: seconds on a monotonic clock, for session expiry and the login limit.
    public init(
        hall: Hall, devices: any HallDevices, dispatcher: Dispatcher, stateDir: URL, heartbeat: Duration,
        clientBacklog: Int = 256, version: String, logger: Logger,
        sessionClock: @escaping @Sendable () -> Double = { ProcessInfo.processInfo.systemUptime }
    ) async {
        self.hall = hall
        let config = hall.snapshotEngine().config
        staff = StaffDesk(
            hall: hall, dispatcher: dispatcher, idleMinutes: config.http?.sessionIdleMinutes ?? 30,
            secureCookies: config.http?.tlsCert != nil, clock: sessionClock, logger: logger)
        voice = BoardVoice(config: config, stateDir: stateDir, logger: logger)
        census = ConnectionCensus(config.http ?? HTTPConfig(host: "127.0.0.1", port: 0))
        let recent = (try? await hall.recentCalls(limit: BoardFeed.callsKept(config))) ?? []
        feed = BoardFeed(
            hall: hall, recentCalls: recent, heartbeat: heartbeat, clientBacklog: clientBacklog, voice: voice != nil)
        let h = hall
        staffFeed = StaffFeed(heartbeat: heartbeat) {
            // `status` with the waiting list, and the hall clock for the page's timers.
            let reply = await dispatcher.reply(to: .status(waiting: true), id: nil, origin: Origin(role: "staff"))
            guard case var .object(o) = reply else { return reply }
            let now = h.clock()
            o["now"] = .int(now)
            let e = h.snapshotEngine()
            o["utc_offset_s"] = .int(e.calendar.offset(at: now) / 1000)
            o["window_views"] = Render.windowViews(e, now: now)
            return .object(o)
        }
        metrics = HallMetrics(
            hall: hall, devices: devices, upload: dispatcher.upload, relay: dispatcher.relay, version: version)
        (commits, commitSink) = AsyncStream.makeStream(bufferingPolicy: .unbounded)
        let sink = commitSink
        subscription = hall.subscribe { sink.yield($0) }
    }

    deinit {
        hall.unsubscribe(subscription)
        commitSink.finish()
    }

    /// Follows the queue (the event stream and the counters) and beats the stream's heartbeat
    /// until `close`.
    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await c in self.commits {
                    self.feed.follow(c)
                    self.staffFeed.follow(c)
                    self.metrics.follow(c)
                }
            }
            group.addTask { await self.feed.heartbeats() }
            group.addTask { [hall] in await self.staffFeed.heartbeats(now: hall.clock) }
            await group.next()
            group.cancelAll()
        }
    }

    /// Ends the event streams (their responses finish) and the following.
    public func close() {
        feed.closeAll()
        staffFeed.closeAll()
        commitSink.finish()
    }

    public func router() -> Router<HallRequestContext> {
        let router = Router(context: HallRequestContext.self)
        router.add(middleware: OnHTTPThreads())
        router.add(middleware: SecurityHeaders(tls: staff.secureCookies))
        router.add(middleware: ErrorTokens())
        router.add(middleware: PostGuard())
        router.get("/") { _, _ in Response(status: .found, headers: [.location: "/board"]) }
        router.get("/board") { request, _ in Assets.response(.board, ifNoneMatch: request.headers[.ifNoneMatch]) }
        router.get("/assets/:file") { request, context in
            guard let asset = context.parameters.get("file").flatMap(Assets.File.init(rawValue:)) else {
                throw HTTPError(.notFound)
            }
            return Assets.response(asset, ifNoneMatch: request.headers[.ifNoneMatch])
        }
        router.get("/api/board") { _, _ in HTTPReply.json(self.feed.snapshot()) }
        router.get("/api/events") { request, context in self.events(request, context) }
        router.get("/t/:day/:ticket") { request, context in
            guard try await self.ticket(context) != nil else { return HTTPReply.error(Self.noTicket) }
            return Assets.response(.status, ifNoneMatch: request.headers[.ifNoneMatch])
        }
        router.get("/api/t/:day/:ticket") { _, context in
            guard let t = try await self.ticket(context) else { return HTTPReply.error(Self.noTicket) }
            return HTTPReply.json(self.ticketReply(t))
        }
        router.post("/api/t/:day/:ticket/rate") { request, context in
            guard let t = try await self.ticket(context) else { return HTTPReply.error(Self.noTicket) }
            return try await self.rate(t, request, context)
        }
        router.get("/api/announcements/:file") { _, context in
            guard let file = context.parameters.get("file"), file.hasSuffix(".wav"), let voice = self.voice,
                let v = self.hall.snapshotEngine().config.voice,
                let call = self.feed.call(id: String(file.dropLast(4))),
                let wav = voice.wav(call, voice: v)
            else { throw HTTPError(.notFound) }
            return Response(
                status: .ok, headers: [.contentType: "audio/wav", .cacheControl: "max-age=600"],
                body: .init(byteBuffer: ByteBuffer(bytes: wav)))
        }
        staff.add(to: router)
        router.get("/api/staff/events") { request, context in try await self.staffEvents(request, context) }
        router.get("/metrics") { _, context in
            // Only this machine reads the figures (Prometheus or an agent beside hallqd): they
            // are the hall's, not a staff page's, and no session is asked of a scraper.
            guard context.isLoopback else {
                return HTTPReply.error(HallError(.notAllowed, "metrics are served to the loopback address only"))
            }
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8", .cacheControl: "no-store"],
                body: .init(byteBuffer: ByteBuffer(string: await self.metrics.render())))
        }
        return router
    }

    // MARK: - The event stream

    private func events(_ request: Request, _ context: HallRequestContext) -> Response {
        let channel = context.channel
        let phone = request.uri.queryParameters.get("viewer") == "phone"
        guard census.startStream(channel, address: context.remoteAddress?.ipAddress ?? "?", phone: phone) else {
            // The status page polls its ticket instead and tries the stream again later.
            var r = HTTPReply.error(HallError(.busy, "too many live pages at once; this page refreshes by itself"))
            r.headers[.retryAfter] = "60"
            return r
        }
        // A small send buffer (the kernel's grows to megabytes by itself): a reader that stops
        // reading fills it, then the feed's backlog, and is dropped, instead of each stalled
        // phone holding megabytes of this machine's memory.
        channel.setOption(ChannelOptions.socketOption(.so_sndbuf), value: Self.streamSendBuffer).whenFailure { _ in }
        let last = request.headers[HTTPField.Name("Last-Event-ID")!] ?? request.uri.queryParameters.get("last_event_id")
        let (id, stream) = feed.join(lastEventID: last) { channel.close(promise: nil) }
        let feed = self.feed
        return Self.eventStream(stream) { feed.leave(id) }
    }

    /// A server-sent event stream's response: each chunk written as it comes, `ended` told when
    /// the stream or the connection ends.
    static func eventStream(_ stream: AsyncStream<ByteBuffer>, ended: @escaping @Sendable () -> Void) -> Response {
        Response(
            status: .ok,
            headers: [
                .contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-store",
                // nginx and other proxies must pass each event on at once.
                HTTPField.Name("X-Accel-Buffering")!: "no",
            ],
            body: .init { writer in
                defer { ended() }
                for await chunk in stream { try await writer.write(chunk) }
                try await writer.finish(nil)
            })
    }

    /// `GET /api/staff/events`: a clerk's or an admin's live view of the hall (`StaffFeed`).
    private func staffEvents(_ request: Request, _ context: HallRequestContext) async throws -> Response {
        let (id, s) = try await staff.authorize(request, changing: false)
        guard s.role == .clerk || s.role == .admin else {
            return HTTPReply.error(HallError(.notAllowed, "the staff stream is for clerks and admins"))
        }
        let channel = context.channel
        guard census.startStream(channel, address: context.remoteAddress?.ipAddress ?? "?", phone: false) else {
            var r = HTTPReply.error(HallError(.busy, "too many live pages at once; try again shortly"))
            r.headers[.retryAfter] = "10"
            return r
        }
        channel.setOption(ChannelOptions.socketOption(.so_sndbuf), value: Self.streamSendBuffer).whenFailure { _ in }
        let staff = self.staff
        let (client, stream) = await staffFeed.join { await staff.stillOpen(id) }
        let feed = staffFeed
        return Self.eventStream(stream) { feed.leave(client) }
    }

    // MARK: - A ticket's status and rating

    static let noTicket = HallError(.unknownTicket, "no such ticket")

    /// An event stream's socket send buffer, in bytes (the kernel doubles it for bookkeeping).
    static let streamSendBuffer: SocketOptionValue = 32 * 1024

    /// The ticket a status address names, when its token is right; nil for anything else (an
    /// unknown, altered or malformed address all look the same: 404).
    func ticket(_ context: HallRequestContext) async throws -> Ticket? {
        guard let links = hall.links, let day = context.parameters.get("day"), Wire.isDay(day),
            let (label, token) = context.parameters.get("ticket").flatMap(StatusLinks.split),
            let stored = try await hall.storedTicket(label: label, day: day), links.matches(stored, token: token)
        else { return nil }
        return hall.snapshotEngine().live[stored.id] ?? stored
    }

    private func ticketReply(_ t: Ticket) -> JSONValue {
        let e = hall.snapshotEngine()
        return Wire.ok(
            id: nil,
            [
                "ticket": PublicView.ticket(t, e, now: hall.clock()), "hall": .string(e.config.name),
                "levels": PublicView.ratingLevels, "contents": PublicView.ratingContents(e.config.rating),
                "notify": [
                    "ahead": .int(Int64(e.config.eta.notifyAhead)), "min": .int(Int64(e.config.eta.notifyMinutes)),
                ],
            ])
    }

    /// `POST …/rate` `{"score": 1…5, "reason": "…"}`: levels 1 and 2 need a reason.
    private func rate(_ t: Ticket, _ request: Request, _ context: HallRequestContext) async throws -> Response {
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        guard case let .success(.object(o)) = JSONReader.read(body.readableBytesView) else {
            return HTTPReply.error(.badRequest("the body must be a JSON object {\"score\": 1…5, \"reason\": …}"))
        }
        guard let score = o["score"]?.intValue, Rating.scores.contains(Int(score)) else {
            return HTTPReply.error(.badRequest("score must be an integer from 1 to 5"))
        }
        // The content codes; the reason is read below (a text box's line breaks are allowed there).
        var fields = o
        fields["reason"] = nil
        let input: RatingInput
        do { input = try Wire.rating(fields, channel: .qr) } catch { return HTTPReply.error(error) }
        var reason: String?
        if let v = o["reason"], v != .null {
            guard let s = v.stringValue else { return HTTPReply.error(.badRequest("reason must be a string")) }
            // A text box's line breaks become spaces; other control characters are refused.
            let flat = s.replacingOccurrences(of: "\r\n", with: " ").replacingOccurrences(of: "\n", with: " ")
                .trimmingCharacters(in: .whitespaces)
            guard !Wire.hasControlCharacters(flat) else {
                return HTTPReply.error(.badRequest("reason must not contain control characters"))
            }
            reason = flat.isEmpty ? nil : flat
        }
        // A ticket with cases says why by its content options (the engine asks for them); one
        // without, in words as before.
        if Int(score) < Rating.reasonBelow, reason == nil, t.cases.isEmpty {
            return HTTPReply.error(.badRequest("please say why (a reason is needed for ratings 1 and 2)"))
        }
        var rating = input
        rating.channel = .qr
        rating.reason = reason
        switch await hall.submit(.rateTicket(t, rating), origin: Origin(role: "public")) {
        case let .success(c):
            guard case let .ticket(rated) = c.effects.subject else { return HTTPReply.json(ticketReply(t)) }
            return HTTPReply.json(ticketReply(rated))
        case let .failure(e):
            return HTTPReply.error(e)
        }
    }
}

/// Every request is handled on `HTTPThreads`: a lobby of phones or a flood of logins from the
/// LAN queues behind itself there, not ahead of the sockets' requests on the cooperative pool.
/// A stream's events are made by the faces' fan-out, which runs there too (WebServer.run).
struct OnHTTPThreads<Context: RequestContext>: RouterMiddleware {
    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        try await withTaskExecutorPreference(HTTPThreads.shared) { try await next(request, context) }
    }
}

/// Headers every page and reply carries: no sniffing, no framing, and no Referer, so a status
/// page's keyed address never leaks to another site; under TLS, Strict-Transport-Security (a
/// year), so a browser that has seen the hall's HTTPS never falls back to plain HTTP.
struct SecurityHeaders<Context: RequestContext>: RouterMiddleware {
    let tls: Bool

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    )
        async throws -> Response
    {
        var r = try await next(request, context)
        r.headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        r.headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        r.headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        r.headers[HTTPField.Name("Content-Security-Policy")!] =
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'"
        if tls { r.headers[HTTPField.Name("Strict-Transport-Security")!] = "max-age=31536000" }
        return r
    }
}

/// Every POST carries JSON, and a browser's `Origin`, when it sends one, is this server. A form on
/// another site can post only `text/plain`, urlencoded or multipart bodies without asking first,
/// so a cross-site form can neither log a browser into an account of the sender's choosing
/// (login CSRF) nor rate a ticket; the session's SameSite cookie and CSRF token cover the rest.
struct PostGuard<Context: RequestContext>: RouterMiddleware {
    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    )
        async throws -> Response
    {
        guard request.method == .post else { return try await next(request, context) }
        let type = request.headers[.contentType]?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces)
        guard type?.lowercased() == "application/json" else {
            return HTTPReply.error(.badRequest("a POST body must be JSON (Content-Type: application/json)"))
        }
        if let origin = request.headers[HTTPField.Name("Origin")!] {
            let host = request.head.authority ?? ""
            guard origin == "http://" + host || origin == "https://" + host else {
                return HTTPReply.error(
                    HallError(.notAllowed, "this request comes from another site (Origin \(origin))"))
            }
        }
        return try await next(request, context)
    }
}
