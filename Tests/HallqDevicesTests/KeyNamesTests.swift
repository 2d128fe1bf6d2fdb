import HallqCore
import Testing

@testable import HallqDevices

/// The config loader checks keypad key names against HallqCore's table (no C library); the
/// keypad driver asks libevdev. They must agree.
@Suite("key names: the core's table and libevdev")
struct KeyNamesTests {
    @Test("every name in the table is a key or button libevdev knows; made-up names are in neither")
    func agree() {
        let unknown = KeyNames.all.filter { !Keypad.isKeyName($0) }.sorted()
        #expect(unknown.isEmpty, "\(unknown)")
        for name in ["KEY_KP1", "KEY_KPENTER", "BTN_0", "KEY_F1"] {
            #expect(KeyNames.isKey(name) && Keypad.isKeyName(name), "\(name)")
        }
        for name in ["KEY_NOPE", "kp1", "", "KEY_MAX", "REL_X"] {
            #expect(!KeyNames.isKey(name), "\(name)")
        }
    }
}
