import HallqCore

/// Domain values as they appear on the wire (*stable* field names, docs/PROTOCOL.md).
public enum Render {
    /// A wait's band in whole minutes, `[low, high]` (`eta_range_min`).
    public static func range(_ r: WaitRange) -> JSONValue {
        let m = r.minutes
        return .array([.int(Int64(m.low)), .int(Int64(m.high))])
    }

    public static func ticket(_ t: Ticket) -> JSONValue {
        var o: [String: JSONValue] = [
            "label": .string(t.label), "service": .string(t.service), "issued_service": .string(t.issuedService),
            "number": .int(Int64(t.number)), "day": .string(t.day), "issued_at": .string(isoUTC(t.issuedAt)),
            "queued_at": .string(isoUTC(t.queuedAt)), "state": .string(t.state.rawValue),
            "window": .from(t.window), "target_window": .from(t.targetWindow), "clerk": .from(t.clerk),
            "called_at": .from(t.windowCalledAt.map(isoUTC)), "started_at": .from(t.startedAt.map(isoUTC)),
            "finished_at": .from(t.finishedAt.map(isoUTC)), "outcome": .from(t.outcome?.rawValue),
            "recalls": .int(Int64(t.recalls)), "transfers": .int(Int64(t.transfers)), "noshows": .int(Int64(t.noshows)),
            "print": .string(t.printStatus.rawValue), "print_error": .from(t.printError), "rating": .from(t.rating),
            "rating_reason": .from(t.ratingReason),
        ]
        // Only on priority (绿色通道) tickets, so the shape of every other ticket stays as shipped.
        if t.greenChannel { o["green_channel"] = true }
        // Only on booked (预约) tickets, likewise.
        if let start = t.slotStart, let end = t.slotEnd {
            o["booked"] = true
            o["booking"] = .from(t.bookingRef)
            o["slot_start"] = .string(isoUTC(start))
            o["slot_end"] = .string(isoUTC(end))
        }
        // Only on tickets with cases (办件), likewise.
        if !t.cases.isEmpty { o["cases"] = .array(t.cases.map(ticketCase)) }
        return .object(o)
    }

    public static func ticketCase(_ c: TicketCase) -> JSONValue {
        [
            "case_no": .string(c.caseNo), "item_code": .from(c.itemCode), "item_name": .from(c.itemName),
            "dept_code": .from(c.deptCode), "kind": .from(c.kind?.rawValue), "at": .string(isoUTC(c.at)),
        ]
    }

    /// A work order (差评工单) as `orders` and `order` show it; times in the hall's zone.
    public static func order(_ o: WorkOrder, calendar: HallCalendar, today: String) -> JSONValue {
        [
            "order": .int(o.id), "ticket": .string(o.label), "day": .string(o.day), "service": .string(o.service),
            "window": .from(o.window), "clerk": .from(o.clerk), "level": .int(Int64(o.level)),
            "level_name": .from(Rating.name(o.level)), "contents": .array(o.contents.map { .string($0) }),
            "reason": .from(o.reason), "cases": .array(o.caseNos.map { .string($0) }),
            "rated_at": .string(calendar.localTimestamp(o.ratedAt)), "state": .string(o.state.rawValue),
            "state_name": .string(o.state.chinese), "valid": .from(o.valid), "due": .string(o.due),
            "overdue": .bool(o.overdue(today: today)), "claimant": .from(o.claimant),
            "claim_reason": .from(o.claimReason), "revisit_contact": .from(o.revisitContact?.rawValue),
            "revisit_result": .from(o.revisitResult), "revisit_satisfied": .from(o.revisitSatisfied),
            "note": .from(o.note), "updated_at": .string(calendar.localTimestamp(o.updatedAt)),
            "closed_at": .from(o.closedAt.map(calendar.localTimestamp)), "second_level": .from(o.secondLevel),
        ]
    }

    /// One case rating in an export profile: the profile's field names, in its order.
    public static func haochaRecord(
        _ r: CaseRating, profile: HaochaProfile, region: String, hall: String, calendar: HallCalendar
    ) -> [(String, JSONValue)] {
        profile.record(r, region: region, hall: hall, calendar: calendar).map { name, v in
            switch v {
            case let .text(s): return (name, .string(s))
            case let .number(n): return (name, .int(Int64(n)))
            }
        }
    }

    /// A booking as `bookings` lists it: times in the hall's zone with their offset.
    public static func booking(_ b: Booking, calendar: HallCalendar) -> JSONValue {
        [
            "ref": .string(b.ref), "service": .string(b.service), "day": .string(b.day),
            "slot_start": .string(calendar.localTimestamp(b.slotStart)),
            "slot_end": .string(calendar.localTimestamp(b.slotEnd)), "code": .string(b.code),
            "name_masked": .from(b.nameMasked), "state": .string(b.state.rawValue), "ticket": .from(b.label),
            "checked_in_at": .from(b.checkedInAt.map(calendar.localTimestamp)),
            "updated_at": .string(calendar.localTimestamp(b.updatedAt)),
        ]
    }

    public static func window(_ w: WindowState, current: Ticket?) -> JSONValue {
        [
            "window": .int(Int64(w.number)), "clerk": .from(w.clerk), "paused": .bool(w.paused),
            "ticket": .from(current?.label), "ticket_state": .from(current?.state.rawValue),
        ]
    }

    /// With a calendar, `local` carries the hall's wall-clock time next to the UTC `at`.
    public static func event(
        _ e: HallEvent, role: String? = nil, uid: Int? = nil, account: String? = nil, client: String? = nil,
        calendar: HallCalendar? = nil
    ) -> JSONValue {
        var o: [String: JSONValue] = [
            "type": "event", "event": .string(e.type.rawValue), "at": .string(isoUTC(e.at)), "day": .string(e.day),
            "ticket": .from(e.label), "service": .from(e.service), "window": .from(e.window), "clerk": .from(e.clerk),
        ]
        if !e.details.isEmpty { o["details"] = .object(e.details.mapValues { .string($0) }) }
        if let calendar { o["local"] = .string(calendar.localTimestamp(e.at)) }
        if let role { o["role"] = .string(role) }
        if let uid { o["uid"] = .int(Int64(uid)) }
        if let account { o["account"] = .string(account) }
        if let client { o["client"] = .string(client) }
        return .object(o)
    }

    public static func summary(_ d: DurationSummary) -> JSONValue {
        [
            "count": .int(Int64(d.count)), "mean_s": .from(d.mean), "median_s": .from(d.median), "p90_s": .from(d.p90),
            "max_s": .from(d.max),
        ]
    }

    /// `{"5": n, "4": n, … "1": n}`: how many ratings at each 好差评 level.
    public static func ratingLevels(_ l: RatingLevels) -> JSONValue {
        .object(Dictionary(uniqueKeysWithValues: Rating.scores.map { (String($0), .int(Int64(l[$0]))) }))
    }

    public static func stats(_ r: StatsRow) -> JSONValue {
        [
            "key": .string(r.key), "issued": .int(Int64(r.issued)), "served": .int(Int64(r.served)),
            "noshows": .int(Int64(r.noshows)), "transferred": .int(Int64(r.transferred)),
            "other_ends": .int(Int64(r.otherEnds)),
            "wait": summary(r.wait), "service": summary(r.service), "ratings": .int(Int64(r.ratings)),
            "rating_mean": .from(r.ratingMean), "rating_levels": ratingLevels(r.ratingLevels),
        ]
    }
}
