import Foundation
import GRDB
import HallqClient
import HallqEncoders
import HallqProtocol
import HallqTestKit
import Testing

/// Six window signs and the lobby screen on one emulated RS-485 line, each answering every Onbon
/// frame as the vendor document's controllers do (the emulated bus answers with the document's
/// own ACK and NACK frames).
let answeringHallConfig =
    TestHallConfig.oneService(
        windows: 6, first: 12, signs: true,
        // Window 6's scope holds a backslash (TOML "\\\\" is one), which must not start an escape.
        scope: { $0 == 6 ? "材料见 A\\\\B 栏" : "受理\($0)" })
    + TestHallConfig.onbonBus(extra: "reply_timeout_ms = 200") + """

        [lobby]
        bus = "signs"
        address = 20
        scroll = "办理流程"
        height = 64
        """

@Suite("signs that answer each frame", .serialized, .onDaemonThreads)
struct SignReplyTests {
    func last(_ frames: [EmulatedSerial.Frame], _ dst: UInt16) -> EmulatedSerial.Frame? {
        frames.last { $0.dst == dst }
    }

    func signHealth(_ d: DaemonHarness) throws -> [Int: String] {
        let signs =
            try d.ask(.admin, ["op": "devices"])["devices"]?["buses"]?.arrayValue?.first?["signs"]?.arrayValue ?? []
        var out: [Int: String] = [:]
        for s in signs {
            if case let .int(a)? = s["address"], let h = s["health"]?.stringValue { out[Int(a)] = h }
        }
        return out
    }

    /// Takes tickets, signs six clerks in and has every window call twice; the sign texts to expect.
    func burst(_ d: DaemonHarness) throws -> [Int: String] {
        let kiosk = try d.client(.kiosk)
        let clerk = try d.client(.clerk)
        for _ in 0..<12 { #expect(try kiosk.request(["op": "take", "service": "A"]).ok) }
        for w in 1...6 {
            #expect(try clerk.request(["op": "signin", "window": .int(Int64(w)), "clerk": .string("c\(w)")]).ok)
        }
        var expected: [Int: String] = [:]
        for _ in 0..<2 {
            for w in 1...6 {
                let r = try clerk.request(["op": "call", "window": .int(Int64(w))])
                expected[w] = "请\(r["ticket"]?["label"]?.stringValue ?? "?")号到\(w)号窗口"
            }
        }
        return expected
    }

    @Test(
        "a burst of calls to six signs never sends a frame while a sign answers; lobby lines and a backslash arrive escaped"
    )
    func noCollisions() throws {
        let bus = try EmulatedSerial()
        let d = try DaemonHarness(config: answeringHallConfig)
        try d.start(extraEnv: bus.environment)
        let start = bus.wait { f in
            (1...6).allSatisfy { a in f.contains { $0.dst == a } } && f.contains { $0.dst == 20 }
        }
        // Window 6's idle scope: the backslash went out as the full-width ＼ (A3 DC), no raw 5C.
        let scope = try #require(last(start, 6))
        let scopeText = try #require(OnbonEncoder.decode(scope.raw).flatMap { OnbonDynamicArea.text(in: $0.data) })
        #expect(scopeText == GBText.encode("材料见 A＼B 栏"))
        #expect(!scopeText.contains(0x5C))

        let expected = try burst(d)
        let frames = bus.wait(seconds: 20) { f in expected.allSatisfy { self.last(f, UInt16($0.key))?.text == $0.value }
        }
        for (w, text) in expected { #expect(last(frames, UInt16(w))?.text == text) }
        let stats = try bus.stats()
        #expect(stats.frames >= 7 + 6, "start-up plus at least one call per window: \(stats)")
        #expect(stats.collisions == 0, "frames sent while a sign was answering: \(stats)")
        var health: [Int: String] = [:]
        #expect(
            try eventually {
                health = try signHealth(d)
                return health.count == 7
            }, "\(health)")
        #expect(health.values.allSatisfy { $0 == "ok" }, "\(health)")

        // The lobby's lines are separate lines: the document's \n escape between them.
        let lobby = bus.wait { f in self.last(f, 20)?.text.contains("A023") == true }
        let lines = try #require(last(lobby, 20)).text.components(separatedBy: "\\n")
        #expect(lines.contains("A023 → 6号窗口"), "\(lines)")
        #expect(lines.contains("资质认定 等候 0 人"), "\(lines)")
        #expect(lines.last == "办理流程", "\(lines)")
        #expect(d.stop() == 0)
    }

    @Test("a NACKing sign and a silent sign are reported degraded and logged; the others keep updating")
    func degradedSigns() throws {
        let bus = try EmulatedSerial()
        try bus.reply(2, .nack)
        try bus.reply(5, .silent)
        let d = try DaemonHarness(config: answeringHallConfig)
        try d.start(extraEnv: bus.environment)
        bus.wait { f in (1...6).allSatisfy { a in f.contains { $0.dst == a } } }
        let expected = try burst(d)
        // Every sign still gets its latest content, the failing ones included.
        let frames = bus.wait(seconds: 20) { f in expected.allSatisfy { self.last(f, UInt16($0.key))?.text == $0.value }
        }
        for (w, text) in expected { #expect(last(frames, UInt16(w))?.text == text) }
        var health: [Int: String] = [:]
        #expect(
            try eventually {
                health = try signHealth(d)
                return health[2]?.hasPrefix("degraded") == true && health[5]?.hasPrefix("degraded") == true
            }, "\(health)")
        #expect(health[2] == "degraded: NACK 5 (CRC16 checksum error)")
        #expect(health[5] == "degraded: no reply within 200 ms")
        for a in [1, 3, 4, 6, 20] { #expect(health[a] == "ok", "sign \(a): \(health[a] ?? "-")") }
        #expect(try bus.stats().collisions == 0)
        #expect(d.log.contains("sign degraded"))
        // The event log has the change, so a hall can see when the sign died.
        let db = try DatabaseQueue(path: d.stateDir.appendingPathComponent("hallq.sqlite").path)
        var logged: [String] = []
        #expect(
            try eventually {
                logged = try db.read {
                    try String.fetchAll($0, sql: "SELECT details FROM events WHERE type = 'device' ORDER BY seq")
                }
                .map { $0.replacingOccurrences(of: "\\/", with: "/") }
                return logged.contains { $0.contains("sign signs/5") && $0.contains("no reply") }
                    && logged.contains { $0.contains("sign signs/2") && $0.contains("NACK") }
            }, "\(logged)")
        #expect(!logged.contains { $0.contains("sign signs/1") }, "a sign fine from the start is not news")

        // The silent sign comes back: its next update is answered and it is ok again.
        try bus.reply(5, .ack)
        _ = try d.ask(.clerk, ["op": "finish", "window": 5])
        #expect(
            try eventually {
                health = try signHealth(d)
                return health[5] == "ok"
            }, "\(health)")
        #expect(d.stop() == 0)
        #expect(d.log.contains("sign answers again"))
    }
}
