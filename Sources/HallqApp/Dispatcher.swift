import Foundation
import HallqCentral
import HallqCore
import HallqProtocol
import HallqStore
import HallqUpload
import Logging

/// Turns one parsed request into one reply. Knows nothing about sockets: the connection layer
/// parses lines, enforces roles and handles `watch`; this answers everything else.
public struct Dispatcher: Sendable {
    let hall: Hall
    public let devices: any HallDevices
    let reload: @Sendable () async -> Result<Void, HallError>
    let serviceTakes: ServiceTakeLimiter
    let reports: Reports
    /// The province's 好差评 upload: a service of its own (hallqd runs it), shown in `status`.
    public let upload: HaochaUploader
    /// The relay of the event log to the province's PostgreSQL: a service too, shown in `status`.
    public let relay: CentralRelay

    public init(
        hall: Hall, devices: any HallDevices, limits: ClientLimits = .init(),
        reload: @escaping @Sendable () async -> Result<Void, HallError>
    ) {
        self.hall = hall
        self.devices = devices
        self.reload = reload
        serviceTakes = ServiceTakeLimiter(limits)
        reports = Reports(hall: hall)
        let h = hall
        upload = HaochaUploader(
            store: hall.store, settings: { await h.read { ($0.config.haocha, $0.calendar) } }, clock: hall.clock,
            logger: hall.logger)
        relay = CentralRelay(
            store: hall.store, settings: { await h.read { $0.config.central } },
            pulse: { await h.read { e in Dispatcher.pulse(e, now: h.clock()) } }, clock: hall.clock,
            logger: hall.logger)
    }

    /// Answers a request through `send`: one reply line, or for `export` the CSV in
    /// `csv_chunk` lines and then the reply line (docs/PROTOCOL.md). Throws only what `send`
    /// throws (the client went away).
    public func respond(
        to request: Request, id: JSONValue?, origin: Origin, send: (JSONValue) async throws -> Void
    ) async throws {
        guard case let .export(from, to) = request else {
            return try await send(await reply(to: request, id: id, origin: origin))
        }
        /// A failure to write to the client, told apart from a failure to read the store.
        struct SendFailed: Error { var error: any Error }
        let final: JSONValue
        do {
            let count = try await reports.export(from: from, to: to) { csv in
                var chunk: [String: JSONValue] = ["csv_chunk": .string(csv)]
                if let id { chunk["id"] = id }
                do { try await send(.object(chunk)) } catch { throw SendFailed(error: error) }
            }
            final = Wire.ok(id: id, ["count": .int(Int64(count))])
        } catch let e as SendFailed {
            throw e.error
        } catch let e as HallError {
            final = Wire.error(id: id, e)
        } catch {
            final = Wire.error(id: id, internalError(error))
        }
        try await send(final)
    }

    /// The reply to a request answered by one line (every op but `export` and `watch`), as the
    /// wire renders it.
    public func reply(to request: Request, id: JSONValue?, origin: Origin) async -> JSONValue {
        switch await outcome(of: request, origin: origin) {
        case let .success(fields): return Wire.ok(id: id, fields)
        case let .failure(e): return Wire.error(id: id, e)
        }
    }

    /// A request's outcome before any transport renders it: the answer's fields, or the refusal
    /// as a `HallError` (an unexpected error logged and answered INTERNAL). In-process callers
    /// (the HTTP op API, the charts, the report) use this rather than reading a rendered reply's
    /// `ok` and `error` back.
    public func outcome(of request: Request, origin: Origin) async -> Result<[String: JSONValue], HallError> {
        do {
            return .success(try await answer(request, origin: origin))
        } catch let e as HallError {
            return .failure(e)
        } catch {
            return .failure(internalError(error))
        }
    }

    private func internalError(_ error: any Error) -> HallError {
        hall.logger.error("request failed", metadata: ["error": .string("\(error)")])
        return HallError(.internal, "internal error; see the daemon's log")
    }

