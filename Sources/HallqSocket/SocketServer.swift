import Foundation
import HallqApp
import HallqCore
import HallqProtocol
import HallqStore
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#endif

/// Where a role's listening socket comes from: a path we bind, or a descriptor systemd passed.
public enum ListenerSource: Sendable, Equatable {
    case path(String)
    case descriptor(Int32)
}

/// The three role sockets: JSON lines in, JSON lines out (docs/PROTOCOL.md). Each connection is
/// its own task that reads a line, answers it and only then reads the next; a client that stops
/// reading therefore stalls only its own task, never the engine or anyone else.
public struct SocketServer: Service {
    let listeners: [(Role, ListenerSource)]
    let dispatcher: Dispatcher
    let hall: Hall
    let logger: Logger
    let group: MultiThreadedEventLoopGroup
    /// Open connections per role socket. A hall has dozens of clients; when a socket is full, the
    /// connection idle longest gives way to the new one (never a watcher, one with a request in
    /// hand, or one that asked something within the last second), and only when none may go is
    /// the newcomer told BUSY.
    static let maxConnectionsPerSocket = 256
    /// Watchers per role socket: a lobby display is never evicted, so watchers may fill only
    /// part of a socket and `hallqctl status` always finds a place (the rest is BUSY).
    static let maxWatchersPerSocket = 192
    /// How long a connection may take to have its last replies read before it closes anyway.
    static let drainLimit = TimeAmount.seconds(10)
    let ready: @Sendable () -> Void
    let open = OpenConnections()
    let limits: ClientLimits
    let feed: EventFeed

    public init(
        listeners: [(Role, ListenerSource)], dispatcher: Dispatcher, hall: Hall, logger: Logger,
        limits: ClientLimits = .init(), group: MultiThreadedEventLoopGroup = .singleton,
        ready: @escaping @Sendable () -> Void = {}
    ) {
        self.listeners = listeners
        self.dispatcher = dispatcher
        self.hall = hall
        self.logger = logger
        self.limits = limits
        self.group = group
        self.ready = ready
        feed = EventFeed(hall: hall, cards: dispatcher.devices.cards, backlogBytes: limits.watchBacklogBytes)
    }

    typealias Connection = NIOAsyncChannel<Frame, ByteBuffer>

