import HallqProtocol
import NIOCore

/// Server-sent events as the HTML standard frames them: `event:`, `id:`, one `data:` line (our
/// JSON has no newlines), a blank line.
enum SSE {
    static func event(_ name: String, id: String?, data: JSONValue, retryMs: Int? = nil) -> ByteBuffer {
        var s = ""
        if let retryMs { s += "retry: \(retryMs)\n" }
        s += "event: \(name)\n"
        if let id { s += "id: \(id)\n" }
        s += "data: \(data.text)\n\n"
        return ByteBuffer(string: s)
    }
}
