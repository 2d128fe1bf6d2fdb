/// What a QR/barcode scanner types, turned back into a booking's code (hardware/HARDWARE.md,
/// scanners). A keyboard-wedge scanner types the code's characters as key presses and then Enter,
/// all within a few tens of milliseconds; this reads libevdev key names.
///
/// Letters and digits make the code (case does not matter: codes are upper case, so Shift is
/// ignored); Enter ends it. Any other key makes the line garbage (a URL, a product barcode with
/// symbols), which Enter then drops; so does a line longer than a code can be, and a pause of
/// more than `gap` seconds drops a half-typed line, so a stray key on its own checks nobody in.
public struct ScanLine: Sendable {
    private var chars = ""
    private var garbage = false
    private var last: Double?
    /// Seconds of silence after which a line without Enter is dropped.
    public static let gap = 1.0

    public init() {}

    /// Feeds one key press (libevdev's name) at `at` seconds; the code when it completes one.
    public mutating func press(_ key: String, at: Double) -> String? {
        if let last, at - last > Self.gap { reset() }
        last = at
        switch key {
        case "KEY_ENTER", "KEY_KPENTER":
            defer { reset() }
            guard !garbage, BookingInput.validCode(chars) else { return nil }
            return chars
        case "KEY_LEFTSHIFT", "KEY_RIGHTSHIFT", "KEY_CAPSLOCK":
            return nil
        default:
            if let c = Self.character(key) { chars.append(c) } else { garbage = true }
            if chars.count > 32 { garbage = true }
            return nil
        }
    }

    private mutating func reset() {
        chars = ""
        garbage = false
    }

    /// KEY_A…KEY_Z, KEY_0…KEY_9 and the keypad's KEY_KP0…KEY_KP9 as the character they type.
    static func character(_ key: String) -> Character? {
        guard key.hasPrefix("KEY_") else { return nil }
        var rest = key.dropFirst(4)
        if rest.hasPrefix("KP") && rest.count == 3 { rest = rest.dropFirst(2) }
        guard rest.count == 1, let c = rest.first, c.isASCII, c.isNumber || c.isUppercase else { return nil }
        return c
    }
}
