/// What a 30 01 (or 30 10) read carries: the card's 256-byte text block parsed by its layout
/// (../shared/HARDWARE.md §5). The photo (and a fingerprint) are skipped by their lengths and
/// never decoded. Only the reader driver holds this value, for as long as it takes to turn it
/// into a person hash, an age and a masked name (docs/PRIVACY.md); it is never stored or logged.
public struct IdCardText: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// The resident identity card (居民身份证).
        case resident
        /// `I`: the foreigner's permanent residence card (2017 layout).
        case foreigner
        /// `J`: the Hong Kong/Macao/Taiwan residence permit (港澳台居民居住证).
        case permit
        /// A type letter no public layout describes (e.g. the 2023 foreigner's card): the fields
        /// are read as the resident layout, which may not fit.
        case other(Character)

        /// The letter hallq keys the person on: the hash covers type and number.
        public var letter: String {
            switch self {
            case .resident: return "R"
            case .foreigner: return "I"
            case .permit: return "J"
            case let .other(c): return String(c)
            }
        }
    }

    public var kind: Kind
    public var name: String
    /// The English name (`I` cards only).
    public var englishName: String?
    /// GB/T 2261.1: "0" unknown, "1" male, "2" female, "9" unstated.
    public var sex: String
    /// GB/T 3304 two digits (resident and `J`); the GB/T 2659 alpha-3 nationality on an `I` card.
    public var nation: String
    /// YYYYMMDD.
    public var birth: String
    public var address: String
    public var number: String
    public var issuer: String
    public var validFrom: String
    /// YYYYMMDD, or 长期 for a card valid for life.
    public var validTo: String

    public var longTerm: Bool { validTo == "长期" }

    public enum ParseError: Error, Sendable, Equatable {
        case notARead(sw3: UInt8)
        case lengths(String)
    }

    /// Parses a read reply: its data is `text length, photo length[, fingerprint length]`
    /// (big-endian), then the blocks. Which of the two shapes it is follows from the lengths.
    public static func parse(_ reply: IdCardReply) throws(ParseError) -> IdCardText {
        guard reply.sw3 == IdCardProtocol.Status.ok.rawValue else { throw .notARead(sw3: reply.sw3) }
        let d = reply.data
        guard d.count >= 4 else { throw .lengths("reply data of \(d.count) bytes has no length fields") }
        let textLen = Int(d[0]) << 8 | Int(d[1])
        let photoLen = Int(d[2]) << 8 | Int(d[3])
        var header = 4
        if d.count != 4 + textLen + photoLen {
            // The fingerprint read adds a third length.
            guard d.count >= 6 else { throw .lengths("\(d.count) bytes fit no read layout") }
            let fpLen = Int(d[4]) << 8 | Int(d[5])
            guard d.count == 6 + textLen + photoLen + fpLen else {
                throw .lengths("text \(textLen) + photo \(photoLen) do not add up to \(d.count) bytes")
            }
            header = 6
        }
        guard textLen >= 256 else { throw .lengths("text block of \(textLen) bytes is shorter than 256") }
        return parseText(Array(d[header..<(header + 256)]))
    }

    /// The 256-byte text block (UCS-2 little-endian, fields right-padded with spaces).
    public static func parseText(_ text: [UInt8]) -> IdCardText {
        func field(_ offset: Int, _ length: Int) -> String {
            var units: [UInt16] = []
            var i = offset
            while i + 1 < offset + length, i + 1 < text.count {
                units.append(UInt16(text[i]) | UInt16(text[i + 1]) << 8)
                i += 2
            }
            let s = String(decoding: units, as: UTF16.self)
            return String(s.reversed().drop { $0 == " " || $0 == "\0" }.reversed())
        }
        let type = field(248, 2)
        switch type {
        case "I":
            return IdCardText(
                kind: .foreigner, name: field(158, 30), englishName: field(0, 120), sex: field(120, 2),
                nation: field(152, 6), birth: field(220, 16), address: "", number: field(122, 30),
                issuer: field(240, 8), validFrom: field(188, 16), validTo: field(204, 16))
        default:
            let kind: Kind =
                switch type {
                case "J": .permit
                case "": .resident
                default: .other(type.first!)
                }
            return IdCardText(
                kind: kind, name: field(0, 30), englishName: nil, sex: field(30, 2), nation: field(32, 4),
                birth: field(36, 16), address: field(52, 70), number: field(122, 36), issuer: field(158, 30),
                validFrom: field(188, 16), validTo: field(204, 16))
        }
    }
}
