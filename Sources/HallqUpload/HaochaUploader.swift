import Foundation
import HallqCore
import HallqProtocol
import HallqStore
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// Sends the hall's case ratings to the province's 好差评 system (`[haocha]`, docs/HAOCHA.md).
///
/// The `case_ratings` table is the outbox: rows are written in the same transaction as the rating,
/// in id order. This service reads the rows after its cursor (`sink_cursors`, sink "haocha"),
/// POSTs each as one JSON object in the configured profile with `Idempotency-Key:
/// <hall_id>-<id>`, and moves the cursor past a row only once the province answered 2xx. So the
/// province gets every rating, in order; after a crash between its answer and the cursor's
/// commit it may get the last one again, and always the same bytes (the record is built from the
/// stored row and the profile alone). It runs beside the writer and never holds it: a take does
/// not wait for the network, and an unreachable province only grows the backlog (retried with
/// backoff up to a minute, logged once per outage).
public final class HaochaUploader: Service, @unchecked Sendable {
    public static let sink = "haocha"

    /// What `status`, `/metrics` and the dashboard show.
    public struct State: Sendable, Equatable {
        public var configured = false
        /// Ratings not yet confirmed by the province.
        public var pending = 0
        /// Ratings confirmed since hallqd started, and the last confirmed id.
        public var sent = 0
        public var lastId: Int64 = 0
        public var lastSentAt: Millis?
        /// The last failure, while failing (nil once a send succeeds again).
        public var lastError: String?
        public var lastErrorAt: Millis?
    }

    private let store: HallStore
    private let settings: @Sendable () async -> (HaochaConfig?, HallCalendar)
    private let clock: @Sendable () -> Millis
    private let logger: Logger
    private let lock = NSLock()
    private var state = State()
    private let doorbell = Doorbell()

    public init(
        store: HallStore, settings: @escaping @Sendable () async -> (HaochaConfig?, HallCalendar),
        clock: @escaping @Sendable () -> Millis, logger: Logger
    ) {
        self.store = store
        self.settings = settings
        self.clock = clock
        self.logger = logger
    }

    public var current: State { lock.withLock { state } }

    /// A rating was committed (or the config changed): look at the outbox now.
    public func wake() { doorbell.ring() }

    public func run() async throws {
        await cancelWhenGracefulShutdown { await self.loop() }
    }

    private func loop() async {
        var failures = 0
        while !Task.isCancelled {
            // A wake from here on means another look; one before it is answered by this one.
            doorbell.reset()
            let (config, calendar) = await settings()
            guard let config else {
                lock.withLock { state.configured = false }
                await doorbell.wait(seconds: 30)
                continue
            }
            do {
                let cursor = try await store.sinkCursor(Self.sink)
                let pending = try await store.caseRatingCount(after: cursor)
                lock.withLock {
                    state.configured = true
                    state.pending = pending
                    state.lastId = cursor
                }
                let batch = try await store.caseRatings(after: cursor, limit: 100)
                if batch.isEmpty {
                    await doorbell.wait(seconds: 30)
                    continue
                }
                for r in batch {
                    try await send(r, config: config, calendar: calendar)
                    try await store.advanceSinkCursor(Self.sink, to: r.id, at: clock())
                    lock.withLock {
                        state.sent += 1
                        state.pending = max(0, state.pending - 1)
                        state.lastId = r.id
                        state.lastSentAt = clock()
                        state.lastError = nil
                    }
                }
                if failures > 0 {
                    logger.notice("好差评 upload: the province answers again", metadata: ["url": .string(config.url)])
                }
                failures = 0
            } catch {
                if Task.isCancelled { return }
                failures += 1
                let text = "\(error)"
                lock.withLock {
                    state.lastError = text
                    state.lastErrorAt = clock()
                }
                if failures == 1 {
                    logger.warning(
                        "好差评 upload failing; retrying with backoff",
                        metadata: ["url": .string(config.url), "error": .string(text)])
                }
                // Backoff ignores wakes: new ratings must not hammer a province that is down.
                try? await Task.sleep(for: .seconds(min(config.retryMaxSeconds, 1 << min(failures - 1, 12))))
            }
        }
    }

    struct Refused: Error, CustomStringConvertible {
        var status: UInt
        var description: String { "the province answered HTTP \(status)" }
    }

    /// One rating as its profile writes it: the body and the key the province dedupes on.
    public static func request(
        _ r: CaseRating, config: HaochaConfig, calendar: HallCalendar
    ) -> (key: String, body: String) {
        let fields = Render.haochaRecord(
            r, profile: config.profile, region: config.region, hall: config.hallId, calendar: calendar)
        return ("\(config.hallId)-\(r.id)", JSONValue.object(Dictionary(fields, uniquingKeysWith: { a, _ in a })).text)
    }

    private func send(_ r: CaseRating, config: HaochaConfig, calendar: HallCalendar) async throws {
        let (key, body) = Self.request(r, config: config, calendar: calendar)
        let status = try await ProvincePost.send(
            url: config.url, headers: [("Idempotency-Key", key)] + config.headers.sorted { $0.key < $1.key },
            body: body, timeout: .seconds(Int64(config.timeoutSeconds)), group: MultiThreadedEventLoopGroup.singleton)
        guard (200..<300).contains(status) else { throw Refused(status: status) }
    }
}
