import ArgumentParser
import Foundation
import HallqProtocol

/// The monthly report admins publish (`MonthlyReportModel`, the same report as the admin page's
/// printable one): totals and by service, window and day, and 好差评 with 满意率, in Markdown.
/// Made from `stats` replies (no extra server op). Without `--month`, the last complete month.
struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The monthly report (Markdown): by service, window and day, and 好差评 with 满意率.")
    @OptionGroup var g: Global
    @Option(help: "Month YYYY-MM (default: the last complete month).") var month: String?
    @Option(name: .shortAndLong, help: "Write to this file instead of standard output.") var output: String?

    func run() throws {
        let status = try g.send("status")
        let hallName = status["hall"]?["name"]?.stringValue ?? "hallq"
        guard
            let m = month ?? MonthlyReportModel.lastCompleteMonth(before: status["hall"]?["day"]?.stringValue ?? ""),
            let (from, to) = MonthlyReportModel.span(m)
        else { throw ValidationError("--month must be YYYY-MM") }
        var rows: [String: JSONValue] = [:]
        for by in ["total", "service", "window", "day"] {
            rows[by] = try g.send("stats", ["from": .string(from), "to": .string(to), "by": .string(by)])["rows"]
        }
        if g.json {
            print(
                JSONValue.object([
                    "month": .string(m), "from": .string(from), "to": .string(to), "sections": .object(rows),
                ]).text)
            return
        }
        var names: [String: String] = [:]
        for s in status["services"]?.arrayValue ?? [] {
            if let id = s["id"]?.stringValue, let name = s["name"]?.stringValue { names[id] = name }
        }
        var model = MonthlyReportModel(
            hall: hallName, month: m, total: rows["total"]?.arrayValue ?? [],
            services: rows["service"]?.arrayValue ?? [], windows: rows["window"]?.arrayValue ?? [],
            days: rows["day"]?.arrayValue ?? [], serviceNames: names)
        let ratings = try g.send("ratings", ["from": .string(from), "to": .string(to)])
        model.haocha = HaochaSummary(json: ratings["summary"])
        let text = model.markdown()
        if let output {
            try Data(text.utf8).write(to: URL(fileURLWithPath: output))
            FileHandle.standardError.write(Data("hallqctl: report for \(m) written to \(output)\n".utf8))
        } else {
            print(text)
        }
    }
}
