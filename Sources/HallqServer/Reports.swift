import HallqCore
import HallqProtocol
import HallqStore

/// The admins' reads over the log: statistics, the CSV export, one ticket's history. They read
/// through the store's WAL readers and a copy of the calendar, never through the engine's queue.
struct Reports: Sendable {
    let hall: Hall

    func stats(from: String, to: String, by: StatsDimension) async throws -> [String: JSONValue] {
        let (tickets, legs, cal) = try await rows(from: from, to: to)
        return [
            "from": .string(from), "to": .string(to), "by": .string(by.rawValue),
            "rows": .array(Statistics.rows(by: by, tickets: tickets, legs: legs, calendar: cal).map(Render.stats)),
        ]
    }

    func export(from: String, to: String) async throws -> [String: JSONValue] {
        let (tickets, _, cal) = try await rows(from: from, to: to)
        return ["csv": .string(TicketCSV.make(tickets, calendar: cal)), "count": .int(Int64(tickets.count))]
    }

    func history(label: String, day: String?) async throws -> [String: JSONValue] {
        guard let t = try await hall.store.ticket(label: label, day: day) else { throw HallError.unknownTicket(label) }
        let cal = await hall.read { $0.calendar }
        let events = try await hall.store.events(ticketId: t.id).map { se -> JSONValue in
            guard case var .object(o) = Render.event(se.event, role: se.role, uid: se.uid, calendar: cal) else {
                return .null
            }
            o["seq"] = .int(se.seq)
            return .object(o)
        }
        return ["ticket": Render.ticket(t), "events": .array(events)]
    }

    /// Tickets issued on the local days from…to, and the legs called in that span.
    private func rows(from: String, to: String) async throws -> ([Ticket], [Leg], HallCalendar) {
        let cal = await hall.read { $0.calendar }
        guard let start = cal.startOfDay(from) else { throw HallError.badRequest("from is not a date") }
        guard let toStart = cal.startOfDay(to) else { throw HallError.badRequest("to is not a date") }
        guard from <= to else { throw HallError.badRequest("from must not be after to") }
        // The next local midnight after `to`, found from a time safely inside the next day.
        let end = cal.startOfDay(cal.day(toStart + 30 * 3_600_000)) ?? (toStart + 86_400_000)
        return (
            try await hall.store.tickets(fromDay: from, toDay: to), try await hall.store.legs(from: start, to: end), cal
        )
    }
}
