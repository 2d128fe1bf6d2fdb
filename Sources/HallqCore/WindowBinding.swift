/// Who may act at a window. A clerk with an account of their own (the HTTP staff pages) acts
/// only at the window they are signed in at: statistics, 好差评 and work orders are credited to
/// the window's clerk, so a step by anyone else would be credited to the wrong person. Everyone
/// else is trusted as their transport says: an admin acts anywhere and is recorded as the
/// account that asked; the clerk socket is one group for every window (its members are the
/// hall's window PCs and callers, trusted alike by the file mode of the socket), and the
/// hardware callers are wired to their own window.
///
/// Checked by the writer just before a command is applied, against the same engine state it is
/// applied to, so a sign-out or takeover in the same round cannot slip between check and step.
public enum WindowBinding {
    /// Why `origin` may not run `command` in `engine`'s state, or nil when it may.
    public static func refusal(_ command: Command, by origin: Origin, in engine: QueueEngine) -> HallError? {
        guard origin.role == "clerk", let account = origin.account, let n = window(of: command) else { return nil }
        // An unknown window is the engine's to refuse, with its own token.
        guard let w = engine.windows[n] else { return nil }
        if w.clerk == account { return nil }
        let mine = engine.windows.values.first { $0.clerk == account }.map {
            " (you are signed in at window \($0.number))"
        }
        return HallError(
            .notYourWindow, "window \(n) is not the window you are signed in at\(mine ?? ""); sign in there first")
    }

    /// The window a step at a window acts on; nil for everything else. Sign-in is how a clerk
    /// binds to a window, so it is not bound itself (the engine refuses a second window and a
    /// change of clerk while a ticket is in hand). Ratings come from the visitor's keypad.
    static func window(of command: Command) -> Int? {
        switch command {
        case let .call(w, _), let .recall(w), let .noshow(w), let .start(w), let .finish(w, _),
            let .transfer(w, _, _), let .pause(w), let .resume(w), let .signout(w), let .person(w, _),
            let .attachCase(w, _):
            return w
        case .take, .signin, .rate, .rateTicket, .hall, .printed, .device, .clockStep, .announced, .book, .checkin,
            .expireBookings, .orderUpdate:
            return nil
        }
    }
}
