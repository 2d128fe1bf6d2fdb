import Foundation
import GRDB
import HallqClient
import HallqProtocol
import HallqTestKit
import HallqVoice
import Testing

/// Voice calling through the real libasound into ALSA's `file:` device (no card needed), from a
/// synthetic clip pack whose clip lengths are known, so the captured audio can be counted.
@Suite("voice calling through ALSA's file device", .serialized, .onDaemonThreads)
struct VoiceCallingTests {
    /// Every clip 4 ms at 8 kHz except the chime; what matters is that lengths are exact.
    static func pack(_ dir: URL) throws -> ClipPack {
        var clips: [String: [Int16]] = [:]
        for (i, name) in Vocabulary.all.enumerated() {
            clips[name] = (0..<(32 + i)).map { Int16(truncatingIfNeeded: ($0 * 997 + i * 131) % 20000 - 10000) }
        }
        let p = ClipPack(rate: 8000, clips: clips)
        try ClipPackFiles.write(p, to: dir, fileNames: [:])
        return p
    }

    static func config(clips: URL, device: String, backlog: Int = 20) -> String {
        TestHallConfig.oneService(windows: 3) + """

            [voice]
            device = "\(device)"
            clips = "\(clips.path)"
            repeats = 2
            max_backlog_s = \(backlog)
            """
    }

    struct Announced {
        var label: String
        var dropped: String?
        var repeats: Int
        var atMs: Int64
        var window: Int
    }

    func announcements(_ d: DaemonHarness) throws -> [Announced] {
        let db = try DatabaseQueue(path: d.stateDir.appendingPathComponent("hallq.sqlite").path)
        defer { try? db.close() }
        return try db.read { db in
            try Row.fetchAll(
                db, sql: "SELECT ticket, details, at_ms, window FROM events WHERE type = 'announce' ORDER BY seq"
            ).map { row in
                let details = JSONValue.parse(Array((row["details"] as String).utf8))
                return Announced(
                    label: row["ticket"], dropped: details?["dropped"]?.stringValue,
                    repeats: Int(details?["repeats"]?.stringValue ?? "") ?? -1, atMs: row["at_ms"],
                    window: row["window"])
            }
        }
    }

    /// PCM bytes in the captured WAV so far (the header's sizes are written only on close).
    func capturedSamples(_ file: URL) -> Int {
        guard let b = try? [UInt8](Data(contentsOf: file)),
            let i = (0..<max(0, b.count - 4)).first(where: { Array(b[$0..<($0 + 4)]) == Array("data".utf8) })
        else { return 0 }
        return (b.count - i - 8) / 2
    }