    /// The answer to a request, for in-process callers (counter keys, scanners, the staff pages): a
    /// refusal is a thrown `HallError`, not an error reply to dig a token back out of.
    public func answer(_ request: Request, origin: Origin) async throws -> [String: JSONValue] {
        switch request {
        case let .command(cmd):
            if case .take = cmd { return try await issue(cmd, origin: origin) }
            if case let .checkin(code, kiosk) = cmd { return try await checkin(code, kiosk: kiosk, origin: origin) }
            return try await run(cmd, origin: origin)
        case let .book(inputs, cards): return try await book(inputs, cards: cards, origin: origin)
        case let .checkinWithCard(kiosk): return try await checkinWithCard(kiosk: kiosk, origin: origin)
        case let .bookings(day, state): return try await bookings(day: day, state: state)
        case let .orders(state, overdue): return try await orders(state: state, overdue: overdue)
        case let .order(id): return try await order(id: id)
        case let .orderUpdate(id, change, note, account):
            return try await orderUpdate(id, change, note: note, account: account, origin: origin)
        case let .ratings(from, to, format): return try await ratings(from: from, to: to, format: format)
        case let .takeWithCard(cmd, card):
            guard case let .take(service, key, priority, kiosk, _) = cmd, let persons = hall.links?.persons else {
                throw HallError(.internal, "no hall secret to key ID cards with")
            }
            let person = persons.person(card)
            return try await issue(
                .take(service: service, key: key, priority: priority, kiosk: kiosk, person: person), origin: origin)
        case let .card(kiosk, drop):
            let config = await hall.read { $0.config }
            guard let k = config.kiosk(kiosk ?? origin.kiosk) else {
                throw HallError.badRequest("no kiosk \"\(kiosk ?? "")\" is configured")
            }
            if drop { devices.cards.drop(kiosk: k.name) }
            guard let held = devices.cards.current(kiosk: k.name) else { return ["card": .null] }
            return ["card": await cardView(held)]
        case .services:
            return await hall.read { e in
                var o: [String: JSONValue] = ["services": Render.services(e, now: hall.clock())]
                // Who may use 绿色通道 ([texts] green_channel), for a hall with priority services.
                if e.config.services.contains(where: \.priority) {
                    o["green_channel_note"] = .string(e.config.texts.greenChannel)
                }
                return o
            }
        case let .status(waiting):
            // One look at the queue: the windows, the waiting list and the tickets in hand agree.
            var s = await hall.read { e in
                var s = Render.status(e, now: hall.clock())
                if waiting {
                    s["waiting_tickets"] = Render.waitingTickets(e)
                    s["in_hand"] = Render.inHand(e)
                    s["rating_contents"] = PublicView.ratingContents(e.config.rating)
                }
                return s
            }
            s["devices"] = Render.devices(await devices.report())
            if let u = uploadState() { s["haocha"] = u }
            if let c = centralState() { s["central"] = c }
            if let step = await hall.clockStep() {
                s["clock"] = ["last_step_s": .from(Double(step.ms) / 1000), "at": .string(isoUTC(step.at))]
            }
            return s
        case .watch:
            throw HallError(.internal, "watch is handled by the connection")
        case let .stats(from, to, by):
            return try await reports.stats(from: from, to: to, by: by)
        case let .history(label, day):
            return try await reports.history(label: label, day: day)
        case .export:
            throw HallError(.internal, "export is answered in blocks by respond(to:)")
        case let .reprint(label, day):
            guard let t = try await hall.store.ticket(label: label, day: day) else {
                throw HallError.unknownTicket(label)
            }
            try await devices.reprint(t, kiosk: nil).get()
            return ["ticket": Render.ticket(try await hall.store.ticket(id: t.id) ?? t)]
        case .devices:
            var d: [String: JSONValue] = ["devices": Render.devices(await devices.report())]
            if let c = centralState() { d["central"] = c }
            return d
        case .reload:
            try await reload().get()
            return [:]
        case let .account(a):
            return try await StaffAccounts(store: hall.store, clock: hall.clock).answer(a)
        }
    }

