import Foundation
import HallqCore
import HallqProtocol
import HallqStore
import Logging

/// Turns one parsed request into one reply. Knows nothing about sockets: the connection layer
/// parses lines, enforces roles and handles `watch`; this answers everything else.
public struct Dispatcher: Sendable {
    let hall: Hall
    let devices: DeviceHub
    let reload: @Sendable () async -> Result<Void, HallError>
    let serviceTakes: ServiceTakeLimiter

    public init(hall: Hall, devices: DeviceHub, limits: ClientLimits = .init(),
                reload: @escaping @Sendable () async -> Result<Void, HallError>) {
        self.hall = hall
        self.devices = devices
        self.reload = reload
        serviceTakes = ServiceTakeLimiter(limits)
    }

    public func reply(to request: Request, id: JSONValue?, origin: Origin) async -> JSONValue {
        do {
            return Wire.ok(id: id, try await answer(request, origin: origin))
        } catch let e as HallError {
            return Wire.error(id: id, e)
        } catch {
            hall.logger.error("request failed", metadata: ["error": .string("\(error)")])
            return Wire.error(id: id, HallError(.internal, "internal error; see the daemon's log"))
        }
    }

    func answer(_ request: Request, origin: Origin) async throws -> [String: JSONValue] {
        switch request {
        case let .command(cmd):
            if case let .take(service, _) = cmd {
                if let refusal = await devices.printerRefusal() { throw refusal }
                // Only configured services have a bucket: made-up names cannot grow the table.
                if await hall.read({ $0.config.service(service) != nil }), let wait = serviceTakes.take(service) {
                    throw HallError.rateLimited("service \(service) is issuing tickets too fast; try again in \(Int(wait.rounded(.up))) s")
                }
            }
            let c = try await hall.submit(cmd, origin: origin).get()
            return Self.subject(c)
        case .services:
            return ["services": .array(await hall.read { e in e.config.services.map { s in
                ["id": .string(s.id), "name": .string(s.name), "waiting": .int(Int64(e.waitingCount(service: s.id))),
                 "windows": .array(e.config.windows.filter { $0.services.contains(s.id) }.map { .int(Int64($0.number)) })]
            } })]
        case .status:
            var s = await hall.read { Self.status($0, now: hall.clock()) }
            s["devices"] = await devices.devices()
            if let step = await hall.clockStep() {
                s["clock"] = ["last_step_s": .from(Double(step.ms) / 1000), "at": .string(isoUTC(step.at))]
            }
            return s
        case .watch:
            throw HallError(.internal, "watch is handled by the connection")
        case let .stats(from, to, by):
            let (tickets, legs, cal) = try await rows(from: from, to: to)
            return ["from": .string(from), "to": .string(to), "by": .string(by.rawValue),
                    "rows": .array(Statistics.rows(by: by, tickets: tickets, legs: legs, calendar: cal).map(Render.stats))]
        case let .history(label, day):
            guard let t = try await hall.store.ticket(label: label, day: day) else { throw HallError.unknownTicket(label) }
            let cal = await hall.read { $0.calendar }
            let events = try await hall.store.events(ticketId: t.id).map { se -> JSONValue in
                guard case var .object(o) = Render.event(se.event, role: se.role, uid: se.uid, calendar: cal) else { return .null }
                o["seq"] = .int(se.seq)
                return .object(o)
            }
            return ["ticket": Render.ticket(t), "events": .array(events)]
        case let .export(from, to):
            let (tickets, _, cal) = try await rows(from: from, to: to)
            return ["csv": .string(TicketCSV.make(tickets, calendar: cal)), "count": .int(Int64(tickets.count))]
        case let .reprint(label, day):
            guard let t = try await hall.store.ticket(label: label, day: day) else { throw HallError.unknownTicket(label) }
            try await devices.reprint(t).get()
            return ["ticket": Render.ticket(try await hall.store.ticket(id: t.id) ?? t)]
        case .devices:
            return ["devices": await devices.devices()]
        case .reload:
            try await reload().get()
            return [:]
        }
    }

    func rows(from: String, to: String) async throws -> ([Ticket], [Leg], HallCalendar) {
        let cal = await hall.read { $0.calendar }
        guard let start = cal.startOfDay(from) else { throw HallError.badRequest("from is not a date") }
        guard let toStart = cal.startOfDay(to) else { throw HallError.badRequest("to is not a date") }
        guard from <= to else { throw HallError.badRequest("from must not be after to") }
        // The next local midnight after `to`, found from a time safely inside the next day.
        let end = cal.startOfDay(cal.day(toStart + 30 * 3_600_000)) ?? (toStart + 86_400_000)
        return (try await hall.store.tickets(fromDay: from, toDay: to), try await hall.store.legs(from: start, to: end), cal)
    }

    static func subject(_ c: Committed) -> [String: JSONValue] {
        switch c.effects.subject {
        case .none: return [:]
        case let .issued(t, ahead, eta, duplicate):
            guard case var .object(o) = Render.ticket(t) else { return [:] }
            o["ahead"] = .int(Int64(ahead))
            o["eta_min"] = .int(Int64(eta))
            o["duplicate"] = .bool(duplicate)
            return ["ticket": .object(o)]
        case let .ticket(t):
            var r: [String: JSONValue] = ["ticket": Render.ticket(t)]
            if let n = t.window, let w = c.engine.windows[n] {
                r["window"] = Render.window(w, current: w.current.flatMap { c.engine.live[$0] })
            }
            return r
        case let .window(w):
            return ["window": Render.window(w, current: w.current.flatMap { c.engine.live[$0] })]
        case let .hall(mode):
            return ["hall": .string(mode.rawValue)]
        }
    }

    static func status(_ e: QueueEngine, now: Millis) -> [String: JSONValue] {
        let services: [JSONValue] = e.config.services.map { s in
            let waiting = e.waiting(service: s.id)
            return ["id": .string(s.id), "name": .string(s.name), "waiting": .int(Int64(e.waitingCount(service: s.id))),
                    "next": .from(waiting.first?.label)]
        }
        let windows: [JSONValue] = e.config.windows.map { wc in
            let w = e.windows[wc.number] ?? WindowState(number: wc.number)
            guard case var .object(o) = Render.window(w, current: w.current.flatMap { e.live[$0] }) else { return .null }
            o["services"] = .array(wc.services.map { .string($0) })
            return .object(o)
        }
        let dispensing = e.dispensing(at: now)
        return ["hall": ["name": .string(e.config.name), "mode": .string(e.hallMode.rawValue),
                         "dispensing": .bool(dispensing), "notice": dispensing ? .null : .string(e.config.texts.closed), "day": .string(e.calendar.day(now)),
                         "time": .string(e.calendar.localTimestamp(now))],
                "services": .array(services), "windows": .array(windows)]
    }
}

/// `take` per service across every connection and transport: one kiosk, or a script, cannot
/// issue a service's whole day in seconds.
final class ServiceTakeLimiter: @unchecked Sendable {
    private let lock = NSLock()
    private var buckets: [String: TokenBucket] = [:]
    private let perMinute: Int

    init(_ limits: ClientLimits) { perMinute = limits.takesPerMinutePerService }

    /// nil when allowed, else the seconds to wait.
    func take(_ service: String) -> Double? {
        lock.lock(); defer { lock.unlock() }
        var b = buckets[service] ?? TokenBucket(burst: perMinute, perMinute: perMinute)
        let wait = b.take(at: SocketServer.monotonicSeconds())
        buckets[service] = b
        return wait
    }
}
