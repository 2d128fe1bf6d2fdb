import Testing

@testable import HallqCore

@Suite("Queue engine")
struct EngineTests {
    @Test("numbers count up per service with the configured width")
    func numbering() throws {
        var b = EngineDriver()
        #expect(try b.take("A").label == "A001")
        #expect(try b.take("A").label == "A002")
        #expect(try b.take("C").label == "C0001")
        #expect(try b.take("B").label == "B001")
    }

    @Test("unknown service and exhausted range are refused and issue nothing")
    func refusals() throws {
        var b = EngineDriver()
        #expect(b.token(.take(service: "Z", key: nil)) == "UNKNOWN-SERVICE")
        for _ in 0..<3 { _ = try b.take("B") }
        #expect(b.token(.take(service: "B", key: nil)) == "RANGE-EXHAUSTED")
        #expect(b.engine.waitingCount(service: "B") == 3)
    }

    @Test("a double press with the same key within 10 s is one ticket; later it is a new one")
    func idempotentTake() throws {
        var b = EngineDriver()
        let first = try b.take("A", key: "kiosk-1-7")
        b.advance(seconds: 9.9)
        let out = try b.run(.take(service: "A", key: "kiosk-1-7"))
        let (again, _, _, dup) = try #require(out.subject.issued)
        #expect(again.id == first.id && dup)
        #expect(out.events.isEmpty && out.tickets.isEmpty, "a duplicate writes nothing")
        b.advance(seconds: 0.2)
        #expect(try b.take("A", key: "kiosk-1-7").label == "A002")
    }

    @Test("numbering restarts at local midnight in the hall's time zone, not UTC")
    func dayBoundary() throws {
        // 2026-11-30 23:59:59.999 in Shanghai is 15:59:59.999 UTC.
        let lastMs: Millis = 1_796_054_399_999
        var b = EngineDriver(at: lastMs)
        let late = try b.take("A")
        #expect(late.day == "2026-11-30" && late.label == "A001")
        _ = try b.take("A")
        b.advance(seconds: 0.001)
        let early = try b.take("A")
        #expect(early.day == "2026-12-01")
        #expect(early.label == "A001")
        // Yesterday's waiting tickets are still served.
        try b.staff([1])
        #expect(try b.call(1).id == late.id)
    }

    @Test("after the cut-off take is refused, but issued tickets are still called and finished")
    func closedHall() throws {
        let weekdays = Array(repeating: Optional(510...1050), count: 5)  // 08:30-17:30
        let hours = BusinessHours(days: weekdays + [nil, nil], dispenseCutoffMinutes: 30)
        var b = EngineDriver(testConfig(hours: hours))
        try b.staff([1])
        b.advance(seconds: 8 * 3600 - 60)  // 16:59 local
        let t = try b.take("A")
        b.advance(seconds: 60)  // 17:00 = close − 30 min
        #expect(b.token(.take(service: "A", key: nil)) == "HALL-CLOSED")
        b.advance(seconds: 3600)  // 18:00, after hours
        #expect(try b.call(1).id == t.id)
        try b.run(.finish(window: 1, outcome: .served))
        // The admin can force the hall open, and back to the hours.
        try b.run(.hall(.open))
        #expect(try b.take("A").label == "A002")
        try b.run(.hall(.auto))
        #expect(b.token(.take(service: "A", key: nil)) == "HALL-CLOSED")
        try b.run(.hall(.closed))
        b.advance(seconds: -9 * 3600 + 3600)  // 10:00 next… same day morning: forced closed wins
        #expect(b.token(.take(service: "A", key: nil)) == "HALL-CLOSED")
    }

    @Test("closed all day on a day with no hours")
    func closedDay() {
        let hours = BusinessHours(days: [510...1050, nil, nil, nil, nil, nil, nil])
        var b = EngineDriver(testConfig(hours: hours))
        #expect(b.token(.take(service: "A", key: nil)) == nil)  // Monday 09:00
        b.advance(seconds: 86400)  // Tuesday
        #expect(b.token(.take(service: "A", key: nil)) == "HALL-CLOSED")
    }

    @Test(
        "service-order policy takes the window's first service with anyone waiting",
        arguments: [
            (QueueRules.CallPolicy.serviceOrder, ["A001", "A002", "B001"]),
            (QueueRules.CallPolicy.oldestFirst, ["B001", "A001", "A002"]),
        ])
    func policies(policy: QueueRules.CallPolicy, expected: [String]) throws {
        var b = EngineDriver(testConfig(policy: policy))
        try b.staff([1])
        _ = try b.take("B")
        b.advance(seconds: 1)
        _ = try b.take("A")
        b.advance(seconds: 1)
        _ = try b.take("A")
        b.advance(seconds: 1)
        var order: [String] = []
        for _ in 0..<3 { order.append(try b.call(1).label) }
        #expect(order == expected)
        #expect(b.token(.call(window: 1, ticket: nil)) == "QUEUE-EMPTY")
    }

