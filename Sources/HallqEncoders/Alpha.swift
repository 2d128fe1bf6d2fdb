import Foundation
import HallqCore

/// Alpha Sign Communications Protocol (M-Protocol), "write text file A". Western fonts only:
/// for halls whose signs have no CJK glyphs (their texts are configured in English).
///
/// 5 × 00 | 01 | type "Z" | address 2 ASCII hex | 02 | "A" (write text) | label "A" | 1B |
/// position | mode | text | 03 | checksum 4 ASCII hex (16-bit sum of 02 … 03) | 04
public struct AlphaEncoder: SignEncoder {
    public static let protocolName = "alpha"
    public init() {}
    /// No options: every bus of this protocol is alike.
    public init(bus: BusConfig) {}

    public func frames(for content: SignContent, address: Int, geometry: SignGeometry) -> [[UInt8]] {
        let mode: UInt8 =
            switch content.effect {
            case .hold: UInt8(ascii: "b")
            case .flash: UInt8(ascii: "c")
            case .scroll: UInt8(ascii: "a")
            }
        let text = content.lines.joined(separator: " ").unicodeScalars.map {
            $0.isASCII && $0.value >= 0x20 ? UInt8($0.value) : UInt8(ascii: "?")
        }
        return [Self.frame(address: address, position: 0x20, mode: mode, text: text)]
    }

    public func problem(with text: String) -> String? {
        text.unicodeScalars.allSatisfy { $0.isASCII } ? nil : "has non-ASCII characters, which Alpha signs cannot show"
    }

    public static func frame(address: Int, position: UInt8, mode: UInt8, text: [UInt8]) -> [UInt8] {
        let addr = Array(String(format: "%02X", address & 0xFF).utf8)
        var checked: [UInt8] = [0x02, UInt8(ascii: "A"), UInt8(ascii: "A"), 0x1B, position, mode] + text + [0x03]
        let sum = checked.reduce(UInt16(0)) { $0 &+ UInt16($1) }
        checked += Array(String(format: "%04X", sum).utf8)
        return [0, 0, 0, 0, 0, 0x01, UInt8(ascii: "Z")] + addr + checked + [0x04]
    }

    /// Address, mode and text of a frame whose checksum is right; nil otherwise.
    public static func decode(_ f: [UInt8]) -> (address: Int, mode: UInt8, text: [UInt8])? {
        guard f.count >= 5 + 1 + 1 + 2 + 6 + 1 + 4 + 1, f.prefix(5).allSatisfy({ $0 == 0 }), f[5] == 0x01,
            f.last == 0x04,
            let stx = f.firstIndex(of: 0x02), let etx = f.lastIndex(of: 0x03), etx + 5 == f.count - 1,
            let address = Int(String(decoding: f[7..<9], as: UTF8.self), radix: 16),
            let sum = UInt16(String(decoding: f[(etx + 1)...(etx + 4)], as: UTF8.self), radix: 16),
            f[stx...etx].reduce(UInt16(0), { $0 &+ UInt16($1) }) == sum, etx - stx >= 6
        else { return nil }
        return (address, f[stx + 5], Array(f[(stx + 6)..<etx]))
    }
}
