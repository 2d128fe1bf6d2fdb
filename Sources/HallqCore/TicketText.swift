import Foundation

/// The words on a paper ticket, before any printer encoding: the ESC/POS encoder and the virtual
/// printer both start from this, so what the demo shows is what the printer gets.
public struct TicketLayout: Sendable, Equatable {
    public enum Style: Sendable, Equatable { case title, big, normal, small }
    public struct Line: Sendable, Equatable {
        public var text: String
        public var style: Style
        public init(_ text: String, _ style: Style) {
            self.text = text
            self.style = style
        }
    }
    public var lines: [Line]
    public var label: String
    /// Printed as a QR code where the printer can (e.g. a status page for this ticket).
    public var qr: String?
    public var footer: String?

    /// - statusURL: the ticket's status page, when `[http] public_url` is set: the QR code's
    ///   content unless `[printer] qr` is a template of its own (which may use `{status_url}`).
    public static func make(
        ticket t: Ticket, ahead: Int, eta: WaitRange, config: HallConfig, calendar: HallCalendar,
        statusURL: String? = nil, printer: PrinterConfig? = nil
    ) -> TicketLayout {
        let printer = printer ?? config.printer
        let svc = config.service(t.issuedService)?.name ?? t.issuedService
        let issued = calendar.localTimestamp(t.issuedAt).replacingOccurrences(of: "T", with: " ").prefix(19)
        var lines = [Line(config.name, .title), Line(svc, .normal), Line(t.label, .big)]
        // A priority (绿色通道) ticket says so under its number.
        if t.greenChannel { lines.append(Line("绿色通道", .normal)) }
        // A booked ticket says so, with its slot (预约 09:00-09:30).
        if let slot = t.slotText(calendar) { lines.append(Line("预约 \(slot)", .normal)) }
        lines += [
            Line(Texts.fill(config.texts.ahead, ["n": String(ahead)]), .normal),
            Line(Texts.fill(config.texts.eta, Texts.wait(eta)), .normal),
            Line(String(issued), .small),
        ]
        return TicketLayout(
            lines: lines, label: t.label,
            qr: printer.qr.map {
                Texts.fill(
                    $0, ["ticket": t.label, "day": t.day, "service": t.issuedService, "status_url": statusURL ?? ""])
            } ?? statusURL,
            footer: printer.footer)
    }

    public init(lines: [Line], label: String, qr: String? = nil, footer: String? = nil) {
        self.lines = lines
        self.label = label
        self.qr = qr
        self.footer = footer
    }

    /// Plain text, one line per entry, for the virtual printer and logs.
    public var text: String {
        (lines.map(\.text) + [qr.map { "[QR \($0)]" }, footer].compactMap { $0 }).joined(separator: "\n")
    }
}
