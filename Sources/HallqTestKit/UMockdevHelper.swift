import Foundation

/// A device-emulation helper (hq-serial-bed, hq-printer-bed) running under umockdev-wrapper:
/// umockdev's testbed API must itself run inside the preload, so the helper owns the testbed
/// and the test talks to it by lines on stdin/stdout. Whatever hallqd writes to the device is
/// appended to a capture file.
open class UMockdevHelper: @unchecked Sendable {
    public let helper = Process()
    public let commands = Pipe()
    public let replies = Pipe()
    public let capture: URL
    /// The testbed root, for hallqd's UMOCKDEV_DIR.
    public private(set) var root = ""
    private var buffer: [UInt8] = []

    public init(program: String, arguments: [String] = []) throws {
        capture = URL(fileURLWithPath: "/tmp/hq-\(program)-\(UUID().uuidString.prefix(8)).bin")
        helper.executableURL = URL(fileURLWithPath: "/usr/bin/umockdev-wrapper")
        helper.arguments = [DaemonHarness.binDir.appendingPathComponent(program).path, capture.path] + arguments
        helper.standardInput = commands
        helper.standardOutput = replies
        try helper.runSerially()
        let first = readReply() ?? ""
        guard first.hasPrefix("root ") else { throw HarnessError("\(program) did not start: \(first)") }
        root = String(first.dropFirst(5))
    }

    deinit {
        try? commands.fileHandleForWriting.write(contentsOf: Data("quit\n".utf8))
        _ = try? helper.finish(within: 30)
        try? FileManager.default.removeItem(at: capture)
    }

    /// The environment a hallqd process needs to see the emulated device.
    public var environment: [String: String] { ["LD_PRELOAD": "libumockdev-preload.so.0", "UMOCKDEV_DIR": root] }

    private func readReply() -> String? {
        while true {
            if let nl = buffer.firstIndex(of: 0x0A) {
                let s = String(decoding: buffer[..<nl], as: UTF8.self)
                buffer.removeSubrange(...nl)
                return s
            }
            let d = replies.fileHandleForReading.availableData
            if d.isEmpty { return nil }
            buffer += d
        }
    }

    /// Sends one command line; the helper must answer "ok" (and what follows it is returned).
    @discardableResult
    public func command(_ c: String) throws -> String {
        try commands.fileHandleForWriting.write(contentsOf: Data((c + "\n").utf8))
        let r = readReply()
        guard let r, r == "ok" || r.hasPrefix("ok ") else {
            throw HarnessError("\(helper.arguments?.first ?? "helper") \(c): \(r ?? "no answer")")
        }
        return String(r.dropFirst(3))
    }

    /// Everything captured so far.
    public var bytes: [UInt8] { [UInt8]((try? Data(contentsOf: capture)) ?? Data()) }

    /// Forgets what was captured so far.
    public func clear() { try? Data().write(to: capture) }
}
