/// Bookings (预约) and quotas (放号量): importing the portal's bookings, checking a booked person
/// in, marking no-shows, and capping walk-in tickets per period (docs/BOOKINGS.md).
extension QueueEngine {
    // MARK: - Reads

    /// The booking a code names for a check-in now: the one whose check-in is open, else today's,
    /// else the nearest in time. nil for a code no booking has.
    public func booking(code: String, at now: Millis) -> Booking? {
        let rules = config.booking
        let matches = bookings.values.filter { $0.code == code }
        if let open = matches.first(where: { $0.state == .booked && rules.opens($0) <= now && now <= rules.closes($0) })
        {
            return open
        }
        let today = calendar.day(now)
        let todays = matches.filter { $0.day == today }
        return (todays.isEmpty ? matches : todays).min { abs($0.slotStart - now) < abs($1.slotStart - now) }
    }

    /// The booking a person (the ID card on a kiosk's reader) may check in for now: sent with
    /// their ID number, not yet checked in, inside its check-in window (the earliest slot first).
    public func booking(person key: String, at now: Millis) -> Booking? {
        let rules = config.booking
        return bookings.values.filter {
            $0.person == key && $0.state == .booked && rules.opens($0) <= now && now <= rules.closes($0)
        }.min { ($0.slotStart, $0.ref) < ($1.slotStart, $1.ref) }
    }

    /// Bookings of a day (YYYY-MM-DD) the engine holds, by slot: yesterday's and later.
    public func bookings(day: String) -> [Booking] {
        bookings.values.filter { $0.day == day }.sorted { ($0.slotStart, $0.ref) < ($1.slotStart, $1.ref) }
    }

    /// When the next booking nobody checked in for becomes a no-show.
    public func nextNoShow() -> Millis? {
        bookings.values.filter { $0.state == .booked }.map { config.booking.closes($0) }.min()
    }

    /// Whether `expireBookings` has work now: a no-show due, or a day the engine no longer needs
    /// to hold (what the sweeper asks before committing anything).
    public func bookingsDue(at now: Millis) -> Bool {
        if let due = nextNoShow(), due < now { return true }
        let oldest = calendar.day(now - 86_400_000)
        return bookings.values.contains { $0.day < oldest }
    }

    /// The quota period a walk-in take for `service` falls in now, and the tickets left in it;
    /// nil when the service has no quota or now is outside every period (not capped then).
    public func quota(service: String, at now: Millis) -> (period: QuotaPeriod, left: Int)? {
        guard let svc = config.service(service) else { return nil }
        let minute = calendar.weekdayAndMinute(now).minute
        guard let p = svc.quota.first(where: { $0.start <= minute && minute < $0.end }) else { return nil }
        let taken =
            calendar.day(now) == walkInsDay ? (walkIns[service] ?? []).filter { p.start <= $0 && $0 < p.end }.count : 0
        return (p, max(0, p.tickets - taken))
    }

    /// The next quota period of `service` that starts later today.
    public func nextQuotaPeriod(service: String, at now: Millis) -> QuotaPeriod? {
        let minute = calendar.weekdayAndMinute(now).minute
        return config.service(service)?.quota.filter { $0.start > minute }.min { $0.start < $1.start }
    }

    // MARK: - The quota

    /// A walk-in take past its period's quota is refused, saying when the next period opens.
    func checkQuota(_ svc: ServiceConfig, at now: Millis) throws(HallError) {
        guard let (p, left) = quota(service: svc.id, at: now), left == 0 else { return }
        if let next = nextQuotaPeriod(service: svc.id, at: now) {
            throw HallError(
                .quotaExhausted,
                "service \(svc.id) has issued its \(p.tickets) walk-in tickets for \(p.name); the next period opens at \(QuotaPeriod.clock(next.start))"
            )
        }
        throw HallError(
            .quotaExhausted,
            "service \(svc.id) has issued its \(p.tickets) walk-in tickets for \(p.name); no more today")
    }

    mutating func countWalkIn(_ service: String, at now: Millis) {
        let day = calendar.day(now)
        if walkInsDay != day {
            walkIns = [:]
            walkInsDay = day
        }
        walkIns[service, default: []].append(calendar.weekdayAndMinute(now).minute)
    }

    // MARK: - Import

    /// Adds, updates and cancels bookings by `ref`; each input gets a result, in order. A booking
    /// already checked in or marked no-show keeps its state (the portal is told, not obeyed).
    mutating func book(_ inputs: [BookingInput], now: Millis, _ out: inout Effects) {
        var results: [BookingImportResult] = []
        let oldest = calendar.day(now - 86_400_000)
        for input in inputs {
            let result = bookOne(input, now: now, oldest: oldest, &out)
            results.append(result)
        }
        out.subject = .imported(results)
        // A booking whose check-in has closed already (sent late, or a past day) is a no-show now.
        expireBookings(now: now, &out)
    }

