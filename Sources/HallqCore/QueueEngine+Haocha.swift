/// 好差评 with cases (docs/HAOCHA.md): cases attached to a visit, one rating record per case,
/// and the work order every bad rating opens.
extension QueueEngine {
    // MARK: - Reads

    /// Work orders the engine holds, newest first: every one not closed, and closed ones still
    /// open to a second rating.
    public var workOrders: [WorkOrder] { orders.values.sorted { $0.id > $1.id } }

    /// Orders whose rectification deadline has passed, today.
    public func overdueOrders(at now: Millis) -> [WorkOrder] {
        let today = calendar.day(now)
        return workOrders.filter { $0.overdue(today: today) }
    }

    /// The order whose return visit allows this ticket a second rating now, if any.
    public func secondRatingOrder(_ ticketId: Int64, now: Millis) -> WorkOrder? {
        orders.values.first {
            $0.ticketId == ticketId && $0.secondLevel == nil && ($0.secondUntil ?? 0) >= now
                && ($0.state == .revisited || $0.state == .closed)
        }
    }

    // MARK: - Commands

    /// A case for the ticket in hand at window `n` or, when the business system creates the case
    /// number at completion, for the ticket the window just finished (while it can be rated and
    /// is not yet). The same case number again replaces that case (a retry, a correction).
    mutating func attach(_ c: TicketCase, window n: Int, now: Millis, _ out: inout Effects) throws(HallError) {
        guard let w = windows[n] else { throw .unknownWindow(n) }
        guard TicketCase.validIdentifier(c.caseNo, max: 50) else {
            throw .badRequest("case_no must be 1 to 50 letters, digits or -_./")
        }
        if let code = c.itemCode, !TicketCase.validIdentifier(code, max: 64) {
            throw .badRequest("item_code must be 1 to 64 letters, digits or -_./")
        }
        if let dept = c.deptCode, !TicketCase.validIdentifier(dept, max: 18) {
            throw .badRequest("dept_code must be the department's 18-character unified credit code")
        }
        var t: Ticket
        if let id = w.current, let inHand = live[id] {
            t = inHand
        } else if let last = lastFinished[n], let f = last.finishedAt,
            now - f <= Millis(config.queue.ratingSeconds) * 1000, last.rating == nil, rated[last.id] == nil
        {
            t = last
        } else {
            throw .noActiveTicket(n)
        }
        var added = c
        added.at = now
        if let i = t.cases.firstIndex(where: { $0.caseNo == c.caseNo }) {
            t.cases[i] = added
        } else {
            guard t.cases.count < TicketCase.maxPerTicket else {
                throw .badRequest("a ticket carries at most \(TicketCase.maxPerTicket) cases")
            }
            t.cases.append(added)
        }
        if live[t.id] != nil { live[t.id] = t } else { lastFinished[n] = t }
        out.touch(t)
        var d = ["case_no": c.caseNo]
        if let code = c.itemCode { d["item_code"] = code }
        out.events.append(event(.caseAttached, now, t, window: n, clerk: w.clerk ?? t.clerk, d))
        out.subject = .ticket(t)
    }

    /// The `rate` event, one rating record per case of the rated ticket, and the work order a
    /// rating of 1–2 opens (its `order` event after the `rate` event).
    mutating func recordRating(
        _ t: Ticket, _ input: RatingInput, count: Int, window: Int?, now: Millis, details: [String: String],
        _ out: inout Effects
    ) {
        var details = details
        details["channel"] = input.channel.rawValue
        if !input.contents.isEmpty { details["contents"] = input.contents.joined(separator: ",") }
        var ids: [String] = []
        for c in t.cases {
            lastRatingId += 1
            ids.append(String(lastRatingId))
            out.caseRatings.append(
                CaseRating(
                    id: lastRatingId, ticketId: t.id, label: t.label, day: t.day, service: t.service, window: t.window,
                    clerk: t.clerk, case: c, level: input.score, channel: input.channel, contents: input.contents,
                    text: input.reason, at: now, count: count))
        }
        if !ids.isEmpty { details["ratings"] = ids.joined(separator: ",") }
        details["count"] = String(count)
        guard input.score <= 2 else {
            out.events.append(event(.rate, now, t, window: window ?? t.window, clerk: t.clerk, details))
            return
        }
        lastOrderId += 1
        let due = config.workingCalendar.adding(workingDays: config.rating.rectifyDays, to: calendar.day(now))
        let o = WorkOrder(
            id: lastOrderId, ticket: t, level: input.score, contents: input.contents, reason: input.reason,
            caseNos: t.cases.map(\.caseNo), ratedAt: now, due: due)
        orders[o.id] = o
        out.orders.append(o)
        details["order"] = String(o.id)
        out.events.append(event(.rate, now, t, window: window ?? t.window, clerk: t.clerk, details))
        out.events.append(
            event(
                .order, now, t, window: t.window, clerk: t.clerk,
                ["order": String(o.id), "action": "open", "state": "open", "due": due]))
    }

    /// The second rating (评价次数 2), once, after the return visit: recorded per case like the
    /// first; the ticket keeps its first rating for the hall's statistics.
    mutating func rateAgain(
        _ t: Ticket, _ input: RatingInput, order: WorkOrder, now: Millis, _ out: inout Effects
    ) throws(HallError) {
        try config.rating.check(
            contents: input.contents, level: input.score,
            required: !t.cases.isEmpty && (input.channel == .qr || input.channel == .window))
        var o = order
        o.secondLevel = input.score
        o.updatedAt = now
        orders[o.id] = o
        out.orders.append(o)
        recordRating(
            t, input, count: 2, window: nil, now: now,
            details: ["score": String(input.score), "source": "status_page"],
            &out)
        out.subject = .ticket(t)
    }

    mutating func updateOrder(
        _ id: Int64, _ change: WorkOrder.Change, by actor: WorkOrder.Actor, note: String?, now: Millis,
        _ out: inout Effects
    ) throws(HallError) {
        guard let o = orders[id] else {
            throw HallError(.unknownOrder, "no open work order \(id)")
        }
        let next = try o.applying(
            change, by: actor, note: note, now: now, today: calendar.day(now), secondDays: config.rating.secondDays)
        orders[id] = next
        // A closed order leaves memory once no second rating can follow.
        if next.state == .closed, (next.secondUntil ?? 0) < now || next.secondLevel != nil { orders[id] = nil }
        out.orders.append(next)
        var d = ["order": String(id), "action": change.action, "state": next.state.rawValue]
        if let note, !note.isEmpty { d["note"] = String(note.prefix(WorkOrder.maxNote)) }
        if next.due != o.due { d["due"] = next.due }
        if case let .claimInvalid(why) = change { d["reason"] = why.rawValue }
        if case let .revisit(contact, _, satisfied) = change {
            d["contact"] = contact.rawValue
            d["satisfied"] = satisfied ? "true" : "false"
        }
        var e = HallEvent(
            type: .order, at: now, day: calendar.day(now), window: o.window, clerk: o.clerk, details: d)
        e.ticketId = o.ticketId
        e.label = o.label
        e.service = o.service
        out.events.append(e)
        out.subject = .order(next)
    }
}

extension WorkOrder {
    /// The longest note kept, in characters.
    public static let maxNote = 500
}
