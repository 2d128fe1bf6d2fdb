import HallqCentral
import HallqCore
import HallqProtocol

/// The relay to the province's PostgreSQL (`[central]`, docs/CENTRAL.md) as `status`, `devices`
/// and the relay's own pulse see it.
extension Dispatcher {
    func centralState() -> JSONValue? {
        let s = relay.current
        guard s.configured else { return nil }
        return Render.central(s)
    }

    /// The hall's live figures for the province's dashboard, from the committed queue: per
    /// service how many wait and the longest wait, per window its state and ticket. Labels and
    /// numbers only: no clerk, no visitor.
    static func pulse(_ e: QueueEngine, now: Millis) -> CentralIngest.Pulse {
        let waiting = e.live.values.filter { $0.state == .waiting }
        func seconds(_ t: Ticket) -> Int { max(0, Int((now - t.queuedAt) / 1000)) }
        let services: [JSONValue] = e.config.services.map { s in
            let mine = waiting.filter { $0.service == s.id }
            return [
                "id": .string(s.id), "name": .string(s.name), "waiting": .int(Int64(mine.count)),
                "longest_wait_s": .int(Int64(mine.map(seconds).max() ?? 0)),
            ]
        }
        let windows: [JSONValue] = e.config.windows.map { wc in
            let w = e.windows[wc.number] ?? WindowState(number: wc.number)
            let t = w.current.flatMap { e.live[$0] }
            let state: String
            if w.clerk == nil {
                state = "closed"
            } else if w.paused {
                state = "paused"
            } else if let t {
                state = t.state == .serving ? "serving" : "calling"
            } else {
                state = "idle"
            }
            return ["number": .int(Int64(wc.number)), "state": .string(state), "ticket": .from(t?.label)]
        }
        return CentralIngest.Pulse(
            waiting: waiting.count, longestWaitSeconds: waiting.map(seconds).max() ?? 0,
            detail: JSONValue.object(["services": .array(services), "windows": .array(windows)]).text)
    }
}

extension Render {
    public static func central(_ s: CentralRelay.State) -> JSONValue {
        [
            "hall_id": .from(s.hallId), "url": .from(s.url), "connected": .bool(s.connected),
            "lag_events": .int(Int64(s.lagEvents)), "lag_s": .int(Int64(s.lagSeconds)), "last_seq": .int(s.lastSeq),
            "sent_events": .int(Int64(s.sentEvents)), "last_sent_at": .from(s.lastSentAt.map(isoUTC)),
            "last_error": .from(s.lastError), "last_error_at": .from(s.lastErrorAt.map(isoUTC)),
        ]
    }
}
