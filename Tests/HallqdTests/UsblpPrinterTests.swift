import Foundation
import HallqCore
import HallqEncoders
import HallqProtocol
import HallqServer
import HallqStore
import Testing

@Suite("usblp ticket printer (/dev/usb/lpN), emulated", .serialized)
struct UsblpPrinterTests {
    let config = printerConfig(byID: false).replacingOccurrences(of: "kind = \"usb\"", with: "kind = \"usblp\"\npath = \"/dev/hallq/printer\"")



    @Test("byte-exact ticket, paper-out refusal, unplug and replug through the kernel driver's node")
    func lifecycle() async throws {
        let printer = try EmulatedLpPrinter()
        let d = try DaemonHarness(config: config)
        try d.start(extraEnv: printer.environment)
        #expect(try eventually { try d.printerHealth() == "online" })

        #expect(try d.ask(.kiosk, ["op": "take", "service": "A"])["ticket"]?["label"] == "A012")
        #expect(try eventually { try d.printStatus("A012") == "printed" })
        let parsed = try ConfigLoader.parse(config)
        let store = try HallStore(path: d.stateDir.appendingPathComponent("hallq.sqlite").path)
        let ticket = try #require(try await store.ticket(label: "A012", day: nil))
        let layout = TicketLayout.make(ticket: ticket, ahead: 0, etaMinutes: 0, config: parsed,
                                       calendar: HallCalendar(timeZone: TimeZone(identifier: parsed.timeZone)!))
        #expect(printer.bytes == EscPos.ticket(layout, profile: .mm80))

        try printer.set("paper-out")
        #expect(try eventually { try d.printerHealth() == "paper-out" })
        #expect(try d.ask(.kiosk, ["op": "take", "service": "A"]).token == "PRINTER-PAPER-OUT")
        try printer.set("online")
        #expect(try eventually { try d.printerHealth() == "online" })

        try printer.set("unplug")
        #expect(try eventually { try d.printerHealth() == "offline" })
        #expect(try d.ask(.kiosk, ["op": "take", "service": "A"]).token == "PRINTER-OFFLINE")
        let before = printer.bytes.count
        try printer.set("plug")
        #expect(try eventually { try d.printerHealth() == "online" })
        let r = try d.ask(.admin, ["op": "reprint", "ticket": "A012"])
        #expect(r["ticket"]?["print"] == "printed", "\(r.text)")
        #expect(Array(printer.bytes[before...]) == EscPos.ticket(layout, profile: .mm80))
        #expect(d.stop() == 0)
    }
}
