import Foundation
import HallqCore
import Testing

@testable import HallqEncoders

/// Goldens: the frames printed in ../shared/HARDWARE.md §4 (the protocol's description from the
/// public QueueSystem host), byte for byte; nothing here is our encoder read back by our decoder.
@Suite("Window callers (RS-485)")
struct CallerTests {
    let callKey = hex("FF 68 03 03 68 03 01 0C 10 16")
    let beep3 = hex("FF 68 02 02 68 03 03 06 16")
    let display005012 = hex("FF 68 08 08 68 03 02 00 00 05 00 01 02 0D 16")
    let displayBlank012 = hex("FF 68 08 08 68 03 02 0A 0A 0A 00 01 02 26 16")

    @Test("host frames: beep and the two display examples, byte for byte")
    func hostFrames() {
        #expect(CallerProtocol.beep(address: 3).bytes == beep3)
        #expect(CallerProtocol.display(address: 3, waiting: 5, ticket: 12).bytes == display005012)
        #expect(CallerProtocol.display(address: 3, waiting: nil, ticket: 12).bytes == displayBlank012)
    }

    @Test("the display keeps the ticket's last three digits and caps the count at 999")
    func displayDigits() {
        #expect(CallerProtocol.display(address: 1, waiting: 1234, ticket: 1012).data == [9, 9, 9, 0, 1, 2])
        #expect(CallerProtocol.display(address: 1, waiting: 0, ticket: nil).data == [0, 0, 0, 0x0A, 0x0A, 0x0A])
    }

    @Test("the call key frame from the document reads as caller 3's call key, acknowledged by echo")
    func callKeyFrame() throws {
        var r = CallerFrameReader()
        let items = r.feed(callKey)
        #expect(items.count == 1)
        guard case let .frame(f)? = items.first else {
            Issue.record("no frame: \(items)")
            return
        }
        #expect(f.address == 3 && f.function == 1 && f.data == [0x0C])
        #expect(CallerProtocol.input(f) == .key(.call, digit: nil))
        #expect(CallerProtocol.acknowledgement(of: f).bytes == callKey)
    }

    @Test("an evaluator score is acknowledged with FUNC 01 and the checksum 0x10 lower")
    func scoreAck() throws {
        // Score key 1 from caller 3: CS = 03 + 11 + 01 = 0x15; the ack's CS is 0x05.
        var r = CallerFrameReader()
        guard case let .frame(f)? = r.feed(hex("FF 68 03 03 68 03 11 01 15 16")).first else {
            Issue.record("no frame")
            return
        }
        #expect(CallerProtocol.input(f) == .score(1))
        #expect(CallerProtocol.acknowledgement(of: f).bytes == hex("FF 68 03 03 68 03 01 01 05 16"))
    }

    @Test("confirm carries the digit typed before it")
    func confirmDigit() {
        let noshow = CallerFrame(address: 3, function: 1, data: [0x06, 0x0F])
        #expect(CallerProtocol.input(noshow) == .key(.confirm, digit: 6))
        #expect(CallerProtocol.input(CallerFrame(address: 3, function: 1, data: [0x0B])) == .key(.evaluate, digit: nil))
        #expect(CallerProtocol.input(CallerFrame(address: 3, function: 1, data: [0x55])) == .unknownKey(0x55))
        // L outside 3…5: no caller sends it.
        #expect(CallerProtocol.input(CallerFrame(address: 3, function: 1, data: [])) == nil)
        #expect(CallerProtocol.input(CallerFrame(address: 3, function: 1, data: [1, 2, 3, 4])) == nil)
    }

    @Test("a frame split across reads is completed by the next read")
    func split() {
        var r = CallerFrameReader()
        let first = r.feed(Array(callKey[..<4]))
        let second = r.feed(Array(callKey[4..<8]))
        let third = r.feed(Array(callKey[8...]))
        #expect(first == [] && second == [])
        #expect(third == [.frame(CallerFrame(address: 3, function: 1, data: [0x0C]))])
    }

    @Test("garbage between frames is dropped and both frames still read")
    func garbage() {
        var r = CallerFrameReader()
        let items = r.feed([0x00, 0x68, 0x55, 0x16, 0x68] + callKey + [0x12, 0x34, 0xFF] + beep3)
        let frames = items.compactMap { if case let .frame(f) = $0 { f } else { nil } }
        #expect(frames.map(\.data) == [[0x0C], []])
        #expect(items.contains { if case .rejected = $0 { true } else { false } })
    }

    @Test("a bad checksum, a wrong end byte and an impossible length are rejected; the next frame reads")
    func rejects() {
        var bad = callKey
        bad[8] = 0x11
        var noEnd = callKey
        noEnd[9] = 0x17
        var r = CallerFrameReader()
        var items = r.feed(bad + callKey)
        #expect(items.first == .rejected("bad checksum from address 3"))
        #expect(items.last == .frame(CallerFrame(address: 3, function: 1, data: [0x0C])))
        items = r.feed(noEnd + callKey)
        #expect(items.contains(.rejected("frame without its end byte")))
        #expect(items.last == .frame(CallerFrame(address: 3, function: 1, data: [0x0C])))
        // L = 0x40 (longer than any frame) and L bytes that differ: not a header.
        items = r.feed(hex("68 40 40 68 01 02 03") + hex("68 03 04 68") + callKey)
        #expect(items.last == .frame(CallerFrame(address: 3, function: 1, data: [0x0C])))
        #expect(items.filter { if case .frame = $0 { true } else { false } }.count == 1)
    }

    @Test("endless noise never grows the buffer")
    func noise() {
        var r = CallerFrameReader()
        for _ in 0..<1000 { _ = r.feed([UInt8](repeating: 0x68, count: 64)) }
        let after = r.feed(callKey)
        #expect(after.last == .frame(CallerFrame(address: 3, function: 1, data: [0x0C])))
    }
}

@Suite("Caller keys to window steps")
struct CallerKeyTests {
    func press(_ data: [UInt8], function: UInt8 = 1) -> Result<CounterPress, HallError>? {
        CallerProtocol.input(CallerFrame(address: 3, function: function, data: data))?.press(window: 3)
    }

    @Test("each key of HARDWARE.md §4 becomes its step at the caller's window; hold and call back are refused")
    func keyTable() throws {
        #expect(try press([0x0C])?.get() == .action(.call, window: 3))
        #expect(try press([0x0D])?.get() == .action(.recall, window: 3))
        #expect(try press([0x0B])?.get() == .action(.finish, window: 3))
        #expect(try press([0x12])?.get() == .action(.pause, window: 3))
        #expect(try press([0x06, 0x0F])?.get() == .action(.noshow, window: 3))
        #expect(try press([0x02, 0x13])?.get() == .action(.transfer, window: 3, toWindow: 2))
        #expect(try press([0x01], function: 0x11)?.get() == .rate(window: 3, score: 5))
        #expect(try press([0x03], function: 0x11)?.get() == .rate(window: 3, score: 2))
        for refused: [UInt8] in [[0x00, 0x0F], [0x03, 0x0F], [0x0F], [0x13], [0x00, 0x13], [0x55]] {
            #expect(throws: HallError.self, "\(refused)") { try press(refused)?.get() }
        }
        #expect(throws: HallError.self) { try press([0x09], function: 0x11)?.get() }
    }

    @Test("the 4-key evaluator's keys land on the five levels as the reference host read them")
    func evaluator() {
        #expect(
            CallerProtocol.evaluatorLevels.mapValues { Rating.name($0)! } == [
                0: "满意", 1: "非常满意", 2: "基本满意", 3: "不满意", 4: "非常不满意",
            ])
    }
}
