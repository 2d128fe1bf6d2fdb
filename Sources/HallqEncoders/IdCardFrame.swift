/// The SAM frame protocol of second-generation ID-card readers (二代身份证阅读器, GA/T 467 as the
/// open drivers speak it; ../shared/HARDWARE.md §5, hardware/HARDWARE.md). Pure: the reader driver
/// writes the commands built here and feeds what comes back to `IdCardFrameReader`.
///
/// A frame is `AA AA AA 96 69`, a two-byte big-endian LEN counting everything after it up to
/// and including the checksum, then `CMD PARA [DATA]` (host → reader) or `SW1 SW2 SW3 [DATA]`
/// (reader → host), then CHK = XOR of every byte from the first LEN byte to the last data byte.
public enum IdCardProtocol {
    public static let preamble: [UInt8] = [0xAA, 0xAA, 0xAA, 0x96, 0x69]

    /// The commands hallq sends: (CMD, PARA).
    public enum Command: Sendable, Equatable {
        case resetSAM, samStatus, samID, findCard, selectCard, readText, readNewAddress, readWithFingerprint

        var code: (UInt8, UInt8) {
            switch self {
            case .resetSAM: return (0x10, 0xFF)
            case .samStatus: return (0x11, 0xFF)
            case .samID: return (0x12, 0xFF)
            case .findCard: return (0x20, 0x01)
            case .selectCard: return (0x20, 0x02)
            case .readText: return (0x30, 0x01)
            case .readNewAddress: return (0x30, 0x03)
            case .readWithFingerprint: return (0x30, 0x10)
            }
        }
    }

    /// A command's complete frame.
    public static func frame(_ c: Command) -> [UInt8] {
        let (cmd, para) = c.code
        let body: [UInt8] = [0x00, 0x03, cmd, para]
        return preamble + body + [body.reduce(0, ^)]
    }

    /// SW3, the byte a reply is decided on (SW1/SW2 may relay the card's own APDU status).
    public enum Status: UInt8, Sendable, CaseIterable {
        case checksumError = 0x10
        case lengthError = 0x11
        case commandError = 0x21
        case notPermitted = 0x23
        case unknownError = 0x24
        case cardDidNotAuthenticateSAM = 0x31
        case samDidNotAuthenticateCard = 0x32
        case verificationError = 0x33
        case unknownCardType = 0x40
        case readFailed = 0x41
        case randomFailed = 0x47
        case samSelfTestFailed = 0x60
        case samNotAuthorised = 0x66
        case noCard = 0x80
        case selectFailed = 0x81
        case ok = 0x90
        case noSuchContent = 0x91
        case found = 0x9F
    }
}

/// One reply frame, its checksum already checked.
public struct IdCardReply: Sendable, Equatable {
    public var sw1: UInt8
    public var sw2: UInt8
    public var sw3: UInt8
    public var data: [UInt8]

    /// SW3 as a known status, nil for a value no source names.
    public var status: IdCardProtocol.Status? { .init(rawValue: sw3) }
}

/// Cuts reply frames out of a byte stream: hunts for the preamble (a reply may come after
/// leading garbage such as `AA 00 AA AA 96 69 …`), waits for LEN more bytes, and drops a frame
/// whose XOR is wrong. A vendor frame with the `AA AA AA 69 96` preamble is not an ID frame: it
/// is skipped like any other garbage.
public struct IdCardFrameReader: Sendable {
    public enum Item: Sendable, Equatable {
        case reply(IdCardReply)
        /// A complete frame whose checksum did not match (dropped; the bytes after it are read on).
        case badChecksum
    }

    /// The longest frame hallq accepts (a 30 10 read with a 1,024-byte fingerprint is 2,321
    /// bytes); a LEN beyond it is garbage, not a frame to wait for.
    public static let maxLength = 4096
    private var buffer: [UInt8] = []

    public init() {}

    /// Bytes not yet part of a complete frame (a frame still arriving).
    public var pending: Int { buffer.count }

    public mutating func feed(_ bytes: [UInt8]) -> [Item] {
        buffer += bytes
        var out: [Item] = []
        while true {
            guard let start = Self.find(IdCardProtocol.preamble, in: buffer) else {
                // Keep a tail that could be the start of a preamble.
                buffer = Array(buffer.suffix(IdCardProtocol.preamble.count - 1))
                return out
            }
            if start > 0 { buffer.removeFirst(start) }
            guard buffer.count >= 7 else { return out }
            let len = Int(buffer[5]) << 8 | Int(buffer[6])
            guard len >= 4, len + 7 <= Self.maxLength else {
                // Not a frame: look for the next preamble after this one's first byte.
                buffer.removeFirst()
                continue
            }
            guard buffer.count >= len + 7 else { return out }
            let frame = Array(buffer[0..<(len + 7)])
            let xor = frame[5..<(len + 6)].reduce(0, ^)
            if xor == frame[len + 6] {
                buffer.removeFirst(len + 7)
                out.append(
                    .reply(IdCardReply(sw1: frame[7], sw2: frame[8], sw3: frame[9], data: Array(frame[10..<(len + 6)])))
                )
            } else {
                out.append(.badChecksum)
                buffer.removeFirst()
            }
        }
    }

    static func find(_ needle: [UInt8], in hay: [UInt8]) -> Int? {
        guard hay.count >= needle.count else { return nil }
        for i in 0...(hay.count - needle.count) where hay[i] == needle[0] {
            if Array(hay[i..<(i + needle.count)]) == needle { return i }
        }
        return nil
    }
}
