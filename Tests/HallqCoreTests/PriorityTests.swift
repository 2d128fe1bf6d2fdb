import Foundation
import Testing

@testable import HallqCore

@Suite("Priority tickets (绿色通道)")
struct PriorityTests {
    /// One service A that issues priority tickets, one window serving it.
    static func hall(ratio: Int) -> HallConfig {
        var q = QueueRules()
        q.priorityRatio = ratio
        return HallConfig(
            name: "测试大厅", timeZone: "Asia/Shanghai", queue: q,
            services: [ServiceConfig(id: "A", name: "资质认定", priority: true), ServiceConfig(id: "B", name: "计量授权")],
            windows: [WindowConfig(number: 1, services: ["A", "B"])])
    }

    @Test(
        "a priority ticket is marked and goes before the normal tickets of its queue; a service without priority refuses"
    )
    func ahead() throws {
        var d = EngineDriver(Self.hall(ratio: 3))
        try d.staff([1])
        _ = try d.take("A")
        _ = try d.take("A")
        let p = try #require(try d.run(.take(service: "A", key: nil, priority: true)).subject.issued)
        #expect(p.ticket.greenChannel && p.ticket.priority && p.ahead == 0)
        #expect(d.token(.take(service: "B", key: nil, priority: true)) == "BAD-REQUEST")
        #expect(try d.call(1).label == p.ticket.label)
        #expect(try d.call(1).label == "A001")
    }

    @Test("with priority_ratio 3, after three priority calls the oldest normal ticket that waited longer goes next")
    func ratio() throws {
        var d = EngineDriver(Self.hall(ratio: 3))
        try d.staff([1])
        let normal = try d.take("A")
        d.advance(seconds: 10)
        for _ in 0..<5 { _ = try d.run(.take(service: "A", key: nil, priority: true)) }
        let order = try (0..<6).map { _ in try d.call(1) }
        #expect(order.map(\.greenChannel) == [true, true, true, false, true, true])
        #expect(order[3].label == normal.label)
        // 0 = strict: priority always first.
        var strict = EngineDriver(Self.hall(ratio: 0))
        try strict.staff([1])
        _ = try strict.take("A")
        for _ in 0..<5 { _ = try strict.run(.take(service: "A", key: nil, priority: true)) }
        #expect(try (0..<6).map { _ in try strict.call(1).greenChannel } == [true, true, true, true, true, false])
    }

    /// A busy day at one window, 90 s a ticket: a normal ticket every 6 minutes all day; priority
    /// tickets every 75 s through a morning peak of an hour (more than the window can serve),
    /// then every 10 minutes. Returns the longest wait of a normal ticket that was called, the
    /// normal tickets never called by closing, and the calls made.
    func busyDay(ratio: Int) throws -> (worstNormalWait: Int, normalsLeft: Int, calls: Int) {
        var d = EngineDriver(Self.hall(ratio: ratio))
        try d.staff([1])
        var issuedAt: [String: Int] = [:]
        var worst = 0
        var calls = 0
        let day = 8 * 3600
        var nextCall = 0
        var normalsIssued = 0
        var normalsCalled = 0
        for t in stride(from: 0, to: day, by: 15) {
            if t % 360 == 0 {
                issuedAt[try d.take("A").label] = t
                normalsIssued += 1
            }
            if t < 3600 ? t % 75 == 0 : t % 600 == 0 {
                let p = try #require(try d.run(.take(service: "A", key: nil, priority: true)).subject.issued)
                issuedAt[p.ticket.label] = t
            }
            if t >= nextCall, case let .ticket(c)? = try? d.run(.call(window: 1, ticket: nil)).subject {
                calls += 1
                if !c.greenChannel {
                    normalsCalled += 1
                    worst = max(worst, t - (issuedAt[c.label] ?? t))
                }
                nextCall = t + 90
            }
            d.advance(seconds: 15)
        }
        return (worst, normalsIssued - normalsCalled, calls)
    }

    @Test(
        "a busy day: with strict priority normal tickets wait out the whole priority backlog; priority_ratio 3 bounds their wait"
    )
    func simulation() throws {
        let strict = try busyDay(ratio: 0)
        let fair = try busyDay(ratio: 3)
        print(
            "busy day, one window: strict priority → worst normal wait \(strict.worstNormalWait) s, \(strict.normalsLeft) of 80 normal tickets never called; priority_ratio 3 → worst normal wait \(fair.worstNormalWait) s, \(fair.normalsLeft) never called (\(fair.calls) calls each)"
        )
        // Strict: the normal tickets of the morning wait until the priority backlog is gone.
        // Ratio 3: a normal ticket older than the priority tickets ahead goes within four
        // calls, so it never waits much longer than those priority tickets do.
        #expect(strict.worstNormalWait >= 3600)
        #expect(fair.worstNormalWait * 2 < strict.worstNormalWait)
        #expect(fair.normalsLeft <= strict.normalsLeft)
        #expect(fair.calls == strict.calls)
    }
}
