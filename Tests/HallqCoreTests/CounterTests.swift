import Foundation
import Testing

@testable import HallqCore

@Suite("Counter buttons")
struct CounterTests {
    @Test("the same key within 300 ms counts once; another key, or the same one later, counts")
    func bounce() {
        var f = PressFilter()
        // The third is 350 ms after the first but 250 ms after the second: a resend chain is one press.
        let presses: [(String, Double)] = [
            ("call", 10.0), ("call", 10.1), ("call", 10.35), ("call", 10.7), ("recall", 10.75), ("call", 10.8),
        ]
        let counted = presses.map { f.accept($0.0, at: $0.1) }
        #expect(counted == [true, false, false, true, true, true])
    }

    @Test("the pause key pauses a working window and resumes a paused one")
    func pauseToggles() throws {
        var d = EngineDriver()
        try d.staff([1])
        let press = CounterPress.action(.pause, window: 1)
        #expect(try press.command(in: d.engine).get() == .pause(window: 1))
        try d.run(.pause(window: 1))
        #expect(try press.command(in: d.engine).get() == .resume(window: 1))
    }

    @Test("a transfer without a target window is refused before it reaches the queue")
    func transferNeedsWindow() throws {
        let d = EngineDriver()
        #expect(throws: HallError.self) { try CounterPress.action(.transfer, window: 1).command(in: d.engine).get() }
        #expect(
            try CounterPress.action(.transfer, window: 1, toWindow: 2).command(in: d.engine).get()
                == .transfer(window: 1, toService: nil, toWindow: 2))
    }

    @Test("a window keypad: default number-pad keys, and transfer then a digit picks the window")
    func windowKeypad() {
        var k = WindowKeypad(window: 3)
        let keys: [(String, Double)] = [
            ("KEY_KPENTER", 0), ("KEY_KPPLUS", 1),
            ("KEY_KP2", 2),  // a digit alone means nothing
            ("KEY_KPSLASH", 3),  // arms
            ("KEY_KP2", 4),
            ("KEY_KP2", 5),  // disarmed by its use
            ("KEY_KPSLASH", 6), ("KEY_KP1", 6 + WindowKeypad.armSeconds + 1),  // too late
            ("KEY_KPDOT", 30),
        ]
        let presses = keys.map { k.press($0.0, at: $0.1) }
        #expect(
            presses == [
                .action(.call, window: 3), .action(.recall, window: 3), nil, nil,
                .action(.transfer, window: 3, toWindow: 2), nil, nil, nil, .action(.pause, window: 3),
            ])
        #expect(WindowKeypad.digit("KEY_7") == 7 && WindowKeypad.digit("KEY_KP0") == 0)
        #expect(WindowKeypad.digit("KEY_F1") == nil && WindowKeypad.digit("KEY_KPENTER") == nil)
    }
}
