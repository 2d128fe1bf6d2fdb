import Foundation
import GRDB
import HallqClient
import HallqProtocol
import HallqTestKit
import Testing

/// The real hallqd under libfaketime (Debian's faketime): its wall clock steps back and forth
/// while the monotonic clock runs on, as on a machine whose time NTP corrects.
@Suite("clock steps under libfaketime", .serialized, .onDaemonThreads)
struct ClockStepTests {
    static let library = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"
    static let config = TestHallConfig.oneService() + "\n[queue]\nidempotency_s = 1\n"

    /// The offset file libfaketime reads on every clock call: "+0", "-3600" …
    final class FakeClock {
        let file = URL(fileURLWithPath: "/tmp/hq-faketime-\(UUID().uuidString.prefix(8)).rc")
        init(_ offset: String) throws { try set(offset) }
        deinit { try? FileManager.default.removeItem(at: file) }
        func set(_ offset: String) throws { try Data((offset + "\n").utf8).write(to: file) }
        /// Under libfaketime's preload the Swift runtime does not get the command line (argv is
        /// empty; seen with Debian 12's faketime 0.9.10), so the daemon's paths go by environment,
        /// as under systemd.
        func environment(_ d: DaemonHarness) -> [String: String] {
            [
                "LD_PRELOAD": ClockStepTests.library, "FAKETIME_TIMESTAMP_FILE": file.path, "FAKETIME_NO_CACHE": "1",
                "FAKETIME_DONT_FAKE_MONOTONIC": "1", "HALLQ_CONFIG": d.configURL.path,
                "STATE_DIRECTORY": d.stateDir.path,
                "RUNTIME_DIRECTORY": d.runtimeDir.path,
            ]
        }
    }

    /// The offset that puts the fake clock at noon in Shanghai today: a step of an hour or two
    /// either way stays within the hall's day whenever the test runs (run between 00:00 and
    /// 01:00 Shanghai time, a step back of an hour used to land on yesterday).
    static func noon(plus seconds: Int = 0) -> String {
        let now = Date().timeIntervalSince1970
        let noon = floor((now + 8 * 3600) / 86400) * 86400 + 12 * 3600 - 8 * 3600
        let offset = Int(noon - now) + seconds
        return offset >= 0 ? "+\(offset)" : "\(offset)"
    }

    func csvColumn(_ csv: String, _ name: String) -> [String] {
        let rows = csv.split(separator: "\n").map {
            $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        }
        guard let i = rows.first?.firstIndex(of: name) else { return [] }
        return rows.dropFirst().compactMap { $0.count > i ? $0[i] : nil }
    }

    func days(_ d: DaemonHarness) throws -> (String, String) {
        // A window around "today" wide enough for any step in these tests.
        let day = try #require(try d.ask(.admin, ["op": "status"])["hall"]?["day"]?.stringValue)
        let f = DateFormatter()
        f.dateFormat = "yyyy-MM-dd"
        f.timeZone = TimeZone(identifier: "Asia/Shanghai")
        let date = try #require(f.date(from: day))
        return (f.string(from: date.addingTimeInterval(-86400 * 2)), f.string(from: date.addingTimeInterval(86400 * 2)))
    }

