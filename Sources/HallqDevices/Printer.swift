import HallqCore

extension PrinterHealth {
    /// Reads the printer's state from its `DLE EOT n` status bytes (hardware/HARDWARE.md):
    /// n=1 says offline, n=2 why (cover, paper end, error), n=3 what error (cutter), n=4 the paper
    /// sensor. `query(n)` returns the byte, or nil when the printer did not answer (then: offline).
    public static func fromStatus(_ query: (UInt8) -> UInt8?) -> PrinterHealth {
        guard let s1 = query(1) else { return .offline }
        if s1 & 0x08 != 0 {
            let s2 = query(2) ?? 0
            if s2 & 0x04 != 0 { return .coverOpen }
            if s2 & 0x20 != 0 { return .paperOut }
            if s2 & 0x40 != 0, let s3 = query(3), s3 & 0x08 != 0 { return .cutterError }
            return .offline
        }
        if let s4 = query(4) {
            if s4 & 0x60 == 0x60 { return .paperOut }
            if s4 & 0x0C == 0x0C { return .paperNearEnd }
        }
        return .online
    }

    /// A status reply is valid when it looks like 0xx1xx10.
    public static func validStatus(_ b: UInt8) -> Bool { b & 0x93 == 0x12 }
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
