import HallqCore
import HallqProtocol
import HallqStore

/// The admins' reads over the log: statistics, the CSV export, one ticket's history. They read
/// through the store's WAL readers and a copy of the calendar, never through the engine's queue.
struct Reports: Sendable {
    let hall: Hall

    func stats(from: String, to: String, by: StatsDimension) async throws -> [String: JSONValue] {
        let (start, end, cal) = try await span(from: from, to: to)
        let rows = try await hall.store.statistics(
            by: by, fromDay: from, toDay: to, start: start, end: end, calendar: cal)
        return [
            "from": .string(from), "to": .string(to), "by": .string(by.rawValue),
            "rows": .array(rows.map(Render.stats)),
        ]
    }

    /// Tickets issued on these days, oldest first, as CSV handed to `send` in blocks of
    /// `exportPage` tickets (the first block starts with the header line); how many tickets.
    /// Memory stays flat whatever the range: one page is read at a time.
    func export(from: String, to: String, send: (String) async throws -> Void) async throws -> Int {
        let (_, _, cal) = try await span(from: from, to: to)
        var ids = try await hall.store.ticketIds(fromDay: from, toDay: to)
        var count = 0
        var first = true
        repeat {
            var page: [Ticket] = []
            if let ids {
                page = try await hall.store.tickets(fromDay: from, toDay: to, ids: ids, limit: Self.exportPage)
            }
            let header = first ? TicketCSV.header.joined(separator: ",") + "\n" : ""
            try await send(header + TicketCSV.rows(page, calendar: cal))
            first = false
            count += page.count
            if let last = page.last, page.count == Self.exportPage, let all = ids, last.id < all.upperBound {
                ids = (last.id + 1)...all.upperBound
            } else {
                ids = nil
            }
        } while ids != nil
        return count
    }

    /// Tickets per `csv_chunk` line: about 100 KB of CSV.
    static let exportPage = 500

    func history(label: String, day: String?) async throws -> [String: JSONValue] {
        guard let t = try await hall.store.ticket(label: label, day: day) else { throw HallError.unknownTicket(label) }
        let cal = await hall.read { $0.calendar }
        let events = try await hall.store.events(ticketId: t.id).map { se -> JSONValue in
            guard
                case var .object(o) = Render.event(
                    se.event, role: se.role, uid: se.uid, account: se.account, client: se.client, calendar: cal)
            else {
                return .null
            }
            o["seq"] = .int(se.seq)
            return .object(o)
        }
        return ["ticket": Render.ticket(t), "events": .array(events)]
    }

    /// The span's local midnights (UTC ms, half open) and the calendar, after checking the days.
    private func span(from: String, to: String) async throws -> (Millis, Millis, HallCalendar) {
        let cal = await hall.read { $0.calendar }
        guard let start = cal.startOfDay(from) else { throw HallError.badRequest("from is not a date") }
        guard let toStart = cal.startOfDay(to) else { throw HallError.badRequest("to is not a date") }
        guard from <= to else { throw HallError.badRequest("from must not be after to") }
        // The next local midnight after `to`, found from a time safely inside the next day.
        let end = cal.startOfDay(cal.day(toStart + 30 * 3_600_000)) ?? (toStart + 86_400_000)
        return (start, end, cal)
    }
}
