import GRDB
import HallqCore

/// A staff session as the store keeps it: by the hash of its id, never the id itself.
public struct StoredSession: Sendable, Equatable {
    public var account: String
    public var role: String
    public var csrf: String
    /// The account's password hash when the session opened (a new password ends the session).
    public var passwordStamp: String
    /// Wall-clock ms of the last request that was written down (at most a minute stale).
    public var lastSeen: Millis
    public init(account: String, role: String, csrf: String, passwordStamp: String, lastSeen: Millis) {
        self.account = account
        self.role = role
        self.csrf = csrf
        self.passwordStamp = passwordStamp
        self.lastSeen = lastSeen
    }
}

/// An enrolled public screen (a kiosk): its name, and whether it was revoked.
public struct Screen: Sendable, Equatable {
    public var name: String
    public var kind: String
    public var enrolledAt: Millis
    public var revokedAt: Millis?
    public init(name: String, kind: String, enrolledAt: Millis, revokedAt: Millis?) {
        self.name = name
        self.kind = kind
        self.enrolledAt = enrolledAt
        self.revokedAt = revokedAt
    }
}

extension HallStore {
    // MARK: Staff sessions

    public func saveSession(idHash: String, _ s: StoredSession) async throws {
        try await write { db in
            try db.execute(
                sql: """
                    INSERT OR REPLACE INTO staff_sessions(id_hash, account, role, csrf, password_stamp, last_seen)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """,
                arguments: [idHash, s.account, s.role, s.csrf, s.passwordStamp, s.lastSeen])
        }
    }

    public func session(idHash: String) async throws -> StoredSession? {
        try await read { db in
            try Row.fetchOne(
                db, sql: "SELECT account, role, csrf, password_stamp, last_seen FROM staff_sessions WHERE id_hash = ?",
                arguments: [idHash]
            ).map {
                StoredSession(
                    account: $0["account"], role: $0["role"], csrf: $0["csrf"], passwordStamp: $0["password_stamp"],
                    lastSeen: $0["last_seen"])
            }
        }
    }

    public func touchSession(idHash: String, lastSeen: Millis) async throws {
        try await write { db in
            try db.execute(
                sql: "UPDATE staff_sessions SET last_seen = ? WHERE id_hash = ?", arguments: [lastSeen, idHash])
        }
    }

    /// Ends one session, and every session last seen before `staleBefore` (ms).
    public func deleteSession(idHash: String, staleBefore: Millis) async throws {
        try await write { db in
            try db.execute(
                sql: "DELETE FROM staff_sessions WHERE id_hash = ? OR last_seen < ?", arguments: [idHash, staleBefore])
        }
    }

    // MARK: Screens

    /// Enrols `name` with a new credential; a name enrolled before gets the new one (the old
    /// credential stops working) and is no longer revoked.
    public func enrollScreen(name: String, kind: String, tokenHash: String, at: Millis) async throws {
        try await write { db in
            try db.execute(
                sql: """
                    INSERT INTO screens(name, kind, token_hash, enrolled_at, revoked_at) VALUES (?, ?, ?, ?, NULL)
                    ON CONFLICT(name) DO UPDATE SET
                        kind = excluded.kind, token_hash = excluded.token_hash,
                        enrolled_at = excluded.enrolled_at, revoked_at = NULL
                    """,
                arguments: [name, kind, tokenHash, at])
        }
    }

    public func screen(tokenHash: String) async throws -> Screen? {
        try await read { db in
            try Row.fetchOne(
                db, sql: "SELECT name, kind, enrolled_at, revoked_at FROM screens WHERE token_hash = ?",
                arguments: [tokenHash]
            ).map(Self.screen)
        }
    }

    public func screens() async throws -> [Screen] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT name, kind, enrolled_at, revoked_at FROM screens ORDER BY name").map(
                Self.screen)
        }
    }

    /// False when no such screen is enrolled.
    public func revokeScreen(name: String, at: Millis) async throws -> Bool {
        try await write { db in
            try db.execute(
                sql: "UPDATE screens SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL", arguments: [at, name])
            return db.changesCount > 0
        }
    }

    private static func screen(_ r: Row) -> Screen {
        Screen(name: r["name"], kind: r["kind"], enrolledAt: r["enrolled_at"], revokedAt: r["revoked_at"])
    }
}
