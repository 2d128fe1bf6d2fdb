import Foundation
import HallqApp
import HallqCore
import Testing

@Suite struct StatusLinkTests {
    @Test("the token is HMAC-SHA256's first 8 bytes over day|label|issued_at (Python's hmac gives the same)")
    func golden() {
        let links = StatusLinks(key: Array(0..<32))
        // python3 -c "import hmac,hashlib; print(hmac.new(bytes(range(32)),
        //   b'2026-11-30|A012|1796019462954', hashlib.sha256).hexdigest()[:16])"
        #expect(links.token(day: "2026-11-30", label: "A012", issuedAt: 1_796_019_462_954) == "9cc7d6f1f9a27d67")
        #expect(StatusLinks.split("A012.9cc7d6f1f9a27d67")! == ("A012", "9cc7d6f1f9a27d67"))
        #expect(StatusLinks.split("A012") == nil)
        #expect(StatusLinks.split("A012.9cc7") == nil)
    }

    @Test("the key is made once, 32 bytes, mode 0600, and kept across starts")
    func keyFile() throws {
        let dir = URL(fileURLWithPath: "/tmp/hq-key-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let a = try StatusLinks.load(stateDir: dir)
        let path = dir.appendingPathComponent(StatusLinks.keyFile).path
        let attrs = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attrs[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect((attrs[.size] as? NSNumber)?.intValue == 32)
        let b = try StatusLinks.load(stateDir: dir)
        #expect(
            a.token(day: "2026-11-30", label: "A001", issuedAt: 1)
                == b.token(day: "2026-11-30", label: "A001", issuedAt: 1))
        // A key from elsewhere gives other tokens.
        let other = StatusLinks(key: Array(repeating: 7, count: 32))
        #expect(
            other.token(day: "2026-11-30", label: "A001", issuedAt: 1)
                != a.token(day: "2026-11-30", label: "A001", issuedAt: 1))
    }
}
