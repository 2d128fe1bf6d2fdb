import Foundation
import HallqCore
import HallqProtocol
import HallqTestKit
import Hummingbird
import HummingbirdTesting
import Testing

@testable import HallqWeb

@Suite struct MetricsTests {
    static let families = [
        "hallq_tickets_issued_total", "hallq_calls_total", "hallq_tickets_closed_total", "hallq_waiting_tickets",
        "hallq_oldest_waiting_seconds", "hallq_wait_seconds", "hallq_service_seconds", "hallq_commit_seconds",
        "hallq_device_up", "hallq_build_info", "hallq_rating_orders", "hallq_rating_orders_overdue",
    ]

    @Test("/metrics on loopback: every family, counts that follow the queue, no ticket or person; promtool passes")
    func exposition() async throws {
        let w = try await WebHall()
        for s in ["A", "A", "A", "B"] { try await w.ok(.kiosk, ["op": "take", "service": .string(s)]) }
        try await w.ok(.clerk, ["op": "signin", "window": 1, "clerk": "张三"])
        try await w.ok(.clerk, ["op": "call", "window": 1])
        try await w.ok(.clerk, ["op": "recall", "window": 1])
        try await w.ok(.clerk, ["op": "finish", "window": 1])
        try await w.ok(.clerk, ["op": "call", "window": 1])
        try await w.ok(.clerk, ["op": "noshow", "window": 1])
        w.advance(seconds: 90)
        try await w.live { client in
            // The counters follow commits on their own task: wait for the last one.
            var text = ""
            #expect(
                try await eventuallyAsync {
                    let r = try await client.execute(uri: "/metrics", method: .get)
                    text = String(buffer: r.body)
                    return text.contains(#"hallq_tickets_closed_total{service="A",outcome="noshow"} 1"#)
                })
            for f in Self.families { #expect(text.contains("# TYPE \(f) "), "\(f)") }
            for line in [
                #"hallq_tickets_issued_total{service="A"} 3"#, #"hallq_tickets_issued_total{service="B"} 1"#,
                #"hallq_calls_total{service="A",kind="call"} 2"#, #"hallq_calls_total{service="A",kind="recall"} 1"#,
                #"hallq_tickets_closed_total{service="A",outcome="served"} 1"#,
                #"hallq_waiting_tickets{service="A"} 1.0"#, #"hallq_waiting_tickets{service="B"} 1.0"#,
                #"hallq_oldest_waiting_seconds{service="A"} 90.0"#, #"hallq_oldest_waiting_seconds{service="C"} 0.0"#,
                "hallq_wait_seconds_count 1", "hallq_service_seconds_count 1", #"hallq_build_info{version="test"} 1.0"#,
                #"hallq_device_up{device="printer"} 1.0"#,
            ] {
                #expect(text.contains(line + "\n"), "\(line)")
            }
            #expect(!text.contains("A00") && !text.contains("张三"))
            let check = try promtool(text)
            #expect(check.status == 0, "promtool: \(check.output)")
        }
        await w.stop()
    }

    @Test("a hall without a printer reports no printer, rather than one that is down")
    func noPrinter() async throws {
        let w = try await WebHall(
            config: WebHall.config.replacingOccurrences(
                of: "kind = \"virtual\"\n\n[[bus]]", with: "kind = \"none\"\n\n[[bus]]"))
        try await w.live { client in
            let text = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            #expect(text.contains("hallq_device_up{device=\"bus:signs\"} 1.0"))
            #expect(!text.contains("device=\"printer\""))
        }
        await w.stop()
    }

    @Test("an ID-card reader that is not there is a device that is down")
    func readerDown() async throws {
        let w = try await WebHall(extraConfig: "\n[[idcard]]\ndevice = \"/dev/hallq/no-reader\"\nkiosk = true\n")
        try await w.live { client in
            let down = try await eventuallyAsync(10) {
                String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
                    .contains(#"hallq_device_up{device="idcard:/dev/hallq/no-reader"} 0.0"#)
            }
            #expect(down)
        }
        await w.stop()
    }

    @Test("/metrics from elsewhere than loopback is refused with NOT-ALLOWED")
    func notLoopback() async throws {
        let w = try await WebHall()
        try await w.app.test(.router) { client in
            // The router test's connection has no peer address: not loopback.
            let r = try await client.execute(uri: "/metrics", method: .get)
            #expect(r.status == .forbidden)
            #expect(r.json["error"]?.stringValue == "NOT-ALLOWED")
        }
        await w.stop()
    }

    /// Debian's promtool (package prometheus) on the exposition text.
    func promtool(_ text: String) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/promtool")
        p.arguments = ["check", "metrics"]
        let input = Pipe()
        let output = Pipe()
        p.standardInput = input
        p.standardOutput = output
        p.standardError = output
        try p.runSerially()
        input.fileHandleForWriting.write(Data(text.utf8))
        try input.fileHandleForWriting.close()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        return (try p.finish(), String(decoding: out, as: UTF8.self))
    }
}
