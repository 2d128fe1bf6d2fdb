import Foundation
import HallqProtocol
import HallqTestKit
import Hummingbird
import HummingbirdTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Hostile or careless HTTP clients against the real listener: each gets its error, and nobody
/// else waits for them.
@Suite struct HTTPHardeningTests {
    @Test("garbage and a half-sent request: an error and a close for them, prompt answers for others")
    func hostileClients() async throws {
        let w = try await WebHall()
        try await w.live { client in
            let port = try #require(client.port)
            // Not HTTP at all.
            let garbage = try RawClient(port: port)
            try garbage.send("HELLO THERE\r\n\r\n")
            // Read on a thread of its own: the in-process server needs the cooperative threads.
            let refused = try await blocking { garbage.readAll(timeout: 30) }
            #expect(refused.closed, "the server closes the connection")
            #expect(refused.text.isEmpty || refused.text.hasPrefix("HTTP/1.1 400"), "\(refused.text.prefix(100))")
            // A request that never ends, held open: the others are served, the queue moves.
            let half = try RawClient(port: port)
            try half.send("GET /api/board HTTP/1.1\r\nHost: x\r\n")
            let started = ContinuousClock.now
            let r = try await client.execute(uri: "/api/board", method: .get)
            #expect(r.status == .ok)
            try await w.ok(.kiosk, ["op": "take", "service": "A"])
            let took = ContinuousClock.now - started
            print("board + take beside a half-sent request: \(took)")
            // A body far over the limit: TOO-LONG, the ticket unrated.
            let take = try await w.ok(.kiosk, ["op": "take", "service": "A"])
            let path = String(
                take["ticket"]?["status_url"]?.stringValue?.dropFirst("http://hall.example:8080".count) ?? "")
            let big = try RawClient(port: port)
            let body = "{\"score\":5,\"pad\":\"\(String(repeating: "x", count: 64_000))\"}"
            try big.send(
                "POST /api\(path)/rate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
            )
            let answer = try await blocking { big.readAll(timeout: 30).text }
            #expect(answer.hasPrefix("HTTP/1.1 413"), "\(answer.prefix(200))")
            #expect(answer.contains("TOO-LONG"))
        }
        await w.stop()
    }
}

/// A plain TCP client, blocking with timeouts: for clients no HTTP library would be.
final class RawClient: @unchecked Sendable {
    let fd: Int32

    /// - from: the local address to connect from (another host on the hall's LAN, as far as
    ///   hallqd can tell: any address in 127.0.0.0/8 reaches its 127.0.0.1 listener).
    /// - receiveBuffer: SO_RCVBUF before connecting (a phone that stops reading holds little).
    init(port: Int, from source: String? = nil, receiveBuffer: Int32? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket: \(errno)") }
        if var size = receiveBuffer {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        if let source {
            var local = sockaddr_in()
            local.sin_family = sa_family_t(AF_INET)
            local.sin_addr.s_addr = inet_addr(source)
            let rc = withUnsafePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard rc == 0 else { throw HarnessError("bind \(source): \(errno)") }
        }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard rc == 0 else { throw HarnessError("connect: \(errno)") }
    }

    deinit { close(fd) }

    func send(_ s: String) throws {
        let bytes = Array(s.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw HarnessError("send: \(errno)") }
            sent += n
        }
    }

    /// A response's head: what arrives until the blank line that ends it (a stream's body never
    /// ends), or whatever came within `timeout` seconds.
    func readHead(timeout: Int) -> String {
        var tv = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var out: [UInt8] = []
        var byte: UInt8 = 0
        while recv(fd, &byte, 1, 0) == 1 {
            out.append(byte)
            if out.count >= 4 && out.suffix(4) == [13, 10, 13, 10] { break }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// What arrives until the server closes (or resets: a close with unread request bytes is a
    /// reset, and the kernel then drops an answer not yet read) or `timeout` seconds pass without
    /// a byte; and whether it closed.
    func readAll(timeout: Int) -> (text: String, closed: Bool) {
        var tv = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        var closed = false
        while true {
            let n = recv(fd, &buf, buf.count, 0)
            // 0 is the close; an error other than the timeout is a reset (ECONNRESET, or EPIPE
            // after a send the reset cut short): either way the server let the connection go.
            if n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) { closed = true }
            if n <= 0 { break }
            out += buf[0..<n]
            // One answer is enough: stop at the end of a response with a body length, unless the
            // server said it closes (then read on to see it do so).
            if let text = String(bytes: out, encoding: .utf8), text.contains("\r\n\r\n"),
                text.range(of: "connection: close", options: .caseInsensitive) == nil,
                let cl = text.range(of: "content-length: ", options: .caseInsensitive),
                let end = text[cl.upperBound...].range(of: "\r\n")?.lowerBound,
                let length = Int(text[cl.upperBound..<end]),
                let head = text.range(of: "\r\n\r\n"), text[head.upperBound...].utf8.count >= length
            {
                break
            }
        }
        return (String(decoding: out, as: UTF8.self), closed)
    }
}
