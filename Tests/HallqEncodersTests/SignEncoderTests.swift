import Foundation
import HallqCore
import Testing

@testable import HallqEncoders

func hex(_ s: String) -> [UInt8] {
    let clean = s.filter { !$0.isWhitespace && $0 != "|" }
    return stride(from: 0, to: clean.count, by: 2).map {
        let i = clean.index(clean.startIndex, offsetBy: $0)
        return UInt8(clean[i...clean.index(after: i)], radix: 16)!
    }
}

@Suite("GB text")
struct GBTextTests {
    @Test("请A012号到3号窗口 is 17 bytes of GB2312, and back")
    func callText() {
        let bytes = GBText.encode("请A012号到3号窗口")
        #expect(bytes == hex("c7eb 41303132 bac5 b5bd 33 bac5 b4b0 bfda"))
        #expect(GBText.decode(bytes!) == "请A012号到3号窗口")
    }

    @Test("characters beyond GB2312 are refused there, accepted in GB18030")
    func beyond() {
        #expect(GBText.encode("😀") == nil)
        #expect(GBText.encode("𠀀", .gb18030)?.count == 4)
        #expect(GBText.encode("") == [])
    }
}

@Suite("Onbon BX-5K/6K")
struct OnbonTests {
    @Test("the published ping frame, byte for byte")
    func ping() {
        #expect(
            OnbonEncoder.frame(to: 1, data: OnbonEncoder.ping)
                == hex("A5A5A5A5A5A5A5A5 | 0100 0080 | 00000000 00 00 FE 02 | 0500 | A2 00 01 00 00 | 68 F8 | 5A"))
    }

    @Test("the published clear-screen frame, byte for byte")
    func clear() {
        #expect(
            OnbonEncoder.frame(to: 1, data: OnbonEncoder.clear)
                == hex("A5A5A5A5A5A5A5A5 | 0100 0080 | 00000000 00 00 FE 02 | 0500 | A3 10 01 00 00 | 51 F8 | 5A"))
    }

    @Test("bytes that look like framing are escaped and come back")
    func escaping() {
        let data: [UInt8] = [0xA5, 0xA6, 0x5A, 0x5B, 0x00]
        let f = OnbonEncoder.frame(to: 0x5AA5, data: data)
        #expect(!f.dropFirst(8).dropLast().contains(0xA5) && !f.dropFirst(8).dropLast().contains(0x5A))
        let d = OnbonEncoder.decode(f)
        #expect(d?.dst == 0x5AA5 && d?.data == data)
        var broken = f
        broken[broken.count - 3] ^= 0x01
        #expect(OnbonEncoder.decode(broken) == nil, "a flipped bit fails the CRC")
    }

    /// ../shared/HARDWARE.md §2: the frame the vendor's Java reference (onbonlab/bx.k.java) builds for
    /// this request, with the documented static effect 01. Not produced by this encoder.
    static let vendorReferenceCall = """
        A5 A5 A5 A5 A5 A5 A5 A5 03 00 00 80 00 00 00 00 00 00 FE 02 35 00 A3 06 01 00 00 00 01 2C 00 00 00 00 00 00 10 00 10
        00 00 00 00 00 00 00 00 00 01 01 01 00 04 0A 11 00 00 00 C7 EB 41 30 31 32 BA C5 B5 BD 33 BA C5 B4 B0 BF DA 76 82 5A
        """

    @Test("a call on window 3 equals the vendor reference's frame byte for byte")
    func vendorGolden() {
        // The vendor's values: header display mode 00, left-aligned, a 128×16 strip in 8-pixel units.
        let enc = OnbonEncoder(options: .init(replies: true, dynamicPriority: false, pixelUnits: false))
        let frames = enc.frames(
            for: SignContent(lines: ["请A012号到3号窗口"], effect: .hold), address: 3,
            geometry: SignGeometry(width: 128, height: 16, align: .left))
        #expect(frames == [hex(Self.vendorReferenceCall)])
        #expect(frames.first?.count == 78)
    }

    /// Document v1.4 §8.2.1, command example 8: a 128×32 area in pixel units (BX-6K3), "欢迎光临",
    /// multi-line, manual new line, static, speed 02, stay 0A, timeout 10 s, to the wildcard address.
    static let documentExample8 = """
        a5 a5 a5 a5 a5 a5 a5 a5 fe ff 00 80 00 00 00 00 00 00 fe 02 2c 00 a3 06 01 00 00 00 01 23 00 00 00 80 00 00 80
        80 20 00 00 00 00 0a 00 00 00 00 02 01 01 00 02 0a 08 00 00 00 bb b6 d3 ad b9 e2 c1 d9 3c 49 5a
        """

    @Test("the document's own A3 06 example: data field and whole frame, pixel units")
    func documentExample() throws {
        var area = OnbonDynamicArea(
            width: 128, height: 32, effect: .staticText, text: try #require(GBText.encode("欢迎光临")))
        area.pixelUnits = true
        area.timeout = 10
        area.singleLine = false
        area.newLine = .manual
        area.speed = 2
        area.stay = 0x0A
        let data = OnbonDynamicArea.command([area], reply: true)
        let frame = hex(Self.documentExample8)
        #expect(data == Array(frame[22..<(frame.count - 3)]), "the data field")
        #expect(OnbonEncoder.frame(to: 0xFFFE, displayMode: .normal, data: data) == frame)
    }

    @Test("the document's ACK and NACK replies (nine A5) are read; garbage before them is skipped")
    func replies() {
        let ack = hex("A5 A5 A5 A5 A5 A5 A5 A5 A5 00 80 FE FF 00 00 00 00 00 00 FE 02 05 00 A0 00 00 00 00 14 AC 5A")
        let nack = hex("A5 A5 A5 A5 A5 A5 A5 A5 A5 00 80 FE FF 00 00 00 00 00 00 FE 02 05 00 A0 01 05 00 00 05 51 5A")
        #expect(OnbonEncoder.decode(ack)?.data == [0xA0, 0x00, 0x00, 0x00, 0x00])
        #expect(OnbonEncoder.reply(in: ack) == .ack)
        #expect(OnbonEncoder.reply(in: [0x00, 0x13] + ack) == .ack)
        guard case let .refused(why)? = OnbonEncoder.reply(in: nack) else {
            Issue.record("NACK not refused")
            return
        }
        #expect(why.contains("5 (CRC16 checksum error)"))
        #expect(OnbonEncoder.reply(in: Array(ack.dropLast(4))) == nil, "incomplete: wait for more")
        var bad = ack
        bad[bad.count - 2] ^= 0xFF
        #expect(OnbonEncoder.reply(in: bad) == .refused("unreadable reply (framing or CRC)"))
        #expect(OnbonEncoder().expectsReply && !OnbonEncoder(options: .init(replies: false)).expectsReply)
    }

    @Test("response byte 02 when replies are off; header display mode 01 by default")
    func optionsInFrame() throws {
        let content = SignContent(lines: ["请A012号到3号窗口"], effect: .flash)
        let g = SignGeometry(width: 128, height: 16)
        let quiet = try #require(
            OnbonEncoder(options: .init(replies: false)).frames(for: content, address: 3, geometry: g).first)
        #expect(quiet[24] == 0x02, "response: no reply")
        let normal = try #require(OnbonEncoder().frames(for: content, address: 3, geometry: g).first)
        #expect(normal[8 + 9] == 0x01, "header display mode: dynamic areas first")
        #expect(normal[24] == 0x01)
    }

    @Test("every effect hallq sends is one the document defines (01–06); a fresh call types out")
    func effects() throws {
        let enc = OnbonEncoder()
        let g = SignGeometry(width: 256, height: 16)
        for effect in [SignContent.Effect.hold, .flash, .scroll] {
            let d = try #require(
                OnbonEncoder.decode(
                    enc.frames(for: .init(lines: ["受理：资质认定"], effect: effect), address: 1, geometry: g)[0]))
            let byte = try #require(OnbonDynamicArea.effect(in: d.data))
            #expect((1...6).contains(byte), "\(effect): \(byte)")
        }
        let flash = try #require(
            OnbonEncoder.decode(
                enc.frames(for: .init(lines: ["请A012号到3号窗口"], effect: .flash), address: 3, geometry: g)[0]))
        #expect(OnbonDynamicArea.effect(in: flash.data) == 0x02)
        #expect(enc.problem(with: "😀") != nil && enc.problem(with: "暂停服务") == nil)
    }

    @Test("multi-line areas break lines with the document's \\n escape; a backslash cannot start an escape")
    func lineBreaksAndBackslash() throws {
        let enc = OnbonEncoder()
        let lobby = try #require(
            OnbonEncoder.decode(
                enc.frames(
                    for: .init(lines: ["A012 → 3号窗口", "资质认定 等候 2 人"], effect: .scroll), address: 20,
                    geometry: SignGeometry(width: 256, height: 64, align: .left))[0]))
        let text = try #require(OnbonDynamicArea.text(in: lobby.data))
        let first = try #require(GBText.encode("A012 → 3号窗口"))
        let second = try #require(GBText.encode("资质认定 等候 2 人"))
        #expect(text == first + [0x5C, 0x6E] + second)
        let strip = try #require(
            OnbonEncoder.decode(
                enc.frames(
                    for: .init(lines: ["C:\\new"], effect: .hold), address: 1,
                    geometry: SignGeometry(width: 128, height: 16))[0]))
        #expect(OnbonDynamicArea.text(in: strip.data) == [0x43, 0x3A, 0xA3, 0xDC] + Array("new".utf8))
    }
}

