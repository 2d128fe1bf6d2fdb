import Foundation
import Testing

@testable import HallqCore

/// The per-person rules and the green channel by age (docs/CONFIG.md): the engine sees only a
/// person key and a birth date, never a card.
@Suite("Per-person rules and the green channel by age")
struct PersonRulesTests {
    /// A (priority service, one live ticket per person), B (two per person), C (card required).
    static func hall(perDay: Int = 3, age: Int = 70) -> HallConfig {
        var q = QueueRules()
        q.perPersonDay = perDay
        q.priorityAge = age
        var a = ServiceConfig(id: "A", name: "资质认定", priority: true)
        a.perPerson = 1
        var b = ServiceConfig(id: "B", name: "计量授权")
        b.perPerson = 2
        var c = ServiceConfig(id: "C", name: "特种设备")
        c.idRequired = true
        return HallConfig(
            name: "测试大厅", timeZone: "Asia/Shanghai", queue: q, services: [a, b, c],
            windows: [WindowConfig(number: 1, services: ["A", "B", "C"])])
    }

    static let alice = Person(key: String(repeating: "a", count: 64), birth: "19800101")
    static let bob = Person(key: String(repeating: "b", count: 64), birth: "19900101")

    func take(_ d: inout EngineDriver, _ s: String, _ p: Person?) throws -> Ticket {
        try #require(try d.run(.take(service: s, key: nil, person: p)).subject.issued).ticket
    }

    @Test("a second live ticket for the same service is refused with its label; after the first is done it is allowed")
    func perPerson() throws {
        var d = EngineDriver(Self.hall())
        try d.staff([1])
        let first = try take(&d, "A", Self.alice)
        #expect(first.person == Self.alice.key)
        do {
            _ = try d.engine.apply(.take(service: "A", key: nil, person: Self.alice), at: d.now)
            Issue.record("second ticket issued")
        } catch {
            #expect(error.token == .personHasTicket)
            #expect(error.message.contains(first.label))
            #expect(!error.message.contains(Self.alice.key))
        }
        // Someone else, and the same person without a card, are not held to it.
        _ = try take(&d, "A", Self.bob)
        _ = try take(&d, "A", nil)
        // B allows two at once.
        _ = try take(&d, "B", Self.alice)
        _ = try take(&d, "B", Self.alice)
        #expect(d.token(.take(service: "B", key: nil, person: Self.alice)) == "PERSON-HAS-TICKET")
        // Alice's A ticket is called and finished: A is open to her again (but the day's limit is 3).
        _ = try d.call(1, first.label)
        try d.run(.finish(window: 1, outcome: .served))
        #expect(d.engine.personRefusal(Self.alice, service: "A", at: d.now)?.token == .personDailyLimit)
    }

    @Test("the daily limit across services; a new day starts the count again")
    func perDay() throws {
        var d = EngineDriver(Self.hall(perDay: 2))
        _ = try take(&d, "A", Self.alice)
        _ = try take(&d, "B", Self.alice)
        #expect(d.token(.take(service: "B", key: nil, person: Self.alice)) == "PERSON-DAILY-LIMIT")
        #expect(d.engine.personRefusal(Self.bob, service: "B", at: d.now) == nil)
        d.advance(seconds: 86_400)
        _ = try take(&d, "B", Self.alice)
    }

    @Test("id_required: a take without a card is refused; with one it is issued")
    func idRequired() throws {
        var d = EngineDriver(Self.hall())
        #expect(d.token(.take(service: "C", key: nil)) == "ID-REQUIRED")
        _ = try take(&d, "C", Self.bob)
    }

    @Test("priority_age 70: the green channel on the 70th birthday, not the day before; only where priority = true")
    func greenByAge() throws {
        // monday9am is 2026-11-30 in Shanghai.
        let seventyToday = Person(key: String(repeating: "c", count: 64), birth: "19561130")
        let seventyTomorrow = Person(key: String(repeating: "d", count: 64), birth: "19561201")
        var d = EngineDriver(Self.hall())
        let old = try #require(try d.run(.take(service: "A", key: nil, person: seventyToday)).subject.issued)
        #expect(old.ticket.greenChannel && old.ticket.priority)
        let young = try take(&d, "A", seventyTomorrow)
        #expect(!young.greenChannel && !young.priority)
        // Service B issues no priority tickets: no green channel whatever the age.
        #expect(try !take(&d, "B", seventyToday).greenChannel)
        // Off (priority_age = 0): nobody by age.
        var off = EngineDriver(Self.hall(age: 0))
        #expect(try !take(&off, "A", seventyToday).greenChannel)
        // A per-service age overrides the hall's.
        var cfg = Self.hall(age: 0)
        cfg.services[0].priorityAge = 60
        var per = EngineDriver(cfg)
        #expect(try take(&per, "A", seventyTomorrow).greenChannel)
    }

    @Test("age on the day: birthdays, 29 February, no birth date")
    func age() {
        let p = Person(key: "", birth: "20000229")
        #expect(p.age(on: "2070-02-28") == 69)
        #expect(p.age(on: "2070-03-01") == 70)
        #expect(p.age(on: "2072-02-29") == 72)
        #expect(Person(key: "", birth: nil).age(on: "2026-01-01") == nil)
    }

    @Test("a window's reader names the person of the ticket in hand; it then counts for the rules")
    func attach() throws {
        var d = EngineDriver(Self.hall())
        try d.staff([1])
        let t = try take(&d, "A", nil)
        #expect(d.token(.person(window: 1, person: Self.alice)) == "NO-ACTIVE-TICKET")
        _ = try d.call(1)
        let e = try d.run(.person(window: 1, person: Self.alice))
        #expect(e.events.map(\.type) == [.person])
        #expect(e.events[0].details.isEmpty)
        #expect(e.tickets.first?.id == t.id && e.tickets.first?.person == Self.alice.key)
        #expect(d.token(.take(service: "A", key: nil, person: Self.alice)) == "PERSON-HAS-TICKET")
    }
}
