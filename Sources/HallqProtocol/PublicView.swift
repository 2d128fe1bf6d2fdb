import HallqCore

/// What the public sees (the lobby board, a ticket's status page, their event stream), rendered
/// from the committed queue. *Stable* field names (docs/HTTP.md). Nothing here names a clerk or
/// carries anything about a person: tickets appear by label only.
public enum PublicView {
    /// A window as the board shows it: closed (nobody signed in), paused, idle, calling or serving.
    /// (`WindowView`'s state; the tile's flash is timed by the board from the call's time and
    /// `call_hold_s`, the view's rule.)
    public static func window(_ n: Int, _ e: QueueEngine) -> JSONValue {
        let v = WindowView.of(n, in: e, now: nil)
        let current = v.ticket
        var o: [String: JSONValue] = [
            "window": .int(Int64(n)), "state": .string(v.state.rawValue), "ticket": .from(current?.label),
        ]
        // A priority (绿色通道) ticket is marked on the board.
        if current?.greenChannel == true { o["green_channel"] = true }
        return .object(o)
    }

    /// Every service: waiting count and the estimated wait of a ticket taken now; for a service
    /// with a quota (放号量), the walk-in tickets left in the period now and when the next opens.
    public static func services(_ e: QueueEngine, now: Millis) -> JSONValue {
        .array(
            e.config.services.map { s in
                let waiting = e.waitingCount(service: s.id)
                let eta = e.wait(service: s.id, ahead: waiting)
                var o: [String: JSONValue] = [
                    "id": .string(s.id), "name": .string(s.name), "waiting": .int(Int64(waiting)),
                    "eta_min": .int(Int64(eta.minutes.median)), "eta_range_min": Render.range(eta),
                ]
                if !s.quota.isEmpty { o.merge(Render.quota(s.id, e, now: now)) { _, b in b } }
                return .object(o)
            })
    }

    /// Whether tickets are being issued now, and the notice shown when not.
    public static func hall(_ e: QueueEngine, now: Millis) -> JSONValue {
        let dispensing = e.dispensing(at: now)
        return [
            "name": .string(e.config.name), "mode": .string(e.hallMode.rawValue), "dispensing": .bool(dispensing),
            "notice": dispensing ? .null : .string(e.config.texts.closed),
        ]
    }

    public static func call(_ c: RecentCalls.Call, runID: String) -> JSONValue {
        [
            "id": .string(eventID(runID, c.seq)), "ticket": .string(c.label), "window": .int(Int64(c.window)),
            "service": .from(c.service), "recall": .bool(c.recall), "at": .string(isoUTC(c.at)),
        ]
    }

    /// The whole board: what a (re)connecting board or status page starts from.
    public static func board(
        _ e: QueueEngine, calls: RecentCalls, now: Millis, runID: String, lastSeq: Int64, voice: Bool,
        heartbeatSeconds: Double
    ) -> JSONValue {
        // Boards may play each call (`/api/announcements/<id>.wav`), dropping any older than this.
        let voiceInfo: JSONValue =
            voice ? ["max_backlog_s": .from(e.config.voice?.maxBacklogSeconds ?? 20)] : .null
        return [
            "id": .string(eventID(runID, lastSeq)), "now": .int(now),
            "utc_offset_s": .int(e.calendar.offset(at: now) / 1000),
            "hall": hall(e, now: now), "services": services(e, now: now),
            "windows": .array(e.config.windows.map { window($0.number, e) }),
            "calls": .array(calls.calls.map { call($0, runID: runID) }), "recent": .int(Int64(calls.limit)),
            "scroll": .string(e.config.lobby?.scroll ?? ""), "call_hold_s": .int(Int64(e.config.callHoldSeconds)),
            "heartbeat_s": .from(heartbeatSeconds), "call_text": .string(e.config.texts.call),
            "voice": voiceInfo,
        ]
    }

    /// A ticket for its own status page: where it is, how many are ahead, the estimate, and
    /// whether it may be rated now.
    public static func ticket(_ t: Ticket, _ e: QueueEngine, now: Millis) -> JSONValue {
        let live = e.live[t.id] ?? t
        let ahead = live.state == .waiting ? e.ahead(of: live) : 0
        let rateUntil = live.finishedAt.map { $0 + Millis(e.config.queue.ratingSeconds) * 1000 }
        let first =
            live.state == .done && live.rating == nil && live.outcome != .noshow && live.outcome != .cancelled
            && rateUntil.map { now <= $0 } == true
        // After a bad rating's return visit, once more (评价次数 2).
        let again = e.secondRatingOrder(live.id, now: now)
        let ratable = first || again != nil
        return [
            "ticket": .string(live.label), "day": .string(live.day), "service": .string(live.service),
            "service_name": .string(e.config.service(live.service)?.name ?? live.service),
            "issued_at": .string(isoUTC(live.issuedAt)), "state": .string(live.state.rawValue),
            "outcome": .from(live.outcome?.rawValue), "window": .from(live.state == .waiting ? nil : live.window),
            "ahead": .int(Int64(ahead)),
            "eta_min": live.state == .waiting ? .int(Int64(e.wait(for: live).minutes.median)) : .null,
            "eta_range_min": live.state == .waiting ? Render.range(e.wait(for: live)) : .null,
            // The visitor's latest word: a second rating after the return visit, else the first.
            "rating": .from(
                e.orders.values.first { $0.ticketId == live.id && $0.secondLevel != nil }?.secondLevel ?? live.rating),
            "can_rate": .bool(ratable),
            "rate_until": .from(first ? rateUntil.map(isoUTC) : again?.secondUntil.map(isoUTC)),
            "rate_count": .int(again != nil ? 2 : 1), "cases": .int(Int64(live.cases.count)),
        ]
    }

    /// The 好差评 levels, best first, for the rating form.
    public static var ratingLevels: JSONValue {
        .array(
            Rating.levels.map {
                [
                    "score": .int(Int64($0.score)), "name": .string($0.name), "english": .string($0.english),
                    "reason": .bool($0.score < Rating.reasonBelow),
                ]
            })
    }

    /// The evaluation-content options (评价内容) per level, for the rating forms.
    public static func ratingContents(_ rules: RatingRules) -> JSONValue {
        .array(
            rules.contents.map {
                ["level": .int(Int64($0.level)), "code": .string($0.code), "text": .string($0.text)]
            })
    }

    /// An event id: the daemon run and the sequence number within it ("k3x9a-42"), so a board
    /// that reconnects to a restarted hallqd is not taken for one that missed a few events.
    public static func eventID(_ runID: String, _ seq: Int64) -> String { "\(runID)-\(seq)" }
}