    /// A `take`: its kiosk (a kiosk program, a web kiosk's screen, a button box) must be
    /// configured, its printer must print, and prints it; a card placed on that kiosk's reader
    /// within `hold_s` makes it that person's ticket (and is used up when it is issued).
    private func issue(_ cmd: Command, origin: Origin) async throws -> [String: JSONValue] {
        guard case .take(let service, let key, let priority, let kiosk, var person) = cmd else {
            return try await run(cmd, origin: origin)
        }
        let (origin, config) = try await atKiosk(kiosk, origin)
        try await admitTake(service, kiosk: origin.kiosk, asker: origin.askerKey)
        var heldAt: String?
        if person == nil, origin.role == "kiosk" || origin.role == "keypad", let k = config.kiosk(origin.kiosk)?.name,
            let held = devices.cards.current(kiosk: k)
        {
            person = held.read.person
            heldAt = k
        }
        let reply = try await run(
            .take(service: service, key: key, priority: priority, kiosk: kiosk, person: person), origin: origin)
        if let heldAt { devices.cards.drop(kiosk: heldAt) }
        return reply
    }

    /// Commits a command and renders its reply.
    func run(_ cmd: Command, origin: Origin) async throws -> [String: JSONValue] {
        let committed = try await hall.submit(cmd, origin: origin).get()
        var reply = Self.subject(committed)
        if let issued = committed.effects.subject.issued, case var .object(t) = reply["ticket"],
            let url = hall.statusURL(issued.ticket, config: committed.engine.config)
        {
            t["status_url"] = .string(url)
            reply["ticket"] = .object(t)
        }
        return reply
    }

    /// A held card as the kiosk shows it: the masked name, the seconds left, and for each service
    /// whether this person may take it (or the token why not) and whether it would be 绿色通道.
    public func cardView(_ held: CardDesk.Held) async -> JSONValue {
        let now = hall.clock()
        let left = max(0, Int((held.until - devices.cards.clock()).rounded(.up)))
        return await hall.read { e in
            let services: [JSONValue] = e.config.services.map { s in
                var o: [String: JSONValue] = [
                    "id": .string(s.id), "name": .string(s.name),
                    "green_channel": .bool(e.greenChannelByAge(held.read.person, service: s.id, at: now)),
                ]
                if let refusal = e.personRefusal(held.read.person, service: s.id, at: now) {
                    o["allowed"] = false
                    o["error"] = .string(refusal.token.rawValue)
                    o["message"] = .string(refusal.message)
                } else {
                    o["allowed"] = true
                }
                return .object(o)
            }
            // A booking this person may check in for now (sent by the portal with their ID number).
            let booking: JSONValue =
                e.booking(person: held.read.person.key, at: now).map { b in
                    [
                        "ref": .string(b.ref), "service": .string(b.service),
                        "service_name": .string(e.config.service(b.service)?.name ?? b.service),
                        "slot": .string(e.calendar.clock(b.slotStart) + "-" + e.calendar.clock(b.slotEnd)),
                    ]
                } ?? .null
            return .object([
                "kiosk": .string(held.kiosk), "name": .string(held.read.masked), "hold_s": .int(Int64(left)),
                "green_channel": .bool(services.contains { $0["green_channel"] == .bool(true) }),
                "services": .array(services), "booking": booking,
            ])
        }
    }

    /// A ticket's origin at the kiosk the request names (else the asker's own), which must be
    /// configured; with the config it was checked against.
    func atKiosk(_ kiosk: String?, _ origin: Origin) async throws(HallError) -> (Origin, HallConfig) {
        var origin = origin
        origin.kiosk = kiosk ?? origin.kiosk
        let config = await hall.read { $0.config }
        if let k = origin.kiosk, config.kiosk(k) == nil {
            throw HallError.badRequest("no kiosk \"\(k)\" is configured")
        }
        return (origin, config)
    }

