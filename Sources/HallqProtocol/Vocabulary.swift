import HallqCore

/// The words every face uses for hallq's codes, Chinese first: each refusal token's sentence for
/// the person at the screen, the rating levels' names, the window states' names (and the one
/// number the kiosk page shares with the button box, `DoublePress.seconds`). One place: the
/// pages import them from `/assets/vocabulary.js`, which is written from these tables
/// (`javaScriptModule`), and the reports and charts use the same names.
public enum Vocabulary {
    /// A refusal as a sentence for the person at the screen. Every token has one (the switch is
    /// exhaustive: a new token does not build without its sentence).
    public static func sentence(_ t: HallError.Token) -> String {
        switch t {
        case .badRequest: "请求有误。"
        case .unknownOp: "没有这个操作。Unknown operation."
        case .notAllowed: "没有权限。Not allowed."
        case .tooLong: "请求太长。The request is too long."
        case .tooSlow: "请求太慢，连接已关闭。The request took too long."
        case .idleClosed: "连接空闲太久，已关闭。The connection was idle too long."
        case .busy: "系统繁忙，请稍后再试。Busy; try again shortly."
        case .rateLimited: "操作太频繁，请稍后再试。Too many requests; try again shortly."
        case .unknownService: "没有这个事项。No such service."
        case .unknownWindow: "没有这个窗口。No such window."
        case .unknownTicket: "没有这个号。No such ticket."
        case .notFound: "没有找到。Not found."
        case .unauthorized: "请重新登录。Please log in again."
        case .hallClosed: "现在暂停取号。Tickets are not being issued now."
        case .rangeExhausted: "今日号码已发完。Today's numbers are used up."
        case .personHasTicket: "您已有本事项的号，请留意叫号。You already have a ticket for this service."
        case .personDailyLimit: "您今日取号已达上限。You have taken today's maximum of tickets."
        case .idRequired: "本事项须刷身份证取号，请将身份证放在读卡区。This service needs your ID card on the reader."
        case .quotaExhausted: "本时段号已发完。This period's tickets are all issued."
        case .tooEarly: "还未到签到时间。Check-in is not open yet."
        case .tooLate: "已过签到时间，请重新取号。Check-in has closed; please take a ticket."
        case .bookingUnknown: "没有找到这个预约码，请核对。No booking has this code."
        case .bookingCancelled: "该预约已取消。This booking was cancelled."
        case .alreadyCheckedIn: "该预约已签到。This booking is already checked in."
        case .queueEmpty: "没有等候的号。No one is waiting."
        case .windowPaused: "本窗口已暂停，请先恢复。The window is paused."
        case .noActiveTicket: "当前没有在办的号。No ticket in hand."
        case .notSignedIn: "本窗口还没有工作人员签到。No clerk is signed in here."
        case .notWaiting: "该号不在等候中。That ticket is not waiting."
        case .alreadyStarted: "已经开始办理。Already being served."
        case .ticketOpen: "还有在办的号，请先办结或转办。Finish or transfer the ticket in hand first."
        case .clerkElsewhere: "您已在其他窗口签到。You are signed in at another window."
        case .notYourWindow: "不是您签到的窗口，请先在本窗口签到。You are not signed in at this window."
        case .nothingToRate: "没有可评价的号。Nothing to rate."
        case .alreadyRated: "已经评价过了。Already rated."
        case .unknownOrder: "没有这个工单。No such work order."
        case .orderState: "工单当前状态不能进行这一步。Not a step from the order's state."
        case .printerOffline: "取号机打印机故障。The printer is not working."
        case .printerPaperOut: "取号机缺纸。The printer is out of paper."
        case .storageFailed: "记录保存失败，请联系管理员。The record could not be saved; call the administrator."
        case .badConfig: "配置有误，未生效。The configuration was refused."
        case .internal: "系统内部错误，请联系管理员。Internal error; call the administrator."
        }
    }

    /// What only a page can meet: the server did not answer at all.
    public static let offline = "连接不上服务器。The server cannot be reached."

    /// The rating levels, 5 … 1 (好差评's five, GB/T 39046's names).
    public static let levelNames: [Int: String] = [5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"]

    /// The names from 5 down to 1, as reports and charts list them.
    public static let levelNamesDescending = (1...5).reversed().map { levelNames[$0] ?? "" }

    /// A level's name; "" for a level that is not one.
    public static func levelName(_ level: Int) -> String { levelNames[level] ?? "" }

    /// The window states (`WindowView.State`) as the board and the staff pages name them.
    public static func windowState(_ s: WindowView.State) -> String {
        switch s {
        case .closed: "未开放"
        case .paused: "暂停服务"
        case .idle: "空闲"
        case .calling: "叫号中"
        case .serving: "办理中"
        }
    }

    /// The pages' module (`/assets/vocabulary.js`): the same tables as JavaScript constants.
    public static var javaScriptModule: String {
        var sentences: [String: JSONValue] = ["OFFLINE": .string(offline)]
        for t in HallError.Token.allCases { sentences[t.rawValue] = .string(sentence(t)) }
        var levels: [String: JSONValue] = [:]
        for (k, v) in levelNames { levels[String(k)] = .string(v) }
        var states: [String: JSONValue] = [:]
        for s in WindowView.State.allCases {
            states[s.rawValue] = .string(windowState(s))
        }
        return """
            // Written by hallqd from HallqProtocol's Vocabulary (one place for these words): each
            // refusal token's sentence, the rating levels' names, the window states' names.
            export const sentences = \(JSONValue.object(sentences).text);
            export const levelNames = \(JSONValue.object(levels).text);
            export const windowStates = \(JSONValue.object(states).text);
            // A kiosk's double press (DoublePress): the same service again within this many
            // seconds is the same press, one ticket.
            export const doublePressSeconds = \(Int(DoublePress.seconds));

            """
    }
}
