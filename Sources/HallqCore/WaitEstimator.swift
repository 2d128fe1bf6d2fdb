import Foundation

/// Every waiting ticket's wait, played forward: the look-ahead estimator (issue 28).
///
/// The old estimate (`QueueEngine.etaMinutes`: people ahead × mean service time ÷ open windows)
/// is wrong where a hall is most often: a window serving A and C counts fully for both, the
/// ticket in hand has been served for a while already, with every window busy a ticket needs one
/// more departure than there are people ahead, priority tickets jump the queue, some called
/// tickets never come (Ibrahim & Whitt 2009; Whitt 1999; ../shared/ETA.md). Here the queue is
/// played forward `runs` times under the engine's own dispatch rules (each window's services in
/// its order, `policy`, `priority_ratio`, transferred tickets for their window), with service
/// times drawn from each service's recent ones (lognormal, conditioned on the time already spent
/// on the ticket in hand, each run with its own mean within what the data leaves unsure),
/// no-shows and transfers at the observed shares, tickets arriving for the next half hour at
/// the last half hour's rate (priority ones ahead of normal ones), windows pausing at the rate
/// seen and paused windows coming back after the mean pause. The p10, p50 and p90 of the times
/// at which a ticket is called make its range.
///
/// Pure and deterministic for a seed; the server runs it off the writer's path after a commit
/// round and hands the result back to the engine (`QueueEngine.estimates`).
public enum WaitEstimator {
    public struct Options: Sendable {
        /// Runs of the queue: each gives every waiting ticket, and a ticket joining each
        /// service's queue now, a time of call.
        public var runs = 40
        /// Arrivals are played this far ahead only: the last half hour's rate says little about
        /// the hour after next (a hall's peak ends, the lunch lull comes).
        public var arrivalsSeconds = 1800.0
        /// A paused window comes back after this long on average (exponentially distributed),
        /// until pauses have been seen to end.
        public var pauseReturnSeconds = 600.0
        /// Seconds of a no-show when none has been seen for the service yet.
        public var noshowDefaultSeconds = 60.0
        /// Nobody waits longer than this in a run (a queue no open window serves).
        public var horizonSeconds = 12 * 3600.0
        public var seed: UInt64 = 0x6861_6C6C_71  // "hallq"
        public init() {}
    }

    /// The estimates for one state of the queue.
    public struct Estimates: Sendable, Equatable {
        /// When the queue was in the state played forward.
        public var at: Millis
        /// Each waiting ticket's range by id, with the people ahead of it then (a ticket read
        /// after some of them were called shifts its range by theirs).
        public var tickets: [Int64: (range: WaitRange, ahead: Int)]
        /// The range of a normal ticket taken for a service at `at`, and how many waited for the
        /// service then (a ticket taken later shifts it by those who joined since).
        public var joining: [String: (range: WaitRange, waiting: Int)]

        public static func == (a: Estimates, b: Estimates) -> Bool {
            a.at == b.at && a.tickets.keys == b.tickets.keys
                && a.tickets.allSatisfy { b.tickets[$0.key]?.range == $0.value.range }
                && a.joining.keys == b.joining.keys
                && a.joining.allSatisfy { b.joining[$0.key]?.range == $0.value.range }
        }
    }

    public static func estimate(_ engine: QueueEngine, at now: Millis, options: Options = .init()) -> Estimates {
        let model = Model(engine, at: now, options: options)
        var rng = SplitMix(seed: options.seed ^ UInt64(bitPattern: now))
        var samples: [Int64: [Double]] = [:]
        var joinSamples = [[Double]](repeating: [], count: model.services.count)
        for _ in 0..<options.runs {
            let (called, joined) = model.play(&rng)
            for (id, t) in called { samples[id, default: []].append(t) }
            for (s, t) in joined.enumerated() { joinSamples[s].append(t) }
        }
        var joining: [String: (WaitRange, Int)] = [:]
        for (s, xs) in joinSamples.enumerated() {
            let id = model.services[s]
            joining[id] = (range(xs), engine.waitingCount(service: id))
        }
        var tickets: [Int64: (WaitRange, Int)] = [:]
        for (id, xs) in samples {
            guard let t = engine.live[id] else { continue }
            tickets[id] = (range(xs), engine.ahead(of: t))
        }
        return Estimates(at: now, tickets: tickets, joining: joining)
    }

