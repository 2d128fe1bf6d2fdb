import Foundation

/// The hall as configured (docs/CONFIG.md). A plain value: the TOML loader in HallqConfig builds
/// it and validates it, so the engine can trust every reference in it.
public struct HallConfig: Sendable, Equatable {
    public var name: String
    public var timeZone: String
    public var hours: BusinessHours?
    public var queue: QueueRules
    public var services: [ServiceConfig]
    public var windows: [WindowConfig]
    /// Every ticket printer (`[printer]`, or `[[printer]]` for several), the first being the one
    /// `printer` names; kiosks name theirs.
    public var printers: [PrinterConfig]
    /// The kiosks (`[[kiosk]]`), each with its own printer; with none configured, one kiosk named
    /// "kiosk" with the first printer. A take names its kiosk (or gets the first).
    public var kiosks: [KioskConfig] = []
    public var buses: [BusConfig]
    public var lobby: LobbyConfig?
    public var texts: Texts
    /// How long a fresh call flashes on the window sign before it says what is being served.
    public var callHoldSeconds: Int = 10
    public var limits = ClientLimits()
    /// Voice calling; nil when `[voice]` is absent (no announcements).
    public var voice: VoiceConfig?
    /// The HTTP listener (board, status pages, metrics); nil when `[http]` is absent.
    public var http: HTTPConfig?
    /// RS-485 window callers (`[[caller]]`), one per window, on buses whose protocol is "caller".
    public var callers: [CallerConfig] = []
    /// USB keypads and kiosk button boxes (`[[keypad]]`).
    public var keypads: [KeypadConfig] = []
    /// How waits are estimated and when a ticket's page says its turn is near (`[eta]`).
    public var eta = EtaConfig()
    /// ID-card readers (`[[idcard]]`) at the kiosks and windows.
    public var idcards: [IdCardConfig] = []
    /// Days a ticket keeps the person it was taken for (`[privacy] person_days`, docs/PRIVACY.md).
    public var personDays: Int = 90
    /// When booked people may check in (`[booking]`).
    public var booking = BookingRules()
    /// QR/barcode scanners at the kiosks (`[[scanner]]`): they type a booking's code.
    public var scanners: [ScannerConfig] = []
    /// `[rating]` and `[[rating_content]]`: 好差评 with cases and the work order (docs/HAOCHA.md).
    public var rating = RatingRules()
    /// `[calendar]`: public holidays and 调休 working weekends (work-order deadlines).
    public var workingCalendar = WorkingCalendar()
    /// `[haocha]`: upload of case ratings to the province, if configured.
    public var haocha: HaochaConfig? = nil
    /// `[[haocha_profile]]`: a hall's own export profiles, beside the built-in ones.
    public var haochaProfiles: [HaochaProfile] = []
    /// `[central]`: the event log shipped to the province's PostgreSQL, if configured.
    public var central: CentralConfig? = nil

    /// An export profile by name: the hall's own first, then the built-in ones.
    public func haochaProfile(named name: String) -> HaochaProfile? {
        haochaProfiles.first { $0.name == name } ?? HaochaProfile.builtIn.first { $0.name == name }
    }

    public init(
        name: String = "政务服务大厅", timeZone: String = "Asia/Shanghai", hours: BusinessHours? = nil,
        queue: QueueRules = .init(), services: [ServiceConfig], windows: [WindowConfig],
        printer: PrinterConfig = .init(), buses: [BusConfig] = [], lobby: LobbyConfig? = nil,
        texts: Texts = .init()
    ) {
        self.name = name
        self.timeZone = timeZone
        self.hours = hours
        self.queue = queue
        self.services = services
        self.windows = windows
        self.printers = [printer]
        self.buses = buses
        self.lobby = lobby
        self.texts = texts
    }

    public func service(_ id: String) -> ServiceConfig? { services.first { $0.id == id } }
    public func window(_ n: Int) -> WindowConfig? { windows.first { $0.number == n } }

    /// The first printer: the only one in a hall with a single `[printer]`.
    public var printer: PrinterConfig {
        get { printers.first ?? PrinterConfig() }
        set {
            if printers.isEmpty { printers = [newValue] } else { printers[0] = newValue }
        }
    }

    public func printer(named name: String) -> PrinterConfig? { printers.first { $0.name == name } }

