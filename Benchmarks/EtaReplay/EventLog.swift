import Foundation
import HallqCore

// A hall's own log as eta-replay's input: the rows of its `events` table, as sqlite3 prints them
// with -json, and its config:
//
//   sqlite3 -json /var/lib/hallq/hallq.sqlite \
//     "SELECT at_ms, day, type, ticket, service, window, clerk, details FROM events ORDER BY seq" > events.json
//   eta-replay --events events.json --config /etc/hallq/hallq.toml [--json]
//
// Each step (take, call, recall, no-show, start, finish, transfer, pause, resume, sign-in,
// sign-out) is applied again to the engine at its own time; before each take the look-ahead is
// run on the state it arrived in, as hallqd would have. A step the engine refuses (a log cut at
// the start, a call by hand of a ticket from before it) is counted and skipped. Only the columns
// named above are read: no ID data, and clerk names only to sign windows in.
// `eta-replay --days N --write-events F --write-config C` writes a generated hall's log in the
// same form, so the reader can be checked against the generator: both print the same figures.

/// One row of the `events` table, as sqlite3 -json gives it.
struct EventRow {
    var at: Millis
    var day: String
    var type: String
    var ticket: String?
    var service: String?
    var window: Int?
    var clerk: String?
    var details: [String: String]

    init?(_ o: [String: Any]) {
        guard let at = (o["at_ms"] as? NSNumber)?.int64Value, let type = o["type"] as? String else { return nil }
        self.at = at
        day = o["day"] as? String ?? ""
        self.type = type
        ticket = o["ticket"] as? String
        service = o["service"] as? String
        window = (o["window"] as? NSNumber)?.intValue
        clerk = o["clerk"] as? String
        let text = o["details"] as? String ?? "{}"
        details = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: String] ?? [:]
    }

    init(_ e: HallEvent) {
        at = e.at
        day = e.day
        type = e.type.rawValue
        ticket = e.label
        service = e.service
        window = e.window
        clerk = e.clerk
        details = e.details
    }

    var json: [String: Any] {
        let d = (try? JSONSerialization.data(withJSONObject: details, options: .sortedKeys)) ?? Data("{}".utf8)
        return [
            "at_ms": at, "day": day, "type": type, "ticket": ticket ?? NSNull(), "service": service ?? NSNull(),
            "window": window ?? NSNull(), "clerk": clerk ?? NSNull(),
            "details": String(decoding: d, as: UTF8.self),
        ]
    }

    /// The command that made this row, for the steps that move the queue.
    var command: Command? {
        switch type {
        case "take": return service.map { .take(service: $0, key: nil, priority: details["priority"] == "true") }
        case "call": return window.map { .call(window: $0, ticket: ticket) }
        case "recall": return window.map { .recall(window: $0) }
        case "noshow": return window.map { .noshow(window: $0) }
        case "start": return window.map { .start(window: $0) }
        case "finish":
            let outcome = details["outcome"].flatMap(Leg.Outcome.init(rawValue:)) ?? .served
            return window.map { .finish(window: $0, outcome: outcome) }
        case "transfer":
            let toWindow = details["to_window"].flatMap { Int($0) }
            return window.map {
                .transfer(window: $0, toService: toWindow == nil ? details["to_service"] : nil, toWindow: toWindow)
            }
        case "pause": return window.map { .pause(window: $0) }
        case "resume": return window.map { .resume(window: $0) }
        case "signin": return window.map { .signin(window: $0, clerk: clerk ?? "clerk") }
        case "signout": return window.map { .signout(window: $0) }
        default: return nil
        }
    }
}

/// Reads a log written by `writeEvents` or sqlite3 -json.
func readEvents(_ path: String) throws -> [EventRow] {
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    guard let rows = try JSONSerialization.jsonObject(with: data) as? [[String: Any]] else {
        throw ReplayError("\(path): not a JSON array of rows (sqlite3 -json)")
    }
    return rows.compactMap(EventRow.init)
}

func writeEvents(_ rows: [EventRow], to path: String) throws {
    let data = try JSONSerialization.data(withJSONObject: rows.map(\.json), options: .sortedKeys)
    try data.write(to: URL(fileURLWithPath: path))
}

struct ReplayError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// Applies a hall's log again and measures each ticket's estimate at issue against its wait
/// until first called. Returns the outcomes and how many steps the engine refused.
func replayEvents(_ rows: [EventRow], config: HallConfig) -> (outcomes: [Outcome], skipped: Int) {
    var engine = QueueEngine(config: config)
    var issued: [String: (service: String, at: Millis, baseline: Double, eta: WaitRange)] = [:]
    var outcomes: [Outcome] = []
    var skipped = 0
    for row in rows {
        guard let command = row.command else { continue }
        var before: QueueEngine?
        if case .take = command {
            engine.estimates = WaitEstimator.estimate(engine, at: row.at)
            before = engine
        }
        guard let effects = try? engine.apply(command, at: row.at) else {
            skipped += 1
            continue
        }
        switch effects.subject {
        case let .issued(t, ahead, eta, _):
            let baseline = before?.baselineSeconds(service: t.service, ahead: ahead) ?? 0
            issued[t.day + "|" + t.label] = (t.service, row.at, baseline, eta)
        case let .ticket(t) where row.type == "call":
            if let x = issued.removeValue(forKey: t.day + "|" + t.label) {
                outcomes.append(
                    Outcome(
                        service: x.service, wait: Double(row.at - x.at) / 1000, baseline: x.baseline, lookahead: x.eta))
            }
        default: break
        }
    }
    return (outcomes, skipped)
}
