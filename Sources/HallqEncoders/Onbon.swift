import Foundation
import HallqCore

/// Onbon BX-5K/6K controllers (the common Chinese LED card with a public protocol that shows
/// Chinese text), as the vendor's protocol document v1.4 lays it out. See hardware/HARDWARE.md.
///
/// Frame: 8 × A5 | dst u16 LE | src u16 LE | 4 reserved | check mode (0 = CRC16) | display mode |
/// device type FE | version 02 | data length u16 LE | data | CRC16 LE | 5A. The CRC (CRC-16/ARC)
/// covers dst … end of data; everything between header and tail is escaped.
public struct OnbonEncoder: SignEncoder {
    /// What a bus's config chooses for its Onbon signs.
    public struct Options: Sendable, Equatable {
        /// Response byte 01 (every frame is answered with ACK/NACK) or 02 (no answer).
        public var replies: Bool
        /// Header display mode 01: the dynamic area wins over a program stored on the sign.
        public var dynamicPriority: Bool
        /// Area X and width in pixels with the document's flag bit (BX-6K), not 8-pixel units.
        public var pixelUnits: Bool
        public init(replies: Bool = true, dynamicPriority: Bool = true, pixelUnits: Bool = false) {
            self.replies = replies
            self.dynamicPriority = dynamicPriority
            self.pixelUnits = pixelUnits
        }
    }

    /// The packet header's display mode (document §4).
    public enum DisplayMode: UInt8, Sendable {
        /// Dynamic areas and stored programs side by side, not overlapping.
        case normal = 0x00
        /// Dynamic areas first; a stored program shows only when there is none.
        case dynamic = 0x01
    }

    public static let protocolName = "onbon"
    public let options: Options
    public init(options: Options = .init()) { self.options = options }

    /// `replies`, `display_mode` and `pixel_units` of the bus.
    public init(bus: BusConfig) {
        self.init(
            options: .init(
                replies: bus.replies, dynamicPriority: bus.displayMode == .dynamic,
                pixelUnits: bus.pixelUnits))
    }

    /// The PC's address as source: the value the vendor's tools use.
    public static let hostAddress: UInt16 = 0x8000

    public var expectsReply: Bool { options.replies }

    public func frames(for content: SignContent, address: Int, geometry: SignGeometry) -> [[UInt8]] {
        let area = OnbonDynamicArea(content: content, geometry: geometry, pixelUnits: options.pixelUnits)
        return [
            Self.frame(
                to: UInt16(truncatingIfNeeded: address), displayMode: options.dynamicPriority ? .dynamic : .normal,
                data: OnbonDynamicArea.command([area], reply: options.replies))
        ]
    }

    public func problem(with text: String) -> String? {
        GBText.encode(text, .gb2312) == nil ? "has characters outside GB2312, which Onbon controllers cannot show" : nil
    }

    public func reply(in bytes: [UInt8]) -> SignReply? { Self.reply(in: bytes) }

    /// Command data for "ping" (A2 00): the published golden frame.
    public static let ping: [UInt8] = [0xA2, 0x00, 0x01, 0x00, 0x00]
    /// Command data for "clear screen" (A3 10).
    public static let clear: [UInt8] = [0xA3, 0x10, 0x01, 0x00, 0x00]

    public static func frame(
        to dst: UInt16, from src: UInt16 = hostAddress, displayMode: DisplayMode = .normal,
        data: [UInt8]
    ) -> [UInt8] {
        var body: [UInt8] = []
        body += le16(dst) + le16(src)
        body += [0, 0, 0, 0]  // 3 reserved, barcode option off
        body += [0x00, displayMode.rawValue, 0xFE, 0x02]  // check mode CRC16, display mode, any device type, version
        body += le16(UInt16(data.count))
        body += data
        body += le16(crc16arc(body))
        return Array(repeating: 0xA5, count: 8) + escape(body) + [0x5A]
    }

