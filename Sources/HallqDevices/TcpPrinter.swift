import Foundation
import HallqCore
import HallqEncoders
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// An ESC/POS printer on the network: the raw TCP port ("port 9100", JetDirect/AppSocket) that
/// networked thermal printers take tickets on. The same bytes as over USB go down the socket; the
/// status comes back on it as `DLE EOT n` replies, where the printer answers them (`status =
/// false` for one that does not: then reachable means online). One connection, kept open, and
/// opened again on the printer's one-second tick when it drops (power cut, cable, printer
/// restart); connecting and every wait are bounded, so a dead address never blocks anything but
/// this printer's own queue.
public enum TcpPrinter {
    public static func make(address: String, status: Bool, profile: PrinterProfile, logger: Logger) -> any TicketPrinter
    {
        let queue = DispatchQueue(label: "hallq.printer.tcp")
        return EscPosPrinter(
            kind: "tcp", transport: TcpTransport(address: address, status: status, logger: logger), queue: queue,
            profile: profile, logger: logger)
    }

    /// "host:port" (a name or an IPv4 address, then a port 1–65535); nil when it is not one.
    public static func endpoint(_ address: String) -> (host: String, port: UInt16)? {
        PrinterConfig.tcpEndpoint(address)
    }
}

final class TcpTransport: PrinterTransport {
    let address: String
    let canReadStatus: Bool
    let logger: Logger
    private var fd: Int32 = -1
    /// Said once per outage, not every second.
    private var saidUnreachable = false

    init(address: String, status: Bool, logger: Logger) {
        self.address = address
        self.canReadStatus = status
        self.logger = logger
    }

    var isOpen: Bool { fd >= 0 }

    /// Open and not closed by the printer: a readable socket with nothing to read is a close
    /// (or a reset); a late status byte is left for `readStatus` to drop.
    func stillPresent() -> Bool {
        guard fd >= 0 else { return false }
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&p, 1, 0) > 0 else { return true }
        if p.revents & Int16(POLLERR | POLLHUP | POLLNVAL) != 0 { return false }
        var b: UInt8 = 0
        let n = recv(fd, &b, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
        return n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR))
    }

    func openIfPresent() -> Bool {
        guard let (host, port) = TcpPrinter.endpoint(address) else { return false }
        var hints = addrinfo()
        hints.ai_family = AF_INET
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let first = list else {
            unreachable("no such host")
            return false
        }
        defer { freeaddrinfo(list) }
        let s = socket(
            AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard s >= 0 else { return false }
        if connect(s, first.pointee.ai_addr, first.pointee.ai_addrlen) != 0 && errno != EINPROGRESS {
            unreachable(String(cString: strerror(errno)))
            Glibc.close(s)
            return false
        }
        // At most a second to connect: the printer's tick comes round again anyway.
        var p = pollfd(fd: s, events: Int16(POLLOUT), revents: 0)
        var err: Int32 = 0
        var len = socklen_t(MemoryLayout<Int32>.size)
        guard poll(&p, 1, 1000) > 0, getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len) == 0, err == 0 else {
            unreachable(err != 0 ? String(cString: strerror(err)) : "no answer within 1 s")
            Glibc.close(s)
            return false
        }
        var one: Int32 = 1
        _ = setsockopt(s, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        fd = s
        saidUnreachable = false
        logger.notice("printer connected", metadata: ["address": .string(address)])
        return true
    }

    private func unreachable(_ why: String) {
        guard !saidUnreachable else { return }
        saidUnreachable = true
        logger.warning("network printer unreachable", metadata: ["address": .string(address), "reason": .string(why)])
    }

    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    func write(_ bytes: [UInt8], timeoutMs: UInt32) -> Result<Void, PrintFailure> {
        guard fd >= 0 else { return .failure(PrintFailure("offline")) }
        let done = DescriptorIO.writeAll(fd, bytes, timeoutMs: timeoutMs) {
            send($0, $1.baseAddress, $1.count, Int32(MSG_NOSIGNAL))
        }
        guard case let .failure(stop) = done else { return .success(()) }
        close()
        let why = stop.result < 0 ? String(cString: strerror(stop.errno)) : "timed out"
        return .failure(PrintFailure("\(why) after \(stop.sent) of \(bytes.count) bytes"))
    }

    func readStatus(_ n: UInt8) -> UInt8? {
        guard fd >= 0 else { return nil }
        return DescriptorIO.status(
            fd, n, send: { if case .success = write($0, timeoutMs: 1000) { true } else { false } },
            get: { recv($0, $1.baseAddress, $1.count, Int32(MSG_DONTWAIT)) })
    }
}
