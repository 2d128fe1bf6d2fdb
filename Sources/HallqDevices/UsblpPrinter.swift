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

    private func wait(_ events: Int16, ms: Int32) -> Bool {
        var p = pollfd(fd: fd, events: events, revents: 0)
        return poll(&p, 1, ms) > 0 && p.revents & events != 0
    }

    func write(_ bytes: [UInt8], timeoutMs: UInt32) -> Result<Void, PrintFailure> {
        guard fd >= 0 else { return .failure(PrintFailure("offline")) }
        var sent = 0
        let deadline = Date().addingTimeInterval(Double(timeoutMs) / 1000)
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n > 0 {
                sent += n
                continue
            }
            let e = errno
            if n < 0 && (e == EAGAIN || e == EINTR), Date() < deadline {
                _ = wait(Int16(POLLOUT), ms: 100)
                continue
            }
            close()
            let why = e == ENODEV || e == EIO || e == ENXIO ? "unplugged" : String(cString: strerror(e))
            return .failure(PrintFailure("\(why) after \(sent) of \(bytes.count) bytes"))
        }
        return .success(())
    }

    func readStatus(_ n: UInt8) -> UInt8? {
        guard fd >= 0 else { return nil }
        var stale = [UInt8](repeating: 0, count: 64)
        while stale.withUnsafeMutableBytes({ read(fd, $0.baseAddress, $0.count) }) > 0 {}  // drop late replies
        guard case .success = write(EscPos.status(n), timeoutMs: 1000), wait(Int16(POLLIN), ms: 500) else { return nil }
        var b: [UInt8] = [0]
        guard b.withUnsafeMutableBytes({ read(fd, $0.baseAddress, 1) }) == 1, PrinterHealth.validStatus(b[0]) else {
            return nil
        }
        return b[0]
    }
}