    /// CRC-16/ARC: poly 0x8005 reflected (0xA001), init 0, no final xor.
    public static func crc16arc(_ bytes: [UInt8]) -> UInt16 {
        var crc: UInt16 = 0
        for b in bytes {
            crc ^= UInt16(b)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xA001 : crc >> 1 }
        }
        return crc
    }

    static func escape(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 8)
        for b in bytes {
            switch b {
            case 0xA5: out += [0xA6, 0x02]
            case 0xA6: out += [0xA6, 0x01]
            case 0x5A: out += [0x5B, 0x02]
            case 0x5B: out += [0x5B, 0x01]
            default: out.append(b)
            }
        }
        return out
    }

    /// Reads one frame back: addresses and command data, or nil when the framing or CRC is wrong.
    /// Any run of A5 starts a frame (the document's own replies start with nine).
    public static func decode(_ frame: [UInt8]) -> (dst: UInt16, src: UInt16, data: [UInt8])? {
        let start = frame.prefix { $0 == 0xA5 }.count
        guard start >= 1, frame.count > start, frame.last == 0x5A else { return nil }
        var body: [UInt8] = []
        var i = start
        let end = frame.count - 1
        while i < end {
            let b = frame[i]
            if b == 0xA6 || b == 0x5B {
                guard i + 1 < end else { return nil }
                switch (b, frame[i + 1]) {
                case (0xA6, 0x02): body.append(0xA5)
                case (0xA6, 0x01): body.append(0xA6)
                case (0x5B, 0x02): body.append(0x5A)
                case (0x5B, 0x01): body.append(0x5B)
                default: return nil
                }
                i += 2
            } else {
                body.append(b)
                i += 1
            }
        }
        guard body.count >= 16 else { return nil }
        let len = Int(body[12]) | Int(body[13]) << 8
        guard body.count == 14 + len + 2 else { return nil }
        let crc = UInt16(body[body.count - 2]) | UInt16(body[body.count - 1]) << 8
        guard crc16arc(Array(body.dropLast(2))) == crc else { return nil }
        return (
            UInt16(body[0]) | UInt16(body[1]) << 8, UInt16(body[2]) | UInt16(body[3]) << 8, Array(body[14..<(14 + len)])
        )
    }

    /// The controller's answer in `bytes` (skipping anything before its first A5), or nil while
    /// no whole frame has arrived. ACK is A0 00; NACK is A0 01 with the error code (document §6–7).
    public static func reply(in bytes: [UInt8]) -> SignReply? {
        guard let start = bytes.firstIndex(of: 0xA5) else { return nil }
        var i = start
        while i < bytes.count && bytes[i] == 0xA5 { i += 1 }
        guard let end = bytes[i...].firstIndex(of: 0x5A) else { return nil }
        guard let d = decode(Array(bytes[start...end])), d.data.count >= 3 else {
            return .refused("unreadable reply (framing or CRC)")
        }
        let (group, cmd, code) = (d.data[0], d.data[1], d.data[2])
        if group == 0xA0 && cmd == 0x00 && code == 0 { return .ack }
        if group == 0xA0 && cmd == 0x01 { return .refused("NACK \(errorName(code))") }
        return code == 0 ? .ack : .refused("error \(errorName(code))")
    }

    /// CmdError codes, document §6.
    static func errorName(_ code: UInt8) -> String {
        let names = [
            "no error", "command group error", "command not found", "controller busy", "out of memory",
            "CRC16 checksum error", "file does not exist", "flash access error", "file download error",
            "file name error", "file type error", "file CRC16 error", "font library does not exist",
            "firmware type error", "date/time format error", "file exists", "file block number error",
        ]
        return "\(code) (\(Int(code) < names.count ? names[Int(code)] : "unknown"))"
    }
}

/// The dynamic-area ("real-time text") command A3 06, document §8.2.1, with its area blocks as
/// §9.1 lays them out: 23 bytes of fields, then the u32 text length and the text.
///
/// Checked against the vendor's document and its Java reference code, not yet against a physical
/// controller. Every field is set here and only here, so a correction after meeting a real card is
/// one edit.
public struct OnbonDynamicArea: Sendable, Equatable {
    /// Display modes the document defines (§9.1 DisplayMode). There is no "flash".
    public enum Effect: UInt8, Sendable {
        case staticText = 0x01
        case quickType = 0x02
        case moveLeft = 0x03
        case moveRight = 0x04
        case moveUp = 0x05
        case moveDown = 0x06
    }
    public enum NewLine: UInt8, Sendable {
        /// Lines break only at the `\n` escape in the text.
        case manual = 0x01
        /// The controller wraps at the area's edge.
        case auto = 0x02
    }

    public var areaID: UInt8 = 0
    /// X and width with the pixel flag (bit 15) instead of in 8-pixel units.
    public var pixelUnits = false
    public var x = 0, y = 0
    public var width: Int
    public var height: Int
    public var lineSpacing: UInt8 = 0
    public var runMode: UInt8 = 0x00  // loop the content until replaced
    public var timeout: UInt16 = 0
    public var align: SignAlign = .left
    public var singleLine: Bool = true
    public var newLine: NewLine = .manual
    public var effect: Effect
    public var exitMode: UInt8 = 0x00
    public var speed: UInt8 = 4  // 0 fastest … 0x18 slowest
    public var stay: UInt8 = 10  // stay time in 0.5 s steps
    public var text: [UInt8]

    public init(width: Int, height: Int, effect: Effect, text: [UInt8]) {
        self.width = width
        self.height = height
        self.effect = effect
        self.text = text
    }

