import Foundation
import HallqProtocol
import HallqTestKit
import Hummingbird
import HummingbirdTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Logins against the real listener from several client addresses (127.0.0.x stand in for hosts
/// on the hall's LAN): nobody can lock a clerk out or hold the password checks, and bcrypt's
/// limits do not leak through.
@Suite struct LoginHardeningTests {
    static let password = "clerk-pass-1"

    func hall() async throws -> WebHall {
        let w = try await WebHall()
        try await w.ok(
            .admin, ["op": "useradd", "name": "李四", "role": "clerk", "password": .string(Self.password)])
        return w
    }

    /// `post` on a thread of its own: the test's task must not block one of the few cooperative
    /// threads, on which the in-process server's handlers run too.
    static func post(
        port: Int, from source: String, _ path: String, _ body: String, type: String = "application/json",
        headers: [String] = []
    ) async throws -> (status: Int, text: String) {
        try await blocking { try postBlocking(port: port, from: source, path, body, type: type, headers: headers) }
    }

    /// One request on its own connection from `source`; the status code, the headers and body.
    static func postBlocking(
        port: Int, from source: String, _ path: String, _ body: String, type: String = "application/json",
        headers: [String] = []
    ) throws -> (status: Int, text: String) {
        let c = try RawClient(port: port, from: source)
        let extra = headers.map { $0 + "\r\n" }.joined()
        try c.send(
            "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nContent-Type: \(type)\r\n\(extra)Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
        )
        let text = c.readAll(timeout: 120).text
        let status = text.split(separator: " ", maxSplits: 2).dropFirst().first.flatMap { Int($0) } ?? 0
        return (status, text)
    }

    /// A Set-Cookie's value in a raw response.
    static func cookie(_ name: String, in response: String) -> String? {
        guard let r = response.range(of: "Set-Cookie: \(name)=") else { return nil }
        return String(response[r.upperBound...].prefix { $0 != ";" && $0 != "\r" })
    }

    static func login(_ name: String, _ password: String) -> String {
        JSONValue.object(["name": .string(name), "password": .string(password)]).text
    }

    @Test("five wrong passwords from one address do not lock the name out from another")
    func strangerCannotLockOut() async throws {
        let w = try await hall()
        try await w.live { client in
            let port = try #require(client.port)
            for _ in 0..<5 {
                #expect(
                    try await Self.post(port: port, from: "127.0.0.66", "/api/login", Self.login("李四", "guess-guess"))
                        .status == 401)
            }
            #expect(
                try await Self.post(port: port, from: "127.0.0.66", "/api/login", Self.login("李四", Self.password))
                    .status == 429)
            let own = try await Self.post(port: port, from: "127.0.0.4", "/api/login", Self.login("李四", Self.password))
            #expect(own.status == 200, "the clerk at their own terminal: \(own.text.prefix(200))")
        }
        await w.stop()
    }

    @Test("a login flood from one host: a known session keeps working, another host's login and a known browser get in")
    func floodKeepsStaffIn() async throws {
        let w = try await hall()
        try await w.live { client in
            let port = try #require(client.port)
            // A clerk logged in before the flood, and a browser on the flooding host that had
            // logged in as 李四 before (its hallq_device cookie).
            let before = try await Self.post(
                port: port, from: "127.0.0.4", "/api/login", Self.login("李四", Self.password))
            #expect(before.status == 200)
            let session = try #require(Self.cookie("hallq_session", in: before.text))
            let csrf = try #require(
                JSONValue.parse(Array((before.text.components(separatedBy: "\r\n\r\n").last ?? "").utf8))?["csrf"]?
                    .stringValue)
            let sameHost = try await Self.post(
                port: port, from: "127.0.0.99", "/api/login", Self.login("李四", Self.password))
            let device = try #require(Self.cookie("hallq_device", in: sameHost.text))
            let flooding = Locked(true)
            let floods = Locked(0)
            let group = DispatchGroup()
            for i in 0..<8 {
                group.enter()
                Thread {
                    defer { group.leave() }
                    while flooding.with({ $0 }) {
                        _ = try? Self.postBlocking(
                            port: port, from: "127.0.0.99", "/api/login", Self.login("x\(i)", "made-up-1"))
                        floods.with { $0 += 1 }
                    }
                }.start()
            }
            #expect(await eventuallyAsync { floods.with { $0 } >= 40 })
            // During the flood: another host's clerk logs in, every time; the session from
            // before works; the known browser on the flooding host gets in too.
            for _ in 0..<5 {
                let r = try await Self.post(
                    port: port, from: "127.0.0.5", "/api/login", Self.login("李四", Self.password))
                #expect(r.status == 200, "\(r.text.prefix(200))")
                let op = try await Self.post(
                    port: port, from: "127.0.0.4", "/api/ops/status", "{}",
                    headers: ["Cookie: hallq_session=\(session)", "X-CSRF-Token: \(csrf)"])
                #expect(op.status == 200, "\(op.text.prefix(200))")
                let known = try await Self.post(
                    port: port, from: "127.0.0.99", "/api/login", Self.login("李四", Self.password),
                    headers: ["Cookie: hallq_device=\(device)"])
                #expect(known.status == 200, "\(known.text.prefix(200))")
            }
            flooding.with { $0 = false }
            try await blocking { group.wait() }
        }
        let logged = w.logged.with { $0 }
        let refusedLines = logged.filter { $0.contains("logins refused") }.count
        #expect(
            refusedLines >= 1 && refusedLines <= 3, "refusals are counted, not logged one by one: \(refusedLines) lines"
        )
        await w.stop()
    }

    @Test("passwords over 72 bytes or with a NUL are refused at useradd and passwd, and never log in cut short")
    func bcryptLimits() async throws {
        let w = try await hall()
        let long = String(repeating: "密", count: 25)  // 75 bytes
        for (op, extra): (String, JSONValue) in [("useradd", ["role": "clerk"]), ("passwd", [:])] {
            for bad in [long, "secret-1\u{0}tail", "tab\tinside-1"] {
                var fields: [String: JSONValue] = [
                    "op": .string(op), "name": .string(op == "useradd" ? "王五" : "李四"), "password": .string(bad),
                ]
                if case let .object(o) = extra { fields.merge(o) { a, _ in a } }
                let r = await w.hall.ask(.admin, .object(fields))
                #expect(
                    r["error"] == "BAD-REQUEST" && r["message"]?.stringValue?.contains("72 bytes") == true,
                    "\(op): \(r.text)")
            }
        }
        // 24 Chinese characters are 72 bytes: allowed.
        let fits = String(repeating: "密", count: 24)
        try await w.ok(.admin, ["op": "passwd", "name": "李四", "password": .string(fits)])
        try await w.live { client in
            let port = try #require(client.port)
            // bcrypt would read only the first 72 bytes, or stop at the NUL: both are wrong here.
            for bad in [fits + "anything", fits + "\u{0}x"] {
                #expect(
                    try await Self.post(port: port, from: "127.0.0.4", "/api/login", Self.login("李四", bad)).status
                        == 401)
            }
            #expect(
                try await Self.post(port: port, from: "127.0.0.4", "/api/login", Self.login("李四", fits)).status == 200)
        }
        await w.stop()
    }

    @Test("POSTs carry JSON and come from this site: a cross-site form cannot log a browser in")
    func loginCSRF() async throws {
        let w = try await hall()
        try await w.live { client in
            let port = try #require(client.port)
            let body = Self.login("李四", Self.password)
            for type in ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"] {
                let r = try await Self.post(port: port, from: "127.0.0.4", "/api/login", body, type: type)
                #expect(
                    r.status == 400 && r.text.contains("BAD-REQUEST") && !r.text.contains("hallq_session"), "\(type)")
            }
            let foreign = try await Self.post(
                port: port, from: "127.0.0.4", "/api/login", body, headers: ["Origin: http://evil.example"])
            #expect(foreign.status == 403 && !foreign.text.contains("hallq_session"))
            let same = try await Self.post(
                port: port, from: "127.0.0.4", "/api/login", body, headers: ["Origin: http://127.0.0.1:\(port)"])
            #expect(same.status == 200 && same.text.contains("hallq_session=") && same.text.contains("hallq_device="))
        }
        await w.stop()
    }
}
