import Foundation
import HallqApp
import HallqCore
import HallqDevices
import HallqProtocol
import HallqVoice
import Logging
import ServiceLifecycle

/// Drives the devices from committed queue changes: the print desk gets issued tickets, the sign
/// board every change, the announcer every call; it watches their health and reports it. It only
/// ever *follows* the queue: a slow or dead device never holds up a command.
public actor DeviceHub: Service, HallDevices {
    let hall: Hall
    /// One print desk per printer, in `[[printer]]` order; kiosks name theirs.
    let printDesks: [PrintDesk]
    let signBoard: SignBoard
    let announcer: AlsaAnnouncer?
    /// Callers and keypads: their presses go to `CounterDesk`, their health is reported here.
    let counters: CounterDevices
    /// ID cards placed on kiosk readers, held for the kiosk's next take.
    public nonisolated let cards = CardDesk()
    let logger: Logger
    private var config: HallConfig
    /// The last reported health of voice and of each answering sign, by device name.
    private var lastHealth: [String: DeviceHealth] = [:]
    private let commits: AsyncStream<Committed>
    private let commitSink: AsyncStream<Committed>.Continuation
    /// Announcement outcomes, logged one after another in the order they happened.
    private let spoken: AsyncStream<Command>
    private let spokenSink: AsyncStream<Command>.Continuation
    private let subscription: UUID

    public init(hall: Hall, config: HallConfig, stateDir: URL, logger: Logger) throws {
        self.hall = hall
        self.config = config
        self.logger = logger
        printDesks = try config.printers.map {
            try PrintDesk(hall: hall, config: config, printer: $0, stateDir: stateDir, logger: logger)
        }
        signBoard = try SignBoard(hall: hall, config: config, stateDir: stateDir, logger: logger)
        (spoken, spokenSink) = AsyncStream.makeStream(bufferingPolicy: .unbounded)
        announcer = Self.makeAnnouncer(config, stateDir: stateDir, hall: hall, log: spokenSink, logger: logger)
        counters = CounterDevices(config: config, persons: hall.links?.persons, logger: logger)
        (commits, commitSink) = AsyncStream.makeStream(bufferingPolicy: .unbounded)
        // Subscribed from the start, not when `run` begins: a ticket taken while the services
        // are still starting is printed too.
        let sink = commitSink
        subscription = hall.subscribe { sink.yield($0) }
    }

    /// The voice announcer `[voice]` asks for. A missing or broken clip pack, or a device that
    /// cannot be opened, makes it degraded, never stops hallqd.
    static func makeAnnouncer(
        _ config: HallConfig, stateDir: URL, hall: Hall, log: AsyncStream<Command>.Continuation,
        logger: Logger
    ) -> AlsaAnnouncer? {
        guard let v = config.voice else { return nil }
        let dir = v.clipDirectory(stateDir: stateDir)
        let pack: Result<ClipPack, Wave.Failure>
        do throws(Wave.Failure) { pack = .success(try ClipPackFiles.load(dir)) } catch { pack = .failure(error) }
        return AlsaAnnouncer(
            device: v.device, pack: pack, repeats: v.repeats, volume: Double(v.volume) / 100,
            maxBacklog: v.maxBacklogSeconds,
            isCurrent: { a in
                // Still the ticket in hand at that window, and not called again since.
                let e = hall.snapshotEngine()
                return e.windows[a.window]?.current == a.ticket.id
                    && e.live[a.ticket.id]?.lastCalledAt == a.ticket.lastCalledAt
            },
            report: { a, delay, repeats, dropped in
                log.yield(
                    .announced(
                        a.ticket, window: a.window, recall: a.recall, delayMs: delay, repeats: repeats, dropped: dropped
                    ))
            },
            logger: logger)
    }

    public func run() async throws {
        defer { hall.unsubscribe(subscription) }
        await signBoard.start()
        await withTaskGroup(of: Void.self) { group in
            for desk in self.printDesks { group.addTask { await desk.run() } }
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
                self.spokenSink.finish()
                for desk in self.printDesks { desk.finish() }
            }
        }
        await signBoard.stop()
        announcer?.stop()
        counters.stop()
    }

    /// New texts, scopes and windows after a reload. Printer and buses stay as they were opened.
    public func reconfigure(_ c: HallConfig) async {
        config = c
        for desk in printDesks { await desk.reconfigure(c) }
        await signBoard.reconfigure(c)
    }

    /// The print desk of a kiosk's printer (nil: the kiosk has none; no name: the first kiosk).
    func desk(ofKiosk kiosk: String?) -> PrintDesk? {
        guard let p = config.printer(ofKiosk: kiosk) else { return nil }
        return printDesks.first { $0.name == p.name }
    }

    /// Why a `take` at `kiosk` must be refused right now (its printer cannot print), or nil. The
    /// message names the kiosks whose printers can, so the visitor can be sent there.
    public func printerRefusal(kiosk: String?) async -> HallError? {
        guard let desk = desk(ofKiosk: kiosk), var refusal = await desk.refusal() else { return nil }
        let here = config.kiosk(kiosk)?.name
        var working: [String] = []
        for k in config.kiosks where k.name != here {
            if let other = self.desk(ofKiosk: k.name), await other.refusal() == nil { working.append(k.name) }
        }
        if !working.isEmpty { refusal.message += "; kiosk \(working.joined(separator: ", ")) can issue tickets" }
        return refusal
    }

    /// Prints a stored ticket again (admin `reprint`) on a kiosk's printer (the first kiosk's
    /// when none is named). Waits for the printer's answer.
    public func reprint(_ t: Ticket, kiosk: String? = nil) async -> Result<Void, HallError> {
        guard let desk = desk(ofKiosk: kiosk) ?? printDesks.first else {
            return .failure(HallError(.printerOffline, "no printer is configured"))
        }
        return await desk.reprint(t)
    }

    /// Every device's health now.
    public func report() async -> DeviceReport {
        var voice: DeviceReport.Voice?
        if let announcer, let v = config.voice { voice = .init(device: v.device, health: announcer.health()) }
        let counter = counters.report(config, calendar: hall.snapshotEngine().calendar)
        var printers: [DeviceReport.Printer] = []
        for desk in printDesks { printers.append(await desk.report()) }
        let kiosks = config.kiosks.map { k in
            DeviceReport.Kiosk(
                name: k.name, printer: k.printer,
                health: printers.first { $0.name == k.printer && $0.kind != "none" }?.health ?? "none")
        }
        return DeviceReport(
            printers: printers, kiosks: kiosks, buses: await signBoard.report() + counter.buses, voice: voice,
            keypads: counter.keypads)
    }

    private func follow(_ c: Committed) async {
        for e in c.effects.events {
            if e.type == .take, let (t, ahead, eta, duplicate) = c.effects.subject.issued, !duplicate {
                // On the printer of the kiosk it was taken at (the first kiosk's when none said).
                await desk(ofKiosk: c.origin.kiosk)?.issued(
                    t, ahead: ahead, eta: eta, calendar: c.engine.calendar)
            }
            if e.type.isCall, let w = e.window, let id = e.ticketId, let t = c.engine.live[id] {
                announce(t, window: w, recall: e.type == .recall)
            }
        }
        await signBoard.follow(c)
    }

    /// Hands a call to the announcer (which never makes the call wait).
    private func announce(_ t: Ticket, window: Int, recall: Bool) {
        guard let announcer, let v = config.voice else { return }
        do {
            let phrase = try PhraseBuilder.announcement(v, ticket: t.label, window: window, recall: recall)
            announcer.announce(Announcement(ticket: t, window: window, recall: recall, phrase: phrase))
        } catch {
            logger.warning(
                "no announcement", metadata: ["ticket": .string(t.label), "error": .string(error.description)])
        }
    }

    private func healthLoop() async {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            for desk in printDesks { await desk.reportHealthChange() }
            await reportHealthChanges()
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1)) }
        }
    }

    /// Voice, each answering sign, caller bus and keypad: a change of health is a `device` event, so the log shows
    /// when a sign died or the speaker went away.
    private func reportHealthChanges() async {
        if let h = announcer?.health() { await report("voice", h) }
        for (name, h) in counters.healthByName { await report(name, h) }
        for bus in await signBoard.report().sorted(by: { $0.name < $1.name }) {
            for (address, h) in bus.signs.sorted(by: { $0.key < $1.key }) {
                await report("sign \(bus.name)/\(address)", h)
            }
        }
    }

    /// Logs a device's health when it changes; a device that is fine from the start is not news.
    private func report(_ device: String, _ h: DeviceHealth) async {
        guard lastHealth[device] != h else { return }
        if lastHealth[device] != nil || !h.isOK {
            _ = await hall.submit(.device(name: device, health: h.description), origin: .system)
        }
        lastHealth[device] = h
    }
}
