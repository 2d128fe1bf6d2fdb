import Foundation
import HallqCore
import HallqEncoders
import HallqHardware
import HallqProtocol
import HallqStore
import HallqTestKit
import Testing

@testable import HallqApp

/// A citizen identity number with the given birth date and sequence, its check character from
/// GB 11643-1999 (weights 2^(17-i) mod 11, check = (12 − Σ mod 11) mod 11, 10 written X).
func idNumber(birth: String, seq: Int = 123, area: String = "110105") -> String {
    let body = area + birth + String(format: "%03d", seq)
    var sum = 0
    for (i, c) in body.enumerated() { sum += Int(String(c))! * (1 << (17 - i)) % 11 }
    let check = (12 - sum % 11) % 11
    return body + (check == 10 ? "X" : String(check))
}

/// Hall days as YYYYMMDD, `years` back from `day` (YYYY-MM-DD), shifted by `days`.
func birthDate(yearsBefore day: String, years: Int, plusDays: Int = 0) -> String {
    var cal = Calendar(identifier: .gregorian)
    cal.timeZone = TimeZone(identifier: "Asia/Shanghai")!
    let f = DateFormatter()
    f.calendar = cal
    f.timeZone = cal.timeZone
    f.dateFormat = "yyyy-MM-dd"
    let d = cal.date(
        byAdding: .day, value: plusDays, to: cal.date(byAdding: .year, value: -years, to: f.date(from: day)!)!)!
    f.dateFormat = "yyyyMMdd"
    return f.string(from: d)
}

/// `take` with `id_number` through the real dispatcher and store: the rules by person, the
/// green channel by age, and what is kept of the card (docs/PRIVACY.md).
@Suite("ID numbers on take, in process")
struct IdCardOpTests {
    static let config =
        DaemonHarness.demoConfig.replacingOccurrences(
            of: "[queue]\n", with: "[queue]\npriority_age = 70\nper_person_day = 3\n")
            + """

            [[service]]
            id = "G"
            name = "老年优待证"
            priority = true

            [[service]]
            id = "R"
            name = "特种设备作业人员证"
            id_required = true

            [[window]]
            number = 9
            services = ["G", "R"]
            """

    /// 10:00 on 2026-12-03 in Shanghai.
    static let start: Millis = 1_796_000_400_000 + 86_400_000 * 3 + 3_600_000

