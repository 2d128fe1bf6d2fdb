/// 好差评 tied to the case (办件): what the window's business system attaches to the ticket in
/// hand, what a rating of that ticket records per case, and the rules a hall configures
/// (docs/HAOCHA.md). hallq's levels run 5 = 非常满意 … 1 = 非常不满意 inside; every export names
/// its direction (`HaochaProfile.Direction`).

/// A case (办件) handled during a visit. hallq keeps the business system's identifiers and the
/// item, never the applicant: no name, ID number or contact.
public struct TicketCase: Sendable, Equatable, Codable {
    /// 办件编号, from the business system (GB/T 39046: an..50).
    public var caseNo: String
    /// 事项编码 and its name.
    public var itemCode: String?
    public var itemName: String?
    /// The department's unified social credit code (18 characters).
    public var deptCode: String?
    /// 即办件 or 承诺件 (GB/T 39046 A.6: 1 and 2).
    public var kind: Kind?
    /// When it was attached.
    public var at: Millis

    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// 即办件: done on the spot.
        case immediate
        /// 承诺件: done by a promised date.
        case promised

        public var chinese: String { self == .immediate ? "即办件" : "承诺件" }
        /// GB/T 39046-2020 A.6.
        public var code: String { self == .immediate ? "1" : "2" }
    }

    enum CodingKeys: String, CodingKey {
        case caseNo = "case_no"
        case itemCode = "item_code"
        case itemName = "item_name"
        case deptCode = "dept_code"
        case kind, at
    }

    public init(
        caseNo: String, itemCode: String? = nil, itemName: String? = nil, deptCode: String? = nil, kind: Kind? = nil,
        at: Millis = 0
    ) {
        self.caseNo = caseNo
        self.itemCode = itemCode
        self.itemName = itemName
        self.deptCode = deptCode
        self.kind = kind
        self.at = at
    }

    /// Cases one ticket may carry (one visit, several items).
    public static let maxPerTicket = 10

    /// Case numbers and codes are identifiers: letters, digits and `-_./`, as business systems
    /// write them (GB/T 39046: an..50).
    public static func validIdentifier(_ s: String, max: Int) -> Bool {
        !s.isEmpty && s.count <= max
            && s.unicodeScalars.allSatisfy { c in
                c.isASCII && (c.properties.isAlphabetic || ("0"..."9").contains(c) || "-_./".unicodeScalars.contains(c))
            }
    }
}

/// Where a rating came from (评价渠道). The province's codes for each are the profile's.
public enum RatingChannel: String, Sendable, Codable, CaseIterable {
    /// The evaluator (评价器) on the window's caller.
    case evaluator
    /// The ticket's status page, reached from the QR code on the ticket.
    case qr
    /// The window page (the clerk's screen turned to the visitor, or a tablet at the window).
    case window
    /// The satisfaction keypad at the window.
    case keypad
}

/// One evaluation-content option (评价内容) for a level: what the visitor ticks to say why.
public struct RatingContent: Sendable, Equatable, Codable {
    public var level: Int
    public var code: String
    public var text: String

    public init(level: Int, code: String, text: String) {
        self.level = level
        self.code = code
        self.text = text
    }

    /// hallq's default list, one group per level in the national scheme's three second-level
    /// indicators (服务效率, 服务水平, 服务态度), with codes in the three-digit per-level style
    /// public 好差评 back ends use (level 5 → 5xx). A province issues its own versioned list;
    /// a hall enters it as `[[rating_content]]`, which then replaces this one whole.
    public static let defaults: [RatingContent] = [
        .init(level: 5, code: "501", text: "办事效率高"),
        .init(level: 5, code: "502", text: "业务熟练 解释清楚"),
        .init(level: 5, code: "503", text: "服务热情 态度好"),
        .init(level: 5, code: "504", text: "一次办成"),
        .init(level: 4, code: "401", text: "办事效率较高"),
        .init(level: 4, code: "402", text: "业务较熟练"),
        .init(level: 4, code: "403", text: "服务态度较好"),
        .init(level: 3, code: "301", text: "等候时间较长"),
        .init(level: 3, code: "302", text: "指引不够清楚"),
        .init(level: 3, code: "303", text: "服务态度一般"),
        .init(level: 2, code: "201", text: "办事效率低 等候时间长"),
        .init(level: 2, code: "202", text: "业务不熟练 解释不清"),
        .init(level: 2, code: "203", text: "服务态度差"),
        .init(level: 2, code: "204", text: "材料要求不一致 多次跑动"),
        .init(level: 1, code: "101", text: "办事拖沓 超时未办"),
        .init(level: 1, code: "102", text: "推诿扯皮 不予受理"),
        .init(level: 1, code: "103", text: "服务态度恶劣"),
        .init(level: 1, code: "104", text: "违规收费 吃拿卡要"),
    ]
}

