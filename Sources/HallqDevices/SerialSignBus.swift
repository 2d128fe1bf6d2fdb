import Foundation
import HallqCore
import HallqEncoders
import Logging

/// One RS-485 bus of addressed signs behind a USB serial adapter.
///
/// One writer thread per bus (the bus is half duplex: one talker), frames one after another with
/// a gap. Only each sign's *latest* content is kept, so a burst of updates for one sign sends
/// one frame, not a backlog of stale ones. Fresh calls (flashing) go before idle texts, and every
/// sign is re-sent periodically because signs forget their text on power loss. A vanished or
/// failing adapter is reopened with backoff, and then every sign is brought back to its current
/// content. Nothing here ever blocks the queue: `show` only records the wish and wakes the thread.
///
/// Signs that answer each frame (Onbon with replies on) are waited for: the frame is drained out
/// of the adapter, the answer read within `replyTimeout`, and only then does the next sign get a
/// frame, so no frame ever collides with a reply on the half-duplex line. A sign that NACKs or
/// stays silent is marked degraded (the bus itself stays up) and keeps getting its updates.
public final class SerialSignBus: SignBus, @unchecked Sendable {
    public let name: String
    let path: String
    let settings: SerialPort.Settings
    let encoder: any SignEncoder
    let geometry: [Int: SignGeometry]
    let gap: TimeInterval
    let replyTimeoutMs: UInt32
    let logger: Logger
    private let healthCell: HealthCell

    // Guarded by `cond`. The scheduling rules live in `SignSchedule` (a value, unit-tested with a
    // made-up clock); this thread only locks, asks it, writes, and tells it what happened.
    private let cond = NSCondition()
    private var schedule: SignSchedule
    private var signHealthByAddress: [Int: DeviceHealth] = [:]
    private var stopped = false

    public init(config: BusConfig, encoder: any SignEncoder, geometry: [Int: SignGeometry], logger: Logger) {
        name = config.name
        path = config.path
        settings = .init(
            baud: config.baud, dataBits: config.dataBits,
            parity: config.parity, stopBits: config.stopBits)
        self.encoder = encoder
        self.geometry = geometry
        gap = Double(config.gapMs) / 1000
        schedule = SignSchedule(refresh: Double(config.refreshSeconds))
        replyTimeoutMs = UInt32(config.replyTimeoutMs)
        self.logger = logger
        healthCell = HealthCell(
            .starting, logger: logger, up: "sign bus up", down: "sign bus down",
            metadata: ["bus": .string(config.name), "path": .string(config.path)])
        let t = Thread { [unowned self] in self.writerLoop() }
        t.name = "hallq-bus-\(config.name)"
        t.start()
    }

    public func stop() {
        cond.lock()
        stopped = true
        cond.broadcast()
        cond.unlock()
    }

    public func show(_ content: SignContent, address: Int) async { record(content, address: address) }

    public func health() async -> DeviceHealth { currentHealth() }

    public func signHealth() async -> [Int: DeviceHealth] { currentSignHealth() }

    func currentSignHealth() -> [Int: DeviceHealth] {
        cond.lock()
        defer { cond.unlock() }
        return signHealthByAddress
    }

    /// What `show` does; synchronous because the lock must not be held across a suspension.
    func record(_ content: SignContent, address: Int) {
        cond.lock()
        defer { cond.unlock() }
        if schedule.want(content, address: address) { cond.signal() }
    }

    func currentHealth() -> DeviceHealth { healthCell.value }

    private func setHealth(_ h: DeviceHealth) { healthCell.set(h) }

    /// Seconds on the monotonic clock: the schedule's time, which a wall-clock step cannot move.
    private static func now() -> Double { ProcessInfo.processInfo.systemUptime }

