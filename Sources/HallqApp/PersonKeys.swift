import Crypto
import Foundation
import HallqCore
import HallqEncoders
import HallqProtocol

/// Makes a `Person` from an ID card without keeping who it is (docs/PRIVACY.md): the person key
/// is HMAC-SHA256 over the card type letter and number, under a key of its own derived from
/// the hall's secret (`<state>/http.key`, the status links' key): HMAC(secret, "hallq person
/// key v1"). One secret to keep and back up, two purposes that never share a key. Without the
/// secret a key cannot be turned back into a number, and two halls' keys for one card differ.
public struct PersonKeys: Sendable {
    private let key: [UInt8]

    init(secret: [UInt8]) {
        key = Array(
            HMAC<SHA256>.authenticationCode(for: Data("hallq person key v1".utf8), using: SymmetricKey(data: secret)))
    }

    /// The key of a card type letter (R, I, J, …) and number.
    public func key(letter: String, number: String) -> String {
        HMAC<SHA256>.authenticationCode(
            for: Data("\(letter):\(number.uppercased())".utf8), using: SymmetricKey(data: key)
        ).map { String(format: "%02x", $0) }.joined()
    }

    /// A number sent with `take` (`id_number`).
    public func person(_ card: IdNumber) -> Person {
        Person(key: key(letter: card.letter, number: card.number), birth: card.birth)
    }

    /// A card on a reader, reduced to what hallq keeps and shows.
    public func read(_ card: IdCardText) -> CardRead {
        let birth = card.birth.count == 8 && card.birth.allSatisfy(\.isNumber) ? card.birth : nil
        let name = card.name.isEmpty ? (card.englishName ?? "") : card.name
        return CardRead(
            person: Person(key: key(letter: card.kind.letter, number: card.number), birth: birth),
            masked: Self.mask(name))
    }

    /// 张三 → 张*, 欧阳娜娜 → 欧***, JOHN SMITH → J*: the first character and a star for each
    /// of the others (at least one), for a screen that shows it for a few seconds.
    public static func mask(_ name: String) -> String {
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        guard let first = trimmed.first else { return "*" }
        if trimmed.contains(" ") || first.isASCII { return String(first) + "*" }
        return String(first) + String(repeating: "*", count: max(1, trimmed.count - 1))
    }
}

/// What a card read leaves in memory: the person and the masked name (for the kiosk's screen).
public struct CardRead: Sendable, Equatable {
    public var person: Person
    public var masked: String
}

extension StatusLinks {
    /// The person keys made from the same secret.
    public var persons: PersonKeys { PersonKeys(secret: secret) }
}
