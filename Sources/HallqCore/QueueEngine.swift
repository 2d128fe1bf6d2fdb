import Foundation

/// The queue: pure state and rules, no I/O, no clock.
///
/// `apply` mutates a value; the server applies each command to a *copy*, has the store commit the
/// returned `Effects`, and only then keeps the copy. So a failed commit leaves the live queue as
/// it was, and an acknowledged operation is always one the store has.
public struct QueueEngine: Sendable {
    public private(set) var config: HallConfig
    public let calendar: HallCalendar
    /// Tickets not yet done: waiting, called or serving, with each queue in call order.
    public internal(set) var live: LiveTickets
    public private(set) var windows: [Int: WindowState]
    public private(set) var hallMode: HallMode
    /// Last number issued per "day|service".
    private var counters: [String: Int]
    private var keys: [String: (ticketId: Int64, at: Millis, mono: MonoStamp?, ticket: Ticket)]
    /// The last ticket each window finished, for the satisfaction keypad.
    var lastFinished: [Int: Ticket]
    /// Tickets rated since start, by id, with when they finished: a second rating of a ticket is
    /// refused even while the store's copy of it (which the status page reads) is not yet rated.
    var rated: [Int64: Millis] = [:]
    /// Recent service times in seconds per service, newest last, for estimates.
    private var durations: [String: [Double]]
    private var lastId: Int64
    /// The last queue position handed out (`Ticket.queueSeq`).
    private var lastQueueSeq: Int64
    /// Tickets taken on `personDayOf` per person key (`[queue] per_person_day`); a take on a
    /// new day starts the count again.
    private var personDay: [String: Int]
    private var personDayOf: String
    /// The monotonic reading of the command being applied, if the caller has one.
    private var mono: MonoStamp?
    /// Priority tickets each window has called in a row (`[queue] priority_ratio`). Kept in
    /// memory only: after a restart a window starts counting again.
    private var priorityStreak: [Int: Int] = [:]
    /// Checked-in booked tickets each window has called in a row (`[queue] booked_ratio`);
    /// priority calls leave it as it is, a walk-in's call ends it. In memory only, like the above.
    var bookedStreak: [Int: Int] = [:]
    /// Bookings by `ref`: yesterday's, today's and those ahead (older ones stay in the store).
    public internal(set) var bookings: [String: Booking]
    /// Minutes of the day (local) at which walk-in tickets were issued on `walkInsDay`, per
    /// service: what the quota (放号量) counts. Rebuilt from the store on start.
    var walkIns: [String: [Int]]
    var walkInsDay: String
    /// Per service: how calls ended (no-shows, transfers) and when tickets arrived; across the
    /// hall: pauses. For the look-ahead; in memory only (relearnt after a restart).
    public private(set) var observations: [String: ServiceObservations] = [:]
    public private(set) var pauses = PauseObservations()
    /// Bad-rating work orders (差评工单) still being worked, and closed ones whose visitor may
    /// still rate a second time; older ones stay in the store.
    public internal(set) var orders: [Int64: WorkOrder]
    /// The last case-rating and work-order ids handed out.
    var lastRatingId: Int64
    var lastOrderId: Int64
    /// The look-ahead's latest result (`WaitEstimator`), set by whoever runs it; nil until then
    /// (estimates then come from the old formula). Not part of the durable state.
    public var estimates: WaitEstimator.Estimates?

    static let durationsKept = 20

    public init(config: HallConfig, snapshot: Snapshot = .init()) {
        self.config = config
        self.calendar = HallCalendar(timeZone: .init(identifier: config.timeZone) ?? .current)
        self.live = LiveTickets(snapshot.live)
        var ws: [Int: WindowState] = [:]
        for w in config.windows { ws[w.number] = WindowState(number: w.number) }
        for w in snapshot.windows where ws[w.number] != nil { ws[w.number] = w }
        self.windows = ws
        self.hallMode = snapshot.hallMode
        self.counters = snapshot.counters
        self.keys = [:]
        for t in snapshot.keyed { if let k = t.key { keys[k] = (t.id, t.issuedAt, nil, t) } }
        self.lastFinished = snapshot.lastFinished
        self.durations = snapshot.durations
        self.lastId = snapshot.lastTicketId
        self.lastQueueSeq = snapshot.lastQueueSeq
        self.personDay = snapshot.personDay
        self.personDayOf = snapshot.personDayOf
        self.bookings = Dictionary(snapshot.bookings.map { ($0.ref, $0) }, uniquingKeysWith: { _, b in b })
        let cal = calendar
        self.walkIns = snapshot.walkIns.mapValues { $0.map { cal.weekdayAndMinute($0).minute } }
        self.walkInsDay = snapshot.walkInsDay
        self.orders = Dictionary(snapshot.orders.map { ($0.id, $0) }, uniquingKeysWith: { _, o in o })
        self.lastRatingId = snapshot.lastRatingId
        self.lastOrderId = snapshot.lastOrderId
    }