    static func range(_ xs: [Double]) -> WaitRange {
        let s = xs.sorted()
        func q(_ p: Double) -> Double { s[min(s.count - 1, Int((Double(s.count - 1) * p).rounded()))] }
        return WaitRange(low: q(0.1), median: q(0.5), high: q(0.9))
    }
}

/// The queue as the look-ahead plays it: plain arrays, no dictionaries in the inner loop.
struct Model: Sendable {
    struct Waiting: Sendable {
        var id: Int64
        var priority: Bool
        var seq: Int64
    }
    struct Window: Sendable {
        var number: Int
        /// Queue indices this window may call from, in its services' order, and the transferred
        /// queue for it last.
        var queues: [Int]
        /// Rank of each of `queues` for the window (service order, or 0 for oldest-first;
        /// transferred tickets rank before all).
        var ranks: [Int]
        /// Free at this many seconds from now (the ticket in hand, or a pause).
        var busyFor: Double
        /// Its ticket in hand: the service, and seconds already spent on it.
        var inHand: (service: Int, elapsed: Double)?
        var paused: Bool
    }
    /// Service-time law per service: lognormal mu and sigma of the seconds.
    struct Law: Sendable {
        var mu: Double
        var sigma: Double
        /// How unsure `mu` is (its standard error): each run draws its own, so the band also
        /// holds what 20 recent tickets cannot tell about the next 20.
        var muError: Double
        var noshowShare: Double
        var noshowSeconds: Double
        var priorityRate: Double
        /// Normal tickets per second: under `service-order` a window takes a newly arrived
        /// ticket of its first service before a waiting one of its second.
        var normalRate: Double
        /// Shares of calls passed on to another service's queue (by queue index), where the
        /// ticket waits again as a priority ticket.
        var transfers: [(queue: Int, share: Double)]
    }

    var queues: [[Waiting]] = []
    /// Service index of each queue.
    var queueService: [Int] = []
    var services: [String] = []
    var laws: [Law] = []
    var windows: [Window] = []
    var priorityRatio: Int
    var options: WaitEstimator.Options
    /// Pauses per open window per second, and their mean length.
    var pauseRate: Double
    var pauseMean: Double
    /// A ticket joining a service's open queue now: behind every waiting ticket, ahead of every
    /// one still to come.
    static let joinerSeq = Int64.max / 4

    init(_ e: QueueEngine, at now: Millis, options: WaitEstimator.Options) {
        self.options = options
        priorityRatio = e.config.queue.priorityRatio
        services = e.config.services.map(\.id)
        let serviceIndex = Dictionary(uniqueKeysWithValues: services.enumerated().map { ($1, $0) })
        let staffed = e.windows.values.filter { $0.clerk != nil }.count
        pauseRate = e.pauses.rate(at: now, openWindows: staffed)
        pauseMean = e.pauses.meanLength(otherwise: options.pauseReturnSeconds)
        for (i, s) in services.enumerated() {
            laws.append(Self.law(e, service: s, at: now, index: serviceIndex, options: options))
            queues.append(e.waiting(service: s).map { Waiting(id: $0.id, priority: $0.priority, seq: $0.queueSeq) })
            queueService.append(i)
        }
        // Transferred tickets wait in a queue of their window's own.
        var targeted: [Int: Int] = [:]
        for t in e.live.values where t.state == .waiting {
            guard let w = t.targetWindow, let si = serviceIndex[t.service] else { continue }
            let q = targeted[w] ?? queues.count
            if targeted[w] == nil {
                targeted[w] = q
                queues.append([])
                queueService.append(si)
            }
            queues[q].append(Waiting(id: t.id, priority: t.priority, seq: t.queueSeq))
        }
        for q in queues.indices {
            queues[q].sort { ($0.priority ? 0 : 1, $0.seq, $0.id) < ($1.priority ? 0 : 1, $1.seq, $1.id) }
        }
        // Open windows: signed in. A service no signed-in window serves is counted on the windows
        // configured for it, as if they opened now (the old estimate's rule).
        let signedIn = Set(e.windows.values.filter { $0.clerk != nil }.map(\.number))
        var covered = Set<String>()
        for w in e.config.windows where signedIn.contains(w.number) { covered.formUnion(w.services) }
        for wc in e.config.windows {
            let state = e.windows[wc.number]
            // A window nobody signed in at stands in only for the services nobody serves: it
            // must not take a B ticket from the windows that are open for B.
            let staffedHere = signedIn.contains(wc.number)
            guard staffedHere || wc.services.contains(where: { !covered.contains($0) }) else { continue }
            var qs: [Int] = []
            var ranks: [Int] = []
            for (k, s) in wc.services.enumerated() where staffedHere || !covered.contains(s) {
                guard let si = serviceIndex[s] else { continue }
                qs.append(si)
                ranks.append(e.config.queue.policy == .serviceOrder ? k + 1 : 1)
            }
            if let q = targeted[wc.number] {
                qs.append(q)
                ranks.append(0)
            }
            var inHand: (Int, Double)?
            if let id = state?.current, let t = e.live[id], let si = serviceIndex[t.service] {
                let since = t.windowCalledAt ?? t.lastCalledAt ?? now
                inHand = (si, max(0, Double(now - since) / 1000))
            }
            windows.append(
                Window(
                    number: wc.number, queues: qs, ranks: ranks, busyFor: 0, inHand: inHand,
                    paused: state?.paused ?? false))
        }
    }

