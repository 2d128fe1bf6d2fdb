import Foundation
import HallqCore
import HallqTestKit
import Testing

@testable import HallqStore

/// The SQL statistics against the Swift definition (`Statistics.rows`) on a generated month:
/// every grouping, a zone without and one with a daylight-saving change inside the month.
@Suite("statistics in SQL equal the Swift definition")
struct StatisticsSQLTests {
    /// A month of a small hall through the real engine and store: takes, calls, no-shows,
    /// transfers, starts, finishes with every outcome, ratings, clerks changing windows.
    static func month(zone: String, firstDay: Millis) throws -> (HallStore, HallCalendar, String, String) {
        let services = [
            ServiceConfig(id: "A", name: "甲"), ServiceConfig(id: "B", name: "乙"), ServiceConfig(id: "C", name: "丙"),
        ]
        let windows = (1...4).map { WindowConfig(number: $0, services: $0 % 2 == 0 ? ["A", "B"] : ["C", "A"]) }
        let config = HallConfig(timeZone: zone, services: services, windows: windows)
        let calendar = HallCalendar(timeZone: TimeZone(identifier: zone)!)
        let store = try HallStore(path: tempDir().appendingPathComponent("hallq.sqlite").path, synchronous: .normal)
        var engine = QueueEngine(config: config)
        var rng = SeededRandom(seed: 7)
        var batch: [(effects: Effects, origin: Origin)] = []
        func run(_ c: Command, _ at: Millis) {
            if let e = try? engine.apply(c, at: at) { batch.append((e, Origin(role: "clerk"))) }
        }
        for day in 0..<30 {
            var t = firstDay + Millis(day) * 86_400_000
            for w in 1...4 { run(.signin(window: w, clerk: "clerk\((w + day) % 6)"), t) }
            for i in 0..<60 {
                t += Millis(30_000 + rng.next() % 600_000)
                run(.take(service: services[i % 3].id, key: nil), t)
                let w = 1 + Int(rng.next() % 4)
                run(.call(window: w, ticket: nil), t + 5_000)
                switch rng.next() % 10 {
                case 0: run(.noshow(window: w), t + 65_000)
                case 1: run(.transfer(window: w, toService: "B", toWindow: nil), t + 90_000)
                case 2: run(.finish(window: w, outcome: .incomplete), t + Millis(rng.next() % 400_000))
                default:
                    run(.start(window: w), t + 20_000)
                    let end = t + 20_000 + Millis(rng.next() % 900_000)
                    run(.finish(window: w, outcome: .served), end)
                    if rng.next() % 3 != 0 {
                        run(.rate(window: w, score: 1 + Int(rng.next() % 5), reason: nil), end + 10_000)
                    }
                }
            }
            for w in 1...4 {
                run(.finish(window: w, outcome: .served), t + 3_600_000)
                run(.signout(window: w), t + 3_600_000)
            }
        }
        try store.commit(batch)
        return (store, calendar, calendar.day(firstDay), calendar.day(firstDay + 29 * 86_400_000))
    }

    @Test(
        "every grouping, rendered, is the same from SQL as from the rows",
        arguments: [
            ("Asia/Shanghai", Millis(1_772_326_800_000)),  // 2026-03-01 09:00 +08:00
            ("America/New_York", Millis(1_772_373_600_000)),  // 2026-03-01 09:00 -05:00; DST starts on the 8th
        ])
    func sameFigures(zone: String, firstDay: Millis) async throws {
        let (store, cal, from, to) = try Self.month(zone: zone, firstDay: firstDay)
        // Only part of the month: rows outside the span must stay out.
        let spanFrom = cal.day(cal.startOfDay(from)! + 3 * 86_400_000 + 3_600_000)
        let start = cal.startOfDay(spanFrom)!
        let end = cal.startOfDay(to)!
        let tickets = try await store.tickets(fromDay: spanFrom, toDay: cal.day(end - 1))
        let legs = try await store.legs(from: start, to: end)
        #expect(tickets.count > 1000 && legs.count > 1000, "a month's worth")
        for dim in StatsDimension.allCases {
            let swift = Statistics.rows(by: dim, tickets: tickets, legs: legs, calendar: cal)
            let sql = try await store.statistics(
                by: dim, fromDay: spanFrom, toDay: cal.day(end - 1), start: start, end: end, calendar: cal)
            #expect(sql == swift, "\(zone) by \(dim.rawValue)")
            #expect(
                swift.contains { $0.ratings > 0 && $0.noshows > 0 && $0.transferred > 0 },
                "the month has every kind of end")
        }
    }
}
