/// One ticket, from issue to its end. The store keeps one row per ticket with these fields, so the
/// ticket is also the unit that statistics and `history` read.
public struct Ticket: Sendable, Equatable, Codable {
    public enum State: String, Sendable, Codable, CaseIterable {
        case waiting, called, serving, done
    }

    public var id: Int64
    /// Local business day of issue; (day, label) names a ticket for people.
    public var day: String
    /// The service whose queue the ticket is in now (changes on transfer).
    public var service: String
    /// The service the ticket was issued for: its prefix and number never change.
    public var issuedService: String
    public var number: Int
    public var label: String
    public var key: String?
    public var issuedAt: Millis
    /// When the ticket entered the queue it is in now (issue, transfer or requeue).
    public var queuedAt: Millis
    /// Its place in that queue: a sequence, not a time, so a clock stepping back cannot put a
    /// new ticket ahead of people already waiting.
    public var queueSeq: Int64 = 0
    /// Monotonic readings of entering the queue and of the call, for durations a clock step
    /// cannot make negative.
    public var queuedMono: MonoStamp? = nil
    public var callMono: MonoStamp? = nil
    /// Wait (queue → call) and service (call → end) of the latest visit, in ms, never negative.
    public var waitMs: Millis? = nil
    public var serviceMs: Millis? = nil
    public var state: State
    /// The window that has it in hand (called/serving), or that last had it.
    public var window: Int?
    /// Only this window may call it: set by a transfer to a window.
    public var targetWindow: Int?
    /// Ahead of ordinary tickets in its queue: a priority (绿色通道) ticket, or a transferred one
    /// (it already waited once).
    public var priority: Bool
    /// Issued as a priority (绿色通道) ticket: marked on paper, on the board and in the log.
    public var greenChannel: Bool = false
    public var clerk: String?
    public var firstCalledAt: Millis?
    public var lastCalledAt: Millis?
    /// The call at the window that has it now (recalls do not move it; a transfer clears it):
    /// the start of this visit's service time. Stored as `call_at`, sent as `called_at`.
    public var windowCalledAt: Millis?
    public var startedAt: Millis?
    public var finishedAt: Millis?
    public var outcome: Leg.Outcome?
    public var recalls: Int
    public var transfers: Int
    public var noshows: Int
    public var printStatus: PrintStatus
    public var printError: String?
    public var rating: Int?
    /// Why, for a low rating (free text, at most `Rating.maxReason` characters).
    public var ratingReason: String? = nil
    /// The person it was taken for (`Person.key`, a keyed hash of an ID card), if a card was
    /// shown. Kept for the per-person rules, removed after `[privacy] person_days`; never sent.
    public var person: String? = nil
    /// The booking it was issued for at check-in (预约), with its slot: such a ticket queues by
    /// its slot ahead of walk-ins (`[queue] booked_ratio`).
    public var bookingRef: String? = nil
    public var slotStart: Millis? = nil
    public var slotEnd: Millis? = nil
    /// The cases (办件) handled during the visit, as the business system attached them
    /// (docs/HAOCHA.md): a rating of the ticket is recorded once per case.
    public var cases: [TicketCase] = []

    /// Queued as a booked ticket: checked in for a booking and not sent back to the end of the
    /// queue by a missed call (then it waits like a walk-in).
    public var queuesAsBooked: Bool { slotStart != nil && noshows == 0 }

    /// The store's column names (snake_case; `windowCalledAt` keeps its shipped name `call_at`).
    enum CodingKeys: String, CodingKey {
        case id, day, service, number, label, key, state, window, priority, clerk, outcome, recalls, transfers, noshows
        case rating
        case issuedService = "issued_service"
        case issuedAt = "issued_at"
        case queuedAt = "queued_at"
        case queueSeq = "queue_seq"
        case queuedMono = "queued_mono"
        case callMono = "call_mono"
        case waitMs = "wait_ms"
        case serviceMs = "service_ms"
        case targetWindow = "target_window"
        case firstCalledAt = "first_called_at"
        case lastCalledAt = "last_called_at"
        case windowCalledAt = "call_at"
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case printStatus = "print_status"
        case printError = "print_error"
        case ratingReason = "rating_reason"
        case greenChannel = "green_channel"
        case person
        case bookingRef = "booking_ref"
        case slotStart = "slot_start"
        case slotEnd = "slot_end"
        case cases
    }

}

