import Foundation
import HallqApp
import HallqConfig
import HallqCore
import HallqTestKit
import Testing

@Suite struct CounterConfigTests {
    static let callerBus = """

        [[bus]]
        name = "callers"
        path = "/dev/hallq/callers"
        protocol = "caller"

        """

    func parse(_ extra: String) throws(ConfigError) -> HallConfig {
        try ConfigLoader.parse(DaemonHarness.demoConfig + "\n" + extra)
    }

    @Test("[[caller]] and [[keypad]]: callers on a caller bus, window keypads with default keys, kiosk boxes")
    func accepted() throws {
        let c = try parse(
            Self.callerBus + """
                [[caller]]
                bus = "callers"
                address = 3
                window = 3

                [[keypad]]
                device = "/dev/input/by-id/usb-pad-event-kbd"
                window = 1

                [[keypad]]
                device = "/dev/hallq/pad2"
                window = 2
                keys = { KEY_F1 = "call", KEY_F5 = "transfer" }

                [[keypad]]
                device = "/dev/input/by-id/usb-box-event-kbd"
                kiosk = true
                keys = { KEY_1 = "A", BTN_0 = "C" }
                """)
        #expect(c.callers == [CallerConfig(bus: "callers", address: 3, window: 3)])
        #expect(
            c.keypads.map(\.use) == [
                .window(1, keys: WindowKeypad.defaultKeys),
                .window(2, keys: ["KEY_F1": .call, "KEY_F5": .transfer]),
                .kiosk(keys: ["KEY_1": "A", "BTN_0": "C"]),
            ])
    }

    @Test("counter mistakes name their key")
    func refused() {
        let caller = Self.callerBus + "[[caller]]\nbus = \"callers\"\naddress = 3\nwindow = 3\n"
        for (text, key) in [
            ("[[caller]]\nbus = \"signs\"\naddress = 3\nwindow = 3", "caller[0].bus"),
            (Self.callerBus + "[[caller]]\nbus = \"callers\"\naddress = 0\nwindow = 3", "caller[0].address"),
            (Self.callerBus + "[[caller]]\nbus = \"callers\"\naddress = 3\nwindow = 9", "caller[0].window"),
            (caller + "[[caller]]\nbus = \"callers\"\naddress = 3\nwindow = 4", "caller[1].address"),
            (caller + "[[caller]]\nbus = \"callers\"\naddress = 4\nwindow = 3", "caller[1].window"),
            ("[[bus]]\nname = \"c2\"\nkind = \"virtual\"\nprotocol = \"caller\"", "bus[1].kind"),
            (Self.callerBus + "[lobby2]", "lobby2"),
            ("[[keypad]]\ndevice = \"/dev/x\"", "keypad[0].window"),
            ("[[keypad]]\ndevice = \"x\"\nwindow = 1", "keypad[0].device"),
            ("[[keypad]]\ndevice = \"/dev/x\"\nwindow = 1\nkeys = { KEY_NOPE = \"call\" }", "keypad[0].keys.KEY_NOPE"),
            ("[[keypad]]\ndevice = \"/dev/x\"\nwindow = 1\nkeys = { KEY_1 = \"dance\" }", "keypad[0].keys.KEY_1"),
            ("[[keypad]]\ndevice = \"/dev/x\"\nkiosk = true\nkeys = { KEY_1 = \"Z\" }", "keypad[0].keys.KEY_1"),
            ("[[keypad]]\ndevice = \"/dev/x\"\nkiosk = true", "keypad[0].keys"),
            ("[[keypad]]\ndevice = \"/dev/x\"\nkiosk = true\nwindow = 1\nkeys = { KEY_1 = \"A\" }", "keypad[0]"),
        ] {
            #expect(throws: ConfigError.self, "\(text)") { try parse(text) }
            do { _ = try parse(text) } catch { #expect(error.key == key, "\(text): \(error)") }
        }
    }

    @Test("a sign cannot sit on a bus of callers")
    func signOnCallerBus() {
        let text = DaemonHarness.demoConfig.replacingOccurrences(
            of: "sign = { bus = \"signs\", address = 1 }", with: "sign = { bus = \"callers\", address = 1 }")
        do {
            _ = try ConfigLoader.parse(text + Self.callerBus)
            Issue.record("accepted")
        } catch { #expect(error.key == "window[0].sign.bus" && error.message.contains("callers")) }
    }
}
