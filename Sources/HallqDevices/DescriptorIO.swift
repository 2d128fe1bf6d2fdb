import Foundation
import HallqCore
import HallqEncoders

#if canImport(Glibc)
import Glibc
#endif

/// What the usblp and the network printer transports share: a descriptor opened non-blocking,
/// a whole ticket written to it within a deadline, and a `DLE EOT` status byte read back. They
/// differ only in the calls (write/read on a device node, send/recv on a socket) and in how they
/// name a failure.
enum DescriptorIO {
    /// Whether `events` came on `fd` within `ms`.
    static func wait(_ fd: Int32, _ events: Int16, ms: Int32) -> Bool {
        var p = pollfd(fd: fd, events: events, revents: 0)
        return poll(&p, 1, ms) > 0 && p.revents & events != 0
    }

    /// Why a write stopped: the bytes sent, what the last call returned and its errno.
    struct Stopped: Error {
        var sent: Int
        var result: Int
        var errno: Int32
    }

    /// Writes all of `bytes` with `put` (one write(2) or send(2)), waiting for room while the
    /// descriptor is full, until `timeoutMs` has passed.
    static func writeAll(
        _ fd: Int32, _ bytes: [UInt8], timeoutMs: UInt32, put: (Int32, UnsafeRawBufferPointer) -> Int
    ) -> Result<Void, Stopped> {
        var sent = 0
        let deadline = Date().addingTimeInterval(Double(timeoutMs) / 1000)
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { put(fd, $0) }
            if n > 0 {
                sent += n
                continue
            }
            let e = errno
            if n < 0 && (e == EAGAIN || e == EINTR), Date() < deadline {
                _ = wait(fd, Int16(POLLOUT), ms: 100)
                continue
            }
            return .failure(Stopped(sent: sent, result: n, errno: e))
        }
        return .success(())
    }

    /// Drops late replies, sends `DLE EOT n` with `send`, and reads one valid status byte with
    /// `get` (one read(2) or recv(2)) within half a second; nil when none came.
    static func status(
        _ fd: Int32, _ n: UInt8, send: ([UInt8]) -> Bool, get: (Int32, UnsafeMutableRawBufferPointer) -> Int
    ) -> UInt8? {
        var stale = [UInt8](repeating: 0, count: 64)
        while stale.withUnsafeMutableBytes({ get(fd, $0) }) > 0 {}
        guard send(EscPos.status(n)), wait(fd, Int16(POLLIN), ms: 500) else { return nil }
        var b: [UInt8] = [0]
        guard b.withUnsafeMutableBytes({ get(fd, $0) }) == 1, PrinterHealth.validStatus(b[0]) else { return nil }
        return b[0]
    }
}
