import HallqCore

/// A text line and CRLF in GB2312 (ASCII stays ASCII): simple serial LED modules, and a
/// terminal on the bus for debugging. No addressing: one module per bus.
public struct PlainEncoder: SignEncoder {
    public static let protocolName = "plain"
    public init() {}
    /// No options: every bus of this protocol is alike.
    public init(bus: BusConfig) {}

    public func frames(for content: SignContent, address: Int, geometry: SignGeometry) -> [[UInt8]] {
        let line = content.lines.joined(separator: " ")
        return [(GBText.encode(line, .gb2312) ?? Array(line.utf8.filter { $0 < 0x80 })) + [0x0D, 0x0A]]
    }

    public func problem(with text: String) -> String? {
        GBText.encode(text, .gb2312) == nil ? "has characters outside GB2312" : nil
    }
}