    /// The kiosk `name` names, the first kiosk for nil; nil for a name no kiosk has.
    public func kiosk(_ name: String?) -> KioskConfig? {
        guard let name else { return kiosks.first }
        return kiosks.first { $0.name == name }
    }

    /// The printer a kiosk prints on (nil: none, or kind `none`).
    public func printer(ofKiosk name: String?) -> PrinterConfig? {
        guard let p = kiosk(name)?.printer.flatMap(printer(named:)), p.kind != .none else { return nil }
        return p
    }
}

/// `[[kiosk]]`: a ticket kiosk (a web touchscreen, a button box, a kiosk program on the socket)
/// and the printer its tickets come out of.
public struct KioskConfig: Sendable, Equatable {
    public var name: String
    /// A `[[printer]]`'s name; nil for a kiosk without paper.
    public var printer: String?
    public init(name: String, printer: String?) {
        self.name = name
        self.printer = printer
    }
}

/// `[http]`: the listener hallqd binds itself, and the address printed on tickets.
public struct HTTPConfig: Sendable, Equatable {
    public var host: String
    /// 0 lets the kernel pick (tests).
    public var port: Int
    /// What tickets' QR codes and `status_url` start with, without a trailing slash; nil = no
    /// status URLs.
    public var publicURL: String?
    /// Seconds between heartbeats on the event stream; a board reconnects after three missed.
    public var heartbeatSeconds: Int
    /// PEM certificate chain and key: HTTPS on `listen` (cookies are Secure then).
    public var tlsCert: String? = nil
    public var tlsKey: String? = nil
    /// A staff session ends after this many minutes without a request.
    public var sessionIdleMinutes: Int = 30
    /// A request's head must be complete this many seconds after the connection opened (or the
    /// last reply ended); else 408 and a close.
    public var headerTimeoutSeconds: Int = 10
    /// A request's body must be complete this many seconds after its head; else 408 and a close.
    public var bodyTimeoutSeconds: Int = 10
    /// A kept-alive connection with no request for this many seconds is closed.
    public var idleSeconds: Int = 30
    /// Request connections (not event streams) from one client address at once; beyond, 503.
    public var maxPerClient: Int = 32
    /// Request connections at once in all; beyond, 503 at once (no connect left hanging).
    public var maxConnections: Int = 1024
    /// Event streams at once (`/api/events`), a budget of their own: a lobby full of phones
    /// following their tickets never takes the request connections the board and staff need.
    public var maxStreams: Int = 2000
    public init(host: String, port: Int, publicURL: String? = nil, heartbeatSeconds: Int = 15) {
        self.host = host
        self.port = port
        self.publicURL = publicURL
        self.heartbeatSeconds = heartbeatSeconds
    }
}

/// `[voice]`: announcements of calls through an ALSA device, from a clip pack.
public struct VoiceConfig: Sendable, Equatable {
    /// An ALSA PCM name.
    public var device = "default"
    /// The clip pack's directory; nil = `<state>/voice`.
    public var clips: String?
    public var repeats = 2
    /// "digits" (A 零一二) or "number" (A 十二).
    public var number = "digits"
    public var call = "请{ticket}号到{window}号窗口办理"
    public var recall = "重呼 请{ticket}号到{window}号窗口办理"
    /// 0…100 (% of the clips' level).
    public var volume = 100
    /// When more than this much audio waits, queued announcements play once instead of `repeats` times.
    public var maxBacklogSeconds = 20.0
    public init() {}

    /// Where the clip pack is: `clips`, else `<state>/voice`.
    public func clipDirectory(stateDir: URL) -> URL {
        clips.map { URL(fileURLWithPath: $0) } ?? stateDir.appendingPathComponent("voice")
    }
}

/// What one client may cost the daemon (`[limits]`): bounds that keep one careless or hostile
/// client from holding slots, memory or a whole day's numbers.
public struct ClientLimits: Sendable, Equatable {
    /// A request line must end within this many seconds of its first byte (else TOO-SLOW, closed).
    public var lineTimeoutSeconds = 10
    /// Bytes of events a watcher may leave unread before it is closed with TOO-SLOW.
    public var watchBacklogBytes = 256 * 1024
    /// `take` per connection: this many at once, refilled at `takesPerMinutePerConnection`.
    public var takeBurst = 10
    public var takesPerMinutePerConnection = 30
    /// `take` per service across every connection, per minute (a burst of the same size).
    public var takesPerMinutePerService = 60
    public init() {}
}