    @Test("a step back: no negative waits, no queue-jumping, keys expire on time, the step is logged and in status")
    func backward() throws {
        let clock = try FakeClock(Self.noon())
        let d = try DaemonHarness(config: Self.config)
        try d.start(extraEnv: clock.environment(d))
        let kiosk = try d.client(.kiosk)
        let clerk = try d.client(.clerk)
        let first = try kiosk.request(["op": "take", "service": "A", "key": "k1"])
        #expect(first["ticket"]?["label"] == "A001")
        #expect(try kiosk.request(["op": "take", "service": "A"])["ticket"]?["label"] == "A002")
        try clock.set(Self.noon(plus: -3600))
        let third = try kiosk.request(["op": "take", "service": "A"])
        #expect(third["ticket"]?["label"] == "A003")
        #expect(third["ticket"]?["ahead"] == 2, "a ticket taken after the step waits behind the two before it")
        usleep(1_200_000)  // past idempotency_s = 1 on the monotonic clock; the wall clock says −1 h
        let again = try kiosk.request(["op": "take", "service": "A", "key": "k1"])
        #expect(again["ticket"]?["duplicate"] == false && again["ticket"]?["label"] == "A004", "\(again.text)")

        let status = try d.ask(.admin, ["op": "status"])
        let step = try #require(status["clock"]?["last_step_s"]?.doubleValue, "\(status.text)")
        #expect(step < -3590 && step > -3610)

        #expect(try clerk.request(["op": "signin", "window": 1, "clerk": "张三"]).ok)
        var order: [String] = []
        for _ in 0..<4 {
            order.append(try clerk.request(["op": "call", "window": 1])["ticket"]?["label"]?.stringValue ?? "?")
        }
        #expect(order == ["A001", "A002", "A003", "A004"])
        #expect(try clerk.request(["op": "finish", "window": 1]).ok)

        let (from, to) = try days(d)
        let stats = try d.ask(.admin, ["op": "stats", "from": .string(from), "to": .string(to), "by": "total"])
        for row in stats["rows"]?.arrayValue ?? [] {
            for k in ["wait", "service"] {
                for f in ["mean_s", "median_s", "p90_s", "max_s"] {
                    if let v = row[k]?[f]?.doubleValue { #expect(v >= 0, "\(k).\(f) = \(v)") }
                }
            }
        }
        let csv = try #require(try d.export(from: from, to: to).csv)
        let waits = csvColumn(csv, "wait_s").filter { !$0.isEmpty }
        #expect(
            waits.count == 4 && waits.allSatisfy { (Double($0) ?? -1) >= 0 && (Double($0) ?? 99) < 60 },
            "\(waits)\n\(csv)")
        #expect(csvColumn(csv, "service_s").allSatisfy { $0.isEmpty || (Double($0) ?? -1) >= 0 })

        let db = try DatabaseQueue(path: d.stateDir.appendingPathComponent("hallq.sqlite").path)
        let logged = try db.read { try String.fetchAll($0, sql: "SELECT details FROM events WHERE type = 'clock'") }
        #expect(logged.count == 1 && logged.first?.contains("\"step_s\":\"-3") == true, "\(logged)")
        #expect(d.stop() == 0)
    }

    @Test("a step forward during a service does not add the step to the service time")
    func forward() throws {
        let clock = try FakeClock(Self.noon())
        let d = try DaemonHarness(config: Self.config)
        try d.start(extraEnv: clock.environment(d))
        let clerk = try d.client(.clerk)
        _ = try d.ask(.kiosk, ["op": "take", "service": "A"])
        _ = try clerk.request(["op": "signin", "window": 1, "clerk": "张三"])
        _ = try clerk.request(["op": "call", "window": 1])
        try clock.set(Self.noon(plus: 7200))
        #expect(try clerk.request(["op": "finish", "window": 1]).ok)
        let (from, to) = try days(d)
        let csv = try #require(try d.export(from: from, to: to).csv)
        let service = try #require(csvColumn(csv, "service_s").first.flatMap(Double.init))
        #expect(service >= 0 && service < 60, "service_s = \(service), not the two-hour step")
        let step = try d.ask(.admin, ["op": "status"])["clock"]?["last_step_s"]?.doubleValue ?? 0
        #expect(step > 7190 && step < 7210)
        #expect(d.stop() == 0)
    }

    @Test("across local midnight the numbers start again for the new day; yesterday's ticket is still called first")
    func midnight() throws {
        // Shanghai midnight is 16:00 UTC: put the fake clock 2 s before the next one.
        let now = Date().timeIntervalSince1970
        let nextMidnight = (floor((now + 8 * 3600) / 86400) + 1) * 86400 - 8 * 3600
        let clock = try FakeClock("+\(Int(nextMidnight - now) - 2)")
        let d = try DaemonHarness(config: Self.config)
        try d.start(extraEnv: clock.environment(d))
        let kiosk = try d.client(.kiosk)
        let before = try kiosk.request(["op": "take", "service": "A"])["ticket"]
        let day0 = try #require(before?["day"]?.stringValue)
        // Wait for the hall's day to turn (a real wait: this is the moment under test).
        #expect(try eventually(10) { try d.ask(.admin, ["op": "status"])["hall"]?["day"]?.stringValue != day0 })
        let after = try kiosk.request(["op": "take", "service": "A"])["ticket"]
        #expect(before?["label"] == "A001" && after?["label"] == "A001", "numbering restarts with the day")
        #expect(after?["day"]?.stringValue != day0)
        let clerk = try d.client(.clerk)
        _ = try clerk.request(["op": "signin", "window": 1, "clerk": "张三"])
        #expect(
            try clerk.request(["op": "call", "window": 1])["ticket"]?["day"]?.stringValue == day0,
            "issued before midnight, served first")
        #expect(d.stop() == 0)
    }
}