    private mutating func bookOne(
        _ input: BookingInput, now: Millis, oldest: String, _ out: inout Effects
    ) -> BookingImportResult {
        guard (1...64).contains(input.ref.count) else { return .refused("ref must be 1 to 64 characters") }
        guard config.service(input.service) != nil else {
            return .refused("no service \"\(input.service)\" is configured")
        }
        guard let start = calendar.instant(iso: input.slotStart), let end = calendar.instant(iso: input.slotEnd) else {
            return .refused("slot_start and slot_end must be ISO 8601 times (2026-12-03T09:00:00+08:00)")
        }
        guard end > start, end - start <= 86_400_000 else {
            return .refused("slot_end must be after slot_start, within a day")
        }
        guard BookingInput.validCode(input.code) else { return .refused("code must be 4 to 32 letters or digits") }
        if let n = input.nameMasked, !BookingInput.validMaskedName(n) {
            return .refused("name_masked must be a masked name (张*), never a full name")
        }
        let day = calendar.day(start)
        guard day >= oldest else { return .refused("the slot is before yesterday") }
        var b = Booking(
            ref: input.ref, service: input.service, day: day, slotStart: start, slotEnd: end, code: input.code,
            nameMasked: input.nameMasked, person: input.person, state: input.cancelled ? .cancelled : .booked,
            updatedAt: now)
        let result: BookingImportResult
        if let old = bookings[input.ref] {
            let samePortalFields = old.hasPortalFields(of: b)
            if old.state == .checkedIn || old.state == .noShow {
                guard samePortalFields, !input.cancelled else {
                    return .refused("the booking is already \(old.state.rawValue) and cannot change")
                }
                return .unchanged
            }
            guard !samePortalFields || old.state != b.state else { return .unchanged }
            result = b.state == .cancelled ? .cancelled : .updated
        } else {
            result = b.state == .cancelled ? .cancelled : .created
        }
        if b.state == .booked,
            let other = bookings.values.first(where: {
                $0.ref != b.ref && $0.code == b.code && $0.day == b.day && $0.state != .cancelled
            })
        {
            return .refused("code \(b.code) is booking \(other.ref)'s on \(b.day)")
        }
        b.updatedAt = now
        bookings[b.ref] = b
        out.bookings.append(b)
        out.events.append(bookingEvent(b, now: now, action: result.name))
        return result
    }

    func bookingEvent(_ b: Booking, now: Millis, action: String, ticket: Ticket? = nil) -> HallEvent {
        var e = event(
            .booking, now, ticket,
            [
                "ref": b.ref, "action": action, "state": b.state.rawValue,
                "slot_start": calendar.localTimestamp(b.slotStart), "slot_end": calendar.localTimestamp(b.slotEnd),
            ])
        e.service = b.service
        return e
    }

    // MARK: - Check-in

    /// The booked person is here: inside the check-in window their booking becomes a ticket that
    /// queues by its slot ahead of walk-ins (`booked_ratio`). Booked tickets do not count against
    /// the walk-in quota or the per-person limits (the portal applied its own).
    mutating func checkin(code: String, now: Millis, _ out: inout Effects) throws(HallError) {
        guard var b = booking(code: code, at: now) else {
            throw HallError(.bookingUnknown, "no booking has the code \(code)")
        }
        let rules = config.booking
        switch b.state {
        case .cancelled:
            throw HallError(.bookingCancelled, "booking \(b.ref) was cancelled")
        case .checkedIn:
            throw HallError(
                .alreadyCheckedIn,
                "booking \(b.ref) checked in at \(calendar.clock(b.checkedInAt ?? now)): ticket \(b.label ?? "?")")
        case .noShow:
            throw HallError(.tooLate, "check-in for booking \(b.ref) closed at \(calendar.clock(rules.closes(b)))")
        case .booked:
            if now < rules.opens(b) {
                throw HallError(
                    .tooEarly,
                    "check-in for the \(calendar.clock(b.slotStart))–\(calendar.clock(b.slotEnd)) slot on \(b.day) opens at \(calendar.clock(rules.opens(b)))"
                )
            }
            if now > rules.closes(b) {
                throw HallError(.tooLate, "check-in for booking \(b.ref) closed at \(calendar.clock(rules.closes(b)))")
            }
        }
        guard hallMode != .closed else { throw HallError(.hallClosed, "tickets are not being issued now") }
        guard let svc = config.service(b.service) else { throw .unknownService(b.service) }
        let t = try issue(
            svc, key: nil, priority: false, person: b.person, booking: b, now: now,
            ["booked": "true", "booking": b.ref], &out)
        b.state = .checkedIn
        b.ticketId = t.id
        b.label = t.label
        b.checkedInAt = now
        b.updatedAt = now
        bookings[b.ref] = b
        out.bookings.append(b)
        out.events.append(bookingEvent(b, now: now, action: "checkin", ticket: t))
    }

    // MARK: - No-shows

    /// Bookings whose check-in has closed without the person become no-shows (one event each);
    /// bookings older than yesterday leave memory (the store keeps them).
    mutating func expireBookings(now: Millis, _ out: inout Effects) {
        let rules = config.booking
        for var b in bookings.values.sorted(by: { ($0.slotStart, $0.ref) < ($1.slotStart, $1.ref) })
        where b.state == .booked && now > rules.closes(b) {
            b.state = .noShow
            b.updatedAt = now
            bookings[b.ref] = b
            out.bookings.append(b)
            out.events.append(bookingEvent(b, now: now, action: "no_show"))
        }
        let oldest = calendar.day(now - 86_400_000)
        bookings = bookings.filter { $0.value.day >= oldest || $0.value.state == .booked }
    }
}
