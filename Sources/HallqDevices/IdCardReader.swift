import Foundation
import HallqCore
import HallqEncoders
import Logging

/// How a reader's bytes travel: a serial port or USB bulk endpoints. Blocking calls, only ever
/// made from the reader's own thread.
protocol IdCardLink: AnyObject {
    func write(_ bytes: [UInt8]) throws(IdCardLinkFailure)
    /// Up to `max` bytes, waiting at most `timeoutMs` for the first; [] on timeout.
    func read(max: Int, timeoutMs: UInt32) throws(IdCardLinkFailure) -> [UInt8]
    /// Whether the device is still there (a pulled adapter can keep an open descriptor).
    var present: Bool { get }
}

struct IdCardLinkFailure: Error, CustomStringConvertible {
    var description: String
}

/// A second-generation ID-card reader (hardware/HARDWARE.md, ID-card readers): one thread per reader
/// opens it, checks the SAM answers, then polls find → select → read no faster than every
/// `pollMs` (vendors advise more than 300 ms), and hands each card read to `onRead`.
///
/// A card left on the reader is reported once: the same number again is ignored until the
/// reader has answered "no card" in between (some readers keep answering find while a card
/// lies there). An unplugged reader is `down` and is opened again when it comes back.
///
/// `onRead` gets the parsed text in memory and must reduce it at once to what hallq keeps (a
/// keyed hash, a birth date, a masked name: docs/PRIVACY.md). Nothing here logs a frame, a
/// name or a number.
public final class IdCardReader: Sendable {
    public let name: String
    let logger: Logger
    let onRead: @Sendable (IdCardText) -> Void
    private let life: DeviceLoop
    let pollMs: UInt32

    /// A reader on a serial port (`path`, best /dev/serial/by-id/…), 8N1 at `baud`.
    public static func serial(
        path: String, baud: Int, logger: Logger, pollMs: UInt32 = 300,
        onRead: @escaping @Sendable (IdCardText) -> Void
    ) -> IdCardReader {
        IdCardReader(name: "idcard \(path)", logger: logger, pollMs: pollMs, onRead: onRead) {
            @Sendable () throws(IdCardLinkFailure) -> any IdCardLink in
            do {
                return try SerialIdCardLink(
                    SerialPort(path: path, settings: .init(baud: baud, dataBits: 8, parity: .none, stopBits: 1)))
            } catch { throw IdCardLinkFailure(description: "\(error)") }
        }
    }

    /// A reader on USB by vendor and product id (vendor-class bulk endpoints, 64-byte chunks).
    public static func usb(
        vendor: UInt16, product: UInt16, name: String, logger: Logger, pollMs: UInt32 = 300,
        onRead: @escaping @Sendable (IdCardText) -> Void
    ) -> IdCardReader {
        IdCardReader(name: name, logger: logger, pollMs: pollMs, onRead: onRead) {
            @Sendable () throws(IdCardLinkFailure) -> any IdCardLink in
            try UsbIdCardLink(vendor: vendor, product: product)
        }
    }

    init(
        name: String, logger: Logger, pollMs: UInt32, onRead: @escaping @Sendable (IdCardText) -> Void,
        open: @escaping @Sendable () throws(IdCardLinkFailure) -> any IdCardLink
    ) {
        self.name = name
        self.logger = logger
        self.pollMs = pollMs
        self.onRead = onRead
        life = DeviceLoop(
            health: HealthCell(
                .starting, logger: logger, up: "ID-card reader up", down: "ID-card reader down",
                metadata: ["device": .string(name)]))
        // Up only once its security module answers (`poll`); a failing reader must not spin.
        life.start(
            thread: "hallq-idcard", upOnOpen: false,
            open: { () throws(DeviceDown) in
                do throws(IdCardLinkFailure) { return try open() } catch {
                    throw DeviceDown(description: error.description)
                }
            },
            serve: { [unowned self] (link: any IdCardLink) throws(DeviceDown) in
                do throws(IdCardLinkFailure) { try self.poll(link) } catch {
                    throw DeviceDown(description: error.description)
                }
            },
            afterOpenFailure: { _ in Thread.sleep(forTimeInterval: 1) },
            afterFailure: 0.3)
    }

    public func stop() { life.stop() }

    public var health: DeviceHealth { life.health.value }

    private var isStopped: Bool { life.isStopped }

    /// Polls an open reader until it fails or hallqd stops.
    private func poll(_ link: any IdCardLink) throws(IdCardLinkFailure) {
        guard let sam = try exchange(link, .samStatus, timeoutMs: 1000), sam.status == .ok else {
            throw IdCardLinkFailure(description: "\(name): the reader's security module (SAM) does not answer")
        }
        life.health.set(.ok)
        /// The last number read, in memory only, until the reader says the card is gone.
        var onReader: String?
        while !isStopped {
            Thread.sleep(forTimeInterval: Double(pollMs) / 1000)
            guard link.present else { throw IdCardLinkFailure(description: "\(name): unplugged") }
            guard let found = try exchange(link, .findCard, timeoutMs: 500) else {
                throw IdCardLinkFailure(description: "\(name): no answer to find")
            }
            guard found.status == .found else {
                if found.status == .noCard { onReader = nil }
                continue
            }
            guard let selected = try exchange(link, .selectCard, timeoutMs: 500), selected.status == .ok else {
                continue
            }
            // A card taken away between select and read answers 41: nothing is reported.
            guard let read = try exchange(link, .readText, timeoutMs: 3000), read.status == .ok,
                let card = try? IdCardText.parse(read)
            else { continue }
            guard card.number != onReader else { continue }
            onReader = card.number
            onRead(card)
        }
    }

    /// Sends a command and waits for one valid reply frame (frames with a wrong checksum are
    /// dropped); nil when none came in time.
    private func exchange(
        _ link: any IdCardLink, _ command: IdCardProtocol.Command, timeoutMs: UInt32
    ) throws(IdCardLinkFailure) -> IdCardReply? {
        try link.write(IdCardProtocol.frame(command))
        var reader = IdCardFrameReader()
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(timeoutMs) * 1_000_000
        while DispatchTime.now().uptimeNanoseconds < deadline {
            let left = UInt32((deadline - DispatchTime.now().uptimeNanoseconds) / 1_000_000)
            let bytes = try link.read(max: 4096, timeoutMs: max(left, 1))
            for item in reader.feed(bytes) {
                if case let .reply(r) = item { return r }
            }
        }
        return nil
    }
}

/// The serial link: libserialport through `SerialPort`.
final class SerialIdCardLink: IdCardLink {
    let port: SerialPort

    init(_ port: SerialPort) {
        self.port = port
        port.discardInput()
    }

    func write(_ bytes: [UInt8]) throws(IdCardLinkFailure) {
        do { try port.write(bytes, timeoutMs: 500) } catch { throw IdCardLinkFailure(description: error.description) }
    }

    func read(max: Int, timeoutMs: UInt32) throws(IdCardLinkFailure) -> [UInt8] {
        do { return try port.read(max: max, timeoutMs: timeoutMs) } catch {
            throw IdCardLinkFailure(description: error.description)
        }
    }

    var present: Bool { port.present }
}
