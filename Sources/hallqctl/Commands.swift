import ArgumentParser
import Foundation
import HallqClient
import HallqProtocol

struct Take: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Issue a ticket (as the kiosk button does).")
    @OptionGroup var g: Global
    @Argument(help: "Service id, e.g. A.", completion: Completion.serviceIDs) var service: String
    @Option(help: "Idempotency key: the same key within 10 s returns the same ticket.") var key: String?
    @Flag(help: "A priority (绿色通道) ticket, for a service with priority = true.") var priority = false
    func run() throws {
        var f: [String: JSONValue] = ["service": .string(service)]
        if let key { f["key"] = .string(key) }
        if priority { f["priority"] = true }
        g.output(try g.send("take", f), Format.ticket)
    }
}

struct Call: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Call the next ticket (or a given one) to a window.")
    @OptionGroup var g: Global
    @Argument(help: "Window number.", completion: Completion.windows) var window: Int
    @Option(help: "Call this ticket instead of the next, e.g. A012.") var ticket: String?
    func run() throws {
        var f: [String: JSONValue] = ["window": .int(Int64(window))]
        if let ticket { f["ticket"] = .string(ticket) }
        g.output(try g.send("call", f), Format.ticket)
    }
}

/// The one-window commands that differ only by op.
protocol WindowCommand: ParsableCommand {
    static var op: String { get }
    var g: Global { get }
    var window: Int { get }
}

extension WindowCommand {
    func run() throws {
        let r = try g.send(Self.op, ["window": .int(Int64(window))])
        g.output(r) { _ in r["ticket"] != nil ? Format.ticket(r) : Format.window(r) }
    }
}

struct Recall: WindowCommand {
    static let configuration = CommandConfiguration(abstract: "Announce the window's ticket again.")
    static let op = "recall"
    @OptionGroup var g: Global
    @Argument(help: "Window number.", completion: Completion.windows) var window: Int
}

struct Noshow: WindowCommand {
    static let configuration = CommandConfiguration(abstract: "The called customer did not come.")
    static let op = "noshow"
    @OptionGroup var g: Global
    @Argument(help: "Window number.", completion: Completion.windows) var window: Int
}

struct Start: WindowCommand {
    static let configuration = CommandConfiguration(abstract: "The customer arrived at the window.")
    static let op = "start"
    @OptionGroup var g: Global
    @Argument(help: "Window number.", completion: Completion.windows) var window: Int
}

struct Pause: WindowCommand {
    static let configuration = CommandConfiguration(abstract: "Window on break: nothing is routed to it.")
    static let op = "pause"
    @OptionGroup var g: Global
    @Argument(help: "Window number.", completion: Completion.windows) var window: Int
}

struct Resume: WindowCommand {
    static let configuration = CommandConfiguration(abstract: "End the window's break.")
    static let op = "resume"
    @OptionGroup var g: Global
    @Argument(help: "Window number.", completion: Completion.windows) var window: Int
}

struct Signout: WindowCommand {
    static let configuration = CommandConfiguration(abstract: "Sign the clerk out of a window.")
    static let op = "signout"
    @OptionGroup var g: Global
    @Argument(help: "Window number.", completion: Completion.windows) var window: Int
}

struct Finish: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Finish the window's ticket.")
    @OptionGroup var g: Global
    @Argument(help: "Window number.", completion: Completion.windows) var window: Int
    @Option(help: "served (default), incomplete, referred or cancelled.") var outcome: String?
    func run() throws {
        var f: [String: JSONValue] = ["window": .int(Int64(window))]
        if let outcome { f["outcome"] = .string(outcome) }
        g.output(try g.send("finish", f), Format.ticket)
    }
}

