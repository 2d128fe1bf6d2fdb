/// Which sign on a bus gets a frame next: the scheduling rules of a half-duplex sign bus as a
/// value, so they are tested with a made-up clock (NIO-style: told what happened, asked what to
/// do; it never touches a port or a lock). A bus driver only locks, asks, writes, and reports.
///
/// The rules:
/// - Only each sign's *latest* content is kept: a burst of updates for one sign is one frame.
/// - A fresh call (flashing) goes before everything else; other changes keep their place.
/// - Every sign is sent again `refresh` seconds after it was last written, the oldest first,
///   because signs forget their text on power loss.
/// - A write that failed is tried first once the bus is back; after a reconnect every sign is
///   sent again (the signs may have lost power with the adapter).
public struct SignSchedule: Sendable, Equatable {
    /// What to do now.
    public enum Next: Sendable, Equatable {
        /// Write this content to the sign at this address, then report `sent` or `failed`.
        case send(address: Int, content: SignContent)
        /// Nothing is due; the next refresh is due at this time (nil: nothing was sent yet).
        case wait(until: Double?)
    }

    /// Seconds between periodic re-sends of one sign.
    public let refresh: Double
    private var wanted: [Int: SignContent] = [:]
    private var urgent: [Int] = []
    private var routine: [Int] = []
    /// When each sign was last written, on the caller's clock (seconds).
    private var lastSent: [Int: Double] = [:]

    public init(refresh: Double) { self.refresh = refresh }

    /// The sign at `address` should show `content`. Returns whether that changed anything.
    @discardableResult
    public mutating func want(_ content: SignContent, address: Int) -> Bool {
        guard wanted[address] != content else { return false }
        wanted[address] = content
        if content.effect == .flash {
            // A fresh call jumps the line.
            routine.removeAll { $0 == address }
            if !urgent.contains(address) { urgent.append(address) }
        } else if !isQueued(address) {
            routine.append(address)
        }
        return true
    }

    /// The next frame to write at time `now`, or how long there is nothing to do.
    public mutating func next(now: Double) -> Next {
        if !urgent.isEmpty {
            let a = urgent.removeFirst()
            return .send(address: a, content: wanted[a]!)
        }
        if !routine.isEmpty {
            let a = routine.removeFirst()
            return .send(address: a, content: wanted[a]!)
        }
        // Periodic refresh: the sign written longest ago, once it is due.
        guard
            let (a, at) = lastSent.filter({ wanted[$0.key] != nil }).min(by: { ($0.value, $0.key) < ($1.value, $1.key) }
            )
        else { return .wait(until: nil) }
        if now - at >= refresh { return .send(address: a, content: wanted[a]!) }
        return .wait(until: at + refresh)
    }

    /// The frame for `address` is on the wire (and answered, where signs answer).
    public mutating func sent(address: Int, at now: Double) { lastSent[address] = now }

    /// The write to `address` failed (the port went away): it goes first when the bus is back.
    public mutating func failed(address: Int) {
        if !isQueued(address) { urgent.insert(address, at: 0) }
    }

    /// The bus was (re)opened: every sign with content is sent again, in address order.
    public mutating func resendAll() {
        for a in wanted.keys.sorted() where !isQueued(a) { routine.append(a) }
    }

    private func isQueued(_ a: Int) -> Bool { urgent.contains(a) || routine.contains(a) }
}
