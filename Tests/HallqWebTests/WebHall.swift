import AsyncHTTPClient
import Foundation
import HallqApp
import HallqCore
import HallqProtocol
import HallqTestKit
import HallqWeb
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import NIOHTTP1

/// An in-process hall (`InProcessHall`: real Hall, store, devices, dispatcher) with its web faces
/// and their router, on a clock the test can move. Heartbeats are hourly unless a test asks:
/// event-order tests on a busy machine must not see one slip in.
final class WebHall: Sendable {
    let hall: InProcessHall
    let faces: WebFaces
    let clock: Locked<Millis>
    /// The staff sessions' monotonic clock (seconds): tests move it to expire sessions.
    let sessionClock = Locked<Double>(1000)
    /// Everything logged by the faces, to check that no password ever is.
    let logged = Locked<[String]>([])
    private let following: Task<Void, Never>

    static let config =
        DaemonHarness.demoConfig + """

            [http]
            listen = "127.0.0.1:0"
            public_url = "http://hall.example:8080"
            """

    /// - extraConfig: appended to `config`; `prepare` runs on the state directory before the
    ///   faces start (a clip pack for the board's voice).
    init(
        config: String = WebHall.config, heartbeat: Duration = .seconds(3600), backlog: Int = 256,
        extraConfig: String = "",
        prepare: (URL) throws -> Void = { _ in }
    ) async throws {
        let clock = Locked<Millis>(1_796_000_000_000)
        self.clock = clock
        hall = try InProcessHall(config: config + extraConfig, clock: { clock.with { $0 } })
        try prepare(hall.stateDir)
        let sessionClock = self.sessionClock
        let logged = self.logged
        faces = await WebFaces(
            hall: hall.hall, devices: hall.devices, dispatcher: hall.dispatcher, stateDir: hall.stateDir,
            heartbeat: heartbeat,
            clientBacklog: backlog, version: "test",
            logger: Logger(label: "web-test") { _ in CapturingLog(into: logged) },
            sessionClock: { sessionClock.with { $0 } })
        let faces = self.faces
        following = Task { await faces.run() }
    }

    func advance(seconds: Int) { clock.with { $0 += Millis(seconds) * 1000 } }

    var app: some ApplicationProtocol { Application(router: faces.router()) }

    /// The router on a real port. The event streams end before the server stops (as at hallqd's
    /// shutdown), so it need not wait for them.
    func live(_ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let faces = self.faces
        try await app.test(.live) { client in
            do {
                try await body(client)
            } catch {
                faces.feed.closeAll()
                throw error
            }
            faces.feed.closeAll()
        }
    }

    /// A request line on a role's socket; its reply must be ok.
    @discardableResult
    func ok(_ role: Role, _ request: JSONValue) async throws -> JSONValue {
        let r = await hall.ask(role, request)
        guard r.ok else { throw HarnessError("\(request.text) → \(r.text)") }
        return r
    }

    func stop() async {
        faces.close()
        await following.value
        await hall.stop()
    }
}

/// One server-sent event as a client reads it.
struct SSEEvent: Sendable {
    var name: String
    var id: String?
    var data: JSONValue
}

/// Reads `/api/events` over real TCP (AsyncHTTPClient), event by event.
final class SSEReader: @unchecked Sendable {
    private var iterator: HTTPClientResponse.Body.AsyncIterator
    private var buffer = ""
    let status: Int
    let contentType: String?

    init(port: Int, lastEventID: String? = nil) async throws {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/api/events")
        if let lastEventID { request.headers.add(name: "Last-Event-ID", value: lastEventID) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(90))
        status = Int(response.status.code)
        contentType = response.headers.first(name: "content-type")
        iterator = response.body.makeAsyncIterator()
    }

    /// The next event, or nil when the stream ends.
    func next() async throws -> SSEEvent? {
        while true {
            if let end = buffer.range(of: "\n\n") {
                let frame = String(buffer[..<end.lowerBound])
                buffer.removeSubrange(..<end.upperBound)
                var name = "message"
                var id: String?
                var data = ""
                for line in frame.split(separator: "\n") {
                    if line.hasPrefix("event: ") { name = String(line.dropFirst(7)) }
                    if line.hasPrefix("id: ") { id = String(line.dropFirst(4)) }
                    if line.hasPrefix("data: ") { data += line.dropFirst(6) }
                }
                return SSEEvent(name: name, id: id, data: JSONValue.parse(Array(data.utf8)) ?? .null)
            }
            guard let chunk = try await iterator.next() else { return nil }
            buffer += String(buffer: chunk)
        }
    }

    /// Events until one named `name` (inclusive), at most `limit`.
    func until(_ name: String, limit: Int = 50) async throws -> [SSEEvent] {
        var out: [SSEEvent] = []
        while out.count < limit, let e = try await next() {
            out.append(e)
            if e.name == name { return out }
        }
        throw HarnessError("no \(name) event in \(out.map(\.name))")
    }
}

extension TestResponse {
    var json: JSONValue { JSONValue.parse(Array(body.readableBytesView)) ?? .null }
    var text: String { String(buffer: body) }
}

/// A log handler that keeps every message with its metadata as text.
struct CapturingLog: LogHandler {
    let into: Locked<[String]>
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(event: LogEvent) {
        into.with { $0.append("\(event.level) \(event.message) \(event.metadata ?? [:])") }
    }
}