    @Test("two windows calling at the same instant never get the same ticket")
    func simultaneousCalls() throws {
        var b = EngineDriver()
        try b.staff([1, 2])
        for _ in 0..<4 { _ = try b.take("A") }
        var seen: Set<Int64> = []
        for w in [1, 2, 1, 2] {
            let t = try b.call(w)
            #expect(!seen.contains(t.id))
            seen.insert(t.id)
            try b.run(.finish(window: w, outcome: .served))
        }
        #expect(seen.count == 4)
    }

    @Test("calling while a ticket is open finishes it as served in the same outcome")
    func callFinishesCurrent() throws {
        var b = EngineDriver()
        try b.staff([1])
        let first = try b.take("A")
        let second = try b.take("A")
        _ = try b.call(1)
        b.advance(seconds: 120)
        let out = try b.run(.call(window: 1, ticket: nil))
        #expect(out.events.map(\.type) == [.finish, .call])
        #expect(out.legs.count == 1 && out.legs[0].ticketId == first.id && out.legs[0].outcome == .served)
        #expect(out.legs[0].serviceSeconds == 120)
        #expect(b.engine.windows[1]?.current == second.id)
    }

    @Test("an empty queue leaves the open ticket open")
    func emptyQueueKeepsCurrent() throws {
        var b = EngineDriver()
        try b.staff([1])
        let t = try b.take("A")
        _ = try b.call(1)
        #expect(b.token(.call(window: 1, ticket: nil)) == "QUEUE-EMPTY")
        #expect(b.engine.windows[1]?.current == t.id)
    }

    @Test("wait and service time in seconds; recall counts and does not move the call time")
    func durations() throws {
        var b = EngineDriver()
        try b.staff([1])
        _ = try b.take("A")
        b.advance(seconds: 95.5)
        _ = try b.call(1)
        b.advance(seconds: 30)
        try b.run(.recall(window: 1))
        try b.run(.recall(window: 1))
        b.advance(seconds: 10)
        try b.run(.start(window: 1))
        b.advance(seconds: 200)
        let out = try b.run(.finish(window: 1, outcome: .served))
        let leg = try #require(out.legs.first)
        #expect(leg.waitSeconds == 95.5)
        #expect(leg.serviceSeconds == 240)
        let t = try #require(out.tickets.first)
        #expect(t.recalls == 2 && t.outcome == .served && t.startedAt != nil)
    }

    @Test(
        "a no-show leaves the queue, or with requeue goes to the end once",
        arguments: [QueueRules.NoshowRequeue.none, .end])
    func noshow(requeue: QueueRules.NoshowRequeue) throws {
        var b = EngineDriver(testConfig(requeue: requeue))
        try b.staff([1])
        let t = try b.take("A")
        b.advance(seconds: 1)
        let other = try b.take("A")
        _ = try b.call(1)
        b.advance(seconds: 60)
        let out = try b.run(.noshow(window: 1))
        #expect(out.legs.first?.outcome == .noshow)
        #expect(b.engine.windows[1]?.current == nil)
        switch requeue {
        case .none:
            #expect(b.engine.live[t.id] == nil)
            #expect(try b.call(1).id == other.id)
        case .end:
            let back = try #require(b.engine.live[t.id])
            #expect(back.state == .waiting && back.queuedAt == b.now)
            #expect(try b.call(1).id == other.id, "the requeued ticket waits behind the others")
            try b.run(.finish(window: 1, outcome: .served))
            #expect(try b.call(1).id == t.id)
            try b.run(.noshow(window: 1))
            #expect(b.engine.live[t.id] == nil, "a second no-show is final")
        }
    }

    @Test("transfer to a service keeps the ticket, records both legs and goes ahead of newcomers")
    func transferToService() throws {
        var b = EngineDriver()
        try b.staff([1, 3])
        let t = try b.take("A")
        b.advance(seconds: 10)
        let c1 = try b.take("C")
        _ = try b.call(1)
        b.advance(seconds: 50)
        let out = try b.run(.transfer(window: 1, toService: "C", toWindow: nil))
        #expect(out.legs.first?.outcome == .transferred && out.legs.first?.serviceSeconds == 50)
        let moved = try #require(b.engine.live[t.id])
        #expect(moved.service == "C" && moved.issuedService == "A" && moved.label == "A001" && moved.transfers == 1)
        #expect(try b.call(3).id == t.id, "transferred ticket goes before C0001 which waited longer")
        b.advance(seconds: 5)
        try b.run(.finish(window: 3, outcome: .served))
        #expect(try b.call(3).id == c1.id)
    }

