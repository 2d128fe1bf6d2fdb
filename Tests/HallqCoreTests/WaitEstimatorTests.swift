import Foundation
import Testing

@testable import HallqCore

/// The look-ahead on hand-made halls whose answers are known, on a made-up clock.
@Suite struct WaitEstimatorTests {
    static func hall(_ windows: [WindowConfig], services: [ServiceConfig]? = nil) -> EngineDriver {
        var q = QueueRules()
        q.defaultServiceSeconds = 300
        let config = HallConfig(
            name: "测试大厅", queue: q,
            services: services ?? [
                ServiceConfig(id: "A", name: "资质认定", priority: true), ServiceConfig(id: "B", name: "计量授权"),
            ],
            windows: windows)
        return EngineDriver(config, at: monday9am)
    }

    /// Serves `n` tickets of `service` at window `w`, each taking `seconds`: the service-time
    /// history the estimator learns from.
    static func history(_ b: inout EngineDriver, _ service: String, window w: Int, n: Int, seconds: [Double]) throws {
        for i in 0..<n {
            _ = try b.take(service)
            _ = try b.call(w)
            b.advance(seconds: seconds[i % seconds.count])
            try b.run(.finish(window: w, outcome: .served))
        }
    }

    static func medians(_ b: EngineDriver, _ service: String) -> [Double] {
        let e = WaitEstimator.estimate(b.engine, at: b.now)
        return b.engine.waiting(service: service).map { e.tickets[$0.id]?.range.median ?? -1 }
    }

    @Test("one window, one service, 300 s each: the k-th waiting ticket is called after about k × 300 s")
    func oneWindow() throws {
        var b = Self.hall([WindowConfig(number: 1, services: ["A"])])
        try b.staff([1])
        try Self.history(&b, "A", window: 1, n: 20, seconds: [300])
        for _ in 0..<4 { _ = try b.take("A") }
        let m = Self.medians(b, "A")
        #expect(m.count == 4)
        for (k, x) in m.enumerated() {
            #expect(abs(x - Double(k) * 300) <= 45 + Double(k) * 15, "ticket \(k): \(x) s")
        }
    }

    @Test("a window that serves A first and B only when A is empty: B waits for A's queue, not 0 min")
    func overlappingServices() throws {
        var b = Self.hall([WindowConfig(number: 1, services: ["A"]), WindowConfig(number: 2, services: ["A", "B"])])
        try b.staff([1, 2])
        try Self.history(&b, "A", window: 1, n: 20, seconds: [300])
        b.advance(seconds: 3600)
        for _ in 0..<4 { _ = try b.take("A") }
        let bTicket = try b.take("B")
        // The old formula: nobody ahead of it in B's queue, so no wait at all.
        #expect(b.engine.etaMinutes(service: "B", ahead: 0) == 0)
        // The windows take two A tickets each (at 0 and 300 s): window 2 is free for B at 600 s,
        // unless more A tickets come meanwhile (five tickets in the last half hour say some will).
        let e = WaitEstimator.estimate(b.engine, at: b.now)
        let r = try #require(e.tickets[bTicket.id]?.range)
        #expect(r.median > 450 && r.median < 1500, "\(r) \(Self.medians(b, "A"))")
        #expect(r.low > 400, "\(r)")
    }

    @Test("the ticket in hand has been served 250 s of a usual 300 s: the next one goes soon")
    func elapsedService() throws {
        func nextMedian(elapsed: Double) throws -> Double {
            var b = Self.hall([WindowConfig(number: 1, services: ["A"])])
            try b.staff([1])
            try Self.history(&b, "A", window: 1, n: 20, seconds: [280, 300, 320])
            _ = try b.take("A")
            _ = try b.call(1)
            b.advance(seconds: elapsed)
            _ = try b.take("A")
            return Self.medians(b, "A")[0]
        }
        let fresh = try nextMedian(elapsed: 0)
        let late = try nextMedian(elapsed: 250)
        #expect(fresh > 240 && fresh < 360, "\(fresh)")
        #expect(late < 120, "\(late)")
    }

    @Test("a paused window comes back after a while: later than with it open, sooner than without it")
    func pausedWindow() throws {
        func sixth(_ setup: (inout EngineDriver) throws -> Void) throws -> Double {
            var b = Self.hall([WindowConfig(number: 1, services: ["A"]), WindowConfig(number: 2, services: ["A"])])
            try b.staff([1, 2])
            try Self.history(&b, "A", window: 1, n: 20, seconds: [300])
            try setup(&b)
            for _ in 0..<6 { _ = try b.take("A") }
            return Self.medians(b, "A")[5]
        }
        let open = try sixth { _ in }
        let paused = try sixth { b in try b.run(.pause(window: 2)) }
        let gone = try sixth { b in try b.run(.signout(window: 2)) }
        #expect(open < paused && paused < gone, "open \(open), paused \(paused), signed out \(gone)")
    }

