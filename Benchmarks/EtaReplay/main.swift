import Foundation
import HallqConfig
import HallqCore

// eta-replay: how good are the waits hallq tells people? Hall days are generated from a seed
// (several services with different service times, windows with overlapping service sets, a
// morning peak above capacity, lognormal service times, no-shows, transfers, pauses, priority
// tickets), run through the real engine on a simulated clock, and every ticket's estimate at
// issue — the old formula and the look-ahead, as the product computes them — is compared with
// its real wait until first called.
//
//   eta-replay [--days N] [--seed S] [--json] [--write-events F --write-config C]
//   eta-replay --events F --config C [--json]     (a hall's own log: EventLog.swift)
//
// Prints a table (or one JSON object: mean_wait_s, baseline and lookahead each with mae_s,
// bias_s, under5_share, the look-ahead also with band_coverage, and the same per service).

struct Arguments {
    var days = 20
    var seed: UInt64 = 1
    var json = false
    var events: String?
    var config: String?
    var writeEvents: String?
    var writeConfig: String?

    init(_ args: [String]) {
        var i = 1
        while i < args.count {
            switch args[i] {
            case "--days":
                i += 1
                days = Int(args[i]) ?? days
            case "--seed":
                i += 1
                seed = UInt64(args[i]) ?? seed
            case "--json": json = true
            case "--events":
                i += 1
                events = args[i]
            case "--config":
                i += 1
                config = args[i]
            case "--write-events":
                i += 1
                writeEvents = args[i]
            case "--write-config":
                i += 1
                writeConfig = args[i]
            case "-h", "--help":
                print(
                    "usage: eta-replay [--days N] [--seed S] [--json] [--write-events F --write-config C]\n"
                        + "       eta-replay --events F --config C [--json]")
                exit(0)
            default:
                FileHandle.standardError.write(Data("eta-replay: unknown argument \(args[i])\n".utf8))
                exit(64)
            }
            i += 1
        }
    }
}

extension SplitMix {
    /// Lognormal with the given mean (not median): the days' service times.
    mutating func lognormal(mean: Double, sigma: Double) -> Double {
        lognormal(mu: log(mean) - sigma * sigma / 2, sigma: sigma)
    }
}

/// The simulated hall: four services, six windows with overlapping sets.
enum SimHall {
    /// Service id, name, mean service seconds, share of arrivals, issues priority tickets.
    static let services: [(id: String, name: String, mean: Double, share: Double, priority: Bool)] = [
        ("A", "资质认定", 300, 0.35, true), ("B", "计量授权", 480, 0.25, false),
        ("C", "特种设备", 180, 0.25, false), ("D", "企业登记", 600, 0.15, true),
    ]
    static let windows: [[String]] = [["A", "B"], ["A", "C"], ["B", "A"], ["C", "A"], ["D", "B"], ["D", "C"]]
    static let sigma = 0.5
    static let noshowShare = 0.06
    static let transferShare = 0.04
    static let priorityShare = 0.06
    /// Tickets per second the windows can serve on average.
    static var capacity: Double {
        let mean = services.reduce(0) { $0 + $1.mean * $1.share }
        return Double(windows.count) / mean
    }
    /// Arrivals per second at `t` seconds after 09:00: a morning peak above capacity, a lunch lull.
    static func rate(_ t: Double) -> Double {
        switch t / 3600 {
        case ..<2: 1.2 * capacity
        case ..<3: 0.8 * capacity
        case ..<4.5: 0.4 * capacity
        case ..<7.5: 0.7 * capacity
        default: 0
        }
    }

    /// The same hall as a hallq.toml, for replaying its log with --events.
    static var toml: String {
        var s = "[hall]\nname = \"模拟大厅\"\ntimezone = \"Asia/Shanghai\"\n\n[queue]\ndefault_service_s = 360\n"
        for x in services {
            s += "\n[[service]]\nid = \"\(x.id)\"\nname = \"\(x.name)\"\npriority = \(x.priority)\n"
        }
        for (i, w) in windows.enumerated() {
            s += "\n[[window]]\nnumber = \(i + 1)\nservices = [\(w.map { "\"\($0)\"" }.joined(separator: ", "))]\n"
        }
        return s
    }

    static func config() -> HallConfig {
        var q = QueueRules()
        q.defaultServiceSeconds = 360
        return HallConfig(
            name: "模拟大厅", queue: q,
            services: services.map { ServiceConfig(id: $0.id, name: $0.name, priority: $0.priority) },
            windows: windows.enumerated().map { WindowConfig(number: $0 + 1, services: $1) })
    }
}

/// One ticket's estimate at issue and its real wait.
struct Outcome {
    var service: String
    var wait: Double
    var baseline: Double
    var lookahead: WaitRange
}

