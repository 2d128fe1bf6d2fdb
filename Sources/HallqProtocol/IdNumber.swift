import HallqCore

/// An ID card's type and number as a kiosk client with its own reader sends them on `take`
/// (`id_type`, `id_number`). It lives only until the dispatcher hashes it into a `Person`:
/// it is never stored, logged, echoed in an error or put in a reply (docs/PRIVACY.md).
public struct IdNumber: Sendable, Equatable {
    /// The letter the person key is made over: R (resident card), I (foreigner's permanent
    /// residence card), J (HK/Macao/Taiwan residence permit) — the same letters a reader's card
    /// type gives, so a card typed and the same card read are one person.
    public var letter: String
    public var number: String

    /// `id_type` values on the wire, and their letters.
    public static let types: [String: String] = ["resident": "R", "foreigner": "I", "permit": "J"]

    /// Validates without repeating the number in the error.
    public init(type: String?, number raw: String) throws(HallError) {
        let type = type ?? "resident"
        guard let letter = Self.types[type] else {
            throw .badRequest("id_type must be one of \(Self.types.keys.sorted().joined(separator: ", "))")
        }
        let number = raw.uppercased()
        switch letter {
        case "R", "J":
            guard Self.validGB11643(number) else {
                throw .badRequest("id_number is not an 18-character citizen identity number (GB 11643 check digit)")
            }
        default:
            guard (15...18).contains(number.count), number.allSatisfy({ $0.isASCII && ($0.isNumber || $0.isUppercase) })
            else {
                throw .badRequest("id_number is not a permanent residence card number (15 to 18 letters and digits)")
            }
        }
        self.letter = letter
        self.number = number
    }

    /// The birth date the number carries (YYYYMMDD), for 18-character numbers (GB 11643
    /// positions 7–14; a 2023 foreigner's card has the same place).
    public var birth: String? {
        guard number.count == 18 else { return nil }
        let digits = number.dropFirst(6).prefix(8)
        return digits.allSatisfy(\.isNumber) ? String(digits) : nil
    }

    /// GB 11643-1999: 17 digits and an ISO 7064 MOD 11-2 check character (0–9 or X).
    public static func validGB11643(_ s: String) -> Bool {
        let chars = Array(s)
        guard chars.count == 18, chars.prefix(17).allSatisfy({ $0.isASCII && $0.isNumber }) else { return false }
        let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
        let sum = zip(chars.prefix(17), weights).reduce(0) { $0 + Int(String($1.0))! * $1.1 }
        let check = Array("10X98765432")[sum % 11]
        return chars[17] == check
    }
}
