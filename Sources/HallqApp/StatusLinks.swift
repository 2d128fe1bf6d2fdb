import Crypto
import Foundation
import HallqCore
import HallqStore

/// The keyed addresses of tickets' status pages: `/t/<day>/<label>.<token>`, where the token is
/// the first 8 bytes of HMAC-SHA256 over the ticket's day, label and issue time, in hex. Only
/// hallqd knows the key, so a guessed label or a changed day, label or token finds nothing (404),
/// and a ticket number from last week cannot be turned into someone else's page.
///
/// The key is 32 random bytes in `<state>/http.key` (mode 0600), made on first start and kept,
/// so printed QR codes stay valid across restarts. Deleting it voids every printed link.
public struct StatusLinks: Sendable {
    /// The key's bytes (SymmetricKey is not Sendable; one is made per token).
    private let key: [UInt8]
    var secret: [UInt8] { key }

    public static let keyFile = "http.key"

    public init(key: [UInt8]) { self.key = key }

    /// The state directory's key, made on first use: written whole under a temporary name,
    /// synced, linked into place and the directory synced (`DurableFile`), so a power cut
    /// leaves either no key or the complete one, never an empty file that would void every
    /// printed QR code. Two starts racing end with one key (the loser reads the winner's).
    public static func load(stateDir: URL) throws -> StatusLinks {
        let path = stateDir.appendingPathComponent(keyFile).path
        if let data = FileManager.default.contents(atPath: path), data.count == 32 {
            return StatusLinks(key: Array(data))
        }
        let bytes = SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
        // A short or damaged file (not one a power cut can leave any more) is replaced whole.
        let exists = FileManager.default.fileExists(atPath: path)
        if try DurableFile.write(bytes, to: path, mode: 0o600, replace: exists) {
            return StatusLinks(key: bytes)
        }
        guard let data = FileManager.default.contents(atPath: path), data.count == 32 else {
            throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: path])
        }
        return StatusLinks(key: Array(data))
    }

    /// The token of a ticket issued on `day` as `label` at `issuedAt`.
    public func token(day: String, label: String, issuedAt: Millis) -> String {
        let mac = HMAC<SHA256>.authenticationCode(
            for: Data("\(day)|\(label)|\(issuedAt)".utf8), using: SymmetricKey(data: key))
        return mac.prefix(8).map { String(format: "%02x", $0) }.joined()
    }

    /// `/t/<day>/<label>.<token>`.
    public func path(for t: Ticket) -> String {
        "/t/\(t.day)/\(t.label).\(token(day: t.day, label: t.label, issuedAt: t.issuedAt))"
    }

    /// The full address under `publicURL` (no trailing slash), or nil without one.
    public func url(for t: Ticket, publicURL: String?) -> String? { publicURL.map { $0 + path(for: t) } }

    /// Whether `token` is this ticket's, compared in constant time.
    public func matches(_ t: Ticket, token given: String) -> Bool {
        let want = Array(token(day: t.day, label: t.label, issuedAt: t.issuedAt).utf8)
        let got = Array(given.utf8)
        guard want.count == got.count else { return false }
        return zip(want, got).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// "A012.1f2e…" → ("A012", "1f2e…"), or nil when it is not label.token.
    public static func split(_ labelToken: String) -> (label: String, token: String)? {
        guard let dot = labelToken.lastIndex(of: "."), dot > labelToken.startIndex else { return nil }
        let label = String(labelToken[..<dot])
        let token = String(labelToken[labelToken.index(after: dot)...])
        guard label.count <= 16, token.count == 16 else { return nil }
        return (label, token)
    }
}
