/// What the printer says about itself. *Stable* strings (status, devices, watch). In the core:
/// the device report, the metrics and the kiosk refusal read it as a value, not by its string.
public enum PrinterHealth: String, Sendable, Equatable {
    case online
    case offline
    case coverOpen = "cover-open"
    case paperNearEnd = "paper-near-end"
    case paperOut = "paper-out"
    case cutterError = "cutter-error"
    case unknown

    /// Whether a ticket may be issued: near-end still prints, the rest do not.
    public var canPrint: Bool { self == .online || self == .paperNearEnd }

    /// The error a `take` gets while the printer is in this state.
    public var refusal: HallError? {
        switch self {
        case .online, .paperNearEnd: return nil
        case .paperOut: return HallError(.printerPaperOut, "the ticket printer is out of paper")
        default: return HallError(.printerOffline, "the ticket printer is \(rawValue)")
        }
    }
}
