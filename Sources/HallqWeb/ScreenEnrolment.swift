import Foundation
import HTTPTypes
import HallqApp
import HallqCore
import HallqProtocol
import HallqStore
import Hummingbird
import Logging
import NIOCore

/// Public screens that stay signed in: a kiosk touchscreen is enrolled once and then holds a
/// credential of its own, so it never shows a staff login form to the public, and a restart, an
/// upgrade or a power cut leaves it working.
///
/// An admin asks `/admin` for an enrolment code for a screen's name (8 digits, one use, 15
/// minutes, kept in memory); someone types it on the screen (`/kiosk` shows a code field, never a
/// password field); the screen gets a `hallq_screen` cookie with a random 256-bit credential
/// (HttpOnly, SameSite=Strict, ten years), which the store keeps by its SHA-256 only
/// (`screens`). The credential acts as the `kiosk` role (take, services, status) and is logged
/// as the account `screen:<name>`. Revoked from `/admin`, the screen shows "请联系工作人员" and
/// nothing else. The lobby board needs no credential: it is public and shows no form.
final class ScreenEnrolment: @unchecked Sendable {
    static let cookieName = "hallq_screen"
    /// A screen's requests are logged as this account prefix and its name ("screen:k1").
    static let accountPrefix = "screen:"
    static let cookieMaxAge = 10 * 365 * 24 * 3600
    static let codeLifetimeMs: Millis = 15 * 60 * 1000
    /// The limiter's "name" for wrong codes: not an account name (those have no control characters).
    static let limiterName = "\u{1}enrol"

    struct Pending: Sendable {
        var name: String
        var expires: Millis
    }

    /// What a request's screen cookie is.
    enum Standing: Sendable, Equatable {
        case none
        case enrolled(name: String)
        case revoked(name: String)
    }

    let store: SignInBook
    let clock: @Sendable () -> Millis
    private let lock = NSLock()
    private var codes: [String: Pending] = [:]

    init(store: SignInBook, clock: @escaping @Sendable () -> Millis) {
        self.store = store
        self.clock = clock
    }

    /// A screen's name: 1–32 characters, no spaces or control characters (as account names).
    static func validName(_ name: String) -> Bool { AccountRequest.validName(name) }

    /// A new code for `name`; codes for the same name before it stop working.
    func newCode(for name: String) -> (code: String, expires: Millis) {
        var g = SystemRandomNumberGenerator()
        let code = String(format: "%08d", Int.random(in: 0..<100_000_000, using: &g))
        let expires = clock() + Self.codeLifetimeMs
        let t = clock()
        lock.withLock {
            codes = codes.filter { $0.value.expires > t && $0.value.name != name }
            codes[Sessions.digest(code)] = Pending(name: name, expires: expires)
        }
        return (code, expires)
    }

    /// Enrols the screen a valid code was made for; its new credential (for the cookie), or nil.
    func enrol(code: String) async throws -> (name: String, credential: String)? {
        let t = clock()
        let key = Sessions.digest(code)
        guard let p = lock.withLock({ codes.removeValue(forKey: key) }), p.expires > t else { return nil }
        let credential = Sessions.token()
        try await store.enrollScreen(name: p.name, kind: "kiosk", tokenHash: Sessions.digest(credential), at: t)
        return (p.name, credential)
    }

    func standing(_ credential: String?) async throws -> Standing {
        guard let credential, !credential.isEmpty,
            let s = try await store.screen(tokenHash: Sessions.digest(credential))
        else { return .none }
        return s.revokedAt == nil ? .enrolled(name: s.name) : .revoked(name: s.name)
    }

    /// The CSRF token of a screen's requests: derived from its credential, so it survives a
    /// restart with it, and a page script (which cannot read the HttpOnly cookie) learns it from
    /// `/api/session` like a staff page.
    static func csrf(_ credential: String) -> String { Sessions.digest("csrf\u{0}" + credential) }
}

