import Foundation
import HallqProtocol

/// The monthly report as a printable page (`/admin/report?month=YYYY-MM`), for the hall's public
/// notice: per service what was issued and done, waits and service times, the 好差评 tally, and
/// the charts of the dashboard. No clerk names: it is meant to be posted. Pure.
enum MonthlyReport {
    /// The month's first and last day, for a valid `YYYY-MM`.
    static func span(_ month: String) -> (String, String)? {
        let parts = month.split(separator: "-")
        guard month.utf8.count == 7, parts.count == 2, let y = Int(parts[0]), let m = Int(parts[1]),
            (1...12).contains(m),
            (2000...2999).contains(y)
        else { return nil }
        let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]
        return (String(format: "%04d-%02d-01", y, m), String(format: "%04d-%02d-%02d", y, m, days))
    }

    static func html(
        hall: String, month: String, services: [JSONValue], total: [JSONValue], days: [JSONValue], hours: [JSONValue]
    ) -> String {
        let e = SVGChart.escape
        let title = "\(hall) \(month.replacingOccurrences(of: "-", with: "年"))月 服务情况月报"
        func n(_ v: JSONValue?) -> String { v?.intValue.map(String.init) ?? "0" }
        func s(_ v: JSONValue?) -> String { v?.doubleValue.map { String(Int($0.rounded())) } ?? "–" }
        func row(_ r: JSONValue, _ name: String) -> String {
            "<tr><td>\(e(name))</td><td>\(n(r["issued"]))</td><td>\(n(r["served"]))</td><td>\(n(r["noshows"]))</td>"
                + "<td>\(s(r["wait"]?["median_s"]))</td><td>\(s(r["wait"]?["p90_s"]))</td>"
                + "<td>\(s(r["service"]?["median_s"]))</td><td>\(n(r["ratings"]))</td></tr>"
        }
        var rows = services.map { row($0, $0["key"]?.stringValue ?? "") }.joined(separator: "\n")
        if let t = total.first {
            rows += "\n" + row(t, "合计").replacingOccurrences(of: "<tr>", with: "<tr class=\"sum\">")
        }
        let levels = total.first?["rating_levels"]
        let names = ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]
        let ratingCells = (1...5).reversed().enumerated().map { i, score in
            "<tr><td>\(names[i])</td><td>\(n(levels?[String(score)]))</td></tr>"
        }.joined(separator: "\n")
        return """
            <!doctype html>
            <html lang="zh-CN">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(e(title))</title>
            <link rel="stylesheet" href="/assets/hallq.css">
            </head>
            <body class="report">
            <h1>\(e(title))</h1>
            <p class="sub">Monthly service report · 时间单位：秒 · 统计口径：按叫号时间（等候、办理），按取号日期（取号量）</p>
            <h2>各事项办理情况 <small>By service</small></h2>
            <table id="report-services">
            <thead><tr><th>事项</th><th>取号</th><th>办结</th><th>过号</th><th>等候中位数</th><th>等候 P90</th><th>办理中位数</th><th>评价数</th></tr></thead>
            <tbody>
            \(rows)
            </tbody>
            </table>
            <h2>好差评 <small>Satisfaction</small></h2>
            <table id="report-ratings"><thead><tr><th>评价</th><th>次数</th></tr></thead><tbody>
            \(ratingCells)
            </tbody></table>
            <div class="charts">
            \(HallCharts.served(id: "served-by-day", title: "每日办结量", days))
            \(HallCharts.waitByHour(hours))
            \(HallCharts.ratings(total))
            </div>
            </body>
            </html>
            """
    }
}
