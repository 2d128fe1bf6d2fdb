import ArgumentParser
import Foundation
import HallqVoice

/// `hallqctl voice generate DIR`: the default clip pack, made on this machine, offline.
struct Voice: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Voice calling: make the default clip pack.",
        subcommands: [Generate.self])

    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the default clip pack (chime, call words, digits, letters) to a directory.",
            discussion: """
                Each word is spoken by espeak-ng's cmn-latn-pinyin voice, run as a separate program (espeak-ng is \
                GPL and is not linked), and trimmed of silence; the chime is synthesised. Any clip can then be \
                replaced with a recording of the same name (mono 16-bit WAV at the pack's rate; see manifest.txt).
                """)

        @Argument(help: "Directory for the clips and manifest.txt (e.g. /var/lib/hallq/voice).") var directory: String
        @Option(help: "The espeak-ng program.") var espeak = "espeak-ng"
        @Option(help: "Speaking speed in words per minute.") var speed = 150

        func run() throws {
            let dir = URL(fileURLWithPath: directory)
            let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("hallq-voice-\(getpid()).wav")
            defer { try? FileManager.default.removeItem(at: tmp) }
            var clips: [String: [Int16]] = [:]
            var rate: Int?
            for name in Vocabulary.all where name != Vocabulary.chime {
                guard let pinyin = Pinyin.clips[name] else { continue }
                let p = Process()
                p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                p.arguments = [espeak, "-v", "cmn-latn-pinyin", "-s", String(speed), "-w", tmp.path, pinyin]
                p.standardError = FileHandle.nullDevice
                do { try p.run() } catch {
                    throw ValidationError("cannot run \(espeak): \(error) (apt install espeak-ng)")
                }
                p.waitUntilExit()
                guard p.terminationStatus == 0 else {
                    throw ValidationError("\(espeak) failed on \"\(pinyin)\" (is the cmn-latn-pinyin voice there?)")
                }
                let wav = try Wave.decode([UInt8](try Data(contentsOf: tmp)))
                if let r = rate, r != wav.rate {
                    throw ValidationError("\(espeak) changed its rate (\(r) → \(wav.rate) Hz)")
                }
                rate = wav.rate
                clips[name] = Wave.trimmed(wav.samples)
            }
            guard let rate else { throw ValidationError("no clip was made") }
            clips[Vocabulary.chime] = Wave.chime(rate: rate)
            let names = Dictionary(uniqueKeysWithValues: Vocabulary.all.map { ($0, Pinyin.fileName($0)) })
            try ClipPackFiles.write(ClipPack(rate: rate, clips: clips), to: dir, fileNames: names)
            print("voice: \(clips.count) clips at \(rate) Hz in \(dir.path)")
        }
    }
}
