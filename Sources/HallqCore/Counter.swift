/// The buttons on the counter (RS-485 callers, USB keypads, kiosk push-buttons): what a press
/// means and which command it becomes. Pure: the drivers report presses, `CounterDesk` runs the
/// command through the same dispatcher as a socket client, with the window's signed-in clerk.

/// A step a window's buttons can ask for.
public enum CounterAction: String, Sendable, Equatable, CaseIterable {
    case call, recall, noshow, start, finish, transfer, pause
}

/// One press, already decoded from its device.
public enum CounterPress: Sendable, Equatable {
    /// A window step; `transfer` needs the window it goes to.
    case action(CounterAction, window: Int, toWindow: Int? = nil)
    /// An evaluator score on the five 好差评 levels, for the ticket the window last finished.
    case rate(window: Int, score: Int)
    /// A kiosk button: a ticket for the service.
    /// `key`: the press's idempotency key (`DoublePress`).
    case take(service: String, key: String?)

    /// The command this press runs, given the queue as it is now; a refusal (with its token)
    /// when there is nothing it could do.
    public func command(in engine: QueueEngine) -> Result<Command, HallError> {
        switch self {
        case let .take(service, key): return .success(.take(service: service, key: key))
        case let .rate(window, score):
            return .success(.rate(window: window, RatingInput(score: score, channel: .evaluator)))
        case let .action(action, w, toWindow):
            switch action {
            case .call: return .success(.call(window: w, ticket: nil))
            case .recall: return .success(.recall(window: w))
            case .noshow: return .success(.noshow(window: w))
            case .start: return .success(.start(window: w))
            case .finish: return .success(.finish(window: w, outcome: .served))
            case .pause:
                // One key for both, as on the callers: it pauses a working window, resumes a paused one.
                return .success(engine.windows[w]?.paused == true ? .resume(window: w) : .pause(window: w))
            case .transfer:
                guard let to = toWindow else {
                    return .failure(HallError(.badRequest, "transfer needs a window: type its digit first"))
                }
                return .success(.transfer(window: w, toService: nil, toWindow: to))
            }
        }
    }
}

/// Key bounce and a caller resending a frame it thinks was lost: the same key again within the
/// window counts once. Different keys always count.
public struct PressFilter: Sendable {
    public static let window = 0.3
    private var last: (key: String, at: Double)?

    public init() {}

    /// Whether a press of `key` at `now` (seconds, monotonic) is a new press.
    public mutating func accept(_ key: String, at now: Double) -> Bool {
        defer { last = (key, now) }
        guard let last, last.key == key else { return true }
        return now - last.at >= Self.window
    }
}

/// A USB keypad at a window: key names (libevdev's, "KEY_KPENTER") to steps. Transfer has no
/// target of its own: it arms, and the next digit key within `armSeconds` picks the window.
public struct WindowKeypad: Sendable, Equatable {
    /// The number pad's keys: Enter calls the next ticket, + recalls, − marks a no-show, * finishes,
    /// / transfers (then the window's digit), . pauses and resumes; the digits stay free for that.
    public static let defaultKeys: [String: CounterAction] = [
        "KEY_KPENTER": .call, "KEY_KPPLUS": .recall, "KEY_KPMINUS": .noshow, "KEY_KPASTERISK": .finish,
        "KEY_KPSLASH": .transfer, "KEY_KPDOT": .pause,
    ]
    public static let armSeconds = 10.0

    public var window: Int
    public var keys: [String: CounterAction]
    private var armedAt: Double?

    public init(window: Int, keys: [String: CounterAction] = Self.defaultKeys) {
        self.window = window
        self.keys = keys
        armedAt = nil
    }

    /// The digit a key types: KEY_KP0…KEY_KP9 and KEY_0…KEY_9.
    public static func digit(_ key: String) -> Int? {
        for prefix in ["KEY_KP", "KEY_"] where key.hasPrefix(prefix) {
            let rest = key.dropFirst(prefix.count)
            if rest.count == 1, let d = Int(rest) { return d }
        }
        return nil
    }

    /// The press a key makes at `now`, or nil when it only arms a transfer or means nothing here.
    public mutating func press(_ key: String, at now: Double) -> CounterPress? {
        if let armed = armedAt, let d = Self.digit(key), keys[key] == nil {
            armedAt = nil
            guard now - armed <= Self.armSeconds else { return nil }
            return .action(.transfer, window: window, toWindow: d)
        }
        guard let action = keys[key] else { return nil }
        if action == .transfer {
            armedAt = now
            return nil
        }
        armedAt = nil
        return .action(action, window: window)
    }
}
