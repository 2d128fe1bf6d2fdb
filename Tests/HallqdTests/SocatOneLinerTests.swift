import Foundation
import HallqProtocol
import HallqTestKit
import Testing

/// The socat one-liners in README.md and docs/PROTOCOL.md, run as written (through sh and the
/// real socat) against hallqd: every op answers, and the block covers every op.
@Suite("socat one-liners from the docs", .onDaemonThreads)
struct SocatOneLinerTests {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The lines of the ```sh block after the socat-one-liners marker.
    static func block(_ file: String) throws -> [String] {
        let text = try String(contentsOf: repo.appendingPathComponent(file), encoding: .utf8)
        guard let marker = text.range(of: "<!-- socat-one-liners") else {
            throw HarnessError("\(file): no socat-one-liners block")
        }
        let rest = text[marker.upperBound...]
        guard let start = rest.range(of: "```sh\n"), let end = rest[start.upperBound...].range(of: "```") else {
            throw HarnessError("\(file): the block has no sh fence")
        }
        return rest[start.upperBound..<end.lowerBound].split(separator: "\n").map(String.init)
    }

    @Test("README and PROTOCOL.md hold the same one-liners, one for every op, and each is answered")
    func oneLiners() throws {
        let lines = try Self.block("README.md")
        #expect(try Self.block("docs/PROTOCOL.md") == lines)
        let ops = Set(
            lines.compactMap { l in
                l.range(of: #""op":"[a-z_]+""#, options: .regularExpression).map {
                    String(l[$0].dropFirst(6).dropLast())
                }
            })
        let allOps = Set(Op.allCases.map(\.rawValue))
        #expect(ops == allOps, "missing: \(allOps.subtracting(ops).sorted())")

        let d = try DaemonHarness()
        try d.start()
        let prelude = lines[0]
        for line in lines.dropFirst() {
            let runnable = line.replacingOccurrences(of: "sleep 3600", with: "sleep 1")
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/sh")
            p.arguments = ["-c", prelude + "\n" + runnable]
            var env = ProcessInfo.processInfo.environment
            env["HALLQ_RUNTIME_DIR"] = d.runtimeDir.path
            p.environment = env
            let out = Pipe()
            p.standardOutput = out
            try p.runSerially()
            let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            try p.finish()
            let replies = text.split(separator: "\n").compactMap { JSONValue.parse(Array($0.utf8)) }
            #expect(replies.first?["type"] == "hello", "\(line): \(text)")
            // The reply is the first line with "ok" after the greeting (an export's CSV blocks come first).
            #expect(replies.dropFirst().first { $0["ok"] != nil }?["ok"] == true, "\(line): \(text)")
        }
        #expect(d.stop() == 0)
    }
}
