import Testing

@testable import HallqCore

/// One rule for what a window shows, whatever face draws it.
@Suite("WindowView: what a window shows now")
struct WindowViewTests {
    @Test("closed, idle, paused; a call flashes for call_hold_s from its time, then the ticket is in hand")
    func states() throws {
        var config = testConfig()
        config.callHoldSeconds = 10
        var d = EngineDriver(config)
        #expect(WindowView.of(1, in: d.engine, now: d.now).state == .closed)
        try d.staff([1])
        #expect(WindowView.of(1, in: d.engine, now: d.now).state == .idle)
        try d.run(.pause(window: 1))
        #expect(WindowView.of(1, in: d.engine, now: d.now).state == .paused)
        try d.run(.resume(window: 1))
        _ = try d.take("A")
        let called = try d.call(1)
        let v = WindowView.of(1, in: d.engine, now: d.now)
        #expect(v.state == .calling && v.ticket?.label == called.label)
        #expect(v.flashingUntil == d.now + 10_000)
        // A rating, an announcement's report, any later event: the engine is the same, and
        // only the clock ends the flash.
        #expect(WindowView.of(1, in: d.engine, now: d.now + 9_999).isFlashing)
        #expect(!WindowView.of(1, in: d.engine, now: d.now + 10_000).isFlashing)
        // A clock set back before the call: no flash at all, never a longer one.
        #expect(!WindowView.of(1, in: d.engine, now: d.now - 1).isFlashing)
        // Without a clock (the board's tiles time the flash themselves): the state only.
        #expect(WindowView.of(1, in: d.engine, now: nil).flashingUntil == nil)
        d.advance(seconds: 30)
        try d.run(.start(window: 1))
        #expect(WindowView.of(1, in: d.engine, now: d.now).state == .serving)
    }

    @Test("a recall starts a new flash from its own time")
    func recall() throws {
        var config = testConfig()
        config.callHoldSeconds = 10
        var d = EngineDriver(config)
        try d.staff([1])
        _ = try d.take("A")
        _ = try d.call(1)
        d.advance(seconds: 60)
        #expect(!WindowView.of(1, in: d.engine, now: d.now).isFlashing)
        try d.run(.recall(window: 1))
        #expect(WindowView.of(1, in: d.engine, now: d.now).flashingUntil == d.now + 10_000)
    }
}

/// One rule for a double press, for the touchscreen and the button box.
@Suite("DoublePress: the same service again within seconds is the same press")
struct DoublePressTests {
    @Test("within the window the key repeats; another service, another lane or later, a new key")
    func keys() {
        var d = DoublePress()
        var n = 0
        func fresh() -> String {
            n += 1
            return "k\(n)"
        }
        #expect(d.key(service: "A", at: 100, fresh: fresh) == "k1")
        #expect(d.key(service: "A", at: 100.4, fresh: fresh) == "k1")
        #expect(d.key(service: "A", at: 100 + DoublePress.seconds - 0.01, fresh: fresh) == "k1")
        #expect(d.key(service: "A", at: 100 + DoublePress.seconds, fresh: fresh) == "k2")
        #expect(d.key(service: "B", at: 105, fresh: fresh) == "k3")
        #expect(d.key(service: "B", priority: true, at: 105.1, fresh: fresh) == "k4")
    }
}