@Suite("Alpha M-Protocol")
struct AlphaTests {
    @Test("golden write-text frame with checksum")
    func golden() {
        let f = AlphaEncoder.frame(address: 3, position: 0x20, mode: UInt8(ascii: "c"), text: Array("A012 TO 3".utf8))
        // 02 41 41 1B 20 63 "A012 TO 3" 03 → sum = 0x02+0x41+0x41+0x1B+0x20+0x63 + text + 0x03
        let sum = ([0x02, 0x41, 0x41, 0x1B, 0x20, 0x63] + Array("A012 TO 3".utf8) + [0x03]).reduce(0) { $0 + Int($1) }
        #expect(
            f == [0, 0, 0, 0, 0, 0x01, 0x5A, 0x30, 0x33, 0x02, 0x41, 0x41, 0x1B, 0x20, 0x63] + Array("A012 TO 3".utf8)
                + [0x03] + Array(String(format: "%04X", sum).utf8) + [0x04])
        let d = AlphaEncoder.decode(f)
        #expect(d?.address == 3 && d?.mode == UInt8(ascii: "c") && d?.text == Array("A012 TO 3".utf8))
        var bad = f
        bad[16] ^= 0x01
        #expect(AlphaEncoder.decode(bad) == nil)
    }

    @Test("non-ASCII cannot be shown and is reported")
    func ascii() {
        #expect(AlphaEncoder().problem(with: "请") != nil)
        let f = AlphaEncoder().frames(
            for: .init(lines: ["Ticket A012 to window 3"], effect: .flash), address: 3,
            geometry: .init(width: 128, height: 16))[0]
        #expect(AlphaEncoder.decode(f)?.text == Array("Ticket A012 to window 3".utf8))
    }
}

@Suite("plain lines")
struct PlainTests {
    @Test func line() {
        let f = PlainEncoder().frames(
            for: .init(lines: ["请A012号到3号窗口"], effect: .flash), address: 3, geometry: .init(width: 1, height: 1))
        #expect(f == [hex("c7eb 41303132 bac5 b5bd 33 bac5 b4b0 bfda 0d0a")])
    }
}
