import Foundation

/// A bed that emulates an ID-card reader's SAM (Tests/Support/SamReader.h): on a serial line
/// (`EmulatedSerial` in ID-card mode) or on USB (`EmulatedUsbCardReader`). The same commands
/// put a card on it and take it away.
public protocol EmulatedCardReader: UMockdevHelper {}

extension EmulatedCardReader {
    /// Puts a card on the reader: `reply` is its complete 30 01 reply frame.
    public func placeCard(_ reply: [UInt8]) throws {
        let file = capture.deletingLastPathComponent().appendingPathComponent("card-\(UUID().uuidString.prefix(8)).bin")
        try Data(reply).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        try command("card \(file.path)")
    }

    public func removeCard() throws { try command("remove") }

    /// The card goes away between select and read (the read fails).
    public func vanishAtRead() throws { try command("vanish") }

    /// How many reads the emulated reader answered with the card.
    public func cardReads() throws -> Int {
        let words = try command("reads").split(separator: " ")
        guard let last = words.last, let n = Int(last) else { throw HarnessError("reads: \(words)") }
        return n
    }
}

/// An ID-card reader on USB (hq-printer-bed in its reader mode): `0400:c35a`, a vendor-class
/// interface with bulk OUT 0x02 and IN 0x81, answering SAM frames through the real libusb.
public final class EmulatedUsbCardReader: UMockdevHelper, EmulatedCardReader, @unchecked Sendable {
    /// The device and configuration descriptors, written out from USB 2.0 §9.6 by hand.
    public static let descriptor =
        "12010002000000400004" + "5ac3" + "000101020301"
        + "09022000010100C032" + "0904000002FF000000" + "07050202400000" + "07058102400000"

    public init() throws {
        try super.init(program: "hq-printer-bed", arguments: [Self.descriptor])
        try command("idcard on")
    }

    public func unplug() throws { try command("unplug") }
    public func plug() throws { try command("plug") }
}