    /// What the store hands back on start to rebuild the live queue exactly.
    public struct Snapshot: Sendable, Equatable {
        public var live: [Ticket] = []
        public var windows: [WindowState] = []
        public var hallMode: HallMode = .auto
        public var counters: [String: Int] = [:]
        /// Tickets issued with an idempotency key recently enough to matter.
        public var keyed: [Ticket] = []
        public var lastFinished: [Int: Ticket] = [:]
        public var durations: [String: [Double]] = [:]
        public var lastTicketId: Int64 = 0
        public var lastQueueSeq: Int64 = 0
        /// Tickets taken on `personDayOf` (the day of the snapshot) per person key.
        public var personDay: [String: Int] = [:]
        public var personDayOf = ""
        /// Bookings from yesterday on.
        public var bookings: [Booking] = []
        /// When each walk-in ticket of `walkInsDay` was issued, per service (the quota).
        public var walkIns: [String: [Millis]] = [:]
        public var walkInsDay = ""
        /// Work orders not closed, and closed ones still open to a second rating.
        public var orders: [WorkOrder] = []
        public var lastRatingId: Int64 = 0
        public var lastOrderId: Int64 = 0
        public init() {}
    }

    public static func counterKey(day: String, service: String) -> String { "\(day)|\(service)" }

    // MARK: - Reads

    /// Waiting tickets in call order for a service queue.
    public func waiting(service: String) -> [Ticket] { live.waiting(service: service) }

    /// Tickets waiting in every queue: the hall's headline number (systemd status, logs).
    public var waitingTotal: Int { live.waitingTotal }

    public func waitingCount(service: String) -> Int { live.waitingCount(service: service) }

    /// Whether the kiosk may issue tickets now: the admin's override, else the opening hours.
    public func dispensing(at now: Millis) -> Bool {
        switch hallMode {
        case .open: return true
        case .closed: return false
        case .auto:
            guard let hours = config.hours else { return true }
            let (wd, m) = calendar.weekdayAndMinute(now)
            return hours.dispensing(weekday: wd, minute: m)
        }
    }

    /// Waiting tickets ahead of `t` in its queue.
    public func ahead(of t: Ticket) -> Int { live.ahead(of: t) }

    /// The old estimate, kept as the baseline the look-ahead is measured against (eta-replay):
    /// minutes until a ticket with `ahead` people before it is called, as mean recent service
    /// time × people ahead ÷ windows serving that service now (signed in, not paused; if none
    /// are, all windows configured for it), rounded up.
    public func etaMinutes(service: String, ahead: Int) -> Int {
        Int((Double(ahead) * perPersonSeconds(service: service) / 60).rounded(.up))
    }

    /// The old formula in seconds, unrounded (what eta-replay compares).
    public func baselineSeconds(service: String, ahead: Int) -> Double {
        Double(ahead) * perPersonSeconds(service: service)
    }

    /// Seconds one more person ahead adds to a wait by the old formula.
    func perPersonSeconds(service: String) -> Double {
        let recent = durations[service] ?? []
        let mean =
            recent.isEmpty ? Double(config.queue.defaultServiceSeconds) : recent.reduce(0, +) / Double(recent.count)
        let serving = config.windows.filter { $0.services.contains(service) }
        let open = serving.filter { w in windows[w.number].map { $0.clerk != nil && !$0.paused } ?? false }.count
        let n = max(1, open > 0 ? open : serving.count)
        return mean / Double(n)
    }

    /// Recent service times of a service in seconds, newest last.
    public func recentServiceSeconds(_ service: String) -> [Double] { durations[service] ?? [] }

    /// A waiting ticket's wait: the look-ahead's range for it, or (a ticket newer than the
    /// latest estimates) that of a ticket joining its queue then, shifted by the people who
    /// joined or left ahead of it since.
    public func wait(for t: Ticket) -> WaitRange {
        let ahead = self.ahead(of: t)
        guard config.eta.method == .lookahead, let (r, then) = estimates?.tickets[t.id] else {
            return wait(service: t.service, ahead: ahead)
        }
        guard ahead != then else { return r }
        let s = r.shifted(by: Double(ahead - then) * perPersonSeconds(service: t.service))
        return WaitRange(low: max(0, s.low), median: max(0, s.median), high: max(0, s.high))
    }

