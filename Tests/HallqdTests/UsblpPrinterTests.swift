import Foundation
import HallqApp
import HallqCore
import HallqEncoders
import HallqProtocol
import HallqStore
import HallqTestKit
import Testing

@Suite("usblp ticket printer (/dev/usb/lpN, .onDaemonThreads), emulated", .serialized)
struct UsblpPrinterTests {
    let config = printerConfig(byID: false).replacingOccurrences(
        of: "kind = \"usb\"", with: "kind = \"usblp\"\npath = \"/dev/hallq/printer\"")

    @Test("byte-exact ticket, paper-out refusal, unplug and replug through the kernel driver's node")
    func lifecycle() async throws {
        let printer = try EmulatedLpPrinter()
        let d = try DaemonHarness(config: config)
        try d.start(extraEnv: printer.environment)
        #expect(try eventually { try d.printerHealth() == "online" })

        #expect(try d.ask(.kiosk, ["op": "take", "service": "A"])["ticket"]?["label"] == "A012")
        #expect(try eventually { try d.printStatus("A012") == "printed" })
        let expected = try await expectedTicket(d, config: config, label: "A012")
        #expect(printer.bytes == expected)

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
        #expect(Array(printer.bytes[before...]) == expected)
        #expect(d.stop() == 0)
    }
}