public struct ServiceConfig: Sendable, Equatable {
    public var id: String
    public var name: String
    public var first: Int
    public var last: Int
    public var width: Int
    /// Whether this service issues priority (绿色通道) tickets as well (`priority = true`).
    public var priority: Bool
    /// Live tickets one person (an ID card) may hold for this service at once; 0: no limit.
    public var perPerson: Int = 1
    /// A take without an ID card is refused (ID-REQUIRED): for the services a hall restricts.
    public var idRequired: Bool = false
    /// The green channel by age for this service; nil: `[queue] priority_age`.
    public var priorityAge: Int? = nil
    /// Walk-in tickets per period of the day (`quota`, 放号量), by start time; empty: no cap.
    public var quota: [QuotaPeriod] = []

    public init(id: String, name: String, first: Int = 1, last: Int = 999, width: Int = 3, priority: Bool = false) {
        self.id = id
        self.name = name
        self.first = first
        self.last = last
        self.width = width
        self.priority = priority
    }

    /// "A012": the prefix and the zero-padded number.
    public func label(_ number: Int) -> String {
        let digits = String(number)
        return id + String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}

public struct WindowConfig: Sendable, Equatable {
    public var number: Int
    /// In the order this window prefers them (used by the `service-order` call policy).
    public var services: [String]
    public var scope: String
    public var sign: SignAddress?

    public init(number: Int, services: [String], scope: String = "", sign: SignAddress? = nil) {
        self.number = number
        self.services = services
        self.scope = scope
        self.sign = sign
    }
}

public struct SignAddress: Sendable, Equatable {
    public var bus: String
    public var address: Int
    /// Panel size in pixels (Onbon needs it for the text area): a one-line strip by default.
    public var width: Int
    public var height: Int
    /// Window signs centre their text: a short call reads best in the middle of the strip.
    public var align: SignAlign
    public init(bus: String, address: Int, width: Int = 128, height: Int = 16, align: SignAlign = .center) {
        self.bus = bus
        self.address = address
        self.width = width
        self.height = height
        self.align = align
    }
}

/// Where a sign places its text horizontally (signs whose protocol has no such field ignore it).
public enum SignAlign: String, Sendable, Equatable, CaseIterable { case left, center, right }

/// `[eta]`: the wait estimate and the near-turn alert on a ticket's page.
public struct EtaConfig: Sendable, Equatable {
    public enum Method: String, Sendable, Equatable, CaseIterable {
        /// The queue played forward under the hall's rules, a range (`WaitEstimator`).
        case lookahead
        /// The old figure: people ahead × mean service time ÷ open windows, with a fixed band.
        case formula
    }
    public var method: Method = .lookahead
    /// The page says 即将叫号 when this few are ahead…
    public var notifyAhead = 3
    /// …or the likely wait is this many minutes or less.
    public var notifyMinutes = 5
    public init() {}
}

public struct QueueRules: Sendable, Equatable {
    public enum CallPolicy: String, Sendable, Equatable, CaseIterable {
        /// The window's first listed service with anyone waiting, oldest ticket in it.
        case serviceOrder = "service-order"
        /// The oldest ticket across all of the window's services.
        case oldestFirst = "oldest-first"
    }
    public enum NoshowRequeue: String, Sendable, Equatable, CaseIterable {
        /// A no-show leaves the queue for good.
        case none
        /// A first no-show goes back to the end of its queue; a second one is final.
        case end
    }
    public var policy: CallPolicy = .serviceOrder
    public var noshowRequeue: NoshowRequeue = .none
    /// A second `take` with the same key within this many seconds returns the first ticket.
    public var idempotencySeconds: Int = 10
    /// The keypad may rate the last ticket a window finished within this many seconds.
    public var ratingSeconds: Int = 300
    /// Assumed service time for estimates until the service has finished tickets of its own.
    public var defaultServiceSeconds: Int = 300
    /// A ticket may be issued while the printer is down (halls that call by screen only).
    public var issueWithoutPrinter: Bool = false
    /// After this many priority tickets in a row a window's next call takes the oldest normal
    /// ticket instead, if it has waited longer: priority never starves the others. 0: priority
    /// tickets always go first.
    public var priorityRatio: Int = 3
    /// After this many checked-in booked tickets in a row a window's next call takes the oldest
    /// walk-in instead, if it has waited longer: bookings never starve walk-ins. 0: booked
    /// tickets always go before walk-ins.
    public var bookedRatio: Int = 3
    /// Tickets one person (an ID card) may take in a day across services; 0: no limit.
    public var perPersonDay: Int = 3
    /// A ticket taken with the card of someone this old on the day is a priority (绿色通道)
    /// ticket, for services with `priority = true`; 0: off.
    public var priorityAge: Int = 0

