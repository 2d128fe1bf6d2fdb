import Foundation

/// One emulated USB keypad (/dev/input/event0, by-id name `path`), owned by the hq-input-bed
/// helper under umockdev-wrapper; hallqd runs with `environment` and opens it through the real
/// libevdev. Key presses are played into it as evemu recordings, timed as recorded.
public final class EmulatedKeypad: UMockdevHelper, @unchecked Sendable {
    public static let path = "/dev/input/by-id/usb-hallq_Keypad-event-kbd"

    public init() throws { try super.init(program: "hq-input-bed") }

    public func unplug() throws { try command("unplug") }
    public func plug() throws { try command("plug") }

    /// Whether a client holds the device grabbed (EVIOCGRAB).
    public var grabbed: Bool { (try? command("grabbed")) == "1" }

    /// Plays an evemu recording ("E: sec.usec type code value" lines) and returns when played.
    public func replay(_ evemu: String) throws {
        let file = URL(fileURLWithPath: "\(capture.path).evemu")
        try Data(evemu.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        try command("replay \(file.path)")
    }

    /// A USB keyboard's events for pressing `code` (linux/input-event-codes.h) and letting go
    /// after `repeats` auto-repeats (the kernel's: after 250 ms, then every 33 ms), starting at
    /// `at` seconds: scan code, key, SYN_REPORT, as a HID keyboard sends them.
    public static func press(_ code: Int, scan: Int, at: Double = 0, repeats: Int = 0) -> String {
        func line(_ t: Double, _ type: Int, _ code: Int, _ value: Int) -> String {
            let us = Int((t * 1_000_000).rounded())
            return String(format: "E: %d.%06d %04x %04x %d\n", us / 1_000_000, us % 1_000_000, type, code, value)
        }
        var out = line(at, 4, 4, scan) + line(at, 1, code, 1) + line(at, 0, 0, 0)
        var t = at + 0.25
        for _ in 0..<repeats {
            out += line(t, 1, code, 2) + line(t, 0, 0, 0)
            t += 0.033
        }
        let up = repeats > 0 ? t : at + 0.08
        return out + line(up, 4, 4, scan) + line(up, 1, code, 0) + line(up, 0, 0, 0)
    }
}