extension StaffDesk {
    /// `GET /api/screen`, `POST /api/enrol`, and the admin's `/api/screens…`.
    func addScreens(to router: Router<HallRequestContext>) {
        router.get("/api/screen") { request, _ in
            let standing = try await self.screens.standing(request.cookies[ScreenEnrolment.cookieName]?.value)
            var o: [String: JSONValue] = [:]
            switch standing {
            case .none: o["state"] = "none"
            case let .enrolled(name):
                o["state"] = "enrolled"
                o["name"] = .string(name)
            case let .revoked(name):
                o["state"] = "revoked"
                o["name"] = .string(name)
            }
            return HTTPReply.json(Wire.ok(id: nil, ["screen": .object(o)]))
        }
        router.post("/api/enrol") { request, context in try await self.enrol(request, context) }
        router.get("/api/screens") { request, _ in
            _ = try await self.admin(request, changing: false)
            let list = try await self.hall.signIns.screens().map { s -> JSONValue in
                var o: [String: JSONValue] = [
                    "name": .string(s.name), "kind": .string(s.kind), "enrolled_at": .string(isoUTC(s.enrolledAt)),
                ]
                o["revoked_at"] = s.revokedAt.map { .string(isoUTC($0)) } ?? .null
                return .object(o)
            }
            return HTTPReply.json(Wire.ok(id: nil, ["screens": .array(list)]))
        }
        router.post("/api/screens/code") { request, context in
            let s = try await self.admin(request, changing: true)
            let name = try await Self.nameField(request, context)
            let (code, expires) = self.screens.newCode(for: name)
            self.logger.notice(
                "screen enrolment code made", metadata: ["screen": .string(name), "account": .string(s.account)])
            return HTTPReply.json(
                Wire.ok(
                    id: nil,
                    ["name": .string(name), "code": .string(code), "expires_at": .string(isoUTC(expires))]))
        }
        router.post("/api/screens/revoke") { request, context in
            let s = try await self.admin(request, changing: true)
            let name = try await Self.nameField(request, context)
            guard try await self.hall.signIns.revokeScreen(name: name, at: self.hall.clock()) else {
                return HTTPReply.error(HallError(.notFound, "no enrolled screen \(name)"))
            }
            self.logger.notice("screen revoked", metadata: ["screen": .string(name), "account": .string(s.account)])
            return HTTPReply.json(Wire.ok(id: nil))
        }
    }

    private func admin(_ request: Request, changing: Bool) async throws -> Sessions.Session {
        let (_, s) = try await authorize(request, changing: changing)
        guard s.role == .admin else { throw RefusalError(HallError(.notAllowed, "screens are for admins")) }
        return s
    }

    private static func nameField(_ request: Request, _ context: HallRequestContext) async throws -> String {
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        guard case let .success(.object(o)) = JSONReader.read(body.readableBytesView),
            let name = o["name"]?.stringValue, ScreenEnrolment.validName(name)
        else {
            throw RefusalError(.badRequest("the body must be {\"name\": …}: 1–32 characters, no spaces"))
        }
        return name
    }

    /// `POST /api/enrol` `{"code": "12345678"}` from the screen itself. Wrong codes count against
    /// the address like wrong passwords (`LoginLimiter`).
    private func enrol(_ request: Request, _ context: HallRequestContext) async throws -> Response {
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        guard case let .success(.object(o)) = JSONReader.read(body.readableBytesView),
            let code = o["code"]?.stringValue
        else { return HTTPReply.error(.badRequest("the body must be {\"code\": …}")) }
        let client = context.remoteAddress?.ipAddress ?? "?"
        if let wait = limiter.wait(name: ScreenEnrolment.limiterName, address: client) {
            return HTTPReply.error(
                .rateLimited("too many wrong codes from this address; try again in \(Int(wait.rounded(.up))) s"))
        }
        let digits = code.filter { !$0.isWhitespace }
        guard digits.count == 8, let (name, credential) = try await screens.enrol(code: digits) else {
            limiter.failed(name: ScreenEnrolment.limiterName, address: client)
            return HTTPReply.error(HallError(.unauthorized, "wrong or expired enrolment code"))
        }
        logger.notice("screen enrolled", metadata: ["screen": .string(name), "client": .string(client)])
        var r = HTTPReply.json(Wire.ok(id: nil, ["screen": ["name": .string(name), "state": "enrolled"]]))
        r.setCookie(cookie(name: ScreenEnrolment.cookieName, value: credential, maxAge: ScreenEnrolment.cookieMaxAge))
        return r
    }
}
