import ArgumentParser
import Foundation
import HallqProtocol

/// 好差评 with cases (docs/HAOCHA.md): `hallqctl case` attaches a case to the ticket in hand,
/// `orders` and `order` work the bad-rating work orders, `ratings export` writes the case
/// ratings in a province's profile.
struct Case: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Attach a case (办件) to the ticket in hand at a window, or the one it just finished.")
    @OptionGroup var g: Global
    @Argument(help: "Window number.", completion: Completion.windows) var window: Int
    @Argument(help: "The case number (办件编号) from the business system.") var caseNo: String
    @Option(help: "The item code (事项编码).") var itemCode: String?
    @Option(help: "The item's name.") var itemName: String?
    @Option(help: "The department's unified social credit code.") var deptCode: String?
    @Option(help: "immediate (即办件) or promised (承诺件).") var kind: String?
    func run() throws {
        var f: [String: JSONValue] = ["window": .int(Int64(window)), "case_no": .string(caseNo)]
        if let itemCode { f["item_code"] = .string(itemCode) }
        if let itemName { f["item_name"] = .string(itemName) }
        if let deptCode { f["dept_code"] = .string(deptCode) }
        if let kind { f["kind"] = .string(kind) }
        g.output(try g.send("case", f)) { r in
            let t = r["ticket"]
            let cases = (t?["cases"]?.arrayValue ?? []).map { Format.s($0["case_no"]) }
            return "\(Format.s(t?["label"])): \(cases.joined(separator: ", "))"
        }
    }
}

struct Orders: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Bad-rating work orders (差评工单), newest first, with the open/overdue/closed counts.")
    @OptionGroup var g: Global
    @Option(help: "Only orders in this state (open, verified, rectifying, …, closed).") var state: String?
    @Flag(help: "Only orders past their rectification deadline.") var overdue = false
    func run() throws {
        var f: [String: JSONValue] = [:]
        if let state { f["state"] = .string(state) }
        if overdue { f["overdue"] = true }
        g.output(try g.send("orders", f)) { r in
            var t = Table(["order", "ticket", "window", "clerk", "level", "cases", "due", "state"])
            for o in r["orders"]?.arrayValue ?? [] {
                t.add([
                    Format.s(o["order"]), Format.s(o["day"]) + " " + Format.s(o["ticket"]), Format.s(o["window"]),
                    Format.s(o["clerk"]), Format.s(o["level_name"]),
                    (o["cases"]?.arrayValue ?? []).map { Format.s($0) }.joined(separator: ","),
                    Format.s(o["due"]) + (o["overdue"]?.boolValue == true ? " 逾期" : ""), Format.s(o["state_name"]),
                ])
            }
            let c = r["counts"]
            let rate = c?["revisit_rate"]?.doubleValue.map { "\(Int(($0 * 100).rounded()))%" } ?? "–"
            return t.text + "\nopen \(Format.s(c?["open"])), overdue \(Format.s(c?["overdue"])), closed "
                + "\(Format.s(c?["closed"])), invalid \(Format.s(c?["invalid"])), return visits \(rate)"
        }
    }
}

