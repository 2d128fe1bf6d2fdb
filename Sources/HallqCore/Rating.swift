/// The national 好差评 satisfaction levels: five, from 5 (非常满意) down to 1 (非常不满意). The
/// keypad, the evaluator and the ticket's status page all rate on this scale; levels 1 and 2 ask
/// the citizen why (the status page requires a reason, a keypad cannot type one).
public enum Rating {
    /// Each level with its *stable* Chinese and English names, best first.
    public static let levels: [(score: Int, name: String, english: String)] = [
        (5, "非常满意", "very satisfied"), (4, "满意", "satisfied"), (3, "基本满意", "fairly satisfied"),
        (2, "不满意", "dissatisfied"), (1, "非常不满意", "very dissatisfied"),
    ]
    public static let scores = 1...5
    /// Ratings below this level ask for a reason.
    public static let reasonBelow = 3
    /// The longest reason kept, in characters.
    public static let maxReason = 200

    public static func name(_ score: Int) -> String? { levels.first { $0.score == score }?.name }
}

/// How many ratings at each level, for statistics and the monthly report.
public struct RatingLevels: Sendable, Equatable, Codable {
    /// counts[0] is level 1, counts[4] level 5.
    public private(set) var counts: [Int]

    public init(counts: [Int] = [0, 0, 0, 0, 0]) { self.counts = counts }
    public init(scores: [Int]) {
        self.init()
        for s in scores { add(s) }
    }

    public mutating func add(_ score: Int) {
        guard Rating.scores.contains(score) else { return }
        counts[score - 1] += 1
    }

    public subscript(score: Int) -> Int { Rating.scores.contains(score) ? counts[score - 1] : 0 }
    public var count: Int { counts.reduce(0, +) }
    public var mean: Double? {
        count == 0 ? nil : Double(zip(Rating.scores, counts).map { $0 * $1 }.reduce(0, +)) / Double(count)
    }
}
