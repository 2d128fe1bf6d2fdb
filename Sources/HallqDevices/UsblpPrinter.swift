import Foundation
import HallqCore
import HallqEncoders
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// An ESC/POS printer through the kernel's usblp driver (`/dev/usb/lpN`), for setups that
/// prefer the kernel driver: write() sends, read() returns status bytes on bidirectional
/// printers, one opener at a time. Reconnects on the printer's one-second tick.
public enum UsblpPrinter {
    public static func make(path: String, profile: PrinterProfile, logger: Logger) -> any TicketPrinter {
        let queue = DispatchQueue(label: "hallq.printer.usblp")
        return EscPosPrinter(
            kind: "usblp", transport: UsblpTransport(path: path, logger: logger), queue: queue,
            profile: profile, logger: logger)
    }
}

final class UsblpTransport: PrinterTransport {
    let path: String
    let logger: Logger
    private var fd: Int32 = -1

    init(path: String, logger: Logger) {
        self.path = path
        self.logger = logger
    }

    var isOpen: Bool { fd >= 0 }
    var canReadStatus: Bool { true }
    func stillPresent() -> Bool { access(path, F_OK) == 0 }

    func openIfPresent() -> Bool {
        fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)
        if fd >= 0 { logger.notice("printer connected", metadata: ["path": .string(path)]) }
        return fd >= 0
    }

    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    func write(_ bytes: [UInt8], timeoutMs: UInt32) -> Result<Void, PrintFailure> {
        guard fd >= 0 else { return .failure(PrintFailure("offline")) }
        let done = DescriptorIO.writeAll(fd, bytes, timeoutMs: timeoutMs) { Glibc.write($0, $1.baseAddress, $1.count) }
        guard case let .failure(stop) = done else { return .success(()) }
        close()
        let e = stop.errno
        let why = e == ENODEV || e == EIO || e == ENXIO ? "unplugged" : String(cString: strerror(e))
        return .failure(PrintFailure("\(why) after \(stop.sent) of \(bytes.count) bytes"))
    }

    func readStatus(_ n: UInt8) -> UInt8? {
        guard fd >= 0 else { return nil }
        return DescriptorIO.status(
            fd, n, send: { if case .success = write($0, timeoutMs: 1000) { true } else { false } },
            get: { read($0, $1.baseAddress, $1.count) })
    }
}
