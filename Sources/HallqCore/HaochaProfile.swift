/// How one rating record is written for a province (docs/HAOCHA.md): which fields, under which
/// names, the level's direction, the channel codes and the time format. No national interface
/// exists; each province issues its own, so a profile is data: two are built in and a hall may
/// define its own (`[[haocha_profile]]`).
public struct HaochaProfile: Sendable, Equatable {
    /// Which end of the scale is best. hallq's own levels are 5 = 非常满意.
    public enum Direction: String, Sendable, CaseIterable {
        /// GB/T 39046-2020 A.8: 1 非常满意 … 5 非常不满意.
        case bestIsOne = "best_is_1"
        /// 5 非常满意 … 1 非常不满意 (hallq inside, and provincial gateways seen in public code).
        case bestIsFive = "best_is_5"
    }

    public enum TimeFormat: String, Sendable, CaseIterable {
        /// GB/T 39046: YYYYMMDDThhmmss, local time.
        case compact = "yyyyMMddTHHmmss"
        /// yyyy-MM-dd HH:mm:ss, local time.
        case dateTime = "yyyy-MM-dd HH:mm:ss"
        /// ISO 8601 in UTC with milliseconds.
        case iso8601
    }

    /// What a profile can send: hallq's names for the fields of a case rating.
    public enum Field: String, Sendable, CaseIterable {
        case ratingId = "rating_id"
        case hall
        case caseNo = "case_no"
        case itemCode = "item_code"
        case itemName = "item_name"
        case deptCode = "dept_code"
        case kind
        case channel, rater, time, count, level, contents, text, region, clerk, window
    }

    public struct Mapping: Sendable, Equatable {
        public var field: Field
        /// The province's name for it.
        public var name: String
        public init(_ field: Field, _ name: String) {
            self.field = field
            self.name = name
        }
    }

    public enum Value: Sendable, Equatable {
        case text(String)
        case number(Int)
        public var text: String {
            switch self {
            case let .text(s): return s
            case let .number(n): return String(n)
            }
        }
    }

    public var name: String
    public var direction: Direction
    public var timeFormat: TimeFormat
    public var fields: [Mapping]
    public var channels: [RatingChannel: String]

    public init(
        name: String, direction: Direction, timeFormat: TimeFormat, fields: [Mapping],
        channels: [RatingChannel: String]
    ) {
        self.name = name
        self.direction = direction
        self.timeFormat = timeFormat
        self.fields = fields
        self.channels = channels
    }

    /// GB/T 39046-2020 Table 9 (政务服务绩效评价基础数据集), its field names and codes as the
    /// standard writes them: 满意度代码 1 = 非常满意; 评价渠道 by the standard's channel names
    /// (the evaluator and the window page are hall tablets, the keypad another hall terminal).
    /// 评价人 stays empty: hallq stores nobody's name.
    public static let gbt39046 = HaochaProfile(
        name: "gbt39046", direction: .bestIsOne, timeFormat: .compact,
        fields: [
            .init(.caseNo, "办件编号"), .init(.channel, "评价渠道"), .init(.rater, "评价人"), .init(.time, "评价时间"),
            .init(.count, "评价次数"), .init(.level, "满意度代码"), .init(.text, "文字评价"), .init(.region, "行政区划"),
        ],
        channels: [.evaluator: "政务大厅平板电脑", .window: "政务大厅平板电脑", .qr: "二维码", .keypad: "政务大厅其他终端"])

    /// A Zhejiang-style `offlinereport` record, from the field names in public gateway code
    /// (../shared/HAOCHA.md): `satisfaction` 5 = 非常满意, `pf` 3 QR code, 4 hall tablet
    /// (evaluator), 5 other hall terminal.
    public static let zjOfflineReport = HaochaProfile(
        name: "zj-offlinereport", direction: .bestIsFive, timeFormat: .dateTime,
        fields: [
            .init(.caseNo, "projectNo"), .init(.itemCode, "taskCode"), .init(.itemName, "taskName"),
            .init(.deptCode, "deptCode"), .init(.region, "areaCode"), .init(.clerk, "proManager"),
            .init(.channel, "pf"), .init(.level, "satisfaction"), .init(.contents, "evalDetail"),
            .init(.text, "writingEvaluation"), .init(.time, "assessTime"), .init(.count, "assessNumber"),
        ],
        channels: [.evaluator: "4", .qr: "3", .window: "5", .keypad: "5"])

    public static let builtIn = [gbt39046, zjOfflineReport]

    /// The level as this profile codes it.
    public func level(_ hallqLevel: Int) -> Int { direction == .bestIsFive ? hallqLevel : 6 - hallqLevel }

    /// One rating as this profile writes it, fields in the profile's order.
    public func record(
        _ r: CaseRating, region: String, hall: String, calendar: HallCalendar
    ) -> [(name: String, value: Value)] {
        fields.map { m in
            let v: Value
            switch m.field {
            case .ratingId: v = .number(Int(r.id))
            case .hall: v = .text(hall)
            case .caseNo: v = .text(r.caseNo)
            case .itemCode: v = .text(r.itemCode ?? "")
            case .itemName: v = .text(r.itemName ?? "")
            case .deptCode: v = .text(r.deptCode ?? "")
            case .kind: v = .text(r.kind?.code ?? "")
            case .channel: v = .text(channels[r.channel] ?? r.channel.rawValue)
            case .rater: v = .text("")
            case .time: v = .text(time(r.at, calendar))
            case .count: v = .number(r.count)
            case .level: v = .number(level(r.level))
            case .contents: v = .text(r.contents.joined(separator: ","))
            case .text: v = .text(r.text ?? "")
            case .region: v = .text(region)
            case .clerk: v = .text(r.clerk ?? "")
            case .window: v = r.window.map { .number($0) } ?? .text("")
            }
            return (m.name, v)
        }
    }

    func time(_ t: Millis, _ calendar: HallCalendar) -> String {
        switch timeFormat {
        case .iso8601: return isoUTC(t)
        case .dateTime: return calendar.localDateTime(t)
        case .compact:
            return String(calendar.localDateTime(t).map { $0 == " " ? "T" : $0 }.filter { $0 != "-" && $0 != ":" })
        }
    }
}

/// `[haocha]`: where case ratings go and how they are written.
public struct HaochaConfig: Sendable, Equatable {
    /// The province's receiving endpoint (HTTP or HTTPS); each rating is one POST of a JSON object.
    public var url: String
    public var profile: HaochaProfile
    /// 行政区划: the hall's region code (up to 12 digits).
    public var region: String
    /// Names the hall in the idempotency key (`<hall_id>-<rating id>`); default the region code.
    public var hallId: String
    /// Extra request headers the province asks for (an app key, a token).
    public var headers: [String: String] = [:]
    /// A request gets this long before it counts as failed.
    public var timeoutSeconds = 10
    /// Retries wait 1 s, then twice as long each time, up to this.
    public var retryMaxSeconds = 60

    public init(url: String, profile: HaochaProfile, region: String, hallId: String) {
        self.url = url
        self.profile = profile
        self.region = region
        self.hallId = hallId
    }
}