    /// The wait of a normal ticket with `ahead` people before it in `service`'s queue (a ticket
    /// taken now has everyone waiting ahead). Before the first look-ahead (a second after start)
    /// or with `[eta] method = "formula"`: the old figure as the median in a fixed band of −40 %
    /// to +50 %, a plain guess at its spread.
    public func wait(service: String, ahead: Int) -> WaitRange {
        let step = perPersonSeconds(service: service)
        if config.eta.method == .lookahead, let (range, then) = estimates?.joining[service] {
            let r = range.shifted(by: Double(ahead - then) * step)
            return WaitRange(low: max(0, r.low), median: max(0, r.median), high: max(0, r.high))
        }
        let m = Double(ahead) * step
        return WaitRange(low: m * 0.6, median: m, high: m * 1.5)
    }

    /// Call order within a queue: priority tickets, then checked-in booked tickets by slot,
    /// then walk-ins; each by when they joined the queue.
    public static func queueOrder(_ a: Ticket, _ b: Ticket) -> Bool {
        let ra = LiveTickets.Place.rank(a)
        let rb = LiveTickets.Place.rank(b)
        if ra != rb { return ra < rb }
        if ra == LiveTickets.Place.booked, a.slotStart != b.slotStart { return (a.slotStart ?? 0) < (b.slotStart ?? 0) }
        if a.queueSeq != b.queueSeq { return a.queueSeq < b.queueSeq }
        return a.id < b.id
    }

    // MARK: - Commands

    /// - mono: the monotonic reading taken with `now` (the server has one; tests may leave it out,
    ///   and durations then come from `now` alone, clamped at 0).
    public mutating func apply(_ command: Command, at now: Millis, mono: MonoStamp? = nil) throws(HallError) -> Effects
    {
        self.mono = mono
        var out = Effects()
        switch command {
        case let .take(service, key, priority, _, person):
            try take(service: service, key: key, priority: priority, person: person, now: now, &out)
        case let .book(inputs): book(inputs, now: now, &out)
        case let .checkin(code, _): try checkin(code: code, now: now, &out)
        case .expireBookings: expireBookings(now: now, &out)
        case let .person(w, person): try attach(person, window: w, now: now, &out)
        case let .call(w, label): try call(window: w, label: label, now: now, &out)
        case let .recall(w): try recall(window: w, now: now, &out)
        case let .noshow(w): try noshow(window: w, now: now, &out)
        case let .start(w): try start(window: w, now: now, &out)
        case let .finish(w, outcome): try finish(window: w, outcome: outcome, now: now, &out)
        case let .transfer(w, s, tw): try transfer(window: w, toService: s, toWindow: tw, now: now, &out)
        case let .pause(w): try setPaused(true, window: w, now: now, &out)
        case let .resume(w): try setPaused(false, window: w, now: now, &out)
        case let .signin(w, clerk): try signin(window: w, clerk: clerk, now: now, &out)
        case let .signout(w): try signout(window: w, now: now, &out)
        case let .rate(w, input): try rate(window: w, input, now: now, &out)
        case let .rateTicket(t, input): try rate(t, input, window: nil, now: now, &out)
        case let .attachCase(w, c): try attach(c, window: w, now: now, &out)
        case let .orderUpdate(id, change, actor, note):
            try updateOrder(id, change, by: actor, note: note, now: now, &out)
        case let .hall(mode): setHall(mode, now: now, &out)
        case let .printed(id, status, error): try printed(id: id, status: status, error: error, now: now, &out)
        case let .device(name, health):
            out.events.append(event(.device, now, nil, ["device": name, "health": health]))
        case let .clockStep(ms):
            out.events.append(event(.clock, now, nil, ["step_s": seconds(ms)]))
        case let .announced(t, w, recall, delayMs, repeats, dropped):
            var d = ["delay_s": seconds(delayMs), "kind": recall ? "recall" : "call", "repeats": String(repeats)]
            if let dropped { d["dropped"] = dropped }
            out.events.append(event(.announce, now, t, window: w, d))
        }
        return out
    }

    func event(
        _ type: EventType, _ now: Millis, _ t: Ticket? = nil, window: Int? = nil, clerk: String? = nil,
        _ details: [String: String] = [:]
    ) -> HallEvent {
        HallEvent(
            type: type, at: now, day: calendar.day(now), ticket: t, window: window, clerk: clerk, details: details)
    }

    private func windowState(_ n: Int) throws(HallError) -> WindowState {
        guard let w = windows[n] else { throw .unknownWindow(n) }
        return w
    }

