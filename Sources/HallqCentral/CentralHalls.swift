import Foundation
import HallqCore
import Logging
import PostgresNIO

/// The province's list of halls, each with a PostgreSQL login role of its own (a member of
/// `hallq_hall`): what `hallq-central hall add|list|remove` does.
public enum CentralHalls {
    public struct Hall: Sendable, Equatable {
        public var id: String
        public var name: String
        public var region: String?
        public var timeZone: String
        public var role: String
        public var removed: Bool
    }

    public struct Refused: Error, CustomStringConvertible {
        public var description: String
    }

    /// The role a hall logs in as: `hall_` and its id, lower case, dashes as underscores.
    public static func roleName(_ id: String) -> String {
        "hall_" + id.lowercased().replacingOccurrences(of: "-", with: "_")
    }

    /// A new random password: 24 bytes from the system's generator, as hex.
    public static func newPassword() -> String {
        var g = SystemRandomNumberGenerator()
        return (0..<24).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &g)) }.joined()
    }

    /// Adds the hall and its role; returns the role and its password (shown once, kept nowhere).
    public static func add(
        id: String, name: String, region: String?, timeZone: String, on c: PostgresConnection, logger: Logger
    ) async throws -> (role: String, password: String) {
        guard CentralConfig.validHallId(id) else {
            throw Refused(description: "a hall id is 1 to 32 letters, digits or dashes")
        }
        guard TimeZone(identifier: timeZone) != nil else { throw Refused(description: "unknown time zone \(timeZone)") }
        let role = roleName(id)
        let password = newPassword()
        try await c.withTransaction(logger: logger) { tx in
            // Utility statements take no parameters: PostgreSQL quotes the name and the literal.
            let create = try await tx.query(
                "SELECT format('CREATE ROLE %I LOGIN PASSWORD %L IN ROLE hallq_hall', \(role), \(password))",
                logger: logger
            ).collect().first!.decode(String.self)
            try await tx.query(PostgresQuery(unsafeSQL: create), logger: logger)
            try await tx.query(
                """
                INSERT INTO halls(hall_id, name, region, time_zone, role_name)
                VALUES (\(id), \(name), \(region), \(timeZone), \(role))
                """, logger: logger)
        }
        return (role, password)
    }

    public static func list(on c: PostgresConnection, logger: Logger) async throws -> [Hall] {
        var out: [Hall] = []
        for try await (id, name, region, tz, role, removed) in try await c.query(
            "SELECT hall_id, name, region, time_zone, role_name, removed_at IS NOT NULL FROM halls ORDER BY hall_id",
            logger: logger
        ).decode((String, String, String?, String, String, Bool).self) {
            out.append(Hall(id: id, name: name, region: region, timeZone: tz, role: role, removed: removed))
        }
        return out
    }

    /// Stops a hall writing: its role can no longer log in or write (its rows stay: the
    /// province's history is append-only).
    public static func remove(id: String, on c: PostgresConnection, logger: Logger) async throws {
        try await c.withTransaction(logger: logger) { tx in
            let rows = try await tx.query(
                "UPDATE halls SET removed_at = now() WHERE hall_id = \(id) AND removed_at IS NULL RETURNING role_name",
                logger: logger
            ).collect()
            guard let role = try rows.first?.decode(String.self) else {
                throw Refused(description: "no hall \(id) (or removed already)")
            }
            let alter = try await tx.query("SELECT format('ALTER ROLE %I NOLOGIN', \(role))", logger: logger)
                .collect().first!.decode(String.self)
            try await tx.query(PostgresQuery(unsafeSQL: alter), logger: logger)
        }
    }
}
