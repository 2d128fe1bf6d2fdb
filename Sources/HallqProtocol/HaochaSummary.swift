import HallqCore

/// The 好差评 tally a province publishes for a period (the monthly report's section, `ratings`'
/// `summary`): case ratings per level and channel, 差评 and what became of them, and the
/// return-visit rate (回访率). Pure.
public struct HaochaSummary: Sendable, Equatable {
    /// Case ratings per hallq level, index 0 = 5 (非常满意) … 4 = 1 (非常不满意).
    public var levels = [0, 0, 0, 0, 0]
    public var channels: [RatingChannel: Int] = [:]
    /// 差评 (work orders opened), those approved invalid, rectified, and return visits made of
    /// those that needed one.
    public var bad = 0
    public var invalid = 0
    public var rectified = 0
    public var revisited = 0
    public var revisitDue = 0

    public init(ratings: [CaseRating], orders: [WorkOrder]) {
        for r in ratings where Rating.scores.contains(r.level) {
            levels[5 - r.level] += 1
            channels[r.channel, default: 0] += 1
        }
        bad = orders.count
        invalid = orders.filter { $0.valid == false }.count
        rectified = orders.filter(\.rectifiedInTally).count
        let due = orders.filter { $0.valid != false && !$0.state.owesRectification }
        revisitDue = due.count
        revisited = due.filter { $0.revisitContact != nil }.count
    }

    public var ratings: Int { levels.reduce(0, +) }
    /// 回访率 in whole percent; nil when no order needed a return visit yet.
    public var revisitPercent: Int? {
        revisitDue == 0 ? nil : Int((100 * Double(revisited) / Double(revisitDue)).rounded())
    }

    public var json: JSONValue {
        [
            "ratings": .int(Int64(ratings)),
            "levels": .object(
                Dictionary(uniqueKeysWithValues: (1...5).map { (String($0), .int(Int64(levels[5 - $0]))) })),
            "channels": .object(
                Dictionary(
                    uniqueKeysWithValues: RatingChannel.allCases.map { ($0.rawValue, .int(Int64(channels[$0] ?? 0))) })),
            "bad": .int(Int64(bad)), "invalid": .int(Int64(invalid)), "rectified": .int(Int64(rectified)),
            "revisited": .int(Int64(revisited)), "revisit_due": .int(Int64(revisitDue)),
            "revisit_percent": .from(revisitPercent),
        ]
    }

    public init(json: JSONValue?) {
        guard let o = json?.objectValue else { return }
        levels = [5, 4, 3, 2, 1].map { Int(o["levels"]?.objectValue?[String($0)]?.intValue ?? 0) }
        for c in RatingChannel.allCases {
            if let n = o["channels"]?.objectValue?[c.rawValue]?.intValue, n > 0 { channels[c] = Int(n) }
        }
        bad = Int(o["bad"]?.intValue ?? 0)
        invalid = Int(o["invalid"]?.intValue ?? 0)
        rectified = Int(o["rectified"]?.intValue ?? 0)
        revisited = Int(o["revisited"]?.intValue ?? 0)
        revisitDue = Int(o["revisit_due"]?.intValue ?? 0)
    }

    /// The channels' names in the report.
    public static let channelNames: [RatingChannel: String] = [
        .evaluator: "评价器", .qr: "扫码评价", .window: "窗口屏", .keypad: "评价键盘",
    ]

    /// The tally as report rows (label, count), Chinese first.
    public var rows: [(String, String)] {
        var out: [(String, String)] = [("办件评价 Case ratings", String(ratings))]
        for (i, name) in Vocabulary.levelNamesDescending.enumerated() {
            out.append(("　" + name, String(levels[i])))
        }
        for c in RatingChannel.allCases {
            out.append(("　" + (Self.channelNames[c] ?? c.rawValue), String(channels[c] ?? 0)))
        }
        out += [
            ("差评 Bad ratings", String(bad)), ("　无效差评 Invalid", String(invalid)),
            ("　已整改 Rectified", String(rectified)),
            ("回访率 Return visits", revisitPercent.map { "\($0)% (\(revisited)/\(revisitDue))" } ?? "–"),
        ]
        return out
    }
}
