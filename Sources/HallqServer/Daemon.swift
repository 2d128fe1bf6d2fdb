import Foundation
import HallqCentral
import HallqCore
import HallqProtocol
import HallqStore
import HallqUpload
import Logging
import NIOPosix
import ServiceLifecycle
import UnixSignals

#if canImport(Glibc)
import Glibc
#endif

/// What a listener beyond the sockets (the HTTP faces, in HallqWeb) is built from.
public struct DaemonParts: Sendable {
    public let hall: Hall
    public let devices: DeviceHub
    public let dispatcher: Dispatcher
    public let config: HallConfig
    public let stateDir: URL
    public let logger: Logger
}

/// Wires the parts together: store → hall → devices → sockets and counter keys (→ more listeners), in one
/// ServiceGroup.
public struct Daemon {
    let hall: Hall
    let devices: DeviceHub
    let server: SocketServer
    let counterDesk: CounterDesk
    let logger: Logger
    let notifier: SystemdNotifier
    public let parts: DaemonParts
    /// Services added by the executable (the HTTP listener), run after the sockets.
    public var listeners: [any Service] = []

    public init(
        config: HallConfig, configPath: String, stateDir: URL, runtimeDir: URL, logger: Logger,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws {
        self.logger = logger
        // 0750: clerk names and tickets are for hallq's user and group only (the process umask,
        // set at start, makes the files 0640).
        try FileManager.default.createDirectory(
            at: stateDir, withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o750])
        let store = try HallStore.openChecked(
            path: stateDir.appendingPathComponent("hallq.sqlite").path, now: Hall.systemClock())
        // The status-link key exists whether or not [http] is on now, so turning it on later
        // (a reload) finds the key that printed tickets were made with.
        let hall = try Hall(
            config: config, store: store, links: try StatusLinks.load(stateDir: stateDir), logger: logger)
        let devices = try DeviceHub(hall: hall, config: config, stateDir: stateDir, logger: logger)
        let notifier = SystemdNotifier(environment: environment, logger: logger)

        let reload = Self.reloader(configPath: configPath, hall: hall, devices: devices, logger: logger)
        let dispatcher = Dispatcher(hall: hall, devices: devices, limits: config.limits, reload: reload)

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
        self.server = SocketServer(
            listeners: listeners, dispatcher: dispatcher, hall: hall, logger: logger,
            limits: config.limits,
            ready: {
                let waiting = hall.snapshotEngine().waitingTotal
                notifier.send("READY=1\nSTATUS=serving; \(waiting) waiting")
                logger.notice("hallqd ready", metadata: ["waiting": .stringConvertible(waiting)])
            })
        self.hall = hall
        self.devices = devices
        counterDesk = CounterDesk(hall: hall, devices: devices, dispatcher: dispatcher, logger: logger)
        self.notifier = notifier
        self.reloadAction = reload
        parts = DaemonParts(
            hall: hall, devices: devices, dispatcher: dispatcher, config: config, stateDir: stateDir, logger: logger)
    }

    let reloadAction: @Sendable () async -> Result<Void, HallError>

    /// `reload` and SIGHUP: read the config file again and hand it to the hall and the devices;
    /// a broken file is refused with BAD-CONFIG and the running config stays.
    public static func reloader(
        configPath: String, hall: Hall, devices: DeviceHub, logger: Logger
    )
        -> @Sendable () async -> Result<Void, HallError>
    {
        {
            do {
                let fresh = try ConfigLoader.load(path: configPath)
                await hall.reconfigure(fresh)
                await devices.reconfigure(fresh)
                logger.notice("config reloaded", metadata: ["path": .string(configPath)])
                return .success(())
            } catch {
                logger.error(
                    "config reload refused; keeping the running config", metadata: ["error": .string("\(error)")])
                return .failure(HallError(.badConfig, "reload refused, the running config stays: \(error)"))
            }
        }
    }

    public func run() async throws {
        let devices = self.devices
        // The 好差评 upload looks at its outbox as soon as a rating with cases commits, and after
        // a reload (a newly configured [haocha]).
        let upload = parts.dispatcher.upload
        // The relay to the province ships every commit: woken by each (it batches what piled up
        // while it was sending).
        let relay = parts.dispatcher.relay
        let watch = hall.subscribe { c in
            if !c.effects.caseRatings.isEmpty { upload.wake() }
            if !c.effects.events.isEmpty { relay.wake() }
        }
        defer { hall.unsubscribe(watch) }
        let watchdog = WatchdogService(
            hall: hall, notifier: notifier, logger: logger,
            deviceProblems: { await devices.report().problems },
            centralLag: {
                let s = relay.current
                return s.configured ? s : nil
            })
        let hangup = ReloadOnHangup(reload: reloadAction, notifier: notifier)
        // Until ReloadOnHangup traps it, a SIGHUP (a reload asked for during start-up) must not
        // end hallqd, which is the signal's default action.
        signal(SIGHUP, SIG_IGN)
        var configuration = ServiceGroupConfiguration(
            services: [
                .init(service: devices),
                .init(service: server),
                .init(service: counterDesk),
            ] + listeners.map { .init(service: $0) } + [
                .init(service: watchdog),
                .init(service: PersonRetention(hall: hall, logger: logger)),
                .init(service: BookingSweeper(hall: hall, logger: logger)),
                .init(service: upload),
                .init(service: relay),
                .init(service: hangup),
            ],
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
        do { try hall.store.closeCleanly() } catch {
            logger.warning(
                "database not closed cleanly; the next start checks it whole", metadata: ["error": .string("\(error)")])
        }
        notifier.send("STATUS=stopped")
        logger.notice("hallqd stopped")
    }
}
