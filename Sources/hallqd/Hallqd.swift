import ArgumentParser
import Foundation
import HallqConfig
import HallqCore
import HallqDaemon
import HallqProtocol
import HallqStore
import Logging
import ServiceLifecycle

/// The queue daemon: one process, one ServiceGroup (devices → sockets), logs to stderr.
@main
struct Hallqd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hallqd",
        abstract: "Queue tickets and display boards for a service hall.",
        discussion:
            """
            Under systemd the defaults come from $STATE_DIRECTORY and $RUNTIME_DIRECTORY, and sockets may be passed in (LISTEN_FDNAMES kiosk, clerk, admin). \
            Exit status: 0 after a clean stop (SIGTERM, SIGINT); 64 bad arguments; 65 the database is damaged (hallqd has not written to it; the log says how to keep a copy and recover); 70 the database writer would not be durable (synchronous = FULL not in force: a fault of the build, not of the hall); 73 the database or its directory cannot be written (read-only mount, disk full, ownership); 78 the config is invalid. systemd does not restart after 65, 70 or 78 (RestartPreventExitStatus). \
            Backup, restore, upgrade, logs, kiosk enrolment and hardware bring-up: /usr/share/doc/hallq/OPERATIONS.md.
            """,
        version: "hallqd \(Wire.version), protocol \(Wire.protoMajor).\(Wire.protoMinor)")

    @Option(help: "Config file (TOML).")
    var config: String = ProcessInfo.processInfo.environment["HALLQ_CONFIG"] ?? "/etc/hallq/hallq.toml"

    @Option(help: "Directory for hallq.sqlite and the virtual devices' files.")
    var stateDir: String =
        ProcessInfo.processInfo.environment["STATE_DIRECTORY"]?.split(separator: ":").first.map(String.init)
        ?? "/var/lib/hallq"

    @Option(help: "Directory for kiosk.sock, clerk.sock and admin.sock when not socket-activated.")
    var runtimeDir: String =
        ProcessInfo.processInfo.environment["RUNTIME_DIRECTORY"]?.split(separator: ":").first.map(String.init)
        ?? "/run/hallq"

    @Option(help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "info"

    @Flag(help: "Load and check the config, print a summary, and exit.")
    var checkConfig = false

    /// Three sockets of 256 connections, up to 2048 HTTP connections, the database and the devices
    /// need more descriptors than the usual soft limit of 1024: raise it to the hard limit
    /// (at most 65536), as servers do, so a busy day meets backpressure, not EMFILE.
    static func raiseOpenFileLimit(logger: Logger) {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return }
        let wanted = min(limit.rlim_max, 65536)
        guard limit.rlim_cur < wanted else { return }
        limit.rlim_cur = wanted
        if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) != 0 {
            logger.warning("could not raise the open-file limit", metadata: ["errno": .stringConvertible(errno)])
        }
    }

    func run() async throws {
        // Whatever the caller's umask (the demo, a hand start): state files 0640, directories 0750.
        umask(0o027)
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = level
            return h
        }
        let logger = Logger(label: "hallqd")

        let hallConfig: HallConfig
        do {
            hallConfig = try ConfigLoader.load(path: config)
        } catch {
            FileHandle.standardError.write(Data("hallqd: config \(config): \(error)\n".utf8))
            // EX_CONFIG: systemd will not restart-loop on a broken config (RestartPreventExitStatus).
            throw ExitCode(78)
        }
        if checkConfig {
            print(
                "config ok: \(hallConfig.name), \(hallConfig.services.count) services, \(hallConfig.windows.count) windows, printer \(hallConfig.printer.kind.rawValue), \(hallConfig.buses.count) buses"
            )
            return
        }

        Self.raiseOpenFileLimit(logger: logger)
        let daemon: Daemon
        do {
            daemon = try Daemon(
                config: hallConfig, configPath: config, stateDir: URL(fileURLWithPath: stateDir),
                runtimeDir: URL(fileURLWithPath: runtimeDir), version: Wire.version, logger: logger)
        } catch let p as StoreProblem {
            logger.critical("\(p.description)")
            FileHandle.standardError.write(Data("hallqd: \(p.description)\n".utf8))
            throw ExitCode(p.exitCode)
        }
        try await daemon.run()
    }
}
