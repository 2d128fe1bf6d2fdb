import Foundation
import HallqCore
import HallqProtocol

/// Staff sessions of the HTTP pages: a random 256-bit id in an HttpOnly SameSite=Strict cookie,
/// a CSRF token every state-changing request must send back (`X-CSRF-Token`), an idle timeout.
/// In memory: a restart signs everyone out, which a hall's staff accept once a day at most. A
/// session holds its account's password hash as it was at login (bcrypt salts each hash, so a
/// new password, even the same one, changes it): a changed password or a removed account ends
/// it (checked against the store on every request).
public final class Sessions: @unchecked Sendable {
    public struct Session: Sendable, Equatable {
        public var account: String
        public var role: Role
        public var csrf: String
        /// The account's password hash when the session opened.
        var passwordStamp: String
        var lastSeen: Double
    }

    public static let cookieName = "hallq_session"
    let idle: Double
    private let lock = NSLock()
    private var byID: [String: Session] = [:]
    private let now: @Sendable () -> Double

    /// - idle: seconds without a request after which a session ends.
    public init(idle: Double, now: @escaping @Sendable () -> Double = { ProcessInfo.processInfo.systemUptime }) {
        self.idle = idle
        self.now = now
    }

    /// 32 bytes from the system's CSPRNG (getrandom), hex.
    static func token() -> String {
        var g = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &g)) }.joined()
    }

    /// Opens a session; its id (for the cookie) and the session.
    public func open(account: String, role: Role, passwordStamp: String) -> (id: String, session: Session) {
        let s = Session(account: account, role: role, csrf: Self.token(), passwordStamp: passwordStamp, lastSeen: now())
        let id = Self.token()
        lock.lock()
        defer { lock.unlock() }
        // Expired sessions go whenever one is opened: the table never outgrows a day's logins.
        let t = now()
        byID = byID.filter { t - $0.value.lastSeen < idle }
        byID[id] = s
        return (id, s)
    }

    /// The live session for `id`, touched; nil when unknown or idle too long.
    public func session(_ id: String) -> Session? {
        lock.lock()
        defer { lock.unlock() }
        guard var s = byID[id] else { return nil }
        let t = now()
        guard t - s.lastSeen < idle else {
            byID[id] = nil
            return nil
        }
        s.lastSeen = t
        byID[id] = s
        return s
    }

    public func close(_ id: String) {
        lock.lock()
        byID[id] = nil
        lock.unlock()
    }
}

/// Browsers that have logged in as an account before: a random token in a long-lived HttpOnly
/// cookie (`hallq_device`), remembered here with its account. A login from such a browser is not
/// held back by a flood of logins from elsewhere (`LoginLimiter`). In memory, like sessions: after
/// a restart each browser is remembered again at its next login.
public final class KnownDevices: @unchecked Sendable {
    public static let cookieName = "hallq_device"
    public static let maxAgeSeconds = 365 * 24 * 3600
    /// Tokens remembered at most; the oldest go first.
    static let capacity = 2_000
    private let lock = NSLock()
    private var accounts: [String: String] = [:]
    private var order: [String] = []

    public init() {}

    /// A new token for a browser that just logged in as `account`.
    public func remember(account: String) -> String {
        let token = Sessions.token()
        lock.lock()
        defer { lock.unlock() }
        accounts[token] = account
        order.append(token)
        if order.count > Self.capacity {
            let old = order.removeFirst()
            accounts[old] = nil
        }
        return token
    }

    /// The account a token was given to, or nil.
    public func account(for token: String) -> String? {
        lock.lock()
        defer { lock.unlock() }
        return accounts[token]
    }
}
