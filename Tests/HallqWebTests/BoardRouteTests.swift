import Foundation
import HTTPTypes
import HallqCore
import HallqProtocol
import HallqTestKit
import Hummingbird
import HummingbirdTesting
import Testing

@testable import HallqWeb

/// The board's routes, the event stream and its rules, through the real router (in process) and,
/// for streams, over real TCP.
@Suite struct BoardRouteTests {
    /// For the tests of the stream's order: the look-ahead's estimates land between commit rounds,
    /// so a later round could carry a `counts` of new estimates alone; the old formula's change
    /// only with the commits.
    static let formula = "\n[eta]\nmethod = \"formula\"\n"

    @Test("the board snapshot: waiting per service, window tiles, the calls, the scroll text; no clerk names")
    func snapshot() async throws {
        let w = try await WebHall()
        try await w.ok(.kiosk, ["op": "take", "service": "A"])
        try await w.ok(.kiosk, ["op": "take", "service": "B"])
        try await w.ok(.clerk, ["op": "signin", "window": 1, "clerk": "张三"])
        try await w.ok(.clerk, ["op": "signin", "window": 2, "clerk": "李四"])
        try await w.ok(.clerk, ["op": "pause", "window": 2])
        try await w.ok(.clerk, ["op": "call", "window": 1])
        try await w.app.test(.router) { client in
            let r = try await client.execute(uri: "/api/board", method: .get)
            #expect(r.status == .ok)
            #expect(r.headers[.contentType]?.hasPrefix("application/json") == true)
            let b = r.json
            let services = try #require(b["services"]?.arrayValue)
            #expect(services.map { $0["id"]?.stringValue } == ["A", "B", "C"])
            #expect(services.map { $0["waiting"]?.intValue } == [0, 1, 0])
            #expect(services[1]["eta_min"]?.intValue ?? 0 > 0)
            let windows = try #require(b["windows"]?.arrayValue)
            #expect(windows.map { $0["state"]?.stringValue } == ["calling", "paused", "closed", "closed"])
            #expect(windows[0]["ticket"]?.stringValue == "A001")
            let calls = try #require(b["calls"]?.arrayValue)
            #expect(calls.first?["ticket"]?.stringValue == "A001")
            #expect(calls.first?["window"]?.intValue == 1)
            #expect(b["scroll"]?.stringValue == "办理流程与收费标准")
            #expect(b["hall"]?["dispensing"]?.boolValue == true)
            #expect(b["utc_offset_s"]?.intValue == 28800)
            #expect(!r.text.contains("张三") && !r.text.contains("李四"))
        }
        await w.stop()
    }

    @Test("pages and scripts are served from the binary, revalidated by ETag; unknown paths are 404 NOT-FOUND")
    func pages() async throws {
        let w = try await WebHall()
        try await w.app.test(.router) { client in
            let board = try await client.execute(uri: "/board", method: .get)
            #expect(board.status == .ok)
            #expect(board.headers[.contentType] == "text/html; charset=utf-8")
            #expect(board.text.contains("/assets/board.js") && board.text.contains("lang=\"zh-CN\""))
            #expect(board.headers[HTTPField.Name("Content-Security-Policy")!]?.contains("default-src 'self'") == true)
            for file in ["board.js", "live.js", "status.js", "hallq.css"] {
                let r = try await client.execute(uri: "/assets/\(file)", method: .get)
                #expect(r.status == .ok, "\(file)")
                let tag = try #require(r.headers[.eTag])
                let again = try await client.execute(uri: "/assets/\(file)", method: .get, headers: [.ifNoneMatch: tag])
                #expect(again.status == .notModified)
            }
            // Pages load one ES module each; the words they share come from Swift's Vocabulary,
            // and no script carries a copy of them.
            for page in ["/board", "/kiosk", "/window/1", "/admin"] {
                let r = try await client.execute(uri: page, method: .get)
                #expect(r.text.contains("<script type=\"module\"") && !r.text.contains(" defer>"), "\(page)")
            }
            let vocabulary = try await client.execute(uri: "/assets/vocabulary.js", method: .get)
            #expect(vocabulary.headers[.contentType] == "text/javascript; charset=utf-8")
            for t in HallError.Token.allCases {
                #expect(vocabulary.text.contains("\"\(t.rawValue)\":\"\(Vocabulary.sentence(t))\""), "\(t)")
            }
            #expect(vocabulary.text.contains("\"5\":\"非常满意\"") && vocabulary.text.contains("\"calling\":\"叫号中\""))
            for file in ["live.js", "staff.js", "board.js", "status.js", "kiosk.js", "window.js", "admin.js"] {
                let text = try await client.execute(uri: "/assets/\(file)", method: .get).text
                #expect(!["没有等候的号", "非常满意", "叫号中", "未开放"].contains { text.contains($0) }, "\(file)")
            }
            let root = try await client.execute(uri: "/", method: .get)
            #expect(root.status == .found && root.headers[.location] == "/board")
            for path in ["/assets/../hallq.sqlite", "/assets/nope.js", "/nope", "/api/nope"] {
                let r = try await client.execute(uri: path, method: .get)
                #expect(r.status == .notFound, "\(path)")
                #expect(r.json["error"]?.stringValue == "NOT-FOUND", "\(path)")
            }
        }
        await w.stop()
    }

