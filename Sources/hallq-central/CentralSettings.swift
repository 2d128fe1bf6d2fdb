import Foundation

/// `/etc/hallq/central.toml`: `db = "postgres://…"` and `listen = "host:port"` (for `serve`), one
/// `key = "value"` a line, `#` comments. So the password need not be on a command line.
struct CentralSettings: Sendable {
    var db: String?
    var listen = "127.0.0.1:8300"

    struct Invalid: Error, CustomStringConvertible {
        var description: String
    }

    static func load(_ path: String) throws -> CentralSettings {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw Invalid(description: "cannot read \(path)")
        }
        var s = CentralSettings()
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, parts[1].count >= 2, parts[1].hasPrefix("\""), parts[1].hasSuffix("\"") else {
                throw Invalid(description: "\(path):\(n + 1): expected key = \"value\"")
            }
            let value = String(parts[1].dropFirst().dropLast())
            switch parts[0] {
            case "db": s.db = value
            case "listen": s.listen = value
            default: throw Invalid(description: "\(path):\(n + 1): unknown key \(parts[0]) (known: db, listen)")
            }
        }
        return s
    }
}
