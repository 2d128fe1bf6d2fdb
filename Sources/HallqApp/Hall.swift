import Dispatch
import Foundation
import HallqCore
import HallqStore
import Logging

/// A command that was committed, as subscribers (watch streams, signs, systemd status) see it.
public struct Committed: Sendable {
    public var effects: Effects
    public var origin: Origin
    /// The window the command's ticket or window is at, and the ticket in hand there, right after
    /// this command: what its reply shows.
    public var window: (state: WindowState, current: Ticket?)?
    /// The engine once the command's commit group is on disk: what signs and status pages should
    /// show now (later commands of the same group included).
    public var engine: QueueEngine
    /// How long the round's transaction took to reach the disk: set on the first command of each
    /// round only (metrics count one commit per round), nil on the others.
    public var commitSeconds: Double?
    /// The last command of its round: `engine` is as of this one too (followers that render
    /// state rather than steps wait for it).
    public var endsRound = true
}

/// Owns the live queue. One writer, on one serial queue: commands are applied in arrival order to
/// a copy of the engine, the store commits their effects (fsync included), and only then does
/// the copy become the live queue and each caller hear back. Two windows calling at the same
/// instant are simply one after the other, and a failed commit changes nothing.
///
/// Group commit: commands that arrive while a commit is on its way to disk wait in `pending`;
/// the next round applies all of them, in order, and commits their effects in one transaction,
/// so a busy hall pays one fsync per round rather than one per command, and each command is still
/// acknowledged only once it is durable. A command the engine refuses is answered with its
/// refusal and adds nothing; a failed commit refuses every command of its round with
/// STORAGE-FAILED and the live queue stays as it was.
///
/// A serial queue and not an actor: the commit's fsync blocks its thread, which must not be one
/// of the cooperative pool's few threads; and an actor that awaited the commit would be
/// re-entered, letting a second command in between the first one's apply and its commit.
///
/// Reads never wait for writes: `read` looks at the last committed engine, kept under its own lock.
public final class Hall: @unchecked Sendable {
    private let queue = DispatchQueue(label: "hallq.engine")
    // On `queue` only:
    private var engine: QueueEngine
    private var subscribers: [UUID: @Sendable (Committed) -> Void] = [:]
    /// Wall minus monotonic time at the last command: when it moves by more than
    /// `clockStepThreshold`, the wall clock stepped.
    private var clockOffset: Int64?
    // Guarded by `pendingLock`: work that arrived and the flag that a drain is scheduled.
    private let pendingLock = NSLock()
    private var pending: [Job] = []
    private var draining = false
    // Guarded by `committedLock`: what readers see.
    private let committedLock = NSLock()
    private var committed: QueueEngine
    private var lastClockStep: (at: Millis, ms: Int64)?
    // Guarded by `estimateLock`: whether the look-ahead runs, and whether it must run again.
    private let estimateLock = NSLock()
    private var estimating = false
    private var estimateAgain = false
    private let estimateQueue = DispatchQueue(label: "hallq.estimate", qos: .utility)
    /// When the last estimate started (seconds of uptime), and its result.
    private var lastEstimate: Double?
    /// How long the last estimate took (seconds of uptime).
    private var lastEstimateCost = 0.0
    private var latestEstimates: WaitEstimator.Estimates?

    /// The store is the writer's: the application's own parts (dispatcher, reports, sweeps) read
    /// it; everything outside asks the hall through its intent methods (HallIntents.swift).
    let store: HallStore
    /// The keyed addresses of this hall's ticket status pages; nil where none are made.
    public let links: StatusLinks?
    public let clock: @Sendable () -> Millis
    let monoClock: @Sendable () -> MonoStamp?
    let logger: Logger
    static let clockStepThreshold: Int64 = 5000

    /// Something for the writer: a command to apply and commit, or a look at the clocks.
    private enum Job {
        case command(Command, Origin, @Sendable (Result<Committed, HallError>) -> Void)
        case clockCheck(@Sendable () -> Void)
    }

