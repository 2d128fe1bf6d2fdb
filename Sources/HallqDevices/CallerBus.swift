import Foundation
import HallqCore
import HallqEncoders
import Logging

/// One RS-485 line of window callers behind a USB serial adapter (hardware/HARDWARE.md, callers).
///
/// One thread per line owns the port: it reads the callers' frames, acknowledges each good frame
/// from a configured address at once (as the protocol expects), hands what it means to `onInput`,
/// and between reads writes what the host has for the callers: each caller's latest display
/// (only the latest is kept; all are sent again after a reconnect and every `refresh_s`, since a
/// caller forgets its digits on power loss) and beeps. Garbage, bad checksums and unknown
/// addresses are logged and dropped; a vanished adapter is reopened with backoff. Nothing here
/// waits for the queue: `onInput` only hands the press on.
public final class CallerBus: @unchecked Sendable {
    public let name: String
    let path: String
    let settings: SerialPort.Settings
    let addresses: Set<UInt8>
    let refresh: TimeInterval
    let gap: TimeInterval
    let logger: Logger
    let onInput: @Sendable (_ address: UInt8, _ input: CallerInput) -> Void
    private let healthCell: HealthCell

    // Guarded by `lock`.
    private let lock = NSLock()
    private var displays: [UInt8: CallerFrame] = [:]
    private var dirty: Set<UInt8> = []
    private var outbox: [CallerFrame] = []
    private var contact: [UInt8: Date] = [:]
    private var unknownLogged: Set<UInt8> = []
    private var stopped = false

    public init(
        config: BusConfig, addresses: [Int], logger: Logger,
        onInput: @escaping @Sendable (_ address: UInt8, _ input: CallerInput) -> Void
    ) {
        name = config.name
        path = config.path
        settings = .init(baud: config.baud, dataBits: config.dataBits, parity: config.parity, stopBits: config.stopBits)
        self.addresses = Set(addresses.map { UInt8($0) })
        refresh = Double(config.refreshSeconds)
        gap = Double(config.gapMs) / 1000
        self.logger = logger
        self.onInput = onInput
        healthCell = HealthCell(
            .starting, logger: logger, up: "caller bus up", down: "caller bus down",
            metadata: ["bus": .string(config.name), "path": .string(config.path)])
        let t = Thread { [unowned self] in self.loop() }
        t.name = "hallq-callers-\(config.name)"
        t.start()
    }

    public func stop() { locked { stopped = true } }

    public var health: DeviceHealth { healthCell.value }

    /// When each caller last sent a good frame.
    public var lastContact: [Int: Date] { locked { Dictionary(uniqueKeysWithValues: contact.map { (Int($0), $1) }) } }

    /// What the caller at `address` should show; sent when it changed.
    public func show(_ display: CallerFrame) {
        locked {
            guard displays[display.address] != display else { return }
            displays[display.address] = display
            dirty.insert(display.address)
        }
    }

    /// Beeps the caller `times` times (twice: "no").
    public func beep(_ address: UInt8, times: Int = 1) {
        locked { outbox += Array(repeating: CallerProtocol.beep(address: address), count: times) }
    }

    private func locked<T>(_ body: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }

    private var isStopped: Bool { locked { stopped } }

    /// Frames due now: beeps first, then changed displays.
    private func due() -> [CallerFrame] {
        locked {
            var out = outbox
            outbox = []
            for a in dirty.sorted() { if let d = displays[a] { out.append(d) } }
            dirty = []
            return out
        }
    }

    private func resendAll() { locked { dirty = Set(displays.keys) } }

    private func loop() {
        var port: SerialPort?
        var reader = CallerFrameReader()
        var backoff: TimeInterval = 0.25
        var lastRefresh = Date()
        var lastPresenceCheck = Date()
        // Dropped bytes are logged at most every 10 s, with what was dropped since: a line full
        // of noise must not flood the journal.
        var dropped: (count: Int, samples: [String]) = (0, [])
        var lastDropLog = Date.distantPast
        while !isStopped {
            guard let open = port else {
                do {
                    port = try SerialPort(path: path, settings: settings)
                    backoff = 0.25
                    reader = CallerFrameReader()
                    healthCell.set(.ok)
                    resendAll()  // the callers may have lost power with the adapter
                } catch {
                    healthCell.set(.down(error.description))
                    Thread.sleep(forTimeInterval: backoff)
                    backoff = min(backoff * 2, 4)
                }
                continue
            }
            do throws(SerialPort.Failure) {
                for item in reader.feed(try open.read(max: 256, timeoutMs: 50)) {
                    switch item {
                    case let .frame(f): try handle(f, on: open)
                    case let .rejected(why):
                        dropped.count += 1
                        if dropped.samples.count < 5 { dropped.samples.append(why) }
                    }
                }
                if dropped.count > 0 && Date().timeIntervalSince(lastDropLog) >= 10 {
                    logger.notice(
                        "caller line: bytes dropped",
                        metadata: [
                            "bus": .string(name), "why": .string(dropped.samples.joined(separator: "; ")),
                            "times": .stringConvertible(dropped.count),
                        ])
                    dropped = (0, [])
                    lastDropLog = Date()
                }
                if Date().timeIntervalSince(lastRefresh) >= refresh {
                    lastRefresh = Date()
                    resendAll()
                }
                for f in due() { try write(f, on: open) }
                if Date().timeIntervalSince(lastPresenceCheck) >= 0.5 {
                    lastPresenceCheck = Date()
                    if !open.present { throw SerialPort.Failure(description: "\(path) vanished") }
                }
            } catch {
                port = nil
                healthCell.set(.down(error.description))
            }
        }
    }

    private func handle(_ f: CallerFrame, on port: SerialPort) throws(SerialPort.Failure) {
        guard addresses.contains(f.address) else {
            let first = locked { unknownLogged.insert(f.address).inserted }
            if first {
                logger.warning(
                    "caller at an address not configured; ignored",
                    metadata: ["bus": .string(name), "address": .stringConvertible(f.address)])
            }
            return
        }
        guard let input = CallerProtocol.input(f) else {
            logger.notice(
                "caller frame no caller sends; ignored",
                metadata: ["bus": .string(name), "address": .stringConvertible(f.address)])
            return
        }
        try write(CallerProtocol.acknowledgement(of: f), on: port)
        locked { contact[f.address] = Date() }
        onInput(f.address, input)
    }

    private func write(_ f: CallerFrame, on port: SerialPort) throws(SerialPort.Failure) {
        let bytes = f.bytes
        let lineMs = Double(bytes.count * 10 * 1000) / Double(settings.baud)
        try port.write(bytes, timeoutMs: UInt32(lineMs * 2 + 500))
        try port.drain()
        if gap > 0 { Thread.sleep(forTimeInterval: gap) }
    }
}
