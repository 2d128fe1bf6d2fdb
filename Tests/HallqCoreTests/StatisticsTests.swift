import Testing

@testable import HallqCore

@Suite("Statistics")
struct StatisticsTests {
    @Test("nearest-rank median and p90 on seconds")
    func summary() {
        let s = DurationSummary([10, 1, 5, 3, 7, 9, 2, 8, 4, 6])
        #expect(s.count == 10 && s.mean == 5.5 && s.median == 5 && s.p90 == 9 && s.max == 10)
        #expect(DurationSummary([]).mean == nil)
        #expect(DurationSummary([42]).p90 == 42)
    }

    @Test("a day's tickets grouped by service, window and clerk")
    func grouping() throws {
        var b = EngineDriver()
        try b.staff([1, 2])
        var tickets: [Ticket] = []
        var legs: [Leg] = []
        func keep(_ o: Effects) {
            legs += o.legs
            for t in o.tickets {
                tickets.removeAll { $0.id == t.id }
                tickets.append(t)
            }
        }
        keep(try b.run(.take(service: "A", key: nil)))
        keep(try b.run(.take(service: "A", key: nil)))
        keep(try b.run(.take(service: "B", key: nil)))
        b.advance(seconds: 60)
        keep(try b.run(.call(window: 1, ticket: nil)))  // A001 waited 60
        b.advance(seconds: 30)
        keep(try b.run(.call(window: 2, ticket: nil)))  // B001 waited 90
        b.advance(seconds: 90)
        keep(try b.run(.finish(window: 1, outcome: .served)))  // A001 served 120
        keep(try b.run(.call(window: 1, ticket: nil)))  // A002 waited 180
        b.advance(seconds: 10)
        keep(try b.run(.noshow(window: 1)))
        keep(try b.run(.finish(window: 2, outcome: .served)))  // B001 served 100

        let cal = b.engine.calendar
        let byService = Statistics.rows(by: .service, tickets: tickets, legs: legs, calendar: cal)
        #expect(byService.map(\.key) == ["A", "B"])
        let a = byService[0]
        #expect(a.issued == 2 && a.served == 1 && a.noshows == 1)
        #expect(a.wait.mean == 60 && a.service.mean == 120)
        #expect(byService[1].wait.max == 90 && byService[1].service.median == 100)

        let byClerk = Statistics.rows(by: .clerk, tickets: tickets, legs: legs, calendar: cal)
        #expect(byClerk.map(\.key) == ["-", "clerk1", "clerk2"])
        #expect(byClerk[0].issued == 3)

        let byHour = Statistics.rows(by: .hour, tickets: tickets, legs: legs, calendar: cal)
        #expect(byHour.map(\.key) == ["09"], "09:00 Shanghai, whatever the machine's zone")
        let total = Statistics.rows(by: .total, tickets: tickets, legs: legs, calendar: cal)
        #expect(total.first?.served == 2 && total.first?.wait.mean == 75)
    }
}