/// Runs one day through `engine`, starting at `start`.
/// Every event the engine made goes to `log` (for --write-events).
func runDay(
    _ engine: inout QueueEngine, start: Millis, _ rng: inout SplitMix, outcomes: inout [Outcome], log: inout [EventRow]
) throws {
    enum Action {
        case finish
        case transfer(String)
        case noshow, resume
    }
    struct Window {
        var at = Double.infinity
        var action: Action?
        var pauseAt: Double
        var pauseFor: Double
        var paused = false
    }
    var t = 0.0
    /// The engine's clock: whole milliseconds, as in the log.
    var now: Millis { start + Millis(t * 1000) }
    func apply(_ c: Command, _ engine: inout QueueEngine) throws -> Effects {
        let effects = try engine.apply(c, at: now)
        log.append(contentsOf: effects.events.map(EventRow.init))
        return effects
    }
    var windows = SimHall.windows.map { _ in
        Window(pauseAt: 3600 + rng.uniform() * 5.5 * 3600, pauseFor: 600 + rng.uniform() * 900)
    }
    for n in windows.indices where engine.windows[n + 1]?.clerk == nil {
        _ = try apply(.signin(window: n + 1, clerk: "clerk\(n + 1)"), &engine)
    }
    // Arrivals by thinning a Poisson process at the peak rate.
    var arrivals: [Double] = []
    let peak = 1.2 * SimHall.capacity
    var a = rng.exponential(mean: 1 / peak)
    while a < 7.5 * 3600 {
        if rng.uniform() < SimHall.rate(a) / peak { arrivals.append(a) }
        a += rng.exponential(mean: 1 / peak)
    }
    var issued: [Int64: (service: String, at: Millis, baseline: Double, eta: WaitRange)] = [:]
    var nextArrival = 0
    func callIdle(_ engine: inout QueueEngine) throws {
        for i in windows.indices where windows[i].action == nil && !windows[i].paused {
            if t >= windows[i].pauseAt {
                _ = try apply(.pause(window: i + 1), &engine)
                windows[i].paused = true
                windows[i].pauseAt = .infinity
                windows[i].at = t + windows[i].pauseFor
                windows[i].action = .resume
                continue
            }
            guard engine.next(for: i + 1) != nil,
                case let .ticket(ticket) = try apply(.call(window: i + 1, ticket: nil), &engine).subject
            else { continue }
            if let x = issued.removeValue(forKey: ticket.id) {
                outcomes.append(
                    Outcome(
                        service: x.service, wait: Double(now - x.at) / 1000, baseline: x.baseline, lookahead: x.eta))
            }
            let law = SimHall.services.first { $0.id == ticket.service }!
            if rng.uniform() < SimHall.noshowShare {
                windows[i].at = t + 45 + rng.uniform() * 45
                windows[i].action = .noshow
            } else {
                windows[i].at = t + rng.lognormal(mean: law.mean, sigma: SimHall.sigma)
                let transfer = ticket.service != "C" && rng.uniform() < SimHall.transferShare
                windows[i].action = transfer ? .transfer("C") : .finish
            }
        }
    }
    while true {
        let w = windows.indices.min { windows[$0].at < windows[$1].at }!
        let arrival = nextArrival < arrivals.count ? arrivals[nextArrival] : .infinity
        if arrival == .infinity && windows[w].at == .infinity { break }
        if arrival <= windows[w].at {
            t = arrival
            nextArrival += 1
            var pick = rng.uniform()
            let s =
                SimHall.services.first {
                    pick -= $0.share
                    return pick < 0
                } ?? SimHall.services[0]
            let priority = s.priority && rng.uniform() < SimHall.priorityShare
            // What the product has when the take arrives: the estimates of the state before it.
            engine.estimates = WaitEstimator.estimate(engine, at: now)
            let before = engine
            guard
                let (ticket, ahead, eta, _) = try apply(.take(service: s.id, key: nil, priority: priority), &engine)
                    .subject.issued
            else { continue }
            issued[ticket.id] = (s.id, now, before.baselineSeconds(service: s.id, ahead: ahead), eta)
        } else {
            t = windows[w].at
            let n = w + 1
            switch windows[w].action {
            case .finish: _ = try apply(.finish(window: n, outcome: .served), &engine)
            case let .transfer(s): _ = try apply(.transfer(window: n, toService: s, toWindow: nil), &engine)
            case .noshow: _ = try apply(.noshow(window: n), &engine)
            case .resume:
                _ = try apply(.resume(window: n), &engine)
                windows[w].paused = false
            case nil: break
            }
            windows[w].action = nil
            windows[w].at = .infinity
        }
        try callIdle(&engine)
    }
}

struct Figures {
    var mae: Double
    var bias: Double
    var under5: Double
    var coverage: Double?

