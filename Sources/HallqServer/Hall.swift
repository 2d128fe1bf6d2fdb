import Dispatch
import Foundation
import HallqCore
import HallqStore
import Logging

/// A command that was committed, as subscribers (watch streams, signs, systemd status) see it.
public struct Committed: Sendable {
    public var effects: Effects
    public var origin: Origin
    /// The engine right after the command: what signs and status pages should show now.
    public var engine: QueueEngine
}

/// Owns the live queue. Every command runs on one serial queue: the engine is applied to a copy,
/// the store commits the outcome (fsync included), and only then does the copy become the live
/// queue and the caller hear back. One writer means two windows calling at the same instant are
/// simply one after the other, and a failed commit changes nothing.
///
/// A serial queue and not an actor: the commit's fsync blocks its thread, which must not be one
/// of the cooperative pool's few threads; and an actor that awaited the commit would be
/// re-entered, letting a second command in between the first one's apply and its commit.
public final class Hall: @unchecked Sendable {
    // Invariant: `engine` and `subscribers` are touched only on `queue`.
    private let queue = DispatchQueue(label: "hallq.engine")
    private var engine: QueueEngine
    private var subscribers: [UUID: @Sendable (Committed) -> Void] = [:]
    public let store: HallStore
    public let clock: @Sendable () -> Millis
    let monoClock: @Sendable () -> MonoStamp?
    let logger: Logger
    /// Wall minus monotonic time at the last command: when it moves by more than
    /// `clockStepThreshold`, the wall clock stepped.
    private var clockOffset: Int64?
    private var lastClockStep: (at: Millis, ms: Int64)?
    static let clockStepThreshold: Int64 = 5000

    public init(
        config: HallConfig, store: HallStore, clock: @escaping @Sendable () -> Millis = Hall.systemClock,
        mono: @escaping @Sendable () -> MonoStamp? = Hall.systemMono, logger: Logger
    ) throws {
        self.store = store
        self.clock = clock
        self.monoClock = mono
        self.logger = logger
        let calendar = HallCalendar(timeZone: TimeZone(identifier: config.timeZone) ?? .current)
        let snapshot = try store.snapshot(now: clock(), calendar: calendar, rules: config.queue)
        self.engine = QueueEngine(config: config, snapshot: snapshot)
    }

    public static let systemClock: @Sendable () -> Millis = { Millis((Date().timeIntervalSince1970 * 1000).rounded()) }

    /// This boot's id: monotonic readings compare only within one boot.
    static let bootID: String? = (try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8))
        .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }

    /// CLOCK_BOOTTIME in ms with the boot id; nil where either cannot be read.
    public static let systemMono: @Sendable () -> MonoStamp? = {
        guard let boot = bootID else { return nil }
        var ts = timespec()
        guard clock_gettime(CLOCK_BOOTTIME, &ts) == 0 else { return nil }
        return MonoStamp(boot: boot, ms: Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000)
    }

    /// Applies a command and returns its effects once they are durable.
    public func submit(_ command: Command, origin: Origin) async -> Result<Committed, HallError> {
        await withCheckedContinuation { cont in
            queue.async {
                cont.resume(returning: self.applyOnQueue(command, origin: origin))
            }
        }
    }

    private func applyOnQueue(_ command: Command, origin: Origin) -> Result<Committed, HallError> {
        let (now, mono) = readClocks()
        return commitOnQueue(command, origin: origin, now: now, mono: mono)
    }

    /// Apply to a copy, commit, then swap the copy in and tell the subscribers. On the engine queue.
    private func commitOnQueue(
        _ command: Command, origin: Origin, now: Millis, mono: MonoStamp?
    ) -> Result<Committed, HallError> {
        var next = engine
        let effects: Effects
        do {
            effects = try next.apply(command, at: now, mono: mono)
        } catch {
            return .failure(error)
        }
        if !effects.events.isEmpty || !effects.tickets.isEmpty {
            do {
                try store.commit(effects, origin: origin)
            } catch {
                logger.error("store commit failed; the operation is refused", metadata: ["error": .string("\(error)")])
                return .failure(HallError(.storageFailed, "the operation could not be saved and did not happen"))
            }
        }
        engine = next
        let committed = Committed(effects: effects, origin: origin, engine: next)
        for s in subscribers.values { s(committed) }
        return .success(committed)
    }

    /// Both clocks, and a `clock` event first when the wall clock stepped since the last reading.
    /// On the engine queue.
    private func readClocks() -> (Millis, MonoStamp?) {
        let now = clock()
        let mono = monoClock()
        guard let mono else { return (now, nil) }
        let offset = now - mono.ms
        if let before = clockOffset, abs(offset - before) > Self.clockStepThreshold {
            let step = offset - before
            clockOffset = offset
            lastClockStep = (now, step)
            logger.warning("the wall clock stepped", metadata: ["step_s": .stringConvertible(Double(step) / 1000)])
            _ = commitOnQueue(.clockStep(ms: step), origin: .system, now: now, mono: mono)
        }
        clockOffset = offset
        return (now, mono)
    }

    /// Looks for a wall-clock step now (the watchdog asks, so a step is logged even in a quiet hall).
    public func checkClock() async {
        await withCheckedContinuation { (cont: CheckedContinuation<Void, Never>) in
            queue.async {
                _ = self.readClocks()
                cont.resume()
            }
        }
    }

    /// The last wall-clock step seen since start: when, and by how many ms; for `status`.
    public func clockStep() async -> (at: Millis, ms: Int64)? {
        await withCheckedContinuation { cont in
            queue.async { cont.resume(returning: self.lastClockStep) }
        }
    }

    /// A consistent look at the live queue.
    public func read<T: Sendable>(_ body: @escaping @Sendable (QueueEngine) -> T) async -> T {
        await withCheckedContinuation { cont in
            queue.async { cont.resume(returning: body(self.engine)) }
        }
    }

    /// Synchronous variant for start-up and tests.
    public func snapshotEngine() -> QueueEngine { queue.sync { engine } }

    /// Swaps the config without touching the queue (reload).
    public func reconfigure(_ config: HallConfig) async {
        await withCheckedContinuation { (cont: CheckedContinuation<Void, Never>) in
            queue.async {
                self.engine.reconfigure(config)
                cont.resume()
            }
        }
    }

    /// Calls `handler` on the engine queue after every commit. Handlers must only hand the value
    /// on (yield into a stream): they run inside the single writer.
    public func subscribe(_ handler: @escaping @Sendable (Committed) -> Void) -> UUID {
        let id = UUID()
        queue.sync { subscribers[id] = handler }
        return id
    }

    public func unsubscribe(_ id: UUID) {
        queue.async { self.subscribers[id] = nil }
    }
}
