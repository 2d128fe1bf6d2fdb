import HallqCore

/// The words a clip pack holds: a chime, the fixed call vocabulary, digits and number words,
/// and the letters used as ticket prefixes. A pack has one WAV clip per name.
public enum Vocabulary {
    public static let chime = "chime"
    public static let words = ["请", "号", "到", "窗口", "办理", "重呼", "再次", "请再次"]
    public static let digits = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"]
    public static let numberWords = ["十", "百", "千"]
    public static let letters = (UInt8(ascii: "A")...UInt8(ascii: "Z")).map { String(UnicodeScalar($0)) }
    public static var all: [String] { [chime] + words + digits + numberWords + letters }
}

/// How the digits of a ticket are read: "A012" as A 零 一 二 (digits, what halls do: no two
/// tickets sound alike) or as A 十二 (number).
public enum NumberReading: String, Sendable, Equatable, CaseIterable {
    case digits, number
}

/// Turns a call into the clip names to play. Pure: templates and labels in, names out.
public enum PhraseBuilder {
    public struct Failure: Error, Equatable, CustomStringConvertible {
        public var description: String
    }

    /// What `[voice]` says for a call or a recall, as clip names (no chime): the one phrase the
    /// sound card and the lobby board both play.
    public static func announcement(
        _ v: VoiceConfig, ticket: String, window: Int, recall: Bool
    ) throws(Failure) -> [String] {
        guard let reading = NumberReading(rawValue: v.number) else {
            throw Failure(description: "unknown number reading \(v.number)")
        }
        return try clips(template: recall ? v.recall : v.call, ticket: ticket, window: window, reading: reading)
    }

    /// `template` with {ticket} and {window} filled, as clip names (no chime).
    public static func clips(
        template: String, ticket: String, window: Int, reading: NumberReading
    ) throws(Failure) -> [String] {
        var out: [String] = []
        var rest = Substring(template)
        while !rest.isEmpty {
            if rest.hasPrefix("{ticket}") {
                out += try label(ticket, reading: reading)
                rest = rest.dropFirst("{ticket}".count)
            } else if rest.hasPrefix("{window}") {
                out += number(window)
                rest = rest.dropFirst("{window}".count)
            } else if rest.first!.isWhitespace {
                rest = rest.dropFirst()
            } else {
                // The longest vocabulary word at this place.
                guard let w = Vocabulary.words.filter({ rest.hasPrefix($0) }).max(by: { $0.count < $1.count }) else {
                    throw Failure(
                        description:
                            "\"\(rest.first!)\" is not in the clip pack's vocabulary (\(Vocabulary.words.joined(separator: " ")))"
                    )
                }
                out.append(w)
                rest = rest.dropFirst(w.count)
            }
        }
        return out
    }

    /// A ticket label: its letters one by one, then its digits as configured.
    static func label(_ label: String, reading: NumberReading) throws(Failure) -> [String] {
        let letters = label.prefix { $0.isLetter }
        let digits = label.dropFirst(letters.count)
        var out: [String] = []
        for c in letters {
            let u = String(c).uppercased()
            guard Vocabulary.letters.contains(u) else {
                throw Failure(description: "the label \(label) has a letter no clip reads")
            }
            out.append(u)
        }
        guard digits.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw Failure(description: "the label \(label) is not letters then digits")
        }
        switch reading {
        case .digits: out += digits.map { Vocabulary.digits[Int(String($0))!] }
        case .number: out += number(Int(digits) ?? 0)
        }
        return out
    }

    /// A number as it is said, 0…9999: 3 三, 12 十二, 20 二十, 105 一百零五, 1010 一千零一十.
    public static func number(_ n: Int) -> [String] {
        guard n > 0, n < 10000 else {
            return n == 0 ? [Vocabulary.digits[0]] : String(n).map { Vocabulary.digits[Int(String($0))!] }
        }
        if n < 20 && n >= 10 { return ["十"] + (n % 10 == 0 ? [] : [Vocabulary.digits[n % 10]]) }
        let units = [(1000, "千"), (100, "百"), (10, "十"), (1, "")]
        var out: [String] = []
        var pendingZero = false
        var started = false
        for (value, word) in units {
            let d = (n / value) % 10
            if d == 0 {
                if started { pendingZero = true }
                continue
            }
            if pendingZero {
                out.append(Vocabulary.digits[0])
                pendingZero = false
            }
            out.append(Vocabulary.digits[d])
            if !word.isEmpty { out.append(word) }
            started = true
        }
        return out
    }
}
