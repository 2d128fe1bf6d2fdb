/// The words on a paper ticket, before any printer encoding: the ESC/POS encoder and the virtual
/// printer both start from this, so what the demo shows is what the printer gets.
public struct TicketLayout: Sendable, Equatable {
    public enum Style: Sendable, Equatable { case title, big, normal, small }
    public struct Line: Sendable, Equatable {
        public var text: String
        public var style: Style
        public init(_ text: String, _ style: Style) { self.text = text; self.style = style }
    }
    public var lines: [Line]
    public var label: String

    public static func make(ticket t: Ticket, ahead: Int, etaMinutes: Int, config: HallConfig, calendar: HallCalendar) -> TicketLayout {
        let svc = config.service(t.issuedService)?.name ?? t.issuedService
        let issued = calendar.localTimestamp(t.issuedAt).replacingOccurrences(of: "T", with: " ").prefix(19)
        return TicketLayout(lines: [
            Line(config.name, .title),
            Line(svc, .normal),
            Line(t.label, .big),
            Line(Texts.fill(config.texts.ahead, ["n": String(ahead)]), .normal),
            Line(Texts.fill(config.texts.eta, ["min": String(etaMinutes)]), .normal),
            Line(String(issued), .small),
        ], label: t.label)
    }

    /// Plain text, one line per entry, for the virtual printer and logs.
    public var text: String { lines.map(\.text).joined(separator: "\n") }
}

import Foundation
