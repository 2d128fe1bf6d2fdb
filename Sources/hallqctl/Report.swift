import ArgumentParser
import Foundation
import HallqProtocol

/// The monthly report admins publish: one Markdown document with the month's totals and its
/// figures by service, window, clerk and day, made from `stats` replies (no extra server op).
struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The monthly report (Markdown): totals, then by service, window, clerk and day.")
    @OptionGroup var g: Global
    @Option(help: "Month YYYY-MM (default: the hall's current month).") var month: String?
    @Option(name: .shortAndLong, help: "Write to this file instead of standard output.") var output: String?

    func run() throws {
        let status = try g.send("status")
        let hallName = status["hall"]?["name"]?.stringValue ?? "hallq"
        let m = month ?? String((status["hall"]?["day"]?.stringValue ?? "").prefix(7))
        guard let (from, to) = Self.range(of: m) else { throw ValidationError("--month must be YYYY-MM") }
        var sections: [(String, String, JSONValue)] = []
        for (title, by) in [
            ("总计 Total", "total"), ("按业务 By service", "service"), ("按窗口 By window", "window"),
            ("按工作人员 By clerk", "clerk"), ("按日 By day", "day"),
        ] {
            sections.append(
                (title, by, try g.send("stats", ["from": .string(from), "to": .string(to), "by": .string(by)])))
        }
        if g.json {
            print(
                JSONValue.object([
                    "month": .string(m), "from": .string(from), "to": .string(to),
                    "sections": .object(
                        Dictionary(uniqueKeysWithValues: sections.map { ($0.1, $0.2["rows"] ?? .null) })),
                ]).text)
            return
        }
        var md = ["# \(hallName) \(m) 月度报告", "", "统计区间 \(from) — \(to)。等候时间 = 叫号 − 进入队列；办理时间 = 办理结束 − 叫号；单位：秒。", ""]
        for (title, _, reply) in sections {
            md.append("## \(title)")
            md.append("")
            md.append(Self.table(reply["rows"]?.arrayValue ?? []))
            md.append("")
        }
        // 好差评: how many at each level, in total and per service (what the monthly notice shows).
        md.append("## 满意度评价（好差评）Satisfaction ratings")
        md.append("")
        let ratingRows = sections.filter { ["total", "service"].contains($0.1) }.flatMap {
            $0.2["rows"]?.arrayValue ?? []
        }
        md.append(Self.ratingTable(ratingRows))
        md.append("")
        let text = md.joined(separator: "\n")
        if let output {
            try Data(text.utf8).write(to: URL(fileURLWithPath: output))
            FileHandle.standardError.write(Data("hallqctl: report for \(m) written to \(output)\n".utf8))
        } else {
            print(text)
        }
    }

    /// First and last day of a month, or nil when it is not YYYY-MM.
    static func range(of month: String) -> (String, String)? {
        let p = month.split(separator: "-").compactMap { Int($0) }
        guard month.count == 7, p.count == 2, (1...12).contains(p[1]) else { return nil }
        let leap = p[0] % 4 == 0 && (p[0] % 100 != 0 || p[0] % 400 == 0)
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][p[1] - 1]
        return ("\(month)-01", String(format: "%@-%02d", month, days))
    }

    /// Each row's ratings by level (5 非常满意 … 1 非常不满意), their number and mean.
    static func ratingTable(_ rows: [JSONValue]) -> String {
        let rated = rows.filter { ($0["ratings"]?.intValue ?? 0) > 0 }
        guard !rated.isEmpty else { return "（本月无评价 no ratings this month）" }
        var lines = [
            "| 项 | 非常满意 | 满意 | 基本满意 | 不满意 | 非常不满意 | 评价数 | 平均 |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for r in rated {
            let levels = [5, 4, 3, 2, 1].map { Format.s(r["rating_levels"]?[String($0)]) }
            let mean = r["rating_mean"]?.doubleValue.map { String(format: "%.2f", $0) } ?? "-"
            lines.append(
                "| \(Format.s(r["key"])) | \(levels.joined(separator: " | ")) | \(Format.s(r["ratings"])) | \(mean) |")
        }
        return lines.joined(separator: "\n")
    }

    static func table(_ rows: [JSONValue]) -> String {
        guard !rows.isEmpty else { return "（无数据 no data）" }
        func n(_ v: JSONValue?) -> String { v?.doubleValue.map { String(format: "%.1f", $0) } ?? "-" }
        var lines = [
            "| 项 | 取号 | 办结 | 过号 | 转办 | 平均等候 | 中位等候 | P90等候 | 最长等候 | 平均办理 | 中位办理 | P90办理 | 满意度 |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for r in rows {
            let w = r["wait"]
            let s = r["service"]
            let rating =
                r["rating_mean"]?.doubleValue.map { String(format: "%.2f (%d)", $0, Int(r["ratings"]?.intValue ?? 0)) }
                ?? "-"
            lines.append(
                "| \(Format.s(r["key"])) | \(Format.s(r["issued"])) | \(Format.s(r["served"])) | \(Format.s(r["noshows"])) | "
                    + "\(Format.s(r["transferred"])) | \(n(w?["mean_s"])) | \(n(w?["median_s"])) | \(n(w?["p90_s"])) | \(n(w?["max_s"])) | "
                    + "\(n(s?["mean_s"])) | \(n(s?["median_s"])) | \(n(s?["p90_s"])) | \(rating) |")
        }
        return lines.joined(separator: "\n")
    }
}