    public func run() async throws {
        var bound: [(Role, NIOAsyncChannel<Connection, Never>)] = []
        for (role, source) in listeners {
            bound.append((role, try await bind(role: role, source: source)))
        }
        let servers = bound
        ready()
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                for (role, server) in servers {
                    group.addTask {
                        do {
                            try await server.executeThenClose { inbound in
                                try await withThrowingDiscardingTaskGroup { conns in
                                    for try await conn in inbound {
                                        conns.addTask { await self.serve(conn, role: role) }
                                    }
                                }
                            }
                        } catch {
                            logger.error(
                                "listener stopped",
                                metadata: ["role": .string(role.rawValue), "error": .string("\(error)")])
                        }
                    }
                }
            }
        } onGracefulShutdown: {
            // Stop accepting: closing the listeners ends the accept loops. Open connections stop
            // reading, so each finishes the request in hand, writes its reply and closes.
            for (_, s) in servers { s.channel.close(promise: nil) }
            open.stopReading()
        }
    }

    private func bind(role: Role, source: ListenerSource) async throws -> NIOAsyncChannel<Connection, Never> {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 64)
            // A client that writes its requests and then shuts down its sending side
            // (`echo … | socat`) still gets every answer: the end of its input ends the read
            // loop, not the connection.
            .childChannelOption(.allowRemoteHalfClosure, value: true)
        let lineTimeout = limits.lineTimeoutSeconds
        let initializer: @Sendable (any Channel) -> EventLoopFuture<Connection> = { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(WriteDrain())
                try channel.pipeline.syncOperations.addHandler(LineTimeoutHandler(seconds: lineTimeout))
                try channel.pipeline.syncOperations.addHandler(
                    ByteToMessageHandler(LineDecoder(maxLength: Wire.maxLineBytes)))
                return try Connection(wrappingChannelSynchronously: channel)
            }
        }
        switch source {
        case let .path(path):
            let server = try await bootstrap.bind(
                unixDomainSocketPath: path, cleanupExistingSocketFile: true,
                childChannelInitializer: initializer)
            // Owner and group may connect; the group is how a hall grants clerks and kiosks access.
            chmod(path, 0o660)
            logger.info("listening", metadata: ["role": .string(role.rawValue), "path": .string(path)])
            return server
        case let .descriptor(fd):
            logger.info(
                "listening on inherited socket",
                metadata: ["role": .string(role.rawValue), "fd": .stringConvertible(fd)])
            return try await bootstrap.bind(fd, childChannelInitializer: initializer)
        }
    }

    private func peerUID(_ channel: any Channel) async -> Int? {
        guard let provider = channel as? any SocketOptionProvider else { return nil }
        let cred: PeerCredentials? = try? await provider.unsafeGetSocketOption(
            level: SocketOptionLevel(SOL_SOCKET),
            name: SocketOptionName(SO_PEERCRED)
        ).get()
        return cred.map { Int($0.uid) }
    }

    private func serve(_ conn: Connection, role: Role) async {
        let uid = await peerUID(conn.channel)
        guard let token = open.add(conn.channel, role: role, limit: Self.maxConnectionsPerSocket) else {
            // A client opening connection after connection must not use up the daemon's files.
            logger.warning("connection refused: too many open", metadata: ["role": .string(role.rawValue)])
            try? await conn.executeThenClose { _, outbound in
                try await outbound.write(
                    Self.line(
                        Wire.error(
                            id: nil,
                            HallError(
                                .busy,
                                "too many connections on the \(role.rawValue) socket (\(Self.maxConnectionsPerSocket)); closing"
                            ))))
            }
            return
        }
        defer { open.remove(token) }
        let origin = Origin(role: role.rawValue, uid: uid, connection: token)
        var takes = TokenBucket(burst: limits.takeBurst, perMinute: limits.takesPerMinutePerConnection)
        do {
            try await conn.executeThenClose { inbound, outbound in
                try await outbound.write(Self.line(Wire.hello(role: role)))
                var lines = inbound.makeAsyncIterator()
                while let frame = try await lines.next() {
                    open.touch(token)
                    switch frame {
                    case .tooLong:
                        try await outbound.write(
                            Self.line(
                                Wire.error(
                                    id: nil,
                                    HallError(
                                        .tooLong, "a request line may be at most \(Wire.maxLineBytes) bytes; closing")))
                        )
                        await WriteDrain.drained(conn.channel, limit: Self.drainLimit)
                        return
                    case let .line(buffer):
                        let bytes = buffer.readableBytesView
                        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
                        let (id, parsed) = Wire.parse(bytes, role: role)
                        switch parsed {
                        case let .failure(e):
                            try await outbound.write(Self.line(Wire.error(id: id, e)))
                        case .success(.watch):
                            guard open.setWatching(token, limit: Self.maxWatchersPerSocket) else {
                                try await outbound.write(
                                    Self.line(
                                        Wire.error(
                                            id: id,
                                            HallError(
                                                .busy,
                                                "at most \(Self.maxWatchersPerSocket) watchers on the \(role.rawValue) socket"
                                            ))))
                                continue
                            }
                            try await outbound.write(Self.line(Wire.ok(id: id, ["watching": true])))
                            // The writer streams events; this task keeps reading so that a hang-up
                            // ends the watch. Lines sent after `watch` are ignored.
                            let channel = conn.channel
                            let writer = Task {
                                try? await watch(outbound: outbound)
                                channel.close(promise: nil)
                            }
                            defer { writer.cancel() }
                            while try await lines.next() != nil {}
                            return
                        case let .success(request):
                            if request.isTake, let wait = takes.take(at: monotonicSeconds()) {
                                try await outbound.write(
                                    Self.line(
                                        Wire.error(
                                            id: id,
                                            .rateLimited(
                                                "this connection takes tickets too fast; try again in \(Int(wait.rounded(.up))) s"
                                            ))))
                                continue
                            }
                            open.begin(token)
                            try await dispatcher.respond(to: request, id: id, origin: origin) { reply in
                                try await outbound.write(Self.line(reply))
                            }
                            open.end(token)
                        }
                    }
                }
                // The client hung up its sending side (or shutdown stopped reading): every reply
                // owed goes out before the close, which would otherwise drop what is pending.
                await WriteDrain.drained(conn.channel, limit: Self.drainLimit)
            }
        } catch {
            logger.debug("connection ended", metadata: ["role": .string(role.rawValue), "error": .string("\(error)")])
        }
    }

    /// Streams committed events until the client hangs up or leaves too many bytes unread.
    private func watch(outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>) async throws {
        let (id, events) = feed.join()
        defer { feed.leave(id) }
        for await line in events {
            guard let line else {
                try await outbound.write(
                    Self.line(
                        Wire.error(
                            id: nil,
                            HallError(
                                .tooSlow,
                                "watcher left more than \(limits.watchBacklogBytes / 1024) KB of events unread; closing"
                            ))))
                return
            }
            let n = line.readableBytes
            try await outbound.write(line)
            feed.written(id, n)
        }
    }

    /// Seconds on a clock that wall-clock steps do not move (CLOCK_MONOTONIC).

    static func line(_ v: JSONValue) -> ByteBuffer {
        var b = ByteBuffer(string: v.text)
        b.writeInteger(UInt8(ascii: "\n"))
        return b
    }

    /// Writes one error line outside the connection's own loop (a timer, another connection's
    /// arrival), then closes the connection.
    static func refuse(_ channel: any Channel, _ e: HallError) {
        channel.writeAndFlush(line(Wire.error(id: nil, e))).whenComplete { _ in channel.close(promise: nil) }
    }
}

