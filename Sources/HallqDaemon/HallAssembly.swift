import Foundation
import HallqApp
import HallqCentral
import HallqConfig
import HallqCore
import HallqHardware
import HallqStore
import HallqUpload
import Logging
import ServiceLifecycle

/// One hall built from its config, in the one order that works: store → hall → hardware →
/// dispatcher → counter desk, and the services that keep it going (the hardware, the counter
/// keys, the sweeps, the 好差评 upload and the relay to the province). hallqd's `Daemon` adds
/// its transports to this; the tests' `InProcessHall` runs exactly this, so what they exercise
/// is what hallqd runs.
public struct HallAssembly: Sendable {
    public let hall: Hall
    public let devices: DeviceHub
    public let dispatcher: Dispatcher
    public let counterDesk: CounterDesk
    public let config: HallConfig
    public let stateDir: URL
    public let logger: Logger
    /// `reload` and SIGHUP: the config file read again, handed to the hall and the devices.
    public let reload: @Sendable () async -> Result<Void, HallError>

    public init(
        config: HallConfig, configPath: String, stateDir: URL,
        clock: @escaping @Sendable () -> Millis = Hall.systemClock,
        logger: Logger
    ) throws {
        // 0750: clerk names and tickets are for hallq's user and group only (the process umask,
        // set at start, makes the files 0640).
        try FileManager.default.createDirectory(
            at: stateDir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o750])
        let store = try HallStore.openChecked(path: stateDir.appendingPathComponent("hallq.sqlite").path, now: clock())
        // The status-link key exists whether or not [http] is on now, so turning it on later
        // (a reload) finds the key that printed tickets were made with.
        let hall = try Hall(
            config: config, store: store, clock: clock, links: try StatusLinks.load(stateDir: stateDir), logger: logger)
        let devices = try DeviceHub(hall: hall, config: config, stateDir: stateDir, logger: logger)
        let reload = Self.reloader(configPath: configPath, hall: hall, devices: devices, logger: logger)
        let dispatcher = Dispatcher(hall: hall, devices: devices, limits: config.limits, reload: reload)
        self.hall = hall
        self.devices = devices
        self.dispatcher = dispatcher
        self.counterDesk = CounterDesk(hall: hall, devices: devices, dispatcher: dispatcher, logger: logger)
        self.config = config
        self.stateDir = stateDir
        self.logger = logger
        self.reload = reload
        // The 好差评 upload looks at its outbox as soon as a rating with cases commits; the relay
        // to the province is woken by every commit while `[central]` is configured (it batches
        // what piled up while it sent). Unconfigured, it looks again every 30 s: a ring per
        // commit would wake it for nothing on the writer's every round (a task group and a timer
        // each, seen in hallq-bench's profile).
        let upload = dispatcher.upload
        let relay = dispatcher.relay
        _ = hall.subscribe { c in
            if !c.effects.caseRatings.isEmpty { upload.wake() }
            if !c.effects.events.isEmpty, c.engine.config.central != nil { relay.wake() }
        }
    }

    /// The hall's own services: its hardware (started first: a ticket taken while the rest start
    /// is printed), then what keeps it (sweeps, the upload, the relay).
    public var services: [any Service] { hardware + keepers }

    /// The devices and the counter keys that drive ops.
    public var hardware: [any Service] { [devices, counterDesk] }

    /// The sweeps and the shipping to the province.
    public var keepers: [any Service] {
        [
            PersonRetention(hall: hall, logger: logger), BookingSweeper(hall: hall, logger: logger), dispatcher.upload,
            dispatcher.relay,
        ]
    }

    /// Reads the config file again and hands it to the hall and the devices; a broken file is
    /// refused with BAD-CONFIG and the running config stays.
    static func reloader(
        configPath: String, hall: Hall, devices: DeviceHub, logger: Logger
    ) -> @Sendable () async -> Result<Void, HallError> {
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
}
