import HallqCore

/// What a printer model can do. Shipped: 80 mm and 58 mm (hardware/HARDWARE.md).
public struct PrinterProfile: Sendable, Equatable {
    public var name: String
    /// Font A columns (a CJK character takes two).
    public var columns: Int
    public var dots: Int
    public var hasCutter: Bool
    public var nativeQR: Bool
    /// Character size for the ticket number: (width multiplier, height multiplier), 1...8.
    public var bigSize: (UInt8, UInt8)

    public static func == (a: PrinterProfile, b: PrinterProfile) -> Bool { a.name == b.name }

    public static let mm80 = PrinterProfile(
        name: "80mm", columns: 48, dots: 576, hasCutter: true, nativeQR: true, bigSize: (4, 4))
    public static let mm58 = PrinterProfile(
        name: "58mm", columns: 32, dots: 384, hasCutter: false, nativeQR: true, bigSize: (3, 3))

    /// Every printer profile: the only list (config check and its message, docs check).
    public static let all = [mm80, mm58]
    public static func named(_ n: String) -> PrinterProfile? { all.first { $0.name == n } }
}

/// ESC/POS bytes for a ticket. Pure: a layout in, bytes out. Text goes out in GB18030 after
/// FS & (Chinese mode), which Chinese-market printers read as GBK for everything in GB2312/GBK.
public enum EscPos {
    public static let initialize: [UInt8] = [0x1B, 0x40]
    public static let chineseOn: [UInt8] = [0x1C, 0x26]
    public static func align(_ a: UInt8) -> [UInt8] { [0x1B, 0x61, a] }  // 0 left, 1 centre, 2 right
    public static func bold(_ on: Bool) -> [UInt8] { [0x1B, 0x45, on ? 1 : 0] }
    /// ESC M n: Font A (0, 12×24 dots) or the smaller Font B (1, 9×17); Epson's ESC/POS
    /// reference. CJK characters keep their own size: Font B shrinks the Latin and digits.
    public static func fontB(_ on: Bool) -> [UInt8] { [0x1B, 0x4D, on ? 1 : 0] }
    /// GS ! n: width−1 in the high nibble, height−1 in the low one.
    public static func size(_ w: UInt8, _ h: UInt8) -> [UInt8] { [0x1D, 0x21, ((w - 1) << 4) | (h - 1)] }
    public static func feed(_ lines: UInt8) -> [UInt8] { [0x1B, 0x64, lines] }
    /// GS V B n: feed to the cutter and cut partially.
    public static let cut: [UInt8] = [0x1D, 0x56, 0x42, 0x00]
    /// DLE EOT n: real-time status, one byte back on the bulk IN endpoint.
    public static func status(_ n: UInt8) -> [UInt8] { [0x10, 0x04, n] }

    /// QR code, model 2, module size, error level M, store and print.
    public static func qr(_ payload: [UInt8], moduleSize: UInt8 = 6) -> [UInt8] {
        let n = payload.count + 3
        return [0x1D, 0x28, 0x6B, 0x04, 0x00, 0x31, 0x41, 0x32, 0x00]
            + [0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x43, moduleSize]
            + [0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x45, 0x31]
            + [0x1D, 0x28, 0x6B, UInt8(n & 0xFF), UInt8(n >> 8), 0x31, 0x50, 0x30] + payload
            + [0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x51, 0x30]
    }

    public static func ticket(_ layout: TicketLayout, profile: PrinterProfile) -> [UInt8] {
        var out = initialize + chineseOn + align(1)
        for line in layout.lines {
            switch line.style {
            case .title: out += bold(true) + size(2, 2)
            case .big: out += bold(true) + size(profile.bigSize.0, profile.bigSize.1)
            case .normal: out += bold(false) + size(1, 1)
            case .small: out += bold(false) + size(1, 1) + fontB(true)
            }
            out += text(line.text) + [0x0A]
            // Only a small line is in Font B: a ticket without one is the same bytes as before.
            if line.style == .small { out += fontB(false) }
        }
        out += bold(false) + size(1, 1)
        if let payload = layout.qr, profile.nativeQR, !payload.isEmpty {
            out += qr(Array(payload.utf8)) + [0x0A]
        }
        if let footer = layout.footer, !footer.isEmpty { out += text(footer) + [0x0A] }
        out += align(0)
        out += profile.hasCutter ? feed(3) + cut : feed(5)
        return out
    }

    static func text(_ s: String) -> [UInt8] {
        GBText.encode(s, .gb18030) ?? Array(s.utf8.filter { $0 < 0x80 })
    }

    /// Why a text would not print right on a GBK printer, or nil.
    public static func problem(with text: String) -> String? {
        GBText.encode(text, .gbk) == nil
            ? "has characters outside GBK, which most ticket printers print as garbage" : nil
    }
}
