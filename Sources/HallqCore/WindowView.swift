/// What a window shows now, computed once from the committed queue and the clock, so every face
/// follows one rule: the window's sign, its caller's digits, the lobby board's tile and the
/// staff pages. A call flashes for `call_hold_s` from the moment it was made, whatever events
/// follow (the announcement's report, an ID card, a rating, a reload): only a new call of the
/// window (a recall included) starts a new hold, and only the clock ends one.
public struct WindowView: Sendable, Equatable {
    public enum State: String, Sendable, CaseIterable {
        /// Nobody signed in.
        case closed
        case paused
        case idle
        /// A ticket called and not yet started.
        case calling
        /// A ticket being served.
        case serving
    }

    public var number: Int
    public var state: State
    /// The window's pause switch (a paused window still shows the ticket in its hand).
    public var paused: Bool
    /// The ticket in hand.
    public var ticket: Ticket?
    /// Until when the call flashes (the call's time + call_hold_s), while it does; nil otherwise.
    public var flashingUntil: Millis?

    public var isFlashing: Bool { flashingUntil != nil }

    /// Window `n` at `now` (nil: its state only, as the board's tiles, which time the flash
    /// themselves from the call's time). A clock that stepped back before the call ends its flash
    /// at once rather than stretching it: a hold is never longer than call_hold_s.
    public static func of(_ n: Int, in e: QueueEngine, now: Millis?) -> WindowView {
        let w = e.windows[n] ?? WindowState(number: n)
        let ticket = w.current.flatMap { e.live[$0] }
        let state: State
        if let ticket {
            state = ticket.state == .serving ? .serving : .calling
        } else if w.clerk == nil {
            state = .closed
        } else {
            state = w.paused ? .paused : .idle
        }
        var until: Millis?
        if let now, let called = ticket?.lastCalledAt {
            let end = called + Millis(e.config.callHoldSeconds) * 1000
            if called <= now && now < end { until = end }
        }
        return WindowView(number: n, state: state, paused: w.paused, ticket: ticket, flashingUntil: until)
    }
}