    /// A service's law from its recent service times: lognormal with their log mean and spread
    /// (few data: the configured default and a moderate spread).
    static func law(
        _ e: QueueEngine, service: String, at now: Millis, index: [String: Int], options: WaitEstimator.Options
    ) -> Law {
        let xs = e.recentServiceSeconds(service).filter { $0 > 0 }
        let obs = e.observations[service] ?? ServiceObservations()
        var mu = log(Double(max(1, e.config.queue.defaultServiceSeconds))) - 0.18
        var sigma = 0.6
        var muError = 0.3
        if xs.count >= 3 {
            let logs = xs.map { log(max(1, $0)) }
            let m = logs.reduce(0, +) / Double(logs.count)
            let v = logs.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(logs.count - 1)
            // Shrunk toward the default spread while there are few: 20 points make a
            // fair guess of a lognormal's sigma, 3 do not.
            let w = Double(xs.count) / Double(xs.count + 5)
            mu = m
            sigma = min(1.5, max(0.15, w * v.squareRoot() + (1 - w) * 0.6))
            muError = sigma / Double(xs.count).squareRoot()
        }
        let noshow =
            obs.noshowSeconds.isEmpty
            ? options.noshowDefaultSeconds : obs.noshowSeconds.reduce(0, +) / Double(obs.noshowSeconds.count)
        let priorityRate = obs.priorityRate(at: now)
        return Law(
            mu: mu, sigma: sigma, muError: muError, noshowShare: obs.noshowShare, noshowSeconds: noshow,
            priorityRate: priorityRate, normalRate: max(0, obs.arrivalRate(at: now) - priorityRate),
            transfers: obs.transferShares.compactMap { s, share in index[s].map { ($0, share) } }.sorted { $0.0 < $1.0 }
        )
    }

