import Foundation
import HallqConfig
import HallqCore
import HallqEncoders
import HallqProtocol
import Testing

@testable import HallqApp

/// The stable vocabularies are documented where users look: every op, error token and event type
/// in docs/PROTOCOL.md, every config key the loader accepts in docs/CONFIG.md, every sign protocol
/// and printer profile next to its key. A new case without its line in the docs fails here.
@Suite("docs name every op, token, event and config key")
struct DocsCoverageTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func doc(_ name: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent("docs/\(name)"), encoding: .utf8)
    }

    /// The rows of the Markdown table under the heading that starts with `heading`: first cells.
    static func firstCells(_ text: String, under heading: String) -> [String] {
        guard let start = text.range(of: "\n" + heading) else { return [] }
        let section = text[start.upperBound...].split(separator: "\n## ", maxSplits: 1).first ?? ""
        return section.split(separator: "\n").filter { $0.hasPrefix("| ") }.map {
            String($0.dropFirst(2).prefix { $0 != "|" }).trimmingCharacters(in: .whitespaces)
        }
    }

    /// The code spans (`…`) in a text.
    static func codeSpans(_ text: some StringProtocol) -> [String] {
        text.split(separator: "`", omittingEmptySubsequences: false).enumerated().filter { $0.offset % 2 == 1 }.map {
            String($0.element)
        }
    }

    @Test("PROTOCOL.md has a row for every op, naming its roles")
    func ops() throws {
        let rows = Self.firstCells(try Self.doc("PROTOCOL.md"), under: "## Operations")
        let text = try Self.doc("PROTOCOL.md")
        for op in Op.allCases {
            #expect(rows.contains { Self.codeSpans($0).contains(op.rawValue) }, "op \(op.rawValue)")
            let row = text.split(separator: "\n").first {
                $0.hasPrefix("| ") && Self.codeSpans($0.dropFirst(2).prefix { $0 != "|" }).contains(op.rawValue)
            }
            let roles = op.roles.count == 3 ? ["all"] : op.roles.map(\.rawValue)
            #expect(roles.allSatisfy { row?.contains($0) == true }, "roles of \(op.rawValue): \(row ?? "no row")")
        }
    }

    @Test("PROTOCOL.md lists every error token, and only those")
    func tokens() throws {
        let rows = Set(Self.firstCells(try Self.doc("PROTOCOL.md"), under: "## Error tokens").flatMap(Self.codeSpans))
        #expect(rows == Set(HallError.Token.allCases.map(\.rawValue)))
    }

    @Test("PROTOCOL.md names every event type")
    func events() throws {
        let text = try Self.doc("PROTOCOL.md")
        let spans = Set(Self.codeSpans(text))
        for t in EventType.allCases { #expect(spans.contains(t.rawValue), "event \(t.rawValue)") }
    }

    @Test("CONFIG.md documents every table and key the loader accepts; protocols and profiles by name")
    func configKeys() throws {
        let text = try Self.doc("CONFIG.md")
        for (table, keys) in ConfigLoader.schema {
            let heading = table.split(separator: ".").first.map(String.init) ?? table
            guard let at = text.range(of: "## `[\(heading)]`") ?? text.range(of: "## `[[\(heading)]]`") else {
                Issue.record("no section for [\(heading)]")
                continue
            }
            let section = text[at.upperBound...].split(separator: "\n## ", maxSplits: 1).first ?? ""
            let spans = Self.codeSpans(section)
            for k in keys {
                let words = spans.map {
                    $0.split(whereSeparator: { !$0.isLetter && !$0.isNumber && $0 != "_" }).map(String.init)
                }
                #expect(words.contains { $0.contains(k) }, "\(table).\(k) is not in CONFIG.md's [\(heading)] section")
            }
        }
        let protocolRow = text.split(separator: "\n").first { $0.hasPrefix("| `protocol`") } ?? ""
        for name in SignEncoders.names { #expect(Self.codeSpans(protocolRow).contains(name), "protocol \(name)") }
        let profileRow = text.split(separator: "\n").first { $0.hasPrefix("| `profile`") } ?? ""
        for p in PrinterProfile.all { #expect(Self.codeSpans(profileRow).contains(p.name), "profile \(p.name)") }
    }
}
