import HallqCore

extension Render {
    /// `status` without `devices` and `clock` (the server adds those): the hall, each service's
    /// waiting count and next ticket, each window. From one consistent look at the live queue.
    public static func status(_ e: QueueEngine, now: Millis) -> [String: JSONValue] {
        let services: [JSONValue] = e.config.services.map { s in
            [
                "id": .string(s.id), "name": .string(s.name), "waiting": .int(Int64(e.waitingCount(service: s.id))),
                "next": .from(e.live.nextWaiting(service: s.id)?.label),
            ]
        }
        let windows: [JSONValue] = e.config.windows.map { wc in
            let w = e.windows[wc.number] ?? WindowState(number: wc.number)
            guard case var .object(o) = Render.window(w, current: w.current.flatMap { e.live[$0] }) else {
                return .null
            }
            o["services"] = .array(wc.services.map { .string($0) })
            return .object(o)
        }
        let dispensing = e.dispensing(at: now)
        let hall: JSONValue = [
            "name": .string(e.config.name), "mode": .string(e.hallMode.rawValue), "dispensing": .bool(dispensing),
            "notice": dispensing ? .null : .string(e.config.texts.closed), "day": .string(e.calendar.day(now)),
            "time": .string(e.calendar.localTimestamp(now)),
        ]
        let today = e.calendar.day(now)
        let owing = e.workOrders.filter(\.state.owesRectification)
        let orders: JSONValue = [
            "open": .int(Int64(owing.count)), "overdue": .int(Int64(owing.filter { $0.overdue(today: today) }.count)),
        ]
        return ["hall": hall, "services": .array(services), "windows": .array(windows), "orders": orders]
    }

    /// Each window as `WindowView` has it now (the staff stream's `window_views`): its state
    /// (closed, paused, idle, calling, serving), the ticket in hand, and while a call flashes,
    /// until when.
    public static func windowViews(_ e: QueueEngine, now: Millis) -> JSONValue {
        .array(
            e.config.windows.map { wc in
                let v = WindowView.of(wc.number, in: e, now: now)
                return [
                    "window": .int(Int64(wc.number)), "state": .string(v.state.rawValue),
                    "ticket": .from(v.ticket?.label), "flashing_until": .from(v.flashingUntil.map(isoUTC)),
                ]
            })
    }

    /// `status` with `waiting: true`: every waiting ticket (at most 500), each queue in call order
    /// (services in config order, then the tickets transferred to each window).
    public static func waitingTickets(_ e: QueueEngine) -> JSONValue {
        var out: [JSONValue] = []
        func add(_ t: Ticket) {
            guard out.count < 500 else { return }
            out.append([
                "label": .string(t.label), "service": .string(t.service), "target_window": .from(t.targetWindow),
                "queued_at": .string(isoUTC(t.queuedAt)), "priority": .bool(t.priority),
                "green_channel": .bool(t.greenChannel), "booked": .bool(t.slotStart != nil),
                "slot_start": .from(t.slotStart.map(isoUTC)), "slot_end": .from(t.slotEnd.map(isoUTC)),
            ])
        }
        for s in e.config.services { e.waiting(service: s.id).forEach(add) }
        let transferred = e.live.values.filter { $0.state == .waiting && $0.targetWindow != nil }
        for t in transferred.sorted(by: QueueEngine.queueOrder) { add(t) }
        return .array(out)
    }

    /// `status` with `waiting: true`: the ticket in hand at each window, with its times (a
    /// window terminal shows how long it has been served).
    public static func inHand(_ e: QueueEngine) -> JSONValue {
        .array(
            e.config.windows.compactMap { wc -> JSONValue? in
                guard let id = e.windows[wc.number]?.current, let t = e.live[id] else { return nil }
                var o: [String: JSONValue] = [
                    "window": .int(Int64(wc.number)), "label": .string(t.label), "service": .string(t.service),
                    "state": .string(t.state.rawValue), "called_at": .from(t.windowCalledAt.map(isoUTC)),
                    "started_at": .from(t.startedAt.map(isoUTC)), "recalls": .int(Int64(t.recalls)),
                    "green_channel": .bool(t.greenChannel),
                ]
                // The window page lists the cases (办件) attached so far.
                if !t.cases.isEmpty { o["cases"] = .array(t.cases.map(Render.ticketCase)) }
                return .object(o)
            })
    }

    /// `services`: each service with its waiting count and the windows that serve it; with a
    /// quota (放号量), the walk-in tickets left in the period now and when the next one opens.
    public static func services(_ e: QueueEngine, now: Millis) -> JSONValue {
        .array(
            e.config.services.map { s in
                let eta = e.wait(service: s.id, ahead: e.waitingCount(service: s.id))
                var o: [String: JSONValue] = [
                    "id": .string(s.id), "name": .string(s.name), "waiting": .int(Int64(e.waitingCount(service: s.id))),
                    "eta_min": .int(Int64(eta.minutes.median)), "eta_range_min": Render.range(eta),
                    "windows": .array(
                        e.config.windows.filter { $0.services.contains(s.id) }.map { .int(Int64($0.number)) }),
                ]
                // Only where it is on: a service that issues priority (绿色通道) tickets.
                if s.priority { o["priority"] = true }
                if !s.quota.isEmpty {
                    o.merge(Render.quota(s.id, e, now: now)) { _, b in b }
                    o["quota"] = .from(e.quota(service: s.id, at: now).map { Int64($0.period.tickets) })
                }
                return .object(o)
            })
    }

    /// A service's quota (放号量) now: the walk-in tickets left in the period running (null
    /// outside every period), that period, and when the next starts today (`services` and the
    /// board's `counts`).
    public static func quota(_ service: String, _ e: QueueEngine, now: Millis) -> [String: JSONValue] {
        let q = e.quota(service: service, at: now)
        return [
            "quota_left": .from(q.map { Int64($0.left) }), "quota_period": .from(q.map { $0.period.name }),
            "quota_next": .from(e.nextQuotaPeriod(service: service, at: now).map { QuotaPeriod.clock($0.start) }),
        ]
    }
}
