import Foundation
import HallqCore
import HallqDevices
import HallqEncoders
import HallqProtocol
import HallqStore
import HallqVoice
import Logging
import ServiceLifecycle

/// Drives the devices from committed queue changes: prints tickets, keeps every sign showing the
/// current state. It only ever *follows* the queue: a slow or dead device never holds up a command.
public actor DeviceHub: Service {
    let hall: Hall
    let printer: (any TicketPrinter)?
    let buses: [String: any SignBus]
    let announcer: AlsaAnnouncer?
    let logger: Logger
    private var config: HallConfig
    private var recentCalls: [(label: String, window: Int)] = []
    private var lastPrinterHealth: PrinterHealth?
    /// The last reported health of voice and of each answering sign, by device name.
    private var lastHealth: [String: String] = [:]
    private let commits: AsyncStream<Committed>
    private let commitSink: AsyncStream<Committed>.Continuation
    private let jobs: AsyncStream<PrintJob>
    private let jobSink: AsyncStream<PrintJob>.Continuation
    /// Announcement outcomes, logged one after another in the order they happened.
    private let spoken: AsyncStream<Command>
    private let spokenSink: AsyncStream<Command>.Continuation
    /// How long a fresh call flashes before the sign says what is being served.
    let callHold: Duration

    struct PrintJob: Sendable { var ticketId: Int64; var layout: TicketLayout }

    public init(hall: Hall, config: HallConfig, stateDir: URL, logger: Logger) throws {
        self.hall = hall
        self.config = config
        self.logger = logger
        self.callHold = .seconds(config.callHoldSeconds)
        printer = try Self.makePrinter(config, stateDir: stateDir, logger: logger)
        buses = try Self.makeBuses(config, stateDir: stateDir, logger: logger)
        (spoken, spokenSink) = AsyncStream.makeStream(bufferingPolicy: .unbounded)
        announcer = Self.makeAnnouncer(config, stateDir: stateDir, hall: hall, log: spokenSink, logger: logger)
        (commits, commitSink) = AsyncStream.makeStream(bufferingPolicy: .unbounded)
        (jobs, jobSink) = AsyncStream.makeStream(bufferingPolicy: .unbounded)
    }

    /// The printer driver the config names (nil for `none`).
    static func makePrinter(_ config: HallConfig, stateDir: URL, logger: Logger) throws -> (any TicketPrinter)? {
        let profile = PrinterProfile.named(config.printer.profile) ?? .mm80
        switch config.printer.kind {
        case .virtual: return try VirtualPrinter(directory: stateDir.appendingPathComponent("printer"), logger: logger)
        case .none: return nil
        case .usb: return try UsbPrinter.make(vendor: config.printer.vendor, product: config.printer.product, profile: profile, logger: logger)
        case .usblp: return UsblpPrinter.make(path: config.printer.path ?? "/dev/usb/lp0", profile: profile, logger: logger)
        }
    }

    /// One driver per configured bus, each knowing the panel size of every sign on it.
    static func makeBuses(_ config: HallConfig, stateDir: URL, logger: Logger) throws -> [String: any SignBus] {
        var buses: [String: any SignBus] = [:]
        for bus in config.buses {
            switch bus.kind {
            case .virtual:
                buses[bus.name] = try VirtualSignBus(name: bus.name, directory: stateDir.appendingPathComponent("signs"), logger: logger)
            case .serial:
                guard let encoder = SignEncoders.make(for: bus) else { continue }  // the loader checked the name
                var geometry: [Int: SignGeometry] = [:]
                for w in config.windows {
                    if let s = w.sign, s.bus == bus.name { geometry[s.address] = SignGeometry(width: s.width, height: s.height, align: s.align) }
                }
                if let l = config.lobby, l.bus == bus.name { geometry[l.address] = SignGeometry(width: l.width, height: l.height, align: l.align) }
                buses[bus.name] = SerialSignBus(config: bus, encoder: encoder, geometry: geometry, logger: logger)
            }
        }
        return buses
    }

    /// The voice announcer `[voice]` asks for. A missing or broken clip pack, or a device that
    /// cannot be opened, makes it degraded, never stops hallqd.
    static func makeAnnouncer(_ config: HallConfig, stateDir: URL, hall: Hall, log: AsyncStream<Command>.Continuation,
                              logger: Logger) -> AlsaAnnouncer? {
        guard let v = config.voice else { return nil }
        let dir = v.clips.map { URL(fileURLWithPath: $0) } ?? stateDir.appendingPathComponent("voice")
        let pack: Result<ClipPack, Wave.Failure>
        do throws(Wave.Failure) { pack = .success(try ClipPackFiles.load(dir)) } catch { pack = .failure(error) }
        return AlsaAnnouncer(
            device: v.device, pack: pack, repeats: v.repeats, volume: Double(v.volume) / 100, maxBacklog: v.maxBacklogSeconds,
            isCurrent: { a in
                // Still the ticket in hand at that window, and not called again since.
                let e = hall.snapshotEngine()
                return e.windows[a.window]?.current == a.ticket.id && e.live[a.ticket.id]?.lastCalledAt == a.ticket.lastCalledAt
            },
            report: { a, delay, repeats, dropped in
                log.yield(.announced(a.ticket, window: a.window, recall: a.recall, delayMs: delay, repeats: repeats, dropped: dropped))
            },
            logger: logger)
    }

    public func run() async throws {
        recentCalls = (try? await hall.store.recentCalls(limit: config.lobby?.recent ?? 5)) ?? []
        let sink = commitSink
        let sub = hall.subscribe { sink.yield($0) }
        defer { hall.unsubscribe(sub) }
        await refreshAll(hall.read { $0 })
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.printLoop() }
            group.addTask { await self.healthLoop() }
            group.addTask {
                for await c in self.spoken { _ = await self.hall.submit(c, origin: .system) }
            }
            group.addTask {
                for await c in self.commits { await self.follow(c) }
            }
            // On shutdown the streams end: signs get the last changes, every print already
            // handed over is finished (its outcome recorded), then the loops return.
            await withGracefulShutdownHandler {
                await group.waitForAll()
            } onGracefulShutdown: {
                self.commitSink.finish()
                self.jobSink.finish()
                self.spokenSink.finish()
            }
        }
        for bus in buses.values { (bus as? SerialSignBus)?.stop() }
        announcer?.stop()
    }

    /// New texts, scopes and windows after a reload. Printer and buses stay as they were opened.
    public func reconfigure(_ c: HallConfig) async {
        config = c
        await refreshAll(hall.read { $0 })
    }

    // MARK: - Printer

    /// Why `take` must be refused right now, or nil. Asked before issuing, so a kiosk with no
    /// paper issues no number that could never be printed.
    public func printerRefusal() async -> HallError? {
        guard let printer, !config.queue.issueWithoutPrinter else { return nil }
        return await printer.health().refusal
    }

    private func printLoop() async {
        for await job in jobs {
            await printNow(job)
        }
    }

    @discardableResult
    private func printNow(_ job: PrintJob) async -> Result<Void, PrintFailure> {
        guard let printer else { return .failure(PrintFailure("no printer")) }
        let result: Result<Void, PrintFailure>
        do throws(PrintFailure) {
            try await printer.print(job.layout)
            result = .success(())
        } catch {
            logger.warning("ticket did not print", metadata: ["ticket": .string(job.layout.label), "reason": .string(error.reason)])
            result = .failure(error)
        }
        let cmd: Command = switch result {
        case .success: .printed(ticketId: job.ticketId, status: .printed, error: nil)
        case let .failure(f): .printed(ticketId: job.ticketId, status: .failed, error: f.reason)
        }
        if case let .failure(e) = await hall.submit(cmd, origin: .system) {
            logger.error("print status not saved", metadata: ["ticket": .string(job.layout.label), "error": .string("\(e)")])
        }
        return result
    }

    /// Prints a stored ticket again (admin `reprint`). Waits for the printer's answer.
    public func reprint(_ t: Ticket) async -> Result<Void, HallError> {
        guard printer != nil else { return .failure(HallError(.printerOffline, "no printer is configured")) }
        let engine = await hall.read { $0 }
        let ahead = t.state == .waiting ? engine.ahead(of: t) : 0
        let layout = TicketLayout.make(ticket: t, ahead: ahead, etaMinutes: engine.etaMinutes(service: t.service, ahead: ahead),
                                       config: config, calendar: engine.calendar)
        switch await printNow(PrintJob(ticketId: t.id, layout: layout)) {
        case .success: return .success(())
        case let .failure(f): return .failure(HallError(.printerOffline, "reprint failed: \(f.reason)"))
        }
    }

    private func healthLoop() async {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            if let printer {
                let h = await printer.health()
                if h != lastPrinterHealth {
                    if lastPrinterHealth != nil || h != .online {
                        logger.notice("printer health changed", metadata: ["health": .string(h.rawValue)])
                        // Into the log and onto `watch`, so dashboards see "暂停取号" coming.
                        _ = await hall.submit(.device(name: "printer", health: h.rawValue), origin: .system)
                    }
                    lastPrinterHealth = h
                }
            }
            await reportHealthChanges()
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1)) }
        }
    }

    /// Voice and each answering sign: a change of health is a `device` event, so the log shows
    /// when a sign died or the speaker went away.
    private func reportHealthChanges() async {
        if let h = announcer?.health() { await report("voice", h) }
        for (busName, bus) in buses.sorted(by: { $0.key < $1.key }) {
            for (address, h) in await bus.signHealth().sorted(by: { $0.key < $1.key }) {
                await report("sign \(busName)/\(address)", h)
            }
        }
    }

    /// Logs a device's health when it changes; a device that is fine from the start is not news.
    private func report(_ device: String, _ h: String) async {
        guard lastHealth[device] != h else { return }
        if lastHealth[device] != nil || h != "ok" {
            _ = await hall.submit(.device(name: device, health: h), origin: .system)
        }
        lastHealth[device] = h
    }

    /// Devices that are not fine, in a few words each ("printer paper-out", "bus signs: …").
    public func problems() async -> [String] {
        var out: [String] = []
        if let printer {
            let h = await printer.health()
            if h != .online { out.append("printer \(h.rawValue)") }
        }
        if let h = announcer?.health(), h != "ok" { out.append("voice \(h)") }
        for b in config.buses {
            let health = await buses[b.name]?.health() ?? "not-driven"
            if health != "ok" { out.append("bus \(b.name) \(health)") }
            for (address, h) in await buses[b.name]?.signHealth().sorted(by: { $0.key < $1.key }) ?? [] where h != "ok" {
                out.append("sign \(b.name)/\(address) \(h)")
            }
        }
        return out
    }

    public func devices() async -> JSONValue {
        var printerJSON: JSONValue = ["kind": .string(config.printer.kind.rawValue), "health": "none"]
        if let printer {
            printerJSON = ["kind": .string(printer.kind), "health": .string(await printer.health().rawValue)]
        }
        var busList: [JSONValue] = []
        for b in config.buses {
            let health = await buses[b.name]?.health() ?? "not-driven"
            let signs = await buses[b.name]?.signHealth() ?? [:]
            busList.append(["name": .string(b.name), "kind": .string(b.kind.rawValue), "protocol": .string(b.proto),
                            "path": .string(b.path), "health": .string(health),
                            "signs": .array(signs.sorted { $0.key < $1.key }.map {
                                ["address": .int(Int64($0.key)), "health": .string($0.value)]
                            })])
        }
        var out: [String: JSONValue] = ["printer": printerJSON, "buses": .array(busList)]
        if let announcer, let v = config.voice {
            out["voice"] = ["device": .string(v.device), "health": .string(announcer.health())]
        }
        return .object(out)
    }

    // MARK: - Signs

    private func follow(_ c: Committed) async {
        for e in c.effects.events {
            if e.type == .take, case let .issued(t, ahead, eta, false) = c.effects.subject, printer != nil {
                jobSink.yield(PrintJob(ticketId: t.id, layout: TicketLayout.make(
                    ticket: t, ahead: ahead, etaMinutes: eta, config: config, calendar: c.engine.calendar)))
            }
            if e.type.isCall, let w = e.window, let id = e.ticketId, let t = c.engine.live[id] {
                announce(t, window: w, recall: e.type == .recall, calendar: c.engine)
            }
            if e.type.isCall, let label = e.label, let w = e.window {
                // A recall moves the call to the top rather than listing it twice.
                recentCalls.removeAll { $0.label == label && $0.window == w }
                recentCalls.insert((label, w), at: 0)
                recentCalls = Array(recentCalls.prefix(config.lobby?.recent ?? 5))
            }
        }
        let windowsTouched = Set(c.effects.events.compactMap(\.window))
        let fresh = Set(c.effects.events.filter { $0.type.isCall }.compactMap(\.window))
        for n in windowsTouched.sorted() {
            await showWindow(n, engine: c.engine, freshCall: fresh.contains(n))
            if fresh.contains(n), let current = c.engine.windows[n]?.current {
                let hold = callHold
                Task {
                    try? await Task.sleep(for: hold)
                    await self.endHold(window: n, ticket: current)
                }
            }
        }
        await showLobby(c.engine)
    }

    /// Hands a call to the announcer (which never makes the call wait).
    private func announce(_ t: Ticket, window: Int, recall: Bool, calendar _: QueueEngine) {
        guard let announcer, let v = config.voice, let reading = NumberReading(rawValue: v.number) else { return }
        do {
            let phrase = try PhraseBuilder.clips(template: recall ? v.recall : v.call, ticket: t.label, window: window, reading: reading)
            announcer.announce(Announcement(ticket: t, window: window, recall: recall, phrase: phrase))
        } catch {
            logger.warning("no announcement", metadata: ["ticket": .string(t.label), "error": .string(error.description)])
        }
    }

    private func endHold(window n: Int, ticket: Int64) async {
        let engine = await hall.read { $0 }
        guard engine.windows[n]?.current == ticket else { return }
        await showWindow(n, engine: engine, freshCall: false)
    }

    private func showWindow(_ n: Int, engine: QueueEngine, freshCall: Bool) async {
        guard let wc = config.window(n), let sign = wc.sign, let bus = buses[sign.bus], let w = engine.windows[n] else { return }
        let content = SignText.window(w, ticket: w.current.flatMap { engine.live[$0] }, freshCall: freshCall, config: config)
        await bus.show(content, address: sign.address)
    }

    private func showLobby(_ engine: QueueEngine) async {
        guard let lobby = config.lobby, let bus = buses[lobby.bus] else { return }
        await bus.show(SignText.lobby(recent: recentCalls, engine: engine, config: config), address: lobby.address)
    }

    private func refreshAll(_ engine: QueueEngine) async {
        for w in config.windows { await showWindow(w.number, engine: engine, freshCall: false) }
        await showLobby(engine)
    }
}
