import Foundation
import HallqCore
import HallqEncoders
import Logging
import Synchronization

/// One RS-485 line of window callers behind a USB serial adapter (hardware/HARDWARE.md, callers).
///
/// One thread per line owns the port: it reads the callers' frames, acknowledges each good frame
/// from a configured address at once (as the protocol expects), hands what it means to `onInput`,
/// and between reads writes what the host has for the callers: each caller's latest display
/// (only the latest is kept; all are sent again after a reconnect and every `refresh_s`, since a
/// caller forgets its digits on power loss) and beeps. Garbage, bad checksums and unknown
/// addresses are logged and dropped; a vanished adapter is reopened with backoff. Nothing here
/// waits for the queue: `onInput` only hands the press on.
public final class CallerBus: Sendable {
    public let name: String
    let path: String
    let settings: SerialPort.Settings
    let addresses: Set<UInt8>
    let refresh: TimeInterval
    let gap: TimeInterval
    let logger: Logger
    let onInput: @Sendable (_ address: UInt8, _ input: CallerInput) -> Void
    private let life: DeviceLoop

    /// What the host has for the callers, and what they said, shared with the line's thread.
    private struct State {
        var displays: [UInt8: CallerFrame] = [:]
        var dirty: Set<UInt8> = []
        var outbox: [CallerFrame] = []
        var contact: [UInt8: Date] = [:]
        var unknownLogged: Set<UInt8> = []
    }
    private let state = Mutex(State())

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
        life = DeviceLoop(
            health: HealthCell(
                .starting, logger: logger, up: "caller bus up", down: "caller bus down",
                metadata: ["bus": .string(config.name), "path": .string(config.path)]))
        life.start(
            thread: "hallq-callers-\(config.name)",
            open: { [unowned self] () throws(DeviceDown) in
                do throws(SerialPort.Failure) {
                    let port = try SerialPort(path: path, settings: settings)
                    resendAll()  // the callers may have lost power with the adapter
                    return port
                } catch { throw DeviceDown(description: error.description) }
            },
            serve: { [unowned self] (port: SerialPort) throws(DeviceDown) in
                do throws(SerialPort.Failure) { try serve(port) } catch {
                    throw DeviceDown(description: error.description)
                }
            },
            afterOpenFailure: DeviceLoop.doubling(first: 0.25, limit: 4), afterFailure: 0)
    }

    public func stop() { life.stop() }

    public var health: DeviceHealth { life.health.value }

    /// When each caller last sent a good frame.
    public var lastContact: [Int: Date] {
        state.withLock { Dictionary(uniqueKeysWithValues: $0.contact.map { (Int($0), $1) }) }
    }

    /// What the caller at `address` should show; sent when it changed.
    public func show(_ display: CallerFrame) {
        state.withLock {
            guard $0.displays[display.address] != display else { return }
            $0.displays[display.address] = display
            $0.dirty.insert(display.address)
        }
    }

    /// Beeps the caller `times` times (twice: "no").
    public func beep(_ address: UInt8, times: Int = 1) {
        state.withLock { $0.outbox += Array(repeating: CallerProtocol.beep(address: address), count: times) }
    }

    /// Frames due now: beeps first, then changed displays.
    private func due() -> [CallerFrame] {
        state.withLock { s in
            var out = s.outbox
            s.outbox = []
            for a in s.dirty.sorted() { if let d = s.displays[a] { out.append(d) } }
            s.dirty = []
            return out
        }
    }

    private func resendAll() { state.withLock { $0.dirty = Set($0.displays.keys) } }

    /// Serves an open line until it fails or hallqd stops: reads and answers the callers'
    /// frames, writes what is due, resends everything every `refresh`, and notices a vanished
    /// adapter within half a second.
    private func serve(_ port: SerialPort) throws(SerialPort.Failure) {
        var reader = CallerFrameReader()
        var lastRefresh = Date()
        var lastPresenceCheck = Date()
        // Dropped bytes are logged at most every 10 s, with what was dropped since: a line full
        // of noise must not flood the journal.
        var dropped: (count: Int, samples: [String]) = (0, [])
        var lastDropLog = Date.distantPast
        while !life.isStopped {
            for item in reader.feed(try port.read(max: 256, timeoutMs: 50)) {
                switch item {
                case let .frame(f): try handle(f, on: port)
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
            for f in due() { try write(f, on: port) }
            if Date().timeIntervalSince(lastPresenceCheck) >= 0.5 {
                lastPresenceCheck = Date()
                if !port.present { throw SerialPort.Failure(description: "\(path) vanished") }
            }
        }
    }

    private func handle(_ f: CallerFrame, on port: SerialPort) throws(SerialPort.Failure) {
        guard addresses.contains(f.address) else {
            let first = state.withLock { $0.unknownLogged.insert(f.address).inserted }
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
        state.withLock { $0.contact[f.address] = Date() }
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
