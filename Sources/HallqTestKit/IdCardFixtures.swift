import Foundation

/// ID-card reads for the reader tests: the synthetic golden read printed in
/// ../shared/HARDWARE.md §5 (its first 288 bytes as the document prints them; the rest zero and
/// the checksum D8), and reads of other fictitious people built from the same section's layout
/// table (fields in UCS-2 at their offsets, LEN and XOR by its rules).
public enum IdCardFixtures {
    static let goldenHead = """
        AA AA AA 96 69 05 08 00 00 90 01 00 04 00 20 5F 09 4E 20 00 20 00 20 00 20 00 20 00 20 00 20 00
        20 00 20 00 20 00 20 00 20 00 20 00 31 00 30 00 31 00 31 00 39 00 34 00 39 00 31 00 32 00 33 00
        31 00 17 53 AC 4E 02 5E 1D 67 33 96 3A 53 4B 6D D5 8B EF 8D 31 00 F7 53 20 00 20 00 20 00 20 00
        20 00 20 00 20 00 20 00 20 00 20 00 20 00 20 00 20 00 20 00 20 00 20 00 20 00 20 00 20 00 20 00
        20 00 20 00 20 00 20 00 31 00 31 00 30 00 31 00 30 00 35 00 31 00 39 00 34 00 39 00 31 00 32 00
        33 00 31 00 30 00 30 00 32 00 58 00 17 53 AC 4E 02 5E 6C 51 89 5B 40 5C 1D 67 33 96 06 52 40 5C
        20 00 20 00 20 00 20 00 20 00 32 00 30 00 32 00 30 00 30 00 31 00 30 00 31 00 32 00 30 00 34 00
        30 00 30 00 31 00 30 00 31 00 20 00 20 00 20 00 20 00 20 00 20 00 20 00 20 00 20 00 20 00 20 00
        20 00 20 00 20 00 20 00 20 00 20 00 20 00 57 4C 66 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
        """

    /// The document's golden read: 张三, born 1949-12-31, 11010519491231002X, 北京市朝阳区测试路1号.
    public static let golden: [UInt8] = {
        let head = goldenHead.split(whereSeparator: { $0 == " " || $0 == "\n" }).map { UInt8($0, radix: 16)! }
        return head + [UInt8](repeating: 0, count: 1294 - 288) + [0xD8]
    }()

    public static let goldenName = "张三"
    public static let goldenNumber = "11010519491231002X"
    public static let goldenAddress = "北京市朝阳区测试路1号"

    /// A 256-byte text block of spaces with each field written at its offset (the layout table's),
    /// in UCS-2 little-endian.
    public static func textBlock(_ fields: [(offset: Int, text: String)]) -> [UInt8] {
        var b = [UInt8](repeating: 0, count: 256)
        for i in stride(from: 0, to: 256, by: 2) { b[i] = 0x20 }
        for (offset, text) in fields {
            for (k, u) in ucs2(text).enumerated() { b[offset + k] = u }
        }
        return b
    }

    /// A resident card's 30 01 reply for a fictitious person (no photo content: 1,024 zero bytes).
    public static func residentRead(
        name: String, birth: String, number: String, address: String = "上海市浦东新区测试路2号",
        sex: String = "2"
    ) -> [UInt8] {
        let text = textBlock([
            (0, name), (30, sex), (32, "01"), (36, birth), (52, address), (122, number), (158, "上海市公安局浦东分局"),
            (188, "20200101"), (204, "长期"),
        ])
        let body: [UInt8] = [0x00, 0x00, 0x90, 0x01, 0x00, 0x04, 0x00] + text + [UInt8](repeating: 0, count: 1024)
        let len = body.count + 1
        let counted = [UInt8(len >> 8), UInt8(len & 0xFF)] + body
        return [0xAA, 0xAA, 0xAA, 0x96, 0x69] + counted + [counted.reduce(0, ^)]
    }

    /// Every SQLite file of a state directory (database, WAL, shared memory), end to end: what
    /// the privacy tests search.
    public static func storeBytes(_ dir: URL) throws -> [UInt8] {
        var all: [UInt8] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: dir.path) where name.hasPrefix("hallq.sqlite") {
            all += Array(try Data(contentsOf: dir.appendingPathComponent(name)))
        }
        return all
    }

    /// UTF-16 little-endian, as the card's text block holds it.
    public static func ucs2(_ s: String) -> [UInt8] { s.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] } }
}

extension Array where Element == UInt8 {
    /// Whether `needle` occurs anywhere in these bytes (the privacy tests' search).
    public func containsBytes(_ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, needle.count <= count else { return false }
        return Data(self).range(of: Data(needle)) != nil
    }
}