    /// One run: when each waiting ticket is called, in seconds from now; and for each service,
    /// when a normal ticket taken now would be. That ticket lives in a world of its own (it
    /// exists in none of the others, nor here): until a window would call it, it changes no
    /// choice, so its time is the first moment a window would pick it here.
    func play(_ rng: inout SplitMix) -> (called: [(Int64, Double)], joined: [Double]) {
        // This run's world: service times and arrival rates as unsure as the data leaves them.
        let laws = self.laws.map { law in
            var l = law
            l.mu += rng.normal() * law.muError
            let busier = exp(rng.normal() * 0.3)
            l.normalRate *= busier
            l.priorityRate *= busier
            return l
        }
        // Each queue as its priority tickets and its normal ones, each in order, with a head index.
        var prios = queues.map { $0.filter(\.priority) }
        var normals = queues.map { $0.filter { !$0.priority } }
        var hp = [Int](repeating: 0, count: queues.count)
        var hn = hp
        var joined = [Double](repeating: .infinity, count: services.count)
        // A service no window here serves has no time of call for its joiner to wait for.
        let served = Set(windows.flatMap { $0.queues.filter { $0 < services.count } })
        var left = prios.reduce(0) { $0 + $1.count } + normals.reduce(0) { $0 + $1.count } + served.count
        var out: [(Int64, Double)] = []
        out.reserveCapacity(left)
        var windows = self.windows
        // When each window will next pause (at most once in a run), and come back after.
        var nextPause = [Double](repeating: .infinity, count: windows.count)
        for i in windows.indices {
            if windows[i].paused {
                windows[i].busyFor = rng.exponential(mean: pauseMean)
            } else if pauseRate > 0 {
                nextPause[i] = rng.exponential(mean: 1 / pauseRate)
            }
            if let (s, elapsed) = windows[i].inHand {
                windows[i].busyFor += remaining(laws[s], elapsed: elapsed, &rng)
            }
        }
        var streak = [Int](repeating: 0, count: windows.count)
        // The next priority and normal ticket to arrive for each service (later than every
        // waiting one, and than those joining now).
        var nextPriority = laws.map { $0.priorityRate > 0 ? rng.exponential(mean: 1 / $0.priorityRate) : .infinity }
        var nextNormal = laws.map { $0.normalRate > 0 ? rng.exponential(mean: 1 / $0.normalRate) : .infinity }
        var arrivedSeq = Int64.max / 2
        // Tickets passed on by a window, joining their new queue (as priority) when it is done.
        var passedOn: [(at: Double, queue: Int)] = []
        while left > 0, !windows.isEmpty {
            var w = 0
            for i in windows.indices where windows[i].busyFor < windows[w].busyFor { w = i }
            let t = windows[w].busyFor
            if t > options.horizonSeconds { break }
            if !passedOn.isEmpty {
                for p in passedOn where p.at <= t {
                    arrivedSeq += 1
                    prios[p.queue].append(Waiting(id: 0, priority: true, seq: arrivedSeq))
                }
                passedOn.removeAll { $0.at <= t }
            }
            for s in laws.indices where nextPriority[s] <= t || nextNormal[s] <= t {
                while nextPriority[s] <= t || nextNormal[s] <= t {
                    arrivedSeq += 1
                    if nextPriority[s] <= nextNormal[s] {
                        prios[s].append(Waiting(id: 0, priority: true, seq: arrivedSeq))
                        nextPriority[s] += rng.exponential(mean: 1 / laws[s].priorityRate)
                        if nextPriority[s] > options.arrivalsSeconds { nextPriority[s] = .infinity }
                    } else {
                        normals[s].append(Waiting(id: 0, priority: false, seq: arrivedSeq))
                        nextNormal[s] += rng.exponential(mean: 1 / laws[s].normalRate)
                        if nextNormal[s] > options.arrivalsSeconds { nextNormal[s] = .infinity }
                    }
                }
            }
            let choice = pick(windows[w], prios, hp, normals, hn, streak: streak[w])
            // Would the window call a ticket taken now for one of its services instead?
            for s in windows[w].queues where s < services.count && joined[s] == .infinity {
                guard hn[s] == normals[s].count || normals[s][hn[s]].seq > Self.joinerSeq else { continue }
                normals[s].insert(Waiting(id: -1, priority: false, seq: Self.joinerSeq), at: hn[s])
                let theirs = pick(windows[w], prios, hp, normals, hn, streak: streak[w])
                normals[s].remove(at: hn[s])
                if let (q, p) = theirs, q == s, !p {
                    joined[s] = t
                    left -= 1
                }
            }
            guard let (q, priority) = choice else {
                // Nothing this window may call: it waits for the next ticket to arrive for one of
                // its services (the queues only shrink otherwise), or for good.
                var next = Double.infinity
                for q in windows[w].queues where q < laws.count { next = min(next, nextPriority[q], nextNormal[q]) }
                for p in passedOn where windows[w].queues.contains(p.queue) { next = min(next, p.at) }
                windows[w].busyFor = max(next, t + 1)
                continue
            }
            let ticket: Waiting
            if priority {
                ticket = prios[q][hp[q]]
                hp[q] += 1
            } else {
                ticket = normals[q][hn[q]]
                hn[q] += 1
            }
            streak[w] = priority ? streak[w] + 1 : 0
            if ticket.id != 0 {
                out.append((ticket.id, t))
                left -= 1
            }
            let law = laws[queueService[q]]
            var busy = law.noshowSeconds
            if rng.uniform() >= law.noshowShare {
                busy = rng.lognormal(mu: law.mu, sigma: law.sigma)
                var u = rng.uniform()
                for (to, share) in law.transfers {
                    u -= share
                    if u < 0 {
                        passedOn.append((t + busy, to))
                        break
                    }
                }
            }
            windows[w].busyFor = t + busy
            // A clerk pauses once the ticket in hand is done.
            if windows[w].busyFor >= nextPause[w] {
                windows[w].busyFor += rng.exponential(mean: pauseMean)
                nextPause[w] = .infinity
            }
        }
        // Whoever no window reached waits the horizon.
        for q in queues.indices {
            for x in prios[q][hp[q]...] + normals[q][hn[q]...] where x.id != 0 {
                out.append((x.id, options.horizonSeconds))
            }
        }
        return (out, joined.map { min($0, options.horizonSeconds) })
    }