    /// A window that is about to act on the queue: it must exist and have a clerk (every step
    /// names who handled it).
    private func staffed(_ n: Int) throws(HallError) -> (WindowState, String) {
        let w = try windowState(n)
        guard let clerk = w.clerk else { throw .notSignedIn(n) }
        return (w, clerk)
    }

    private func inHand(_ n: Int) throws(HallError) -> (WindowState, String, Ticket) {
        let (w, clerk) = try staffed(n)
        guard let id = w.current, let t = live[id] else { throw .noActiveTicket(n) }
        return (w, clerk, t)
    }

    private mutating func take(
        service: String, key: String?, priority: Bool, person: Person?, now: Millis, _ out: inout Effects
    ) throws(HallError) {
        guard let svc = config.service(service) else { throw .unknownService(service) }
        var priority = priority
        var byAge = false
        if let person, !priority, greenChannelByAge(person, service: service, at: now) {
            byAge = true
            priority = true
        }
        guard !priority || svc.priority else {
            throw .badRequest("service \(service) does not issue priority tickets (priority = true on the service)")
        }
        let window = Millis(config.queue.idempotencySeconds) * 1000
        keys = keys.filter { elapsed(from: $0.value.at, $0.value.mono, to: now, mono).ms < window }
        if let key, let prior = keys[key] {
            let t = live[prior.ticketId] ?? prior.ticket
            let ahead = t.state == .waiting ? self.ahead(of: t) : 0
            out.subject = .issued(
                t, ahead: ahead, eta: t.state == .waiting ? wait(for: t) : .zero, duplicate: true)
            return
        }
        guard dispensing(at: now) else { throw HallError(.hallClosed, "tickets are not being issued now") }
        let day = calendar.day(now)
        if person != nil, personDayOf != day {
            personDay = [:]
            personDayOf = day
        }
        try checkPerson(person, svc, day: day)
        if !priority { try checkQuota(svc, at: now) }
        var details: [String: String] = [:]
        if priority { details["priority"] = "true" }
        if byAge { details["priority_by"] = "age" }
        if person != nil { details["id_card"] = "true" }
        let t = try issue(svc, key: key, priority: priority, person: person?.key, booking: nil, now: now, details, &out)
        if let person { personDay[person.key, default: 0] += 1 }
        if let key { keys[key] = (t.id, now, mono, t) }
        if !priority { countWalkIn(svc.id, at: now) }
    }

    /// Numbers, queues and logs a new ticket (a take, or a booking's check-in).
    mutating func issue(
        _ svc: ServiceConfig, key: String?, priority: Bool, person: String?, booking: Booking?, now: Millis,
        _ extra: [String: String], _ out: inout Effects
    ) throws(HallError) -> Ticket {
        let day = calendar.day(now)
        let ck = Self.counterKey(day: day, service: svc.id)
        let number = (counters[ck] ?? (svc.first - 1)) + 1
        guard number <= svc.last else {
            throw HallError(
                .rangeExhausted, "service \(svc.id) has issued all numbers up to \(svc.label(svc.last)) today")
        }
        counters[ck] = number
        lastId += 1
        var t = Ticket(
            id: lastId, day: day, service: svc.id, issuedService: svc.id, number: number,
            label: svc.label(number), key: key, issuedAt: now, queuedAt: now, state: .waiting,
            priority: priority, recalls: 0, transfers: 0, noshows: 0,
            printStatus: config.printers.allSatisfy { $0.kind == .none } ? .notPrinted : .pending)
        t.greenChannel = priority
        t.person = person
        t.bookingRef = booking?.ref
        t.slotStart = booking?.slotStart
        t.slotEnd = booking?.slotEnd
        enqueue(&t, now: now)
        live[t.id] = t
        let ahead = self.ahead(of: t)
        // A priority or booked ticket has fewer ahead: the shift brings it forward.
        let eta = wait(service: svc.id, ahead: ahead)
        let m = eta.minutes
        out.touch(t)
        var details = ["ahead": String(ahead), "eta_min": String(m.median), "eta_range_min": "\(m.low)-\(m.high)"]
        details.merge(extra) { _, b in b }
        observations[svc.id, default: .init()].took(priority: priority, at: now)
        out.events.append(event(.take, now, t, details))
        out.subject = .issued(t, ahead: ahead, eta: eta, duplicate: false)
        return t
    }

