import Foundation
import HallqCore
import HallqDevices
import HallqEncoders
import HallqProtocol
import HallqStore
import Logging

/// Keeps every window sign and the lobby screen showing the live queue: a fresh call flashes for
/// `call_hold_s`, then the sign says what is being served; the lobby lists the latest calls. It
/// only hands content to the buses, whose drivers decide when each frame goes out.
actor SignBoard {
    let hall: Hall
    let buses: [String: any SignBus]
    let logger: Logger
    private var config: HallConfig
    private var recentCalls = RecentCalls(limit: 5)
    /// Per window, the call whose call_hold_s runs: its sign flashes until that hold ends,
    /// whatever else names the window meanwhile (the announcement's report, an ID card, a rating,
    /// a reload). A recall is a call of its own, with its own hold.
    private var holding: [Int: HeldCall] = [:]

    private struct HeldCall: Equatable {
        let ticket: Int64
        let calledAt: Millis?
    }
    /// How long a fresh call flashes before the sign says what is being served.
    let callHold: Duration

    init(hall: Hall, config: HallConfig, stateDir: URL, logger: Logger) throws {
        self.hall = hall
        self.config = config
        self.logger = logger
        callHold = .seconds(config.callHoldSeconds)
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
        recentCalls = RecentCalls((try? await hall.store.recentCalls(limit: limit)) ?? [], limit: limit)
        await refreshAll(hall.read { $0 })
    }

    func stop() {
        for bus in buses.values { bus.stop() }
    }

    /// New texts, scopes and windows after a reload. The buses stay as they were opened.
    func reconfigure(_ c: HallConfig) async {
        config = c
        recentCalls = RecentCalls(recentCalls.calls, limit: c.lobby?.recent ?? 5)
        await refreshAll(hall.read { $0 })
    }

    /// Shows what a committed command changed.
    func follow(_ c: Committed) async {
        for e in c.effects.events { if let call = RecentCalls.call(e) { recentCalls.add(call) } }
        let windowsTouched = Set(c.effects.events.compactMap(\.window))
        let fresh = Set(c.effects.events.filter { $0.type.isCall }.compactMap(\.window))
        for n in windowsTouched.sorted() {
            if fresh.contains(n), let current = c.engine.windows[n]?.current {
                let call = HeldCall(ticket: current, calledAt: c.engine.live[current]?.lastCalledAt)
                holding[n] = call
                let hold = callHold
                Task {
                    try? await Task.sleep(for: hold)
                    await self.endHold(window: n, call)
                }
            }
            await showWindow(n, engine: c.engine)
        }
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

    /// A call's hold is over: the sign shows the ticket as served, unless a later call (a recall)
    /// holds the window now, which ends its own hold.
    private func endHold(window n: Int, _ call: HeldCall) async {
        guard holding[n] == call else { return }
        holding[n] = nil
        await showWindow(n, engine: await hall.read { $0 })
    }

    /// Window `n`'s sign: the call flashing while its hold runs and the ticket is still in hand.
    private func showWindow(_ n: Int, engine: QueueEngine) async {
        guard let wc = config.window(n), let sign = wc.sign, let bus = buses[sign.bus], let w = engine.windows[n] else {
            return
        }
        let held =
            w.current.map { holding[n] == HeldCall(ticket: $0, calledAt: engine.live[$0]?.lastCalledAt) } ?? false
        let content = SignText.window(
            w, ticket: w.current.flatMap { engine.live[$0] }, freshCall: held, config: config)
        await bus.show(content, address: sign.address)
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
