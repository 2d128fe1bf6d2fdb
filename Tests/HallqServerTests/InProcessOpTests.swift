import Foundation
import HallqCore
import HallqProtocol
import HallqTestKit
import Testing

/// Op-level behaviour through the real Hall, DeviceHub and Dispatcher on a real SQLite file,
/// without a process or a socket (HallqTestKit's in-process mode): milliseconds per test.
@Suite("ops in process")
struct InProcessOpTests {
    @Test("every op a clerk and an admin have, with its reply fields; each role's refusals")
    func everyOp() async throws {
        let h = try InProcessHall()
        let services = await h.ask(.kiosk, ["op": "services"])
        #expect(services["services"]?.arrayValue?.map { $0["id"]?.stringValue ?? "" } == ["A", "B", "C"])
        #expect(services["services"]?.arrayValue?.first?["windows"] == [1, 2, 3, 4])
        for _ in 0..<3 { #expect(await h.ask(.kiosk, ["op": "take", "service": "A"]).ok) }
        #expect(await h.ask(.kiosk, ["op": "take", "service": "C"])["ticket"]?["label"] == "C001")

        #expect(await h.ask(.clerk, ["op": "call", "window": 1]).token == "NOT-SIGNED-IN")
        #expect(await h.ask(.clerk, ["op": "signin", "window": 1, "clerk": "张三"])["window"]?["clerk"] == "张三")
        #expect(await h.ask(.clerk, ["op": "signin", "window": 3, "clerk": "张三"]).token == "CLERK-ELSEWHERE")
        #expect(await h.ask(.clerk, ["op": "call", "window": 1, "ticket": "A002"])["ticket"]?["label"] == "A002")
        #expect(await h.ask(.clerk, ["op": "start", "window": 1])["ticket"]?["state"] == "serving")
        #expect(await h.ask(.clerk, ["op": "start", "window": 1]).token == "ALREADY-STARTED")
        #expect(await h.ask(.clerk, ["op": "signout", "window": 1]).token == "TICKET-OPEN")
        let done = await h.ask(.clerk, ["op": "finish", "window": 1, "outcome": "referred"])
        #expect(done["ticket"]?["outcome"] == "referred" && done["window"]?["ticket"] == .null)
        #expect(await h.ask(.clerk, ["op": "rate", "window": 1, "score": 4])["ticket"]?["rating"] == 4)
        #expect(await h.ask(.clerk, ["op": "rate", "window": 1, "score": 4]).token == "ALREADY-RATED")

        #expect(await h.ask(.clerk, ["op": "call", "window": 1])["ticket"]?["label"] == "A001")
        let moved = await h.ask(.clerk, ["op": "transfer", "window": 1, "service": "C"])
        #expect(moved["ticket"]?["service"] == "C" && moved["ticket"]?["state"] == "waiting")
        #expect(await h.ask(.clerk, ["op": "pause", "window": 1])["window"]?["paused"] == true)
        #expect(await h.ask(.clerk, ["op": "call", "window": 1]).token == "WINDOW-PAUSED")
        #expect(await h.ask(.clerk, ["op": "resume", "window": 1])["window"]?["paused"] == false)
        #expect(await h.ask(.clerk, ["op": "signout", "window": 1]).ok)
        #expect(await h.ask(.clerk, ["op": "call", "window": 9]).token == "UNKNOWN-WINDOW")

        #expect(await h.ask(.admin, ["op": "hall", "mode": "close"])["hall"] == "closed")
        #expect(await h.ask(.kiosk, ["op": "take", "service": "A"]).token == "HALL-CLOSED")
        #expect(await h.ask(.admin, ["op": "hall", "mode": "auto"])["hall"] == "auto")
        let status = await h.ask(.kiosk, ["op": "status"])
        #expect(status["services"]?.arrayValue?.first { $0["id"] == "C" }?["waiting"] == 2)
        #expect(status["devices"]?["printer"]?["kind"] == "virtual")
        #expect(await h.ask(.admin, ["op": "devices"])["devices"]?["buses"]?.arrayValue?.first?["name"] == "signs")

        #expect(
            await eventuallyAsync {
                await h.ask(.admin, ["op": "history", "ticket": "A002"])["ticket"]?["print"] == "printed"
            })
        let again = await h.ask(.admin, ["op": "reprint", "ticket": "A002"])
        #expect(again["ticket"]?["print"] == "printed")
        #expect(await h.ask(.admin, ["op": "reprint", "ticket": "Z999"]).token == "UNKNOWN-TICKET")
        let day = try #require(status["hall"]?["day"]?.stringValue)
        let stats = await h.ask(.admin, ["op": "stats", "from": .string(day), "to": .string(day), "by": "total"])
        #expect(stats["rows"]?.arrayValue?.first?["issued"] == 4)
        #expect(await h.ask(.admin, ["op": "export", "from": .string(day), "to": .string(day)])["count"] == 4)

        #expect(await h.ask(.admin, ["op": "reload"]).ok)
        try Data("[hall]\nname = 3\n".utf8).write(to: h.configURL)
        #expect(await h.ask(.admin, ["op": "reload"]).token == "BAD-CONFIG")
        #expect(await h.ask(.kiosk, ["op": "take", "service": "B"]).ok, "the running config stays")

        #expect(await h.ask(.kiosk, ["op": "call", "window": 1]).token == "NOT-ALLOWED")
        #expect(await h.ask(.clerk, ["op": "stats", "from": "2026-11-01", "to": "2026-11-02"]).token == "NOT-ALLOWED")
        #expect(await h.ask(.clerk, ["op": "users"]).token == "NOT-ALLOWED")
        #expect(
            await h.ask(.kiosk, ["op": "useradd", "name": "x", "role": "admin", "password": "12345678"]).token
                == "NOT-ALLOWED")
        #expect(await h.ask(.admin, ["op": "format-disk"]).token == "UNKNOWN-OP")
        await h.stop()
    }

    @Test("windows calling at once never get the same ticket")
    func concurrentCalls() async throws {
        let h = try InProcessHall()
        for _ in 0..<40 { #expect(await h.ask(.kiosk, ["op": "take", "service": "A"]).ok) }
        let labels = await withTaskGroup(of: [String].self) { group in
            for w in 1...4 {
                group.addTask {
                    _ = await h.ask(.clerk, ["op": "signin", "window": .int(Int64(w)), "clerk": .string("clerk\(w)")])
                    var mine: [String] = []
                    while case let r = await h.ask(.clerk, ["op": "call", "window": .int(Int64(w))]), r.ok,
                        let label = r["ticket"]?["label"]?.stringValue
                    {
                        mine.append(label)
                    }
                    return mine
                }
            }
            return await group.reduce(into: []) { $0 += $1 }
        }
        #expect(labels.count == 40)
        #expect(Set(labels).count == 40)
        await h.stop()
    }

    @Test("virtual printer out of paper refuses take; paper back, take works without a restart")
    func paperOut() async throws {
        let h = try InProcessHall()
        try Data("paper-out".utf8).write(to: h.printerStatusFile)
        #expect(await h.ask(.kiosk, ["op": "take", "service": "A"]).token == "PRINTER-PAPER-OUT")
        try Data("offline".utf8).write(to: h.printerStatusFile)
        #expect(await h.ask(.kiosk, ["op": "take", "service": "A"]).token == "PRINTER-OFFLINE")
        try FileManager.default.removeItem(at: h.printerStatusFile)
        let t = await h.ask(.kiosk, ["op": "take", "service": "A"])
        #expect(t["ticket"]?["label"] == "A001", "refused presses issued no number")
        #expect(t["ticket"]?["print"] == "pending", "the reply does not wait for the paper")
        // The print outcome arrives on the ticket's row shortly after.
        #expect(
            await eventuallyAsync {
                await h.ask(.admin, ["op": "history", "ticket": "A001"])["ticket"]?["print"] == "printed"
            })
        let printed = try String(contentsOf: h.stateDir.appendingPathComponent("printer/tickets.txt"), encoding: .utf8)
        #expect(printed.contains("A001") && printed.contains("前面还有 0 人等候"))
        #expect(await h.ask(.admin, ["op": "devices"])["devices"]?["printer"]?["health"] == "online")
        await h.stop()
    }

    @Test("window signs and the lobby follow the queue")
    func signs() async throws {
        // A long hold: the fresh call must still be flashing when a busy machine gets to look.
        let h = try InProcessHall(config: DaemonHarness.demoConfig + "\n[signs]\ncall_hold_s = 600\n")
        _ = await h.ask(.kiosk, ["op": "take", "service": "A"])
        _ = await h.ask(.clerk, ["op": "signin", "window": 1, "clerk": "张三"])
        _ = await h.ask(.clerk, ["op": "call", "window": 1])
        _ = await h.ask(.clerk, ["op": "pause", "window": 2])
        // The signs follow the commits asynchronously (on a busy machine, a good while later).
        #expect(
            await eventuallyAsync {
                h.sign(1).contains("请A001号到1号窗口") && h.sign(2).contains("暂停服务") && h.sign(20).contains("A001 → 1号窗口")
            })
        #expect(h.sign(1).contains("请A001号到1号窗口"))
        #expect(h.sign(3).contains("[scroll]"))
        #expect(h.sign(20).contains("办理流程与收费标准"))
        await h.stop()
    }

    /// A hall with a 600 s call hold and `[voice]` on a sound card that is not there: the
    /// announcer reports each call dropped at once, an `announce` event for its window right
    /// behind the call.
    static func hallWithoutSoundCard() throws -> InProcessHall {
        try InProcessHall(
            config: DaemonHarness.demoConfig
                + "\n[signs]\ncall_hold_s = 600\n\n[voice]\ndevice = \"hw:CARD=NoSuchCard\"\nclips = \"/nonexistent\"\n"
        )
    }

    /// Waits for `label`'s announcement in the log, then pauses window 2 and waits for its sign:
    /// the signs follow commits in order, so once that pause (committed last) is shown, window
    /// 1's sign has followed everything before it.
    static func signsCaughtUp(_ h: InProcessHall, announcing label: String) async -> Bool {
        let announced = await eventuallyAsync(30) {
            let events = await h.ask(.admin, ["op": "history", "ticket": .string(label)])["events"]?.arrayValue ?? []
            return events.contains { $0["event"] == "announce" }
        }
        _ = await h.ask(.clerk, ["op": "pause", "window": 2])
        let paused = await eventuallyAsync(30) { h.sign(2).contains("暂停服务") }
        return announced && paused
    }

    @Test("a call flashes for call_hold_s although the announcement's report names the window at once")
    func callHoldSurvivesAnnouncement() async throws {
        let h = try Self.hallWithoutSoundCard()
        _ = await h.ask(.kiosk, ["op": "take", "service": "A"])
        _ = await h.ask(.clerk, ["op": "signin", "window": 1, "clerk": "张三"])
        #expect(await h.ask(.clerk, ["op": "call", "window": 1]).ok)
        // Window 1's sign has followed the announcement's report: it must still be the call.
        #expect(await Self.signsCaughtUp(h, announcing: "A001"))
        #expect(h.sign(1).contains("请A001号到1号窗口"), "\(h.sign(1))")
        await h.stop()
    }

    @Test("voice with no clip pack, then a rating at the window: the call still flashes for call_hold_s")
    func callHoldSurvivesRating() async throws {
        let h = try Self.hallWithoutSoundCard()
        _ = await h.ask(.kiosk, ["op": "take", "service": "A"])
        _ = await h.ask(.kiosk, ["op": "take", "service": "A"])
        _ = await h.ask(.clerk, ["op": "signin", "window": 1, "clerk": "张三"])
        #expect(await h.ask(.clerk, ["op": "call", "window": 1]).ok)
        #expect(await h.ask(.clerk, ["op": "finish", "window": 1]).ok)
        #expect(await h.ask(.clerk, ["op": "call", "window": 1])["ticket"]?["label"] == "A002")
        // A001's rating arrives while A002's call flashes: a `rate` event that names window 1,
        // beside the announcement's report of the second call.
        #expect(await h.ask(.clerk, ["op": "rate", "window": 1, "score": 5]).ok)
        // Window 1's sign has followed the rating and the report too.
        #expect(await Self.signsCaughtUp(h, announcing: "A002"))
        #expect(h.sign(1).contains("请A002号到1号窗口"), "\(h.sign(1))")
        await h.stop()
    }

    @Test("a call's flash ends by itself after call_hold_s: the sign then says what is served")
    func callHoldEnds() async throws {
        let h = try InProcessHall(config: DaemonHarness.demoConfig + "\n[signs]\ncall_hold_s = 1\n")
        _ = await h.ask(.kiosk, ["op": "take", "service": "A"])
        _ = await h.ask(.clerk, ["op": "signin", "window": 1, "clerk": "张三"])
        #expect(await h.ask(.clerk, ["op": "call", "window": 1]).ok)
        #expect(await eventuallyAsync(30) { h.sign(1).contains("A001") && !h.sign(1).contains("请A001号到1号窗口") })
        await h.stop()
    }

    @Test("export comes in blocks of 500 tickets, the header first, then the count")
    func exportBlocks() async throws {
        let h = try InProcessHall(
            config: DaemonHarness.demoConfig.replacingOccurrences(
                of: "kind = \"virtual\"\n\n[[bus]]", with: "kind = \"none\"\n\n[[bus]]"))
        // C has numbers 1…999 (a day's range): 999 tickets are two blocks.
        for _ in 0..<999 { #expect(await h.ask(.kiosk, ["op": "take", "service": "C"]).ok) }
        let day = try #require(await h.ask(.admin, ["op": "status"])["hall"]?["day"]?.stringValue)
        let lines = await h.lines(.admin, ["id": 5, "op": "export", "from": .string(day), "to": .string(day)])
        #expect(lines.count == 3, "two blocks and the reply")
        #expect(lines.dropLast().allSatisfy { $0["id"] == 5 && $0["ok"] == nil && $0["csv_chunk"] != nil })
        #expect(lines.last == ["id": 5, "ok": true, "count": 999])
        let csv = lines.dropLast().compactMap { $0["csv_chunk"]?.stringValue }.joined()
        let rows = csv.split(separator: "\n")
        #expect(rows.first?.hasPrefix("day,ticket,") == true && rows.count == 1000)
        #expect(
            rows.dropFirst().map { $0.split(separator: ",")[1] }
                == (1...999).map { "C\(String(format: "%03d", $0))"[...] })
        await h.stop()
    }
}
