import Foundation
import HTTPTypes
import HallqApp
import HallqCore
import HallqProtocol
import HallqTestKit
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import HallqWeb

/// The portal's side of bookings over HTTP (docs/HTTP.md): an account of role `booking` sends a
/// day's bookings as a JSON array and reads back check-ins and no-shows; the hall's clock is the
/// test's (2026-11-30 08:53:20 in Shanghai).
@Suite struct BookingAPITests {
    static let day = "2026-11-30"

    static func booking(
        _ ref: String, _ code: String, _ start: String, _ end: String, extra: [String: JSONValue] = [:]
    )
        -> JSONValue
    {
        var o: [String: JSONValue] = [
            "ref": .string(ref), "service": "A", "slot_start": .string("\(day)T\(start):00+08:00"),
            "slot_end": .string("\(day)T\(end):00+08:00"), "code": .string(code), "name_masked": "张*",
        ]
        o.merge(extra) { _, b in b }
        return .object(o)
    }

    func post(_ s: StaffClient, _ body: JSONValue, csrf: Bool = true) async throws -> TestResponse {
        var h: HTTPFields = [.contentType: "application/json"]
        if let cookie = s.cookie { h[.cookie] = cookie }
        if csrf, let token = s.csrf { h[HTTPField.Name("X-CSRF-Token")!] = token }
        return try await s.client.execute(
            uri: "/api/bookings", method: .post, headers: h, body: ByteBuffer(string: body.text))
    }

    @Test(
        "POST /api/bookings is idempotent by ref (same array twice, a changed slot, a cancellation); check-in over HTTP; GET lists no-shows; only the booking role and admins; the ID number is kept nowhere"
    )
    func portal() async throws {
        let w = try await StaffTests().hall()
        try await w.app.test(.router) { client in
            var portal = StaffClient(client)
            #expect(try await portal.login("booking", StaffTests.passwords["booking"]!).status == .ok)
            let list: JSONValue = [
                Self.booking("P1", "K1001", "09:00", "09:30"), Self.booking("P2", "K1002", "09:00", "09:20"),
                Self.booking("P3", "K1003", "10:00", "10:30", extra: ["id_number": "11010519491231002X"]),
                // Sent late: its check-in closed at 08:40, so it is a no-show at once.
                Self.booking("P4", "K1004", "08:00", "08:20"),
            ]
            let first = try await post(portal, list)
            #expect(first.status == .ok && first.json["created"] == 4, "\(first.text)")
            let again = try await post(portal, list)
            #expect(again.json["unchanged"] == 4 && again.json["created"] == 0)
            let moved = try await post(portal, [Self.booking("P1", "K1001", "09:30", "10:00")])
            #expect(moved.json["results"]?.arrayValue?.first?["result"] == "updated")
            let cancel = try await post(
                portal, [Self.booking("P2", "K1002", "09:00", "09:20", extra: ["cancelled": true])])
            #expect(cancel.json["cancelled"] == 1)
            #expect(try await post(portal, list, csrf: false).status == .forbidden)
            #expect(try await post(portal, ["not": "an array"]).status == .badRequest)
            // The portal's account does nothing else.
            #expect(try await portal.op("take", ["service": "A"]).status == .forbidden)

            // A kiosk checks P1 in (09:30 slot: open from 08:30); P3's opens at 09:00.
            var kiosk = StaffClient(client)
            _ = try await kiosk.login("kiosk", StaffTests.passwords["kiosk"]!)
            #expect(try await kiosk.get("/api/bookings?day=\(Self.day)").status == .forbidden)
            let checkin = try await kiosk.op("checkin", ["code": "k1001"])
            #expect(checkin.status == .ok && checkin.json["ticket"]?["booked"] == true, "\(checkin.text)")
            let early = try await kiosk.op("checkin", ["code": "K1003"])
            #expect(early.status == .conflict && early.json["error"] == "TOO-EARLY")
            #expect(early.json["message"]?.stringValue?.contains("09:00") == true)
            #expect(try await kiosk.op("checkin", ["code": "K1002"]).json["error"] == "BOOKING-CANCELLED")
            #expect(try await kiosk.op("checkin", ["code": "NOPE99"]).status == .notFound)

            // Past 10:50 P3 (10:00–10:30, late_min 20) is a no-show once the sweeper runs.
            w.advance(seconds: 2 * 3600)
            #expect(try await w.hall.hall.markNoShows() == 1)
            let noShows = try await portal.get("/api/bookings?day=\(Self.day)&state=no_show")
            #expect(noShows.json["bookings"]?.arrayValue?.map { $0["ref"] } == ["P4", "P3"], "\(noShows.text)")
            let all = try await portal.get("/api/bookings?day=\(Self.day)")
            let states = all.json["bookings"]?.arrayValue?.map {
                "\($0["ref"]!.stringValue!) \($0["state"]!.stringValue!)"
            }
            #expect(states == ["P4 no_show", "P2 cancelled", "P1 checked_in", "P3 no_show"], "\(all.text)")
            #expect(!all.text.contains("11010519491231002X") && !first.text.contains("11010519491231002X"))

            // Three days on the engine has let the day go; the list comes from the store, the same.
            w.advance(seconds: 3 * 86_400)
            _ = try await w.hall.hall.markNoShows()
            #expect(await w.hall.hall.read { $0.bookings.isEmpty })
            let later = try await portal.get("/api/bookings?day=\(Self.day)")
            #expect(later.json["bookings"] == all.json["bookings"], "\(later.text)")
        }
        await w.stop()
        for file in try FileManager.default.contentsOfDirectory(atPath: w.hall.stateDir.path) {
            let data = (try? Data(contentsOf: w.hall.stateDir.appendingPathComponent(file))) ?? Data()
            #expect(data.range(of: Data("11010519491231002X".utf8)) == nil, "\(file)")
        }
        #expect(!w.logged.with { $0.joined() }.contains("11010519491231002X"))
    }
}
