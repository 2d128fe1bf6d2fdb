import Foundation
import HallqApp
import HallqCore
import HallqDevices
import HallqEncoders
import HallqProtocol
import Logging

/// One ticket printer (a hall has one per kiosk, `[[printer]]`): says when a `take` at its kiosk
/// must be refused, prints each ticket issued there in the order issued (a take never waits for
/// paper), records every print's verdict in the log, and reprints on request. A slow or dead
/// printer holds up nothing but its own queue of jobs; another kiosk's printer goes on.
actor PrintDesk {
    let hall: Hall
    let printer: (any TicketPrinter)?
    let logger: Logger
    /// `[printer]`'s name ("printer" for the single `[printer]`).
    let name: String
    /// How its health changes are named in the log and on `watch`: "printer", or "printer k1".
    var deviceName: String { name == "printer" ? "printer" : "printer \(name)" }
    private var config: HallConfig
    private var lastHealth: PrinterHealth?
    private let jobs: AsyncStream<Job>
    private let jobSink: AsyncStream<Job>.Continuation

    struct Job: Sendable {
        var ticketId: Int64
        var layout: TicketLayout
    }

    init(hall: Hall, config: HallConfig, printer p: PrinterConfig, stateDir: URL, logger: Logger) throws {
        self.hall = hall
        self.config = config
        self.name = p.name
        var logger = logger
        if p.name != "printer" { logger[metadataKey: "printer"] = .string(p.name) }
        self.logger = logger
        printer = try Self.makePrinter(p, stateDir: stateDir, logger: logger)
        (jobs, jobSink) = AsyncStream.makeStream(bufferingPolicy: .unbounded)
    }

    /// The virtual printer's directory: `<state>/printer` for the single `[printer]`,
    /// `<state>/printers/<name>` for each `[[printer]]`.
    static func virtualDirectory(_ name: String, stateDir: URL) -> URL {
        name == "printer"
            ? stateDir.appendingPathComponent("printer")
            : stateDir.appendingPathComponent("printers").appendingPathComponent(name)
    }

    /// The printer driver the config names (nil for `none`).
    static func makePrinter(_ p: PrinterConfig, stateDir: URL, logger: Logger) throws -> (any TicketPrinter)? {
        let profile = PrinterProfile.named(p.profile) ?? .mm80
        switch p.kind {
        case .virtual:
            return try VirtualPrinter(directory: virtualDirectory(p.name, stateDir: stateDir), logger: logger)
        case .none: return nil
        case .usb:
            return try UsbPrinter.make(vendor: p.vendor, product: p.product, profile: profile, logger: logger)
        case .usblp:
            return UsblpPrinter.make(path: p.path ?? "/dev/usb/lp0", profile: profile, logger: logger)
        case .tcp:
            return TcpPrinter.make(address: p.address ?? "", status: p.status, profile: profile, logger: logger)
        }
    }

    /// This printer's own settings (its QR template and footer) in the current config.
    private var settings: PrinterConfig { config.printer(named: name) ?? config.printer }

    func reconfigure(_ c: HallConfig) { config = c }

    /// Why `take` must be refused right now, or nil. Asked before issuing, so a kiosk with no
    /// paper issues no number that could never be printed.
    func refusal() async -> HallError? {
        guard let printer, !config.queue.issueWithoutPrinter else { return nil }
        return await printer.health().refusal
    }

    /// A ticket was issued: its paper goes into the print queue.
    func issued(_ t: Ticket, ahead: Int, eta: WaitRange, calendar: HallCalendar) {
        guard printer != nil else { return }
        jobSink.yield(
            Job(
                ticketId: t.id,
                layout: TicketLayout.make(
                    ticket: t, ahead: ahead, eta: eta, config: config, calendar: calendar,
                    statusURL: hall.statusURL(t, config: config), printer: settings)))
    }

    /// Prints jobs until `finish`; every job handed over before is printed and recorded.
    func run() async {
        for await job in jobs { await printNow(job) }
    }

    /// No more jobs: `run` returns once those handed over are printed. Callable from a shutdown
    /// handler, which cannot wait.
    nonisolated func finish() { jobSink.finish() }

    @discardableResult
    private func printNow(_ job: Job) async -> Result<Void, PrintFailure> {
        guard let printer else { return .failure(PrintFailure("no printer")) }
        let result: Result<Void, PrintFailure>
        do throws(PrintFailure) {
            try await printer.print(job.layout)
            result = .success(())
        } catch {
            logger.warning(
                "ticket did not print",
                metadata: ["ticket": .string(job.layout.label), "reason": .string(error.reason)])
            result = .failure(error)
        }
        let cmd: Command =
            switch result {
            case .success: .printed(ticketId: job.ticketId, status: .printed, error: nil)
            case let .failure(f): .printed(ticketId: job.ticketId, status: .failed, error: f.reason)
            }
        if case let .failure(e) = await hall.submit(cmd, origin: .system) {
            logger.error(
                "print status not saved", metadata: ["ticket": .string(job.layout.label), "error": .string("\(e)")])
        }
        return result
    }

    /// Prints a stored ticket again (admin `reprint`). Waits for the printer's answer.
    func reprint(_ t: Ticket) async -> Result<Void, HallError> {
        guard printer != nil else { return .failure(HallError(.printerOffline, "no printer is configured")) }
        let engine = hall.snapshotEngine()
        let ahead = t.state == .waiting ? engine.ahead(of: t) : 0
        let layout = TicketLayout.make(
            ticket: t, ahead: ahead, eta: t.state == .waiting ? engine.wait(for: t) : .zero,
            config: config, calendar: engine.calendar, statusURL: hall.statusURL(t, config: config),
            printer: settings)
        switch await printNow(Job(ticketId: t.id, layout: layout)) {
        case .success: return .success(())
        case let .failure(f): return .failure(HallError(.printerOffline, "reprint failed: \(f.reason)"))
        }
    }

    /// A change of the printer's health goes into the log and onto `watch`, so dashboards see
    /// "暂停取号" coming. A printer that is fine from the start is not news.
    func reportHealthChange() async {
        guard let printer else { return }
        let h = await printer.health()
        guard h != lastHealth else { return }
        if lastHealth != nil || h != .online {
            logger.notice("printer health changed", metadata: ["health": .string(h.rawValue)])
            _ = await hall.submit(.device(name: deviceName, health: h.rawValue), origin: .system)
        }
        lastHealth = h
    }

    func report() async -> DeviceReport.Printer {
        guard let printer else { return .init(name: name, kind: settings.kind.rawValue, health: "none") }
        return .init(name: name, kind: printer.kind, health: await printer.health().rawValue)
    }
}