struct Order: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "One work order and its history, or a step of it.", subcommands: [Show.self, Update.self],
        defaultSubcommand: Show.self)

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A work order with each step, who took it and when.")
        @OptionGroup var g: Global
        @Argument(help: "The order number.") var order: Int
        func run() throws {
            g.output(try g.send("order", ["order": .int(Int64(order))])) { r in
                let o = r["order"]
                var lines = [
                    "order \(Format.s(o?["order"])) · \(Format.s(o?["day"])) \(Format.s(o?["ticket"])) · window "
                        + "\(Format.s(o?["window"])) \(Format.s(o?["clerk"])) · \(Format.s(o?["level_name"])) · "
                        + "due \(Format.s(o?["due"])) · \(Format.s(o?["state_name"]))"
                ]
                var t = Table(["at", "action", "state", "account", "note"])
                for h in r["history"]?.arrayValue ?? [] {
                    t.add([
                        Format.s(h["at"]), Format.s(h["action"]), Format.s(h["state"]), Format.s(h["account"]),
                        Format.s(h["note"]),
                    ])
                }
                lines.append(t.text)
                return lines.joined(separator: "\n")
            }
        }
    }

    struct Update: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "A step: verify, claim_invalid, approve, reject, rectify, rectified, postpone, claim_cannot, revisit, close."
        )
        @OptionGroup var g: Global
        @Argument(help: "The order number.") var order: Int
        @Argument(help: "The step.") var action: String
        @Option(help: "Who takes the step (an account name; the admin socket has no login).") var account: String
        @Option(help: "The hall's words for the step (needed for claims, rectified, postpone).") var note: String?
        @Option(help: "claim_invalid: mistaken (误评) or malicious (恶意差评).") var reason: String?
        @Option(help: "postpone: the new due date YYYY-MM-DD.") var due: String?
        @Option(help: "revisit: phone, sms, visit or other.") var contact: String?
        @Option(help: "revisit: what the visitor said.") var result: String?
        @Option(help: "revisit: was the visitor satisfied after? yes or no.") var satisfied: String?
        func run() throws {
            var f: [String: JSONValue] = [
                "order": .int(Int64(order)), "action": .string(action), "account": .string(account),
            ]
            if let note { f["note"] = .string(note) }
            if let reason { f["reason"] = .string(reason) }
            if let due { f["due"] = .string(due) }
            if let contact { f["contact"] = .string(contact) }
            if let result { f["result"] = .string(result) }
            if let satisfied {
                guard ["yes", "no"].contains(satisfied) else { throw ValidationError("--satisfied must be yes or no") }
                f["satisfied"] = .bool(satisfied == "yes")
            }
            g.output(try g.send("order_update", f)) { r in
                "order \(Format.s(r["order"]?["order"])): \(Format.s(r["order"]?["state_name"])) "
                    + "(\(Format.s(r["order"]?["state"]))), due \(Format.s(r["order"]?["due"]))"
            }
        }
    }
}

struct Ratings: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Case ratings for the province.", subcommands: [Export.self])

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "One row per case rating in a profile: gbt39046 (GB/T 39046-2020 Table 9, 1 = 非常满意), zj-offlinereport, or the config's own. CSV, or --json."
        )
        @OptionGroup var g: Global
        @Option(help: "First day YYYY-MM-DD.") var from: String
        @Option(help: "Last day YYYY-MM-DD.") var to: String
        @Option(help: "The profile (default gbt39046).") var format = "gbt39046"
        @Option(name: .shortAndLong, help: "Write to this file instead of standard output.") var output: String?
        func run() throws {
            let r = try g.send("ratings", ["from": .string(from), "to": .string(to), "format": .string(format)])
            let fields = (r["fields"]?.arrayValue ?? []).map { Format.s($0) }
            let rows = r["rows"]?.arrayValue ?? []
            let text: String
            if g.json {
                // Each row's fields in the profile's order, the direction named beside them.
                let body = rows.map { row in
                    "{"
                        + fields.map { JSONValue.string($0).text + ":" + (row[$0] ?? .null).text }.joined(
                            separator: ",")
                        + "}"
                }
                text =
                    "{\"format\":\(JSONValue.string(format).text),\"direction\":\((r["direction"] ?? .null).text),"
                    + "\"rows\":[\(body.joined(separator: ","))]}"
            } else {
                let lines =
                    [fields.map(csv).joined(separator: ",")]
                    + rows.map { row in fields.map { csv(plain(row[$0])) }.joined(separator: ",") }
                text = lines.joined(separator: "\r\n")
            }
            if let output {
                try Data((text + (g.json ? "\n" : "\r\n")).utf8).write(to: URL(fileURLWithPath: output))
                FileHandle.standardError.write(
                    Data(
                        "hallqctl: \(rows.count) case ratings (\(format), \(Format.s(r["direction"]))) written to \(output)\n"
                            .utf8))
            } else {
                print(text)
            }
        }

        func plain(_ v: JSONValue?) -> String {
            guard let v else { return "" }
            if let s = v.stringValue { return s }
            if let i = v.intValue { return String(i) }
            return v == .null ? "" : v.text
        }

        /// RFC 4180 quoting, and a leading = + - @ made text, as the ticket export does.
        func csv(_ s: String) -> String {
            var t = s
            if let c = t.first, "=+-@".contains(c) { t = "'" + t }
            guard t.contains(where: { ",\"\r\n".contains($0) }) else { return t }
            return "\"" + t.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
    }
}
