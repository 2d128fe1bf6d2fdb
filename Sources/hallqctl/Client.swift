import Foundation
import HallqProtocol

#if canImport(Glibc)
import Glibc
#endif

/// A blocking JSON-lines client for one role socket. hallqctl sends one request per process,
/// so plain POSIX calls are all it needs.
final class Client {
    private let fd: Int32
    private var buffer: [UInt8] = []
    private(set) var hello: JSONValue = .null

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    init(path: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else {
            close(fd)
            throw Failure(description: "socket path too long: \(path)")
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { $0.copyBytes(from: bytes) }
        let rc = withUnsafePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0 else {
            let msg = String(cString: strerror(errno))
            close(fd)
            throw Failure(description: "cannot connect to \(path): \(msg) (is hallqd running? see --runtime-dir / HALLQ_RUNTIME_DIR)")
        }
        guard let line = try readLine(), let h = JSONValue.parse(Array(line.utf8)) else {
            throw Failure(description: "no greeting from \(path)")
        }
        hello = h
    }

    deinit { close(fd) }

    func send(_ request: JSONValue) throws {
        let bytes = Array((request.text + "\n").utf8)
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { throw Failure(description: "write: \(String(cString: strerror(errno)))") }
            off += n
        }
    }

    /// The next line from the server, or nil at end of stream.
    func readLine() throws -> String? {
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

    func request(_ request: JSONValue) throws -> JSONValue {
        try send(request)
        guard let line = try readLine() else { throw Failure(description: "the server closed the connection") }
        guard let reply = JSONValue.parse(Array(line.utf8)) else { throw Failure(description: "unreadable reply: \(line)") }
        return reply
    }
}
