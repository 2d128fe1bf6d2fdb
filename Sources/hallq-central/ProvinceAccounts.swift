import Crypto
import Foundation
import HummingbirdBcrypt
import Logging
import PostgresNIO

/// The dashboard's accounts and sign-ins, as hallqd's staff pages keep theirs: passwords as
/// bcrypt hashes, sessions by the SHA-256 of their secret (the cookie holds the secret, the
/// database never does), a CSRF token per session, ended after 12 hours without use.
enum ProvinceAccounts {
    static let cost: UInt8 = 10
    static let sessionHours = 12
    /// A hash to check against when the account does not exist, so both cost the same time.
    static let decoy = Bcrypt.hash("\u{1}no account\u{1}", cost: cost)

    static func set(name: String, password: String, on c: PostgresConnection, logger: Logger) async throws {
        guard !name.isEmpty, name.count <= 32, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
        else { throw CentralFailure("an account name is 1 to 32 letters, digits, - or _") }
        let hash = Bcrypt.hash(password, cost: cost)
        try await c.query(
            """
            INSERT INTO province_accounts(name, hash) VALUES (\(name), \(hash))
            ON CONFLICT (name) DO UPDATE SET hash = EXCLUDED.hash, changed_at = now()
            """, logger: logger)
        // A new password ends the account's sessions.
        try await c.query("DELETE FROM province_sessions WHERE account = \(name)", logger: logger)
    }

    struct Session: Sendable {
        var account: String
        var csrf: String
    }

    static func digest(_ secret: String) -> String {
        SHA256.hash(data: Data(secret.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    static func random() -> String {
        var g = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &g)) }.joined()
    }

    /// Checks the password; on success a new session's secret.
    static func signIn(name: String, password: String, on c: PostgresConnection, logger: Logger) async throws -> String?
    {
        var hash: String?
        for try await h in try await c.query(
            "SELECT hash FROM province_accounts WHERE name = \(name)", logger: logger
        ).decode(String.self) {
            hash = h
        }
        let ok = Bcrypt.verify(password, hash: hash ?? decoy)
        guard ok, hash != nil else { return nil }
        let secret = random()
        try await c.query(
            "INSERT INTO province_sessions(id_hash, account, csrf) VALUES (\(digest(secret)), \(name), \(random()))",
            logger: logger)
        return secret
    }

    static func session(_ secret: String, on c: PostgresConnection, logger: Logger) async throws -> Session? {
        for try await (account, csrf) in try await c.query(
            """
            UPDATE province_sessions SET last_seen = now()
            WHERE id_hash = \(digest(secret)) AND last_seen > now() - make_interval(hours => \(Int32(sessionHours)))
            RETURNING account, csrf
            """, logger: logger
        ).decode((String, String).self) {
            return Session(account: account, csrf: csrf)
        }
        return nil
    }

    static func signOut(_ secret: String, on c: PostgresConnection, logger: Logger) async throws {
        try await c.query("DELETE FROM province_sessions WHERE id_hash = \(digest(secret))", logger: logger)
    }
}
