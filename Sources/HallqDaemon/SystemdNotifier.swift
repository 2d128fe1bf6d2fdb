import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// sd_notify without libsystemd: one datagram to $NOTIFY_SOCKET. Silent when not under systemd.
public struct SystemdNotifier: Sendable {
    let path: String?
    let logger: Logger

    public init(environment: [String: String], logger: Logger) {
        self.path = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
        self.logger = logger
    }

    public var active: Bool { path != nil }

    public func send(_ state: String) {
        guard let path else { return }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        // "@name" is an abstract socket: a leading NUL byte instead of the @.
        var bytes = Array(path.utf8)
        if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: addr.sun_path)
        guard bytes.count < capacity else { return }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            raw.copyBytes(from: bytes)
        }
        let len = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count)
        let sent = Array(state.utf8).withUnsafeBytes { msg in
            withUnsafePointer(to: &addr) { p in
                p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                    sendto(fd, msg.baseAddress, msg.count, Int32(MSG_NOSIGNAL), sa, len)
                }
            }
        }
        if sent < 0 { logger.warning("sd_notify failed", metadata: ["errno": .stringConvertible(errno)]) }
    }
}