    public init() {}
}

public struct PrinterConfig: Sendable, Equatable {
    /// A network printer's "host:port" (a name or an IPv4 address, then a port 1–65535); nil when
    /// it is not one. The config loader checks with it; the TCP driver connects with it.
    public static func tcpEndpoint(_ address: String) -> (host: String, port: UInt16)? {
        guard let colon = address.lastIndex(of: ":") else { return nil }
        let host = String(address[..<colon])
        guard !host.isEmpty, let port = UInt16(address[address.index(after: colon)...]), port > 0 else { return nil }
        return (host, port)
    }

    public enum Kind: String, Sendable, Equatable, CaseIterable { case usb, usblp, tcp, virtual, none }
    /// "printer" for the single `[printer]`; each `[[printer]]` names itself.
    public var name: String = "printer"
    public var kind: Kind = .virtual
    /// `tcp`: "host:port" of a network printer's raw port (ESC/POS, usually 9100).
    public var address: String?
    /// `tcp`: whether the printer answers `DLE EOT` status requests on the same connection.
    public var status: Bool = true
    public var vendor: Int?
    public var product: Int?
    public var profile: String = "80mm"
    public var path: String?
    /// QR payload template ({ticket} {day} {service}); nil = no QR code.
    public var qr: String?
    public var footer: String?
    public init() {}
}

public struct BusConfig: Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable, CaseIterable { case serial, virtual }
    /// The protocol of a bus of window callers rather than signs.
    public static let callerProtocol = "caller"
    public enum Parity: String, Sendable, Equatable, CaseIterable { case none, even, odd }
    /// Onbon's header display mode: `dynamic` (01) lets the dynamic area cover a program stored
    /// on the sign; `normal` (00) shows both side by side.
    public enum DisplayMode: String, Sendable, Equatable, CaseIterable { case dynamic, normal }
    public var name: String
    public var kind: Kind
    public var path: String
    public var baud: Int
    public var proto: String
    public var dataBits = 8
    public var parity = Parity.none
    public var stopBits = 1
    /// Quiet time between frames on the bus, for controllers that need it.
    public var gapMs = 20
    /// Every sign's content is sent again this often: signs forget it on power loss.
    public var refreshSeconds = 60
    /// Ask each sign to answer every frame and wait for that answer before talking to the next
    /// sign (Onbon only): the bus stays half duplex, and a sign that stops answering is reported.
    public var replies = true
    /// How long a sign may take to answer before it counts as silent.
    public var replyTimeoutMs = 500
    public var displayMode = DisplayMode.dynamic
    /// Onbon area X and width in pixels (the document's flag bit, BX-6K) instead of 8-pixel units.
    public var pixelUnits = false
    public init(name: String, kind: Kind = .virtual, path: String = "", baud: Int = 9600, proto: String = "plain") {
        self.name = name
        self.kind = kind
        self.path = path
        self.baud = baud
        self.proto = proto
    }
}

/// `[[caller]]`: the caller at `address` on `bus` drives `window`.
public struct CallerConfig: Sendable, Equatable {
    public var bus: String
    public var address: Int
    public var window: Int
    public init(bus: String, address: Int, window: Int) {
        self.bus = bus
        self.address = address
        self.window = window
    }
}

/// `[[idcard]]`: a second-generation ID-card reader (SAM) on a serial port or USB.
public struct IdCardConfig: Sendable, Equatable {
    public enum Transport: Sendable, Equatable {
        /// A serial port (`device`, best /dev/serial/by-id/…) at `baud`, 8N1.
        case serial(path: String, baud: Int)
        /// A USB reader by `usb = "vvvv:pppp"` (vendor-class bulk endpoints).
        case usb(vendor: UInt16, product: UInt16)
    }
    public enum Use: Sendable, Equatable {
        /// The lobby kiosk named (nil: the first): a card read holds a person for its next take.
        case kiosk(String?)
        /// A window's reader: a card read names the person of the ticket in hand.
        case window(Int)
    }
    public var transport: Transport
    public var use: Use
    /// How long a read card stays the kiosk's person for a press (`hold_s`).
    public var holdSeconds: Int = 20