    @Test("the stream: a snapshot first, then one event per change in commit order, with rising ids")
    func eventOrder() async throws {
        let w = try await WebHall(extraConfig: Self.formula)
        try await w.live { client in
            let port = try #require(client.port)
            let sse = try await SSEReader(port: port)
            #expect(sse.status == 200)
            #expect(sse.contentType?.hasPrefix("text/event-stream") == true)
            let first = try #require(try await sse.next())
            #expect(first.name == "snapshot")
            #expect(first.data["resumed"]?.boolValue == false)
            try await w.ok(.kiosk, ["op": "take", "service": "A"])
            try await w.ok(.clerk, ["op": "signin", "window": 1, "clerk": "张三"])
            try await w.ok(.clerk, ["op": "call", "window": 1])
            try await w.ok(.clerk, ["op": "recall", "window": 1])
            try await w.ok(.clerk, ["op": "finish", "window": 1])
            try await w.ok(.admin, ["op": "hall", "mode": "close"])
            let events = try await sse.until("hall")
            // take: counts · sign-in: the tile, and estimates (one window serves now) · call: the
            // call, the tile, counts · recall: the call, the tile · finish: the tile · close: hall
            #expect(
                events.map(\.name) == [
                    "counts", "window", "counts", "call", "window", "counts", "call", "window", "window", "hall",
                ], "\(events.map { "\($0.name) \($0.id ?? "") \($0.data.text.prefix(120))" }.joined(separator: "\n"))")
            let calls = events.filter { $0.name == "call" }
            #expect(calls.map { $0.data["ticket"]?.stringValue } == ["A001", "A001"])
            #expect(calls.map { $0.data["recall"]?.boolValue } == [false, true])
            let tiles = events.filter { $0.name == "window" }.map { $0.data["state"]?.stringValue }
            #expect(tiles == ["idle", "calling", "calling", "idle"])
            #expect(events.last?.data["dispensing"]?.boolValue == false)
            let seqs = ([first] + events).compactMap { $0.id?.split(separator: "-").last.flatMap { Int($0) } }
            #expect(seqs.count == events.count + 1)
            #expect(seqs == seqs.sorted() && Set(seqs).count == seqs.count)
            #expect(!events.contains { $0.data.text.contains("张三") })
        }
        await w.stop()
    }

    @Test(
        "a reconnect with Last-Event-ID: the snapshot, then the events it missed; an unknown id gets the snapshot only")
    func resume() async throws {
        let w = try await WebHall(extraConfig: Self.formula)
        try await w.ok(.clerk, ["op": "signin", "window": 1, "clerk": "张三"])
        try await w.live { client in
            let port = try #require(client.port)
            let first = try await SSEReader(port: port)
            let snap = try #require(try await first.next())
            let seen = try #require(snap.id)
            try await w.ok(.kiosk, ["op": "take", "service": "A"])
            try await w.ok(.clerk, ["op": "call", "window": 1])
            let live = try await first.until("counts", limit: 10) + first.until("counts", limit: 10)

            let again = try await SSEReader(port: port, lastEventID: seen)
            let resumed = try #require(try await again.next())
            #expect(resumed.name == "snapshot")
            #expect(resumed.data["resumed"]?.boolValue == true)
            #expect(resumed.id == live.last?.id, "the snapshot is as of the last event")
            var replayed: [SSEEvent] = []
            for _ in live { replayed.append(try #require(try await again.next())) }
            #expect(replayed.map(\.id) == live.map(\.id))
            #expect(replayed.map(\.name) == live.map(\.name))

            let stranger = try await SSEReader(port: port, lastEventID: "someoneelse-3")
            let fresh = try #require(try await stranger.next())
            #expect(fresh.name == "snapshot" && fresh.data["resumed"]?.boolValue == false)
            // What it would have replayed is in the snapshot instead.
            #expect(fresh.data["calls"]?.arrayValue?.first?["ticket"]?.stringValue == "A001")
        }
        await w.stop()
    }

    @Test("heartbeats arrive on a quiet stream, without ids, with the hall's time")
    func heartbeat() async throws {
        let w = try await WebHall(heartbeat: .milliseconds(200))
        try await w.live { client in
            let sse = try await SSEReader(port: try #require(client.port))
            let snap = try #require(try await sse.next())
            #expect(snap.data["heartbeat_s"]?.doubleValue == 0.2)
            let beats = try await sse.until("heartbeat", limit: 3)
            let beat = try #require(beats.last)
            #expect(beat.id == nil)
            #expect(beat.data["now"]?.intValue == w.clock.with { $0 })
            #expect(beat.data["utc_offset_s"]?.intValue == 28800)
        }
        await w.stop()
    }

    @Test("a reload reaches connected boards as a fresh snapshot (the new scroll text), without a reconnect")
    func reload() async throws {
        let w = try await WebHall(heartbeat: .milliseconds(200))
        try await w.live { client in
            let sse = try await SSEReader(port: try #require(client.port))
            let first = try #require(try await sse.next())
            #expect(first.data["scroll"]?.stringValue == "办理流程与收费标准")
            let text = try String(contentsOf: w.hall.configURL, encoding: .utf8)
            try Data(text.replacingOccurrences(of: "办理流程与收费标准", with: "证书补办请到6号窗口").utf8).write(to: w.hall.configURL)
            try await w.ok(.admin, ["op": "reload"])
            let fresh = try #require(try await sse.until("snapshot", limit: 30).last)
            #expect(fresh.data["scroll"]?.stringValue == "证书补办请到6号窗口")
            #expect(fresh.id != first.id)
        }
        await w.stop()
    }

    @Test("a client that stops reading is dropped once its queue is full; the others get every event")
    func slowReaderDropped() async throws {
        let w = try await WebHall(backlog: 4, extraConfig: Self.formula)
        try await w.live { client in
            let reader = try await SSEReader(port: try #require(client.port))
            _ = try await reader.next()
            // A client whose stream nobody reads (as when its connection's buffers are full and
            // the writer waits): `drop` is what closes its connection.
            let dropped = Locked(0)
            let (_, unread) = w.faces.feed.join(lastEventID: nil) { dropped.with { $0 += 1 } }
            #expect(w.faces.feed.clientCount == 2)
            for i in 0..<8 { try await w.ok(.kiosk, ["op": "take", "service": ["A", "B", "C"][i % 3]]) }
            #expect(await eventuallyAsync { dropped.with { $0 } == 1 })
            #expect(w.faces.feed.clientCount == 1)
            // What it holds is the snapshot and the first events, then its end.
            var held = 0
            for await _ in unread { held += 1 }
            #expect(held == 4)
            // The reading client saw all eight.
            var counts: [SSEEvent] = []
            while counts.count < 8, let e = try await reader.next() {
                if e.name == "counts" { counts.append(e) }
            }
            #expect(counts.count == 8)
            #expect(counts.last?.data["services"]?.arrayValue?.map { $0["waiting"]?.intValue } == [3, 3, 2])
        }
        await w.stop()
    }
}
