/// One rule for a double press at a kiosk, the touchscreen's and the button box's alike: the same
/// service (and lane) pressed again within `seconds` of the press that started it is that same
/// press. Both kiosks send such a press with the same idempotency key, and the engine answers it
/// with the ticket already issued (`duplicate`: nothing prints twice). Another service, or the
/// same one after `seconds`, is a new press with a new key. The engine keeps keys for
/// `[queue] idempotency_s` (10 s by default), which must not be shorter than this.
///
/// The web kiosk reads `seconds` from /assets/vocabulary.js; the button box's presses go through
/// `CounterDesk`, which keeps one of these per kiosk keypad.
public struct DoublePress: Sendable {
    public static let seconds = 4.0

    private var last: (service: String, priority: Bool, at: Double, key: String)?

    public init() {}

    /// The idempotency key for a press of `service` at `now` (seconds, monotonic): the previous
    /// press's within the window, else a fresh one from `fresh`.
    public mutating func key(service: String, priority: Bool = false, at now: Double, fresh: () -> String) -> String {
        if let last, last.service == service, last.priority == priority, now - last.at < Self.seconds {
            return last.key
        }
        let key = fresh()
        last = (service, priority, now, key)
        return key
    }
}
