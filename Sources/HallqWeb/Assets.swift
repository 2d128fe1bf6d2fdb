import Hummingbird
import NIOCore

/// The pages, scripts and style under Web/, compiled into hallqd (SwiftPM's embedInCode): a
/// board needs no files beside the binary, no Node build and no CDN.
enum Assets {
    enum File: String {
        case board = "board.html"
        case status = "status.html"
        case boardJS = "board.js"
        case statusJS = "status.js"
        case liveJS = "live.js"
        case css = "hallq.css"

        var bytes: [UInt8] {
            switch self {
            case .board: PackageResources.board_html
            case .status: PackageResources.status_html
            case .boardJS: PackageResources.board_js
            case .statusJS: PackageResources.status_js
            case .liveJS: PackageResources.live_js
            case .css: PackageResources.hallq_css
            }
        }

        var contentType: String {
            switch self {
            case .board, .status: "text/html; charset=utf-8"
            case .boardJS, .statusJS, .liveJS: "text/javascript; charset=utf-8"
            case .css: "text/css; charset=utf-8"
            }
        }
    }

    /// Pages are never cached (a new hallqd's board loads its new scripts on the next reload);
    /// scripts and style for an hour.
    static func response(_ f: File) -> Response {
        Response(
            status: .ok,
            headers: [
                .contentType: f.contentType,
                .cacheControl: f.contentType.hasPrefix("text/html") ? "no-store" : "max-age=3600",
            ],
            body: .init(byteBuffer: ByteBuffer(bytes: f.bytes)))
    }
}
