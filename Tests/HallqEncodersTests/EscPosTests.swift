import HallqCore
import Testing

@testable import HallqEncoders

/// Reads ESC/POS back: the printed lines with their size and weight, the QR payload, the cut.
/// Written from the command table in HARDWARE.md, independently of the encoder.
struct EscPosReading: Equatable {
    struct Line: Equatable {
        var text: String
        var width: Int
        var height: Int
        var bold: Bool
        var centred: Bool
        var fontB = false
    }
    var lines: [Line] = []
    var qr: String?
    var cut = false
    var initialised = false
    var chinese = false
    var unknown: [UInt8] = []

    init(_ b: [UInt8]) {
        var i = 0
        var w = 1
        var h = 1
        var bold = false
        var align: UInt8 = 0
        var fontB = false
        var text: [UInt8] = []
        func flush() {
            lines.append(
                Line(
                    text: GBText.decode(text, .gb18030) ?? "?", width: w, height: h, bold: bold, centred: align == 1,
                    fontB: fontB))
            text = []
        }
        while i < b.count {
            switch b[i] {
            case 0x1B where i + 1 < b.count && b[i + 1] == 0x40:
                initialised = true
                i += 2
            case 0x1B where i + 2 < b.count && b[i + 1] == 0x61:
                align = b[i + 2]
                i += 3
            case 0x1B where i + 2 < b.count && b[i + 1] == 0x45:
                bold = b[i + 2] == 1
                i += 3
            case 0x1B where i + 2 < b.count && b[i + 1] == 0x64: i += 3
            // ESC M n: character font (Epson's ESC/POS reference; n = 0 or 48 Font A, 1 or 49 B).
            case 0x1B where i + 2 < b.count && b[i + 1] == 0x4D:
                fontB = b[i + 2] == 1 || b[i + 2] == 49
                i += 3
            case 0x1C where i + 1 < b.count && b[i + 1] == 0x26:
                chinese = true
                i += 2
            case 0x1D where i + 2 < b.count && b[i + 1] == 0x21:
                w = Int(b[i + 2] >> 4) + 1
                h = Int(b[i + 2] & 0x0F) + 1
                i += 3
            case 0x1D where i + 3 < b.count && b[i + 1] == 0x56:
                cut = true
                i += 4
            case 0x1D where i + 4 < b.count && b[i + 1] == 0x28 && b[i + 2] == 0x6B:
                let n = Int(b[i + 3]) | Int(b[i + 4]) << 8
                if i + 7 < b.count, b[i + 6] == 0x50 { qr = String(decoding: b[(i + 8)..<(i + 5 + n)], as: UTF8.self) }
                i += 5 + n
            case 0x0A:
                flush()
                i += 1
            case 0x00..<0x20:
                unknown.append(b[i])
                i += 1
            default:
                text.append(b[i])
                i += 1
            }
        }
    }
}

@Suite("ESC/POS tickets")
struct EscPosTests {
    func layout(qr: String? = nil) -> TicketLayout {
        TicketLayout(
            lines: [
                .init("省市场监管局政务服务大厅", .title), .init("检验检测机构资质认定", .normal), .init("A012", .big),
                .init("前面还有 4 人等候", .normal), .init("预计等候约 9 分钟", .normal), .init("2026-11-30 09:02:03", .small),
            ],
            label: "A012", qr: qr, footer: "请留意叫号，过号请到服务台")
    }

    @Test("80 mm: Chinese text in GB18030, a 4×4 bold number, QR, cut", arguments: [PrinterProfile.mm80])
    func mm80(profile: PrinterProfile) {
        let bytes = EscPos.ticket(layout(qr: "https://hall.example/t/2026-11-30/A012"), profile: profile)
        let r = EscPosReading(bytes)
        #expect(r.initialised && r.chinese && r.cut && r.unknown.isEmpty)
        #expect(
            r.lines.map(\.text) == [
                "省市场监管局政务服务大厅", "检验检测机构资质认定", "A012", "前面还有 4 人等候", "预计等候约 9 分钟",
                "2026-11-30 09:02:03", "", "请留意叫号，过号请到服务台",
            ])
        let number = r.lines[2]
        #expect(number.width == 4 && number.height == 4 && number.bold && number.centred)
        #expect(r.lines[0].width == 2 && r.lines[3].width == 1)
        // The issue time is small print (Font B); the lines around it are not.
        #expect(r.lines[5].fontB && !r.lines[4].fontB && !r.lines[6].fontB)
        #expect(r.qr == "https://hall.example/t/2026-11-30/A012")
        #expect(Array(bytes.prefix(4)) == [0x1B, 0x40, 0x1C, 0x26])
        #expect(Array(bytes.suffix(4)) == [0x1D, 0x56, 0x42, 0x00])
    }

    @Test("58 mm: 3×3 number, no cutter so no cut command")
    func mm58() {
        let r = EscPosReading(EscPos.ticket(layout(), profile: .mm58))
        #expect(!r.cut && r.qr == nil)
        #expect(r.lines[2].text == "A012" && r.lines[2].width == 3)
    }

    @Test("golden bytes for a minimal ticket")
    func golden() {
        let bytes = EscPos.ticket(TicketLayout(lines: [.init("请A012号", .big)], label: "A012"), profile: .mm80)
        #expect(
            bytes == [
                0x1B, 0x40, 0x1C, 0x26, 0x1B, 0x61, 0x01,
                0x1B, 0x45, 0x01, 0x1D, 0x21, 0x33, 0xC7, 0xEB, 0x41, 0x30, 0x31, 0x32, 0xBA, 0xC5, 0x0A,
                0x1B, 0x45, 0x00, 0x1D, 0x21, 0x00, 0x1B, 0x61, 0x00, 0x1B, 0x64, 0x03, 0x1D, 0x56, 0x42, 0x00,
            ])
    }

    @Test("QR store length counts payload + 3")
    func qrLength() {
        let q = EscPos.qr(Array("ABC".utf8))
        let store = q[25..<36]  // after model (9), size (8) and error level (8)
        #expect(Array(store) == [0x1D, 0x28, 0x6B, 0x06, 0x00, 0x31, 0x50, 0x30, 0x41, 0x42, 0x43])
    }

    @Test("text beyond GBK is reported")
    func problems() {
        #expect(EscPos.problem(with: "请A012号") == nil)
        #expect(EscPos.problem(with: "😀") != nil)
    }
}
