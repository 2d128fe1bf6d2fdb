/// A step the engine took, as it goes into the append-only log and out on `watch`.
/// The server adds who asked (role, peer uid) when it stores it.
public struct HallEvent: Sendable, Equatable {
    public var type: EventType
    public var at: Millis
    public var day: String
    public var ticketId: Int64?
    public var label: String?
    public var service: String?
    public var window: Int?
    public var clerk: String?
    public var details: [String: String]

    public init(
        type: EventType, at: Millis, day: String, ticket: Ticket? = nil, window: Int? = nil,
        clerk: String? = nil, details: [String: String] = [:]
    ) {
        self.type = type
        self.at = at
        self.day = day
        self.ticketId = ticket?.id
        self.label = ticket?.label
        self.service = ticket?.service
        self.window = window
        self.clerk = clerk
        self.details = details
    }
}

/// *Stable* event types, as stored in the log's `type` column and sent on `watch`
/// (docs/PROTOCOL.md lists each; a test checks that it does). Only ever added.
public enum EventType: String, Sendable, CaseIterable {
    case take, call, recall, noshow, requeue, start, finish, transfer, pause, resume, signin, signout, rate, hall
    case print, device, clock, announce
    /// A window's ID-card reader tied the ticket in hand to a person (no detail of who).
    case person
    /// A booking was imported, changed, cancelled, checked in or became a no-show
    /// (`details.action`, `details.state`).
    case booking
    /// A case (办件) was attached to a ticket (`details.case_no`, `details.item_code`).
    case caseAttached = "case"
    /// A bad-rating work order opened or moved (`details.order`, `action`, `state`; the event's
    /// account is who acted).
    case order

    /// A call that a sign, the board and the voice announce.
    public var isCall: Bool { self == .call || self == .recall }
}
