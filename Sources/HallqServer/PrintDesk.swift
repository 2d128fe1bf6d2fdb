import Foundation
import HallqCore
import HallqDevices
import HallqEncoders
import HallqProtocol
import Logging

/// The kiosk's printer: says when `take` must be refused, prints each issued ticket in the order
/// issued (a take never waits for paper), records every print's verdict in the log, and reprints
/// on request. A slow or dead printer holds up nothing but its own queue of jobs.
actor PrintDesk {
    let hall: Hall
    let printer: (any TicketPrinter)?
    let logger: Logger
    private var config: HallConfig
    private var lastHealth: PrinterHealth?
    private let jobs: AsyncStream<Job>
    private let jobSink: AsyncStream<Job>.Continuation

    struct Job: Sendable {
        var ticketId: Int64
        var layout: TicketLayout
    }

    init(hall: Hall, config: HallConfig, stateDir: URL, logger: Logger) throws {
        self.hall = hall
        self.config = config
        self.logger = logger
        printer = try Self.makePrinter(config, stateDir: stateDir, logger: logger)
        (jobs, jobSink) = AsyncStream.makeStream(bufferingPolicy: .unbounded)
    }

    /// The printer driver the config names (nil for `none`).
    static func makePrinter(_ config: HallConfig, stateDir: URL, logger: Logger) throws -> (any TicketPrinter)? {
        let profile = PrinterProfile.named(config.printer.profile) ?? .mm80
        switch config.printer.kind {
        case .virtual: return try VirtualPrinter(directory: stateDir.appendingPathComponent("printer"), logger: logger)
        case .none: return nil
        case .usb:
            return try UsbPrinter.make(
                vendor: config.printer.vendor, product: config.printer.product, profile: profile,
                logger: logger)
        case .usblp:
            return UsblpPrinter.make(path: config.printer.path ?? "/dev/usb/lp0", profile: profile, logger: logger)
        }
    }

    func reconfigure(_ c: HallConfig) { config = c }

    /// Why `take` must be refused right now, or nil. Asked before issuing, so a kiosk with no
    /// paper issues no number that could never be printed.
    func refusal() async -> HallError? {
        guard let printer, !config.queue.issueWithoutPrinter else { return nil }
        return await printer.health().refusal
    }

    /// A ticket was issued: its paper goes into the print queue.
    func issued(_ t: Ticket, ahead: Int, etaMinutes: Int, calendar: HallCalendar) {
        guard printer != nil else { return }
        jobSink.yield(
            Job(
                ticketId: t.id,
                layout: TicketLayout.make(
                    ticket: t, ahead: ahead, etaMinutes: etaMinutes, config: config, calendar: calendar,
                    statusURL: hall.statusURL(t, config: config))))
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
        let engine = await hall.read { $0 }
        let ahead = t.state == .waiting ? engine.ahead(of: t) : 0
        let layout = TicketLayout.make(
            ticket: t, ahead: ahead, etaMinutes: engine.etaMinutes(service: t.service, ahead: ahead),
            config: config, calendar: engine.calendar, statusURL: hall.statusURL(t, config: config))
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
            _ = await hall.submit(.device(name: "printer", health: h.rawValue), origin: .system)
        }
        lastHealth = h
    }

    func report() async -> DeviceReport.Printer {
        guard let printer else { return .init(kind: config.printer.kind.rawValue, health: "none") }
        return .init(kind: printer.kind, health: await printer.health().rawValue)
    }
}
