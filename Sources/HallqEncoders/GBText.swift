#if canImport(Glibc)
import Glibc
#endif

/// Chinese text as the devices want it: GB2312 for LED controllers, GB18030 for printers.
/// glibc's iconv does the conversion; it is a pure function of its input, no I/O.
public enum GBText {
    public enum Charset: String, Sendable {
        case gb2312 = "GB2312"
        case gbk = "GBK"
        case gb18030 = "GB18030"
    }

    /// The bytes of `text` in `charset`, or nil when some character has no code there
    /// (config load reports that, so it is never discovered on the sign).
    public static func encode(_ text: String, _ charset: Charset = .gb2312) -> [UInt8]? {
        convert(Array(text.utf8), from: "UTF-8", to: charset.rawValue)
    }

    /// Back to a String (decoders in tests, replies from devices).
    public static func decode(_ bytes: [UInt8], _ charset: Charset = .gb2312) -> String? {
        convert(bytes, from: charset.rawValue, to: "UTF-8").map { String(decoding: $0, as: UTF8.self) }
    }

    static func convert(_ input: [UInt8], from: String, to: String) -> [UInt8]? {
        let cd = iconv_open(to, from)
        guard cd != iconv_t(bitPattern: -1) else { return nil }
        defer { iconv_close(cd) }
        if input.isEmpty { return [] }
        var inBuf = input.map { CChar(bitPattern: $0) }
        var out = [CChar](repeating: 0, count: input.count * 4 + 16)
        let ok: Bool = inBuf.withUnsafeMutableBufferPointer { inPtr in
            out.withUnsafeMutableBufferPointer { outPtr in
                var inP: UnsafeMutablePointer<CChar>? = inPtr.baseAddress
                var inLeft = inPtr.count
                var outP: UnsafeMutablePointer<CChar>? = outPtr.baseAddress
                var outLeft = outPtr.count
                let r = iconv(cd, &inP, &inLeft, &outP, &outLeft)
                if r == -1 || inLeft != 0 { return false }
                let used = outPtr.count - outLeft
                outPtr.baseAddress!.advanced(by: used).pointee = 0
                return true
            }
        }
        guard ok else { return nil }
        // Length: up to the terminator we wrote (converted text never contains NUL here).
        let used = out.firstIndex(of: 0) ?? out.count
        return out[..<used].map { UInt8(bitPattern: $0) }
    }
}
