import Foundation
import HallqProtocol

/// The monthly report as a printable page (`/admin/report?month=YYYY-MM`), for the hall's public
/// notice: `MonthlyReportModel`'s sections (the same as `hallqctl report`), the 好差评 tally with
/// 满意率, and the dashboard's charts. No clerk names: it is meant to be posted. Pure.
enum MonthlyReport {
    static func html(
        _ m: MonthlyReportModel, days: [JSONValue], hours: [JSONValue], total: [JSONValue], haocha: HaochaSummary
    ) -> String {
        let e = SVGChart.escape
        func table(_ id: String, _ rows: [MonthlyReportModel.Row]) -> String {
            let head = MonthlyReportModel.columns.map { "<th>\(e($0))</th>" }.joined()
            let body = rows.map { r in
                "<tr\(r.name == "合计" ? " class=\"sum\"" : "")>"
                    + MonthlyReportModel.cells(r).map { "<td>\(e($0))</td>" }.joined() + "</tr>"
            }.joined(separator: "\n")
            return "<table id=\"\(id)\"><thead><tr>\(head)</tr></thead><tbody>\n\(body)\n</tbody></table>"
        }
        let ids = ["report-services", "report-windows", "report-days"]
        let sections = zip(ids, m.sections).map { id, s in
            let parts = s.title.split(separator: " ", maxSplits: 1)
            return "<h2>\(e(String(parts[0]))) <small>\(e(parts.count > 1 ? String(parts[1]) : ""))</small></h2>\n"
                + table(id, s.rows)
        }.joined(separator: "\n")
        let t = m.total
        let ratingCells = MonthlyReportModel.levelNames.enumerated().map { i, name in
            "<tr><td>\(name)</td><td>\(t?.levels[i] ?? 0)</td></tr>"
        }.joined(separator: "\n")
        return """
            <!doctype html>
            <html lang="zh-CN">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(e(m.title))</title>
            <link rel="stylesheet" href="/assets/hallq.css">
            </head>
            <body class="report">
            <h1>\(e(m.title))</h1>
            <p class="sub">Monthly service report · \(e(m.note))</p>
            \(sections)
            <h2>好差评 <small>Satisfaction</small></h2>
            <table id="report-ratings"><thead><tr><th>评价</th><th>次数</th></tr></thead><tbody>
            \(ratingCells)
            <tr class="sum"><td>满意率</td><td>\(MonthlyReportModel.percent(t?.satisfiedPercent))</td></tr>
            </tbody></table>
            <h2>办件好差评 <small>Case ratings and bad-rating follow-up</small></h2>
            <table id="report-haocha"><tbody>
            \(haocha.rows.map { "<tr><td>\(e($0.0))</td><td>\(e($0.1))</td></tr>" }.joined(separator: "\n"))
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
