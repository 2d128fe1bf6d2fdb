import Foundation
import HallqCore
import HallqProtocol
import HallqTestKit
import HallqVoice
import Hummingbird
import HummingbirdTesting
import Testing

@testable import HallqWeb

/// A clip pack whose clips have known, distinct lengths (so a rendered call can be counted).
func syntheticPack(rate: Int = 8000) -> ClipPack {
    var clips: [String: [Int16]] = [:]
    for (i, name) in Vocabulary.all.enumerated() {
        clips[name] = (0..<(40 + i)).map { Int16(truncatingIfNeeded: ($0 * 997 + i * 131) % 20000 - 10000) }
    }
    return ClipPack(rate: rate, clips: clips)
}

@Suite struct BoardVoiceTests {
    static let voice = """

        [voice]
        device = "null"
        repeats = 2
        """

    @Test("each call's announcement as WAV: the sound card's phrase, repeats and pack; unknown ids are 404")
    func announcement() async throws {
        let pack = syntheticPack()
        let w = try await WebHall(extraConfig: Self.voice) { state in
            try ClipPackFiles.write(pack, to: state.appendingPathComponent("voice"), fileNames: [:])
        }
        try await w.ok(.kiosk, ["op": "take", "service": "A"])
        try await w.ok(.clerk, ["op": "signin", "window": 3, "clerk": "张三"])
        try await w.live { client in
            let sse = try await SSEReader(port: try #require(client.port))
            let snap = try #require(try await sse.next())
            #expect(snap.data["voice"]?["max_backlog_s"]?.doubleValue == 20)
            try await w.ok(.clerk, ["op": "call", "window": 3])
            try await w.ok(.clerk, ["op": "recall", "window": 3])
            let calls = try await sse.until("call") + sse.until("call")
            let ids = calls.filter { $0.name == "call" }.compactMap { $0.data["id"]?.stringValue }
            #expect(ids.count == 2)
            for (id, recall) in zip(ids, [false, true]) {
                let r = try await client.execute(uri: "/api/announcements/\(id).wav", method: .get)
                #expect(r.status == .ok)
                #expect(r.headers[.contentType] == "audio/wav")
                let decoded = try Wave.decode(Array(r.body.readableBytesView))
                let phrase = try PhraseBuilder.announcement(VoiceConfig(), ticket: "A001", window: 3, recall: recall)
                #expect(decoded.rate == 8000)
                #expect(decoded.samples.count == Renderer.length(phrase, pack: pack, repeats: 2))
            }
            for bad in ["nope-1.wav", "\(ids[0]).mp3", "\(ids[0].split(separator: "-")[0])-999.wav"] {
                let r = try await client.execute(uri: "/api/announcements/\(bad)", method: .get)
                #expect(r.status == .notFound, "\(bad)")
            }
        }
        await w.stop()
    }

    @Test("without [voice] the board is told so and announcements are 404")
    func silent() async throws {
        let w = try await WebHall()
        try await w.app.test(.router) { client in
            let board = try await client.execute(uri: "/api/board", method: .get)
            #expect(board.json["voice"] == .null)
            let r = try await client.execute(uri: "/api/announcements/x-1.wav", method: .get)
            #expect(r.status == .notFound && r.json["error"]?.stringValue == "NOT-FOUND")
        }
        await w.stop()
    }
}
