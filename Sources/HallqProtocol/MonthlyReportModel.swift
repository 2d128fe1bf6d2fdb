import Foundation

/// The monthly report a hall publishes, as one model that both faces render: `hallqctl report`
/// as Markdown, `/admin/report` as a printable page with the dashboard's charts. Same sections,
/// same figures, same words: totals, by service (with names), by window, by day, and 好差评 with
/// 满意率. No clerk names: the report is for posting (`stats --by clerk` has them). Made from
/// `stats` replies; pure.
public struct MonthlyReportModel: Sendable {
    public struct Row: Sendable {
        public var name: String
        public var issued: Int
        public var served: Int
        public var noshows: Int
        public var transferred: Int
        public var waitMedian: Double?
        public var waitP90: Double?
        public var serviceMedian: Double?
        public var ratings: Int
        /// 5 非常满意 … 1 非常不满意.
        public var levels: [Int]
        public var ratingMean: Double?

        /// 满意率: ratings of 4 or 5 (满意, 非常满意) among all ratings, in whole percent.
        public var satisfiedPercent: Int? {
            guard ratings > 0 else { return nil }
            return Int((100 * Double(levels[0] + levels[1]) / Double(ratings)).rounded())
        }

        init(_ r: JSONValue, name: String) {
            self.name = name
            issued = Int(r["issued"]?.intValue ?? 0)
            served = Int(r["served"]?.intValue ?? 0)
            noshows = Int(r["noshows"]?.intValue ?? 0)
            transferred = Int(r["transferred"]?.intValue ?? 0)
            waitMedian = r["wait"]?["median_s"]?.doubleValue
            waitP90 = r["wait"]?["p90_s"]?.doubleValue
            serviceMedian = r["service"]?["median_s"]?.doubleValue
            ratings = Int(r["ratings"]?.intValue ?? 0)
            levels = [5, 4, 3, 2, 1].map { Int(r["rating_levels"]?[String($0)]?.intValue ?? 0) }
            ratingMean = r["rating_mean"]?.doubleValue
        }
    }

    public static let levelNames = Vocabulary.levelNamesDescending

    public var hall: String
    public var month: String
    public var from: String
    public var to: String
    public var total: Row?
    public var services: [Row]
    public var windows: [Row]
    public var days: [Row]
    /// The case ratings and bad-rating follow-up (`ratings`' summary), when the caller has it.
    public var haocha: HaochaSummary? = nil

    /// - rows: `stats` rows by `total`, `service`, `window` and `day`; serviceNames: id → name.
    public init(
        hall: String, month: String, total: [JSONValue], services: [JSONValue], windows: [JSONValue],
        days: [JSONValue], serviceNames: [String: String]
    ) {
        self.hall = hall
        self.month = month
        (from, to) = Self.span(month) ?? ("", "")
        self.total = total.first.map { Row($0, name: "合计") }
        self.services = services.map { r in
            let id = r["key"]?.stringValue ?? ""
            return Row(r, name: serviceNames[id].map { "\(id) \($0)" } ?? id)
        }
        // Tickets that reached no window have no window ("-"): in the totals, not a row here.
        self.windows = windows.filter { $0["key"]?.stringValue != "-" }.map {
            Row($0, name: "\($0["key"]?.stringValue ?? "")号窗口")
        }
        self.days = days.map { Row($0, name: $0["key"]?.stringValue ?? "") }
    }

