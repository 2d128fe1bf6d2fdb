import HallqCore
import HallqProtocol
import HallqStore
import HallqUpload

/// The dispatcher's 好差评 requests (docs/HAOCHA.md): work orders and their steps, and the case
/// ratings in a province's export profile.
extension Dispatcher {
    /// `orders`: newest first, optionally one state or only the overdue ones, with the counts the
    /// dashboard's 差评 tab shows.
    func orders(state: WorkOrder.State?, overdue: Bool) async throws -> [String: JSONValue] {
        let now = hall.clock()
        let calendar = await hall.read { $0.calendar }
        let today = calendar.day(now)
        var list = try await hall.store.workOrders(state: state, fromDay: nil, limit: 1000)
        if overdue { list = list.filter { $0.overdue(today: today) } }
        return [
            "orders": .array(list.map { Render.order($0, calendar: calendar, today: today) }),
            "counts": try await orderCounts(today: today),
        ]
    }

    /// Open (the hall owes a rectification), overdue and closed orders; invalid ones and the
    /// return-visit rate (回访率) as the monthly tally counts them (`HaochaSummary`).
    func orderCounts(today: String) async throws -> JSONValue {
        let all = try await hall.store.workOrders(state: nil, fromDay: nil, limit: 100_000)
        let owing = all.filter(\.state.owesRectification)
        let tally = HaochaSummary(ratings: [], orders: all)
        return [
            "open": .int(Int64(owing.count)), "overdue": .int(Int64(owing.filter { $0.overdue(today: today) }.count)),
            "closed": .int(Int64(all.filter { $0.state == .closed }.count)), "invalid": .int(Int64(tally.invalid)),
            "revisited": .int(Int64(tally.revisited)), "revisit_due": .int(Int64(tally.revisitDue)),
            "revisit_rate": tally.revisitDue == 0 ? .null : .from(Double(tally.revisited) / Double(tally.revisitDue)),
        ]
    }

    /// `order`: one work order and its history (each step with who took it and when).
    func order(id: Int64) async throws -> [String: JSONValue] {
        guard let o = try await hall.store.workOrder(id: id) else {
            throw HallError(.unknownOrder, "no work order \(id)")
        }
        let calendar = await hall.read { $0.calendar }
        let history = try await hall.store.orderEvents(id: id).map { e -> JSONValue in
            var step: [String: JSONValue] = [
                "at": .string(calendar.localTimestamp(e.event.at)), "action": .from(e.event.details["action"]),
                "state": .from(e.event.details["state"]), "account": .from(e.account), "role": .from(e.role),
            ]
            for k in ["note", "due", "reason", "contact", "satisfied"] {
                if let v = e.event.details[k] { step[k] = .string(v) }
            }
            return .object(step)
        }
        return [
            "order": Render.order(o, calendar: calendar, today: calendar.day(hall.clock())), "history": .array(history),
        ]
    }

    /// `order_update`: the acting account is the HTTP session's; the admin socket names it.
    func orderUpdate(
        _ id: Int64, _ change: WorkOrder.Change, note: String?, account: String?, origin: Origin
    ) async throws -> [String: JSONValue] {
        guard let name = origin.account ?? account else {
            throw HallError.badRequest("account is required: who takes this step")
        }
        var origin = origin
        origin.account = name
        let actor = WorkOrder.Actor(account: name, admin: origin.role == Role.admin.rawValue)
        return try await run(.orderUpdate(id: id, change, by: actor, note: note), origin: origin)
    }

    /// `ratings`: case ratings of local days from...to as a profile writes them, one row per
    /// case rating, fields in the profile's order.
    func ratings(from: String, to: String, format: String) async throws -> [String: JSONValue] {
        let (config, calendar) = await hall.read { ($0.config, $0.calendar) }
        guard let profile = config.haochaProfile(named: format) else {
            let names = (config.haochaProfiles + HaochaProfile.builtIn).map(\.name)
            throw HallError.badRequest("format must be one of \(names.joined(separator: ", "))")
        }
        let region = config.haocha?.region ?? ""
        let hallId = config.haocha?.hallId ?? region
        let ratings = try await hall.store.caseRatings(fromDay: from, toDay: to)
        let summary = HaochaSummary(ratings: ratings, orders: try await hall.store.workOrders(fromDay: from, toDay: to))
        let rows = ratings.map { r in
            JSONValue.object(
                Dictionary(
                    Render.haochaRecord(r, profile: profile, region: region, hall: hallId, calendar: calendar),
                    uniquingKeysWith: { a, _ in a }))
        }
        return [
            "format": .string(profile.name), "direction": .string(profile.direction.rawValue),
            "fields": .array(profile.fields.map { .string($0.name) }), "rows": .array(rows), "summary": summary.json,
        ]
    }

    /// The upload's state for `status` and the dashboard; nil without `[haocha]`.
    func uploadState() -> JSONValue? {
        let s = upload.current
        guard s.configured else { return nil }
        return Render.upload(s)
    }
}

extension Render {
    public static func upload(_ s: HaochaUploader.State) -> JSONValue {
        [
            "pending": .int(Int64(s.pending)), "sent": .int(Int64(s.sent)), "last_id": .int(s.lastId),
            "last_sent_at": .from(s.lastSentAt.map(isoUTC)), "last_error": .from(s.lastError),
            "last_error_at": .from(s.lastErrorAt.map(isoUTC)),
        ]
    }
}
