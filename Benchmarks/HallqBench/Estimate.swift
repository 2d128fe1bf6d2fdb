import Foundation
import HallqCore

// hallq-bench --estimate: what the look-ahead (WaitEstimator) costs per commit round on a busy
// hall, beside the floor of the same run: the pure part of the round it follows (one `take`
// applied to a copy of the engine). CPU time of this thread, so another busy core does not
// count.

/// This thread's CPU time in ms.
func threadCPUms() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) * 1000 + Double(ts.tv_nsec) / 1e6
}

func runEstimate(waiting: Int, rounds: Int) throws {
    var q = QueueRules()
    q.defaultServiceSeconds = 360
    let services = ["A", "B", "C", "D"]
    let config = HallConfig(
        name: "基准大厅", queue: q,
        services: services.map { ServiceConfig(id: $0, name: $0, priority: $0 == "A") },
        windows: [["A", "B"], ["A", "C"], ["B", "A"], ["C", "A"], ["D", "B"], ["D", "C"]].enumerated().map {
            WindowConfig(number: $0 + 1, services: $1)
        })
    var engine = QueueEngine(config: config)
    var t: Millis = 1_767_574_800_000
    func run(_ c: Command) throws { _ = try engine.apply(c, at: t) }
    for w in 1...6 { try run(.signin(window: w, clerk: "c\(w)")) }
    // A morning's history: every window has served 20 tickets.
    for i in 0..<120 {
        try run(.take(service: services[i % 4], key: nil, priority: i % 4 == 0 && i % 17 == 0))
        let w = i % 6 + 1
        if engine.next(for: w) != nil {
            try run(.call(window: w, ticket: nil))
            t += Millis(200_000 + (i * 7919) % 300_000)
            try run(.finish(window: w, outcome: .served))
        }
    }
    // The peak: `waiting` tickets waiting, every window with one in hand.
    for i in 0..<(waiting + 6) {
        try run(.take(service: services[i % 4], key: nil, priority: i % 4 == 0 && i % 23 == 0))
        t += 5000
    }
    for w in 1...6 { try run(.call(window: w, ticket: nil)) }
    t += 60_000
    var floor: [Double] = []
    var look: [Double] = []
    for i in 0..<rounds {
        var copy = engine
        let f0 = threadCPUms()
        _ = try copy.apply(.take(service: services[i % 4], key: nil), at: t)
        floor.append(threadCPUms() - f0)
        var options = WaitEstimator.Options()
        options.seed = UInt64(i)
        let l0 = threadCPUms()
        let e = WaitEstimator.estimate(engine, at: t, options: options)
        look.append(threadCPUms() - l0)
        precondition(e.tickets.count == engine.waitingTotal)
    }
    floor.sort()
    look.sort()
    print(
        "look-ahead on \(engine.waitingTotal) waiting, 6 windows, 4 services, \(rounds) rounds (CPU ms of one thread):")
    print(
        "  floor: one take applied to a copy of the engine  p50 \(f2(percentile(floor, 0.5)))  p99 \(f2(percentile(floor, 0.99)))"
    )
    print(
        "  estimate: 40 runs                                 p50 \(f2(percentile(look, 0.5)))  p99 \(f2(percentile(look, 0.99)))"
    )
}
