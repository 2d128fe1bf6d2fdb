import Crypto
import Foundation
import HallqTestKit
import Testing

@testable import HallqEncoders

/// Goldens: every frame printed in ../shared/HARDWARE.md §5 and its synthetic golden read (the
/// first 288 bytes as the document prints them, its length, checksum and SHA-256), byte for byte.
/// The `I` and `J` blocks are written from the layout tables of that section, field by field at
/// their offsets (`IdCardFixtures.textBlock`, test code): not by any encoder of hallq's.
@Suite("ID-card reader frames (SAM)")
struct IdCardTests {
    /// The document's golden read (HallqTestKit keeps its bytes as the document prints them).
    static let golden = IdCardFixtures.golden

    @Test("the golden read is the document's: 1,295 bytes and its SHA-256")
    func goldenIsTheDocuments() {
        #expect(Self.golden.count == 1295)
        let digest = SHA256.hash(data: Data(Self.golden)).map { String(format: "%02x", $0) }.joined()
        #expect(digest == "5e602f3c8981df4f44ba97d8f3b2be6dae59ebfcff1401128e594e4f47701633")
    }

    @Test("commands, byte for byte as the document lists them")
    func commands() {
        let p = "AA AA AA 96 69 "
        #expect(IdCardProtocol.frame(.resetSAM) == hex(p + "00 03 10 FF EC"))
        #expect(IdCardProtocol.frame(.samStatus) == hex(p + "00 03 11 FF ED"))
        #expect(IdCardProtocol.frame(.samID) == hex(p + "00 03 12 FF EE"))
        #expect(IdCardProtocol.frame(.findCard) == hex(p + "00 03 20 01 22"))
        #expect(IdCardProtocol.frame(.selectCard) == hex(p + "00 03 20 02 21"))
        #expect(IdCardProtocol.frame(.readText) == hex(p + "00 03 30 01 32"))
        #expect(IdCardProtocol.frame(.readNewAddress) == hex(p + "00 03 30 03 30"))
        #expect(IdCardProtocol.frame(.readWithFingerprint) == hex(p + "00 03 30 10 23"))
    }

    @Test(
        "every short reply in the document decodes to its SW3",
        arguments: [
            ("00 04 00 00 90 94", IdCardProtocol.Status.ok, 0),
            ("00 08 00 00 9F 00 00 00 00 97", .found, 4),
            ("00 04 00 00 80 84", .noCard, 0),
            ("00 0C 00 00 90 00 00 00 00 00 00 00 00 9C", .ok, 8),
            ("00 04 00 00 81 85", .selectFailed, 0),
            ("00 04 00 00 41 45", .readFailed, 0),
            ("00 04 00 00 91 95", .noSuchContent, 0),
            ("00 04 00 00 32 36", .samDidNotAuthenticateCard, 0),
        ])
    func replies(_ tail: String, _ status: IdCardProtocol.Status, _ dataCount: Int) {
        var r = IdCardFrameReader()
        let items = r.feed(hex("AA AA AA 96 69 " + tail))
        guard case let .reply(reply)? = items.first, items.count == 1 else {
            Issue.record("no single reply: \(items)")
            return
        }
        #expect(reply.status == status)
        #expect(reply.data.count == dataCount)
        #expect(r.pending == 0)
    }

    @Test("the golden read parses to the fictitious person of the document; the photo is skipped")
    func goldenRead() throws {
        var r = IdCardFrameReader()
        let items = r.feed(Self.golden)
        guard case let .reply(reply)? = items.first, items.count == 1 else {
            Issue.record("no single reply: \(items)")
            return
        }
        let card = try IdCardText.parse(reply)
        #expect(card.kind == .resident)
        #expect(card.name == "张三")
        #expect(card.sex == "1")
        #expect(card.nation == "01")
        #expect(card.birth == "19491231")
        #expect(card.address == "北京市朝阳区测试路1号")
        #expect(card.number == "11010519491231002X")
        #expect(card.issuer == "北京市公安局朝阳分局")
        #expect(card.validFrom == "20200101" && card.validTo == "20400101")
        #expect(!card.longTerm)
    }

