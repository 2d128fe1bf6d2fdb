import HTTPTypes
import HallqProtocol
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
        case kiosk = "kiosk.html"
        case kioskJS = "kiosk.js"
        case window = "window.html"
        case windowJS = "window.js"
        case admin = "admin.html"
        case adminJS = "admin.js"
        case staffJS = "staff.js"
        /// Written from HallqProtocol's Vocabulary, not a file: the words every page shares.
        case vocabularyJS = "vocabulary.js"

        var bytes: [UInt8] {
            switch self {
            case .board: PackageResources.board_html
            case .status: PackageResources.status_html
            case .boardJS: PackageResources.board_js
            case .statusJS: PackageResources.status_js
            case .liveJS: PackageResources.live_js
            case .css: PackageResources.hallq_css
            case .kiosk: PackageResources.kiosk_html
            case .kioskJS: PackageResources.kiosk_js
            case .window: PackageResources.window_html
            case .windowJS: PackageResources.window_js
            case .admin: PackageResources.admin_html
            case .adminJS: PackageResources.admin_js
            case .staffJS: PackageResources.staff_js
            case .vocabularyJS: Assets.vocabulary
            }
        }

        var contentType: String {
            switch self {
            case .board, .status, .kiosk, .window, .admin: "text/html; charset=utf-8"
            case .boardJS, .statusJS, .liveJS, .kioskJS, .windowJS, .adminJS, .staffJS, .vocabularyJS:
                "text/javascript; charset=utf-8"
            case .css: "text/css; charset=utf-8"
            }
        }

        /// A strong validator: FNV-1a of the bytes. A board that reloads after an upgrade gets
        /// the new script and style; otherwise a 304.
        var etag: String {
            var h: UInt64 = 0xcbf2_9ce4_8422_2325
            for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
            return "\"" + String(h, radix: 16) + "\""
        }
    }

    static let vocabulary = Array(Vocabulary.javaScriptModule.utf8)

    /// Every file is revalidated on each load (no-cache with an ETag): cheap, and never stale.
    static func response(_ f: File, ifNoneMatch: String?) -> Response {
        let tag = f.etag
        var headers: HTTPFields = [.contentType: f.contentType, .cacheControl: "no-cache", .eTag: tag]
        if ifNoneMatch == tag {
            headers[.contentType] = nil
            return Response(status: .notModified, headers: headers)
        }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: f.bytes)))
    }
}
