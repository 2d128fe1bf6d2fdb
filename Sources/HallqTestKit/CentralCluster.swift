import Foundation

/// A database of its own in the throwaway PostgreSQL cluster the test command starts
/// (`pg_virtualenv`, which sets PGHOST, PGPORT, PGUSER and PGPASSWORD), migrated by the real
/// `hallq-central`. Read back with the real `psql`, as the province's DBA would.
public final class CentralCluster: @unchecked Sendable {
    public let host: String
    public let port: Int
    public let user: String
    public let password: String
    public let database: String

    public init() throws {
        let env = ProcessInfo.processInfo.environment
        guard let port = env["PGPORT"].flatMap(Int.init), let user = env["PGUSER"], let password = env["PGPASSWORD"]
        else {
            throw HarnessError(
                "no PostgreSQL: run the tests under pg_virtualenv (scripts/test does), which sets PGPORT, PGUSER and PGPASSWORD"
            )
        }
        host = "127.0.0.1"
        self.port = port
        self.user = user
        self.password = password
        database = "hq_" + UUID().uuidString.prefix(8).lowercased()
        let made = try runProgram(
            URL(fileURLWithPath: "/usr/bin/psql"),
            ["-X", "-At", "-v", "ON_ERROR_STOP=1", "-c", "CREATE DATABASE \(database)", url(database: "postgres")])
        guard made.status == 0 else { throw HarnessError("CREATE DATABASE failed: \(made.err)") }
        let migrated = try central(["migrate"])
        guard migrated.status == 0 else { throw HarnessError("hallq-central migrate failed: \(migrated.err)") }
    }

    deinit { drop() }

    /// Drops the database (once); an async test calls it inside `blocking`, so the wait for psql
    /// holds no cooperative thread (otherwise the deinit does it).
    public func drop() {
        guard
            !dropped.with({ d in
                defer { d = true }
                return d
            })
        else { return }
        _ = try? runProgram(
            URL(fileURLWithPath: "/usr/bin/psql"),
            ["-X", "-At", "-c", "DROP DATABASE IF EXISTS \(database) WITH (FORCE)", url(database: "postgres")])
    }

    private let dropped = Locked(false)

    /// The superuser's URL for this database (or another).
    public func url(database: String? = nil, port: Int? = nil) -> String {
        "postgres://\(user):\(password)@\(host):\(port ?? self.port)/\(database ?? self.database)?sslmode=disable"
    }

    /// `hallq-central` with `--db` this database.
    public func central(_ args: [String], stdin: String? = nil) throws -> ProgramRun {
        try runProgram(
            DaemonHarness.binDir.appendingPathComponent("hallq-central"), args + ["--db", url()], stdin: stdin)
    }

    /// psql's unaligned rows (fields split at U+001F), as `as` if given (a hall's URL).
    public func psql(_ sql: String, as url: String? = nil) throws -> ProgramRun {
        try runProgram(
            URL(fileURLWithPath: "/usr/bin/psql"),
            ["-X", "-At", "-F", "\u{1f}", "-v", "ON_ERROR_STOP=1", "-c", sql, url ?? self.url()])
    }

    public func rows(_ sql: String) throws -> [[String]] {
        let r = try psql(sql)
        guard r.status == 0 else { throw HarnessError("psql: \(r.err)") }
        return r.out.split(separator: "\n", omittingEmptySubsequences: true).map {
            $0.split(separator: "\u{1f}", omittingEmptySubsequences: false).map(String.init)
        }
    }

    /// A new hall id no other test in this cluster uses (roles are the cluster's, not a database's).
    public static func newHallId() -> String { "t" + UUID().uuidString.prefix(6).lowercased() + "-1" }

    /// `hall add`: the `[central]` section it prints, pointed at `port` if given (a proxy).
    public func addHall(_ id: String, name: String = "测试大厅", port: Int? = nil) throws -> String {
        let r = try central(["hall", "add", id, "--name", name, "--region", "330106"])
        guard r.status == 0 else { throw HarnessError("hall add failed: \(r.err)") }
        guard let p = port else { return r.out }
        return r.out.replacingOccurrences(of: ":\(self.port)/", with: ":\(p)/")
    }

    /// The URL inside a `[central]` section.
    public static func url(in section: String) -> String? {
        section.split(separator: "\n").first { $0.hasPrefix("url = ") }.map {
            String($0.dropFirst(7).dropLast())
        }
    }
}
