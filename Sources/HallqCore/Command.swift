/// Everything that changes the queue. Reads (status, history, stats) are not commands.
public enum Command: Sendable, Equatable {
    /// `priority`: a priority (绿色通道) ticket, for a service that issues them. `kiosk`: the
    /// kiosk it is taken at (its printer prints it); the queue itself does not look at it.
    /// `person`: the ID card it is taken with (per-person rules, the green channel by age).
    case take(service: String, key: String?, priority: Bool = false, kiosk: String? = nil, person: Person? = nil)
    /// A window's ID-card reader: the ticket in hand was for this person (per-person counts).
    case person(window: Int, person: Person)
    /// Bookings from the portal or an import file: added, updated or cancelled by `ref`.
    case book([BookingInput])
    /// A booked person checks in at a kiosk (`kiosk`: whose printer prints, as for `take`).
    case checkin(code: String, kiosk: String? = nil)
    /// Bookings whose check-in closed without the person become no-shows (the sweeper's tick).
    case expireBookings
    case call(window: Int, ticket: String?)
    case recall(window: Int)
    case noshow(window: Int)
    case start(window: Int)
    case finish(window: Int, outcome: Leg.Outcome)
    case transfer(window: Int, toService: String?, toWindow: Int?)
    case pause(window: Int)
    case resume(window: Int)
    case signin(window: Int, clerk: String)
    case signout(window: Int)
    /// The satisfaction keypad or evaluator at a window: rates the ticket it last finished.
    case rate(window: Int, RatingInput)
    /// The ticket's own status page: rates that finished ticket (as the store has it), or rates
    /// it a second time after its work order's return visit.
    case rateTicket(Ticket, RatingInput)
    /// The window's business system (or the clerk) attaches the case being handled to the ticket
    /// in hand, or to the one it just finished while that can still be rated (docs/HAOCHA.md).
    case attachCase(window: Int, TicketCase)
    /// A step of a bad-rating work order, by an account (`note`: the hall's words for the step).
    case orderUpdate(id: Int64, WorkOrder.Change, by: WorkOrder.Actor, note: String?)
    case hall(HallMode)
    /// The printer's verdict on a ticket's paper (sent by the device layer, or `reprint`).
    case printed(ticketId: Int64, status: PrintStatus, error: String?)
    /// A device's health changed (logged, and seen on `watch`); the queue itself is untouched.
    case device(name: String, health: String)
    /// The wall clock stepped by this many ms against the monotonic clock (logged; queue untouched).
    case clockStep(ms: Int64)
    /// A call was announced by voice (`delayMs` after it was made), or dropped unplayed because
    /// the call was no longer current or could not be played (logged; queue untouched).
    case announced(Ticket, window: Int, recall: Bool, delayMs: Int64, repeats: Int, dropped: String?)
}

extension Command {
    /// A window's rating as the socket sent it before channels and content codes (an evaluator's).
    public static func rate(window: Int, score: Int, reason: String?) -> Command {
        .rate(window: window, RatingInput(score: score, reason: reason, channel: .evaluator))
    }
}

/// What a command did: the reply's subject, and everything the store must write in one transaction.
public struct Effects: Sendable, Equatable {
    public enum Subject: Sendable, Equatable {
        case none
        /// A ticket, with how many are ahead of it and the estimated wait (take).
        case issued(Ticket, ahead: Int, eta: WaitRange, duplicate: Bool)
        case ticket(Ticket)
        case window(WindowState)
        case hall(HallMode)
        case order(WorkOrder)
        /// What an import did with each booking, in the order they came.
        case imported([BookingImportResult])

        /// The issued ticket and its figures, when this is `take`'s subject.
        public var issued: (ticket: Ticket, ahead: Int, eta: WaitRange, duplicate: Bool)? {
            if case let .issued(t, ahead, eta, duplicate) = self { return (t, ahead, eta, duplicate) }
            return nil
        }
    }
    public var subject: Subject = .none
    public var events: [HallEvent] = []
    /// Full rows to upsert.
    public var tickets: [Ticket] = []
    public var legs: [Leg] = []
    public var windows: [WindowState] = []
    public var hallMode: HallMode?
    /// Print-status changes, written to the print columns only.
    public var prints: [PrintUpdate] = []
    /// Bookings to upsert (by `ref`).
    public var bookings: [Booking] = []
    /// Case ratings to insert (one per case of a rated ticket), and work orders to upsert.
    public var caseRatings: [CaseRating] = []
    public var orders: [WorkOrder] = []

    public struct PrintUpdate: Sendable, Equatable {
        public var ticketId: Int64
        public var status: PrintStatus
        public var error: String?
    }

    public init() {}

    mutating func touch(_ t: Ticket) {
        if let i = tickets.firstIndex(where: { $0.id == t.id }) { tickets[i] = t } else { tickets.append(t) }
    }
    mutating func touch(_ w: WindowState) {
        if let i = windows.firstIndex(where: { $0.number == w.number }) { windows[i] = w } else { windows.append(w) }
    }
}
