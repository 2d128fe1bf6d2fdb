import CEvdev
import Foundation
import HallqCore
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// A USB keypad or kiosk button box: an input device read through libevdev
/// (hardware/HARDWARE.md, keypads). One thread per device opens it, grabs it (EVIOCGRAB: keystrokes
/// must not reach a console or a login prompt), and reports each key *press* by libevdev's name
/// (KEY_KPENTER); releases and auto-repeat are not presses. When the device goes away it waits
/// for it to come back, woken by inotify on the directory of its path (a udev by-id or rule name
/// reappears there), so a replug needs no restart.
public final class Keypad: Sendable {
    public let device: String
    let logger: Logger
    let onPress: @Sendable (_ key: String) -> Void
    private let life: DeviceLoop

    public init(device: String, logger: Logger, onPress: @escaping @Sendable (_ key: String) -> Void) {
        self.device = device
        self.logger = logger
        self.onPress = onPress
        life = DeviceLoop(
            health: HealthCell(
                .starting, logger: logger, up: "keypad up", down: "keypad down", metadata: ["device": .string(device)]))
        life.start(
            thread: "hallq-keypad",
            open: { [unowned self] () throws(DeviceDown) in try self.open() },
            serve: { [unowned self] (k: (OpaquePointer, String)) throws(DeviceDown) in
                try self.readPresses(k.0, node: k.1)
            },
            close: { hq_keypad_close($0.0) },
            afterOpenFailure: { [unowned self] _ in self.waitForDevice() },
            afterFailure: 0.2)  // a failing device must not spin
    }

    public func stop() { life.stop() }

    public var health: DeviceHealth { life.health.value }

    /// Whether libevdev knows `name` as a key or button: the config checks names against
    /// HallqCore's `KeyNames`, and a test holds that table to this.
    public static func isKeyName(_ name: String) -> Bool { hq_key_known(name) != 0 }

    private var isStopped: Bool { life.isStopped }

    /// The evdev node a path leads to: stable names (/dev/input/by-id/…, a udev rule's) are
    /// symlinks, followed until a node named event<N>, which the kernel always puts in
    /// /dev/input (an emulated /dev's links may point into the emulator's own directory).
    static func eventNode(_ path: String) -> String {
        let current = SerialPort.followLinks(path, until: { $0.lastPathComponent.hasPrefix("event") })
        let name = current.lastPathComponent
        return name.hasPrefix("event") ? "/dev/input/\(name)" : current.path
    }

    /// The device opened and grabbed (EVIOCGRAB), with the event node it was opened as.
    private func open() throws(DeviceDown) -> (OpaquePointer, String) {
        let node = Self.eventNode(device)
        var opened: OpaquePointer?
        let rc = hq_keypad_open(node, &opened)
        guard rc == 0, let keypad = opened else {
            throw DeviceDown(
                description:
                    "\(device): \(rc == -Int32(ENOTTY) ? "not an input device" : String(cString: strerror(-rc)))")
        }
        if hq_keypad_grab(keypad) != 0 {
            logger.warning(
                "keypad could not be grabbed; its keys may also reach a console", metadata: ["device": .string(device)])
        }
        return (keypad, node)
    }

    /// Reads key presses until the device fails or goes away (or hallqd stops).
    private func readPresses(_ keypad: OpaquePointer, node: String) throws(DeviceDown) {
        while !isStopped {
            var p = pollfd(fd: hq_keypad_fd(keypad), events: Int16(POLLIN), revents: 0)
            let n = poll(&p, 1, 500)
            if n == 0 {
                // Idle: make sure the device is still there (a pulled keypad may just go quiet,
                // and a quick replug points the stable name at a new node).
                if access(device, F_OK) != 0 || Self.eventNode(device) != node { throw gone("unplugged") }
                continue
            }
            if n < 0 { if errno == EINTR { continue } else { throw gone("poll failed") } }
            if p.revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0 && p.revents & Int16(POLLIN) == 0 {
                throw gone("unplugged")
            }
            var code: UInt32 = 0
            while true {
                let rc = hq_keypad_next_press(keypad, &code)
                if rc == 0 { break }
                if rc < 0 { throw gone(String(cString: strerror(-rc))) }
                if let name = hq_key_name(code) { onPress(String(cString: name)) }
            }
        }
    }

    private func gone(_ why: String) -> DeviceDown { DeviceDown(description: "\(device): \(why)") }

    /// Until the device path might be back: a change in its directory (inotify), or 2 s.
    private func waitForDevice() {
        guard !isStopped else { return }
        // The nearest directory that exists: /dev/input/by-id itself may go with its last device.
        var dir = URL(fileURLWithPath: device).deletingLastPathComponent()
        while dir.path != "/" && access(dir.path, F_OK) != 0 { dir = dir.deletingLastPathComponent() }
        switch hq_wait_dir(dir.path, 2000) {
        case 1: usleep(50_000)  // let udev finish its links and permissions before the open
        case 0: break
        default: Thread.sleep(forTimeInterval: 2)
        }
    }
}