    @Test(
        "same person refused a second live ticket (label named), daily limit, ID-REQUIRED, 70 on the day; nothing of the number kept"
    )
    func rules() async throws {
        let clock = Locked(Self.start)
        let h = try InProcessHall(config: Self.config, clock: { clock.with { $0 } })
        let today = try #require(await h.ask(.kiosk, ["op": "status"])["hall"]?["day"]?.stringValue)
        let alice = idNumber(birth: "19800101", seq: 201)
        let first = await h.ask(.kiosk, ["op": "take", "service": "A", "id_number": .string(alice)])
        let label = try #require(first["ticket"]?["label"]?.stringValue)
        let second = await h.ask(.kiosk, ["op": "take", "service": "A", "id_number": .string(alice)])
        #expect(second.token == "PERSON-HAS-TICKET")
        #expect(second["message"]?.stringValue?.contains(label) == true)
        // The lower-case x of a typed number is the same person.
        let bob = idNumber(birth: "19900101", seq: 302)
        #expect(await h.ask(.kiosk, ["op": "take", "service": "A", "id_number": .string(bob)]).ok)
        #expect(await h.ask(.kiosk, ["op": "take", "service": "B", "id_number": .string(alice)]).ok)
        #expect(await h.ask(.kiosk, ["op": "take", "service": "C", "id_number": .string(alice)]).ok)
        #expect(
            await h.ask(.kiosk, ["op": "take", "service": "G", "id_number": .string(alice)]).token
                == "PERSON-DAILY-LIMIT")
        // Without a card nobody is limited; R needs one.
        #expect(await h.ask(.kiosk, ["op": "take", "service": "A"]).ok)
        #expect(await h.ask(.kiosk, ["op": "take", "service": "R"]).token == "ID-REQUIRED")
        #expect(await h.ask(.kiosk, ["op": "take", "service": "R", "id_number": .string(bob)]).ok)
        // 70 today: 绿色通道; 70 tomorrow: not.
        let seventy = idNumber(birth: birthDate(yearsBefore: today, years: 70), seq: 401)
        let almost = idNumber(birth: birthDate(yearsBefore: today, years: 70, plusDays: 1), seq: 502)
        let old = await h.ask(.kiosk, ["op": "take", "service": "G", "id_number": .string(seventy)])
        #expect(old["ticket"]?["green_channel"] == true)
        let young = await h.ask(.kiosk, ["op": "take", "service": "G", "id_number": .string(almost)])
        #expect(young.ok && young["ticket"]?["green_channel"] == nil)
        // A number that fails its check digit, a type hallq does not know: refused, never echoed.
        var wrong = Array(alice)
        wrong[17] = wrong[17] == "1" ? "2" : "1"
        let bad = await h.ask(.kiosk, ["op": "take", "service": "A", "id_number": .string(String(wrong))])
        #expect(bad.token == "BAD-REQUEST" && !bad.text.contains(String(wrong)))
        #expect(
            await h.ask(.kiosk, ["op": "take", "service": "A", "id_type": "passport", "id_number": .string(alice)])
                .token
                == "BAD-REQUEST")

        // What is kept: the key, on the ticket; no number in the replies, history, export or file.
        let persons = try #require(h.hall.links?.persons)
        let aliceKey = persons.key(letter: "R", number: alice)
        let history = await h.ask(.admin, ["op": "history", "ticket": .string(label)])
        let export = await h.lines(.admin, ["op": "export", "from": .string(today), "to": .string(today)])
        let replies = [first, second, old, young, history] + export
        for number in [alice, bob, seventy] {
            #expect(!replies.contains { $0.text.contains(number) })
            #expect(!replies.contains { $0.text.contains(persons.key(letter: "R", number: number)) })
        }
        let db = try IdCardFixtures.storeBytes(h.stateDir)
        for number in [alice, bob, seventy] {
            #expect(!db.containsBytes(Array(number.utf8)))
            #expect(!db.containsBytes(IdCardFixtures.ucs2(number)))
        }
        #expect(db.containsBytes(Array(aliceKey.utf8)), "the person key is kept for the rules")

        // Every ticket served; 91 days on, the keys are gone (and the WAL with them).
        for w in [1, 2, 3, 4, 9] {
            guard await h.ask(.clerk, ["op": "signin", "window": .int(Int64(w)), "clerk": .string("张三\(w)")]).ok else {
                continue
            }
            while await h.ask(.clerk, ["op": "call", "window": .int(Int64(w))]).ok {
                #expect(await h.ask(.clerk, ["op": "finish", "window": .int(Int64(w))]).ok)
            }
        }
        #expect(try await h.hall.forgetOldPersons() == 0, "nothing within person_days")
        clock.with { $0 += 91 * 86_400_000 }
        #expect(try await h.hall.forgetOldPersons() == 7)
        #expect(!(try IdCardFixtures.storeBytes(h.stateDir)).containsBytes(Array(aliceKey.utf8)))
        // The rules start afresh for her.
        #expect(await h.ask(.kiosk, ["op": "take", "service": "A", "id_number": .string(alice)]).ok)
    }
}

/// The kiosk's hold, through the dispatcher: what a push-button box (origin `keypad`) and a
/// kiosk program get, and the hold's end.
@Suite("ID cards held at a kiosk")
struct CardHoldTests {
    /// The golden read of ../shared/HARDWARE.md §5 through the codec and the person keys.
    static func goldenRead(_ persons: PersonKeys) throws -> CardRead {
        var reader = IdCardFrameReader()
        guard case let .reply(reply)? = reader.feed(IdCardFixtures.golden).first else {
            throw HarnessError("the golden read did not decode")
        }
        return persons.read(try IdCardText.parse(reply))
    }