extension Ticket {
    /// A ticket with every stored field given: how the store builds one from a row without
    /// Codable (reading a month for an export decodes tens of thousands).
    public static func stored(
        id: Int64,
        day: String,
        service: String,
        issuedService: String,
        number: Int,
        label: String,
        key: String?,
        issuedAt: Millis,
        queuedAt: Millis,
        queueSeq: Int64,
        queuedMono: MonoStamp?,
        callMono: MonoStamp?,
        waitMs: Millis?,
        serviceMs: Millis?,
        state: State,
        window: Int?,
        targetWindow: Int?,
        priority: Bool,
        clerk: String?,
        firstCalledAt: Millis?,
        lastCalledAt: Millis?,
        windowCalledAt: Millis?,
        startedAt: Millis?,
        finishedAt: Millis?,
        outcome: Leg.Outcome?,
        recalls: Int,
        transfers: Int,
        noshows: Int,
        printStatus: PrintStatus,
        printError: String?,
        rating: Int?,
        ratingReason: String?,
        greenChannel: Bool,
        person: String? = nil,
        bookingRef: String? = nil,
        slotStart: Millis? = nil,
        slotEnd: Millis? = nil,
        cases: [TicketCase] = []
    ) -> Ticket {
        var t = Ticket(
            id: id, day: day, service: service, issuedService: issuedService, number: number, label: label, key: key,
            issuedAt: issuedAt, queuedAt: queuedAt, queueSeq: queueSeq, queuedMono: queuedMono, callMono: callMono,
            waitMs: waitMs, serviceMs: serviceMs, state: state, window: window, targetWindow: targetWindow,
            priority: priority, greenChannel: greenChannel, clerk: clerk, firstCalledAt: firstCalledAt,
            lastCalledAt: lastCalledAt,
            windowCalledAt: windowCalledAt, startedAt: startedAt, finishedAt: finishedAt, outcome: outcome,
            recalls: recalls, transfers: transfers, noshows: noshows, printStatus: printStatus, printError: printError,
            rating: rating, ratingReason: ratingReason)
        t.person = person
        t.bookingRef = bookingRef
        t.slotStart = slotStart
        t.slotEnd = slotEnd
        t.cases = cases
        return t
    }
}

/// What became of a ticket's paper. *Stable* strings on the wire and in the store.
public enum PrintStatus: String, Sendable, Codable, CaseIterable {
    /// Handed to the printer, outcome not known yet.
    case pending
    case printed
    case failed
    /// No printer is configured, or the hall issues without one.
    case notPrinted = "not-printed"
}

/// One visit of a ticket to a window: from the call to its end there. A ticket transferred once
/// has two legs; statistics per window and clerk are made of legs, so transfers lose no time.
public struct Leg: Sendable, Equatable, Codable {
    public enum Outcome: String, Sendable, Codable, CaseIterable {
        case served, transferred, noshow
        case incomplete, referred, cancelled
    }
    public var ticketId: Int64
    public var day: String
    public var label: String
    public var service: String
    public var window: Int
    public var clerk: String?
    public var queuedAt: Millis
    public var calledAt: Millis
    public var endedAt: Millis
    public var outcome: Outcome
    /// The durations, measured on the monotonic clock where both ends were in one boot.
    public var waitMs: Millis
    public var serviceMs: Millis
    /// "wall-clock" when a duration had to fall back to wall time (ends in different boots), so
    /// figures that may be off by a clock step can be told apart.
    public var clockNote: String?

    public init(
        ticketId: Int64, day: String, label: String, service: String, window: Int, clerk: String?,
        queuedAt: Millis, calledAt: Millis, endedAt: Millis, outcome: Outcome,
        waitMs: Millis? = nil, serviceMs: Millis? = nil, clockNote: String? = nil
    ) {
        self.ticketId = ticketId
        self.day = day
        self.label = label
        self.service = service
        self.window = window
        self.clerk = clerk
        self.queuedAt = queuedAt
        self.calledAt = calledAt
        self.endedAt = endedAt
        self.outcome = outcome
        self.waitMs = waitMs ?? max(0, calledAt - queuedAt)
        self.serviceMs = serviceMs ?? max(0, endedAt - calledAt)
        self.clockNote = clockNote
    }

    /// The store's column names.
    enum CodingKeys: String, CodingKey {
        case day, label, service, window, clerk, outcome
        case ticketId = "ticket_id"
        case queuedAt = "queued_at"
        case calledAt = "called_at"
        case endedAt = "ended_at"
        case waitMs = "wait_ms"
        case serviceMs = "service_ms"
        case clockNote = "clock_note"
    }

    public var waitSeconds: Double { Double(waitMs) / 1000 }
    public var serviceSeconds: Double { Double(serviceMs) / 1000 }
}

/// A window's live state. Rebuilt from the store on start.
public struct WindowState: Sendable, Equatable, Codable {
    public var number: Int
    public var clerk: String?
    public var paused: Bool
    /// The ticket in hand (called or serving).
    public var current: Int64?

    public init(number: Int, clerk: String? = nil, paused: Bool = false, current: Int64? = nil) {
        self.number = number
        self.clerk = clerk
        self.paused = paused
        self.current = current
    }
}

/// The admin's override of the opening hours. *Stable* strings.
public enum HallMode: String, Sendable, Codable, CaseIterable {
    case auto, open, closed
}