struct Transfer: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Send the window's ticket to another service or window.")
    @OptionGroup var g: Global
    @Argument(help: "Window number.", completion: Completion.windows) var window: Int
    @Option(help: "Target service id.", completion: Completion.serviceIDs) var service: String?
    @Option(help: "Target window number.", completion: Completion.windows) var toWindow: Int?
    func validate() throws {
        guard (service == nil) != (toWindow == nil) else {
            throw ValidationError("give exactly one of --service or --to-window")
        }
    }
    func run() throws {
        var f: [String: JSONValue] = ["window": .int(Int64(window))]
        if let service { f["service"] = .string(service) }
        if let toWindow { f["to_window"] = .int(Int64(toWindow)) }
        g.output(try g.send("transfer", f), Format.ticket)
    }
}

struct Signin: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Sign a clerk in at a window.")
    @OptionGroup var g: Global
    @Argument(help: "Window number.", completion: Completion.windows) var window: Int
    @Argument var clerk: String
    func run() throws {
        g.output(try g.send("signin", ["window": .int(Int64(window)), "clerk": .string(clerk)]), Format.window)
    }
}

struct Rate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rate the window's last finished ticket: 5 非常满意, 4 满意, 3 基本满意, 2 不满意, 1 非常不满意.")
    @OptionGroup var g: Global
    @Argument(help: "Window number.", completion: Completion.windows) var window: Int
    @Argument(help: "1 to 5.") var score: Int
    @Option(help: "Why (for a low rating), at most 200 characters.") var reason: String?
    @Option(help: "Evaluation-content codes (评价内容), comma-separated, e.g. 201,203.") var contents: String?
    @Option(help: "Where it came from: evaluator (default), qr, window, keypad.") var channel: String?
    func run() throws {
        var fields: [String: JSONValue] = ["window": .int(Int64(window)), "score": .int(Int64(score))]
        if let reason { fields["reason"] = .string(reason) }
        if let contents { fields["contents"] = .string(contents) }
        if let channel { fields["channel"] = .string(channel) }
        g.output(try g.send("rate", fields), Format.ticket)
    }
}

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Queues, windows and devices.")
    @OptionGroup var g: Global
    func run() throws { g.output(try g.send("status"), Format.status) }
}

struct Services: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Configured services and their queues.")
    @OptionGroup var g: Global
    func run() throws {
        g.output(try g.send("services")) { r in
            let rows = r["services"]?.arrayValue ?? []
            // 放号量: the walk-in tickets left in the period now, where a service has a quota.
            let quotas = rows.contains { $0["quota"] != nil }
            var t = Table(["service", "name", "waiting", "windows"] + (quotas ? ["quota left"] : []))
            for s in rows {
                var row = [
                    Format.s(s["id"]), Format.s(s["name"]), Format.s(s["waiting"]),
                    (s["windows"]?.arrayValue ?? []).map { Format.s($0) }.joined(separator: ","),
                ]
                if quotas {
                    row.append(
                        s["quota"] == nil
                            ? "" : "\(Format.s(s["quota_left"]))/\(Format.s(s["quota"])) \(Format.s(s["quota_period"]))"
                    )
                }
                t.add(row)
            }
            return t.text
        }
    }
}

struct History: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Every step of one ticket: time, window, clerk.")
    @OptionGroup var g: Global
    @Argument(help: "Ticket label, e.g. A012.") var ticket: String
    @Option(help: "Business day YYYY-MM-DD (default: the latest ticket with that label).") var day: String?
    func run() throws {
        var f: [String: JSONValue] = ["ticket": .string(ticket)]
        if let day { f["day"] = .string(day) }
        g.output(try g.send("history", f), Format.history)
    }
}

/// Date range options shared by stats and export; both default to the hall's today.
struct DayRange: ParsableArguments {
    @Option(help: "First business day, YYYY-MM-DD (default: today in the hall's time zone).") var from: String?
    @Option(help: "Last business day, YYYY-MM-DD (default: same as --from).") var to: String?

    func resolved(_ g: Global) throws -> (String, String) {
        let today = try from ?? g.send("status")["hall"]?["day"]?.stringValue ?? ""
        return (from ?? today, to ?? from ?? today)
    }
}

struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Wait and service times in seconds: count, mean, median, p90, max.")
    @OptionGroup var g: Global
    @OptionGroup var range: DayRange
    @Option(help: "service, window, clerk, hour, day, month or total.") var by: String = "service"
    func run() throws {
        let (from, to) = try range.resolved(g)
        g.output(try g.send("stats", ["from": .string(from), "to": .string(to), "by": .string(by)]), Format.stats)
    }
}

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Tickets of a date range as CSV (UTF-8).")
    @OptionGroup var g: Global
    @OptionGroup var range: DayRange
    @Option(name: .shortAndLong, help: "Write to this file instead of standard output.") var output: String?
    func run() throws {
        let (from, to) = try range.resolved(g)
        // The CSV arrives in blocks and goes out as it comes: memory stays flat whatever the range.
        // A file is written next to its final name and renamed once the export is complete.
        let partialPath = output.map { $0 + ".part" }
        if let partialPath { _ = FileManager.default.createFile(atPath: partialPath, contents: nil) }
        guard let out = partialPath.map({ FileHandle(forWritingAtPath: $0) }) ?? FileHandle.standardOutput else {
            FileHandle.standardError.write(Data("hallqctl: cannot write \(output ?? "")\n".utf8))
            throw ExitCode(73)
        }
        let r: JSONValue
        do {
            r = try g.send("export", ["from": .string(from), "to": .string(to)]) { chunk in
                if g.json { print(chunk.text) } else { out.write(Data((chunk["csv_chunk"]?.stringValue ?? "").utf8)) }
            }
        } catch {
            if let partialPath { try? FileManager.default.removeItem(atPath: partialPath) }
            throw error
        }
        if g.json { print(r.text) }
        if let output, let partialPath {
            try out.close()
            guard rename(partialPath, output) == 0 else {
                FileHandle.standardError.write(Data("hallqctl: cannot write \(output)\n".utf8))
                throw ExitCode(73)
            }
            FileHandle.standardError.write(
                Data("hallqctl: \(Format.s(r["count"])) tickets written to \(output)\n".utf8))
        }
    }
}

struct Watch: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print events as they happen (Ctrl-C to stop).")
    @OptionGroup var g: Global
    func run() throws {
        let role = try g.socketRole(for: "watch")
        let client: LineClient
        do { client = try LineClient(path: "\(g.directory)/\(role.rawValue).sock") } catch {
            FileHandle.standardError.write(Data("hallqctl: \(error)\n".utf8))
            throw ExitCode(69)
        }
        let first = try client.request(["op": "watch", "id": 1])
        guard first["ok"]?.boolValue == true else {
            FileHandle.standardError.write(
                Data("hallqctl: \(Format.s(first["error"])): \(Format.s(first["message"]))\n".utf8))
            throw ExitCode(1)
        }
        // Written unbuffered, so `hallqctl watch | grep` shows each event as it happens.
        while let line = try client.readLine() {
            let text = g.json ? line : JSONValue.parse(Array(line.utf8)).map(Format.event) ?? line
            FileHandle.standardOutput.write(Data((text + "\n").utf8))
        }
    }
}

struct Reprint: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print a ticket again.")
    @OptionGroup var g: Global
    @Argument var ticket: String
    @Option(help: "Business day YYYY-MM-DD.") var day: String?
    func run() throws {
        var f: [String: JSONValue] = ["ticket": .string(ticket)]
        if let day { f["day"] = .string(day) }
        g.output(try g.send("reprint", f), Format.ticket)
    }
}

struct Devices: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Printer and sign buses and their health.")
    @OptionGroup var g: Global
    func run() throws { g.output(try g.send("devices"), Format.devices) }
}

struct HallMode: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hall", abstract: "Force ticket issuing open or closed, or follow the hours (auto).")
    @OptionGroup var g: Global
    @Argument(help: "open, close or auto.") var mode: String
    func run() throws {
        g.output(try g.send("hall", ["mode": .string(mode)])) { "hall \(Format.s($0["hall"]))" }
    }
}

struct Reload: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Reload the config file; the queue stays.")
    @OptionGroup var g: Global
    func run() throws { g.output(try g.send("reload")) { _ in "reloaded" } }
}