    @Test("a priority ticket taken after five others is called first; normal tickets wait one more")
    func priorityArrives() throws {
        var b = Self.hall([WindowConfig(number: 1, services: ["A"])])
        try b.staff([1])
        try Self.history(&b, "A", window: 1, n: 20, seconds: [300])
        for _ in 0..<5 { _ = try b.take("A") }
        let before = Self.medians(b, "A")
        let p = try #require(try b.run(.take(service: "A", key: nil, priority: true)).subject.issued).ticket
        let e = WaitEstimator.estimate(b.engine, at: b.now)
        let pm = try #require(e.tickets[p.id]?.range.median)
        #expect(pm < 60, "the priority ticket: \(pm) s")
        let after = b.engine.waiting(service: "A").filter { !$0.priority }.map { e.tickets[$0.id]!.range.median }
        for (x, y) in zip(before, after) { #expect(y > x + 200, "\(x) → \(y)") }
    }

    @Test("priority tickets seen arriving in the last hour push normal tickets later than none did")
    func priorityRate() throws {
        func lastMedian(priorityHistory: Bool) throws -> Double {
            var b = Self.hall([WindowConfig(number: 1, services: ["A"])])
            try b.staff([1])
            for i in 0..<20 {
                _ = try b.run(.take(service: "A", key: nil, priority: priorityHistory && i % 2 == 0))
                _ = try b.call(1)
                b.advance(seconds: 150)
                try b.run(.finish(window: 1, outcome: .served))
            }
            for _ in 0..<8 { _ = try b.take("A") }
            return Self.medians(b, "A").last!
        }
        let none = try lastMedian(priorityHistory: false)
        let some = try lastMedian(priorityHistory: true)
        #expect(some > none + 150, "\(none) → \(some)")
    }

    @Test("no-shows seen for a service shorten the waits behind them")
    func noshows() throws {
        func lastMedian(noshowHistory: Bool) throws -> Double {
            var b = Self.hall([WindowConfig(number: 1, services: ["A"])])
            try b.staff([1])
            for i in 0..<20 {
                _ = try b.take("A")
                _ = try b.call(1)
                if noshowHistory && i % 2 == 0 {
                    b.advance(seconds: 30)
                    try b.run(.noshow(window: 1))
                } else {
                    b.advance(seconds: 300)
                    try b.run(.finish(window: 1, outcome: .served))
                }
            }
            for _ in 0..<8 { _ = try b.take("A") }
            return Self.medians(b, "A").last!
        }
        let none = try lastMedian(noshowHistory: false)
        let half = try lastMedian(noshowHistory: true)
        #expect(half < none * 0.8, "\(none) → \(half)")
    }

    @Test("in every queue a ticket's median is never later than that of the ticket behind it")
    func monotone() throws {
        var rng = SplitMix(seed: 7)
        for round in 0..<12 {
            var b = Self.hall(
                [
                    WindowConfig(number: 1, services: ["A", "B"]), WindowConfig(number: 2, services: ["B", "A"]),
                    WindowConfig(number: 3, services: ["A"]),
                ])
            try b.staff([1, 2, 3])
            for _ in 0..<Int(rng.uniform() * 30) + 5 {
                let s = rng.uniform() < 0.6 ? "A" : "B"
                _ = try b.run(.take(service: s, key: nil, priority: s == "A" && rng.uniform() < 0.2))
                b.advance(seconds: rng.uniform() * 60)
                let w = Int(rng.uniform() * 3) + 1
                if rng.uniform() < 0.4, b.engine.next(for: w) != nil {
                    _ = try b.call(w)
                    b.advance(seconds: rng.uniform() * 200)
                    if rng.uniform() < 0.7 { try b.run(.finish(window: w, outcome: .served)) }
                }
            }
            let e = WaitEstimator.estimate(b.engine, at: b.now)
            for s in ["A", "B"] {
                for priority in [true, false] {
                    let m = b.engine.waiting(service: s).filter { $0.priority == priority && $0.targetWindow == nil }
                        .map { e.tickets[$0.id]!.range.median }
                    #expect(m == m.sorted(), "round \(round), \(s), priority \(priority): \(m)")
                }
            }
        }
    }

    @Test("a take after the estimates uses the joining ticket's range, shifted by those who joined since")
    func joiningShift() throws {
        var b = Self.hall([WindowConfig(number: 1, services: ["A"])])
        try b.staff([1])
        try Self.history(&b, "A", window: 1, n: 20, seconds: [300])
        for _ in 0..<3 { _ = try b.take("A") }
        b.engine.estimates = WaitEstimator.estimate(b.engine, at: b.now)
        let joining = try #require(b.engine.estimates?.joining["A"]?.range)
        #expect(joining.median > 800 && joining.median < 1000, "three ahead, 300 s each: \(joining)")
        _ = try b.take("A")  // joined after the estimates
        let (_, ahead, eta, _) = try #require(try b.run(.take(service: "A", key: nil)).subject.issued)
        #expect(ahead == 4)
        #expect(abs(eta.median - (joining.median + 300)) < 1, "\(eta)")
        #expect(eta.low <= eta.median && eta.median <= eta.high && eta.low < eta.high)
    }

    @Test("minutes as shown: the median up, the band outward, never one number for a wait over a minute")
    func minutes() {
        #expect(WaitRange(low: 610, median: 800, high: 1150).minutes == (10, 14, 20))
        #expect(WaitRange(low: 0, median: 0, high: 0).minutes == (0, 0, 0))
        #expect(WaitRange(low: 300, median: 300, high: 300).minutes == (5, 5, 6))
        #expect(Texts.range(WaitRange(low: 610, median: 800, high: 1150)) == "10–20")
    }

    @Test("the printed ticket says 预计等候约 10–20 分钟, and a hall's own [texts] eta may use {min}")
    func printed() throws {
        var b = Self.hall([WindowConfig(number: 1, services: ["A"])])
        let t = try b.take("A")
        let eta = WaitRange(low: 610, median: 800, high: 1150)
        let layout = TicketLayout.make(
            ticket: t, ahead: 4, eta: eta, config: b.engine.config, calendar: b.engine.calendar)
        #expect(layout.lines.contains { $0.text == "预计等候约 10–20 分钟" }, "\(layout.lines.map(\.text))")
        var config = b.engine.config
        config.texts.eta = "约 {min} 分钟（{low} 至 {high}）"
        let own = TicketLayout.make(ticket: t, ahead: 4, eta: eta, config: config, calendar: b.engine.calendar)
        #expect(own.lines.contains { $0.text == "约 14 分钟（10 至 20）" })
    }
}
