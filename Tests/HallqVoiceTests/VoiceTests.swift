import Foundation
import Testing

@testable import HallqVoice

@Suite("voice: phrases")
struct PhraseTests {
    @Test("请A012号到3号窗口办理, digit by digit")
    func call() throws {
        #expect(
            try PhraseBuilder.clips(template: "请{ticket}号到{window}号窗口办理", ticket: "A012", window: 3, reading: .digits)
                == ["请", "A", "零", "一", "二", "号", "到", "三", "号", "窗口", "办理"])
    }

    @Test("as a number; two-letter prefixes; windows above ten")
    func numbers() throws {
        #expect(
            try PhraseBuilder.clips(template: "{ticket}", ticket: "A012", window: 1, reading: .number) == [
                "A", "十", "二",
            ])
        #expect(
            try PhraseBuilder.clips(template: "{ticket}", ticket: "GB105", window: 1, reading: .number) == [
                "G", "B", "一", "百", "零", "五",
            ])
        #expect(
            try PhraseBuilder.clips(template: "到{window}号窗口", ticket: "A1", window: 12, reading: .digits) == [
                "到", "十", "二", "号", "窗口",
            ])
        #expect(PhraseBuilder.number(20) == ["二", "十"])
        #expect(PhraseBuilder.number(1010) == ["一", "千", "零", "一", "十"])
        #expect(PhraseBuilder.number(0) == ["零"])
    }

    @Test("the recall phrase and other wording; a word without a clip is refused with the character")
    func templates() throws {
        #expect(
            try PhraseBuilder.clips(template: "重呼 请{ticket}号到{window}号窗口办理", ticket: "B7", window: 2, reading: .digits)
                == ["重呼", "请", "B", "七", "号", "到", "二", "号", "窗口", "办理"])
        #expect(
            try PhraseBuilder.clips(template: "请再次 {ticket}号 到{window}号窗口", ticket: "C1", window: 1, reading: .digits)
                == ["请再次", "C", "一", "号", "到", "一", "号", "窗口"])
        #expect(throws: PhraseBuilder.Failure.self) {
            try PhraseBuilder.clips(template: "请{ticket}号到柜台", ticket: "A1", window: 1, reading: .digits)
        }
    }
}

@Suite("voice: rendering and clip packs")
struct RenderTests {
    /// A tiny pack: every clip a different length, so any mistake shows in the sample count.
    static func pack() -> ClipPack {
        var clips: [String: [Int16]] = [:]
        for (i, name) in Vocabulary.all.enumerated() { clips[name] = Array(repeating: Int16(i + 1), count: 10 + i) }
        return ClipPack(rate: 1000, clips: clips)
    }

    @Test("chime + pause + (phrase, pause) × repeats, to the sample")
    func lengths() {
        let p = Self.pack()
        let phrase = ["请", "A", "零", "号"]
        let words = phrase.reduce(0) { $0 + p.clips[$1]!.count }
        let one = words + 3 * 40  // three 40 ms gaps at 1 kHz
        let chime = p.clips["chime"]!.count
        for repeats in 1...3 {
            let out = Renderer.render(phrase, pack: p, repeats: repeats)
            #expect(out.count == chime + 300 + repeats * one + (repeats - 1) * 700)
            #expect(out.count == Renderer.length(phrase, pack: p, repeats: repeats))
        }
        let out = Renderer.render(phrase, pack: p, repeats: 1)
        #expect(Array(out.prefix(chime)) == p.clips["chime"]!)
        #expect(Array(out[(chime + 300)...].prefix(p.clips["请"]!.count)) == p.clips["请"]!)
        #expect(Renderer.render(["请"], pack: p, repeats: 1, volume: 0).allSatisfy { $0 == 0 })
    }

    @Test("WAV round trip; a pack on disk loads; a stereo clip is refused with its name")
    func files() throws {
        let dir = URL(fileURLWithPath: "/tmp/hq-pack-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: dir) }
        let p = Self.pack()
        try ClipPackFiles.write(p, to: dir, fileNames: [:])
        #expect(try ClipPackFiles.load(dir) == p)
        var stereo = Wave.encode([1, 2, 3, 4], rate: 1000)
        stereo[22] = 2  // channels
        try Data(stereo).write(to: dir.appendingPathComponent("号.wav"))
        #expect { try ClipPackFiles.load(dir) } throws: { "\($0)".contains("号") && "\($0)".contains("2 channels") }
        #expect(Wave.trimmed([0, 5, 900, 0, -800, 3, 0]) == [900, 0, -800])
        #expect(Wave.chime(rate: 1000).count == 1100)
    }
}
