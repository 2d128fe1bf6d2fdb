import Foundation
import HallqProtocol
import HallqTestKit
import Testing

/// hallqctl as people and scripts use it: the real binary against the real daemon.
@Suite("hallqctl", .serialized, .onDaemonThreads)
struct HallqctlTests {
    func ctl(_ d: DaemonHarness, _ args: [String], stdin: String? = nil) throws -> ProgramRun {
        try d.hallqctl(args, stdin: stdin)
    }

    func run(_ program: URL, _ args: [String], stdin: String? = nil) throws -> ProgramRun {
        try runProgram(program, args, stdin: stdin)
    }

    @Test("user add reads the password from stdin or a file, never argv; list shows no hash; passwd and remove")
    func users() throws {
        let d = try DaemonHarness()
        try d.start()
        let added = try ctl(d, ["user", "add", "李四", "--role", "clerk"], stdin: "secret-pass-1\n")
        #expect(added.status == 0 && added.out.contains("added 李四 (clerk)"), "\(added.err)")
        let file = d.stateDir.deletingLastPathComponent().appendingPathComponent("pw")
        try "another-pass-2\n".write(to: file, atomically: true, encoding: .utf8)
        #expect(try ctl(d, ["user", "add", "boss", "--role", "admin", "--password-file", file.path]).status == 0)
        let short = try ctl(d, ["user", "add", "x", "--role", "kiosk"], stdin: "short\n")
        #expect(short.status == 1 && short.err.contains("BAD-REQUEST") && !short.err.contains("short\n"))
        let list = try ctl(d, ["user", "list"])
        #expect(list.out.contains("李四") && list.out.contains("boss") && !list.out.contains("$2"))
        #expect(try ctl(d, ["--json", "user", "list"]).out.contains("\"role\":\"admin\""))
        #expect(try ctl(d, ["user", "passwd", "李四"], stdin: "changed-pass-3\n").status == 0)
        #expect(try ctl(d, ["user", "remove", "boss"]).status == 0)
        #expect(try ctl(d, ["user", "remove", "boss"]).status == 1)
        #expect(!d.log.contains("secret-pass-1") && !d.log.contains("changed-pass-3"))
        #expect(d.stop() == 0)
    }

