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

/// After 5 failed logins for a name within a minute, that name's logins are refused (429) for a
/// minute: guessing a password at the hall's pace becomes pointless, and one clerk's typos do
/// not lock out anyone else.
public final class LoginLimiter: @unchecked Sendable {
    public static let failures = 5
    public static let window = 60.0
    private let lock = NSLock()
    private var failed: [String: [Double]] = [:]
    private var blockedUntil: [String: Double] = [:]
    private let now: @Sendable () -> Double

    public init(now: @escaping @Sendable () -> Double = { ProcessInfo.processInfo.systemUptime }) { self.now = now }

    /// Seconds until `name` may try again, or nil.
    public func wait(_ name: String) -> Double? {
        lock.lock()
        defer { lock.unlock() }
        guard let until = blockedUntil[name] else { return nil }
        let left = until - now()
        if left <= 0 {
            blockedUntil[name] = nil
            return nil
        }
        return left
    }

    public func failed(_ name: String) {
        lock.lock()
        defer { lock.unlock() }
        let t = now()
        var recent = (failed[name] ?? []).filter { t - $0 < Self.window }
        recent.append(t)
        if recent.count >= Self.failures {
            blockedUntil[name] = t + Self.window
            recent = []
        }
        failed[name] = recent
        // Bounded: names with nothing recent are forgotten.
        if failed.count > 10_000 { failed = failed.filter { !$0.value.isEmpty } }
    }

    /// Password checks running now, at most `concurrentChecks`.
    public static let concurrentChecks = 4
    private var checking = 0

    /// Whether another password check may start (then `endCheck` when it is done).
    public func startCheck() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard checking < Self.concurrentChecks else { return false }
        checking += 1
        return true
    }

    public func endCheck() {
        lock.lock()
        checking -= 1
        lock.unlock()
    }

    public func succeeded(_ name: String) {
        lock.lock()
        failed[name] = nil
        lock.unlock()
    }
}
