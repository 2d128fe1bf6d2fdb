import CSerialPort
import Foundation
import HallqCore

#if canImport(Glibc)
import Glibc
#endif

/// One open serial port through libserialport. Blocking calls: only ever used from the bus's
/// own writer thread, never from the cooperative pool.
final class SerialPort {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    typealias Parity = BusConfig.Parity

    struct Settings: Equatable {
        var baud: Int
        var dataBits: Int
        var parity: Parity
        var stopBits: Int
    }

    private let port: OpaquePointer
    /// The configured path, and the device node behind it (the path may be a udev symlink).
    let path: String
    let device: String

    /// /dev/ plus the kernel name of the tty a path leads to: symlinks are followed until a node
    /// that sits directly in a "dev" directory (the kernel's /dev, or an emulated one).
    static func readLink(_ path: String) -> String? {
        var buf = [CChar](repeating: 0, count: Int(PATH_MAX))
        let n = readlink(path, &buf, buf.count - 1)
        guard n > 0 else { return nil }
        return String(decoding: buf[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func kernelNode(_ path: String) -> String {
        "/dev/"
            + followLinks(path, until: { $0.deletingLastPathComponent().lastPathComponent == "dev" }).lastPathComponent
    }

    /// Follows the symlinks of a device's stable name (at most 8) until `done` says this is the
    /// node, or there is no further link. Serial ports and keypads both name their devices so.
    static func followLinks(_ path: String, until done: (URL) -> Bool) -> URL {
        var current = URL(fileURLWithPath: path)
        for _ in 0..<8 where !done(current) {
            guard let target = Self.readLink(current.path) else { break }
            current =
                target.hasPrefix("/")
                ? URL(fileURLWithPath: target)
                : current.deletingLastPathComponent().appendingPathComponent(target).standardized
        }
        return current
    }

    init(path: String, settings s: Settings) throws(Failure) {
        // Stable names (/dev/serial/by-id/…, /dev/hallq/…) are symlinks; libserialport looks the
        // port up in /sys/class/tty by its kernel name, and ttys live directly in /dev, so the
        // port is /dev/ plus the name at the end of the link chain.
        device = Self.kernelNode(path)
        self.path = path
        var p: OpaquePointer?
        // libserialport answers a port that is not there with "invalid argument"; say what it is
        // (the adapter is unplugged, or the name is wrong), as the troubleshooting table does.
        guard access(path, F_OK) == 0, access(device, F_OK) == 0 else {
            throw Failure(description: "find \(path): no such device (is the adapter plugged in?)")
        }
        try Self.check(sp_get_port_by_name(device, &p), "find \(device) (from \(path))")
        guard let p else { throw Failure(description: "find \(path): no such port") }
        port = p
        // A failure below leaves cleanup to deinit (it runs: every property is set by now);
        // closing here as well would free the port twice.
        try Self.check(sp_open(port, SP_MODE_READ_WRITE), "open \(path)")
        try Self.check(sp_set_baudrate(port, Int32(s.baud)), "set baud \(s.baud)")
        try Self.check(sp_set_bits(port, Int32(s.dataBits)), "set \(s.dataBits) data bits")
        let parity: sp_parity =
            switch s.parity {
            case .none: SP_PARITY_NONE
            case .even: SP_PARITY_EVEN
            case .odd: SP_PARITY_ODD
            }
        try Self.check(sp_set_parity(port, parity), "set parity \(s.parity)")
        try Self.check(sp_set_stopbits(port, Int32(s.stopBits)), "set \(s.stopBits) stop bits")
        try Self.check(sp_set_flowcontrol(port, SP_FLOWCONTROL_NONE), "disable flow control")
    }

    deinit {
        sp_close(port)
        sp_free_port(port)
    }

    /// Writes all bytes or fails; a partial write within the timeout is a failure.
    func write(_ bytes: [UInt8], timeoutMs: UInt32) throws(Failure) {
        let n = bytes.withUnsafeBytes { sp_blocking_write(port, $0.baseAddress, $0.count, timeoutMs) }
        if n.rawValue < 0 { throw Failure(description: "write: \(Self.message(n))") }
        if Int(n.rawValue) < bytes.count {
            throw Failure(description: "write timed out after \(n.rawValue) of \(bytes.count) bytes")
        }
    }

    /// Waits until every byte written has left the adapter (tcdrain): a sign's answer can only
    /// start after the whole frame is on the wire.
    func drain() throws(Failure) {
        try Self.check(sp_drain(port), "drain")
    }

    /// Drops bytes received and not yet read (a late answer to an earlier frame).
    func discardInput() {
        _ = sp_flush(port, SP_BUF_INPUT)
    }

    /// Up to `max` bytes, waiting at most `timeoutMs` for the first; [] on timeout.
    func read(max: Int, timeoutMs: UInt32) throws(Failure) -> [UInt8] {
        var buf = [UInt8](repeating: 0, count: max)
        let n = buf.withUnsafeMutableBytes { sp_blocking_read_next(port, $0.baseAddress, max, timeoutMs) }
        if n.rawValue < 0 { throw Failure(description: "read: \(Self.message(n))") }
        return Array(buf[..<Int(n.rawValue)])
    }

    /// Whether the device node is still there: a USB adapter that was pulled loses its node
    /// even while our descriptor stays open.
    var present: Bool {
        // Plain access(2) and readlink(2): one system call each, nothing stat-ing /dev behind our back.
        access(path, F_OK) == 0 && Self.kernelNode(path) == device && access(device, F_OK) == 0
    }

    private static func check(_ r: sp_return, _ what: String) throws(Failure) {
        if r.rawValue < 0 { throw Failure(description: "\(what): \(message(r))") }
    }

    private static func message(_ r: sp_return) -> String {
        switch r {
        case SP_ERR_ARG: return "invalid argument"
        case SP_ERR_MEM: return "out of memory"
        case SP_ERR_SUPP: return "not supported"
        default:
            guard let m = sp_last_error_message() else { return "error \(r.rawValue)" }
            defer { sp_free_error_message(m) }
            return String(cString: m)
        }
    }
}
