import Foundation
import HallqProtocol

#if canImport(Glibc)
import Glibc
#endif

/// A blocking JSON-lines client for one role socket. hallqctl sends one request per process and
/// the integration tests drive the daemon with it, so plain POSIX calls are all it needs.
/// Use from one thread at a time; it may be handed from one thread to another.
public final class LineClient: @unchecked Sendable {
    private let fd: Int32
    private var buffer: [UInt8] = []
    public private(set) var hello: JSONValue = .null

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        public var errno: Int32 = 0
    }

    /// - timeout: seconds a read may block (0 = forever); a test must not hang on a dead daemon.
    public init(path: String, timeout: Int = 0) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        // On a throw below, deinit closes `fd` (every stored property is set by now): closing it
        // here as well would close it twice, and the second close may hit another thread's
        // freshly opened descriptor with the same number.
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else {
            throw Failure(description: "socket path too long: \(path)")
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { $0.copyBytes(from: bytes) }
        let rc = withUnsafePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard rc == 0 else {
            let e = errno
            let msg = String(cString: strerror(e))
            throw Failure(
                description:
                    "cannot connect to \(path): \(msg) (is hallqd running? see --runtime-dir / HALLQ_RUNTIME_DIR)",
                errno: e)
        }
        if timeout > 0 {
            var tv = timeval(tv_sec: timeout, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        }
        guard let line = try readLine(), let h = JSONValue.parse(Array(line.utf8)) else {
            throw Failure(description: "no greeting from \(path)")
        }
        if h["ok"]?.boolValue == false {
            // Refused instead of greeted (BUSY): say why.
            throw Failure(description: "\(h["error"]?.stringValue ?? "refused"): \(h["message"]?.stringValue ?? "")")
        }
        hello = h
    }

    deinit { if fd >= 0 { close(fd) } }

    public func send(_ request: JSONValue) throws {
        try sendRaw(Array((request.text + "\n").utf8))
    }

    /// Sends raw bytes as they are (tests of malformed input).
    public func sendRaw(_ bytes: [UInt8]) throws {
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw Failure(description: "write: \(String(cString: strerror(errno)))") }
            off += n
        }
    }

    /// Shuts down the sending side (SHUT_WR): the server still answers what it received, then
    /// closes; read the answers with `readLine` until it returns nil.
    public func finishSending() {
        shutdown(fd, Int32(SHUT_WR))
    }

    /// The next line from the server, or nil at end of stream.
    public func readLine() throws -> String? {
        while true {
            if let nl = buffer.firstIndex(of: 0x0A) {
                let line = String(decoding: buffer[..<nl], as: UTF8.self)
                buffer.removeSubrange(...nl)
                return line
            }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 { throw Failure(description: "read: \(String(cString: strerror(errno)))") }
            if n == 0 { return buffer.isEmpty ? nil : String(decoding: buffer, as: UTF8.self) }
            buffer.append(contentsOf: chunk[..<n])
        }
    }

    public func request(_ request: JSONValue) throws -> JSONValue {
        try send(request)
        guard let line = try readLine() else { throw Failure(description: "the server closed the connection") }
        guard let reply = JSONValue.parse(Array(line.utf8)) else {
            throw Failure(description: "unreadable reply: \(line)")
        }
        return reply
    }
}
