import Foundation
import HallqCore
import HallqProtocol
import HallqTestKit
import Testing

/// Bookings (预约) against the real hallqd: imported with hallqctl from a CSV file, checked in by
/// code and by a scanned QR (an emulated USB keyboard-wedge scanner under umockdev, read by the
/// real libevdev), kept across a restart, and marked no-show by the daemon's own sweeper.
@Suite("bookings in hallqd", .serialized, .onDaemonThreads)
struct BookingDaemonTests {
    static let calendar = HallCalendar(timeZone: TimeZone(identifier: "Asia/Shanghai")!)
    static var today: String { calendar.day(Millis(Date().timeIntervalSince1970 * 1000)) }
    static var yesterday: String { calendar.day(Millis(Date().timeIntervalSince1970 * 1000) - 86_400_000) }

    /// One service, a virtual printer (its tickets land in state/printer/tickets.txt), a scanner.
    static let config =
        TestHallConfig.oneService(windows: 1).replacingOccurrences(of: "kind = \"none\"", with: "kind = \"virtual\"")
        + "\n[[scanner]]\ndevice = \"\(EmulatedKeypad.path)\"\n"

    /// A CSV as a portal exports it: today's whole-day slot (check-in open at any hour of the
    /// test), one cancelled, one yesterday's nobody came to, one with an ID number.
    static var csv: String {
        """
        ref,service,slot_start,slot_end,code,name_masked,id_number,cancelled
        P-1,A,\(today)T00:00,\(today)T23:59,K1001,张*,,
        P-2,A,\(today)T00:00:00+08:00,\(today)T23:59:00+08:00,K1002,"李*",11010519491231002X,
        P-3,A,\(today)T00:00,\(today)T23:59,K1003,王*,,true
        P-4,A,\(yesterday)T10:00,\(yesterday)T10:30,K1004,赵*,,

        """
    }

    func ctl(_ d: DaemonHarness, _ args: [String], stdin: String? = nil) throws -> ProgramRun {
        try d.hallqctl(args, stdin: stdin)
    }

    func bookings(
        _ d: DaemonHarness, day: String = BookingDaemonTests.today, state: String? = nil
    ) throws -> [JSONValue] {
        var q: [String: JSONValue] = ["op": "bookings", "day": .string(day)]
        if let state { q["state"] = .string(state) }
        return try d.ask(.admin, .object(q))["bookings"]?.arrayValue ?? []
    }

    @Test(
        "hallqctl booking import (twice: unchanged), check-in by code, a restart keeps bookings and the booked ticket, the sweeper marks yesterday's no-show, no ID number stored"
    )
    func importCheckinRestart() throws {
        let d = try DaemonHarness(config: Self.config)
        try d.start()
        let first = try ctl(d, ["booking", "import", "-"], stdin: Self.csv)
        #expect(first.status == 0 && first.out.contains("created 3") && first.out.contains("cancelled 1"), "\(first)")
        let again = try ctl(d, ["--json", "booking", "import", "-"], stdin: Self.csv)
        #expect(again.status == 0 && again.out.contains("\"unchanged\":4"), "\(again)")
        // Yesterday's booking came after its check-in closed: a no-show at once.
        #expect(try bookings(d, day: Self.yesterday, state: "no_show").count == 1)
        // One whose check-in closes in 3 s: the daemon's sweeper (every 10 s) marks it by itself.
        let now = Millis(Date().timeIntervalSince1970 * 1000)
        let end = now - 20 * 60_000 + 3000
        let soon: JSONValue = [
            "ref": "P-5", "service": "A", "slot_start": .string(Self.calendar.localTimestamp(end - 600_000)),
            "slot_end": .string(Self.calendar.localTimestamp(end)), "code": "K1005",
        ]
        #expect(try d.ask(.admin, ["op": "book", "bookings": [soon]])["created"] == 1)
        let day = Self.calendar.day(end)
        #expect(try bookings(d, day: day, state: "booked").contains { $0["ref"] == "P-5" })
        #expect(try eventually(30) { try self.bookings(d, day: day, state: "no_show").contains { $0["ref"] == "P-5" } })

        let checkin = try ctl(d, ["--json", "checkin", "k1001"])
        #expect(checkin.status == 0 && checkin.out.contains("\"booked\":true"), "\(checkin)")
        let refused = try ctl(d, ["checkin", "K1001"])
        #expect(refused.status == 1 && refused.err.contains("ALREADY-CHECKED-IN") && refused.err.contains("A001"))
        #expect(try ctl(d, ["checkin", "K1003"]).err.contains("BOOKING-CANCELLED"))
        #expect(try ctl(d, ["checkin", "NOPE99"]).err.contains("BOOKING-UNKNOWN"))
        // A walk-in taken after the check-in still queues behind the booked ticket.
        #expect(try d.ask(.kiosk, ["op": "take", "service": "A"]).ok)
        let printed = try String(
            contentsOf: d.stateDir.appendingPathComponent("printer/tickets.txt"), encoding: .utf8)
        #expect(printed.contains("预约 00:00-23:59"), "\(printed)")

        #expect(d.stop() == 0)
        try d.start()
        let list = try ctl(d, ["booking", "list"])
        #expect(list.status == 0 && list.out.contains("checked_in") && list.out.contains("张*"), "\(list)")
        let states = try bookings(d).map { "\($0["ref"]!.stringValue!)=\($0["state"]!.stringValue!)" }
        #expect(states.filter { !$0.hasPrefix("P-5") }.sorted() == ["P-1=checked_in", "P-2=booked", "P-3=cancelled"])
        let waiting = try d.ask(.kiosk, ["op": "status", "waiting": true])["waiting_tickets"]?.arrayValue ?? []
        #expect(waiting.map { $0["booked"] } == [true, false])
        #expect(try ctl(d, ["--json", "booking", "import", "-"], stdin: Self.csv).out.contains("\"unchanged\":4"))
        let history = try d.ask(.admin, ["op": "history", "ticket": "A001"])["events"]?.arrayValue ?? []
        #expect(history.map { $0["event"] } == ["take", "booking", "print"], "\(history)")
        #expect(d.stop() == 0)

        // The ID number sent with P-2 is nowhere on disk or in the log: only its keyed hash.
        for file in try FileManager.default.contentsOfDirectory(atPath: d.stateDir.path) {
            let data = (try? Data(contentsOf: d.stateDir.appendingPathComponent(file))) ?? Data()
            #expect(data.range(of: Data("11010519491231002X".utf8)) == nil, "\(file)")
            #expect(data.range(of: Data("110105194912".utf8)) == nil, "\(file)")
        }
        #expect(!d.log.contains("11010519491231002X"))
    }

