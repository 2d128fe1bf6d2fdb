import Foundation
import HallqCore
import Logging

/// A printer that writes each ticket as text to `<state>/printer/tickets.txt` (appended) and
/// logs it: for demos, screen-only halls and tests of everything above the transport.
///
/// Its health can be set by writing a state name (`paper-out`, `offline`, …) into
/// `<state>/printer/status`, so a demo or a test can pull the paper out of a printer that
/// does not exist. No file, or an empty one, means online.
public final class VirtualPrinter: TicketPrinter {
    public let kind = "virtual"
    let directory: URL
    let logger: Logger

    public init(directory: URL, logger: Logger) throws {
        self.directory = directory
        self.logger = logger
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    public func health() async -> PrinterHealth {
        guard let data = FileManager.default.contents(atPath: directory.appendingPathComponent("status").path),
            let s = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines), !s.isEmpty
        else { return .online }
        return PrinterHealth(rawValue: s) ?? .unknown
    }

    public func print(_ ticket: TicketLayout) async throws(PrintFailure) {
        let h = await health()
        guard h.canPrint else { throw PrintFailure(h.rawValue) }
        let block = "----\n" + ticket.text + "\n"
        let url = directory.appendingPathComponent("tickets.txt")
        do {
            if let fh = try? FileHandle(forWritingTo: url) {
                defer { try? fh.close() }
                try fh.seekToEnd()
                try fh.write(contentsOf: Data(block.utf8))
            } else {
                try Data(block.utf8).write(to: url)
            }
        } catch {
            throw PrintFailure("virtual printer file: \(error)")
        }
        logger.info("virtual printer: ticket printed", metadata: ["ticket": .string(ticket.label)])
    }
}