    /// The engine's `next(for:)` on the model's queues: the best head by the window's rank, then
    /// priority and queue order; after `priority_ratio` priority calls in a row, the best normal
    /// ticket instead if it has waited longer. The queue, and whether from its priority tickets.
    func pick(
        _ w: Window, _ prios: [[Waiting]], _ hp: [Int], _ normals: [[Waiting]], _ hn: [Int], streak: Int
    ) -> (Int, Bool)? {
        func better(_ a: (Int, Waiting), _ b: (Int, Waiting)) -> Bool {
            if a.0 != b.0 { return a.0 < b.0 }
            if a.1.priority != b.1.priority { return a.1.priority }
            return (a.1.seq, a.1.id) < (b.1.seq, b.1.id)
        }
        var best: (q: Int, key: (Int, Waiting))?
        var normal: (q: Int, key: (Int, Waiting))?
        for (k, q) in w.queues.enumerated() {
            let n = hn[q] < normals[q].count ? normals[q][hn[q]] : nil
            if let n {
                let key = (w.ranks[k], n)
                if normal == nil || better(key, normal!.key) { normal = (q, key) }
            }
            guard let head = hp[q] < prios[q].count ? prios[q][hp[q]] : n else { continue }
            let key = (w.ranks[k], head)
            if best == nil || better(key, best!.key) { best = (q, key) }
        }
        guard let head = best else { return nil }
        guard head.key.1.priority else { return (head.q, false) }
        if priorityRatio > 0, streak >= priorityRatio, let n = normal, n.key.1.seq < head.key.1.seq {
            return (n.q, false)
        }
        return (head.q, true)
    }

    /// Seconds left on a ticket already `elapsed` seconds in hand: a draw from the law given
    /// that it has lasted that long (Whitt 1999: elapsed service times matter).
    func remaining(_ law: Law, elapsed: Double, _ rng: inout SplitMix) -> Double {
        for _ in 0..<16 {
            let s = rng.lognormal(mu: law.mu, sigma: law.sigma)
            if s > elapsed { return s - elapsed }
        }
        // Far past what the law expects: a little longer, a fifth of a typical service.
        return exp(law.mu) * 0.2
    }
}

/// A small fast generator (SplitMix64): the runs must be reproducible for a seed (eta-replay's
/// generated days too).
public struct SplitMix: Sendable {
    var state: UInt64
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in (0, 1).
    public mutating func uniform() -> Double { (Double(next() >> 11) + 0.5) / Double(1 << 53) }

    public mutating func exponential(mean: Double) -> Double { -mean * log(uniform()) }

    public mutating func normal() -> Double { (-2 * log(uniform())).squareRoot() * cos(2 * .pi * uniform()) }

    public mutating func lognormal(mu: Double, sigma: Double) -> Double { exp(mu + sigma * normal()) }
}
