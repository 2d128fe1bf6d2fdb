import ArgumentParser
import Foundation
import HallqCentral
import HallqCore
import HallqProtocol
import Hummingbird
import Logging
import NIOConcurrencyHelpers
import NIOCore
import PostgresNIO
import ServiceLifecycle
import UnixSignals

/// `hallq-central serve`: the province's dashboard on Hummingbird. Every hall live on one page
/// (fed by PostgreSQL's LISTEN/NOTIFY: each relay's batch ends with `NOTIFY hallq_live`, which
/// this turns into a server-sent event carrying that hall's row), a hall's services and windows,
/// statistics across halls with charts and CSV, and the monthly report. Sign-in required.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the province's dashboard (sign-in with hallq-central account add).")
    @OptionGroup var database: Database
    @Option(help: "Address to listen on, host:port (default 127.0.0.1:8300, or listen in the config).")
    var listen: String?

    func run() async throws {
        setUpLogging(.info)
        let settings = try database.settings()
        let url = try CentralURL(settings.db!)
        let address = listen ?? settings.listen
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]) else {
            throw ValidationError("listen must be host:port")
        }
        let host = String(address[..<colon])
        let logger = Logger(label: "hallq-central")
        let db = CentralDB(url: url, logger: logger)
        let hub = LiveHub()
        let listener = LiveListener(url: url, db: db, hub: hub, logger: logger)
        let app = Application(
            router: DashboardRoutes(db: db, hub: hub, logger: logger).router(),
            configuration: .init(address: .hostname(host, port: port), serverName: "hallq-central"),
            onServerRunning: { channel in
                logger.notice(
                    "dashboard listening",
                    metadata: ["address": .string(channel.localAddress.map { "\($0)" } ?? address)])
            },
            logger: logger)
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: app), .init(service: listener)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        do {
            try await group.run()
        } catch {
            await db.close()
            throw error
        }
        await db.close()
    }
}

/// One query connection, opened again when it broke.
actor CentralDB {
    let url: CentralURL
    let logger: Logger
    private var connection: PostgresConnection?

    init(url: CentralURL, logger: Logger) {
        self.url = url
        self.logger = logger
    }

    func run<T: Sendable>(_ body: @Sendable (PostgresConnection, Logger) async throws -> T) async throws -> T {
        let c: PostgresConnection
        if let open = connection, !open.isClosed {
            c = open
        } else {
            c = try await url.connect(logger: logger)
            connection = c
        }
        return try await body(c, logger)
    }

    func close() async {
        if let c = connection { try? await c.close() }
        connection = nil
    }
}

/// The live page's subscribers: each gets every changed hall's row as an SSE event.
final class LiveHub: Sendable {
    private let box = NIOLockedValueBox([Int: AsyncStream<String>.Continuation]())
    private let next = NIOLockedValueBox(0)
    private let closed = NIOLockedValueBox(false)

    func join() -> (Int, AsyncStream<String>) {
        let id = next.withLockedValue {
            $0 += 1
            return $0
        }
        let (stream, continuation) = AsyncStream<String>.makeStream(bufferingPolicy: .bufferingNewest(200))
        if closed.withLockedValue({ $0 }) {
            continuation.finish()
        } else {
            box.withLockedValue { $0[id] = continuation }
        }
        return (id, stream)
    }

    func leave(_ id: Int) { _ = box.withLockedValue { $0.removeValue(forKey: id) }?.finish() }

    /// Ends every stream, and every later one at once (the server is stopping).
    func close() {
        let all = box.withLockedValue { b in
            defer { b.removeAll() }
            return Array(b.values)
        }
        closed.withLockedValue { $0 = true }
        for c in all { c.finish() }
    }

    func publish(_ chunk: String) {
        for c in box.withLockedValue({ Array($0.values) }) { c.yield(chunk) }
    }

    var subscribers: Int { box.withLockedValue { $0.count } }
}

/// LISTEN hallq_live on a connection of its own; each notification names a hall, whose row is
/// read and published. A 30 s tick republishes every hall (online turns false without a NOTIFY).
struct LiveListener: Service {
    let url: CentralURL
    let db: CentralDB
    let hub: LiveHub
    let logger: Logger

    func run() async throws {
        await withGracefulShutdownHandler {
            await cancelWhenGracefulShutdown {
                await withTaskGroup(of: Void.self) { g in
                    g.addTask { await self.listen() }
                    g.addTask { await self.tick() }
                    await g.waitForAll()
                }
            }
        } onGracefulShutdown: {
            // Open pages' streams end, so the HTTP server's own shutdown can finish.
            hub.close()
        }
        logger.info("dashboard: live listener stopped")
    }

    private func listen() async {
        var failures = 0
        while !Task.isCancelled {
            do {
                let c = try await url.connect(logger: logger)
                defer { Task { try? await c.close() } }
                failures = 0
                try await c.listen(on: "hallq_live") { notifications in
                    // Whatever changed while this was not listening.
                    await publish(nil)
                    for try await n in notifications { await publish(n.payload) }
                }
            } catch {
                if Task.isCancelled { return }
                failures += 1
                if failures == 1 {
                    logger.warning(
                        "dashboard: LISTEN failed; retrying", metadata: ["error": .string(CentralRelay.describe(error))]
                    )
                }
                try? await Task.sleep(for: .seconds(min(30, 1 << min(failures, 5))))
            }
        }
    }

    private func tick() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(30))
            await publish(nil)
        }
    }

    /// Reads the hall (or all) and sends each row to the subscribers.
    func publish(_ hall: String?) async {
        guard hub.subscribers > 0 else { return }
        do {
            let rows = try await db.run { c, logger in try await CentralLive.halls(only: hall, on: c, logger: logger) }
            for r in rows { hub.publish("event: hall\ndata: \(DashboardRoutes.json(r))\n\n") }
        } catch {
            if Task.isCancelled { return }
            logger.warning(
                "dashboard: cannot read the live rows", metadata: ["error": .string(CentralRelay.describe(error))])
        }
    }
}
