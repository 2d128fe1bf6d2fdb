import Foundation
import GRDB
import HallqCore
import Testing

@testable import HallqStore

extension Effects {
    /// Effects that write these rows and nothing else.
    static func rows(tickets: [Ticket], legs: [Leg], windows: [WindowState]) -> Effects {
        var e = Effects()
        e.tickets = tickets
        e.legs = legs
        e.windows = windows
        return e
    }
}

/// Rows are written column by column now; they must be the bytes GRDB's Codable encoding wrote
/// before (same columns, same values, the same JSON text for nested values and event details).
@Suite("records written by hand equal their Codable encoding")
struct RecordEncodingTests {
    /// GRDB's generic encoding of a value, as the store used before.
    struct ViaCodable<T: Encodable & Sendable>: EncodableRecord, Encodable {
        var value: T
        func encode(to encoder: any Encoder) throws { try value.encode(to: encoder) }
    }

    @Test("tickets, legs and windows of a small day, every column; tickets read back whole")
    func sameColumns() async throws {
        var engine = QueueEngine(
            config: HallConfig(
                services: [ServiceConfig(id: "A", name: "甲")], windows: [WindowConfig(number: 1, services: ["A"])]))
        var rows: (tickets: [Ticket], legs: [Leg], windows: [WindowState]) = ([], [], [])
        let mono = MonoStamp(boot: "3216f789-3753-420e-b478-b8d73e8bb03b/\"x\"", ms: 8_440_541)
        for (i, c) in [
            Command.signin(window: 1, clerk: "张三 \"A\""), .take(service: "A", key: "k/1"),
            .take(service: "A", key: nil),
            .call(window: 1, ticket: nil), .start(window: 1), .finish(window: 1, outcome: .referred),
            .rate(window: 1, score: 4, reason: nil), .call(window: 1, ticket: nil), .noshow(window: 1),
            .pause(window: 1),
        ].enumerated() {
            let e = try engine.apply(c, at: 1_796_000_400_000 + Millis(i) * 61_000, mono: mono)
            rows.tickets += e.tickets
            rows.legs += e.legs
            rows.windows += e.windows
        }
        #expect(rows.tickets.contains { $0.rating != nil && $0.queuedMono != nil && $0.outcome != nil })
        for t in rows.tickets { #expect(try t.databaseDictionary == ViaCodable(value: t).databaseDictionary) }
        // Read back by hand: the last version of each ticket, field for field.
        let store = try HallStore(path: tempDir().appendingPathComponent("hallq.sqlite").path)
        try store.commit(Effects.rows(tickets: rows.tickets, legs: rows.legs, windows: rows.windows), origin: .system)
        var latest: [Int64: Ticket] = [:]
        for t in rows.tickets { latest[t.id] = t }
        for t in latest.values { #expect(try await store.ticket(id: t.id) == t) }
        for l in rows.legs { #expect(try l.databaseDictionary == ViaCodable(value: l).databaseDictionary) }
        for w in rows.windows { #expect(try w.databaseDictionary == ViaCodable(value: w).databaseDictionary) }
    }

    @Test("event details: the JSON text JSONSerialization wrote, keys sorted")
    func detailsJSON() throws {
        for d: [String: String] in [
            [:], ["ahead": "0", "eta_min": "3"], ["device": "sign signs/3", "health": "degraded: no reply / 200 ms"],
            ["why": "引号\"与\\反斜杠\n换行\t\u{01}"],
        ] {
            let old = String(
                data: try JSONSerialization.data(withJSONObject: d, options: [.sortedKeys]), encoding: .utf8)
            #expect(HallqStore.detailsJSON(d) == old)
        }
    }
}
