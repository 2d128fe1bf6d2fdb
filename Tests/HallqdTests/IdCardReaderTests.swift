import Foundation
import HallqClient
import HallqProtocol
import HallqTestKit
import Testing

/// A hall whose kiosk (or window 1) has an ID-card reader on an emulated serial adapter, under
/// the real libserialport (umockdev): service A issues 绿色通道 tickets, from 70 by age.
func idcardHall(_ use: String) -> String {
    """
    [hall]
    name = "测试大厅"
    timezone = "Asia/Shanghai"

    [queue]
    priority_age = 70

    [[service]]
    id = "A"
    name = "资质认定"
    priority = true

    [[service]]
    id = "B"
    name = "计量授权"

    [printer]
    kind = "none"

    [[window]]
    number = 1
    services = ["A", "B"]

    [[idcard]]
    device = "/dev/hallq/idcard"
    \(use)
    """
}

/// config/demo.toml as shipped, up to its voice and HTTP sections (a test has no sound card and
/// no fixed port): its kiosk reader on /dev/hallq/idcard, priority_age 70, service A with 绿色通道.
func demoHallWithoutVoiceAndHTTP() throws -> String {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    let demo = try String(contentsOf: root.appendingPathComponent("config/demo.toml"), encoding: .utf8)
    guard let cut = demo.range(of: "# Voice calling") else {
        throw HarnessError("config/demo.toml has no voice section")
    }
    return String(demo[..<cut.lowerBound])
}

@Suite("ID-card readers on an emulated serial port", .serialized, .onDaemonThreads)
struct IdCardReaderTests {
    func readerHealth(_ d: DaemonHarness) throws -> String? {
        try d.ask(.admin, ["op": "devices"])["devices"]?["keypads"]?.arrayValue?
            .first { $0["use"]?.stringValue?.hasPrefix("idcard") == true }?["health"]?.stringValue
    }

    func card(_ d: DaemonHarness) throws -> JSONValue? {
        let c = try d.ask(.kiosk, ["op": "card"])["card"]
        return c == .null ? nil : c
    }