    /// A USB keyboard typing `keys` (linux/input-event-codes.h, with their HID usages) from `at`
    /// seconds, one every 0.1 s, each let go before the next.
    static func typing(_ keys: [(code: Int, scan: Int)], at: Double = 0) -> String {
        keys.enumerated().map { i, k in EmulatedKeypad.press(k.code, scan: k.scan, at: at + Double(i) * 0.1) }.joined()
    }
    static let k = (code: 37, scan: 0x7000E)
    static let one = (code: 2, scan: 0x7001E)
    static let zero = (code: 11, scan: 0x70027)
    static let two = (code: 3, scan: 0x7001F)
    static let enter = (code: 28, scan: 0x70028)
    static let slash = (code: 53, scan: 0x70038)
    static let shift = (code: 42, scan: 0x700E1)

    @Test(
        "a scanned booking QR (code + Enter) checks in and prints; garbage, a half-typed code and a stray Enter do nothing"
    )
    func scanner() throws {
        let pad = try EmulatedKeypad()
        let d = try DaemonHarness(config: Self.config)
        try d.start(extraEnv: pad.environment)
        #expect(try ctl(d, ["booking", "import", "-"], stdin: Self.csv).status == 0)
        let health = {
            try d.ask(.admin, ["op": "devices"])["devices"]?["keypads"]?.arrayValue?.first {
                $0["use"]?.stringValue?.hasPrefix("scanner") == true
            }?["health"]
        }
        #expect(try eventually { try health() == "ok" }, "\(d.log)")
        #expect(pad.grabbed, "the scanner is grabbed (EVIOCGRAB)")
        let waiting = { try d.ask(.kiosk, ["op": "status"])["services"]?.arrayValue?.first?["waiting"] }

        // Garbage (a slash in it), then half a code and a pause, then a stray Enter.
        try pad.replay(Self.typing([Self.k, Self.one, Self.slash, Self.zero, Self.zero, Self.two, Self.enter]))
        try pad.replay(Self.typing([Self.k, Self.one, Self.zero]) + Self.typing([Self.enter], at: 1.6))
        // Shift + K 1 0 0 1 Enter, as a scanner types an upper-case code.
        try pad.replay(Self.typing([Self.shift, Self.k, Self.one, Self.zero, Self.zero, Self.one, Self.enter]))
        #expect(try eventually { try waiting() == 1 }, "\(d.log)")
        let take = try #require(
            try d.ask(.admin, ["op": "history", "ticket": "A001"])["events"]?.arrayValue?.first)
        #expect(take["event"] == "take" && take["role"] == "scanner" && take["details"]?["booking"] == "P-1")
        #expect(try bookings(d, state: "checked_in").map { $0["ref"] } == ["P-1"])
        #expect(try bookings(d, state: "booked").map { $0["ref"] } == ["P-2"])
        let printed = try String(
            contentsOf: d.stateDir.appendingPathComponent("printer/tickets.txt"), encoding: .utf8)
        #expect(printed.contains("A001") && printed.contains("预约"))
        #expect(d.stop() == 0)
    }
}
