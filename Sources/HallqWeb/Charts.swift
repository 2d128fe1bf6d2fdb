import Foundation
import HallqProtocol

/// Bar charts as SVG text, drawn on the server: the admin dashboard and the printable monthly
/// report show the same bytes, no chart library runs in the browser, and a chart is a value a
/// test can read (one `<rect class="bar …">` per value). Pure.
public enum SVGChart {
    public struct Series: Sendable {
        public var name: String
        /// One per label; nil draws no bar.
        public var values: [Double?]
        public init(name: String, values: [Double?]) {
            self.name = name
            self.values = values
        }
    }

    static let width = 720.0
    static let height = 300.0
    static let left = 56.0
    static let bottom = 44.0
    static let top = 36.0

    /// The value axis: a round step (1, 2 or 5 × 10ⁿ) giving at most five intervals, and the top
    /// of the axis, the first multiple of the step at or above the largest value.
    static func ticks(upTo maxValue: Double) -> (step: Double, top: Double) {
        let raw = max(maxValue, 1) / 5
        let magnitude = pow(10, (log10(raw)).rounded(.down))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
        let stepUsed = max(step, 1)
        return (stepUsed, (max(maxValue, 1) / stepUsed).rounded(.up) * stepUsed)
    }

    /// Grouped bars: per label one bar for each series, a legend when there are several,
    /// the largest value's axis label, and each bar's value in its tooltip.
    public static func bars(id: String, title: String, unit: String, labels: [String], series: [Series]) -> String {
        let all = series.flatMap { $0.values.compactMap { $0 } }
        let (step, maxValue) = ticks(upTo: all.max() ?? 0)
        let plotW = width - left - 8
        let plotH = height - top - bottom
        let slot = labels.isEmpty ? plotW : plotW / Double(labels.count)
        let barW = max(1, (slot * 0.8) / Double(max(series.count, 1)))
        var out = """
            <svg xmlns="http://www.w3.org/2000/svg" class="chart" id="\(escape(id))" viewBox="0 0 \(Int(width)) \(Int(height))" role="img" aria-label="\(escape(title))">
            <title>\(escape(title))</title>
            <text class="chart-title" x="8" y="22">\(escape(title))</text>
            <line class="axis" x1="\(Int(left))" y1="\(Int(top + plotH))" x2="\(Int(width - 8))" y2="\(Int(top + plotH))"/>

            """
        // A gridline and a label at every step of the value axis.
        var v = 0.0
        while v <= maxValue + step / 2 {
            let y = top + plotH - plotH * v / maxValue
            out += """
                <line class="grid" x1="\(Int(left))" y1="\(f(y))" x2="\(Int(width - 8))" y2="\(f(y))"/><text class="tick" x="\(Int(left - 6))" y="\(f(y + 5))" text-anchor="end">\(format(v))</text>

                """
            v += step
        }
        for (i, label) in labels.enumerated() {
            let x0 = left + Double(i) * slot + slot * 0.1
            for (k, s) in series.enumerated() {
                guard i < s.values.count, let v = s.values[i] else { continue }
                let h = plotH * v / maxValue
                out += """
                    <rect class="bar s\(k)" x="\(f(x0 + Double(k) * barW))" y="\(f(top + plotH - h))" width="\(f(barW))" height="\(f(h))"><title>\(escape(label)) \(escape(s.name)): \(format(v))\(escape(unit))</title></rect>

                    """
            }
            // Every label when they fit, else every few (24 hours, 31 days fit; 100 clerks do not).
            let every = max(1, Int((Double(labels.count) * 40 / plotW).rounded(.up)))
            if i % every == 0 {
                out += """
                    <text class="label" x="\(f(left + Double(i) * slot + slot / 2))" y="\(Int(top + plotH + 22))" text-anchor="middle">\(escape(label))</text>

                    """
            }
        }
        if series.count > 1 {
            for (k, s) in series.enumerated() {
                let x = width - 8 - Double(series.count - k) * 110
                out += """
                    <rect class="legend s\(k)" x="\(f(x))" y="8" width="16" height="16"/><text class="legend-text" x="\(f(x + 20))" y="22">\(escape(s.name))</text>

                    """
            }
        }
        return out + "</svg>"
    }

    static func f(_ v: Double) -> String { String(format: "%.1f", v) }
    static func format(_ v: Double) -> String { v == v.rounded() ? String(Int(v)) : String(format: "%.1f", v) }

    /// Text for XML content and attributes.
    public static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }
}

/// The dashboard's and the report's charts, from `stats` replies (their JSON rows).
enum HallCharts {
    /// `stats` rows by a dimension: the reply's `rows`.
    typealias Rows = [JSONValue]

    /// - names: a label for each key (services: "A 检验检测…" beside the letter).
    static func served(id: String, title: String, _ all: Rows, names: [String: String] = [:]) -> String {
        // "-" gathers tickets no window (or clerk) has had yet: not a bar of its own.
        let rows = all.filter { $0["key"]?.stringValue != "-" }
        return SVGChart.bars(
            id: id, title: title, unit: " 件",
            labels: rows.map { r in r["key"]?.stringValue.map { names[$0] ?? $0 } ?? "" },
            series: [.init(name: "办结", values: rows.map { $0["served"]?.intValue.map(Double.init) })])
    }

    static func waitByHour(_ rows: Rows) -> String {
        // In minutes: waits are minutes long, and a person reads 12 分钟 faster than 720 秒.
        SVGChart.bars(
            id: "wait-by-hour", title: "各时段等候时间（分钟）", unit: " 分钟",
            labels: rows.map { ($0["key"]?.stringValue ?? "") + "时" },
            series: [
                .init(name: "中位数", values: rows.map { $0["wait"]?["median_s"]?.doubleValue.map { $0 / 60 } }),
                .init(name: "P90", values: rows.map { $0["wait"]?["p90_s"]?.doubleValue.map { $0 / 60 } }),
            ])
    }

    static func ratings(_ total: Rows) -> String {
        let levels = total.first?["rating_levels"]
        let names = Vocabulary.levelNamesDescending
        return SVGChart.bars(
            id: "ratings", title: "好差评分布", unit: " 次", labels: names,
            series: [
                .init(
                    name: "评价", values: (1...5).reversed().map { levels?[String($0)]?.intValue.map(Double.init) ?? 0 })
            ])
    }
}