    @Test(
        "a burst of six calls at three windows: said in call order, never overlapping, superseded calls dropped, each logged"
    )
    func burst() throws {
        let dir = URL(fileURLWithPath: "/tmp/hq-voice-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: dir) }
        let p = try Self.pack(dir.appendingPathComponent("clips"))
        let wav = dir.appendingPathComponent("out.wav")
        let d = try DaemonHarness(
            config: Self.config(
                clips: dir.appendingPathComponent("clips"), device: "file:FILE=\(wav.path),FORMAT=wav", backlog: 3))
        try d.start()
        let kiosk = try d.client(.kiosk)
        let clerk = try d.client(.clerk)
        for _ in 0..<6 { _ = try kiosk.request(["op": "take", "service": "A"]) }
        for w in 1...3 { _ = try clerk.request(["op": "signin", "window": .int(Int64(w)), "clerk": .string("c\(w)")]) }
        var calls: [(label: String, window: Int)] = []
        for w in [1, 2, 3, 1, 2, 3] {
            let r = try clerk.request(["op": "call", "window": .int(Int64(w))])
            calls.append((r["ticket"]?["label"]?.stringValue ?? "?", w))
        }
        var said: [Announced] = []
        #expect(
            try eventually(30) {
                said = try announcements(d)
                return said.count == 6
            }, "\(said.map(\.label))")
        // In call order; A002 and A003 were superseded (their windows called again) before their turn.
        #expect(said.map(\.label) == calls.map(\.label))
        #expect(said.map(\.dropped) == [nil, "superseded", "superseded", nil, nil, nil], "\(said.map(\.dropped))")
        // The backlog rule: with three calls waiting (over 3 s of audio), the later ones are said once.
        #expect(said[3].repeats == 1 && said[5].repeats <= 2, "\(said.map(\.repeats))")
        // Nothing overlaps: the audio captured is exactly the played announcements one after another…
        let phrase = { (c: (label: String, window: Int)) in
            try PhraseBuilder.clips(
                template: "请{ticket}号到{window}号窗口办理", ticket: c.label, window: c.window, reading: .digits)
        }
        let expected = try zip(calls, said).filter { $0.1.dropped == nil }.reduce(0) {
            $0 + Renderer.length(try phrase($1.0), pack: p, repeats: $1.1.repeats)
        }
        var captured = 0
        #expect(
            eventually(10) {
                captured = capturedSamples(wav)
                return captured == expected
            }, "captured \(captured), expected \(expected)")
        // … and each is heard to its end before the next begins (paced on the sample clock): an
        // announce event is logged when its announcement has been said.
        let played = zip(calls, said).filter { $0.1.dropped == nil }
        for k in 1..<played.count {
            let ms = Int64(
                Renderer.length(try phrase(played[k].0), pack: p, repeats: played[k].1.repeats) * 1000 / p.rate)
            let gap = played[k].1.atMs - played[k - 1].1.atMs
            // Without pacing the file device takes it all at once (gap ≈ 0); the slack is for logging.
            #expect(
                gap >= ms - 150,
                "\(played[k].1.label) ended \(gap) ms after \(played[k - 1].1.label), but lasts \(ms) ms")
        }
        #expect(d.stop() == 0)
    }

    @Test("no sound card: hallqd starts, call works at full speed, voice is degraded in devices and status, and logged")
    func noCard() throws {
        let dir = URL(fileURLWithPath: "/tmp/hq-voice-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: dir) }
        _ = try Self.pack(dir.appendingPathComponent("clips"))
        let d = try DaemonHarness(config: Self.config(clips: dir.appendingPathComponent("clips"), device: "hw:97,0"))
        try d.start()
        _ = try d.ask(.kiosk, ["op": "take", "service": "A"])
        let clerk = try d.client(.clerk)
        _ = try clerk.request(["op": "signin", "window": 1, "clerk": "张三"])
        #expect(try clerk.request(["op": "call", "window": 1])["ticket"]?["label"] == "A001")
        var health = ""
        #expect(
            try eventually {
                health = try d.ask(.admin, ["op": "devices"])["devices"]?["voice"]?["health"]?.stringValue ?? ""
                return health.hasPrefix("degraded: cannot open ALSA device hw:97,0")
            }, "\(health)")
        #expect(try eventually { try announcements(d).first?.dropped == "device unavailable" })
        #expect(
            try eventually {
                let db = try DatabaseQueue(path: d.stateDir.appendingPathComponent("hallq.sqlite").path)
                return try db.read {
                    try Int.fetchOne(
                        $0, sql: "SELECT COUNT(*) FROM events WHERE type = 'device' AND details LIKE '%voice%'") ?? 0
                } > 0
            })
        #expect(d.stop() == 0)
    }

    @Test(
        "hallqctl voice generate: every word of the vocabulary from the real espeak-ng, trimmed, one rate, a synthesised chime"
    )
    func generate() throws {
        let dir = URL(fileURLWithPath: "/tmp/hq-voicegen-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: dir) }
        let p = Process()
        p.executableURL = DaemonHarness.binDir.appendingPathComponent("hallqctl")
        p.arguments = ["voice", "generate", dir.path]
        try p.runSerially()
        #expect(try p.finish() == 0)
        let pack = try ClipPackFiles.load(dir)
        #expect(pack.rate == 22050)
        #expect(pack.missing(Vocabulary.all).isEmpty, "\(pack.missing(Vocabulary.all))")
        for name in Vocabulary.all where name != Vocabulary.chime {
            let clip = pack.clips[name] ?? []
            // A spoken word: a tenth of a second to two seconds, not silence at either end.
            #expect(clip.count > pack.rate / 10 && clip.count < pack.rate * 2, "\(name): \(clip.count) samples")
            #expect(abs(Int(clip.first ?? 0)) > 300 && abs(Int(clip.last ?? 0)) > 300, "\(name) is trimmed")
        }
        #expect(pack.clips[Vocabulary.chime] == Wave.chime(rate: 22050))
        let call = try PhraseBuilder.clips(
            template: "请{ticket}号到{window}号窗口办理", ticket: "A012", window: 3, reading: .digits)
        let seconds = Double(Renderer.length(call, pack: pack, repeats: 2)) / Double(pack.rate)
        #expect(seconds > 4 && seconds < 20, "请A012号到3号窗口办理 twice lasts \(seconds) s")
    }

    @Test("a device that comes back: voice recovers by itself at the next call")
    func recovers() throws {
        let dir = URL(fileURLWithPath: "/tmp/hq-voice-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: dir) }
        _ = try Self.pack(dir.appendingPathComponent("clips"))
        // The file device cannot be opened while its directory is missing, as a speaker unplugged.
        let out = dir.appendingPathComponent("speaker/out.wav")
        let d = try DaemonHarness(
            config: Self.config(clips: dir.appendingPathComponent("clips"), device: "file:FILE=\(out.path),FORMAT=wav"))
        try d.start()
        for _ in 0..<2 { _ = try d.ask(.kiosk, ["op": "take", "service": "A"]) }
        let clerk = try d.client(.clerk)
        _ = try clerk.request(["op": "signin", "window": 1, "clerk": "张三"])
        _ = try clerk.request(["op": "call", "window": 1])
        #expect(
            try eventually {
                try d.ask(.admin, ["op": "devices"])["devices"]?["voice"]?["health"]?.stringValue?.hasPrefix("degraded")
                    == true
            })
        try FileManager.default.createDirectory(at: out.deletingLastPathComponent(), withIntermediateDirectories: true)
        _ = try clerk.request(["op": "call", "window": 1])
        #expect(try eventually { try d.ask(.admin, ["op": "devices"])["devices"]?["voice"]?["health"] == "ok" })
        var dropped: [String?] = []
        #expect(
            try eventually {
                dropped = try announcements(d).map(\.dropped)
                return dropped == ["device failed", nil]
            }, "\(dropped)")
        #expect(d.stop() == 0)
    }
}
