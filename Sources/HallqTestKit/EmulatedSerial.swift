import Foundation
import HallqEncoders

#if canImport(Glibc)
import Glibc
#endif

/// One emulated USB–RS-485 adapter (/dev/ttyUSB0), owned by the hq-serial-bed helper running
/// under umockdev-wrapper. hallqd runs with the helper's UMOCKDEV_DIR and the umockdev preload,
/// so the real libserialport opens the emulated port; every byte hallqd sends lands in a file
/// that this class splits into Onbon frames.
public final class EmulatedSerial: UMockdevHelper, EmulatedCardReader, @unchecked Sendable {
    public struct Frame: Sendable {
        public var dst: UInt16
        public var text: String
        public var effect: UInt8?
        public var raw: [UInt8]
    }

    /// `link`: the adapter's udev name under /dev (hallq/signs, hallq/callers, …).
    public init(link: String = "hallq/signs") throws {
        try super.init(program: "hq-serial-bed", arguments: [link])
    }

    /// Bytes a device on the line sends to hallqd (a caller's key frame).
    public func send(_ bytes: [UInt8]) throws {
        try command("send " + bytes.map { String(format: "%02X", $0) }.joined(separator: " "))
    }

    public func unplug() throws { try command("unplug") }
    public func plug() throws { try command("plug") }

    /// ID-card reader mode: the line answers SAM frames as a reader does (Tests/Support/SamReader.h).
    public func idcardMode() throws { try command("idcard on") }

    public enum Reply: String { case ack, nack, silent }
    /// How the emulated sign at `address` answers Onbon frames (the document's ACK by default).
    public func reply(_ address: Int, _ mode: Reply) throws { try command("reply \(address) \(mode.rawValue)") }

    /// Frames the emulated signs saw and how many of hallqd's bytes arrived while a sign was
    /// about to answer (each would have collided with that answer on a real half-duplex line).
    public func stats() throws -> (frames: Int, collisions: Int) {
        let words = try command("stats").split(separator: " ")
        guard words.count == 4, let f = Int(words[1]), let c = Int(words[3]) else {
            throw HarnessError("stats: \(words)")
        }
        return (f, c)
    }

    /// Every complete, CRC-valid Onbon frame captured so far, in order.
    public var frames: [Frame] { frames(from: 0) }

    /// How many bytes were captured so far: an offset for `frames(from:)`.
    public var captured: Int { (try? FileManager.default.attributesOfItem(atPath: capture.path)[.size] as? Int) ?? 0 }

    /// The complete, CRC-valid Onbon frames captured after the first `offset` bytes.
    public func frames(from offset: Int) -> [Frame] {
        let all = bytes
        guard all.count > offset else { return [] }
        let b = Array(all[offset...])
        var out: [Frame] = []
        var i = 0
        while i + 8 < b.count {
            guard b[i..<(i + 8)].allSatisfy({ $0 == 0xA5 }) else {
                i += 1
                continue
            }
            guard let end = b[(i + 8)...].firstIndex(of: 0x5A) else { break }
            let raw = Array(b[i...end])
            if let d = OnbonEncoder.decode(raw), let text = OnbonDynamicArea.text(in: d.data) {
                out.append(
                    Frame(
                        dst: d.dst, text: GBText.decode(text) ?? "?", effect: OnbonDynamicArea.effect(in: d.data),
                        raw: raw))
            }
            i = end + 1
        }
        return out
    }

    /// Waits until `match` holds for the frames so far, up to `seconds`.
    @discardableResult
    public func wait(seconds: Double = 10, _ match: ([Frame]) -> Bool) -> [Frame] {
        let deadline = Date().addingTimeInterval(seconds)
        var f = frames
        while !match(f) && Date() < deadline {
            usleep(20_000)
            f = frames
        }
        return f
    }
}