    @Test("history shows the staff account beside the clerk: an admin's step at a clerk's window says so")
    func historyShowsAccount() throws {
        let port = try freePort()
        let d = try DaemonHarness(config: DaemonHarness.demoConfig + "\n[http]\nlisten = \"127.0.0.1:\(port)\"\n")
        try d.start()
        #expect(try ctl(d, ["user", "add", "王五", "--role", "clerk"], stdin: "window-pass-1\n").status == 0)
        #expect(try ctl(d, ["user", "add", "boss", "--role", "admin"], stdin: "admin-pass-1\n").status == 0)
        // A browser's steps, by curl: log in (the cookie in a jar), then ops with the CSRF token.
        let jar = d.stateDir.deletingLastPathComponent().appendingPathComponent("jar-\(UUID().uuidString)")
        let curl = URL(fileURLWithPath: "/usr/bin/curl")
        func login(_ name: String, _ password: String) throws -> String? {
            let r = try run(
                curl,
                [
                    "-s", "-c", jar.path, "-H", "Content-Type: application/json", "-d",
                    #"{"name":"\#(name)","password":"\#(password)"}"#, "http://127.0.0.1:\(port)/api/login",
                ])
            return JSONValue.parse(Array(r.out.utf8))?["csrf"]?.stringValue
        }
        func op(_ op: String, _ body: String, csrf: String) throws -> String {
            try run(
                curl,
                [
                    "-s", "-b", jar.path, "-H", "Content-Type: application/json", "-H", "X-CSRF-Token: \(csrf)",
                    "-d", body, "http://127.0.0.1:\(port)/api/ops/\(op)",
                ]
            ).out
        }
        // The HTTP listener binds a moment after the sockets answer.
        var csrf: String?
        #expect(
            eventually {
                csrf = try? login("王五", "window-pass-1")
                return csrf != nil
            })
        #expect(try op("signin", #"{"window":1}"#, csrf: #require(csrf)).contains("\"ok\":true"))
        #expect(try ctl(d, ["take", "A"]).status == 0)
        #expect(try op("call", #"{"window":1}"#, csrf: #require(csrf)).contains("A001"))
        let admin = try #require(try login("boss", "admin-pass-1"))
        #expect(try op("finish", #"{"window":1}"#, csrf: admin).contains("\"ok\":true"))
        // The monthly report is one report: the admin page's printable one has hallqctl's rows.
        let day = try #require(
            JSONValue.parse(Array(try ctl(d, ["status", "--json"]).out.utf8))?["hall"]?["day"]?.stringValue)
        let markdown = try ctl(d, ["report", "--month", String(day.prefix(7))]).out
        let page = try run(
            curl, ["-s", "-b", jar.path, "http://127.0.0.1:\(port)/admin/report?month=\(day.prefix(7))"]
        ).out
        let rows = markdown.split(separator: "\n").filter { $0.hasPrefix("| A ") || $0.hasPrefix("| 1号窗口") }
        #expect(rows.count == 2, "\(markdown)")
        for row in rows {
            let cells = row.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            #expect(page.contains(cells.map { "<td>\($0)</td>" }.joined()), "\(row) in the page")
        }
        let history = try ctl(d, ["history", "A001"])
        let lines = history.out.split(separator: "\n")
        #expect(lines.contains { $0.contains("account") && $0.contains("clerk") }, "\(history.out)")
        #expect(lines.contains { $0.contains("call") && $0.contains("王五") && $0.contains("clerk") })
        #expect(
            lines.contains { $0.contains("finish") && $0.contains("王五") && $0.contains("boss") },
            "the admin's step at 王五's window: \(history.out)")
        #expect(d.stop() == 0)
    }

    @Test("with [http] public_url, take shows the ticket's status page")
    func statusPage() throws {
        let d = try DaemonHarness(
            config: DaemonHarness.demoConfig
                + "\n[http]\nlisten = \"127.0.0.1:0\"\npublic_url = \"http://hall.example\"\n")
        try d.start()
        let take = try ctl(d, ["take", "A"])
        #expect(take.out.contains("status page http://hall.example/t/"), "\(take.out)")
        #expect(d.stop() == 0)
    }

    @Test("a day with hallqctl alone: tables for people, JSON for scripts, exit codes and tokens on failure")
    func day() throws {
        let d = try DaemonHarness()
        try d.start()
        let take = try ctl(d, ["take", "A"])
        #expect(take.status == 0 && take.out.contains("ticket A001") && take.out.contains("ahead 0"))
        #expect(try ctl(d, ["take", "B", "--json"]).out.contains("\"label\":\"B001\""))
        #expect(try ctl(d, ["signin", "1", "张三"]).status == 0)
        #expect(try ctl(d, ["call", "1"]).out.contains("ticket A001"))
        #expect(try ctl(d, ["recall", "1"]).status == 0)
        #expect(try ctl(d, ["transfer", "1", "--service", "B"]).status == 0)
        #expect(try ctl(d, ["call", "1"]).out.contains("A001"), "transferred tickets go first")
        #expect(try ctl(d, ["finish", "1"]).status == 0)
        #expect(try ctl(d, ["rate", "1", "4", "--reason", "等候略久"]).status == 0)

        let empty = try ctl(d, ["call", "1", "--ticket", "Z999"])
        #expect(empty.status == 1 && empty.err.contains("UNKNOWN-TICKET"))
        let refused = try ctl(d, ["hall", "sometimes"])
        #expect(refused.status == 1 && refused.err.contains("BAD-REQUEST"))

        let status = try ctl(d, ["status"])
        #expect(status.out.contains("window") && status.out.contains("张三") && status.out.contains("printer"))
        let history = try ctl(d, ["history", "A001"])
        for step in ["take", "call", "recall", "transfer", "finish", "rate"] {
            #expect(history.out.contains(step), "\(step)")
        }
        let stats = try ctl(d, ["stats", "--by", "clerk", "--json"])
        let rows = JSONValue.parse(Array(stats.out.utf8))?["rows"]?.arrayValue ?? []
        #expect(rows.first { $0["key"] == "张三" }?["served"] == 1)
        let csv = try ctl(d, ["export"])
        #expect(csv.out.hasPrefix("day,ticket,") && csv.out.contains(",A001,A,B,"))
        let today = try #require(
            JSONValue.parse(Array(try ctl(d, ["status", "--json"]).out.utf8))?["hall"]?["day"]?.stringValue)
        let month = String(today.prefix(7))
        let report = try ctl(d, ["report", "--month", month])
        #expect(
            report.out.contains("\(month.replacingOccurrences(of: "-", with: "年"))月 服务情况月报")
                && report.out.contains("## 各事项办理情况 By service") && report.out.contains("## 各窗口办理情况 By window"),
            "\(report.out)")
        #expect(!report.out.contains("张三"), "the report is for posting: no clerk names")
        // 好差评 in the report: the one rating, 满意, for its service and in total, 满意率 100%.
        #expect(report.out.contains("## 满意度评价（好差评）Satisfaction ratings"))
        #expect(report.out.contains("| B 计量授权 | 0 | 1 | 0 | 0 | 0 | 1 | 100% |"), "\(report.out)")
        #expect(report.out.contains("| 合计 | 0 | 1 | 0 | 0 | 0 | 1 | 100% |"))
        #expect(try ctl(d, ["stats", "--by", "total"]).out.contains("0/1/0/0/0"))
        #expect(try ctl(d, ["history", "A001"]).out.contains("rating 4 (等候略久)"))
        #expect(csv.out.contains(",4,等候略久\n"))
        // Without --month: the last complete month, also into a file with -o.
        let file = d.stateDir.deletingLastPathComponent().appendingPathComponent("report.md")
        let written = try ctl(d, ["report", "-o", file.path])
        let last = try #require(MonthlyReportModel.lastCompleteMonth(before: today))
        #expect(written.status == 0 && written.err.contains("report for \(last)"), "\(written.err)")
        #expect(
            (try? String(contentsOf: file, encoding: .utf8))?.contains(
                "\(last.replacingOccurrences(of: "-", with: "年"))月 服务情况月报") == true)
        #expect(try ctl(d, ["report", "--month", "2024-02"]).out.contains("2024-02-29"), "leap year")
        #expect(try ctl(d, ["report", "--month", "2026-01"]).out.contains("2026年01月"))
        #expect(try ctl(d, ["report", "--month", "2026-13"]).status != 0)
        #expect(d.stop() == 0)
        let gone = try ctl(d, ["status"])
        #expect(gone.status == 69 && gone.err.contains("cannot connect"))
    }
}
