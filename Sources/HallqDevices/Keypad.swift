import CEvdev
import Foundation
import HallqCore
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// A USB keypad or kiosk button box: an input device read through libevdev
/// (docs/HARDWARE.md, keypads). One thread per device opens it, grabs it (EVIOCGRAB: keystrokes
/// must not reach a console or a login prompt), and reports each key *press* by libevdev's name
/// (KEY_KPENTER); releases and auto-repeat are not presses. When the device goes away it waits
/// for it to come back, woken by inotify on the directory of its path (a udev by-id or rule name
/// reappears there), so a replug needs no restart.
public final class Keypad: @unchecked Sendable {
    public let device: String
    let logger: Logger
    let onPress: @Sendable (_ key: String) -> Void
    private let healthCell: HealthCell
    private let lock = NSLock()
    private var stopped = false

    public init(device: String, logger: Logger, onPress: @escaping @Sendable (_ key: String) -> Void) {
        self.device = device
        self.logger = logger
        self.onPress = onPress
        healthCell = HealthCell(
            .starting, logger: logger, up: "keypad up", down: "keypad down", metadata: ["device": .string(device)])
        let t = Thread { [unowned self] in self.loop() }
        t.name = "hallq-keypad"
        t.start()
    }

    public func stop() {
        lock.lock()
        stopped = true
        lock.unlock()
    }

    public var health: DeviceHealth { healthCell.value }

    /// Whether libevdev knows `name` as a key or button (the config's key names).
    public static func isKeyName(_ name: String) -> Bool {
        libevdev_event_code_from_name(UInt32(EV_KEY), name) >= 0
    }

    private var isStopped: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopped
    }

    /// The evdev node a path leads to: stable names (/dev/input/by-id/…, a udev rule's) are
    /// symlinks, followed until a node named event<N>, which the kernel always puts in
    /// /dev/input (an emulated /dev's links may point into the emulator's own directory).
    static func eventNode(_ path: String) -> String {
        var current = URL(fileURLWithPath: path)
        for _ in 0..<8 where !current.lastPathComponent.hasPrefix("event") {
            guard let target = SerialPort.readLink(current.path) else { break }
            current =
                target.hasPrefix("/")
                ? URL(fileURLWithPath: target)
                : current.deletingLastPathComponent().appendingPathComponent(target).standardized
        }
        let name = current.lastPathComponent
        return name.hasPrefix("event") ? "/dev/input/\(name)" : current.path
    }

    private func loop() {
        while !isStopped {
            let node = Self.eventNode(device)
            let fd = open(node, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
            guard fd >= 0 else {
                healthCell.set(.down("\(device): \(String(cString: strerror(errno)))"))
                waitForDevice()
                continue
            }
            var dev: OpaquePointer?
            let rc = libevdev_new_from_fd(fd, &dev)
            guard rc == 0, let dev else {
                healthCell.set(.down("\(device): not an input device (\(String(cString: strerror(-rc))))"))
                close(fd)
                waitForDevice()
                continue
            }
            if libevdev_grab(dev, LIBEVDEV_GRAB) != 0 {
                logger.warning(
                    "keypad could not be grabbed; its keys may also reach a console",
                    metadata: ["device": .string(device)])
            }
            healthCell.set(.ok)
            readPresses(dev, fd: fd, node: node)
            libevdev_free(dev)
            close(fd)
            if !isStopped { Thread.sleep(forTimeInterval: 0.2) }  // a failing device must not spin
        }
    }

    /// Reads key presses until the device fails or goes away (or hallqd stops).
    private func readPresses(_ dev: OpaquePointer, fd: Int32, node: String) {
        var flag = LIBEVDEV_READ_FLAG_NORMAL.rawValue
        while !isStopped {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let n = poll(&p, 1, 500)
            if n == 0 {
                // Idle: make sure the device is still there (a pulled keypad may just go quiet,
                // and a quick replug points the stable name at a new node).
                if access(device, F_OK) != 0 || Self.eventNode(device) != node { return gone("unplugged") }
                continue
            }
            if n < 0 { if errno == EINTR { continue } else { return gone("poll failed") } }
            if p.revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0 && p.revents & Int16(POLLIN) == 0 {
                return gone("unplugged")
            }
            var ev = input_event()
            while true {
                let rc = libevdev_next_event(dev, UInt32(flag), &ev)
                if rc == -EAGAIN {
                    flag = LIBEVDEV_READ_FLAG_NORMAL.rawValue
                    break
                }
                if rc == Int32(LIBEVDEV_READ_STATUS_SYNC.rawValue) {
                    // Dropped events: catch up on state, but a press lost there stays lost
                    // (better than replaying a stale one).
                    flag = LIBEVDEV_READ_FLAG_SYNC.rawValue
                    continue
                }
                if rc < 0 { return gone(String(cString: strerror(-rc))) }
                // value 1 is a press; 0 a release, 2 the keyboard's auto-repeat.
                if flag == LIBEVDEV_READ_FLAG_NORMAL.rawValue, ev.type == UInt16(EV_KEY), ev.value == 1,
                    let name = libevdev_event_code_get_name(UInt32(EV_KEY), UInt32(ev.code))
                {
                    onPress(String(cString: name))
                }
            }
        }
    }

    private func gone(_ why: String) {
        healthCell.set(.down("\(device): \(why)"))
    }

    /// Until the device path might be back: a change in its directory (inotify), or 2 s.
    private func waitForDevice() {
        guard !isStopped else { return }
        let inotify = inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK))
        defer { if inotify >= 0 { close(inotify) } }
        // The nearest directory that exists: /dev/input/by-id itself may go with its last device.
        var dir = URL(fileURLWithPath: device).deletingLastPathComponent()
        while dir.path != "/" && access(dir.path, F_OK) != 0 { dir = dir.deletingLastPathComponent() }
        if inotify >= 0,
            inotify_add_watch(inotify, dir.path, UInt32(IN_CREATE | IN_MOVED_TO | IN_ATTRIB)) >= 0
        {
            var p = pollfd(fd: inotify, events: Int16(POLLIN), revents: 0)
            _ = poll(&p, 1, 2000)
            // Let udev finish its links and permissions before the open.
            if p.revents != 0 { usleep(50_000) }
        } else {
            Thread.sleep(forTimeInterval: 2)
        }
    }
}
