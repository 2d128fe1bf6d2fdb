import Foundation
import HallqApp
import HallqCore
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#endif

/// The HTTP listener as one service of hallqd's ServiceGroup. hallqd binds the TCP port itself
/// (`[http] listen`): a systemd socket unit cannot hand a TCP socket to Hummingbird's bind
/// options, and the unit's sandbox allows only what this needs (docs/HTTP.md).
///
/// On shutdown the event streams end first, so the server's graceful stop does not wait on them.
public struct WebServer: Service {
    let faces: WebFaces
    let http: HTTPConfig
    let logger: Logger

    public init(faces: WebFaces, http: HTTPConfig, logger: Logger) {
        self.faces = faces
        self.http = http
        self.logger = logger
    }

    /// The services `[http]` asks for: none when it is absent.
    public static func services(
        hall: Hall, devices: any HallDevices, dispatcher: Dispatcher, config: HallConfig, stateDir: URL,
        version: String, logger: Logger
    ) async -> [any Service] {
        guard let http = config.http else { return [] }
        let faces = await WebFaces(
            hall: hall, devices: devices, dispatcher: dispatcher, stateDir: stateDir,
            heartbeat: .seconds(http.heartbeatSeconds),
            version: version, logger: logger)
        return [WebServer(faces: faces, http: http, logger: logger)]
    }

    public func run() async throws {
        let faces = self.faces
        try await withGracefulShutdownHandler {
            try await withThrowingTaskGroup(of: Void.self) { group in
                // The faces' fan-out to the streams, and every request handler (OnHTTPThreads),
                // run on the HTTP threads (HTTPThreads), not on the pool the sockets' requests
                // use. The server itself runs without that preference: Hummingbird's date timer
                // goes through swift-async-algorithms' `merge`, whose lock (1.1.4) is held while
                // its task hops to a preferred executor; a shutdown cancelling it then deadlocked
                // hallqd (seen in a test run: stuck after SIGTERM, every HTTP thread waiting).
                group.addTask(executorPreference: HTTPThreads.shared) { await faces.run() }
                group.addTask { try await self.serve() }
                // Both end on graceful shutdown: the server stops itself (not cancelled, which
                // would cut its connections), the faces when `close` ends their streams.
                try await group.waitForAll()
            }
        } onGracefulShutdown: {
            faces.close()
        }
    }

    /// The HTTP listener's own event loop: one thread at nice 5. Reading, parsing and writing
    /// HTTP (a lobby of phones, or a flood of made-up logins from the LAN) then takes at most one
    /// core, below the sockets' loops and the writer, so the queue's commits and the kiosks'
    /// replies come first on a busy machine. The board and pages are still served by it at once
    /// when the machine is not saturated.
    static let httpLoop: MultiThreadedEventLoopGroup = {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        // Linux: nice is per thread; PRIO_PROCESS with who 0 is the calling thread.
        group.next().execute { _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 5) }
        return group
    }()

    /// Plain HTTP, or HTTPS with `[http] tls_cert` / `tls_key` (PEM).
    static func server(_ http1: HTTPServerBuilder, _ http: HTTPConfig) throws -> HTTPServerBuilder {
        guard let cert = http.tlsCert, let key = http.tlsKey else { return http1 }
        let chain = try NIOSSLCertificate.fromPEMFile(cert).map { NIOSSLCertificateSource.certificate($0) }
        let tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain, privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)))
        return try .tls(http1, tlsConfiguration: tls)
    }

    /// Serves until shutdown. A port that cannot be bound (in use, not allowed) is logged and
    /// tried again every 10 s: the queue, the sockets and the devices go on meanwhile.
    private func serve() async throws {
        let logger = self.logger
        let http = self.http
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            // Deadlines for the head, the body and idle keep-alive; connections counted per
            // client address and in all, with a 503 beyond (ConnectionGuard).
            let census = faces.census
            if census.maxConnections < http.maxConnections || census.maxStreams < http.maxStreams {
                logger.warning(
                    "http: the open-file limit leaves room for fewer connections than [http] asks; raise LimitNOFILE",
                    metadata: [
                        "open_files": .stringConvertible(ConnectionCensus.openFileLimit()),
                        "max_connections": .stringConvertible(census.maxConnections),
                        "max_streams": .stringConvertible(census.maxStreams),
                    ])
            }
            let (header, body, idle) = (http.headerTimeoutSeconds, http.bodyTimeoutSeconds, http.idleSeconds)
            let http1 = HTTPServerBuilder { responder in
                GuardedHTTP1Channel(
                    inner: HTTP1Channel(
                        responder: responder,
                        configuration: .init(
                            additionalChannelHandlers: [
                                RequestDeadlines(
                                    header: .seconds(Int64(header)), body: .seconds(Int64(body)),
                                    idle: .seconds(Int64(idle)))
                            ])),
                    census: census, checkRequestLine: http.tlsCert == nil)
            }
            let server: HTTPServerBuilder
            do {
                server = try Self.server(http1, http)
            } catch {
                logger.error(
                    "http listener: the TLS certificate or key cannot be used; trying again in 10 s",
                    metadata: ["tls_cert": .string(http.tlsCert ?? ""), "error": .string("\(error)")])
                try? await Task.sleep(for: .seconds(10))
                continue
            }
            let app = Application(
                router: faces.router(),
                server: server,
                configuration: .init(
                    address: .hostname(http.host, port: http.port), serverName: "hallqd",
                    // Accepting stops only far beyond the census's limit: up to it connections
                    // are served, beyond it they are told 503 at once rather than left waiting.
                    availableConnectionsDelegate: MaximumAvailableConnections(
                        census.maxConnections * 2 + census.maxStreams)),
                onServerRunning: { channel in
                    logger.notice(
                        "http listening",
                        metadata: [
                            "address": .string(channel.localAddress.map { "\($0)" } ?? "\(http.host):\(http.port)")
                        ])
                },
                eventLoopGroupProvider: .shared(Self.httpLoop),
                logger: logger)
            do {
                try await app.run()
                return
            } catch {
                if Task.isCancelled || Task.isShuttingDownGracefully { return }
                // Under systemd without the hallqd-http.conf drop-in, the sandbox refuses
                // Internet sockets: say so where the admin looks.
                logger.error(
                    "http listener failed; trying again in 10 s (under systemd, is the hallqd-http.conf drop-in installed? docs/HTTP.md)",
                    metadata: ["listen": .string("\(http.host):\(http.port)"), "error": .string("\(error)")])
                try? await Task.sleep(for: .seconds(10))
            }
        }
    }
}