    /// Before a ticket is issued: the printer can print, and the service is not issuing faster
    /// than `[limits]` allows.
    private func admitTake(_ service: String, kiosk: String?, asker: String) async throws(HallError) {
        if let refusal = await devices.printerRefusal(kiosk: kiosk) { throw refusal }
        // Only configured services have a bucket: made-up names cannot grow the table.
        if await hall.read({ $0.config.service(service) != nil }),
            let wait = serviceTakes.take(service, asker: asker, at: monotonicSeconds())
        {
            throw .rateLimited(
                "service \(service) is issuing tickets too fast; try again in \(Int(wait.rounded(.up))) s")
        }
    }

    static func subject(_ c: Committed) -> [String: JSONValue] {
        switch c.effects.subject {
        case .none: return [:]
        case let .issued(t, ahead, eta, duplicate):
            guard case var .object(o) = Render.ticket(t) else { return [:] }
            o["ahead"] = .int(Int64(ahead))
            o["eta_min"] = .int(Int64(eta.minutes.median))
            o["eta_range_min"] = Render.range(eta)
            o["duplicate"] = .bool(duplicate)
            // A booked ticket's slot in the hall's time, as printed on it.
            if let slot = t.slotText(c.engine.calendar) { o["slot_local"] = .string(slot) }
            return ["ticket": .object(o)]
        case let .ticket(t):
            var r: [String: JSONValue] = ["ticket": Render.ticket(t)]
            if let (w, current) = c.window { r["window"] = Render.window(w, current: current) }
            return r
        case .window:
            guard let (w, current) = c.window else { return [:] }
            return ["window": Render.window(w, current: current)]
        case let .hall(mode):
            return ["hall": .string(mode.rawValue)]
        case .imported:
            return [:]
        case let .order(o):
            let calendar = c.engine.calendar
            return ["order": Render.order(o, calendar: calendar, today: calendar.day(o.updatedAt))]
        }
    }
}

/// `take` per service across every connection and transport: one kiosk, or a script, cannot
/// issue a service's whole day in seconds — and cannot spend the limit for everyone else.
///
/// Each service has a bucket of `take_per_min_service`. When it is empty, an asker that has taken
/// this service before and has had fewer than its share in the last minute (the limit divided
/// by the askers of the last minute) still gets its ticket: a client looping `take` empties the
/// bucket and is then held to its share, while the other kiosks keep issuing at their pace. A
/// newcomer with no takes yet (a script that reconnects for every take) waits for the bucket.
final class ServiceTakeLimiter: @unchecked Sendable {
    private struct Service {
        var bucket: TokenBucket
        /// Each asker's takes of this service in the last minute.
        var recent: [String: [Double]] = [:]
    }
    private let lock = NSLock()
    private var services: [String: Service] = [:]
    private let perMinute: Int

    init(_ limits: ClientLimits) { perMinute = limits.takesPerMinutePerService }

    /// nil when allowed (and counted), else the seconds to wait.
    func take(_ service: String, asker: String, at now: Double) -> Double? {
        let perMinute = perMinute
        return lock.withLock {
            Self.take(
                &services[service, default: Service(bucket: TokenBucket(burst: perMinute, perMinute: perMinute))],
                asker: asker, at: now, perMinute: perMinute)
        }
    }

    /// In place: the service's record is modified where it is kept, never copied (a copy of a
    /// busy minute's take times on every take was 18 % of hallqd's CPU in hallq-bench). Each
    /// asker's times are in the order taken, so the expired ones are a prefix.
    private static func take(_ s: inout Service, asker: String, at now: Double, perMinute: Int) -> Double? {
        for k in Array(s.recent.keys) {
            let expired = s.recent[k]?.firstIndex { now - $0 < 60 } ?? s.recent[k]?.count ?? 0
            if expired == s.recent[k]?.count {
                s.recent[k] = nil
            } else if expired > 0 {
                s.recent[k]?.removeFirst(expired)
            }
        }
        let mine = s.recent[asker]?.count ?? 0
        let share = Double(perMinute) / Double(max(1, s.recent.count))
        if let wait = s.bucket.take(at: now) {
            guard mine > 0, Double(mine) < share else { return wait }
        }
        s.recent[asker, default: []].append(now)
        return nil
    }
}
