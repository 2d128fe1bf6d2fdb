import Foundation
import HallqCore
import HallqStore
import Logging
import NIOConcurrencyHelpers
import PostgresNIO
import ServiceLifecycle

/// Ships the hall's event log to the province's PostgreSQL (`[central]`, docs/CENTRAL.md).
///
/// The `events` table is the outbox (append-only, `seq` ascending), with the legs and tickets
/// the province's statistics are made of. This service reads what committed after its cursors,
/// sends it as one transaction (`CentralIngest`), and only then moves the cursors (in the hall's
/// SQLite): a crash anywhere resends at most one batch, which the centre ignores, so the centre
/// has neither gaps nor duplicates. It runs beside the writer and never holds it: a take does not
/// wait for the network; an unreachable centre only grows the lag (retried with backoff up to
/// `retry_max_s`, logged once per outage and once on recovery).
public final class CentralRelay: Service, Sendable {
    /// What `status`, `/metrics` and systemd's STATUS line show.
    public struct State: Sendable, Equatable {
        public var configured = false
        public var hallId: String?
        public var url: String?
        /// The last batch (or heartbeat) reached the centre, and nothing failed since.
        public var connected = false
        /// Events not yet confirmed by the centre, and how old the oldest of them is.
        public var lagEvents = 0
        public var lagSeconds = 0
        public var lastSeq: Int64 = 0
        /// Events the centre confirmed since hallqd started.
        public var sentEvents = 0
        public var lastSentAt: Millis?
        public var lastError: String?
        public var lastErrorAt: Millis?
        public var lagWarnSeconds = 300
    }

    private let store: HallStore
    private let settings: @Sendable () async -> CentralConfig?
    private let pulse: @Sendable () async -> CentralIngest.Pulse
    private let clock: @Sendable () -> Millis
    private let logger: Logger
    private let box = NIOLockedValueBox(State())
    private let doorbell = Doorbell()

    /// A heartbeat (the hall's live state) this often when nothing is shipped.
    static let heartbeatSeconds = 20
    /// A batch that takes longer than this counts as failed (a centre that hangs).
    static let timeoutSeconds = 60

    public init(
        store: HallStore, settings: @escaping @Sendable () async -> CentralConfig?,
        pulse: @escaping @Sendable () async -> CentralIngest.Pulse, clock: @escaping @Sendable () -> Millis,
        logger: Logger
    ) {
        self.store = store
        self.settings = settings
        self.pulse = pulse
        self.clock = clock
        self.logger = logger
    }

    public var current: State { box.withLockedValue { $0 } }

    /// Something committed (or the config changed): look at the outbox now.
    public func wake() { doorbell.ring() }

    public func run() async throws {
        await cancelWhenGracefulShutdown { await self.loop() }
    }

    private func loop() async {
        var failures = 0
        var connection: PostgresConnection?
        var connectedURL: String?
        defer { if let c = connection { Task { try? await c.close() } } }
        while !Task.isCancelled {
            doorbell.reset()
            guard let config = await settings() else {
                box.withLockedValue { $0 = State() }
                if let c = connection { try? await c.close() }
                connection = nil
                await doorbell.wait(seconds: 30)
                continue
            }
            box.withLockedValue {
                $0.configured = true
                $0.hallId = config.hallId
                $0.lagWarnSeconds = config.lagWarnSeconds
                $0.url = (try? CentralURL(config.url))?.redacted
            }
            var full = false
            do {
                if connectedURL != config.url, let c = connection {
                    try? await c.close()
                    connection = nil
                }
                let c: PostgresConnection
                if let open = connection, !open.isClosed {
                    c = open
                } else {
                    c = try await CentralURL(config.url).connect(logger: logger)
                    connection = c
                    connectedURL = config.url
                }
                full = try await shipOnce(config, on: c)
                if failures > 0 {
                    logger.notice("central: the centre answers again", metadata: ["url": .string(redacted(config))])
                }
                failures = 0
            } catch {
                if Task.isCancelled { return }
                if let c = connection { try? await c.close() }
                connection = nil
                failures += 1
                let text = Self.describe(error)
                let now = clock()
                box.withLockedValue {
                    $0.connected = false
                    $0.lastError = text
                    $0.lastErrorAt = now
                }
                await refreshLag()
                if failures == 1 {
                    logger.warning(
                        "central: shipping to the centre fails; the hall serves on and retries with backoff",
                        metadata: ["url": .string(redacted(config)), "error": .string(text)])
                }
                // Backoff ignores wakes: commits must not hammer a centre that is down.
                try? await Task.sleep(for: .seconds(min(config.retryMaxSeconds, 1 << min(failures - 1, 12))))
                continue
            }
            if !full { await doorbell.wait(seconds: Self.heartbeatSeconds) }
        }
    }

