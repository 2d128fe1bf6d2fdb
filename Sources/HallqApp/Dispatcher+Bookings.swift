import HallqCore
import HallqProtocol
import HallqStore

/// The dispatcher's booking requests (docs/BOOKINGS.md): importing a portal's bookings, checking
/// a booked person in by code or by the ID card on the kiosk's reader, and a day's list.
extension Dispatcher {
    /// `book`: ID numbers become person keys here, before the engine sees the bookings; the reply
    /// lists what became of each, in order, and counts each result.
    func book(_ inputs: [BookingInput], cards: [IdNumber?], origin: Origin) async throws -> [String: JSONValue] {
        var keyed = inputs
        for (i, card) in cards.enumerated() where i < keyed.count {
            guard let card else { continue }
            guard let persons = hall.links?.persons else {
                throw HallError(.internal, "no hall secret to key ID numbers with")
            }
            keyed[i].person = persons.person(card).key
        }
        let committed = try await hall.submit(.book(keyed), origin: origin).get()
        guard case let .imported(results) = committed.effects.subject else { return [:] }
        var counts: [String: Int64] = [:]
        let rows: [JSONValue] = zip(inputs, results).map { input, r in
            counts[r.name, default: 0] += 1
            var o: [String: JSONValue] = ["ref": .string(input.ref), "result": .string(r.name)]
            if case let .refused(why) = r { o["message"] = .string(why) }
            return .object(o)
        }
        var reply: [String: JSONValue] = ["results": .array(rows)]
        for name in ["created", "updated", "unchanged", "cancelled", "refused"] {
            reply[name] = .int(counts[name] ?? 0)
        }
        return reply
    }

    /// A booked person's check-in at a kiosk: like a take, its kiosk must be configured and its
    /// printer able to print the ticket.
    func checkin(_ code: String, kiosk: String?, origin: Origin) async throws -> [String: JSONValue] {
        let (origin, _) = try await atKiosk(kiosk, origin)
        if let refusal = await devices.printerRefusal(kiosk: origin.kiosk) { throw refusal }
        return try await run(.checkin(code: code, kiosk: kiosk), origin: origin)
    }

    /// `checkin` with `card: true`: the card on the kiosk's reader names the booking (by its
    /// person key); the hold ends with the ticket.
    func checkinWithCard(kiosk: String?, origin: Origin) async throws -> [String: JSONValue] {
        let config = await hall.read { $0.config }
        guard let k = config.kiosk(kiosk ?? origin.kiosk) else {
            throw HallError.badRequest("no kiosk \"\(kiosk ?? "")\" is configured")
        }
        guard let held = devices.cards.current(kiosk: k.name) else {
            throw HallError(.bookingUnknown, "no ID card is on kiosk \(k.name)'s reader")
        }
        let now = hall.clock()
        guard let code = await hall.read({ $0.booking(person: held.read.person.key, at: now)?.code }) else {
            throw HallError(.bookingUnknown, "this ID card has no booking to check in for now")
        }
        let reply = try await checkin(code, kiosk: k.name, origin: origin)
        devices.cards.drop(kiosk: k.name)
        return reply
    }

    /// `bookings`: a day's bookings by slot, optionally in one state. The engine holds yesterday's
    /// and later; older days are read from the store.
    func bookings(day: String?, state: Booking.State?) async throws -> [String: JSONValue] {
        let now = hall.clock()
        let (d, held, calendar) = await hall.read { e in
            let d = day ?? e.calendar.day(now)
            return (d, d >= e.calendar.day(now - 86_400_000) ? e.bookings(day: d) : nil, e.calendar)
        }
        let list: [Booking]
        if let held { list = held } else { list = try await hall.store.bookings(day: d) }
        return [
            "day": .string(d),
            "bookings": .array(
                list.filter { state == nil || $0.state == state }.map { Render.booking($0, calendar: calendar) }),
        ]
    }
}
