import ArgumentParser
import Foundation
import HallqCentral
import HallqCore
import HallqProtocol
import Logging
import PostgresNIO

/// `hallq-central`: the province's side of hallq (docs/CENTRAL.md). Every subcommand reaches the
/// database through `--db postgres://…`, or `db` in its config file.
@main
struct HallqCentralCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hallq-central",
        abstract: "The province's hallq: every hall's log in one PostgreSQL, statistics and a live dashboard.",
        subcommands: [
            Migrate.self, HallCommand.self, AccountCommand.self, StatsCommand.self, ExportCommand.self,
            Serve.self,
        ])
}

/// Where the database is: `--db`, else `db = "…"` in `--config` (default /etc/hallq/central.toml).
struct Database: ParsableArguments {
    @Option(help: "The database, postgres://role:password@host:port/db?sslmode=verify-full.") var db: String?
    @Option(help: "A config file with db = \"postgres://…\" (and listen = \"host:port\" for serve).")
    var config: String = "/etc/hallq/central.toml"

    func settings() throws -> CentralSettings {
        var s = FileManager.default.fileExists(atPath: config) ? try CentralSettings.load(config) : CentralSettings()
        if let db { s.db = db }
        guard s.db != nil else {
            throw ValidationError("no database: give --db postgres://… or db in \(config)")
        }
        return s
    }

    func url() throws -> CentralURL { try CentralURL(try settings().db!) }

    /// Runs `body` on one connection, closed afterwards.
    func withConnection<T: Sendable>(_ body: (PostgresConnection, Logger) async throws -> T) async throws -> T {
        let logger = Logger(label: "hallq-central")
        let c: PostgresConnection
        do { c = try await url().connect(logger: logger) } catch {
            throw CentralFailure("cannot reach the database: \(CentralRelay.describe(error))")
        }
        do {
            let v = try await body(c, logger)
            try? await c.close()
            return v
        } catch {
            try? await c.close()
            if error is ValidationError || error is CentralFailure || error is CentralHalls.Refused { throw error }
            throw CentralFailure(CentralRelay.describe(error))
        }
    }
}

/// A failure said in one line, with a non-zero exit.
struct CentralFailure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create or move forward the province's schema (needs a role that may create roles).")
    @OptionGroup var database: Database
    func run() async throws {
        setUpLogging()
        let applied = try await database.withConnection { c, logger in
            try await CentralSchema.migrate(c, logger: logger)
            return try await CentralSchema.applied(c, logger: logger)
        }
        print("schema: " + applied.joined(separator: ", "))
    }
}

struct HallCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hall", abstract: "The halls that ship to this centre.",
        subcommands: [Add.self, List.self, Remove.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a hall and its PostgreSQL role; prints the [central] section for its hallq.toml.")
        @OptionGroup var database: Database
        @Argument(help: "The hall's id: letters, digits, dashes (e.g. 330106-01).") var id: String
        @Option(help: "Its name, e.g. 西湖区政务服务中心.") var name: String
        @Option(help: "Its region code (行政区划代码).") var region: String?
        @Option(help: "Its time zone.") var timeZone: String = "Asia/Shanghai"
        func run() async throws {
            setUpLogging()
            let url = try database.url()
            let (role, password) = try await database.withConnection { c, logger in
                try await CentralHalls.add(
                    id: id, name: name, region: region, timeZone: timeZone, on: c, logger: logger)
            }
            print(
                """
                # hall \(id) (role \(role)); paste into that hall's hallq.toml. The password is shown
                # only now: keep the file readable by hallqd only (0640 root:hallq).
                [central]
                url = "\(url.with(user: role, password: password))"
                hall_id = "\(id)"
                """)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The halls, with their roles.")
        @OptionGroup var database: Database
        @Flag(help: "JSON for scripts.") var json = false
        func run() async throws {
            setUpLogging()
            let halls = try await database.withConnection { c, logger in
                try await CentralHalls.list(on: c, logger: logger)
            }
            if json {
                print(
                    JSONValue.array(
                        halls.map {
                            [
                                "hall_id": .string($0.id), "name": .string($0.name), "region": .from($0.region),
                                "time_zone": .string($0.timeZone), "role": .string($0.role),
                                "removed": .bool($0.removed),
                            ]
                        }
                    ).text)
                return
            }
            var t = Table(["hall", "name", "region", "zone", "role", "state"])
            for h in halls {
                t.add([h.id, h.name, h.region ?? "-", h.timeZone, h.role, h.removed ? "removed" : "active"])
            }
            print(t.text)
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stop a hall writing (its role cannot log in); its history stays.")
        @OptionGroup var database: Database
        @Argument var id: String
        func run() async throws {
            setUpLogging()
            try await database.withConnection { c, logger in
                try await CentralHalls.remove(id: id, on: c, logger: logger)
            }
            print("hall \(id) removed: its role cannot log in; its rows stay")
        }
    }
}

struct AccountCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "account", abstract: "The dashboard's accounts (province admins).", subcommands: [Add.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add an account or set its password; the password is read from standard input.")
        @OptionGroup var database: Database
        @Argument var name: String
        func run() async throws {
            setUpLogging()
            guard let password = readLine(strippingNewline: true), password.count >= 8 else {
                throw CentralFailure("give a password of at least 8 characters on standard input")
            }
            try await database.withConnection { c, logger in
                try await ProvinceAccounts.set(name: name, password: password, on: c, logger: logger)
            }
            print("account \(name) set")
        }
    }
}

struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Wait and service times across halls, in seconds; --json rows as hallqctl stats --json.")
    @OptionGroup var database: Database
    @Option(help: "First day, YYYY-MM-DD (each hall's local days).") var from: String
    @Option(help: "Last day (default: --from).") var to: String?
    @Option(help: "hall, region, service, window, clerk, month, day, hour or total.") var by: String = "hall"
    @Option(help: "Only this hall.") var hall: String?
    @Flag(help: "JSON for scripts.") var json = false
    func run() async throws {
        setUpLogging()
        guard let dim = CentralStats.Dimension(rawValue: by) else {
            throw ValidationError(
                "--by must be one of \(CentralStats.Dimension.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let to = self.to ?? from
        for d in [from, to] where WorkingCalendar.dayNumber(d) == nil {
            throw ValidationError("\(d) is not a date YYYY-MM-DD")
        }
        let rows = try await database.withConnection { c, logger in
            try await CentralStats.rows(by: dim, from: from, to: to, hall: hall, on: c, logger: logger)
        }
        var reply: [String: JSONValue] = [
            "from": .string(from), "to": .string(to), "by": .string(by), "rows": .array(rows.map(Render.stats)),
        ]
        if let hall { reply["hall"] = .string(hall) }
        print(json ? JSONValue.object(reply).text : StatsText.render(.object(reply)))
    }
}

struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Every leg of the span as CSV (hall, ticket, service, window, times, rating).")
    @OptionGroup var database: Database
    @Option var from: String
    @Option var to: String?
    @Option(help: "Only this hall.") var hall: String?
    @Option(name: .shortAndLong, help: "Write to this file (default: standard output).") var output: String?
    func run() async throws {
        setUpLogging()
        let to = self.to ?? from
        for d in [from, to] where WorkingCalendar.dayNumber(d) == nil {
            throw ValidationError("\(d) is not a date YYYY-MM-DD")
        }
        let out: FileHandle
        if let output {
            guard FileManager.default.createFile(atPath: output, contents: nil) else {
                throw CentralFailure("cannot write \(output)")
            }
            out = FileHandle(forWritingAtPath: output)!
        } else {
            out = FileHandle.standardOutput
        }
        let n = try await database.withConnection { c, logger in
            try await CentralExport.legs(from: from, to: to, hall: hall, on: c, logger: logger) { text in
                out.write(Data(text.utf8))
            }
        }
        if output != nil { print("\(n) legs written to \(output!)") }
    }
}

func setUpLogging(_ level: Logger.Level = .notice) {
    LoggingSystem.bootstrap { label in
        var h = StreamLogHandler.standardError(label: label)
        h.logLevel = level
        return h
    }
}