    @Test("transfer to a window: only that window can call it")
    func transferToWindow() throws {
        var b = EngineDriver()
        try b.staff([1, 2])
        let t = try b.take("A")
        _ = try b.call(1)
        try b.run(.transfer(window: 1, toService: nil, toWindow: 2))
        #expect(b.token(.call(window: 1, ticket: nil)) == "QUEUE-EMPTY")
        #expect(try b.call(2).id == t.id)
        #expect(b.token(.transfer(window: 2, toService: "A", toWindow: 1)) == "BAD-REQUEST")
        #expect(b.token(.transfer(window: 2, toService: nil, toWindow: 9)) == "UNKNOWN-WINDOW")
    }

    @Test("a paused window gets nothing and its clerk is on every event")
    func pauseAndClerk() throws {
        var b = EngineDriver()
        #expect(b.token(.call(window: 1, ticket: nil)) == "NOT-SIGNED-IN")
        try b.staff([1])
        _ = try b.take("A")
        try b.run(.pause(window: 1))
        #expect(b.token(.call(window: 1, ticket: nil)) == "WINDOW-PAUSED")
        try b.run(.resume(window: 1))
        let out = try b.run(.call(window: 1, ticket: nil))
        #expect(out.events.allSatisfy { $0.clerk == "clerk1" })
        #expect(b.token(.signout(window: 1)) == "TICKET-OPEN")
        #expect(b.token(.signin(window: 2, clerk: "clerk1")) == "CLERK-ELSEWHERE")
        #expect(b.token(.call(window: 7, ticket: nil)) == "UNKNOWN-WINDOW")
    }

    @Test("call a specific ticket")
    func callSpecific() throws {
        var b = EngineDriver()
        try b.staff([1, 2])
        _ = try b.take("A")
        let second = try b.take("A")
        #expect(try b.call(1, "A002").id == second.id)
        #expect(b.token(.call(window: 2, ticket: "A002")) == "NOT-WAITING")
        #expect(b.token(.call(window: 2, ticket: "A999")) == "UNKNOWN-TICKET")
    }

    @Test("the keypad rates the window's last finished ticket within 5 minutes, once")
    func rating() throws {
        var b = EngineDriver()
        try b.staff([1])
        #expect(b.token(.rate(window: 1, score: 5, reason: nil)) == "NOTHING-TO-RATE")
        _ = try b.take("A")
        _ = try b.call(1)
        try b.run(.finish(window: 1, outcome: .served))
        #expect(b.token(.rate(window: 1, score: 6, reason: nil)) == "BAD-REQUEST")
        b.advance(seconds: 299)
        let out = try b.run(.rate(window: 1, score: 4, reason: nil))
        #expect(out.tickets.first?.rating == 4 && out.tickets.first?.clerk == "clerk1")
        #expect(b.token(.rate(window: 1, score: 5, reason: nil)) == "ALREADY-RATED")
        _ = try b.take("A")
        _ = try b.call(1)
        try b.run(.finish(window: 1, outcome: .served))
        b.advance(seconds: 301)
        #expect(b.token(.rate(window: 1, score: 5, reason: nil)) == "NOTHING-TO-RATE")
    }

    @Test("people ahead and the estimate follow recent service times and open windows")
    func estimate() throws {
        var b = EngineDriver()
        // Default 300 s per ticket, no window staffed: both windows serving A count.
        for _ in 0..<4 { _ = try b.take("A") }
        let (t, ahead, eta, _) = try #require(try b.run(.take(service: "A", key: nil)).subject.issued)
        #expect(t.label == "A005" && ahead == 4)
        // Before any look-ahead: the old formula as the median, 4 × 300 s ÷ 2 windows = 600 s.
        #expect(eta.minutes.median == 10)
        try b.staff([1])
        _ = try b.call(1)
        b.advance(seconds: 120)
        try b.run(.finish(window: 1, outcome: .served))
        // One finished ticket took 120 s; one window open; 4 waiting ahead of the next.
        #expect(b.engine.etaMinutes(service: "A", ahead: 4) == 8)
    }

    @Test("print status changes only the print columns")
    func printStatus() throws {
        var b = EngineDriver()
        try b.staff([1])
        let t = try b.take("A")
        _ = try b.call(1)
        try b.run(.finish(window: 1, outcome: .served))
        let out = try b.run(.printed(ticketId: t.id, status: .failed, error: "paper-out"))
        #expect(out.tickets.isEmpty && out.prints == [.init(ticketId: t.id, status: .failed, error: "paper-out")])
        #expect(b.token(.printed(ticketId: 99, status: .printed, error: nil)) == "UNKNOWN-TICKET")
    }
}
