import AsyncHTTPClient
import Foundation
import HallqProtocol
import HallqTestKit
import NIOCore
import NIOHTTP1
import NIOSSL
import Testing

/// `[http] tls_cert` / `tls_key`: the real hallqd serves HTTPS (a certificate openssl makes for
/// the test); a login over it sets a Secure cookie, and plain HTTP on that port gets nowhere.
@Suite struct TLSTests {
    @Test("with a certificate hallqd serves HTTPS and its session cookie is Secure")
    func https() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hq-tls-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        openssl.arguments = [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
            "-keyout", dir.appendingPathComponent("key.pem").path, "-out", dir.appendingPathComponent("cert.pem").path,
        ]
        openssl.standardError = FileHandle.nullDevice
        try openssl.runSerially()
        #expect(try openssl.finish() == 0)
        let port = try freePort()
        let d = try DaemonHarness(
            config: DaemonHarness.demoConfig + """

                [http]
                listen = "127.0.0.1:\(port)"
                tls_cert = "\(dir.appendingPathComponent("cert.pem").path)"
                tls_key = "\(dir.appendingPathComponent("key.pem").path)"
                """)
        try d.start()
        _ = try d.ask(.admin, ["op": "useradd", "name": "li", "role": "clerk", "password": "secret-pass-9"])
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .none
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: tls))
        do {
            var login = HTTPClientRequest(url: "https://127.0.0.1:\(port)/api/login")
            login.method = .POST
            login.headers.add(name: "Content-Type", value: "application/json")
            login.body = .bytes(ByteBuffer(string: #"{"name":"li","password":"secret-pass-9"}"#))
            var reply: HTTPClientResponse?
            #expect(
                await eventuallyAsync(20) {
                    reply = try? await client.execute(login, timeout: .seconds(5))
                    return reply != nil
                })
            let r = try #require(reply)
            #expect(r.status == .ok)
            let cookie = r.headers.first(name: "Set-Cookie") ?? ""
            #expect(cookie.contains("Secure") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"))
            #expect(r.headers.first(name: "Strict-Transport-Security") == "max-age=31536000", "HSTS under TLS")
            // Plain HTTP on the TLS port is not served.
            let plain = try? await HTTPClient.shared.execute(
                HTTPClientRequest(url: "http://127.0.0.1:\(port)/api/board"), timeout: .seconds(5))
            #expect(plain?.status != .ok)
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
        #expect(d.stop() == 0)
    }
}
