import Foundation
import HallqEncoders

#if canImport(Glibc)
import Glibc
#endif

/// One emulated USB–RS-485 adapter (/dev/ttyUSB0), owned by the hq-serial-bed helper running
/// under umockdev-wrapper. hallqd runs with the helper's UMOCKDEV_DIR and the umockdev preload,
/// so the real libserialport opens the emulated port; every byte hallqd sends lands in a file
/// that this class splits into Onbon frames.
final class EmulatedSerial: @unchecked Sendable {
    let helper = Process()
    let commands = Pipe()
    let replies = Pipe()
    let capture: URL
    let root: String
    private var replyBuffer: [UInt8] = []

    struct Frame: Sendable {
        var dst: UInt16
        var text: String
        var effect: UInt8?
        var raw: [UInt8]
    }

    init() throws {
        capture = URL(fileURLWithPath: "/tmp/hq-bus-\(UUID().uuidString.prefix(8)).bin")
        helper.executableURL = URL(fileURLWithPath: "/usr/bin/umockdev-wrapper")
        helper.arguments = [DaemonHarness.binDir.appendingPathComponent("hq-serial-bed").path, capture.path]
        helper.standardInput = commands
        helper.standardOutput = replies
        try helper.run()
        var r = ""
        for _ in 0..<1 { r = Self.line(replies.fileHandleForReading, &replyBuffer) ?? "" }
        guard r.hasPrefix("root ") else { throw HarnessError("hq-serial-bed did not start: \(r)") }
        root = String(r.dropFirst(5))
    }

    deinit {
        try? commands.fileHandleForWriting.write(contentsOf: Data("quit\n".utf8))
        if helper.isRunning { helper.terminate() }
        helper.waitUntilExit()
        try? FileManager.default.removeItem(at: capture)
    }

    /// The environment a hallqd process needs to see the emulated adapter.
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

    private func command(_ c: String) throws {
        try commands.fileHandleForWriting.write(contentsOf: Data((c + "\n").utf8))
        let r = Self.line(replies.fileHandleForReading, &replyBuffer)
        guard r == "ok" else { throw HarnessError("hq-serial-bed \(c): \(r ?? "no answer")") }
    }

    func unplug() throws { try command("unplug") }
    func plug() throws { try command("plug") }

    /// Forgets what was captured so far.
    func clear() { try? Data().write(to: capture) }

    /// Every complete, CRC-valid Onbon frame captured so far, in order.
    var frames: [Frame] {
        let b = [UInt8]((try? Data(contentsOf: capture)) ?? Data())
        var out: [Frame] = []
        var i = 0
        while i + 8 < b.count {
            guard b[i..<(i + 8)].allSatisfy({ $0 == 0xA5 }) else { i += 1; continue }
            guard let end = b[(i + 8)...].firstIndex(of: 0x5A) else { break }
            let raw = Array(b[i...end])
            if let d = OnbonEncoder.decode(raw), let text = OnbonDynamicArea.text(in: d.data) {
                out.append(Frame(dst: d.dst, text: GBText.decode(text) ?? "?", effect: OnbonDynamicArea.effect(in: d.data), raw: raw))
            }
            i = end + 1
        }
        return out
    }

    /// Waits until `match` holds for the frames so far, up to `seconds`.
    @discardableResult
    func wait(seconds: Double = 10, _ match: ([Frame]) -> Bool) -> [Frame] {
        let deadline = Date().addingTimeInterval(seconds)
        var f = frames
        while !match(f) && Date() < deadline {
            usleep(20_000)
            f = frames
        }
        return f
    }
}
