import Foundation
import HallqApp
import HallqCore
import HallqDevices
import HallqEncoders
import HallqProtocol
import Logging

/// Keeps every window sign and the lobby screen showing the live queue, each window as its
/// `WindowView` says (a call flashes for `call_hold_s` from its time, then the sign says what is
/// being served); the lobby lists the latest calls. It only hands content to the buses, whose
/// drivers decide when each frame goes out.
actor SignBoard {
    let hall: Hall
    let buses: [String: any SignBus]
    let logger: Logger
    private var config: HallConfig
    private var recentCalls = RecentCalls(limit: 5)
    /// What each window's sign was last given: a commit that changes nothing visible (the
    /// announcement's report, a rating) sends nothing.
    private var shown: [Int: SignContent] = [:]
    /// Per window, the end of the flash a timer is set for (`WindowView.flashingUntil`).
    private var holdTimers: [Int: Millis] = [:]

    init(hall: Hall, config: HallConfig, stateDir: URL, logger: Logger) throws {
        self.hall = hall
        self.config = config
        self.logger = logger
        buses = try Self.makeBuses(config, stateDir: stateDir, logger: logger)
    }

    /// One driver per configured bus, each knowing the panel size of every sign on it.
    static func makeBuses(_ config: HallConfig, stateDir: URL, logger: Logger) throws -> [String: any SignBus] {
        var buses: [String: any SignBus] = [:]
        for bus in config.buses {
            switch bus.kind {
            case .virtual:
                buses[bus.name] = try VirtualSignBus(
                    name: bus.name, directory: stateDir.appendingPathComponent("signs"),
                    logger: logger)
            case .serial:
                guard let encoder = SignEncoders.make(for: bus) else { continue }  // the loader checked the name
                var geometry: [Int: SignGeometry] = [:]
                for w in config.windows {
                    if let s = w.sign, s.bus == bus.name {
                        geometry[s.address] = SignGeometry(width: s.width, height: s.height, align: s.align)
                    }
                }
                if let l = config.lobby, l.bus == bus.name {
                    geometry[l.address] = SignGeometry(width: l.width, height: l.height, align: l.align)
                }
                buses[bus.name] = SerialSignBus(config: bus, encoder: encoder, geometry: geometry, logger: logger)
            }
        }
        return buses
    }

    /// At start: the lobby's latest calls from the log, and every sign its current content.
    func start() async {
        let limit = config.lobby?.recent ?? 5
        recentCalls = RecentCalls((try? await hall.recentCalls(limit: limit)) ?? [], limit: limit)
        await refreshAll(hall.snapshotEngine())
    }

    func stop() {
        for bus in buses.values { bus.stop() }
    }

    /// New texts, scopes and windows after a reload. The buses stay as they were opened.
    func reconfigure(_ c: HallConfig) async {
        config = c
        recentCalls = RecentCalls(recentCalls.calls, limit: c.lobby?.recent ?? 5)
        await refreshAll(hall.snapshotEngine())
    }

    /// Shows what a committed command changed.
    func follow(_ c: Committed) async {
        for e in c.effects.events { if let call = RecentCalls.call(e) { recentCalls.add(call) } }
        for n in Set(c.effects.events.compactMap(\.window)).sorted() { await showWindow(n, engine: c.engine) }
        await showLobby(c.engine)
    }

    /// Each bus's health and its answering signs', for `devices`.
    func report() async -> [DeviceReport.Bus] {
        var out: [DeviceReport.Bus] = []
        for b in config.buses where b.proto != BusConfig.callerProtocol {
            out.append(
                DeviceReport.Bus(
                    name: b.name, kind: b.kind.rawValue, proto: b.proto, path: b.path,
                    health: await buses[b.name]?.health() ?? .notDriven,
                    signs: await buses[b.name]?.signHealth() ?? [:]))
        }
        return out
    }

    /// Window `n`'s sign as `WindowView` says now; while a call flashes, a timer redraws it when
    /// the flash ends (and again, should the clock have been set back meanwhile).
    private func showWindow(_ n: Int, engine: QueueEngine) async {
        guard let wc = config.window(n), let sign = wc.sign, let bus = buses[sign.bus] else { return }
        let view = WindowView.of(n, in: engine, now: hall.clock())
        if let until = view.flashingUntil, holdTimers[n] != until {
            holdTimers[n] = until
            let wait = Duration.milliseconds(max(0, until - hall.clock()))
            Task { [weak self] in
                try? await Task.sleep(for: wait)
                await self?.holdEnded(window: n, until)
            }
        }
        let content = SignText.window(view, config: config)
        guard shown[n] != content else { return }
        shown[n] = content
        await bus.show(content, address: sign.address)
    }

    /// The flash that ended at `until` is over: the sign shows what the window does now.
    private func holdEnded(window n: Int, _ until: Millis) async {
        guard holdTimers[n] == until else { return }
        holdTimers[n] = nil
        await showWindow(n, engine: hall.snapshotEngine())
    }

    private func showLobby(_ engine: QueueEngine) async {
        guard let lobby = config.lobby, let name = lobby.bus, let bus = buses[name] else { return }
        await bus.show(
            SignText.lobby(recent: recentCalls.calls.map { ($0.label, $0.window) }, engine: engine, config: config),
            address: lobby.address)
    }

    private func refreshAll(_ engine: QueueEngine) async {
        for w in config.windows { await showWindow(w.number, engine: engine) }
        await showLobby(engine)
    }
}
