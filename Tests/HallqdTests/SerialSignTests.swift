import Foundation
import HallqClient
import HallqEncoders
import HallqProtocol
import HallqTestKit
import Testing

/// The hall with its signs on one emulated RS-485 adapter speaking Onbon.
let serialHallConfig =
    TestHallConfig.oneService(
        windows: 3, first: 12, signs: true, scope: { ["受理：资质认定", "受理：计量授权", "受理：特种设备"][$0 - 1] })
    + TestHallConfig.onbonBus() + """

        [lobby]
        bus = "signs"
        address = 20
        scroll = "办理流程"
        """

@Suite("signs on an emulated RS-485 adapter", .serialized, .onDaemonThreads)
struct SerialSignTests {
    func last(_ frames: [EmulatedSerial.Frame], _ dst: UInt16) -> String? { frames.last { $0.dst == dst }?.text }

    @Test("a call at window 3 reaches sign 3 as 请A012号到3号窗口, the lobby lists it, pause and idle texts follow")
    func callReachesSign() throws {
        let bus = try EmulatedSerial()
        let d = try DaemonHarness(config: serialHallConfig + "\n[signs]\ncall_hold_s = 1\n")
        try d.start(extraEnv: bus.environment)
        // On start every sign gets its current content.
        let start = bus.wait { f in [1, 2, 3, 20].allSatisfy { a in f.contains { $0.dst == a } } }
        #expect(last(start, 1) == "受理：资质认定" && last(start, 3) == "受理：特种设备")
        #expect(last(start, 20)?.contains("办理流程") == true)

        #expect(try d.ask(.kiosk, ["op": "take", "service": "A"])["ticket"]?["label"] == "A012")
        let clerk = try d.client(.clerk)
        #expect(try clerk.request(["op": "signin", "window": 3, "clerk": "张三"]).ok)
        #expect(try clerk.request(["op": "call", "window": 3]).ok)
        let called = bus.wait {
            self.last($0, 3) == "请A012号到3号窗口" && self.last($0, 20)?.contains("A012 → 3号窗口") == true
        }
        let frame = try #require(called.last { $0.dst == 3 })
        #expect(frame.text == "请A012号到3号窗口")
        #expect(frame.effect == OnbonDynamicArea.Effect.quickType.rawValue)
        #expect(OnbonEncoder.decode(frame.raw)?.dst == 3, "CRC checks")
        #expect(last(called, 20)?.contains("A012 → 3号窗口") == true)
        // After the configured hold the sign says what is being served, held still.
        let serving = bus.wait { self.last($0, 3) == "正在办理 A012" }.last { $0.dst == 3 }
        #expect(serving?.text == "正在办理 A012" && serving?.effect == OnbonDynamicArea.Effect.staticText.rawValue)

        #expect(try clerk.request(["op": "pause", "window": 2]).ok)
        #expect(bus.wait { self.last($0, 2) == "暂停服务" }.last { $0.dst == 2 }?.text == "暂停服务")
        #expect(try clerk.request(["op": "finish", "window": 3]).ok)
        #expect(
            bus.wait { self.last($0, 3) == "受理：特种设备" }.last { $0.dst == 3 }?.effect
                == OnbonDynamicArea.Effect.moveLeft.rawValue)
        #expect(try d.ask(.admin, ["op": "devices"])["devices"]?["buses"]?.arrayValue?.first?["health"] == "ok")
        #expect(d.stop() == 0)
    }

    @Test("a burst of calls is sent in order and each sign ends on its latest state")
    func burst() throws {
        let bus = try EmulatedSerial()
        let d = try DaemonHarness(config: serialHallConfig)
        try d.start(extraEnv: bus.environment)
        bus.wait { f in [1, 2, 3, 20].allSatisfy { a in f.contains { $0.dst == a } } }
        let kiosk = try d.client(.kiosk)
        let clerk = try d.client(.clerk)
        for _ in 0..<6 { _ = try kiosk.request(["op": "take", "service": "A"]) }
        for w in 1...3 { _ = try clerk.request(["op": "signin", "window": .int(Int64(w)), "clerk": .string("c\(w)")]) }
        bus.clear()
        // Window 1 calls three times in a row: A012, A013 (finishing A012), A014 …
        var expected: [Int: String] = [:]
        for w in [1, 1, 1, 2, 3, 2] {
            let r = try clerk.request(["op": "call", "window": .int(Int64(w))])
            expected[w] = "请\(r["ticket"]?["label"]?.stringValue ?? "?")号到\(w)号窗口"
        }
        let frames = bus.wait { f in expected.allSatisfy { self.last(f, UInt16($0.key)) == $0.value } }
        for (w, text) in expected { #expect(last(frames, UInt16(w)) == text) }
        // Per sign the calls arrive in the order they were made; skipped intermediate states are
        // fine (only the latest is kept), going back to an older one is not.
        let window1 = frames.filter { $0.dst == 1 }.map(\.text)
        let order = ["请A012号到1号窗口", "请A013号到1号窗口", "请A014号到1号窗口"]
        let positions = window1.compactMap { order.firstIndex(of: $0) }
        #expect(positions == positions.sorted(), "\(window1)")
        #expect(d.stop() == 0)
    }

    @Test("every sign is sent again periodically: signs forget their text on power loss")
    func refresh() throws {
        let bus = try EmulatedSerial()
        let d = try DaemonHarness(
            config: serialHallConfig.replacingOccurrences(of: "refresh_s = 600", with: "refresh_s = 1"))
        try d.start(extraEnv: bus.environment)
        let frames = bus.wait(seconds: 15) { f in [1, 2, 3, 20].allSatisfy { a in f.filter { $0.dst == a }.count >= 3 }
        }
        for a: UInt16 in [1, 2, 3, 20] {
            let mine = frames.filter { $0.dst == a }
            #expect(mine.count >= 3, "sign \(a) was sent \(mine.count) times")
            #expect(Set(mine.map(\.text)).count == 1, "a refresh repeats the same content")
        }
        #expect(d.stop() == 0)
    }

    @Test("the adapter vanishes: call still works; it comes back and every sign shows its current state")
    func vanishAndReturn() throws {
        let bus = try EmulatedSerial()
        let d = try DaemonHarness(config: serialHallConfig)
        try d.start(extraEnv: bus.environment)
        bus.wait { f in [1, 2, 3, 20].allSatisfy { a in f.contains { $0.dst == a } } }
        let clerk = try d.client(.clerk)
        _ = try d.ask(.kiosk, ["op": "take", "service": "A"])
        _ = try d.ask(.kiosk, ["op": "take", "service": "A"])
        _ = try clerk.request(["op": "signin", "window": 1, "clerk": "张三"])
        _ = try clerk.request(["op": "pause", "window": 2])

        try bus.unplug()
        // The queue does not wait for the bus.
        #expect(try clerk.request(["op": "call", "window": 1])["ticket"]?["label"] == "A012")
        #expect(try clerk.request(["op": "recall", "window": 1]).ok)
        let health = firstBusHealth(d, becomes: "down")
        #expect(health.hasPrefix("down"), "\(health)")
        #expect(try clerk.request(["op": "call", "window": 1])["ticket"]?["label"] == "A013")

        bus.clear()
        try bus.plug()
        let back = bus.wait(seconds: 15) { f in
            self.last(f, 1) == "请A013号到1号窗口" && self.last(f, 2) == "暂停服务" && self.last(f, 3) == "受理：特种设备"
                && self.last(f, 20)?.contains("A013 → 1号窗口") == true
        }
        #expect(last(back, 1) == "请A013号到1号窗口")
        #expect(last(back, 2) == "暂停服务")
        #expect(last(back, 3) == "受理：特种设备")
        #expect(last(back, 20)?.contains("A013 → 1号窗口") == true)
        #expect(d.log.contains("sign bus up"))
        #expect(d.stop() == 0)
    }
}