    /// The per-person rules for a take (docs/CONFIG.md): a card where the service requires one,
    /// `per_person` live tickets for the service, `per_person_day` tickets today.
    private func checkPerson(_ person: Person?, _ svc: ServiceConfig, day: String) throws(HallError) {
        guard let person else {
            if svc.idRequired {
                throw HallError(.idRequired, "service \(svc.id) issues tickets only with an ID card on the reader")
            }
            return
        }
        if svc.perPerson > 0 {
            let held = live.values.filter { $0.person == person.key && $0.issuedService == svc.id }
            if held.count >= svc.perPerson, let first = held.min(by: { $0.id < $1.id }) {
                throw HallError(
                    .personHasTicket, "this person already holds ticket \(first.label) for service \(svc.id)")
            }
        }
        let limit = config.queue.perPersonDay
        if limit > 0, personDayOf == day, personDay[person.key, default: 0] >= limit {
            throw HallError(.personDailyLimit, "this person has taken \(limit) tickets today, the daily limit")
        }
    }

    /// Why `person` could not take a ticket for `service` now (the per-person rules only), or nil:
    /// what a kiosk shows when a card is placed.
    public func personRefusal(_ person: Person, service: String, at now: Millis) -> HallError? {
        guard let svc = config.service(service) else { return .unknownService(service) }
        do { try checkPerson(person, svc, day: calendar.day(now)) } catch { return error }
        return nil
    }

    /// Whether a ticket `person` takes for `service` now goes to the green channel by age.
    public func greenChannelByAge(_ person: Person, service: String, at now: Millis) -> Bool {
        guard let svc = config.service(service), svc.priority, let age = person.age(on: calendar.day(now)) else {
            return false
        }
        let threshold = svc.priorityAge ?? config.queue.priorityAge
        return threshold > 0 && age >= threshold
    }

    /// A window's card reader names the person of the ticket in hand.
    private mutating func attach(_ person: Person, window n: Int, now: Millis, _ out: inout Effects) throws(HallError) {
        let (_, clerk, current) = try inHand(n)
        var t = current
        guard t.person != person.key else { return }
        t.person = person.key
        live[t.id] = t
        out.touch(t)
        out.events.append(event(.person, now, t, window: n, clerk: clerk))
        out.subject = .ticket(t)
    }

    /// The next ticket this window should call, by the configured policy: priority tickets
    /// first, except that after `priority_ratio` of them in a row the oldest normal ticket goes,
    /// if it has waited longer.
    public func next(for n: Int) -> Ticket? {
        guard let wc = config.window(n) else { return nil }
        // Each queue is in call order and a window ranks all of one queue alike: its heads suffice.
        guard var head = best(live.heads(window: n, services: wc.services), window: n, wc) else { return nil }
        let ratio = config.queue.priorityRatio
        if head.priority, ratio > 0, priorityStreak[n, default: 0] >= ratio,
            let normal = best(
                live.heads(window: n, services: wc.services, from: LiveTickets.Place.booked), window: n, wc),
            normal.queueSeq < head.queueSeq
        {
            head = normal
        }
        let booked = config.queue.bookedRatio
        if !head.priority, head.queuesAsBooked, booked > 0, bookedStreak[n, default: 0] >= booked,
            let walkIn = best(
                live.heads(window: n, services: wc.services, from: LiveTickets.Place.walkIn), window: n, wc),
            walkIn.queueSeq < head.queueSeq
        {
            head = walkIn
        }
        return head
    }

    private func best(_ candidates: [Ticket], window n: Int, _ wc: WindowConfig) -> Ticket? {
        func rank(_ t: Ticket) -> (Int, Int) {
            let targeted = t.targetWindow == n ? 0 : 1
            let svc = config.queue.policy == .serviceOrder ? (wc.services.firstIndex(of: t.service) ?? Int.max) : 0
            return (targeted, svc)
        }
        return candidates.min { a, b in
            let ra = rank(a)
            let rb = rank(b)
            if ra != rb { return ra < rb }
            return Self.queueOrder(a, b)
        }
    }

    private mutating func call(window n: Int, label: String?, now: Millis, _ out: inout Effects) throws(HallError) {
        var (w, clerk) = try staffed(n)
        guard !w.paused else { throw HallError(.windowPaused, "window \(n) is paused") }
        var chosen: Ticket
        if let label {
            let matches = live.values.filter { $0.label == label && $0.state == .waiting }
            guard let t = matches.max(by: { $0.issuedAt < $1.issuedAt }) else {
                if live.values.contains(where: { $0.label == label }) {
                    throw HallError(.notWaiting, "ticket \(label) is already in hand at a window")
                }
                throw .unknownTicket(label)
            }
            chosen = t
        } else {
            // Checked before finishing the current ticket so an empty queue changes nothing.
            guard let t = next(for: n) else { throw HallError(.queueEmpty, "no ticket is waiting for window \(n)") }
            chosen = t
        }
        if let cur = w.current, live[cur] != nil {
            try finishCurrent(window: &w, clerk: clerk, outcome: .served, now: now, &out)
        }
        priorityStreak[n] = chosen.priority ? priorityStreak[n, default: 0] + 1 : 0
        if !chosen.priority { bookedStreak[n] = chosen.queuesAsBooked ? bookedStreak[n, default: 0] + 1 : 0 }
        chosen.state = .called
        chosen.window = n
        chosen.clerk = clerk
        chosen.targetWindow = nil
        chosen.firstCalledAt = chosen.firstCalledAt ?? now
        chosen.lastCalledAt = now
        chosen.windowCalledAt = now
        chosen.callMono = mono
        chosen.waitMs = elapsed(from: chosen.queuedAt, chosen.queuedMono, to: now, mono).ms
        chosen.serviceMs = nil
        live[chosen.id] = chosen
        w.current = chosen.id
        windows[n] = w
        out.touch(chosen)
        out.touch(w)
        out.events.append(
            event(
                .call, now, chosen, window: n, clerk: clerk,
                ["waited_s": seconds(chosen.waitMs ?? 0)]))
        out.subject = .ticket(chosen)
    }

