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
        #expect(OnbonEncoder.frame(to: 1, data: OnbonEncoder.ping)
            == hex("A5A5A5A5A5A5A5A5 | 0100 0080 | 00000000 00 00 FE 02 | 0500 | A2 00 01 00 00 | 68 F8 | 5A"))
    }

    @Test("the published clear-screen frame, byte for byte")
    func clear() {
        #expect(OnbonEncoder.frame(to: 1, data: OnbonEncoder.clear)
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

    @Test("a call on window 3: address 3, CRC good, GB2312 text, flash effect")
    func callFrame() throws {
        let content = SignContent(lines: ["请A012号到3号窗口"], effect: .flash)
        let frames = OnbonEncoder().frames(for: content, address: 3, geometry: SignGeometry(width: 128, height: 16))
        #expect(frames.count == 1)
        let d = try #require(OnbonEncoder.decode(frames[0]))
        #expect(d.dst == 3 && d.src == 0x8000)
        let text = try #require(OnbonDynamicArea.text(in: d.data))
        #expect(GBText.decode(text) == "请A012号到3号窗口")
        #expect(OnbonDynamicArea.effect(in: d.data) == OnbonDynamicArea.Effect.flash.rawValue)
    }

    @Test("idle scope text scrolls; held text stays")
    func effects() throws {
        let enc = OnbonEncoder()
        let g = SignGeometry(width: 256, height: 32)
        let scroll = try #require(OnbonEncoder.decode(enc.frames(for: .init(lines: ["受理：资质认定"], effect: .scroll), address: 1, geometry: g)[0]))
        #expect(OnbonDynamicArea.effect(in: scroll.data) == OnbonDynamicArea.Effect.scrollLeft.rawValue)
        let hold = try #require(OnbonEncoder.decode(enc.frames(for: .init(lines: ["暂停服务"], effect: .hold), address: 1, geometry: g)[0]))
        #expect(OnbonDynamicArea.effect(in: hold.data) == OnbonDynamicArea.Effect.staticText.rawValue)
        #expect(enc.problem(with: "😀") != nil && enc.problem(with: "暂停服务") == nil)
    }
}

@Suite("Alpha M-Protocol")
struct AlphaTests {
    @Test("golden write-text frame with checksum")
    func golden() {
        let f = AlphaEncoder.frame(address: 3, position: 0x20, mode: UInt8(ascii: "c"), text: Array("A012 TO 3".utf8))
        // 02 41 41 1B 20 63 "A012 TO 3" 03 → sum = 0x02+0x41+0x41+0x1B+0x20+0x63 + text + 0x03
        let sum = ([0x02, 0x41, 0x41, 0x1B, 0x20, 0x63] + Array("A012 TO 3".utf8) + [0x03]).reduce(0) { $0 + Int($1) }
        #expect(f == [0, 0, 0, 0, 0, 0x01, 0x5A, 0x30, 0x33, 0x02, 0x41, 0x41, 0x1B, 0x20, 0x63] + Array("A012 TO 3".utf8)
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
        let f = AlphaEncoder().frames(for: .init(lines: ["Ticket A012 to window 3"], effect: .flash), address: 3, geometry: .init(width: 128, height: 16))[0]
        #expect(AlphaEncoder.decode(f)?.text == Array("Ticket A012 to window 3".utf8))
    }
}

@Suite("plain lines")
struct PlainTests {
    @Test func line() {
        let f = PlainEncoder().frames(for: .init(lines: ["请A012号到3号窗口"], effect: .flash), address: 3, geometry: .init(width: 1, height: 1))
        #expect(f == [hex("c7eb 41303132 bac5 b5bd 33 bac5 b4b0 bfda 0d0a")])
    }
}
