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
        return ["hall": hall, "services": .array(services), "windows": .array(windows)]
    }

    /// `services`: each service with its waiting count and the windows that serve it.
    public static func services(_ e: QueueEngine) -> JSONValue {
        .array(
            e.config.services.map { s in
                [
                    "id": .string(s.id), "name": .string(s.name), "waiting": .int(Int64(e.waitingCount(service: s.id))),
                    "windows": .array(
                        e.config.windows.filter { $0.services.contains(s.id) }.map { .int(Int64($0.number)) }),
                ]
            })
    }
}
