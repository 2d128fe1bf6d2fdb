import Foundation
import HallqApp
import HallqCore
import HallqVoice
import Logging

/// The board's voice, for halls whose speakers hang off the lobby TV: the same announcement the
/// sound card plays (`[voice]`'s phrase, clip pack, repeats and volume), as a WAV the board's
/// browser fetches for each call (`/api/announcements/<id>.wav`). Rendered once per call and
/// kept for the last few, since every board in the hall asks for the same one.
final class BoardVoice: @unchecked Sendable {
    let pack: ClipPack
    private let lock = NSLock()
    private var rendered: [(seq: Int64, wav: [UInt8])] = []
    static let kept = 16

    /// nil when `[voice]` is absent or its clip pack cannot be loaded (logged: the board is then
    /// silent, like a hall without a sound card).
    init?(config: HallConfig, stateDir: URL, logger: Logger) {
        guard let v = config.voice else { return nil }
        let dir = v.clipDirectory(stateDir: stateDir)
        do throws(Wave.Failure) {
            pack = try ClipPackFiles.load(dir)
        } catch {
            logger.warning("the board's voice is off", metadata: ["clips": .string(dir.path), "error": "\(error)"])
            return nil
        }
    }

    /// The call's announcement as a WAV file, or nil when a word has no clip.
    func wav(_ call: RecentCalls.Call, voice v: VoiceConfig) -> [UInt8]? {
        if let hit = lock.withLock({ rendered.first { $0.seq == call.seq }?.wav }) { return hit }
        guard
            let phrase = try? PhraseBuilder.announcement(
                v, ticket: call.label, window: call.window, recall: call.recall),
            pack.missing(phrase).isEmpty
        else { return nil }
        let samples = Renderer.render(phrase, pack: pack, repeats: v.repeats, volume: Double(v.volume) / 100)
        let wav = Wave.encode(samples, rate: pack.rate)
        lock.withLock {
            rendered.append((call.seq, wav))
            if rendered.count > Self.kept { rendered.removeFirst() }
        }
        return wav
    }
}
