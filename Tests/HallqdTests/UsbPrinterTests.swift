import Foundation
import HallqApp
import HallqClient
import HallqConfig
import HallqCore
import HallqEncoders
import HallqProtocol
import HallqStore
import HallqTestKit
import Testing

func printerConfig(byID: Bool) -> String {
    """
    [hall]
    name = "省市场监管局政务服务大厅"

    [[service]]
    id = "A"
    name = "检验检测机构资质认定"
    first = 12

    [[window]]
    number = 1
    services = ["A"]

    [printer]
    kind = "usb"
    profile = "80mm"
    footer = "请留意叫号"
    qr = "https://hall.example/t/{day}/{ticket}"
    \(byID ? "vendor = 0x0416\nproduct = 0x5011" : "")
    """
}

/// The ESC/POS bytes a stored ticket should print as with nobody ahead: the layout made from the
/// ticket's row in the daemon's own SQLite file and the same config, encoded for 80 mm.
func expectedTicket(_ d: DaemonHarness, config text: String, label: String) async throws -> [UInt8] {
    let config = try ConfigLoader.parse(text)
    let store = try HallStore(path: d.stateDir.appendingPathComponent("hallq.sqlite").path)
    let ticket = try #require(try await store.ticket(label: label, day: nil))
    let layout = TicketLayout.make(
        ticket: ticket, ahead: 0, eta: .zero, config: config,
        calendar: HallCalendar(timeZone: TimeZone(identifier: config.timeZone)!))
    return EscPos.ticket(layout, profile: .mm80)
}

@Suite("USB ticket printer, emulated under the real libusb", .serialized, .onDaemonThreads)
struct UsbPrinterTests {

    @Test(
        "a ticket taken on the kiosk socket arrives byte-exact: the configured Chinese ticket, number, people ahead, cut",
        arguments: [true, false])
    func ticketArrives(byID: Bool) async throws {
        let printer = try EmulatedPrinter()
        let text = printerConfig(byID: byID)
        let d = try DaemonHarness(config: text)
        try d.start(extraEnv: printer.environment)
        #expect(try eventually { try d.printerHealth() == "online" })
        // Endpoints come from the descriptor (0x03 / 0x84), not from habit.
        #expect(d.log.contains("id=0416:5011 in=0x84 out=0x03"))

        let reply = try d.ask(.kiosk, ["op": "take", "service": "A"])
        #expect(reply["ticket"]?["label"] == "A012")
        #expect(try eventually { try d.printStatus("A012") == "printed" })

        #expect(printer.bytes == (try await expectedTicket(d, config: text, label: "A012")))
        let printed = GBText.decode(printer.bytes.filter { $0 >= 0x20 || $0 == 0x0A }, .gb18030) ?? ""
        for s in ["省市场监管局政务服务大厅", "检验检测机构资质认定", "A012", "前面还有 0 人等候", "请留意叫号"] {
            #expect(printed.contains(s), "\(s)")
        }
        #expect(printer.bytes.suffix(4) == [0x1D, 0x56, 0x42, 0x00], "cut")
        #expect(d.stop() == 0)
    }

    @Test("paper out refuses take with PRINTER-PAPER-OUT; paper back, take works without a restart")
    func paperOut() throws {
        let printer = try EmulatedPrinter()
        let d = try DaemonHarness(config: printerConfig(byID: true))
        try d.start(extraEnv: printer.environment)
        #expect(try eventually { try d.printerHealth() == "online" })
        let watch = try d.client(.clerk)
        _ = try watch.request(["op": "watch"])

        try printer.set("paper-out")
        // hallqd asks the printer every second while idle; once it knows, takes are refused.
        #expect(try eventually { try d.printerHealth() == "paper-out" })
        #expect(try d.ask(.kiosk, ["op": "take", "service": "A"]).token == "PRINTER-PAPER-OUT")
        #expect(
            try d.ask(.kiosk, ["op": "status"])["hall"]?["dispensing"] == true, "the hall is open; the printer is not")
        // The change is on the watch stream.
        var sawPaperOut = false
        while !sawPaperOut, let line = try watch.readLine(), let e = JSONValue.parse(Array(line.utf8)) {
            sawPaperOut = e["event"] == "device" && e["details"]?["health"] == "paper-out"
        }
        #expect(sawPaperOut)

        try printer.set("offline")
        #expect(try eventually { try d.printerHealth() == "cover-open" })
        #expect(try d.ask(.kiosk, ["op": "take", "service": "A"]).token == "PRINTER-OFFLINE")

        try printer.set("online")
        #expect(try eventually { try d.printerHealth() == "online" })
        let t = try d.ask(.kiosk, ["op": "take", "service": "A"])
        #expect(t["ticket"]?["label"] == "A012", "the refused presses issued no number")
        #expect(try eventually { try d.printStatus("A012") == "printed" })
        #expect(d.stop() == 0)
    }

    @Test("unplugged mid-ticket: print status failed; replugged: reconnects on its own and reprint prints it")
    func unplugMidTicket() throws {
        let printer = try EmulatedPrinter()
        let d = try DaemonHarness(config: printerConfig(byID: false))
        try d.start(extraEnv: printer.environment)
        #expect(try eventually { try d.printerHealth() == "online" })

        try printer.set("unplug-mid")
        let t = try d.ask(.kiosk, ["op": "take", "service": "A"])
        #expect(t["ticket"]?["label"] == "A012", "the number is issued; the ticket stays valid")
        #expect(try eventually { try d.printStatus("A012") == "failed" })
        let row = try d.ask(.admin, ["op": "history", "ticket": "A012"])
        #expect(row["ticket"]?["print_error"]?.stringValue?.contains("unplugged") == true)
        #expect(try d.printerHealth() == "offline")
        #expect(try d.ask(.kiosk, ["op": "take", "service": "A"]).token == "PRINTER-OFFLINE")

        let before = printer.bytes.count
        let plugged = Date()
        try printer.set("plug")
        #expect(try eventually { try d.printerHealth() == "online" })
        print("printer reconnected \(String(format: "%.2f", Date().timeIntervalSince(plugged))) s after replug")
        let r = try d.ask(.admin, ["op": "reprint", "ticket": "A012"])
        #expect(r.ok, "\(r.text)")
        #expect(r["ticket"]?["print"] == "printed")
        let again = GBText.decode(Array(printer.bytes[before...]).filter { $0 >= 0x20 || $0 == 0x0A }, .gb18030) ?? ""
        #expect(again.contains("A012"))
        #expect(d.stop() == 0)
    }
}
