import HTTPTypes
import HallqCore
import HallqProtocol
import Hummingbird
import NIOCore

/// Replies in the socket protocol's shapes: `{"ok":true,…}` or `{"ok":false,"error":TOKEN,
/// "message":…}`, with the HTTP status that goes with the token.
enum HTTPReply {
    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: value.text + "\n")))
    }

    static func error(_ e: HallError) -> Response { json(Wire.error(id: nil, e), status: status(of: e.token)) }

    /// *Stable* (docs/HTTP.md): one status per token. Refusals of a state (the queue is empty,
    /// the ticket is already rated) are 409; what the printer refuses is 503.
    static func status(of token: HallError.Token) -> HTTPResponse.Status {
        switch token {
        case .badRequest, .unknownOp: return .badRequest
        case .notAllowed, .notYourWindow: return .forbidden
        case .unauthorized: return .unauthorized
        case .notFound, .unknownTicket, .bookingUnknown, .unknownOrder: return .notFound
        case .unknownService, .unknownWindow: return .notFound
        case .tooLong: return .contentTooLarge
        case .rateLimited: return .tooManyRequests
        case .tooSlow, .idleClosed: return .requestTimeout
        case .hallClosed, .rangeExhausted, .queueEmpty, .windowPaused, .noActiveTicket, .notSignedIn, .notWaiting,
            .alreadyStarted, .ticketOpen, .clerkElsewhere, .nothingToRate, .alreadyRated, .personHasTicket,
            .personDailyLimit, .idRequired, .quotaExhausted, .tooEarly, .tooLate, .bookingCancelled, .alreadyCheckedIn,
            .orderState:
            return .conflict
        case .busy, .printerOffline, .printerPaperOut: return .serviceUnavailable
        case .storageFailed, .badConfig, .internal: return .internalServerError
        }
    }
}

/// Turns what Hummingbird throws (no such route, a body over the limit, a malformed request) into
/// the same JSON error bodies, so every 4xx here carries a token.
struct ErrorTokens<Context: RequestContext>: RouterMiddleware {
    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    )
        async throws -> Response
    {
        do {
            return try await next(request, context)
        } catch let e as RefusalError {
            return HTTPReply.error(e.error)
        } catch let e as any HTTPResponseError {
            // HTTPError (no route, wrong method), and a body over the limit (NIOTooManyBytesError).
            let token: HallError.Token
            switch e.status {
            case .notFound: token = .notFound
            case .contentTooLarge: token = .tooLong
            case .methodNotAllowed: token = .badRequest
            default: token = e.status.code >= 500 ? .internal : .badRequest
            }
            let http = e as? HTTPError
            var r = HTTPReply.json(
                Wire.error(id: nil, HallError(token, http?.body ?? e.status.reasonPhrase)), status: e.status)
            if let allow = http?.headers[.allow] { r.headers[.allow] = allow }
            return r
        }
    }
}
