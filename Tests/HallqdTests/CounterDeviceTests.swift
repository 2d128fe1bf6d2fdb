import Foundation
import GRDB
import HallqClient
import HallqCore
import HallqEncoders
import HallqProtocol
import HallqTestKit
import Testing

/// A hall of three windows whose window 3 has a caller at address 3 on an emulated RS-485 line.
let callerHallConfig =
    TestHallConfig.oneService(windows: 3) + """

        [[bus]]
        name = "callers"
        kind = "serial"
        path = "/dev/hallq/callers"
        protocol = "caller"
        gap_ms = 0

        [[caller]]
        bus = "callers"
        address = 3
        window = 3
        """

/// The frames hallqd sent on the caller line after `offset` bytes.
func callerFrames(_ bus: EmulatedSerial, from offset: Int = 0) -> [CallerFrame] {
    var reader = CallerFrameReader()
    let all = bus.bytes
    guard all.count > offset else { return [] }
    return reader.feed(Array(all[offset...])).compactMap { if case let .frame(f) = $0 { f } else { nil } }
}

/// A caller's key frame: the data bytes, last the key (HARDWARE.md §4).
func key(_ address: UInt8 = 3, _ data: UInt8...) -> [UInt8] {
    CallerFrame(address: address, function: 1, data: data).bytes
}

@Suite("window callers on an emulated RS-485 line, keypads as emulated evdev devices", .serialized, .onDaemonThreads)
struct CounterDeviceTests {
    /// The call key frame exactly as ../shared/HARDWARE.md prints it.
    static let callKeyFromDocument: [UInt8] = [0xFF, 0x68, 0x03, 0x03, 0x68, 0x03, 0x01, 0x0C, 0x10, 0x16]

    func window(_ d: DaemonHarness, _ n: Int64) throws -> JSONValue? {
        try d.ask(.clerk, ["op": "status"])["windows"]?.arrayValue?.first { $0["window"] == .int(n) }
    }

    func history(_ d: DaemonHarness, _ label: String) throws -> [JSONValue] {
        try d.ask(.admin, ["op": "history", "ticket": .string(label)])["events"]?.arrayValue ?? []
    }

    /// Sends `bytes` as the caller and waits until hallqd has echoed them (its acknowledgement).
    func press(_ bus: EmulatedSerial, _ bytes: [UInt8], ack: [UInt8]? = nil) throws -> Int {
        let mark = bus.captured
        try bus.send(bytes)
        let echo = ack ?? bytes
        #expect(eventually { callerFrames(bus, from: mark).contains { $0.bytes == echo } }, "acknowledged")
        return mark
    }

    @Test("caller 3 alone runs window 3: call, recall, finish, evaluator score; history says caller")
    func callerRunsWindow() throws {
        let bus = try EmulatedSerial(link: "hallq/callers")
        let d = try DaemonHarness(config: callerHallConfig)
        try d.start(extraEnv: bus.environment)
        // At start the caller shows its window: nothing waiting, no ticket.
        let idle = CallerProtocol.display(address: 3, waiting: 0, ticket: nil)
        #expect(eventually { callerFrames(bus).contains(idle) })

        for _ in 0..<2 { _ = try d.ask(.kiosk, ["op": "take", "service": "A"]) }
        #expect(eventually { callerFrames(bus).last { $0.function == 2 } == .display(3, waiting: 2, ticket: nil) })

        // No clerk at window 3: two beeps, nothing called.
        var mark = try press(bus, Self.callKeyFromDocument)
        #expect(
            eventually { callerFrames(bus, from: mark).filter { $0 == CallerProtocol.beep(address: 3) }.count == 2 })
        #expect(try history(d, "A001").map { $0["event"] } == ["take"])

        #expect(try d.ask(.clerk, ["op": "signin", "window": 3, "clerk": "张三"]).ok)
        Thread.sleep(forTimeInterval: 0.35)  // the same key again, past the bounce window
        mark = try press(bus, Self.callKeyFromDocument)
        #expect(eventually { callerFrames(bus, from: mark).contains(.display(3, waiting: 1, ticket: 1)) })
        #expect(try window(d, 3)?["ticket"] == "A001")