@Suite("Alpha and plain signs on an emulated adapter", .serialized, .onDaemonThreads)
struct OtherSignProtocolTests {
    /// The serial hall with another protocol and English texts (Alpha signs have no CJK glyphs).
    func config(_ proto: String) -> String {
        let english = """

            [texts]
            call = "Ticket {ticket} to window {window}"
            serving = "Serving {ticket}"
            paused = "Closed"
            lobby_call = "{ticket} -> {window}"
            lobby_waiting = "{service}: {n}"
            """
        // 8N1: a pty (what umockdev backs the adapter with) refuses 7E1; that path has its own test.
        var c = serialHallConfig.replacingOccurrences(of: "protocol = \"onbon\"", with: "protocol = \"\(proto)\"")
        if proto == "alpha" {
            for (zh, en) in [
                ("资质认定", "Accreditation"), ("受理：资质认定", "Accreditation"), ("受理：计量授权", "Metrology"),
                ("受理：特种设备", "Equipment"), ("办理流程", "Fees and procedures"), ("测试大厅", "Test hall"),
            ] {
                c = c.replacingOccurrences(of: "\"\(zh)\"", with: "\"\(en)\"")
            }
            c += english
        }
        return c
    }

    @Test("Alpha: the call reaches address 3 as a write-text frame whose checksum holds")
    func alpha() throws {
        let bus = try EmulatedSerial()
        let d = try DaemonHarness(config: config("alpha"))
        try d.start(extraEnv: bus.environment)
        _ = try d.ask(.kiosk, ["op": "take", "service": "A"])
        let clerk = try d.client(.clerk)
        _ = try clerk.request(["op": "signin", "window": 3, "clerk": "Li"])
        _ = try clerk.request(["op": "call", "window": 3])
        func frames() -> [(address: Int, mode: UInt8, text: String)] {
            bus.bytes.split(separator: 0x04).compactMap { AlphaEncoder.decode(Array($0) + [0x04]) }
                .map { ($0.address, $0.mode, String(decoding: $0.text, as: UTF8.self)) }
        }
        #expect(eventually { frames().contains { $0.address == 3 && $0.text == "Ticket A012 to window 3" } })
        let call = frames().last { $0.address == 3 }
        #expect(call?.mode == UInt8(ascii: "c"), "flashing")
        // The lobby frame follows the window's on the same bus.
        #expect(eventually { frames().contains { $0.address == 20 && $0.text.contains("A012 -> 3") } })
        #expect(d.stop() == 0)
    }