    /// Ships one batch (or a heartbeat when there is nothing); true if more is waiting.
    private func shipOnce(_ config: CentralConfig, on c: PostgresConnection) async throws -> Bool {
        let cursors = try await store.centralCursors()
        let batch = try await store.centralBatch(after: cursors, limit: config.batch)
        let now = clock()
        let lagSeconds = batch.oldestPendingAt.map { max(0, Int((now - $0) / 1000)) } ?? 0
        let remaining = batch.pendingEvents - batch.events.count
        let live = await pulse()
        let logger = self.logger
        // The last event the centre will hold once this commits (a heartbeat: the cursor's).
        let lastSeq = batch.events.last?.seq ?? cursors.events
        // A centre that hangs: the connection is closed, which fails the transaction's query.
        try await withThrowingTaskGroup(of: Void.self) { g in
            g.addTask {
                try await CentralIngest.ship(
                    batch, hallId: config.hallId, pulse: live, lastSeq: lastSeq, pending: remaining,
                    lagSeconds: lagSeconds, now: now, on: c, logger: logger)
            }
            g.addTask {
                try await Task.sleep(for: .seconds(Self.timeoutSeconds))
                try? await c.close()
                throw TimedOut()
            }
            try await g.next()
            g.cancelAll()
        }
        var next = cursors
        if let e = batch.events.last { next.events = e.seq }
        if let l = batch.legs.last { next.legs = l.id }
        if let t = batch.tickets.last { next.tickets = t.id }
        if next != cursors { try await store.advanceCentralCursors(to: next, at: clock()) }
        let sent = batch.events.count
        box.withLockedValue {
            $0.connected = true
            $0.lastError = nil
            $0.sentEvents += sent
            $0.lastSeq = next.events
            $0.lastSentAt = now
        }
        await refreshLag()
        return batch.events.count == config.batch || batch.legs.count == config.batch
            || batch.tickets.count == config.batch
    }

    /// Recomputes the lag from the store (what the centre has not confirmed).
    private func refreshLag() async {
        guard let cursors = try? await store.centralCursors(),
            let b = try? await store.centralBatch(after: cursors, limit: 0)
        else { return }
        let now = clock()
        box.withLockedValue {
            $0.lagEvents = b.pendingEvents
            $0.lagSeconds = b.oldestPendingAt.map { max(0, Int((now - $0) / 1000)) } ?? 0
            $0.lastSeq = cursors.events
        }
    }

    private func redacted(_ c: CentralConfig) -> String { (try? CentralURL(c.url))?.redacted ?? "?" }

    /// PostgreSQL's own message where there is one (a refused row names the policy).
    public static func describe(_ error: any Error) -> String {
        if let p = error as? PSQLError {
            if let m = p.serverInfo?[.message] { return "PostgreSQL: \(m)" }
            return "PostgreSQL: \(p.code)"
        }
        if let t = error as? PostgresTransactionError {
            if let e = t.closureError { return describe(e) }
            if let e = t.beginError { return describe(e) }
            if let e = t.commitError { return describe(e) }
        }
        return "\(error)"
    }

    struct TimedOut: Error, CustomStringConvertible {
        var description: String { "the centre did not answer within \(CentralRelay.timeoutSeconds) s" }
    }
}
