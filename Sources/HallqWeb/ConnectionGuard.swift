import Foundation
import HTTPTypes
import HallqCore
import HallqProtocol
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTPTypes

#if canImport(Glibc)
import Glibc
#endif

/// The connections the HTTP listener holds, by client address: so one host on the hall's LAN
/// cannot take the whole pool, and a full pool answers 503 at once instead of leaving a connect
/// hanging in the accept queue (the lobby board must hear "busy" and retry, not time out).
///
/// A connection that becomes an event stream leaves the request count for the streams' own
/// budget: phones following their tickets cannot crowd out the requests of the board and the
/// staff pages, and the last `reservedStreams` streams are kept for the board and staff pages
/// (a status page asks with `viewer=phone`; when the phones' share is spent it polls instead).
final class ConnectionCensus: @unchecked Sendable {
    private let lock = NSLock()
    private var byAddress: [String: Int] = [:]
    private var total = 0
    private var streams = 0
    /// Request connections counted now, by their channel (a stream leaves this set).
    private var admitted = Set<ObjectIdentifier>()
    let maxPerClient: Int
    let maxConnections: Int
    let maxStreams: Int
    static let reservedStreams = 64

    init(maxPerClient: Int, maxConnections: Int, maxStreams: Int) {
        self.maxPerClient = maxPerClient
        self.maxConnections = maxConnections
        self.maxStreams = maxStreams
    }

    /// `[http]`'s limits, within the open files this process may have: with a low limit
    /// (hallqd could not raise it), connections are refused with 503 by the census before
    /// accept runs out of descriptors and leaves clients waiting.
    convenience init(_ http: HTTPConfig, openFiles: Int = ConnectionCensus.openFileLimit()) {
        let (connections, streams) = Self.fit(http, openFiles: openFiles)
        self.init(maxPerClient: http.maxPerClient, maxConnections: connections, maxStreams: streams)
    }

    /// Descriptors kept for everything but HTTP: three role sockets of 256, the database, the
    /// devices, logs.
    static let reservedFiles = 3 * 256 + 128

    /// The connection and stream limits that fit `openFiles`: a refused connection holds a
    /// descriptor for a moment too, so requests count twice.
    static func fit(_ http: HTTPConfig, openFiles: Int) -> (connections: Int, streams: Int) {
        let available = max(48, openFiles - reservedFiles)
        guard 2 * http.maxConnections + http.maxStreams > available else {
            return (http.maxConnections, http.maxStreams)
        }
        let streams = min(http.maxStreams, available / 2)
        return (max(16, min(http.maxConnections, (available - streams) / 2)), streams)
    }

    /// The soft open-file limit now (hallqd raises it to the hard limit at start).
    static func openFileLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        return Int(min(limit.rlim_cur, 1 << 20))
    }

    /// Counts a new connection from `address`, or says why it may not be.
    func admit(_ channel: any Channel, address: String) -> String? {
        lock.lock()
        defer { lock.unlock() }
        if total >= maxConnections { return "the server has \(maxConnections) connections open" }
        if byAddress[address, default: 0] >= maxPerClient {
            return "this address has \(maxPerClient) connections open"
        }
        total += 1
        byAddress[address, default: 0] += 1
        admitted.insert(ObjectIdentifier(channel))
        return nil
    }

    /// The connection `channel` from `address` becomes an event stream: true when the budget has
    /// room (for a phone, short of the reserve); it then counts as a stream until it closes, no
    /// longer as a request connection.
    func startStream(_ channel: any Channel, address: String, phone: Bool) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard streams < maxStreams - (phone ? Self.reservedStreams : 0) else { return false }
        streams += 1
        if admitted.remove(ObjectIdentifier(channel)) != nil { release(address) }
        channel.closeFuture.whenComplete { _ in
            self.lock.lock()
            self.streams -= 1
            self.lock.unlock()
        }
        return true
    }

    /// A connection closed; a stream's count ends with its own close.
    func leave(_ channel: any Channel, address: String) {
        lock.lock()
        defer { lock.unlock() }
        if admitted.remove(ObjectIdentifier(channel)) != nil { release(address) }
    }

    private func release(_ address: String) {
        total -= 1
        byAddress[address, default: 1] -= 1
        if byAddress[address] == 0 { byAddress[address] = nil }
    }
}

