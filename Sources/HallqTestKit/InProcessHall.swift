import Foundation
import HallqApp
import HallqConfig
import HallqCore
import HallqDaemon
import HallqHardware
import HallqProtocol
import HallqStore
import Logging
import ServiceLifecycle

/// A hall without a process or a socket: hallqd's own `HallAssembly` (virtual printer and signs,
/// files in a temp state directory, the counter desk, the sweeps) on a real SQLite file, answering request
/// lines as the sockets would (the same parser and role table). Op-level tests run here in
/// milliseconds; what only a process has (sockets, signals, systemd, devices under umockdev)
/// stays with `DaemonHarness`.
public final class InProcessHall: Sendable {
    public let stateDir: URL
    public let configURL: URL
    public let hall: Hall
    public let devices: DeviceHub
    public let dispatcher: Dispatcher
    let group: ServiceGroup
    let running: Task<Void, any Error>

    /// Starts on `config` (TOML). `clock` is the hall's wall clock (UTC ms).
    public init(
        config: String = DaemonHarness.demoConfig, clock: @escaping @Sendable () -> Millis = Hall.systemClock
    ) throws {
        let root = URL(fileURLWithPath: "/tmp/hq-ip-\(UUID().uuidString.prefix(8))")
        stateDir = root.appendingPathComponent("state")
        configURL = root.appendingPathComponent("hallq.toml")
        try FileManager.default.createDirectory(at: stateDir, withIntermediateDirectories: true)
        let text = config.contains("[limits]") ? config : config + DaemonHarness.generousLimits
        try Data(text.utf8).write(to: configURL)
        var logger = Logger(label: "hallq-in-process")
        logger.logLevel = .warning
        // hallqd's own composition, without its sockets, HTTP and systemd.
        let assembly = try HallAssembly(
            config: try ConfigLoader.parse(text), configPath: configURL.path, stateDir: stateDir, clock: clock,
            logger: logger)
        hall = assembly.hall
        devices = assembly.devices
        dispatcher = assembly.dispatcher
        group = ServiceGroup(
            configuration: .init(services: assembly.services.map { .init(service: $0) }, logger: logger))
        let group = self.group
        running = Task { try await group.run() }
    }

    deinit {
        running.cancel()
        try? FileManager.default.removeItem(at: stateDir.deletingLastPathComponent())
    }

    /// One request line on `role`'s socket: its reply line, as that socket would answer it.
    /// (`watch` is a connection's business: use `DaemonHarness` for it.)
    public func ask(_ role: Role, _ request: JSONValue, uid: Int? = 1000) async -> JSONValue {
        await lines(role, request, uid: uid).last ?? .null
    }

    /// Every line the socket would send for one request (`export`: its `csv_chunk` lines, then
    /// the reply).
    public func lines(_ role: Role, _ request: JSONValue, uid: Int? = 1000) async -> [JSONValue] {
        let (id, parsed) = Wire.parse(Array(request.text.utf8), role: role)
        switch parsed {
        case let .failure(e): return [Wire.error(id: id, e)]
        case let .success(r):
            var out: [JSONValue] = []
            try? await dispatcher.respond(to: r, id: id, origin: Origin(role: role.rawValue, uid: uid)) {
                out.append($0)
            }
            return out
        }
    }

    /// The content a virtual sign shows now ("" before its first content).
    public func sign(bus: String = "signs", _ address: Int) -> String {
        (try? String(contentsOf: stateDir.appendingPathComponent("signs/\(bus)-\(address).txt"), encoding: .utf8)) ?? ""
    }

    /// The virtual printer's state file: write "paper-out", "offline", … to it; remove it for online.
    public var printerStatusFile: URL { stateDir.appendingPathComponent("printer/status") }

    /// Shuts the devices down as hallqd does at SIGTERM (prints in flight finish) and waits.
    public func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await running.value
    }
}