    init(_ xs: [Outcome], _ estimate: (Outcome) -> Double, band: Bool) {
        let n = Double(max(1, xs.count))
        mae = xs.reduce(0) { $0 + abs(estimate($1) - $1.wait) } / n
        bias = xs.reduce(0) { $0 + estimate($1) - $1.wait } / n
        under5 = Double(xs.filter { $0.wait - estimate($0) > 300 }.count) / n
        coverage =
            band ? Double(xs.filter { $0.lookahead.low <= $0.wait && $0.wait <= $0.lookahead.high }.count) / n : nil
    }

    var json: String {
        var s = String(format: "{\"mae_s\": %.1f, \"bias_s\": %.1f, \"under5_share\": %.3f", mae, bias, under5)
        if let coverage { s += String(format: ", \"band_coverage\": %.3f", coverage) }
        return s + "}"
    }
}

let args = Arguments(CommandLine.arguments)
var outcomes: [Outcome] = []
var what: String
var services = SimHall.services.map(\.id)
let clockStart = ContinuousClock.now
if let events = args.events {
    guard let configPath = args.config else {
        FileHandle.standardError.write(Data("eta-replay: --events needs --config (the hall's hallq.toml)\n".utf8))
        exit(64)
    }
    let config = try ConfigLoader.parse(try String(contentsOfFile: configPath, encoding: .utf8))
    services = config.services.map(\.id)
    let rows = try readEvents(events)
    let (replayed, skipped) = replayEvents(rows, config: config)
    outcomes = replayed
    what = "\(events): \(rows.count) events, \(skipped) steps the engine refused"
} else {
    var rng = SplitMix(seed: args.seed)
    var engine = QueueEngine(config: SimHall.config())
    var log: [EventRow] = []
    // 2026-01-05 09:00 in Shanghai, a Monday; one day after another.
    let firstDay: Millis = 1_767_574_800_000
    for d in 0..<args.days {
        try runDay(&engine, start: firstDay + Millis(d) * 86_400_000, &rng, outcomes: &outcomes, log: &log)
    }
    if let path = args.writeEvents { try writeEvents(log, to: path) }
    if let path = args.writeConfig { try Data(SimHall.toml.utf8).write(to: URL(fileURLWithPath: path)) }
    what = "\(args.days) days, seed \(args.seed)"
}
let took = ContinuousClock.now - clockStart

let meanWait = outcomes.reduce(0) { $0 + $1.wait } / Double(max(1, outcomes.count))
func both(_ xs: [Outcome]) -> (Figures, Figures) {
    (Figures(xs, { $0.baseline }, band: false), Figures(xs, { $0.lookahead.median }, band: true))
}
let (base, look) = both(outcomes)
if args.json {
    var perService: [String] = []
    for s in services {
        let xs = outcomes.filter { $0.service == s }
        let (b, l) = both(xs)
        perService.append("\"\(s)\": {\"tickets\": \(xs.count), \"baseline\": \(b.json), \"lookahead\": \(l.json)}")
    }
    print(
        (args.events == nil ? "{\"days\": \(args.days), \"seed\": \(args.seed), " : "{")
            + "\"tickets\": \(outcomes.count), "
            + String(format: "\"mean_wait_s\": %.1f, ", meanWait)
            + "\"baseline\": \(base.json), \"lookahead\": \(look.json), "
            + "\"per_service\": {\(perService.joined(separator: ", "))}}")
} else {
    print(
        "eta-replay: \(what), \(outcomes.count) tickets, mean wait \(Int(meanWait)) s (\(took))"
    )
    print("                     MAE s   bias s   under by >5 min   p10–p90 holds")
    func row(_ name: String, _ f: Figures) {
        let cov = f.coverage.map { String(format: "%13.1f %%", $0 * 100) } ?? "            –"
        let padded = name.padding(toLength: 18, withPad: " ", startingAt: 0)
        print(padded + String(format: " %7.0f %8.0f %15.1f %%  ", f.mae, f.bias, f.under5 * 100) + cov)
    }
    row("old formula", base)
    row("look-ahead", look)
    for s in services {
        let (b, l) = both(outcomes.filter { $0.service == s })
        row("  \(s) old formula", b)
        row("  \(s) look-ahead", l)
    }
    let below = Double(outcomes.filter { $0.wait < $0.lookahead.low }.count) / Double(max(1, outcomes.count))
    let above = Double(outcomes.filter { $0.wait > $0.lookahead.high }.count) / Double(max(1, outcomes.count))
    print(String(format: "real waits below the band: %.1f %%, above it: %.1f %%", below * 100, above * 100))
    let soon = outcomes.filter { $0.wait < 30 }
    print(
        String(
            format: "called within 30 s: %.1f %% of tickets, their look-ahead median %.0f s on average",
            Double(soon.count) / Double(max(1, outcomes.count)) * 100,
            soon.reduce(0) { $0 + $1.lookahead.median } / Double(max(1, soon.count))))
    print(
        String(
            format: "look-ahead MAE is %.0f %% of the mean wait and %.0f %% below the old formula's",
            look.mae / meanWait * 100, (1 - look.mae / base.mae) * 100))
}