/// `[rating]` and `[[rating_content]]`: the rules for 好差评 with cases and the work order.
public struct RatingRules: Sendable, Equatable {
    /// Working days to rectify a bad rating (the work order's deadline).
    public var rectifyDays = 5
    /// A second rating (评价次数 2) is allowed once, after the return visit, within this many
    /// days of the first.
    public var secondDays = 15
    public var contents: [RatingContent] = RatingContent.defaults

    public init() {}

    public func contents(level: Int) -> [RatingContent] { contents.filter { $0.level == level } }

    /// The chosen content codes for a level, checked: each must be one of that level's; and where
    /// the visitor has a screen to choose on (`required`), levels 1–2 need at least one when the
    /// level has any (the province asks why). A button evaluator has no screen.
    public func check(contents codes: [String], level: Int, required: Bool) throws(HallError) {
        let offered = Set(contents(level: level).map(\.code))
        for c in codes where !offered.contains(c) {
            throw .badRequest("content \(c.prefix(16)) is not an option for level \(level)")
        }
        if required, level <= 2, codes.isEmpty, !offered.isEmpty {
            throw .badRequest("a rating of \(level) needs at least one content option (why)")
        }
    }
}

/// One rating of one case: what goes to the province (one record per case, 一次一评).
public struct CaseRating: Sendable, Equatable {
    /// The hall's own rating id, in commit order: the upload's cursor and idempotency key.
    public var id: Int64
    public var ticketId: Int64
    public var label: String
    public var day: String
    public var service: String
    public var window: Int?
    public var clerk: String?
    public var caseNo: String
    public var itemCode: String?
    public var itemName: String?
    public var deptCode: String?
    public var kind: TicketCase.Kind?
    /// hallq's level: 5 = 非常满意 … 1 = 非常不满意.
    public var level: Int
    public var channel: RatingChannel
    /// Chosen evaluation-content codes.
    public var contents: [String]
    public var text: String?
    public var at: Millis
    /// 评价次数: 1 the first rating, 2 the second after a return visit.
    public var count: Int

    public init(
        id: Int64, ticketId: Int64, label: String, day: String, service: String, window: Int?, clerk: String?,
        case c: TicketCase, level: Int, channel: RatingChannel, contents: [String], text: String?, at: Millis,
        count: Int
    ) {
        self.id = id
        self.ticketId = ticketId
        self.label = label
        self.day = day
        self.service = service
        self.window = window
        self.clerk = clerk
        self.caseNo = c.caseNo
        self.itemCode = c.itemCode
        self.itemName = c.itemName
        self.deptCode = c.deptCode
        self.kind = c.kind
        self.level = level
        self.channel = channel
        self.contents = contents
        self.text = text
        self.at = at
        self.count = count
    }
}

/// A rating as a command carries it: the level, why (content codes and free text), and where
/// it came from.
public struct RatingInput: Sendable, Equatable {
    public var score: Int
    public var reason: String?
    public var contents: [String]
    public var channel: RatingChannel

    public init(score: Int, reason: String? = nil, contents: [String] = [], channel: RatingChannel) {
        self.score = score
        self.reason = reason
        self.contents = contents
        self.channel = channel
    }
}
