import Foundation
import HTTPTypes
import HallqApp
import HallqCore
import HallqProtocol
import HallqTestKit
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import HallqWeb

/// A ticket's status page, its keyed address, and rating it (好差评).
@Suite struct TicketPageTests {
    /// Takes a ticket; returns its status path (`/t/<day>/<label>.<token>`).
    func take(_ w: WebHall, _ service: String = "A") async throws -> String {
        let r = try await w.ok(.kiosk, ["op": "take", "service": .string(service)])
        let url = try #require(r["ticket"]?["status_url"]?.stringValue)
        #expect(url.hasPrefix("http://hall.example:8080/t/"))
        return String(url.dropFirst("http://hall.example:8080".count))
    }

    func rate(_ client: some TestClientProtocol, _ path: String, _ body: String) async throws -> TestResponse {
        try await client.execute(
            uri: "/api\(path)/rate", method: .post, headers: [.contentType: "application/json"],
            body: ByteBuffer(string: body))
    }

    @Test("the take reply and the printed QR carry the keyed address; a valid one shows the ticket live")
    func statusPage() async throws {
        let w = try await WebHall()
        _ = try await take(w)
        let path = try await take(w)
        let printed = w.hall.stateDir.appendingPathComponent("printer/tickets.txt")
        #expect(
            await eventuallyAsync {
                let text = (try? String(contentsOf: printed, encoding: .utf8)) ?? ""
                return text.contains("[QR http://hall.example:8080\(path)]")
            })
        try await w.app.test(.router) { client in
            let page = try await client.execute(uri: path, method: .get)
            #expect(page.status == .ok)
            #expect(page.text.contains("/assets/status.js"))
            let api = try await client.execute(uri: "/api\(path)", method: .get)
            #expect(api.status == .ok)
            let t = api.json["ticket"]
            #expect(t?["ticket"]?.stringValue == "A002")
            #expect(t?["state"]?.stringValue == "waiting")
            #expect(t?["ahead"]?.intValue == 1)
            #expect(t?["can_rate"]?.boolValue == false)
            #expect(
                api.json["levels"]?.arrayValue?.map { $0["name"]?.stringValue } == [
                    "非常满意", "满意", "基本满意", "不满意", "非常不满意",
                ])
            try await w.ok(.clerk, ["op": "signin", "window": 3, "clerk": "张三"])
            try await w.ok(.clerk, ["op": "call", "window": 3, "ticket": "A002"])
            let called = try await client.execute(uri: "/api\(path)", method: .get)
            #expect(called.json["ticket"]?["state"]?.stringValue == "called")
            #expect(called.json["ticket"]?["window"]?.intValue == 3)
            #expect(!called.text.contains("张三") && called.json["ticket"]?["clerk"] == nil)
        }
        await w.stop()
    }

    @Test("an altered, guessed or malformed address is 404, like an unknown ticket")
    func altered() async throws {
        let w = try await WebHall()
        let path = try await take(w)
        let token = String(path.split(separator: ".").last!)
        let flipped = String(token.dropLast()) + (token.last == "0" ? "1" : "0")
        let day = path.split(separator: "/")[1]
        let nextDay = day.replacingOccurrences(of: String(day.suffix(2)), with: day.hasSuffix("28") ? "27" : "28")
        let bad = [
            path.replacingOccurrences(of: token, with: flipped),  // one hex digit changed
            path.replacingOccurrences(of: "A001.", with: "A002."),  // another ticket, same token
            path.replacingOccurrences(of: String(day), with: nextDay),  // another day
            "/t/\(day)/A001",  // no token
            "/t/\(day)/A001.\(String(token.prefix(8)))",  // a short token
            "/t/not-a-day/A001.\(token)",
            "/t/\(day)/A999.\(token)",  // never issued
        ]
        try await w.app.test(.router) { client in
            for p in bad {
                for uri in [p, "/api\(p)"] {
                    let r = try await client.execute(uri: uri, method: .get)
                    #expect(r.status == .notFound, "\(uri)")
                    #expect(r.json["error"]?.stringValue == "UNKNOWN-TICKET", "\(uri)")
                }
                let rated = try await rate(client, p, #"{"score":5}"#)
                #expect(rated.status == .notFound, "\(p)")
            }
        }
        await w.stop()
    }

    @Test("rating: only once finished, once, within rating_s, a reason for 1 and 2; stats and export show it")
    func ratingRules() async throws {
        let w = try await WebHall()
        let first = try await take(w)
        let second = try await take(w)
        let third = try await take(w)
        try await w.ok(.clerk, ["op": "signin", "window": 1, "clerk": "张三"])
        try await w.app.test(.router) { client in
            var r = try await rate(client, first, #"{"score":5}"#)
            #expect(r.status == .conflict && r.json["error"]?.stringValue == "NOTHING-TO-RATE", "not finished")
            try await w.ok(.clerk, ["op": "call", "window": 1])
            try await w.ok(.clerk, ["op": "finish", "window": 1])
            let done = try await client.execute(uri: "/api\(first)", method: .get)
            #expect(done.json["ticket"]?["can_rate"]?.boolValue == true)
            for (body, token) in [
                (#"{"score":2}"#, "BAD-REQUEST"), (#"{"score":1,"reason":"  "}"#, "BAD-REQUEST"),
                (#"{"score":6}"#, "BAD-REQUEST"), (#"{"score":"5"}"#, "BAD-REQUEST"), ("score=5", "BAD-REQUEST"),
                (#"{"score":3,"reason":"\#(String(repeating: "慢", count: 201))"}"#, "BAD-REQUEST"),
                (#"{"score":3,"reason":"a\u0000b"}"#, "BAD-REQUEST"),
            ] {
                r = try await rate(client, first, body)
                #expect(r.status == .badRequest && r.json["error"]?.stringValue == token, "\(body)")
            }
            r = try await rate(client, first, #"{"score":3,"pad":"\#(String(repeating: "x", count: 9000))"}"#)
            #expect(r.status == .contentTooLarge && r.json["error"]?.stringValue == "TOO-LONG")
            r = try await rate(client, first, #"{"score":2,"reason":"等候太久\n窗口少"}"#)
            #expect(r.status == .ok)
            #expect(r.json["ticket"]?["rating"]?.intValue == 2)
            #expect(r.json["ticket"]?["can_rate"]?.boolValue == false)
            r = try await rate(client, first, #"{"score":5}"#)
            #expect(r.status == .conflict && r.json["error"]?.stringValue == "ALREADY-RATED")
            // The window's keypad cannot rate it a second time either.
            let keypad = await w.hall.ask(.clerk, ["op": "rate", "window": 1, "score": 5])
            #expect(keypad.token == "ALREADY-RATED")

            // Past rating_s (300 s): too late.
            try await w.ok(.clerk, ["op": "call", "window": 1])
            try await w.ok(.clerk, ["op": "finish", "window": 1])
            w.advance(seconds: 301)
            r = try await rate(client, second, #"{"score":4}"#)
            #expect(r.status == .conflict && r.json["error"]?.stringValue == "NOTHING-TO-RATE")
            // A no-show has nothing to rate.
            try await w.ok(.clerk, ["op": "call", "window": 1])
            try await w.ok(.clerk, ["op": "noshow", "window": 1])
            r = try await rate(client, third, #"{"score":4}"#)
            #expect(r.status == .conflict && r.json["error"]?.stringValue == "NOTHING-TO-RATE")
        }
        let history = try await w.ok(.admin, ["op": "history", "ticket": "A001"])
        #expect(history["ticket"]?["rating"]?.intValue == 2)
        #expect(history["ticket"]?["rating_reason"]?.stringValue == "等候太久 窗口少")
        let rates = history["events"]?.arrayValue?.filter { $0["event"]?.stringValue == "rate" } ?? []
        #expect(rates.count == 1)
        #expect(rates.first?["role"]?.stringValue == "public")
        #expect(rates.first?["details"]?["source"]?.stringValue == "status_page")
        let day = String(first.split(separator: "/")[1])
        let stats = try await w.ok(.admin, ["op": "stats", "from": .string(day), "to": .string(day), "by": "total"])
        let row = stats["rows"]?.arrayValue?.first
        #expect(row?["rating_levels"] == ["1": 0, "2": 1, "3": 0, "4": 0, "5": 0])
        #expect(row?["rating_mean"]?.doubleValue == 2)
        let csv = await w.hall.lines(.admin, ["op": "export", "from": .string(day), "to": .string(day)])
            .compactMap { $0["csv_chunk"]?.stringValue }.joined()
        let lines = csv.split(separator: "\n")
        #expect(lines.first?.hasSuffix(",rating,rating_reason") == true)
        #expect(lines.contains { $0.hasPrefix("\(day),A001,") && $0.hasSuffix(",2,等候太久 窗口少") })
        await w.stop()
    }

    @Test("the window keypad's rate takes an optional reason")
    func keypadReason() async throws {
        let w = try await WebHall()
        _ = try await take(w)
        try await w.ok(.clerk, ["op": "signin", "window": 1, "clerk": "张三"])
        try await w.ok(.clerk, ["op": "call", "window": 1])
        try await w.ok(.clerk, ["op": "finish", "window": 1])
        let r = try await w.ok(.clerk, ["op": "rate", "window": 1, "score": 1, "reason": "态度不好"])
        #expect(r["ticket"]?["rating_reason"]?.stringValue == "态度不好")
        await w.stop()
    }
}
