import Foundation

/// What espeak-ng's `cmn-latn-pinyin` voice is given for each clip of the default pack: pinyin
/// with tone digits (its `cmn` voice reads Chinese characters wrongly on Debian 12), and the
/// English letter names as Chinese halls say them. File names stay ASCII.
public enum Pinyin {
    public static let clips: [String: String] = [
        "请": "qing3", "号": "hao4", "到": "dao4", "窗口": "chuang1 kou3", "办理": "ban4 li3",
        "重呼": "chong2 hu1", "再次": "zai4 ci4", "请再次": "qing3 zai4 ci4",
        "零": "ling2", "一": "yi1", "二": "er4", "三": "san1", "四": "si4", "五": "wu3", "六": "liu4",
        "七": "qi1", "八": "ba1", "九": "jiu3", "十": "shi2", "百": "bai3", "千": "qian1",
        "A": "ei1", "B": "bi4", "C": "xi1", "D": "di4", "E": "yi4", "F": "ai2 fu1", "G": "ji4", "H": "ai2 qi1",
        "I": "ai4", "J": "jie4", "K": "kai4", "L": "ai2 le5", "M": "ai2 mu5", "N": "en1", "O": "ou1", "P": "pi4",
        "Q": "qiu1", "R": "a4 er3", "S": "ai2 si1", "T": "ti4", "U": "you1", "V": "wei1", "W": "da2 bu5 liu3",
        "X": "ai2 ke4 si1", "Y": "wai4", "Z": "zei4",
    ]

    /// The clip's file name in the default pack.
    public static func fileName(_ clip: String) -> String {
        if clip == Vocabulary.chime { return "chime.wav" }
        if clip.count == 1, clip.first!.isASCII { return "letter-\(clip).wav" }
        return (clips[clip] ?? clip).replacingOccurrences(of: " ", with: "-") + ".wav"
    }
}
