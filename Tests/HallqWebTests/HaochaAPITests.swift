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

/// 好差评 with cases over HTTP and the sockets (docs/HAOCHA.md), on the test's clock (Monday
/// 2026-11-30 08:53:20 in Shanghai): cases from the clerk's page, one record per case, the export
/// in both directions, a work order worked through by an admin with every step logged with its
/// account, overdue after the deadline, and the gauges.
@Suite struct HaochaAPITests {
    static let day = "2026-11-30"

    @Test(
        "cases over HTTP and the socket; two cases rated once are two records; the work order from open to closed with accounts; overdue and its gauges"
    )
    func hallDay() async throws {
        let w = try await StaffTests().hall()
        try await w.app.test(.router) { client in
            var clerk = StaffClient(client)
            _ = try await clerk.login("clerk", StaffTests.passwords["clerk"]!)
            var admin = StaffClient(client)
            _ = try await admin.login("admin", StaffTests.passwords["admin"]!)
            #expect(try await clerk.op("signin", ["window": 1]).status == .ok)
            try await w.ok(.kiosk, ["op": "take", "service": "A"])
            try await w.ok(.kiosk, ["op": "take", "service": "A"])
            try await w.ok(.kiosk, ["op": "take", "service": "A"])
            #expect(try await clerk.op("call", ["window": 1]).status == .ok)
            // One case from the clerk's page, one from the business system on the clerk socket.
            let first = try await clerk.op(
                "case", ["window": 1, "case_no": "330100202611300001", "item_code": "T001", "kind": "immediate"])
            #expect(first.status == .ok && first.json["ticket"]?["cases"]?.arrayValue?.count == 1, "\(first.text)")
            try await w.ok(.clerk, ["op": "case", "window": 1, "case_no": "330100202611300002", "item_name": "计量授权"])
            #expect(try await clerk.op("case", ["window": 2, "case_no": "X1"]).json["error"] == "NOT-YOUR-WINDOW")
            #expect(try await clerk.op("finish", ["window": 1]).status == .ok)
            // On the window page a 1 needs a content option of level 1.
            let bare = try await clerk.op("rate", ["window": 1, "score": 1, "channel": "window"])
            #expect(bare.status == .badRequest, "\(bare.text)")
            let wrong = try await clerk.op("rate", ["window": 1, "score": 1, "channel": "window", "contents": ["501"]])
            #expect(wrong.status == .badRequest)
            let rated = try await clerk.op(
                "rate", ["window": 1, "score": 1, "channel": "window", "contents": ["101", "103"], "reason": "等太久"])
            #expect(rated.status == .ok && rated.json["ticket"]?["rating"] == 1, "\(rated.text)")
            // A ticket without cases rates as before: no case record.
            #expect(try await clerk.op("call", ["window": 1]).status == .ok)
            #expect(try await clerk.op("finish", ["window": 1]).status == .ok)
            try await w.ok(.clerk, ["op": "rate", "window": 1, "score": 5])

            // The export: one row per case, 非常不满意 as GB/T 39046 codes it (5) and as Zhejiang does (1).
            let gbt = try await admin.op("ratings", ["from": .string(Self.day), "to": .string(Self.day)])
            #expect(gbt.json["direction"] == "best_is_1" && gbt.json["format"] == "gbt39046")
            let rows = gbt.json["rows"]?.arrayValue ?? []
            #expect(rows.map { $0["办件编号"] } == ["330100202611300001", "330100202611300002"], "\(gbt.text)")
            #expect(rows.allSatisfy { $0["满意度代码"] == 5 && $0["评价渠道"] == "政务大厅平板电脑" && $0["评价人"] == "" })
            let zj = try await admin.op(
                "ratings", ["from": .string(Self.day), "to": .string(Self.day), "format": "zj-offlinereport"])
            #expect(zj.json["rows"]?.arrayValue?.allSatisfy { $0["satisfaction"] == 1 && $0["pf"] == "5" } == true)
            #expect(zj.json["rows"]?.arrayValue?.first?["evalDetail"] == "101,103")
            #expect(zj.json["summary"]?["bad"] == 1 && zj.json["summary"]?["ratings"] == 2)
            #expect(
                try await admin.op("ratings", ["from": "2026-11-30", "to": "2026-11-30", "format": "xml"]).status
                    == .badRequest)

            // The work order: open, due Monday 7 December (five working days).
            let orders = try await admin.op("orders")
            let o = try #require(orders.json["orders"]?.arrayValue?.first, "\(orders.text)")
            #expect(o["state"] == "open" && o["due"] == "2026-12-07" && o["clerk"] == "clerk" && o["overdue"] == false)
            #expect(o["cases"]?.arrayValue?.count == 2 && orders.json["counts"]?["open"] == 1)
            let id = try #require(o["order"]?.intValue)
            // A clerk works no order (and so never marks their own 差评 invalid).
            let byClerk = try await clerk.op(
                "order_update", ["order": .int(id), "action": "claim_invalid", "reason": "mistaken", "note": "按错"])
            #expect(byClerk.status == .forbidden)
            func step(_ fields: [String: JSONValue]) async throws -> TestResponse {
                var f = fields
                f["order"] = .int(id)
                return try await admin.op("order_update", .object(f))
            }
            #expect(try await step(["action": "rectify"]).json["error"] == "ORDER-STATE")
            #expect(try await step(["action": "claim_invalid", "reason": "mistaken", "note": "群众按错键"]).status == .ok)
            // Nobody approves their own claim.
            let own = try await step(["action": "approve"])
            #expect(own.status == .forbidden && own.json["error"] == "NOT-ALLOWED", "\(own.text)")
            #expect(try await step(["action": "reject", "note": "录像显示有效"]).json["order"]?["state"] == "verified")
            #expect(try await step(["action": "rectify"]).status == .ok)
            #expect(try await step(["action": "rectified"]).status == .badRequest)  // needs a note
            #expect(try await step(["action": "rectified", "note": "增派人员"]).json["order"]?["state"] == "rectified")
            let visit = try await step([
                "action": "revisit", "contact": "phone", "result": "群众认可整改", "satisfied": true,
            ])
            #expect(visit.json["order"]?["state"] == "revisited", "\(visit.text)")
            #expect(try await step(["action": "close"]).json["order"]?["state"] == "closed")
            let history = try await admin.op("order", ["order": .int(id)])
            let steps = history.json["history"]?.arrayValue ?? []
            #expect(
                steps.map { $0["action"] } == [
                    "open", "claim_invalid", "reject", "rectify", "rectified", "revisit", "close",
                ], "\(history.text)")
            #expect(steps.dropFirst().allSatisfy { $0["account"] == "admin" })
            #expect(steps.first?["account"] == "clerk")  // the rating came through the clerk's page
            #expect(steps.last?["state"] == "closed" && steps[4]["note"] == "增派人员")