    public init(transport: Transport, use: Use, holdSeconds: Int = 20) {
        self.transport = transport
        self.use = use
        self.holdSeconds = holdSeconds
    }

    /// The name it has in `devices` and `device` events.
    public var name: String {
        switch transport {
        case let .serial(path, _): return "idcard \(path)"
        case let .usb(v, p): return "idcard usb \(hex4(v)):\(hex4(p))"
        }
    }
}

private func hex4(_ v: UInt16) -> String {
    let s = String(v, radix: 16)
    return String(repeating: "0", count: 4 - s.count) + s
}

/// `[[keypad]]`: an input device (evdev) that runs a window's steps or issues tickets.
public struct KeypadConfig: Sendable, Equatable {
    public enum Use: Sendable, Equatable {
        /// Key names (libevdev's, "KEY_KPENTER") to the window's steps.
        case window(Int, keys: [String: CounterAction])
        /// Key names to the service each issues a ticket for, at the kiosk named (nil: the first).
        case kiosk(keys: [String: String], name: String? = nil)
    }
    /// Best a stable name: /dev/input/by-id/… or a udev rule's (hardware/99-hallq-keypads.rules).
    public var device: String
    public var use: Use
    public init(device: String, use: Use) {
        self.device = device
        self.use = use
    }
}

/// A QR/barcode scanner (a USB keyboard-wedge device) at a kiosk: it types a booking's code and
/// Enter, and the kiosk checks that booking in.
public struct ScannerConfig: Sendable, Equatable {
    public var device: String
    /// The kiosk whose printer prints the booked ticket (nil: the first).
    public var kiosk: String?
    public init(device: String, kiosk: String? = nil) {
        self.device = device
        self.kiosk = kiosk
    }
}

public struct LobbyConfig: Sendable, Equatable {
    /// The lobby screen's bus; nil when the hall has only the web board (`/board`).
    public var bus: String?
    public var address: Int
    public var recent: Int
    public var scroll: String
    public var width: Int
    public var height: Int
    /// The lobby lists lines: left-aligned, so the calls line up under each other.
    public var align: SignAlign
    public init(
        bus: String?, address: Int, recent: Int = 5, scroll: String = "", width: Int = 256, height: Int = 64,
        align: SignAlign = .left
    ) {
        self.bus = bus
        self.address = address
        self.recent = recent
        self.scroll = scroll
        self.width = width
        self.height = height
        self.align = align
    }
}

/// Texts shown to the public. Chinese by default; every one can be replaced in `[texts]`.
/// Placeholders: {ticket} {window} {service} {n} {min} {hall}; in `eta` also {range} (the likely
/// wait, "12–20" or one number), {low} and {high}, with {min} the most likely minutes.
public struct Texts: Sendable, Equatable {
    public var call = "请{ticket}号到{window}号窗口"
    public var serving = "正在办理 {ticket}"
    public var paused = "暂停服务"
    public var closed = "暂停取号"
    public var ahead = "前面还有 {n} 人等候"
    public var eta = "预计等候约 {range} 分钟"
    public var lobbyCall = "{ticket} → {window}号窗口"
    public var lobbyWaiting = "{service} 等候 {n} 人"
    /// Who may use 绿色通道, on the kiosk under its buttons.
    public var greenChannel = "老年人、残疾人、孕妇、现役军人等可走绿色通道，请向工作人员出示有效证件"
    public init() {}

    /// The placeholders of a wait: {min} {low} {high} {range}.
    public static func wait(_ r: WaitRange) -> [String: String] {
        let m = r.minutes
        return ["min": String(m.median), "low": String(m.low), "high": String(m.high), "range": range(r)]
    }

    /// "12–20", or one number when the band is one minute wide.
    public static func range(_ r: WaitRange) -> String {
        let m = r.minutes
        return m.low == m.high ? String(m.median) : "\(m.low)–\(m.high)"
    }

    /// Fills `{name}` placeholders; unknown placeholders stay as written so a typo shows on the sign.
    public static func fill(_ template: String, _ values: [String: String]) -> String {
        var out = template
        for (k, v) in values { out = out.replacingOccurrences(of: "{\(k)}", with: v) }
        return out
    }
}