    private mutating func recall(window n: Int, now: Millis, _ out: inout Effects) throws(HallError) {
        var (_, clerk, t) = try inHand(n)
        t.recalls += 1
        t.lastCalledAt = now
        live[t.id] = t
        out.touch(t)
        out.events.append(event(.recall, now, t, window: n, clerk: clerk, ["recalls": String(t.recalls)]))
        out.subject = .ticket(t)
    }

    private mutating func noshow(window n: Int, now: Millis, _ out: inout Effects) throws(HallError) {
        var (w, clerk, t) = try inHand(n)
        let l = leg(t, window: n, clerk: clerk, end: now, outcome: .noshow)
        out.legs.append(l)
        observations[t.service, default: .init()].ended(.noshow, seconds: l.serviceSeconds)
        t.noshows += 1
        w.current = nil
        windows[n] = w
        out.touch(w)
        out.events.append(event(.noshow, now, t, window: n, clerk: clerk, ["noshows": String(t.noshows)]))
        if config.queue.noshowRequeue == .end && t.noshows == 1 {
            t.state = .waiting
            enqueue(&t, now: now)
            t.windowCalledAt = nil
            t.callMono = nil
            t.startedAt = nil
            live[t.id] = t
            out.events.append(event(.requeue, now, t, window: n, clerk: clerk))
        } else {
            t.state = .done
            t.outcome = .noshow
            t.finishedAt = now
            live[t.id] = nil
        }
        out.touch(t)
        out.subject = .ticket(t)
    }

    private mutating func start(window n: Int, now: Millis, _ out: inout Effects) throws(HallError) {
        var (_, clerk, t) = try inHand(n)
        guard t.state == .called else { throw HallError(.alreadyStarted, "ticket \(t.label) is already being served") }
        t.state = .serving
        t.startedAt = now
        live[t.id] = t
        out.touch(t)
        out.events.append(event(.start, now, t, window: n, clerk: clerk))
        out.subject = .ticket(t)
    }

    private mutating func finish(
        window n: Int, outcome: Leg.Outcome, now: Millis, _ out: inout Effects
    ) throws(HallError) {
        guard outcome != .transferred, outcome != .noshow else {
            throw .badRequest("outcome \(outcome.rawValue) has its own op")
        }
        var (w, clerk, _) = try inHand(n)
        let t = try finishCurrent(window: &w, clerk: clerk, outcome: outcome, now: now, &out)
        windows[n] = w
        out.touch(w)
        out.subject = .ticket(t)
    }

    @discardableResult
    private mutating func finishCurrent(
        window w: inout WindowState, clerk: String, outcome: Leg.Outcome, now: Millis,
        _ out: inout Effects
    ) throws(HallError) -> Ticket {
        guard let id = w.current, var t = live[id] else { throw .noActiveTicket(w.number) }
        let l = leg(t, window: w.number, clerk: clerk, end: now, outcome: outcome)
        out.legs.append(l)
        t.state = .done
        t.finishedAt = now
        t.serviceMs = l.serviceMs
        t.outcome = outcome
        live[id] = nil
        w.current = nil
        lastFinished[w.number] = t
        if outcome == .served {
            observations[t.service, default: .init()].ended(.served, seconds: l.serviceSeconds)
            var d = durations[t.service] ?? []
            d.append(l.serviceSeconds)
            durations[t.service] = Array(d.suffix(Self.durationsKept))
        }
        out.touch(t)
        out.events.append(
            event(
                .finish, now, t, window: w.number, clerk: clerk,
                ["outcome": outcome.rawValue, "service_s": seconds(l.serviceMs)]))
        return t
    }

