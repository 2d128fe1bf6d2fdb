import HallqCore

/// The RS-485 window callers (呼叫器) and their evaluators (评价器): frames, their bytes, and what a
/// caller's frame means (../shared/HARDWARE.md §4, hardware/HARDWARE.md). Pure: the bus driver feeds
/// bytes in and writes the frames this builds.
///
/// A frame is `FF 68 L L 68 ADDR FUNC DATA… CS 16`: L counts ADDR, FUNC and DATA; CS is their
/// sum mod 256. The leading FF is a wake-up byte some callers omit, so the reader does not need it.
public struct CallerFrame: Sendable, Equatable {
    public var address: UInt8
    public var function: UInt8
    public var data: [UInt8]

    public init(address: UInt8, function: UInt8, data: [UInt8] = []) {
        self.address = address
        self.function = function
        self.data = data
    }

    public var checksum: UInt8 { data.reduce(address &+ function, &+) }

    /// The frame on the wire, wake-up byte included.
    public var bytes: [UInt8] {
        let l = UInt8(2 + data.count)
        return [0xFF, 0x68, l, l, 0x68, address, function] + data + [checksum, 0x16]
    }
}

/// What a caller's frame asks for.
public enum CallerInput: Sendable, Equatable {
    /// A key (the last data byte), with the digit typed before it when there was one.
    case key(CallerProtocol.Key, digit: UInt8?)
    /// A key this protocol does not define (logged, acknowledged, nothing else).
    case unknownKey(UInt8)
    /// An evaluator key: the raw score key (0–3 on the 4-key evaluator).
    case score(UInt8)
}

extension CallerInput {
    /// What a caller's frame asks its window for (HARDWARE.md §4): the evaluate key finishes the
    /// ticket in hand so the citizen can rate it; confirm with 6 is a no-show; a transfer needs
    /// the window's digit typed first. Hold (0 + confirm) and call back (3 + confirm) have no
    /// counterpart in hallq's queue and are refused.
    public func press(window w: Int) -> Result<CounterPress, HallError> {
        switch self {
        case let .score(key):
            guard let level = CallerProtocol.evaluatorLevels[key] else {
                return .failure(.badRequest("evaluator score key \(key) is not one of 0–4"))
            }
            return .success(.rate(window: w, score: level))
        case let .unknownKey(k):
            return .failure(.badRequest("key 0x\(String(k, radix: 16)) is not a caller key"))
        case let .key(key, digit):
            switch key {
            case .call: return .success(.action(.call, window: w))
            case .recall: return .success(.action(.recall, window: w))
            case .evaluate: return .success(.action(.finish, window: w))
            case .pause: return .success(.action(.pause, window: w))
            case .transfer:
                guard let d = digit, (1...9).contains(d) else {
                    return .failure(.badRequest("transfer needs the window's digit typed first"))
                }
                return .success(.action(.transfer, window: w, toWindow: Int(d)))
            case .confirm:
                switch digit {
                case 6?: return .success(.action(.noshow, window: w))
                case 0?: return .failure(.badRequest("hold (0 + confirm) is not supported"))
                case 3?: return .failure(.badRequest("call back (3 + confirm) is not supported"))
                default:
                    return .failure(.badRequest("confirm with \(digit.map { "\($0)" } ?? "no digit") means nothing"))
                }
            }
        }
    }

}

public enum CallerProtocol {
    /// Caller keys, by the byte the caller sends.
    public enum Key: UInt8, Sendable, CaseIterable {
        case call = 0x0C
        case recall = 0x0D
        case evaluate = 0x0B
        case pause = 0x12
        case transfer = 0x13
        case confirm = 0x0F
    }

    /// The 4-key evaluator's score keys on the five 好差评 levels, as the reference host read them
    /// (0 满意, 1 非常满意, 2 基本满意, 3 不满意); key 4, sent only by 5-key evaluators, is 非常不满意.
    public static let evaluatorLevels: [UInt8: Int] = [0: 4, 1: 5, 2: 3, 3: 2, 4: 1]

    /// FUNC of an evaluator's score frame.
    public static let scoreFunction: UInt8 = 0x11
    /// Frames from callers carry 1–3 data bytes (L 3…5); the reference host dropped the rest.
    public static let callerLengths: ClosedRange<Int> = 3...5