/// The connections being served: so a full socket can let its longest-idle connection go, and a
/// graceful shutdown can tell them all to stop reading.
final class OpenConnections: @unchecked Sendable {
    private struct Entry {
        let role: Role
        let channel: any Channel
        /// When the last request line arrived (or the connection opened).
        var lastActive: UInt64
        var watching = false
        /// A request is being answered: the connection is not idle, whatever its age.
        var inFlight = false
        /// Requests answered so far: a client that has asked something is a client, not a slot
        /// held open by a flood.
        var answered = 0
    }
    private let lock = NSLock()
    private var entries: [Int: Entry] = [:]
    private var next = 0
    private var stopping = false

    /// A client that asked something this recently is active, not idle: a status monitor asking
    /// every 100 ms must not be cut for a flood of new connections.
    static let activeNanoseconds: UInt64 = 1_000_000_000

    /// Registers a connection. On a full socket the connection idle longest is told IDLE-CLOSED
    /// and closed to make room; never a watcher, one with a request in hand, or one that was
    /// answered within the last second. nil when none may go.
    func add(_ c: any Channel, role: Role, limit: Int) -> Int? {
        lock.lock()
        defer { lock.unlock() }
        let mine = entries.filter { $0.value.role == role }
        if mine.count >= limit {
            let now = DispatchTime.now().uptimeNanoseconds
            guard
                let (victim, e) = mine.filter({
                    !$0.value.watching && !$0.value.inFlight
                        && ($0.value.answered == 0 || now &- $0.value.lastActive >= Self.activeNanoseconds)
                }).min(by: { $0.value.lastActive < $1.value.lastActive })
            else {
                return nil
            }
            entries[victim] = nil
            SocketServer.refuse(
                e.channel,
                HallError(
                    .idleClosed, "the \(role.rawValue) socket is full and this connection was idle longest; closing"))
        }
        next += 1
        entries[next] = Entry(role: role, channel: c, lastActive: DispatchTime.now().uptimeNanoseconds)
        if stopping { Self.stopReading(c) }
        return next
    }

    /// A request is being answered on this connection.
    func begin(_ token: Int) {
        lock.lock()
        entries[token]?.inFlight = true
        lock.unlock()
    }

    /// Its reply is written.
    func end(_ token: Int) {
        lock.lock()
        entries[token]?.inFlight = false
        entries[token]?.answered += 1
        entries[token]?.lastActive = DispatchTime.now().uptimeNanoseconds
        lock.unlock()
    }

    func remove(_ token: Int) {
        lock.lock()
        entries[token] = nil
        lock.unlock()
    }

    /// A request line arrived on this connection.
    func touch(_ token: Int) {
        lock.lock()
        entries[token]?.lastActive = DispatchTime.now().uptimeNanoseconds
        lock.unlock()
    }

    /// Makes the connection a watcher unless its socket has `limit` of them already.
    func setWatching(_ token: Int, limit: Int) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard let role = entries[token]?.role else { return false }
        guard entries.values.filter({ $0.role == role && $0.watching }).count < limit else { return false }
        entries[token]?.watching = true
        return true
    }

    func stopReading() {
        lock.lock()
        defer { lock.unlock() }
        stopping = true
        for e in entries.values { Self.stopReading(e.channel) }
    }

    /// Half-closes the input: the line loop sees the end of the stream after the lines already
    /// read, replies to them and closes. Where half-close is refused, close outright.
    private static func stopReading(_ c: any Channel) {
        c.close(mode: .input).whenFailure { _ in c.close(promise: nil) }
    }
}

/// Linux `struct ucred` (glibc hides it behind _GNU_SOURCE): what SO_PEERCRED returns.
struct PeerCredentials: Sendable {
    var pid: Int32 = 0
    var uid: UInt32 = 0
    var gid: UInt32 = 0
}
