/// An error that crosses the wire: a stable token clients switch on, and a sentence for people.
public struct HallError: Error, Sendable, Equatable, CustomStringConvertible {
    /// *Stable* error tokens (docs/PROTOCOL.md lists each; a test checks that it does): only ever
    /// added, never renamed. Every refusal anywhere in hallq is one of these, so a new transport
    /// (HTTP, a hardware caller) maps the same closed set and a typo cannot compile.
    public enum Token: String, Sendable, CaseIterable {
        case badRequest = "BAD-REQUEST"
        case unknownOp = "UNKNOWN-OP"
        case notAllowed = "NOT-ALLOWED"
        case tooLong = "TOO-LONG"
        case tooSlow = "TOO-SLOW"
        case idleClosed = "IDLE-CLOSED"
        case busy = "BUSY"
        case rateLimited = "RATE-LIMITED"
        case unknownService = "UNKNOWN-SERVICE"
        case unknownWindow = "UNKNOWN-WINDOW"
        case unknownTicket = "UNKNOWN-TICKET"
        /// HTTP: no such page or route.
        case notFound = "NOT-FOUND"
        /// HTTP: not logged in, the session expired, or a wrong name or password.
        case unauthorized = "UNAUTHORIZED"
        case hallClosed = "HALL-CLOSED"
        case rangeExhausted = "RANGE-EXHAUSTED"
        /// The person on the ID card already holds a live ticket for the service (`per_person`).
        case personHasTicket = "PERSON-HAS-TICKET"
        /// The person on the ID card has taken `[queue] per_person_day` tickets today.
        case personDailyLimit = "PERSON-DAILY-LIMIT"
        /// The service issues tickets only with an ID card (`id_required`).
        case idRequired = "ID-REQUIRED"
        /// The service has issued its walk-in tickets for this period (`quota`, 放号量).
        case quotaExhausted = "QUOTA-EXHAUSTED"
        /// Check-in for this booking opens later (`[booking] early_min` before the slot).
        case tooEarly = "TOO-EARLY"
        /// Check-in for this booking has closed (`[booking] late_min` after the slot).
        case tooLate = "TOO-LATE"
        case bookingUnknown = "BOOKING-UNKNOWN"
        case bookingCancelled = "BOOKING-CANCELLED"
        case alreadyCheckedIn = "ALREADY-CHECKED-IN"
        case queueEmpty = "QUEUE-EMPTY"
        case windowPaused = "WINDOW-PAUSED"
        case noActiveTicket = "NO-ACTIVE-TICKET"
        case notSignedIn = "NOT-SIGNED-IN"
        case notWaiting = "NOT-WAITING"
        case alreadyStarted = "ALREADY-STARTED"
        case ticketOpen = "TICKET-OPEN"
        case clerkElsewhere = "CLERK-ELSEWHERE"
        /// A clerk's own account (HTTP) asked for a step at a window they are not signed in at.
        case notYourWindow = "NOT-YOUR-WINDOW"
        case nothingToRate = "NOTHING-TO-RATE"
        case alreadyRated = "ALREADY-RATED"
        /// No such work order (or it is closed and no longer held).
        case unknownOrder = "UNKNOWN-ORDER"
        /// The work order's state does not allow that step.
        case orderState = "ORDER-STATE"
        case printerOffline = "PRINTER-OFFLINE"
        case printerPaperOut = "PRINTER-PAPER-OUT"
        case storageFailed = "STORAGE-FAILED"
        case badConfig = "BAD-CONFIG"
        case `internal` = "INTERNAL"
    }

    public var token: Token
    /// For people; may change between versions.
    public var message: String

    public init(_ token: Token, _ message: String) {
        self.token = token
        self.message = message
    }

    public var description: String { "\(token.rawValue): \(message)" }

    public static func badRequest(_ m: String) -> HallError { .init(.badRequest, m) }
    public static func rateLimited(_ m: String) -> HallError { .init(.rateLimited, m) }
    public static func unknownService(_ s: String) -> HallError {
        .init(.unknownService, "no service \"\(s)\" is configured")
    }
    public static func unknownWindow(_ w: Int) -> HallError { .init(.unknownWindow, "no window \(w) is configured") }
    public static func unknownTicket(_ t: String) -> HallError { .init(.unknownTicket, "no ticket \(t) is known") }
    public static func noActiveTicket(_ w: Int) -> HallError {
        .init(.noActiveTicket, "window \(w) has no ticket in hand")
    }
    public static func notSignedIn(_ w: Int) -> HallError {
        .init(.notSignedIn, "no clerk is signed in at window \(w)")
    }
}