    private func leg(_ t: Ticket, window: Int, clerk: String, end: Millis, outcome: Leg.Outcome) -> Leg {
        let call = t.windowCalledAt ?? end
        let callMono = t.windowCalledAt == nil ? mono : t.callMono
        let wait = elapsed(from: t.queuedAt, t.queuedMono, to: call, callMono)
        let service = elapsed(from: call, callMono, to: end, mono)
        return Leg(
            ticketId: t.id, day: t.day, label: t.label, service: t.service, window: window, clerk: clerk,
            queuedAt: t.queuedAt, calledAt: call, endedAt: end, outcome: outcome,
            waitMs: wait.ms, serviceMs: service.ms, clockNote: wait.fallback || service.fallback ? "wall-clock" : nil)
    }

    /// Puts a ticket at the end of its (new) queue: a fresh sequence number and the time.
    private mutating func enqueue(_ t: inout Ticket, now: Millis) {
        lastQueueSeq += 1
        t.queueSeq = lastQueueSeq
        t.queuedAt = now
        t.queuedMono = mono
    }

    private mutating func transfer(
        window n: Int, toService: String?, toWindow: Int?, now: Millis,
        _ out: inout Effects
    ) throws(HallError) {
        guard (toService == nil) != (toWindow == nil) else {
            throw .badRequest("transfer needs exactly one of service or to_window")
        }
        if let s = toService, config.service(s) == nil { throw .unknownService(s) }
        if let tw = toWindow {
            guard config.window(tw) != nil else { throw .unknownWindow(tw) }
            guard tw != n else { throw .badRequest("a ticket cannot be transferred to its own window") }
        }
        var (w, clerk, t) = try inHand(n)
        let l = leg(t, window: n, clerk: clerk, end: now, outcome: .transferred)
        out.legs.append(l)
        let from = t.service
        observations[from, default: .init()].ended(
            toService.map { .transfer($0) } ?? .served, seconds: l.serviceSeconds)
        if let s = toService {
            t.service = s
            t.targetWindow = nil
        }
        if let tw = toWindow { t.targetWindow = tw }
        t.state = .waiting
        enqueue(&t, now: now)
        t.windowCalledAt = nil
        t.callMono = nil
        t.startedAt = nil
        t.priority = true
        t.transfers += 1
        live[t.id] = t
        w.current = nil
        windows[n] = w
        out.touch(t)
        out.touch(w)
        var d = ["from_service": from, "to_service": t.service]
        if let tw = toWindow { d["to_window"] = String(tw) }
        out.events.append(event(.transfer, now, t, window: n, clerk: clerk, d))
        out.subject = .ticket(t)
    }

    private mutating func setPaused(_ paused: Bool, window n: Int, now: Millis, _ out: inout Effects) throws(HallError)
    {
        var w = try windowState(n)
        if paused && !w.paused { pauses.paused(window: n, at: now) }
        if !paused && w.paused { pauses.resumed(window: n, at: now) }
        w.paused = paused
        windows[n] = w
        out.touch(w)
        out.events.append(event(paused ? .pause : .resume, now, window: n, clerk: w.clerk))
        out.subject = .window(w)
    }

    private mutating func signin(window n: Int, clerk: String, now: Millis, _ out: inout Effects) throws(HallError) {
        var w = try windowState(n)
        let name = clerk.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty, name.count <= 64 else { throw .badRequest("clerk must be 1 to 64 characters") }
        if let other = windows.values.first(where: { $0.clerk == name && $0.number != n }) {
            throw HallError(.clerkElsewhere, "clerk \(name) is signed in at window \(other.number)")
        }
        if let cur = w.clerk, cur != name, w.current != nil {
            throw HallError(
                .ticketOpen, "window \(n) has a ticket in hand; finish or transfer it before changing clerk")
        }
        w.clerk = name
        windows[n] = w
        out.touch(w)
        out.events.append(event(.signin, now, window: n, clerk: name))
        out.subject = .window(w)
    }

    private mutating func signout(window n: Int, now: Millis, _ out: inout Effects) throws(HallError) {
        var w = try windowState(n)
        guard let clerk = w.clerk else { throw .notSignedIn(n) }
        guard w.current == nil else {
            throw HallError(.ticketOpen, "window \(n) has a ticket in hand; finish or transfer it before signing out")
        }
        w.clerk = nil
        windows[n] = w
        out.touch(w)
        out.events.append(event(.signout, now, window: n, clerk: clerk))
        out.subject = .window(w)
    }

