import Foundation
import HallqCore
import HallqProtocol

/// The ID cards placed on kiosk readers, each held for its kiosk's next take for `hold_s`
/// (hardware/HARDWARE.md, the kiosk flow). Memory only: a restart forgets them, the store never
/// sees the masked name, and a hold ends with the take it was for or its time.
///
/// Whoever shows the card (the kiosk page's `card` op, `watch`) reads it here; `watchers` get a
/// notice line for each card placed, not stored and not sent to public screens.
public final class CardDesk: @unchecked Sendable {
    public struct Held: Sendable, Equatable {
        public var read: CardRead
        public var kiosk: String
        /// Monotonic seconds until which the card is held.
        public var until: Double
    }

    private let lock = NSLock()
    private var held: [String: Held] = [:]
    private var watchers: [UUID: @Sendable (JSONValue) -> Void] = [:]
    let clock: @Sendable () -> Double

    public init(clock: @escaping @Sendable () -> Double = { ProcessInfo.processInfo.systemUptime }) {
        self.clock = clock
    }

    /// A card was read at `kiosk`: it is that kiosk's person for `seconds`, replacing any other.
    public func present(_ read: CardRead, kiosk: String, seconds: Int) {
        lock.lock()
        held[kiosk] = Held(read: read, kiosk: kiosk, until: clock() + Double(seconds))
        lock.unlock()
    }

    /// Hands a notice line (a card placed) to every watcher.
    public func announce(_ notice: JSONValue) {
        lock.lock()
        let sinks = Array(watchers.values)
        lock.unlock()
        for s in sinks { s(notice) }
    }

    /// The card held at `kiosk` now, if any.
    public func current(kiosk: String) -> Held? {
        lock.lock()
        defer { lock.unlock() }
        guard let h = held[kiosk] else { return nil }
        guard h.until > clock() else {
            held[kiosk] = nil
            return nil
        }
        return h
    }

    /// Ends a hold: its ticket was issued, or the kiosk page's 不是我.
    func drop(kiosk: String) {
        lock.lock()
        held[kiosk] = nil
        lock.unlock()
    }

    public func watch(_ sink: @escaping @Sendable (JSONValue) -> Void) -> UUID {
        let id = UUID()
        lock.lock()
        watchers[id] = sink
        lock.unlock()
        return id
    }

    public func unwatch(_ id: UUID) {
        lock.lock()
        watchers[id] = nil
        lock.unlock()
    }
}
