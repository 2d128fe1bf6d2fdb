/// A clip pack in memory: mono 16-bit PCM at one rate, one clip per vocabulary name.
public struct ClipPack: Sendable, Equatable {
    public var rate: Int
    public var clips: [String: [Int16]]
    public init(rate: Int, clips: [String: [Int16]]) {
        self.rate = rate
        self.clips = clips
    }

    /// Names a phrase needs that the pack lacks.
    public func missing(_ names: [String]) -> [String] { names.filter { clips[$0] == nil } }
}

/// Clips to one PCM buffer: the chime, a pause, then the phrase `repeats` times with a pause
/// between, each word followed by a short gap so words do not run together. Pure, so the exact
/// length of every announcement is known (and tested) before it plays.
public enum Renderer {
    /// Pauses in milliseconds: after the chime, between repeats, between words.
    public static let afterChimeMs = 300, betweenRepeatsMs = 700, betweenWordsMs = 40

    public static func silence(_ ms: Int, rate: Int) -> [Int16] { Array(repeating: 0, count: rate * ms / 1000) }

    public static func render(_ phrase: [String], pack: ClipPack, repeats: Int, volume: Double = 1) -> [Int16] {
        var one: [Int16] = []
        for (i, w) in phrase.enumerated() {
            if i > 0 { one += silence(betweenWordsMs, rate: pack.rate) }
            one += pack.clips[w] ?? []
        }
        var out = pack.clips[Vocabulary.chime] ?? []
        out += silence(afterChimeMs, rate: pack.rate)
        for r in 0..<max(1, repeats) {
            if r > 0 { out += silence(betweenRepeatsMs, rate: pack.rate) }
            out += one
        }
        guard volume != 1 else { return out }
        return out.map { Int16(clamping: Int((Double($0) * volume).rounded())) }
    }

    /// Samples `render` will produce, without rendering.
    public static func length(_ phrase: [String], pack: ClipPack, repeats: Int) -> Int {
        let words = phrase.reduce(0) { $0 + (pack.clips[$1]?.count ?? 0) }
        let one = words + max(0, phrase.count - 1) * silence(betweenWordsMs, rate: pack.rate).count
        let r = max(1, repeats)
        return (pack.clips[Vocabulary.chime]?.count ?? 0) + silence(afterChimeMs, rate: pack.rate).count
            + r * one + (r - 1) * silence(betweenRepeatsMs, rate: pack.rate).count
    }
}