    @Test(
        "a push-button press takes the held card's ticket (绿色通道 by age); a clerk's take does not use it; the hold is used once"
    )
    func buttonBox() async throws {
        let config = DaemonHarness.demoConfig
            .replacingOccurrences(of: "[queue]\n", with: "[queue]\npriority_age = 70\n")
            .replacingOccurrences(of: "name = \"检验检测机构资质认定\"\n", with: "name = \"检验检测机构资质认定\"\npriority = true\n")
        let h = try InProcessHall(config: config)
        let read = try Self.goldenRead(try #require(h.hall.links?.persons))
        #expect(read.masked == "张*" && read.person.birth == "19491231")
        h.devices.cards.present(read, kiosk: "kiosk", seconds: 3600)
        // A clerk issuing at the window is not the person at the kiosk.
        let clerk = try await h.dispatcher.answer(
            .command(.take(service: "B", key: nil)), origin: Origin(role: "clerk"))
        #expect(clerk["ticket"]?["green_channel"] == nil)
        #expect(h.devices.cards.current(kiosk: "kiosk") != nil)
        let pressed = try await h.dispatcher.answer(
            .command(.take(service: "A", key: nil)), origin: Origin(role: "keypad"))
        #expect(pressed["ticket"]?["green_channel"] == true)
        #expect(h.devices.cards.current(kiosk: "kiosk") == nil, "used once")
        // The same card again: A is refused, the hold stays for another choice.
        h.devices.cards.present(read, kiosk: "kiosk", seconds: 3600)
        await #expect(throws: HallError.self) {
            _ = try await h.dispatcher.answer(.command(.take(service: "A", key: nil)), origin: Origin(role: "keypad"))
        }
        #expect(h.devices.cards.current(kiosk: "kiosk") != nil)
        #expect(await h.ask(.kiosk, ["op": "take", "service": "C"])["ticket"]?["label"] == "C001")
        #expect(await h.ask(.kiosk, ["op": "card"])["card"] == .null)
    }

    @Test(
        "a booked person's card at the kiosk: the card shows the booking, checkin with card: true issues the booked ticket for that person and ends the hold; another card has none"
    )
    func bookingByCard() async throws {
        let h = try InProcessHall(config: DaemonHarness.demoConfig)
        let persons = try #require(h.hall.links?.persons)
        let read = try Self.goldenRead(persons)
        let today = h.hall.snapshotEngine().calendar.day(h.hall.clock())
        let booked = await h.ask(
            .admin,
            [
                "op": "book",
                "bookings": [
                    [
                        "ref": "P-1", "service": "B", "slot_start": .string("\(today)T00:00"),
                        "slot_end": .string("\(today)T23:59"), "code": "K1001", "name_masked": "张*",
                        "id_number": .string(IdCardFixtures.goldenNumber),
                    ]
                ],
            ])
        #expect(booked["created"] == 1, "\(booked.text)")
        #expect(await h.ask(.kiosk, ["op": "checkin", "card": true])["error"] == "BOOKING-UNKNOWN")
        h.devices.cards.present(read, kiosk: "kiosk", seconds: 3600)
        let card = await h.ask(.kiosk, ["op": "card"])["card"]
        #expect(card?["booking"]?["ref"] == "P-1" && card?["booking"]?["slot"] == "00:00-23:59", "\(card?.text ?? "")")
        #expect(!(card?.text.contains("K1001") ?? true), "the code is not shown")
        let r = await h.ask(.kiosk, ["op": "checkin", "card": true])
        #expect(r["ticket"]?["label"] == "B001" && r["ticket"]?["booked"] == true, "\(r.text)")
        #expect(h.devices.cards.current(kiosk: "kiosk") == nil, "the hold ends with the ticket")
        let stored = try #require(try await h.hall.storedTicket(label: "B001", day: today))
        #expect(stored.person == read.person.key)
        // The same card again: checked in already, nothing more to check in for.
        h.devices.cards.present(read, kiosk: "kiosk", seconds: 3600)
        #expect(await h.ask(.kiosk, ["op": "card"])["card"]?["booking"] == .null)
        #expect(await h.ask(.kiosk, ["op": "checkin", "card": true])["error"] == "BOOKING-UNKNOWN")
        #expect(await h.ask(.kiosk, ["op": "checkin", "card": true, "code": "K1001"])["error"] == "BAD-REQUEST")
    }

    @Test("a hold ends after hold_s, or when dropped")
    func expiry() throws {
        let now = Locked(100.0)
        let desk = CardDesk(clock: { now.with { $0 } })
        let read = CardRead(person: Person(key: "k", birth: nil), masked: "李*")
        desk.present(read, kiosk: "kiosk", seconds: 20)
        now.with { $0 += 19.9 }
        #expect(desk.current(kiosk: "kiosk")?.read == read)
        now.with { $0 += 0.2 }
        #expect(desk.current(kiosk: "kiosk") == nil)
        desk.present(read, kiosk: "kiosk", seconds: 20)
        desk.drop(kiosk: "kiosk")
        #expect(desk.current(kiosk: "kiosk") == nil)
    }

    @Test("masked names: the first character and a star for each other; Latin names keep an initial")
    func masks() {
        #expect(PersonKeys.mask("张三") == "张*")
        #expect(PersonKeys.mask("欧阳娜娜") == "欧***")
        #expect(PersonKeys.mask("JOHN SMITH") == "J*")
        #expect(PersonKeys.mask("") == "*")
    }
}