    /// What a frame from a caller means; nil for a frame no caller sends (wrong length, no data).
    public static func input(_ f: CallerFrame) -> CallerInput? {
        guard callerLengths.contains(2 + f.data.count), let last = f.data.last else { return nil }
        if f.function == scoreFunction { return .score(f.data[0]) }
        guard let key = Key(rawValue: last) else { return .unknownKey(last) }
        return .key(key, digit: f.data.count >= 2 ? f.data[f.data.count - 2] : nil)
    }

    /// The host's acknowledgement: a key frame echoed unchanged; a score frame with FUNC 01
    /// (its checksum therefore 0x10 lower).
    public static func acknowledgement(of f: CallerFrame) -> CallerFrame {
        guard f.function == scoreFunction else { return f }
        return CallerFrame(address: f.address, function: 0x01, data: f.data)
    }

    /// The caller's digits: the waiting count and the ticket number, three digits each (the last
    /// three when longer, 999 at most for the count); nil leaves that half blank.
    public static func display(address: UInt8, waiting: Int?, ticket: Int?) -> CallerFrame {
        func digits(_ n: Int?, cap: Bool) -> [UInt8] {
            guard let n, n >= 0 else { return [0x0A, 0x0A, 0x0A] }
            let v = cap ? min(n, 999) : n % 1000
            return [UInt8(v / 100), UInt8(v / 10 % 10), UInt8(v % 10)]
        }
        return CallerFrame(
            address: address, function: 0x02, data: digits(waiting, cap: true) + digits(ticket, cap: false))
    }

    public static func beep(address: UInt8) -> CallerFrame { CallerFrame(address: address, function: 0x03) }
}

/// Splits the bytes read from a caller line into frames. Garbage, a bad checksum, a wrong
/// length or a missing end byte costs only the bytes up to the next plausible frame start; a
/// frame split across reads is completed by the next `feed`.
public struct CallerFrameReader: Sendable {
    public enum Item: Sendable, Equatable {
        case frame(CallerFrame)
        /// Bytes dropped, and why (for the log).
        case rejected(String)
    }

    /// The longest L accepted on the line (display frames are 8; nothing longer is defined).
    public static let maxLength = 16
    private var buffer: [UInt8] = []

    public init() {}

    public mutating func feed(_ bytes: [UInt8]) -> [Item] {
        buffer += bytes
        var out: [Item] = []
        var skipped = 0
        var i = 0
        func flushSkipped() {
            if skipped > 0 { out.append(.rejected("\(skipped) stray byte\(skipped == 1 ? "" : "s")")) }
            skipped = 0
        }
        scan: while i < buffer.count {
            // A frame starts at 68; an FF before it is the wake-up byte.
            guard buffer[i] == 0x68 else {
                if buffer[i] != 0xFF { skipped += 1 }
                i += 1
                continue
            }
            guard i + 4 <= buffer.count else { break scan }  // header incomplete: wait
            let l = Int(buffer[i + 1])
            guard buffer[i + 2] == buffer[i + 1], buffer[i + 3] == 0x68, (2...Self.maxLength).contains(l) else {
                skipped += 1
                i += 1
                continue
            }
            let end = i + 4 + l + 1  // index of the 16
            guard end < buffer.count else { break scan }  // body incomplete: wait
            let body = Array(buffer[(i + 4)..<(i + 4 + l)])
            let frame = CallerFrame(address: body[0], function: body[1], data: Array(body[2...]))
            guard buffer[end] == 0x16 else {
                flushSkipped()
                out.append(.rejected("frame without its end byte"))
                i += 1
                continue
            }
            guard buffer[end - 1] == frame.checksum else {
                flushSkipped()
                out.append(.rejected("bad checksum from address \(frame.address)"))
                i = end + 1  // framed, just damaged: drop it whole
                continue
            }
            flushSkipped()
            out.append(.frame(frame))
            i = end + 1
        }
        flushSkipped()
        buffer.removeFirst(i)
        // A line of pure noise never grows the buffer past one frame's worth.
        if buffer.count > 4 + Self.maxLength + 2 { buffer.removeFirst(buffer.count - (4 + Self.maxLength + 2)) }
        return out
    }
}
