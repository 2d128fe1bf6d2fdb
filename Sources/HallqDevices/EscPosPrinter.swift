import Foundation
import HallqCore
import HallqEncoders
import Logging

/// The transport half of an ESC/POS printer: bytes out, status bytes back. Every method is
/// called on the printer's serial queue only (blocking calls, never on the cooperative pool).
protocol PrinterTransport: AnyObject {
    var isOpen: Bool { get }
    /// Whether the printer can answer `DLE EOT` (has a way back to us).
    var canReadStatus: Bool { get }
    /// Opens the printer if it is there; true when it is open afterwards.
    func openIfPresent() -> Bool
    /// False once the device is gone (unplugged), even while a descriptor is still open.
    func stillPresent() -> Bool
    func close()
    func write(_ bytes: [UInt8], timeoutMs: UInt32) -> Result<Void, PrintFailure>
    /// Sends DLE EOT n and returns the reply byte, or nil when none came.
    func readStatus(_ n: UInt8) -> UInt8?
}

/// An ESC/POS printer over some transport (libusb, usblp): encodes tickets, keeps the health
/// fresh (status polled every second while idle, and around every ticket), and reconnects when
/// the printer comes back. The health answer is cached, so `take` never waits for the printer.
public final class EscPosPrinter: TicketPrinter, @unchecked Sendable {
    public let kind: String
    let profile: PrinterProfile
    let logger: Logger
    let queue: DispatchQueue
    let transport: any PrinterTransport
    private let lock = NSLock()
    private var cachedHealth: PrinterHealth = .offline  // guarded by lock
    private var busy = false  // on queue
    private var timer: (any DispatchSourceTimer)?

    init(kind: String, transport: any PrinterTransport, queue: DispatchQueue, profile: PrinterProfile, logger: Logger) {
        self.kind = kind
        self.transport = transport
        self.queue = queue
        self.profile = profile
        self.logger = logger
        let t = DispatchSource.makeTimerSource(queue: queue)
        t.schedule(deadline: .now(), repeating: .seconds(1))
        t.setEventHandler { [unowned self] in self.tick() }
        t.resume()
        timer = t
    }

    public func health() async -> PrinterHealth { lock.withLock { cachedHealth } }

    public func print(_ ticket: TicketLayout) async throws(PrintFailure) {
        let bytes = EscPos.ticket(ticket, profile: profile)
        let result: Result<Void, PrintFailure> = await withCheckedContinuation { cont in
            queue.async { cont.resume(returning: self.printNow(bytes)) }
        }
        try result.get()
    }

    // MARK: - On `queue`

    /// Every second: reconnect when closed, notice an unplug, otherwise refresh the status.
    private func tick() {
        if !transport.isOpen {
            if transport.openIfPresent() { refreshHealth() }
        } else if !transport.stillPresent() {
            lost("unplugged")
        } else if !busy {
            refreshHealth()
        }
    }

    /// The printer went away (unplug, power off): close, and say so.
    func lost(_ why: String) {
        transport.close()
        if set(.offline) { logger.notice("printer lost", metadata: ["reason": .string(why)]) }
    }

    /// Try to open at once (hotplug arrival).
    func arrived() {
        if !transport.isOpen, transport.openIfPresent() { refreshHealth() }
    }

    private func printNow(_ bytes: [UInt8]) -> Result<Void, PrintFailure> {
        busy = true
        defer { busy = false }
        if !transport.isOpen { _ = transport.openIfPresent() }
        guard transport.isOpen else { return .failure(PrintFailure("offline: no printer found")) }
        let before = refreshHealth()
        guard before.canPrint else { return .failure(PrintFailure(before.rawValue)) }
        if case let .failure(f) = transport.write(bytes, timeoutMs: 10_000) {
            if !transport.isOpen { _ = set(.offline) }
            return .failure(f)
        }
        // Paper can run out in the middle of a ticket: ask again once it is out.
        let after = refreshHealth()
        return [.paperOut, .offline, .coverOpen].contains(after)
            ? .failure(PrintFailure("\(after.rawValue) while printing")) : .success(())
    }

    @discardableResult
    private func refreshHealth() -> PrinterHealth {
        let h: PrinterHealth
        if !transport.isOpen {
            h = .offline
        } else if !transport.canReadStatus {
            h = .online
        }  // OUT-only printers cannot tell
        else {
            h = PrinterHealth.fromStatus(transport.readStatus)
        }
        _ = set(h)  // DeviceHub logs changes (for every printer kind) and records them as events
        return h
    }

    /// Stores the health; true when it changed.
    private func set(_ h: PrinterHealth) -> Bool {
        lock.withLock {
            let changed = cachedHealth != h
            cachedHealth = h
            return changed
        }
    }
}