        // Recall, sent twice within 300 ms (a resend or a bounce): one recall.
        try bus.send(key(3, 0x0D))
        _ = try press(bus, key(3, 0x0D))
        #expect(try eventually { try self.history(d, "A001").contains { $0["event"] == "recall" } })
        // The evaluate key finishes the ticket in hand, and the evaluator rates it (key 1: 非常满意).
        Thread.sleep(forTimeInterval: 0.35)
        mark = try press(bus, key(3, 0x0B))
        #expect(eventually { callerFrames(bus, from: mark).contains(.display(3, waiting: 1, ticket: nil)) })
        _ = try press(
            bus, [0xFF, 0x68, 0x03, 0x03, 0x68, 0x03, 0x11, 0x01, 0x15, 0x16],
            ack: [0xFF, 0x68, 0x03, 0x03, 0x68, 0x03, 0x01, 0x01, 0x05, 0x16])
        #expect(try eventually { try self.history(d, "A001").contains { $0["event"] == "rate" } })

        let steps = try history(d, "A001")
        #expect(steps.map { $0["event"]?.stringValue ?? "?" } == ["take", "call", "recall", "finish", "rate"])
        for s in steps.dropFirst() { #expect(s["role"] == "caller", "\(s)") }
        let ticket = try d.ask(.admin, ["op": "history", "ticket": "A001"])["ticket"]
        #expect(ticket?["rating"] == 5 && ticket?["outcome"] == "served")
        #expect(steps.first { $0["event"] == "call" }?["clerk"] == "张三")

        // The caller's last contact shows in devices.
        let callers = try d.ask(.admin, ["op": "devices"])["devices"]?["buses"]?.arrayValue?.first?["callers"]
        #expect(callers?.arrayValue?.first?["last_contact"]?.stringValue != nil)
        #expect(d.stop() == 0)
    }