/// Hummingbird's HTTP/1 channel behind the census: a connection over a limit gets a plain 503
/// and is closed before any HTTP handler sees it.
struct GuardedHTTP1Channel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value
    let inner: HTTP1Channel
    let census: ConnectionCensus
    /// Plain HTTP: the first request line is checked before the HTTP decoder (under TLS the
    /// first bytes are the handshake's).
    let checkRequestLine: Bool

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let address = channel.remoteAddress?.ipAddress ?? "?"
        guard let why = census.admit(channel, address: address) else {
            channel.closeFuture.whenComplete { _ in census.leave(channel, address: address) }
            let check = checkRequestLine
            return inner.setup(channel: channel, logger: logger).flatMapThrowing { value in
                if check { try channel.pipeline.syncOperations.addHandler(RequestLineCheck(), position: .first) }
                return value
            }
        }
        logger.debug("http connection refused", metadata: ["client": .string(address), "why": .string(why)])
        // The channel is not active yet while it is set up: the refusal goes out from a handler
        // at the front of the pipeline once it is, before any HTTP handler could read a byte.
        return inner.setup(channel: channel, logger: logger).flatMapThrowing { value in
            try channel.pipeline.syncOperations.addHandler(Refusal(why: why), position: .first)
            return value
        }
    }

    /// A plain 503 written straight to the socket, then the close.
    final class Refusal: ChannelInboundHandler, RemovableChannelHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        let why: String
        init(why: String) { self.why = why }

        func handlerAdded(context: ChannelHandlerContext) {
            if context.channel.isActive { refuse(context) }
        }

        func channelActive(context: ChannelHandlerContext) { refuse(context) }

        /// Whatever the client sends is not read: the answer is the same.
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {}

        private func refuse(_ context: ChannelHandlerContext) {
            let body = Wire.error(id: nil, HallError(.busy, why + "; try again in a moment")).text
            let reply =
                "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json; charset=utf-8\r\n"
                + "Retry-After: 1\r\nConnection: close\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
            context.writeAndFlush(NIOAny(ByteBuffer(string: reply))).whenComplete { _ in context.close(promise: nil) }
        }
    }

    /// An HTTP/0.9 request line ("GET /" and a newline, no version) would wait for the head
    /// deadline: it gets a 400 and a close at once. Any line that ends in ` HTTP/1.x` goes on.
    final class RequestLineCheck: ChannelInboundHandler, RemovableChannelHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        typealias InboundOut = ByteBuffer
        private var seen = ByteBuffer()

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var bytes = unwrapInboundIn(data)
            seen.writeBuffer(&bytes)
            // Blank lines before a request line are allowed (RFC 9112 §2.2): skipped here.
            while let first = seen.readableBytesView.first, first == 13 || first == 10 {
                seen.moveReaderIndex(forwardBy: 1)
            }
            let view = seen.readableBytesView
            guard let nl = view.firstIndex(of: UInt8(ascii: "\n")) else {
                if seen.readableBytes > 8192 { pass(context) }
                return
            }
            let line = String(decoding: view[view.startIndex..<nl], as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            guard line.hasSuffix(" HTTP/1.1") || line.hasSuffix(" HTTP/1.0") else {
                let body = Wire.error(id: nil, .badRequest("not an HTTP/1 request line")).text
                let reply =
                    "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json; charset=utf-8\r\n"
                    + "Connection: close\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
                context.writeAndFlush(NIOAny(ByteBuffer(string: reply))).whenComplete { _ in
                    context.close(promise: nil)
                }
                return
            }
            pass(context)
        }

        private func pass(_ context: ChannelHandlerContext) {
            let bytes = seen
            seen = ByteBuffer()
            context.fireChannelRead(wrapInboundOut(bytes))
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        }
    }

    func handle(value: Value, logger: Logger) async {
        await inner.handle(value: value, logger: logger)
    }
}

/// Deadlines for every phase of an HTTP request, which Hummingbird's idle timeout alone does not
/// give: a client that dribbles its body one byte at a time was never closed, and 512 of them
/// locked every face out.
///
/// - the head must be complete `header` after the connection opens, or `idle` after the last
///   reply ended on a kept-alive connection (then the connection just closes);
/// - the body must be complete `body` after the head;
/// - a request that misses its deadline gets 408 and a close.
///
/// It also answers `Expect: 100-continue` with the interim 100, which curl and other clients
/// wait for (a second) before they send a body.
final class RequestDeadlines: ChannelDuplexHandler, RemovableChannelHandler, @unchecked Sendable {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    enum Phase {
        /// No request yet on this connection, or the last reply has ended.
        case waitingHead(first: Bool)
        case body
        /// The request is complete; the reply is being written.
        case answering
    }

    private let header: TimeAmount
    private let body: TimeAmount
    private let idle: TimeAmount
    private var phase = Phase.waitingHead(first: true)
    private var timer: Scheduled<Void>?
    /// A reply's head has gone out for the current request (a 408 would be a second reply).
    private var replying = false

    init(header: TimeAmount, body: TimeAmount, idle: TimeAmount) {
        self.header = header
        self.body = body
        self.idle = idle
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { arm(context, header) }
    }

    func channelActive(context: ChannelHandlerContext) {
        arm(context, header)
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let request):
            phase = .body
            replying = false
            arm(context, body)
            if request.headerFields[.expect]?.lowercased() == "100-continue" {
                context.writeAndFlush(wrapOutboundOut(.head(HTTPResponse(status: .continue))), promise: nil)
            }
        case .body:
            break
        case .end:
            phase = .answering
            timer?.cancel()
            timer = nil
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let response) where response.status.kind != .informational:
            replying = true
        case .end:
            if case .answering = phase {
                phase = .waitingHead(first: false)
                arm(context, idle)
            }
        default:
            break
        }
        context.write(data, promise: promise)
    }

    private func arm(_ context: ChannelHandlerContext, _ after: TimeAmount) {
        timer?.cancel()
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: after) { [self] in
            self.expired(loopBound.value)
        }
    }

    private func expired(_ context: ChannelHandlerContext) {
        timer = nil
        switch phase {
        case .waitingHead(first: false):
            // An idle kept-alive connection: nothing is owed.
            context.close(promise: nil)
        case .waitingHead(first: true), .body:
            guard !replying else { return context.close(promise: nil) }
            let body = ByteBuffer(
                string: Wire.error(id: nil, HallError(.tooSlow, "the request did not arrive in time; closing")).text)
            var fields = HTTPFields()
            fields[.contentType] = "application/json; charset=utf-8"
            fields[.connection] = "close"
            fields[.contentLength] = String(body.readableBytes)
            context.write(
                wrapOutboundOut(.head(HTTPResponse(status: .requestTimeout, headerFields: fields))), promise: nil)
            context.write(wrapOutboundOut(.body(body)), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
        case .answering:
            break
        }
    }
}