    /// The month's first and last day, for a valid `YYYY-MM` (2000–2999).
    public static func span(_ month: String) -> (String, String)? {
        let parts = month.split(separator: "-")
        guard month.utf8.count == 7, parts.count == 2, let y = Int(parts[0]), let m = Int(parts[1]),
            (1...12).contains(m), (2000...2999).contains(y)
        else { return nil }
        let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]
        let mm = m < 10 ? "0\(m)" : "\(m)"
        return ("\(y)-\(mm)-01", "\(y)-\(mm)-\(days)")
    }

    /// The last complete month before the hall's `day` (YYYY-MM-DD): what a report is asked for
    /// when no month is named.
    public static func lastCompleteMonth(before day: String) -> String? {
        let parts = day.split(separator: "-")
        guard parts.count == 3, var y = Int(parts[0]), var m = Int(parts[1]) else { return nil }
        m -= 1
        if m == 0 {
            m = 12
            y -= 1
        }
        return "\(y)-\(m < 10 ? "0" : "")\(m)"
    }

    /// Seconds as 3分12秒; "–" for none.
    public static func duration(_ s: Double?) -> String {
        guard let s else { return "–" }
        let t = Int(s.rounded())
        return t >= 60 ? "\(t / 60)分\(t % 60)秒" : "\(t)秒"
    }

    public static func percent(_ p: Int?) -> String { p.map { "\($0)%" } ?? "–" }

    public var title: String { "\(hall) \(month.replacingOccurrences(of: "-", with: "年"))月 服务情况月报" }

    /// The figures' columns, in order, for a row: both faces print these.
    public static let columns = ["项目", "取号", "办结", "过号", "转办", "等候中位数", "等候 P90", "办理中位数", "评价数", "满意率"]

    public static func cells(_ r: Row) -> [String] {
        [
            r.name, "\(r.issued)", "\(r.served)", "\(r.noshows)", "\(r.transferred)", duration(r.waitMedian),
            duration(r.waitP90), duration(r.serviceMedian), "\(r.ratings)", percent(r.satisfiedPercent),
        ]
    }

    /// The sections in order: title and rows (the total last under services).
    public var sections: [(title: String, rows: [Row])] {
        [
            ("各事项办理情况 By service", services + (total.map { [$0] } ?? [])),
            ("各窗口办理情况 By window", windows),
            ("每日办理情况 By day", days),
        ]
    }

    public var note: String {
        "统计区间 \(from) — \(to)。等候 = 叫号 − 进入队列，办理 = 办结 − 叫号（按叫号时间）；取号按取号日期；满意率 = 满意与非常满意占全部评价的比例。"
    }

    /// `hallqctl report`: the same report in Markdown.
    public func markdown() -> String {
        func table(_ rows: [Row]) -> String {
            guard !rows.isEmpty else { return "（无数据 no data）" }
            var lines = [
                "| " + Self.columns.joined(separator: " | ") + " |",
                "|---" + String(repeating: "|---:", count: Self.columns.count - 1) + "|",
            ]
            for r in rows { lines.append("| " + Self.cells(r).joined(separator: " | ") + " |") }
            return lines.joined(separator: "\n")
        }
        var md = ["# \(title)", "", note, ""]
        for (t, rows) in sections { md += ["## \(t)", "", table(rows), ""] }
        md += ["## 满意度评价（好差评）Satisfaction ratings", ""]
        let rated = (services + (total.map { [$0] } ?? [])).filter { $0.ratings > 0 }
        if rated.isEmpty {
            md.append("（本月无评价 no ratings this month）")
        } else {
            md.append("| 项目 | " + Self.levelNames.joined(separator: " | ") + " | 评价数 | 满意率 |")
            md.append("|---" + String(repeating: "|---:", count: 7) + "|")
            for r in rated {
                md.append(
                    "| \(r.name) | " + r.levels.map(String.init).joined(separator: " | ")
                        + " | \(r.ratings) | \(Self.percent(r.satisfiedPercent)) |")
            }
        }
        md.append("")
        if let haocha {
            md += ["## 办件好差评 Case ratings and bad-rating follow-up", "", "| 项目 | 数 |", "|---|---:|"]
            md += haocha.rows.map { "| \($0.0.trimmingCharacters(in: .whitespaces)) | \($0.1) |" }
            md.append("")
        }
        return md.joined(separator: "\n")
    }
}
