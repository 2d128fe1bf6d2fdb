import HallqCore

/// What the printer says about itself. *Stable* strings (status, devices, watch).
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
        case .paperOut: return HallError("PRINTER-PAPER-OUT", "the ticket printer is out of paper")
        default: return HallError("PRINTER-OFFLINE", "the ticket printer is \(rawValue)")
        }
    }
}

public struct PrintFailure: Error, Sendable, Equatable {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
}

/// The seam every printer transport sits behind (virtual here; libusb and usblp in their own files).
public protocol TicketPrinter: Sendable {
    var kind: String { get }
    func health() async -> PrinterHealth
    /// Prints one ticket; returns when the printer has taken it or the attempt failed.
    func print(_ ticket: TicketLayout) async throws(PrintFailure)
}
