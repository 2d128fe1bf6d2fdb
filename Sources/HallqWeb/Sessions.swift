import Crypto
import Foundation
import HallqApp
import HallqCore
import HallqProtocol
import HallqStore

/// Staff sessions of the HTTP pages: a random 256-bit id in an HttpOnly SameSite=Strict cookie,
/// a CSRF token every state-changing request must send back (`X-CSRF-Token`), an idle timeout.
///
/// Kept in memory and in the store (`staff_sessions`, by the SHA-256 of the id, never the id), so
/// a restart, an upgrade or a power cut does not sign every window out: a cookie the memory does
/// not know is looked up in the store once. The idle timeout runs on the monotonic clock while
/// hallqd runs; across a restart on the wall clock, from the last request written down (at most
/// a minute stale: a request writes its time only when the stored one is a minute old). A
/// session holds its account's password hash as it was at login (bcrypt salts each hash, so a new
/// password, even the same one, changes it): a changed password or a removed account ends it
/// (checked against the store on every request).
public final class Sessions: @unchecked Sendable {
    public struct Session: Sendable, Equatable {
        public var account: String
        public var role: Role
        public var csrf: String
        /// The account's password hash when the session opened.
        var passwordStamp: String
        var lastSeen: Double
        /// Wall-clock ms of the last request written to the store.
        var storedSeen: Millis = 0
    }

    public static let cookieName = "hallq_session"
    let idle: Double
    private let lock = NSLock()
    private var byID: [String: Session] = [:]
    private let now: @Sendable () -> Double
    private let wall: @Sendable () -> Millis
    private let store: SignInBook?

    /// - idle: seconds without a request after which a session ends.
    /// - now: a monotonic clock in seconds; wall: the hall's clock in ms (what the store keeps).
    /// - store: where sessions outlive a restart; nil keeps them in memory only.
    public init(
        idle: Double, now: @escaping @Sendable () -> Double = { ProcessInfo.processInfo.systemUptime },
        wall: @escaping @Sendable () -> Millis = { Millis(Date().timeIntervalSince1970 * 1000) },
        store: SignInBook? = nil
    ) {
        self.idle = idle
        self.now = now
        self.wall = wall
        self.store = store
    }

    /// 32 bytes from the system's CSPRNG (getrandom), hex.
    static func token() -> String {
        var g = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &g)) }.joined()
    }

    /// How a secret is kept in the store: SHA-256, hex. The secrets are 256 random bits, so a
    /// plain hash is enough (no salt or KDF: there is nothing to guess).
    static func digest(_ secret: String) -> String {
        SHA256.hash(data: Array(secret.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// Opens a session; its id (for the cookie) and the session.
    public func open(account: String, role: Role, passwordStamp: String) async -> (id: String, session: Session) {
        var s = Session(account: account, role: role, csrf: Self.token(), passwordStamp: passwordStamp, lastSeen: now())
        s.storedSeen = wall()
        let id = Self.token()
        // Expired sessions go whenever one is opened: the table never outgrows a day's logins.
        let t = now()
        lock.withLock {
            byID = byID.filter { t - $0.value.lastSeen < idle }
            byID[id] = s
        }
        try? await store?.saveSession(
            idHash: Self.digest(id),
            StoredSession(
                account: account, role: role.rawValue, csrf: s.csrf, passwordStamp: passwordStamp,
                lastSeen: s.storedSeen))
        return (id, s)
    }

    /// The live session for `id`, touched; nil when unknown or idle too long.
    public func session(_ id: String) async -> Session? {
        let t = now()
        let w = wall()
        var found = lock.withLock { byID[id] }
        if found == nil, let stored = try? await store?.session(idHash: Self.digest(id)),
            let role = Role(rawValue: stored.role), Double(w - stored.lastSeen) < idle * 1000
        {
            // Opened before a restart: its idle time so far is the wall clock's.
            found = Session(
                account: stored.account, role: role, csrf: stored.csrf, passwordStamp: stored.passwordStamp,
                lastSeen: t - Double(max(0, w - stored.lastSeen)) / 1000, storedSeen: stored.lastSeen)
        }
        guard var s = found else { return nil }
        guard t - s.lastSeen < idle else {
            await close(id)
            return nil
        }
        s.lastSeen = t
        let write = w - s.storedSeen >= 60_000
        if write { s.storedSeen = w }
        lock.withLock { byID[id] = s }
        if write { try? await store?.touchSession(idHash: Self.digest(id), lastSeen: w) }
        return s
    }

    public func close(_ id: String) async {
        lock.withLock { byID[id] = nil }
        try? await store?.deleteSession(idHash: Self.digest(id), staleBefore: wall() - Millis(idle * 1000))
    }
}

/// Browsers that have logged in as an account before: a random token in a long-lived HttpOnly
/// cookie (`hallq_device`), remembered here with its account. A login from such a browser is not
/// held back by a flood of logins from elsewhere (`LoginLimiter`). In memory (unlike sessions): after
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
