import Foundation
import HallqApp
import HallqCentral
import HallqCore
import HallqHardware
import HallqProtocol
import HallqSocket
import HallqWeb
import Logging
import ServiceLifecycle
import UnixSignals

#if canImport(Glibc)
import Glibc
#endif

/// hallqd: the hall (`HallAssembly`), its transports (the role sockets, the HTTP faces when
/// `[http]` is on), systemd's notifications and watchdog, SIGHUP, in one ServiceGroup.
public struct Daemon {
    public let assembly: HallAssembly
    let server: SocketServer
    let notifier: SystemdNotifier
    let version: String

    public init(
        config: HallConfig, configPath: String, stateDir: URL, runtimeDir: URL, version: String, logger: Logger,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws {
        let assembly = try HallAssembly(config: config, configPath: configPath, stateDir: stateDir, logger: logger)
        let notifier = SystemdNotifier(environment: environment, logger: logger)
        let activated = SocketActivation.listeners(environment: environment)
        var listeners: [(Role, ListenerSource)] = []
        for role in Role.sockets {
            if let fd = activated[role.rawValue] {
                listeners.append((role, .descriptor(fd)))
            } else {
                try FileManager.default.createDirectory(at: runtimeDir, withIntermediateDirectories: true)
                listeners.append((role, .path(runtimeDir.appendingPathComponent("\(role.rawValue).sock").path)))
            }
        }
        let hall = assembly.hall
        self.server = SocketServer(
            listeners: listeners, dispatcher: assembly.dispatcher, hall: hall, logger: logger,
            limits: config.limits,
            ready: {
                let waiting = hall.snapshotEngine().waitingTotal
                notifier.send("READY=1\nSTATUS=serving; \(waiting) waiting")
                logger.notice("hallqd ready", metadata: ["waiting": .stringConvertible(waiting)])
            })
        self.assembly = assembly
        self.notifier = notifier
        self.version = version
    }

    public func run() async throws {
        let a = assembly
        let logger = a.logger
        let devices = a.devices
        let relay = a.dispatcher.relay
        let web = await WebServer.services(
            hall: a.hall, devices: a.devices, dispatcher: a.dispatcher, config: a.config, stateDir: a.stateDir,
            version: version, logger: logger)
        let watchdog = WatchdogService(
            hall: a.hall, notifier: notifier, logger: logger,
            deviceProblems: { await devices.report().problems },
            centralLag: {
                let s = relay.current
                return s.configured ? s : nil
            })
        let hangup = ReloadOnHangup(reload: a.reload, notifier: notifier)
        // Until ReloadOnHangup traps it, a SIGHUP (a reload asked for during start-up) must not
        // end hallqd, which is the signal's default action.
        signal(SIGHUP, SIG_IGN)
        // The hardware first, then the transports, then the rest (a group stops in reverse).
        let services: [any Service] = a.hardware + [server] + web + a.keepers + [watchdog, hangup]
        var configuration = ServiceGroupConfiguration(
            services: services.map { .init(service: $0) },
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger)
        // A stop always ends: a service still busy 20 s after SIGTERM (a stream that does not
        // close, a device call that does not return) is cancelled, and one that ignores that for
        // 10 s more ends hallqd with a message naming the limit. Every acknowledged step is
        // already on disk, so nothing is lost; the unit's TimeoutStopSec (45 s) comes later.
        configuration.maximumGracefulShutdownDuration = .seconds(20)
        configuration.maximumCancellationDuration = .seconds(10)
        let group = ServiceGroup(configuration: configuration)
        try await group.run()
        do { try a.hall.closeStore() } catch {
            logger.warning(
                "database not closed cleanly; the next start checks it whole", metadata: ["error": .string("\(error)")])
        }
        notifier.send("STATUS=stopped")
        logger.notice("hallqd stopped")
    }
}