    /// The next sign to write and its content, or nil after waiting until `deadline`.
    private func next(until deadline: Double) -> (Int, SignContent)? {
        cond.lock()
        defer { cond.unlock() }
        while !stopped {
            let now = Self.now()
            switch schedule.next(now: now) {
            case let .send(address, content): return (address, content)
            case let .wait(due):
                if now >= deadline { return nil }
                _ = cond.wait(until: Date().addingTimeInterval(min(deadline, due ?? deadline) - now))
            }
        }
        return nil
    }

    private func setSignHealth(_ address: Int, _ h: DeviceHealth) {
        cond.lock()
        let before = signHealthByAddress[address]
        signHealthByAddress[address] = h
        cond.unlock()
        guard before != h else { return }
        let meta: Logger.Metadata = [
            "bus": .string(name), "address": .stringConvertible(address), "health": .string(h.description),
        ]
        if h.isOK {
            if before != nil { logger.notice("sign answers again", metadata: meta) }
        } else {
            logger.warning("sign degraded", metadata: meta)
        }
    }

    /// Reads the sign's answer to the frame just drained out: its verdict, or "no reply" once
    /// the timeout has passed. Only read errors of the port itself throw.
    private func awaitReply(_ port: SerialPort) throws(SerialPort.Failure) -> DeviceHealth {
        var got: [UInt8] = []
        let deadline = Date().addingTimeInterval(Double(replyTimeoutMs) / 1000)
        while true {
            let left = deadline.timeIntervalSinceNow
            if left <= 0 { return .degraded("no reply within \(replyTimeoutMs) ms") }
            got += try port.read(max: 256, timeoutMs: UInt32(max(1, left * 1000)))
            switch encoder.reply(in: got) {
            case .ack?: return .ok
            case let .refused(why)?: return .degraded(why)
            case nil: if got.count > 4096 { return .degraded("unreadable reply") }
            }
        }
    }

    private func requeue(_ address: Int) {
        cond.lock()
        schedule.failed(address: address)
        cond.unlock()
    }

    private func markAllDirty() {
        cond.lock()
        schedule.resendAll()
        cond.unlock()
    }

    private var isStopped: Bool {
        cond.lock()
        defer { cond.unlock() }
        return stopped
    }

    private func pause(_ seconds: TimeInterval) {
        cond.lock()
        if !stopped { _ = cond.wait(until: Date().addingTimeInterval(seconds)) }
        cond.unlock()
    }

    private func writerLoop() {
        var port: SerialPort?
        var backoff: TimeInterval = 0.25
        while !isStopped {
            if port == nil {
                do {
                    port = try SerialPort(path: path, settings: settings)
                    backoff = 0.25
                    setHealth(.ok)
                    markAllDirty()  // the signs may have lost power with the adapter
                } catch {
                    setHealth(.down(error.description))
                    pause(backoff)
                    backoff = min(backoff * 2, 4)
                    continue
                }
            }
            guard let open = port else { continue }
            // Check for a vanished adapter at least every half second, even while idle.
            guard let (address, content) = next(until: Self.now() + 0.5) else {
                if !open.present {
                    port = nil
                    setHealth(.down("\(path) vanished"))
                }
                continue
            }
            guard open.present else {
                requeue(address)
                port = nil
                setHealth(.down("\(path) vanished"))
                continue
            }
            let frames = encoder.frames(
                for: content, address: address, geometry: geometry[address] ?? SignGeometry(width: 128, height: 16))
            do {
                for f in frames {
                    // Generous timeout: twice the line time plus slack; a dead bus fails fast enough.
                    let lineMs = Double(f.count * 10 * 1000) / Double(settings.baud)
                    if encoder.expectsReply { open.discardInput() }
                    try open.write(f, timeoutMs: UInt32(lineMs * 2 + 500))
                    try open.drain()
                    if encoder.expectsReply { setSignHealth(address, try awaitReply(open)) }
                    if gap > 0 { Thread.sleep(forTimeInterval: gap) }
                }
                cond.lock()
                schedule.sent(address: address, at: Self.now())
                cond.unlock()
            } catch {
                requeue(address)
                port = nil
                setHealth(.down(error.description))
            }
        }
    }
}
