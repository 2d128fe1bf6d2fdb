import Foundation

/// The `export` table: one row per ticket, local times, durations in seconds, what a spreadsheet
/// wants — and nothing a spreadsheet would run. A cell starting with `=`, `+`, `-`, `@`, a tab
/// or a CR is a formula to Excel and LibreOffice (CSV injection), so it gets a leading `'`
/// (OWASP's advice); cells with a comma, quote, CR or LF are quoted.
public enum TicketCSV {
    public static let header = [
        "day", "ticket", "issued_service", "final_service", "issued_at", "first_called_at", "called_at",
        "started_at", "finished_at", "window", "clerk", "outcome", "wait_s", "service_s", "recalls",
        "transfers", "noshows", "print", "print_error", "rating", "rating_reason",
    ]

    /// The whole table: the header line, then one line per ticket.
    public static func make(_ tickets: [Ticket], calendar: HallCalendar) -> String {
        header.joined(separator: ",") + "\n" + rows(tickets, calendar: calendar)
    }

    /// The lines of these tickets, each ending in a newline, without the header: an export sent
    /// in blocks is the header line and then each block's rows.
    public static func rows(_ tickets: [Ticket], calendar: HallCalendar) -> String {
        func t(_ m: Millis?) -> String { m.map(calendar.localTimestamp) ?? "" }
        var lines: [String] = []
        for x in tickets {
            let served = x.outcome == .served
            // Durations as the engine measured them (monotonic clock); older rows by wall time, never negative.
            let wait = served ? (x.waitMs ?? x.windowCalledAt.map { max(0, $0 - x.queuedAt) }).map(seconds) ?? "" : ""
            let svc =
                x.finishedAt == nil
                ? ""
                : (x.serviceMs ?? x.windowCalledAt.flatMap { c in x.finishedAt.map { max(0, $0 - c) } }).map(seconds)
                    ?? ""
            let fields: [String] = [
                x.day, x.label, x.issuedService, x.service, t(x.issuedAt), t(x.firstCalledAt), t(x.windowCalledAt),
                t(x.startedAt), t(x.finishedAt), x.window.map(String.init) ?? "", x.clerk ?? "",
                x.outcome?.rawValue ?? x.state.rawValue, wait, svc, String(x.recalls), String(x.transfers),
                String(x.noshows), x.printStatus.rawValue, x.printError ?? "", x.rating.map(String.init) ?? "",
                x.ratingReason ?? "",
            ]
            lines.append(fields.map(cell).joined(separator: ",") + "\n")
        }
        return lines.joined()
    }

    /// One cell, neutralised and quoted as needed.
    public static func cell(_ s: String) -> String {
        var v = s
        if let first = v.unicodeScalars.first, ["=", "+", "-", "@", "\t", "\r"].contains(first) { v = "'" + v }
        guard v.unicodeScalars.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else {
            return v
        }
        return "\"" + v.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
