import HallqCore

/// Onbon BX-5K/6K controllers (the common Chinese LED card with a public protocol that shows
/// Chinese text). See hardware/HARDWARE.md.
///
/// Frame: 8 × A5 | dst u16 LE | src u16 LE | 4 reserved | check mode (0 = CRC16) | display mode |
/// device type FE | version 02 | data length u16 LE | data | CRC16 LE | 5A. The CRC (CRC-16/ARC)
/// covers dst … end of data; everything between header and tail is escaped.
public struct OnbonEncoder: SignEncoder {
    public let name = "onbon"
    public init() {}

    /// The PC's address as source: the value the vendor's tools use.
    public static let hostAddress: UInt16 = 0x8000

    public func frames(for content: SignContent, address: Int, geometry: SignGeometry) -> [[UInt8]] {
        let text = content.lines.joined(separator: content.effect == .scroll ? "   " : " ")
        return [Self.frame(to: UInt16(truncatingIfNeeded: address), data: OnbonDynamicArea(content: content, text: text, geometry: geometry).bytes)]
    }

    public func problem(with text: String) -> String? {
        GBText.encode(text, .gb2312) == nil ? "has characters outside GB2312, which Onbon controllers cannot show" : nil
    }

    /// Command data for "ping" (A2 00): the published golden frame.
    public static let ping: [UInt8] = [0xA2, 0x00, 0x01, 0x00, 0x00]
    /// Command data for "clear screen" (A3 10).
    public static let clear: [UInt8] = [0xA3, 0x10, 0x01, 0x00, 0x00]

    public static func frame(to dst: UInt16, from src: UInt16 = hostAddress, data: [UInt8]) -> [UInt8] {
        var body: [UInt8] = []
        body += le16(dst) + le16(src)
        body += [0, 0, 0, 0]             // reserved
        body += [0x00, 0x00, 0xFE, 0x02] // check mode CRC16, display mode, device type, version
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

    /// Reads one frame back: destination and command data, or nil when the framing or CRC is
    /// wrong. For tests and for controller replies.
    public static func decode(_ frame: [UInt8]) -> (dst: UInt16, src: UInt16, data: [UInt8])? {
        guard frame.count >= 8 + 1, frame.prefix(8).allSatisfy({ $0 == 0xA5 }), frame.last == 0x5A else { return nil }
        var body: [UInt8] = []
        var i = 8
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
        return (UInt16(body[0]) | UInt16(body[1]) << 8, UInt16(body[2]) | UInt16(body[3]) << 8, Array(body[14..<(14 + len)]))
    }
}

/// The dynamic-area ("real-time text") command A3 06 with one text area.
///
/// Field order and meanings follow the BX-5K/6K protocol document as published by the vendor
/// and one open implementation; they have not been checked against a physical controller yet.
/// Every field is set here and only here, so a correction after meeting a real card is one edit.
public struct OnbonDynamicArea: Sendable, Equatable {
    public enum Effect: UInt8, Sendable {
        case staticText = 0x01
        case scrollLeft = 0x03
        case flash = 0x0A
    }
    public var areaID: UInt8 = 0
    public var x8: UInt16 = 0          // X in 8-pixel units
    public var y: UInt16 = 0
    public var width8: UInt16          // width in 8-pixel units
    public var height: UInt16
    public var runMode: UInt8 = 0x00   // loop the content until replaced
    public var timeout: UInt16 = 0
    public var singleLine: Bool = true
    public var effect: Effect
    public var speed: UInt8 = 4        // 1 fastest … 24 slowest
    public var stay: UInt8 = 10        // stay time in 0.5 s steps
    public var text: [UInt8]

    public init(content: SignContent, text: String, geometry: SignGeometry) {
        width8 = UInt16(max(1, geometry.width / 8))
        height = UInt16(geometry.height)
        singleLine = geometry.height <= 16
        switch content.effect {
        case .hold: effect = .staticText
        case .flash: effect = .flash
        case .scroll: effect = .scrollLeft
        }
        // Characters outside GB2312 were refused at config load; ticket labels are ASCII.
        self.text = GBText.encode(text, .gb2312) ?? Array(text.utf8.filter { $0 < 0x80 })
    }

    public var bytes: [UInt8] {
        var area: [UInt8] = [0x00]                       // area type: text
        area += le16(x8) + le16(y) + le16(width8) + le16(height)
        area += [areaID, 0x00, runMode]                  // id, line spacing, run mode
        area += le16(timeout)
        area += [0x00, 0x00]                             // sound off, no extended parameters
        area += [singleLine ? 0x01 : 0x02, 0x01]         // single/multi line, auto newline
        area += [effect.rawValue, 0x00, speed, stay]     // display effect, exit effect, speed, stay
        area += le32(UInt32(text.count)) + text
        return [0xA3, 0x06, 0x01, 0x00, 0x00,            // command group, command, reply wanted, reserved
                0x00, 0x01]                              // delete no areas, one area follows
            + le16(UInt16(area.count)) + area
    }

    /// The text of an A3 06 command's first area, for tests and logs.
    public static func text(in data: [UInt8]) -> [UInt8]? {
        guard data.count >= 9, data[0] == 0xA3, data[1] == 0x06, data[6] == 1 else { return nil }
        let area = Array(data[9...])
        let fixed = 1 + 8 + 3 + 2 + 2 + 2 + 4      // up to the u32 text length
        guard area.count >= fixed + 4 else { return nil }
        let n = Int(area[fixed]) | Int(area[fixed + 1]) << 8 | Int(area[fixed + 2]) << 16 | Int(area[fixed + 3]) << 24
        guard area.count == fixed + 4 + n else { return nil }
        return Array(area[(fixed + 4)...])
    }

    /// The effect byte of an A3 06 command's first area.
    public static func effect(in data: [UInt8]) -> UInt8? {
        guard data.count > 9 + 18 else { return nil }
        return data[9 + 18]
    }
}

func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8)] }
func le32(_ v: UInt32) -> [UInt8] { [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF), UInt8((v >> 16) & 0xFF), UInt8(v >> 24)] }