    @Test(
        "the demo hall: a card placed: 张* and 绿色通道 at the kiosk and on watch, the next take is that person's; left on the reader it is not read twice; removed between select and read nothing; unplug and replug; none of the card's text kept"
    )
    func kioskReader() throws {
        let bed = try EmulatedSerial(link: "hallq/idcard")
        try bed.idcardMode()
        // A long hold: a loaded CI machine must not see the hold end between the steps below.
        let d = try DaemonHarness(
            config: try demoHallWithoutVoiceAndHTTP().replacingOccurrences(
                of: "kiosk = true\n", with: "kiosk = true\nhold_s = 300\n"))
        try d.start(extraEnv: bed.environment)
        #expect(eventually(30) { (try? readerHealth(d)) == "ok" }, "the reader's SAM answered")

        let watcher = try d.client(.clerk)
        #expect(try watcher.request(["op": "watch"])["watching"] == true)
        try bed.placeCard(IdCardFixtures.golden)
        #expect(eventually(30) { (try? card(d))?["name"] == "张*" })
        let shown = try #require(try card(d))
        #expect(shown["green_channel"] == true)
        #expect(shown["services"]?.arrayValue?.allSatisfy { $0["allowed"] == true } == true)
        // The same card on `watch`, as a line of its own (not an event of the log).
        var seen: JSONValue?
        while seen == nil, let line = try watcher.readLine(), let v = JSONValue.parse(Array(line.utf8)) {
            if v["type"] == "card" { seen = v }
        }
        #expect(seen?["card"]?["name"] == "张*")

        // The press that follows takes the ticket for that person: 绿色通道 by age (born 1949).
        let t = try d.ask(.kiosk, ["op": "take", "service": "A"])
        #expect(t["ticket"]?["green_channel"] == true)
        #expect(try card(d) == nil, "the hold is used up")
        // Left on the reader (which keeps answering find), it is read again but not reported.
        let reads = try bed.cardReads()
        #expect(eventually(30) { (try? bed.cardReads()) ?? 0 >= reads + 2 })
        #expect(try card(d) == nil)
        #expect(try d.ask(.kiosk, ["op": "take", "service": "A"])["ticket"]?["green_channel"] == nil)

        // Taken away and placed again: the same person, who already has an A ticket.
        try bed.removeCard()
        Thread.sleep(forTimeInterval: 0.7)
        try bed.placeCard(IdCardFixtures.golden)
        #expect(eventually(30) { (try? card(d))?["name"] == "张*" })
        #expect(try card(d)?["services"]?.arrayValue?.first?["error"] == "PERSON-HAS-TICKET")
        #expect(try d.ask(.kiosk, ["op": "take", "service": "A"]).token == "PERSON-HAS-TICKET")
        #expect(try d.ask(.kiosk, ["op": "take", "service": "B"]).ok)

        // Another card, pulled between select and read: nothing is reported, nothing read.
        try bed.removeCard()
        Thread.sleep(forTimeInterval: 0.7)
        let before = try bed.cardReads()
        let li = IdCardFixtures.residentRead(name: "李四", birth: "19900101", number: "310115199001010023")
        try bed.vanishAtRead()
        try bed.placeCard(li)
        Thread.sleep(forTimeInterval: 1.5)
        #expect(try card(d) == nil)
        #expect(try bed.cardReads() == before)

        // Unplugged: down in `devices`, a device event; plugged back: reads again.
        try bed.unplug()
        #expect(eventually(30) { (try? readerHealth(d))?.hasPrefix("down") == true })
        try bed.plug()
        #expect(eventually(30) { (try? readerHealth(d)) == "ok" })
        try bed.placeCard(li)
        #expect(eventually(30) { (try? card(d))?["name"] == "李*" })
        #expect(try card(d)?["green_channel"] == false)

        // What stays of the cards: nothing of their text in the store, the log or the replies.
        let day = try #require(try d.ask(.kiosk, ["op": "status"])["hall"]?["day"]?.stringValue)
        let replies =
            try [d.ask(.admin, ["op": "history", "ticket": "A001"]), d.ask(.admin, ["op": "devices"])].map(\.text)
            + [try d.export(from: day, to: day).csv ?? ""]
        let log = Array(d.log.utf8)
        let store = try IdCardFixtures.storeBytes(d.stateDir)
        for secret in [
            IdCardFixtures.goldenName, IdCardFixtures.goldenNumber, IdCardFixtures.goldenAddress, "李四",
            "310115199001010023",
            "19491231",
        ] {
            #expect(
                !store.containsBytes(Array(secret.utf8)) && !store.containsBytes(IdCardFixtures.ucs2(secret)),
                "\(secret) in the store")
            #expect(!log.containsBytes(Array(secret.utf8)), "\(secret) in the log")
            #expect(!replies.contains { $0.contains(secret) }, "\(secret) in a reply")
        }
        #expect(d.log.contains("ID-card reader down"))
    }

    @Test("a window's reader ties the ticket in hand to the person: the same card cannot take a second ticket for it")
    func windowReader() throws {
        let bed = try EmulatedSerial(link: "hallq/idcard")
        try bed.idcardMode()
        let d = try DaemonHarness(config: idcardHall("window = 1"))
        try d.start(extraEnv: bed.environment)
        #expect(eventually(30) { (try? readerHealth(d)) == "ok" })
        #expect(try d.ask(.clerk, ["op": "signin", "window": 1, "clerk": "张三"]).ok)
        #expect(try d.ask(.kiosk, ["op": "take", "service": "A"]).ok)
        #expect(try d.ask(.clerk, ["op": "call", "window": 1])["ticket"]?["label"] == "A001")
        try bed.placeCard(IdCardFixtures.golden)
        #expect(
            eventually(30) {
                (try? d.ask(.admin, ["op": "history", "ticket": "A001"]))?["events"]?.arrayValue?
                    .contains { $0["event"] == "person" && $0["role"] == "idcard" } == true
            })
        #expect(
            try d.ask(.kiosk, ["op": "take", "service": "A", "id_number": .string(IdCardFixtures.goldenNumber)]).token
                == "PERSON-HAS-TICKET")
    }

    @Test(
        "a reader on USB (0400:c35a) through the real libusb: a card at the kiosk, unplugged it is down, replugged it reads again"
    )
    func usbReader() throws {
        let bed = try EmulatedUsbCardReader()
        let d = try DaemonHarness(
            config: idcardHall("kiosk = true\nhold_s = 300").replacingOccurrences(
                of: "device = \"/dev/hallq/idcard\"", with: "usb = \"0400:c35a\""))
        try d.start(extraEnv: bed.environment)
        #expect(eventually(30) { (try? readerHealth(d)) == "ok" }, "the reader's SAM answered over USB")
        // A 30 01 reply of 1295 bytes comes back in 64-byte bulk reads.
        try bed.placeCard(IdCardFixtures.golden)
        #expect(eventually(30) { (try? card(d))?["name"] == "张*" })
        #expect(try card(d)?["green_channel"] == true)
        #expect(try d.ask(.kiosk, ["op": "take", "service": "A"])["ticket"]?["green_channel"] == true)

        try bed.removeCard()
        try bed.unplug()
        #expect(eventually(30) { (try? readerHealth(d))?.hasPrefix("down") == true })
        try bed.plug()
        #expect(eventually(30) { (try? readerHealth(d)) == "ok" })
        let li = IdCardFixtures.residentRead(name: "李四", birth: "19900101", number: "310115199001010023")
        try bed.placeCard(li)
        #expect(eventually(30) { (try? card(d))?["name"] == "李*" })
        #expect(try card(d)?["green_channel"] == false)
        #expect(d.stop() == 0)
    }
}