    private mutating func rate(window n: Int, _ input: RatingInput, now: Millis, _ out: inout Effects) throws(HallError)
    {
        _ = try windowState(n)
        try Self.checkRating(input.score, input.reason)
        guard let t = lastFinished[n], let f = t.finishedAt, now - f <= Millis(config.queue.ratingSeconds) * 1000 else {
            throw HallError(
                .nothingToRate, "window \(n) finished no ticket in the last \(config.queue.ratingSeconds) s")
        }
        try rate(t, input, window: n, now: now, &out)
    }

    /// A malformed rating is refused before anything about the ticket is looked at.
    private static func checkRating(_ score: Int, _ reason: String?) throws(HallError) {
        guard Rating.scores.contains(score) else { throw .badRequest("score must be 1 to 5") }
        if let reason, reason.count > Rating.maxReason {
            throw .badRequest("reason must be at most \(Rating.maxReason) characters")
        }
    }

    /// Rates a finished ticket once, within `rating_s` of its end; or a second time, after the
    /// return visit of the work order its first rating opened (`[rating] second_days`).
    private mutating func rate(
        _ ticket: Ticket, _ input: RatingInput, window: Int?, now: Millis, _ out: inout Effects
    ) throws(HallError) {
        try Self.checkRating(input.score, input.reason)
        var t = ticket
        // The window's copy is the newer one when it is the same ticket.
        if let w = t.window, let last = lastFinished[w], last.id == t.id { t = last }
        guard t.state == .done, let f = t.finishedAt else {
            throw HallError(.nothingToRate, "ticket \(t.label) is not finished yet")
        }
        // Nobody was served: a missed call or a cancelled ticket has nothing to rate.
        guard t.outcome != .noshow, t.outcome != .cancelled else {
            throw HallError(.nothingToRate, "ticket \(t.label) was not served")
        }
        if t.rating != nil || rated[t.id] != nil, window == nil, let order = secondRatingOrder(t.id, now: now) {
            return try rateAgain(t, input, order: order, now: now, &out)
        }
        guard now - f <= Millis(config.queue.ratingSeconds) * 1000 else {
            throw HallError(.nothingToRate, "ticket \(t.label) finished more than \(config.queue.ratingSeconds) s ago")
        }
        guard t.rating == nil, rated[t.id] == nil else {
            throw HallError(.alreadyRated, "ticket \(t.label) is already rated")
        }
        try config.rating.check(
            contents: input.contents, level: input.score,
            required: !t.cases.isEmpty && (input.channel == .qr || input.channel == .window))
        t.rating = input.score
        t.ratingReason = input.reason
        if let w = t.window, lastFinished[w]?.id == t.id { lastFinished[w] = t }
        // Only ratings still inside their window can be refused again; older ones are forgotten.
        let horizon = now - Millis(config.queue.ratingSeconds) * 1000
        rated = rated.filter { $0.value >= horizon }
        rated[t.id] = f
        out.touch(t)
        var details = ["score": String(input.score)]
        if window == nil { details["source"] = "status_page" }
        recordRating(t, input, count: 1, window: window, now: now, details: details, &out)
        out.subject = .ticket(t)
    }

    private mutating func setHall(_ mode: HallMode, now: Millis, _ out: inout Effects) {
        hallMode = mode
        out.hallMode = mode
        out.events.append(event(.hall, now, nil, ["mode": mode.rawValue]))
        out.subject = .hall(mode)
    }

    /// Print status changes only the print columns of the row: the ticket may have been called,
    /// finished or transferred since the job was handed over, and that must not be undone.
    private mutating func printed(
        id: Int64, status: PrintStatus, error: String?, now: Millis,
        _ out: inout Effects
    ) throws(HallError) {
        guard id > 0, id <= lastId else { throw HallError(.unknownTicket, "ticket #\(id) was never issued") }
        var ref: Ticket?
        if var t = live[id] {
            t.printStatus = status
            t.printError = error
            live[id] = t
            ref = t
        }
        for (w, var t) in lastFinished where t.id == id {
            t.printStatus = status
            t.printError = error
            lastFinished[w] = t
            ref = t
        }
        out.prints.append(.init(ticketId: id, status: status, error: error))
        var d = ["status": status.rawValue, "ticket_id": String(id)]
        if let error { d["error"] = error }
        out.events.append(event(.print, now, ref, d))
    }

    /// Replaces the config (reload). Windows that disappeared keep nothing; new windows start idle.
    public mutating func reconfigure(_ c: HallConfig) {
        config = c
        var ws: [Int: WindowState] = [:]
        for w in c.windows { ws[w.number] = windows[w.number] ?? WindowState(number: w.number) }
        windows = ws
    }
}

func seconds(_ ms: Millis) -> String {
    String(format: "%.3f", Double(ms) / 1000)
}