            // A second bad rating, by the evaluator (no content needed), goes overdue after its day.
            #expect(try await clerk.op("call", ["window": 1]).status == .ok)
            try await w.ok(.clerk, ["op": "case", "window": 1, "case_no": "330100202611300003"])
            #expect(try await clerk.op("finish", ["window": 1]).status == .ok)
            try await w.ok(.clerk, ["op": "rate", "window": 1, "score": 2])
            #expect(try await w.ok(.admin, ["op": "status"])["orders"]?["overdue"] == 0)
            w.advance(seconds: 8 * 86_400)  // Tuesday 8 December
            let status = try await w.ok(.admin, ["op": "status"])
            #expect(status["orders"]?["open"] == 1 && status["orders"]?["overdue"] == 1, "\(status.text)")
            #expect(status["haocha"] == nil)  // no [haocha]: nothing to upload
            let overdue = try await admin.op("orders", ["overdue": true])
            #expect(overdue.json["orders"]?.arrayValue?.count == 1 && overdue.json["counts"]?["closed"] == 1)
            let metrics = await w.faces.metrics.render()  // (the route serves loopback only)
            #expect(metrics.contains("hallq_rating_orders_overdue 1"), "\(metrics)")
            #expect(metrics.contains(#"hallq_rating_orders{state="closed"} 1"#))
            #expect(metrics.contains(#"hallq_rating_orders{state="open"} 1"#))
            // The printable monthly report carries the province's tally.
            let report = try await admin.get("/admin/report?month=2026-11")
            #expect(report.text.contains("办件好差评") && report.text.contains("回访率"), "\(report.text.prefix(300))")
        }
        await w.stop()
    }

    @Test(
        "the ticket's page offers the level's content options, needs one for a 1–2 on a ticket with cases, and offers a second rating after the return visit"
    )
    func statusPage() async throws {
        let w = try await WebHall()
        let page = TicketPageTests()
        let path = try await page.take(w)
        try await w.ok(.clerk, ["op": "signin", "window": 1, "clerk": "张三"])
        try await w.ok(.clerk, ["op": "call", "window": 1])
        try await w.ok(.clerk, ["op": "case", "window": 1, "case_no": "330100202611300021"])
        try await w.ok(.clerk, ["op": "finish", "window": 1])
        try await w.app.test(.router) { client in
            let shown = try await client.execute(uri: "/api\(path)", method: .get)
            #expect(shown.json["ticket"]?["cases"] == 1 && shown.json["ticket"]?["can_rate"] == true)
            let options = shown.json["contents"]?.arrayValue ?? []
            #expect(options.filter { $0["level"] == 2 }.map { $0["code"] } == ["201", "202", "203", "204"])
            // With cases, a 2 says why by its content options (words alone are not enough).
            var r = try await page.rate(client, path, #"{"score":2,"reason":"等太久"}"#)
            #expect(r.status == .badRequest, "\(r.text)")
            r = try await page.rate(client, path, #"{"score":2,"contents":["201"]}"#)
            #expect(r.status == .ok && r.json["ticket"]?["rating"] == 2, "\(r.text)")
            #expect(r.json["ticket"]?["can_rate"] == false)
            let qr = try await w.ok(
                .admin, ["op": "ratings", "from": "2026-11-30", "to": "2026-11-30", "format": "zj-offlinereport"])
            #expect(qr["rows"]?.arrayValue?.map { $0["pf"] } == ["3"])  // the QR code's channel
            // The return visit opens a second rating (评价次数 2) on the same page.
            for step: JSONValue in [
                ["action": "verify"], ["action": "rectify"], ["action": "rectified", "note": "已整改"],
                ["action": "revisit", "contact": "sms", "result": "已告知", "satisfied": true],
            ] {
                guard case var .object(f) = step else { continue }
                f["op"] = "order_update"
                f["order"] = 1
                f["account"] = "lead"
                try await w.ok(.admin, .object(f))
            }
            let again = try await client.execute(uri: "/api\(path)", method: .get)
            #expect(again.json["ticket"]?["can_rate"] == true && again.json["ticket"]?["rate_count"] == 2)
            r = try await page.rate(client, path, #"{"score":4}"#)
            #expect(
                r.status == .ok && r.json["ticket"]?["rating"] == 4 && r.json["ticket"]?["can_rate"] == false,
                "\(r.text)")
            #expect(try await page.rate(client, path, #"{"score":5}"#).status == .conflict)
            let rows = try await w.ok(.admin, ["op": "ratings", "from": "2026-11-30", "to": "2026-11-30"])["rows"]
            #expect(rows?.arrayValue?.map { $0["评价次数"] } == [1, 2] && rows?.arrayValue?.last?["满意度代码"] == 2)
        }
        await w.stop()
    }
}
