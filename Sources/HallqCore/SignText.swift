/// What each sign should show, derived from the queue: the pure half of the sign drivers.
/// Devices turn these into bytes; the virtual ones write them to files.
public struct SignContent: Sendable, Equatable {
    public enum Effect: String, Sendable, Equatable { case hold, flash, scroll }
    public var lines: [String]
    public var effect: Effect
    public init(lines: [String], effect: Effect) {
        self.lines = lines
        self.effect = effect
    }
}

public enum SignText {
    /// The window sign: a fresh call flashes "请A012号到3号窗口"; afterwards it says what is being
    /// served; paused says so; idle scrolls the window's business scope.
    public static func window(_ v: WindowView, config: HallConfig) -> SignContent {
        let wc = config.window(v.number)
        if let t = v.ticket {
            let values = ["ticket": t.label, "window": String(v.number)]
            if v.isFlashing { return .init(lines: [Texts.fill(config.texts.call, values)], effect: .flash) }
            return .init(lines: [Texts.fill(config.texts.serving, values)], effect: .hold)
        }
        if v.paused { return .init(lines: [config.texts.paused], effect: .hold) }
        return .init(lines: [wc?.scope ?? ""], effect: .scroll)
    }

    /// The lobby screen: recent calls newest first, waiting per service, and the scrolling text.
    public static func lobby(
        recent: [(label: String, window: Int)], engine: QueueEngine, config: HallConfig
    ) -> SignContent {
        var lines = recent.map {
            Texts.fill(config.texts.lobbyCall, ["ticket": $0.label, "window": String($0.window)])
        }
        for s in config.services {
            lines.append(
                Texts.fill(
                    config.texts.lobbyWaiting, ["service": s.name, "n": String(engine.waitingCount(service: s.id))]))
        }
        if let scroll = config.lobby?.scroll, !scroll.isEmpty { lines.append(scroll) }
        return .init(lines: lines, effect: .scroll)
    }
}