    @Test("no-show is 6 then confirm, pause toggles, a transfer takes its window's digit; hold is refused")
    func digitsAndToggles() throws {
        let bus = try EmulatedSerial(link: "hallq/callers")
        let d = try DaemonHarness(config: callerHallConfig)
        try d.start(extraEnv: bus.environment)
        for _ in 0..<2 { _ = try d.ask(.kiosk, ["op": "take", "service": "A"]) }
        #expect(try d.ask(.clerk, ["op": "signin", "window": 3, "clerk": "张三"]).ok)
        _ = try press(bus, key(3, 0x0C))
        _ = try press(bus, key(3, 0x06, 0x0F))
        #expect(try eventually { try self.history(d, "A001").contains { $0["event"] == "noshow" } })
        _ = try press(bus, key(3, 0x0C))
        _ = try press(bus, key(3, 0x02, 0x13))  // transfer A002 to window 2
        #expect(try eventually { try self.history(d, "A002").contains { $0["event"] == "transfer" } })
        // Hold (0 + confirm) has no counterpart: two beeps.
        var mark = try press(bus, key(3, 0x00, 0x0F))
        #expect(
            eventually { callerFrames(bus, from: mark).filter { $0 == CallerProtocol.beep(address: 3) }.count == 2 })
        _ = try press(bus, key(3, 0x12))
        #expect(try eventually { try self.window(d, 3)?["paused"] == true })
        Thread.sleep(forTimeInterval: 0.35)  // past the bounce window: a second press, not a repeat
        mark = try press(bus, key(3, 0x12))
        #expect(try eventually { try self.window(d, 3)?["paused"] == false })
        #expect(d.stop() == 0)
    }

    @Test("garbage, bad checksums and an unknown address are logged and ignored; hallqd keeps serving")
    func hostileLine() throws {
        let bus = try EmulatedSerial(link: "hallq/callers")
        let d = try DaemonHarness(config: callerHallConfig)
        try d.start(extraEnv: bus.environment)
        #expect(try d.ask(.clerk, ["op": "signin", "window": 3, "clerk": "张三"]).ok)
        _ = try d.ask(.kiosk, ["op": "take", "service": "A"])
        let mark = bus.captured
        var bad = key(3, 0x0C)
        bad[8] ^= 0xFF
        try bus.send([0x00, 0x68, 0x99, 0x16] + bad + key(9, 0x0C) + key(9, 0x0C) + [0x68, 0x05])
        // The unknown address is logged once and never answered; nothing was called.
        #expect(eventually { d.log.contains("caller at an address not configured") })
        #expect(d.log.components(separatedBy: "caller at an address not configured").count == 2)
        #expect(eventually { d.log.contains("bad checksum from address 3") })
        #expect(!callerFrames(bus, from: mark).contains { $0.address == 9 })
        #expect(try history(d, "A001").map { $0["event"] } == ["take"])
        // The line still works, and so does everything else.
        _ = try press(bus, key(3, 0x0C))
        #expect(try eventually { try self.history(d, "A001").contains { $0["event"] == "call" } })
        #expect(try d.ask(.kiosk, ["op": "take", "service": "A"])["ticket"]?["label"] == "A002")
        #expect(d.stop() == 0)
    }

    @Test(
        "the caller line's adapter pulled: down in devices and the log, the queue unaffected; back, the digits return")
    func adapterPulled() throws {
        let bus = try EmulatedSerial(link: "hallq/callers")
        let d = try DaemonHarness(config: callerHallConfig)
        try d.start(extraEnv: bus.environment)
        #expect(try d.ask(.clerk, ["op": "signin", "window": 3, "clerk": "张三"]).ok)
        #expect(eventually { callerFrames(bus).contains(.display(3, waiting: 0, ticket: nil)) })
        func health() throws -> String? {
            try d.ask(.admin, ["op": "devices"])["devices"]?["buses"]?.arrayValue?.first?["health"]?.stringValue
        }
        try bus.unplug()
        #expect(try eventually { try health()?.hasPrefix("down") == true })
        // The event log has it (health is looked at every second).
        let db = try DatabaseQueue(path: d.stateDir.appendingPathComponent("hallq.sqlite").path)
        #expect(
            try eventually {
                try db.read {
                    try String.fetchAll($0, sql: "SELECT details FROM events WHERE type = 'device' ORDER BY seq")
                }.contains { $0.contains("callers") && $0.contains("down") }
            })
        // Nothing waits for the dead line.
        #expect(try d.ask(.kiosk, ["op": "take", "service": "A"])["ticket"]?["label"] == "A001")
        #expect(try d.ask(.clerk, ["op": "call", "window": 3])["ticket"]?["label"] == "A001")
        let mark = bus.captured
        try bus.plug()
        #expect(try eventually { try health() == "ok" })
        // The caller gets its window's current digits again, and its keys work.
        #expect(eventually { callerFrames(bus, from: mark).contains(.display(3, waiting: 0, ticket: 1)) })
        _ = try press(bus, key(3, 0x0D))
        #expect(try eventually { try self.history(d, "A001").contains { $0["event"] == "recall" } })
        #expect(d.stop() == 0)
    }

    // MARK: keypads

    static func keypadConfig(_ keypad: String) -> String {
        TestHallConfig.oneService(windows: 2) + "\n[[keypad]]\ndevice = \"\(EmulatedKeypad.path)\"\n" + keypad + "\n"
    }

    func waiting(_ d: DaemonHarness) throws -> JSONValue? {
        try d.ask(.kiosk, ["op": "status"])["services"]?.arrayValue?.first?["waiting"]
    }

    func keypadHealth(_ d: DaemonHarness) throws -> String? {
        try d.ask(.admin, ["op": "devices"])["devices"]?["keypads"]?.arrayValue?.first?["health"]?.stringValue
    }

    @Test(
        "a kiosk button box: one ticket per press even with auto-repeat or a double press, grabbed, from source keypad")
    func kioskButtons() throws {
        let pad = try EmulatedKeypad()
        let d = try DaemonHarness(
            config: Self.keypadConfig(
                "kiosk = true\nkeys = { KEY_1 = \"A\", KEY_2 = \"B\" }\n\n[[service]]\nid = \"B\"\nname = \"计量授权\""))
        try d.start(extraEnv: pad.environment)
        #expect(try eventually { try self.keypadHealth(d) == "ok" }, "\(d.log)")
        #expect(pad.grabbed, "the keypad is grabbed (EVIOCGRAB)")
        // KEY_1 (2, HID usage 0x7001e) held for 30 auto-repeats; pressed again 0.4 s after it
        // was let go (a double press: the same ticket, DoublePress); once more 4 s later (a new
        // ticket); then KEY_2 (B), whose ticket says every press before it has been run.
        let up = 0.25 + 30 * 0.033
        try pad.replay(
            EmulatedKeypad.press(2, scan: 0x7001E, repeats: 30) + EmulatedKeypad.press(2, scan: 0x7001E, at: up + 0.4)
                + EmulatedKeypad.press(2, scan: 0x7001E, at: up + 0.4 + DoublePress.seconds + 0.2)
                + EmulatedKeypad.press(3, scan: 0x7001F, at: up + 0.4 + DoublePress.seconds + 0.6))
        #expect(try eventually { try !self.history(d, "B001").isEmpty })
        #expect(try waiting(d) == 2)
        let take = try #require(try history(d, "A001").first)
        #expect(take["event"] == "take" && take["role"] == "keypad")
        #expect(try history(d, "A003").isEmpty)
        #expect(d.stop() == 0)
    }

    @Test(
        "a window keypad runs window 1 on the number pad; unplugged it is down (a device event), replugged it works again"
    )
    func windowKeypad() throws {
        let pad = try EmulatedKeypad()
        let d = try DaemonHarness(config: Self.keypadConfig("window = 1"))
        try d.start(extraEnv: pad.environment)
        #expect(try eventually { try self.keypadHealth(d) == "ok" })
        for _ in 0..<3 { _ = try d.ask(.kiosk, ["op": "take", "service": "A"]) }
        #expect(try d.ask(.clerk, ["op": "signin", "window": 1, "clerk": "李四"]).ok)
        #expect(try d.ask(.clerk, ["op": "signin", "window": 2, "clerk": "王五"]).ok)
        // Enter calls, + recalls, * finishes, Enter calls the next, / then 2 transfers it to
        // window 2, . pauses: linux/input-event-codes.h codes with their HID usages.
        let enter = (96, 0x70058)
        let plus = (78, 0x70057)
        let star = (55, 0x70055)
        let slash = (98, 0x70054)
        let two = (80, 0x7005A)
        let dot = (83, 0x70063)
        let day = [(enter, 0.0), (plus, 0.5), (star, 1.0), (enter, 1.5), (slash, 2.0), (two, 2.3), (dot, 2.8)]
        try pad.replay(day.map { EmulatedKeypad.press($0.0.0, scan: $0.0.1, at: $0.1) }.joined())
        #expect(try eventually { try self.window(d, 1)?["paused"] == true })
        let first = try history(d, "A001")
        #expect(first.map { $0["event"]?.stringValue ?? "?" } == ["take", "call", "recall", "finish"])
        for s in first.dropFirst() { #expect(s["role"] == "keypad" && s["clerk"] == "李四", "\(s)") }
        #expect(try history(d, "A002").map { $0["event"]?.stringValue ?? "?" } == ["take", "call", "transfer"])
        #expect(try d.ask(.admin, ["op": "history", "ticket": "A002"])["ticket"]?["target_window"] == 2)

        try pad.unplug()
        #expect(try eventually { try self.keypadHealth(d)?.hasPrefix("down") == true })
        // The event log has the unplug (and then the replug).
        let db = try DatabaseQueue(path: d.stateDir.appendingPathComponent("hallq.sqlite").path)
        func logged() throws -> [String] {
            try db.read {
                try String.fetchAll($0, sql: "SELECT details FROM events WHERE type = 'device' ORDER BY seq")
            }
        }
        #expect(try eventually { try logged().contains { $0.contains("keypad") && $0.contains("down") } })
        try pad.plug()
        #expect(try eventually { try self.keypadHealth(d) == "ok" })
        #expect(pad.grabbed)
        try pad.replay(EmulatedKeypad.press(83, scan: 0x70063) + EmulatedKeypad.press(96, scan: 0x70058, at: 0.5))
        #expect(try eventually { try self.history(d, "A003").contains { $0["event"] == "call" } })
        #expect(try window(d, 1)?["paused"] == false)
        #expect(d.log.contains("keypad down") && d.log.contains("keypad up"))
        #expect(try eventually { try logged().last { $0.contains("keypad") }?.contains("\"ok\"") == true })
        #expect(d.stop() == 0)
    }
}

extension CallerFrame {
    static func display(_ address: UInt8, waiting: Int?, ticket: Int?) -> CallerFrame {
        CallerProtocol.display(address: address, waiting: waiting, ticket: ticket)
    }
}
