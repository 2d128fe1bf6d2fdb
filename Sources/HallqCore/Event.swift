/// A step the engine took, as it goes into the append-only log and out on `watch`.
/// The server adds who asked (role, peer uid) when it stores it.
public struct HallEvent: Sendable, Equatable {
    /// *Stable* event types: take, call, recall, noshow, requeue, start, finish, transfer, pause,
    /// resume, signin, signout, rate, hall, print, device.
    public var type: String
    public var at: Millis
    public var day: String
    public var ticketId: Int64?
    public var label: String?
    public var service: String?
    public var window: Int?
    public var clerk: String?
    public var details: [String: String]

    public init(type: String, at: Millis, day: String, ticket: Ticket? = nil, window: Int? = nil,
                clerk: String? = nil, details: [String: String] = [:]) {
        self.type = type; self.at = at; self.day = day
        self.ticketId = ticket?.id; self.label = ticket?.label; self.service = ticket?.service
        self.window = window; self.clerk = clerk; self.details = details
    }
}