    /// The area for one sign's content. A fresh call "types" onto the sign (quick type, 02),
    /// looping for as long as the call is held, then `serving` replaces it statically; idle scope
    /// text moves left. Areas at least two 16-pixel lines tall are multi-line, one text line each.
    public init(content: SignContent, geometry: SignGeometry, pixelUnits: Bool = false) {
        let multi = geometry.height >= 32
        let effect: Effect =
            switch content.effect {
            case .hold: .staticText
            case .flash: .quickType
            case .scroll: .moveLeft
            }
        let separator = content.effect == .scroll ? "   " : " "
        self.init(
            width: geometry.width, height: geometry.height, effect: effect,
            text: OnbonText.encode(content.lines, multiLine: multi, separator: separator))
        self.pixelUnits = pixelUnits
        align = geometry.align
        singleLine = !multi
    }

    /// Text alignment byte: bits 1–0 horizontal (00 left, 01 right, 10 centre), bits 3–2 vertical
    /// (00 top).
    var alignmentByte: UInt8 {
        switch align {
        case .left: 0x00
        case .right: 0x01
        case .center: 0x02
        }
    }

    func horizontal(_ px: Int) -> UInt16 {
        pixelUnits ? 0x8000 | UInt16(clamping: min(px, 0x7FFF)) : UInt16(clamping: max(px / 8, 0))
    }

    /// The area block (without its u16 length).
    public var bytes: [UInt8] {
        var area: [UInt8] = [0x00]  // area type
        area += le16(horizontal(x)) + le16(UInt16(clamping: y))
        area += le16(horizontal(max(width, 8))) + le16(UInt16(clamping: height))
        area += [areaID, lineSpacing, runMode]
        area += le16(timeout)
        area += [0x00, 0x00]  // sound off, no extended parameters
        area += [alignmentByte, singleLine ? 0x01 : 0x02, newLine.rawValue]
        area += [effect.rawValue, exitMode, speed, stay]
        area += le32(UInt32(text.count)) + text
        return area
    }

    /// Command data A3 06 updating these areas (deleting none).
    public static func command(_ areas: [OnbonDynamicArea], reply: Bool = true) -> [UInt8] {
        var data: [UInt8] = [
            0xA3, 0x06, reply ? 0x01 : 0x02,  // group, command, response
            0x00, 0x00,  // process mode: no clear; reserved
            0x00, UInt8(areas.count),
        ]  // delete no areas; areas that follow
        for a in areas {
            let b = a.bytes
            data += le16(UInt16(b.count)) + b
        }
        return data
    }

    /// Offset of the text length in an area block: 23 bytes of fields precede it (document §9.1).
    static let textLengthOffset = 23

    /// The text of an A3 06 command's first area, read at the document's offsets, for tests and logs.
    public static func text(in data: [UInt8]) -> [UInt8]? {
        guard data.count >= 9, data[0] == 0xA3, data[1] == 0x06, data[5] == 0, data[6] >= 1 else { return nil }
        let area = Array(data[9...])
        let fixed = textLengthOffset
        guard area.count >= fixed + 4 else { return nil }
        let n = Int(area[fixed]) | Int(area[fixed + 1]) << 8 | Int(area[fixed + 2]) << 16 | Int(area[fixed + 3]) << 24
        guard area.count >= fixed + 4 + n else { return nil }
        return Array(area[(fixed + 4)..<(fixed + 4 + n)])
    }

    /// The display-effect byte of an A3 06 command's first area (document §9.1 offset 19).
    public static func effect(in data: [UInt8]) -> UInt8? {
        guard data.count > 9 + 19 else { return nil }
        return data[9 + 19]
    }
}

/// Sign text as the controller reads it: GB2312, lines joined by the document's `\n` escape in
/// multi-line areas. The document defines escapes that start with `\` (`\F…` font, `\C…` colour,
/// `\n` …) and none for a literal backslash, so a `\` in configured text is sent as the full-width
/// ＼ (GB2312 A3 DC): it looks the same and cannot start an escape.
public enum OnbonText {
    public static let lineBreak: [UInt8] = [0x5C, 0x6E]  // "\n"

    public static func encode(_ lines: [String], multiLine: Bool, separator: String = " ") -> [UInt8] {
        let encoded = lines.map { line -> [UInt8] in
            let safe = line.replacingOccurrences(of: "\\", with: "＼")
            // Characters outside GB2312 were refused at config load; ticket labels are ASCII.
            return GBText.encode(safe, .gb2312) ?? Array(safe.utf8.filter { $0 < 0x80 && $0 != 0x5C })
        }
        let sep = multiLine ? lineBreak : (GBText.encode(separator, .gb2312) ?? [0x20])
        var out: [UInt8] = []
        for (i, l) in encoded.enumerated() {
            if i > 0 { out += sep }
            out += l
        }
        return out
    }
}

func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8)] }
func le32(_ v: UInt32) -> [UInt8] {
    [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF), UInt8((v >> 16) & 0xFF), UInt8(v >> 24)]
}