    @Test("the golden read arrives in 64-byte chunks after leading garbage and a vendor frame")
    func chunksAndGarbage() {
        var r = IdCardFrameReader()
        // `AA 00 AA AA 96 69` (seen in the field) is not a preamble; nor is the vendor's AA AA AA 69 96.
        let stream = hex("AA 00 AA AA AA 69 96 00 03 01 02 03") + Self.golden
        var items: [IdCardFrameReader.Item] = []
        var i = 0
        while i < stream.count {
            items += r.feed(Array(stream[i..<min(i + 64, stream.count)]))
            i += 64
        }
        #expect(items.count == 1)
        if case let .reply(reply)? = items.first { #expect(reply.data.count == 1295 - 10 - 1) }
    }

    @Test("a flipped checksum is dropped; a truncated frame waits and yields nothing")
    func badFrames() {
        var flipped = Self.golden
        flipped[1294] ^= 0x01
        var r = IdCardFrameReader()
        #expect(r.feed(flipped) == [.badChecksum])
        var t = IdCardFrameReader()
        #expect(t.feed(Array(Self.golden.prefix(1000))).isEmpty)
        #expect(t.pending == 1000)
        // Then the rest arrives.
        #expect(t.feed(Array(Self.golden.suffix(295))).count == 1)
        // A data byte changed: the XOR no longer matches.
        var changed = hex("AA AA AA 96 69 00 04 00 00 90 94")
        changed[9] = 0x80
        var c = IdCardFrameReader()
        #expect(c.feed(changed) == [.badChecksum])
    }

    @Test("an I card (foreigner's permanent residence, 2017) by its layout table")
    func foreignerCard() {
        let text = IdCardFixtures.textBlock([
            (0, "ZHANG SAN JOHN"), (120, "1"), (122, "USA110049123101"), (152, "USA"), (158, "张约翰"),
            (188, "20200101"), (204, "20300101"), (220, "19491231"), (236, "02"), (240, "1500"), (248, "I"),
        ])
        let card = IdCardText.parseText(text)
        #expect(card.kind == .foreigner)
        #expect(card.name == "张约翰" && card.englishName == "ZHANG SAN JOHN")
        #expect(card.number == "USA110049123101" && card.nation == "USA")
        #expect(card.birth == "19491231" && card.validTo == "20300101")
    }

    @Test("a J card (HK/Macao/Taiwan residence permit) and 长期 validity; an unknown type letter is read on")
    func permitCard() throws {
        let fields: [(Int, String)] = [
            (0, "李四"), (30, "2"), (36, "19800101"), (52, "广东省深圳市测试路2号"), (122, "810000198001010028"),
            (158, "深圳市公安局"), (188, "20200101"), (204, "长期"), (220, "H12345678"), (238, "01"), (248, "J"),
        ]
        let card = IdCardText.parseText(IdCardFixtures.textBlock(fields))
        #expect(card.kind == .permit)
        #expect(card.name == "李四" && card.number == "810000198001010028")
        #expect(card.longTerm)
        var other = fields
        other[other.count - 1] = (248, "Y")
        #expect(IdCardText.parseText(IdCardFixtures.textBlock(other)).kind == .other("Y"))
        // As a 30 10 reply with a 512-byte fingerprint: parsed by its three lengths.
        let data =
            hex("01 00 04 00 02 00") + IdCardFixtures.textBlock(fields) + [UInt8](repeating: 0, count: 1024 + 512)
        let reply = IdCardReply(sw1: 0, sw2: 0, sw3: 0x90, data: data)
        #expect(try IdCardText.parse(reply).number == "810000198001010028")
    }
}
