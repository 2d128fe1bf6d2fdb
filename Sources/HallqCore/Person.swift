/// Someone who showed an ID card, as hallq knows them: never who they are (docs/PRIVACY.md).
///
/// `key` is HMAC-SHA256 of the card type and number under the hall's secret, made at the edge
/// (the reader driver, or the dispatcher for a `take` with `id_number`) the moment the number is
/// read; the number itself never reaches the engine. `birth` is used on the day to work out the
/// age for the green channel and is not stored: the store keeps `key` on the ticket only.
public struct Person: Sendable, Equatable, Hashable {
    /// Lowercase hex, 64 characters.
    public var key: String
    /// YYYYMMDD, when the card gives it.
    public var birth: String?

    public init(key: String, birth: String?) {
        self.key = key
        self.birth = birth
    }

    /// Whole years of age on `day` (YYYY-MM-DD): the day of the birthday counts. nil without a
    /// readable birth date. Someone born on 29 February turns a year older on 1 March in common
    /// years (the day after 28 February), as Chinese civil law counts full years.
    public func age(on day: String) -> Int? {
        guard let b = birth, b.count == 8, let by = Int(b.prefix(4)), let bmd = Int(b.suffix(4)) else { return nil }
        let parts = day.split(separator: "-")
        guard parts.count == 3, let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]) else {
            return nil
        }
        let md = m * 100 + d
        return y - by - (md < bmd ? 1 : 0)
    }
}