    public init(
        config: HallConfig, store: HallStore, clock: @escaping @Sendable () -> Millis = Hall.systemClock,
        mono: @escaping @Sendable () -> MonoStamp? = Hall.systemMono, links: StatusLinks? = nil, logger: Logger
    ) throws {
        self.store = store
        self.links = links
        self.clock = clock
        self.monoClock = mono
        self.logger = logger
        let calendar = HallCalendar(timeZone: TimeZone(identifier: config.timeZone) ?? .current)
        let snapshot = try store.snapshot(
            now: clock(), calendar: calendar, rules: config.queue, services: config.services.map(\.id))
        self.engine = QueueEngine(config: config, snapshot: snapshot)
        self.committed = engine
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

    /// The ticket's status page under `[http] public_url`, or nil when there is none.
    public func statusURL(_ t: Ticket, config: HallConfig) -> String? {
        links?.url(for: t, publicURL: config.http?.publicURL)
    }

    /// Applies a command and returns its effects once they are durable.
    public func submit(_ command: Command, origin: Origin) async -> Result<Committed, HallError> {
        await withCheckedContinuation { cont in
            enqueue(.command(command, origin, { cont.resume(returning: $0) }))
        }
    }

    private func enqueue(_ job: Job) {
        pendingLock.lock()
        pending.append(job)
        let schedule = !draining
        draining = true
        pendingLock.unlock()
        if schedule { queue.async { self.drain() } }
    }

    /// On `queue`: rounds until nothing is pending. What arrives during a round's fsync is the
    /// next round.
    private func drain() {
        while true {
            pendingLock.lock()
            let round = pending
            pending = []
            if round.isEmpty { draining = false }
            pendingLock.unlock()
            if round.isEmpty { return }
            commitRound(round)
        }
    }

    /// On `queue`: apply every job of the round to one copy of the engine, commit all effects in
    /// one transaction, then publish, notify in order, and answer.
    private func commitRound(_ round: [Job]) {
        // The look-ahead's latest result (it is made on a queue of its own, between rounds).
        if let latest = estimateLock.withLock({ latestEstimates }) { engine.estimates = latest }
        var next = engine
        var batch: [(effects: Effects, origin: Origin)] = []
        // What each applied command did; made into `Committed` values once the round is on disk,
        // all with the round's final engine (holding `next` per command would make each later
        // apply copy the engine).
        var applied: [(effects: Effects, origin: Origin, window: (state: WindowState, current: Ticket?)?)] = []
        var answers: [(reply: @Sendable (Result<Committed, HallError>) -> Void, result: Result<Int, HallError>)] = []
        var probes: [@Sendable () -> Void] = []
        func keep(_ e: Effects, _ origin: Origin, window: (WindowState, Ticket?)?) -> Int {
            if !e.events.isEmpty || !e.tickets.isEmpty { batch.append((e, origin)) }
            applied.append((e, origin, window))
            return applied.count - 1
        }
        for job in round {
            let (now, mono) = readClocks { step, at, mono in
                // A wall-clock step is logged before the command that noticed it.
                if let e = try? next.apply(.clockStep(ms: step), at: at, mono: mono) {
                    _ = keep(e, .system, window: nil)
                }
            }
            switch job {
            case let .clockCheck(done):
                probes.append(done)
            case let .command(command, origin, reply):
                do throws(HallError) {
                    if let refusal = WindowBinding.refusal(command, by: origin, in: next) { throw refusal }
                    let e = try next.apply(command, at: now, mono: mono)
                    answers.append((reply, .success(keep(e, origin, window: Self.replyWindow(e, next)))))
                } catch {
                    answers.append((reply, .failure(error)))
                }
            }
        }
        var commitSeconds: Double?
        if !batch.isEmpty {
            do {
                let started = ContinuousClock.now
                try store.commit(batch)
                let took = ContinuousClock.now - started
                commitSeconds = Double(took.components.seconds) + Double(took.components.attoseconds) * 1e-18
            } catch {
                logger.error(
                    "store commit failed; the operations are refused",
                    metadata: ["error": .string("\(error)"), "operations": .stringConvertible(batch.count)])
                let refusal = HallError(.storageFailed, "the operation could not be saved and did not happen")
                for a in answers { a.reply(.failure(refusal)) }
                for p in probes { p() }
                return
            }
        }
        engine = next
        committedLock.lock()
        committed = next
        committedLock.unlock()
        let notices = applied.enumerated().map { i, a in
            Committed(
                effects: a.effects, origin: a.origin, window: a.window, engine: next,
                commitSeconds: i == 0 ? commitSeconds : nil, endsRound: i == applied.count - 1)
        }
        for n in notices { for s in subscribers.values { s(n) } }
        for a in answers { a.reply(a.result.map { notices[$0] }) }
        for p in probes { p() }
        refreshEstimates()
    }

    /// Plays the committed queue forward (`WaitEstimator`) on a queue of its own at utility
    /// priority, off the writer's path, and hands the estimates to the
    /// engine; rounds that commit meanwhile make one more run, not one each, and runs start at
    /// most once a second. Called after every commit round and on the watchdog's tick (a quiet
    /// hall's estimates move with the time of the ticket in hand).
    public func refreshEstimates() {
        // Nobody waiting: nothing to estimate but the wait of a ticket taken now, which the
        // last estimates shifted (never below zero) still give.
        let engine = snapshotEngine()
        guard engine.config.eta.method == .lookahead, engine.waitingTotal > 0 else { return }
        estimateLock.lock()
        if estimating {
            estimateAgain = true
            estimateLock.unlock()
            return
        }
        estimating = true
        let interval = max(Self.estimateInterval, Self.estimateShare * lastEstimateCost)
        let wait = lastEstimate.map { $0 + interval - ProcessInfo.processInfo.systemUptime } ?? 0
        estimateLock.unlock()
        estimateQueue.asyncAfter(deadline: .now() + max(0, wait)) { self.estimateOnce() }
    }

    /// Estimates start at most this often (seconds): a burst of commands costs one estimate a
    /// second, however busy the queue, and a ticket taken in between is shifted from the last.
    static let estimateInterval = 1.0

    /// …and no sooner than this many times the last run's length after it: a queue long enough
    /// that playing it forward takes a while (thousands waiting) costs at most a fifth of a
    /// core, not a core (hallq-bench's 2,000 waiting: the estimator took half its CPU).
    static let estimateShare = 5.0

    /// On `estimateQueue`. The result goes to readers at once and to the writer at the start of
    /// its next round (`latestEstimates`).
    private func estimateOnce() {
        let started = ProcessInfo.processInfo.systemUptime
        estimateLock.withLock { lastEstimate = started }
        let estimates = WaitEstimator.estimate(snapshotEngine(), at: clock())
        let cost = ProcessInfo.processInfo.systemUptime - started
        estimateLock.withLock { lastEstimateCost = cost }
        committedLock.withLock { committed.estimates = estimates }
        estimateLock.lock()
        latestEstimates = estimates
        estimating = false
        let again = estimateAgain
        estimateAgain = false
        estimateLock.unlock()
        if again { refreshEstimates() }
    }

    /// The window a command's reply shows, as it is right after the command.
    private static func replyWindow(_ e: Effects, _ engine: QueueEngine) -> (WindowState, Ticket?)? {
        let n: Int?
        switch e.subject {
        case let .ticket(t): n = t.window
        case let .window(w): n = w.number
        default: n = nil
        }
        guard let n, let w = engine.windows[n] else { return nil }
        return (w, w.current.flatMap { engine.live[$0] })
    }

    /// Both clocks; `stepped` is told first when the wall clock stepped since the last reading.
    /// On `queue`.
    private func readClocks(stepped: (Int64, Millis, MonoStamp) -> Void) -> (Millis, MonoStamp?) {
        let now = clock()
        let mono = monoClock()
        guard let mono else { return (now, nil) }
        let offset = now - mono.ms
        if let before = clockOffset, abs(offset - before) > Self.clockStepThreshold {
            let step = offset - before
            clockOffset = offset
            committedLock.lock()
            lastClockStep = (now, step)
            committedLock.unlock()
            logger.warning("the wall clock stepped", metadata: ["step_s": .stringConvertible(Double(step) / 1000)])
            stepped(step, now, mono)
        }
        clockOffset = offset
        return (now, mono)
    }

    /// Looks for a wall-clock step now (the watchdog asks, so a step is logged even in a quiet hall).
    public func checkClock() async {
        await withCheckedContinuation { (cont: CheckedContinuation<Void, Never>) in
            enqueue(.clockCheck({ cont.resume() }))
        }
    }

    /// The last wall-clock step seen since start: when, and by how many ms; for `status`.
    public func clockStep() async -> (at: Millis, ms: Int64)? {
        committedLock.withLock { lastClockStep }
    }

    /// A consistent look at the live queue as last committed. Never waits for a commit.
    public func read<T: Sendable>(_ body: @escaping @Sendable (QueueEngine) -> T) async -> T {
        body(snapshotEngine())
    }

    /// The live queue as last committed.
    public func snapshotEngine() -> QueueEngine {
        committedLock.lock()
        defer { committedLock.unlock() }
        return committed
    }

    /// Swaps the config without touching the queue (reload).
    public func reconfigure(_ config: HallConfig) async {
        await withCheckedContinuation { (cont: CheckedContinuation<Void, Never>) in
            queue.async {
                self.engine.reconfigure(config)
                self.committedLock.lock()
                self.committed = self.engine
                self.committedLock.unlock()
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