    @Test("plain: the call arrives as a GB2312 line with CRLF")
    func plain() throws {
        let bus = try EmulatedSerial()
        let d = try DaemonHarness(config: config("plain"))
        try d.start(extraEnv: bus.environment)
        _ = try d.ask(.kiosk, ["op": "take", "service": "A"])
        let clerk = try d.client(.clerk)
        _ = try clerk.request(["op": "signin", "window": 3, "clerk": "李四"])
        _ = try clerk.request(["op": "call", "window": 3])
        let want = GBText.encode("请A012号到3号窗口")! + [0x0D, 0x0A]
        #expect(eventually { bus.bytes.split(separator: 0x0A).contains { Array($0) + [0x0A] == want } })
        #expect(d.stop() == 0)
    }
}

@Suite("a serial bus that cannot be set up", .onDaemonThreads)
struct SerialSetupFailureTests {
    @Test("an adapter that is not plugged in: the bus is down with \"no such device\", hallqd keeps serving")
    func missingAdapter() throws {
        var config = serialHallConfig
        let path = try #require(config.range(of: #"path = "[^"]*""#, options: .regularExpression))
        config.replaceSubrange(path, with: #"path = "/dev/hallq/no-such-adapter""#)
        let d = try DaemonHarness(config: config)
        try d.start()
        let health = firstBusHealth(d, becomes: "down")
        #expect(health.hasPrefix("down"), "\(health)")
        #expect(health.contains("no such device") && !health.contains("invalid argument"), "\(health)")
        #expect(try d.ask(.kiosk, ["op": "take", "service": "A"]).ok)
        #expect(d.stop() == 0)
    }

    @Test("settings the adapter refuses: the bus is reported down with the reason, hallqd keeps serving")
    func refusedSettings() throws {
        let bus = try EmulatedSerial()
        // The emulated adapter is a pty, and ptys refuse 7 data bits with even parity.
        let d = try DaemonHarness(
            config: serialHallConfig.replacingOccurrences(
                of: "protocol = \"onbon\"", with: "protocol = \"onbon\"\ndata_bits = 7\nparity = \"even\""))
        try d.start(extraEnv: bus.environment)
        let health = firstBusHealth(d, becomes: "down: set")
        #expect(health.hasPrefix("down: set"), "\(health)")
        #expect(try d.ask(.kiosk, ["op": "take", "service": "A"]).ok)
        usleep(1_500_000)  // a few reopen attempts, each failing the same way
        #expect(d.process?.isRunning == true)
        #expect(d.stop() == 0)
    }
}

/// The first bus's health as `devices` reports it, once it starts with `prefix` (or the last one
/// seen when it does not within `eventually`'s time).
func firstBusHealth(_ d: DaemonHarness, becomes prefix: String) -> String {
    var health = ""
    _ = eventually {
        health =
            (try? d.ask(.admin, ["op": "devices"]))?["devices"]?["buses"]?.arrayValue?.first?["health"]?.stringValue
            ?? ""
        return health.hasPrefix(prefix)
    }
    return health
}
