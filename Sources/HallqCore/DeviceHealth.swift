/// How a sign bus, one answering sign or the voice output is doing. On the wire (`devices`,
/// `status`, `device` events) it is its description, *stable* in its first word: `ok`,
/// `starting`, `down: why`, `degraded: why`, `not-driven`. (Printers have their own, finer
/// `PrinterHealth`, because paper-out and cover-open refuse tickets differently.)
public enum DeviceHealth: Sendable, Equatable, CustomStringConvertible {
    /// Opened, not yet known to work.
    case starting
    case ok
    /// Unusable: the adapter is missing or refused its settings.
    case down(String)
    /// Working, but not as it should: a sign that refuses frames or stays silent, no sound card.
    case degraded(String)
    /// Configured, but no driver runs for it.
    case notDriven

    public var description: String {
        switch self {
        case .starting: "starting"
        case .ok: "ok"
        case let .down(why): "down: \(why)"
        case let .degraded(why): "degraded: \(why)"
        case .notDriven: "not-driven"
        }
    }

    public var isOK: Bool { self == .ok }
}
