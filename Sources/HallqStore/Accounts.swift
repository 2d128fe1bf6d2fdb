import GRDB
import HallqCore

/// A staff account for the HTTP pages: its role, its password's bcrypt hash, and when that was
/// set.
public struct Account: Sendable, Equatable {
    public var name: String
    public var role: String
    public var hash: String
    public var changedAt: Millis
    public init(name: String, role: String, hash: String, changedAt: Millis) {
        self.name = name
        self.role = role
        self.hash = hash
        self.changedAt = changedAt
    }
}

extension HallStore {
    /// Adds an account; false when the name is taken.
    public func addAccount(_ a: Account) async throws -> Bool {
        try await write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM accounts WHERE name = ?", arguments: [a.name]) == nil
            else { return false }
            try db.execute(
                sql: "INSERT INTO accounts(name, role, hash, changed_at) VALUES (?, ?, ?, ?)",
                arguments: [a.name, a.role, a.hash, a.changedAt])
            return true
        }
    }

    public func accounts() async throws -> [Account] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT name, role, hash, changed_at FROM accounts ORDER BY name").map {
                Account(name: $0["name"], role: $0["role"], hash: $0["hash"], changedAt: $0["changed_at"])
            }
        }
    }

    public func account(named name: String) async throws -> Account? {
        try await read { db in
            try Row.fetchOne(
                db, sql: "SELECT name, role, hash, changed_at FROM accounts WHERE name = ?", arguments: [name]
            ).map { Account(name: $0["name"], role: $0["role"], hash: $0["hash"], changedAt: $0["changed_at"]) }
        }
    }

    /// A new password hash; false when there is no such account.
    public func setPassword(name: String, hash: String, changedAt: Millis) async throws -> Bool {
        try await write { db in
            try db.execute(
                sql: "UPDATE accounts SET hash = ?, changed_at = ? WHERE name = ?", arguments: [hash, changedAt, name])
            return db.changesCount > 0
        }
    }

    /// False when there is no such account.
    public func removeAccount(name: String) async throws -> Bool {
        try await write { db in
            try db.execute(sql: "DELETE FROM accounts WHERE name = ?", arguments: [name])
            return db.changesCount > 0
        }
    }
}
