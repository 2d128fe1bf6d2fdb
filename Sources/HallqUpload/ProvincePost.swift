import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// One HTTP/1.1 POST to the province and its status code: a connection per request (a rating is
/// rare; nothing to keep alive), TLS with the system's trust store and the host's name checked
/// for `https`, a deadline over connect, send and answer.
///
/// Written on SwiftNIO directly rather than AsyncHTTPClient: that client pulls in
/// swift-nio-extras' compression, which compiles its own copy of zlib into hallqd (Debian's
/// lintian refuses an embedded zlib), and the upload needs none of its features.
enum ProvincePost {
    struct Failed: Error, CustomStringConvertible {
        var description: String
    }

    static func send(
        url: String, headers: [(String, String)], body: String, timeout: TimeAmount, group: any EventLoopGroup
    ) async throws -> UInt {
        guard let u = URL(string: url), let scheme = u.scheme?.lowercased(), let host = u.host,
            scheme == "http" || scheme == "https"
        else { throw Failed(description: "not an http(s) address: \(url)") }
        let tls = scheme == "https"
        let port = u.port ?? (tls ? 443 : 80)
        var path = u.path.isEmpty ? "/" : u.path
        if let q = u.query { path += "?" + q }
        let sslContext = tls ? try NIOSSLContext(configuration: .makeClientConfiguration()) : nil
        let answer = group.next().makePromise(of: UInt.self)
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: group)
                .connectTimeout(timeout)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if let sslContext {
                            try channel.pipeline.syncOperations.addHandler(
                                try NIOSSLClientHandler(context: sslContext, serverHostname: host))
                        }
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        try channel.pipeline.syncOperations.addHandler(StatusReader(answer))
                    }
                }
                .connect(host: host, port: port).get()
        } catch {
            answer.fail(error)
            throw error
        }
        let deadline = channel.eventLoop.scheduleTask(in: timeout) {
            answer.fail(Failed(description: "no answer within \(timeout.nanoseconds / 1_000_000_000) s"))
            channel.close(promise: nil)
        }
        var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: path)
        head.headers.add(name: "Host", value: u.port.map { "\(host):\($0)" } ?? host)
        head.headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
        head.headers.add(name: "Content-Length", value: String(body.utf8.count))
        head.headers.add(name: "Connection", value: "close")
        for (k, v) in headers { head.headers.add(name: k, value: v) }
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        channel.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(string: body))), promise: nil)
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        defer {
            deadline.cancel()
            channel.close(promise: nil)
        }
        return try await answer.futureResult.get()
    }

    /// Completes the promise with the response's status once the whole response has arrived, or
    /// fails it when the connection ends or breaks first.
    final class StatusReader: ChannelInboundHandler {
        typealias InboundIn = HTTPClientResponsePart
        private let answer: EventLoopPromise<UInt>
        private var status: UInt?

        init(_ answer: EventLoopPromise<UInt>) { self.answer = answer }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case let .head(h): status = h.status.code
            case .body: break
            case .end:
                if let status { answer.succeed(status) }
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            answer.fail(Failed(description: "the province closed the connection without an answer"))
            context.fireChannelInactive()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            answer.fail(error)
            context.close(promise: nil)
        }
    }
}
