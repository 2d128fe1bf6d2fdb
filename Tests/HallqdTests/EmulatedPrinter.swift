import Foundation

/// One emulated USB ESC/POS printer, owned by the hq-printer-bed helper under umockdev-wrapper;
/// hallqd runs under the umockdev preload and drives it through the real libusb. Ticket bytes
/// land in a file; the printer's state is set by commands.
final class EmulatedPrinter: @unchecked Sendable {
    let helper = Process()
    let commands = Pipe()
    let replies = Pipe()
    let capture: URL
    let root: String
    private var buffer: [UInt8] = []

    init() throws {
        capture = URL(fileURLWithPath: "/tmp/hq-printer-\(UUID().uuidString.prefix(8)).bin")
        helper.executableURL = URL(fileURLWithPath: "/usr/bin/umockdev-wrapper")
        helper.arguments = [DaemonHarness.binDir.appendingPathComponent("hq-printer-bed").path, capture.path]
        helper.standardInput = commands
        helper.standardOutput = replies
        try helper.run()
        let first = Self.line(replies.fileHandleForReading, &buffer) ?? ""
        guard first.hasPrefix("root ") else { throw HarnessError("hq-printer-bed did not start: \(first)") }
        root = String(first.dropFirst(5))
    }

    deinit {
        try? commands.fileHandleForWriting.write(contentsOf: Data("quit\n".utf8))
        helper.waitUntilExit()
        try? FileManager.default.removeItem(at: capture)
    }

    var environment: [String: String] { ["LD_PRELOAD": "libumockdev-preload.so.0", "UMOCKDEV_DIR": root] }

    private static func line(_ h: FileHandle, _ buf: inout [UInt8]) -> String? {
        while true {
            if let nl = buf.firstIndex(of: 0x0A) {
                let s = String(decoding: buf[..<nl], as: UTF8.self)
                buf.removeSubrange(...nl)
                return s
            }
            let d = h.availableData
            if d.isEmpty { return nil }
            buf += d
        }
    }

    /// online | paper-out | offline | unplug | plug | unplug-mid
    func set(_ command: String) throws {
        try commands.fileHandleForWriting.write(contentsOf: Data((command + "\n").utf8))
        let r = Self.line(replies.fileHandleForReading, &buffer)
        guard r == "ok" else { throw HarnessError("hq-printer-bed \(command): \(r ?? "no answer")") }
    }

    var bytes: [UInt8] { [UInt8]((try? Data(contentsOf: capture)) ?? Data()) }
}
