import Testing

@testable import HallqCore

/// The engine given a wall time that steps and a monotonic reading that does not.
@Suite("Queue engine across clock steps")
struct ClockStepEngineTests {
    /// Applies commands with a wall clock and a monotonic clock that can be moved apart.
    struct SteppingEngineDriver {
        var engine = QueueEngine(config: testConfig())
        var wall: Millis = monday9am
        var mono: Int64 = 1_000_000
        var boot = "boot-1"

        mutating func pass(seconds: Double) {
            wall += Millis(seconds * 1000)
            mono += Int64(seconds * 1000)
        }
        mutating func step(seconds: Double) { wall += Millis(seconds * 1000) }

        @discardableResult
        mutating func run(_ c: Command) throws(HallError) -> Effects {
            try engine.apply(c, at: wall, mono: MonoStamp(boot: boot, ms: mono))
        }
        mutating func take(_ s: String) throws -> Ticket {
            try #require(try run(.take(service: s, key: nil)).subject.issued).ticket
        }
    }

    @Test("a ticket taken after a step back waits behind those taken before it")
    func orderBySequence() throws {
        var c = SteppingEngineDriver()
        let a = try c.take("A")
        c.pass(seconds: 5)
        c.step(seconds: -3600)
        let b = try c.take("A")
        #expect(b.queuedAt < a.queuedAt, "the wall clock went back")
        #expect(c.engine.ahead(of: b) == 1)
        try c.run(.signin(window: 1, clerk: "张三"))
        guard case let .ticket(first) = try c.run(.call(window: 1, ticket: nil)).subject else {
            Issue.record("no call")
            return
        }
        #expect(first.id == a.id)
    }

    @Test(
        "waits and service times come from the monotonic clock within a boot; across boots wall time clamped at 0, marked"
    )
    func durations() throws {
        var c = SteppingEngineDriver()
        _ = try c.take("A")
        try c.run(.signin(window: 1, clerk: "张三"))
        c.pass(seconds: 30)
        c.step(seconds: -3600)
        let call = try c.run(.call(window: 1, ticket: nil))
        #expect(call.events.first { $0.type == .call }?.details["waited_s"] == "30.000")
        c.pass(seconds: 120)
        c.step(seconds: 7200)
        let fin = try c.run(.finish(window: 1, outcome: .served))
        let leg = try #require(fin.legs.first)
        #expect(leg.waitMs == 30_000 && leg.serviceMs == 120_000 && leg.clockNote == nil)

        // A second ticket called in one boot and finished in the next: wall time, clamped, marked.
        _ = try c.take("A")
        _ = try c.run(.call(window: 1, ticket: nil))
        c.boot = "boot-2"
        c.mono = 5_000
        c.step(seconds: -60)
        let after = try #require(try c.run(.finish(window: 1, outcome: .served)).legs.first)
        #expect(after.serviceMs == 0 && after.clockNote == "wall-clock")
    }

    @Test("a clock step is an event with its size and changes no ticket")
    func clockEvent() throws {
        var c = SteppingEngineDriver()
        let out = try c.run(.clockStep(ms: -3_600_000))
        #expect(out.events.map(\.type) == [.clock] && out.events.first?.details["step_s"] == "-3600.000")
        #expect(out.tickets.isEmpty)
    }
}
