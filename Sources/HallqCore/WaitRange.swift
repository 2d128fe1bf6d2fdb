/// A wait as people should read it: likely between `low` and `high`, most likely `median`
/// (seconds until the ticket is called; p10, p50 and p90 of the look-ahead's runs).
public struct WaitRange: Sendable, Equatable {
    public var low: Double
    public var median: Double
    public var high: Double

    public init(low: Double, median: Double, high: Double) {
        self.low = low
        self.median = median
        self.high = high
    }

    public static let zero = WaitRange(low: 0, median: 0, high: 0)

    /// The same range `seconds` later (tickets that joined since the range was played out).
    public func shifted(by seconds: Double) -> WaitRange {
        WaitRange(low: low + seconds, median: median + seconds, high: high + seconds)
    }

    /// In whole minutes as shown: the median rounded up (as the old estimate was: people plan in
    /// minutes and are less annoyed by an early call), the band widened outward to whole minutes,
    /// and never a band of one number when the median is more than a minute.
    public var minutes: (low: Int, median: Int, high: Int) {
        let m = Int((median / 60).rounded(.up))
        let lo = min(m, Int((low / 60).rounded(.down)))
        var hi = max(m, Int((high / 60).rounded(.up)))
        if hi == lo && m > 1 { hi = lo + 1 }
        return (max(0, lo), max(0, m), max(0, hi))
    }
}

/// What was learned about a service from recent tickets, beyond its service times (which the
/// engine keeps in its snapshot): how often a called ticket does not come and what that costs a
/// window, and how often priority tickets arrive. In memory: after a restart it is relearned.
public struct ServiceObservations: Sendable, Equatable {
    /// How a call ended for the window: served, not come, or passed on to another service's
    /// queue (where it waits as a priority ticket).
    public enum End: Sendable, Equatable {
        case served, noshow
        case transfer(String)
    }
    /// Recent calls' ends, newest last.
    public var ends: [End] = []
    /// Seconds a window spent on each recent no-show (the call and its recalls).
    public var noshowSeconds: [Double] = []
    /// When recent priority tickets were taken, newest last.
    public var priorityTakes: [Millis] = []
    /// When recent tickets (of either kind) were taken, newest last.
    public var takes: [Millis] = []

    static let kept = 40

    public init() {}

    mutating func ended(_ end: End, seconds: Double) {
        ends = Array((ends + [end]).suffix(Self.kept))
        if end == .noshow { noshowSeconds = Array((noshowSeconds + [seconds]).suffix(Self.kept)) }
    }

    mutating func took(priority: Bool, at now: Millis) {
        takes = Array((takes + [now]).suffix(Self.kept))
        if priority { priorityTakes = Array((priorityTakes + [now]).suffix(Self.kept)) }
    }

    /// Tickets per second over the last half hour before `now` (a hall's arrivals change within
    /// the day: the morning peak, the lunch lull), or over the kept ones if they came faster.
    public func arrivalRate(at now: Millis) -> Double {
        let recent = takes.filter { now - $0 <= 1_800_000 }
        if recent.count == Self.kept, let first = recent.first, now > first {
            return Double(recent.count) / (Double(now - first) / 1000)
        }
        return Double(recent.count) / 1800
    }

    /// The share of calls that end in a no-show (0 until 5 calls are known).
    public var noshowShare: Double {
        ends.count < 5 ? 0 : Double(ends.filter { $0 == .noshow }.count) / Double(ends.count)
    }

    /// The share of calls passed on to each other service (none until 5 calls are known).
    public var transferShares: [String: Double] {
        guard ends.count >= 5 else { return [:] }
        var out: [String: Double] = [:]
        for case let .transfer(s) in ends { out[s, default: 0] += 1 / Double(ends.count) }
        return out
    }

    /// Priority tickets per second over the last hour before `now`.
    public func priorityRate(at now: Millis) -> Double {
        Double(priorityTakes.filter { now - $0 <= 3_600_000 }.count) / 3600
    }
}

/// How often windows pause and for how long, across the hall (in memory, like the above).
public struct PauseObservations: Sendable, Equatable {
    /// When recent pauses began, newest last.
    public var starts: [Millis] = []
    /// How long recent pauses lasted, seconds.
    public var lengths: [Double] = []
    /// Windows paused now, since when.
    var pausedSince: [Int: Millis] = [:]

    public init() {}

    mutating func paused(window: Int, at now: Millis) {
        starts = Array((starts + [now]).suffix(ServiceObservations.kept))
        pausedSince[window] = now
    }

    mutating func resumed(window: Int, at now: Millis) {
        guard let since = pausedSince.removeValue(forKey: window) else { return }
        lengths = Array((lengths + [Double(now - since) / 1000]).suffix(ServiceObservations.kept))
    }

    /// Pauses per open window per second over the last four hours.
    public func rate(at now: Millis, openWindows: Int) -> Double {
        let recent = starts.filter { now - $0 <= 4 * 3_600_000 }.count
        return Double(recent) / (4 * 3600) / Double(max(1, openWindows))
    }

    /// The mean pause, or `otherwise` before any has ended.
    public func meanLength(otherwise: Double) -> Double {
        lengths.isEmpty ? otherwise : lengths.reduce(0, +) / Double(lengths.count)
    }
}
