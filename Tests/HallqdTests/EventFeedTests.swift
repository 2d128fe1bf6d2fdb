import Foundation
import HallqApp
import HallqCore
import HallqStore
import HallqTestKit
import Logging
import NIOCore
import Testing

@testable import HallqSocket

/// The watch fan-out, in process: a watcher that never reads is cut off at its byte budget, one
/// that reads gets every event, and the commands do not wait for either.
@Suite("event feed", .onDaemonThreads)
struct EventFeedTests {
    @Test("a silent watcher is closed at its byte budget; a reading one gets every event")
    func budget() async throws {
        let dir = URL(fileURLWithPath: "/tmp/hq-feed-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = HallConfig(
            services: [ServiceConfig(id: "A", name: "资质认定")], windows: [WindowConfig(number: 1, services: ["A"])])
        let hall = try Hall(
            config: config, store: try HallStore(path: dir.appendingPathComponent("h.sqlite").path),
            logger: Logger(label: "test"))
        let feed = EventFeed(hall: hall, cards: CardDesk(), backlogBytes: 4096)
        let (silentID, silent) = feed.join()
        let (readerID, reader) = feed.join()
        let takes = 60
        let reading = Task {
            var n = 0
            for await line in reader {
                guard let line else { return -1 }
                feed.written(readerID, line.readableBytes)
                n += 1
                if n == takes { return n }
            }
            return n
        }
        for _ in 0..<takes {
            _ = try await hall.submit(.take(service: "A", key: nil), origin: Origin(role: "kiosk")).get()
        }
        #expect(await reading.value == takes, "the reading watcher got every event")
        var got = 0
        var closed = false
        for await line in silent {
            if line == nil {
                closed = true
                break
            }
            got += line!.readableBytes
        }
        #expect(closed, "the silent watcher was told it fell behind")
        #expect(got <= 4096, "no more than its budget was queued for it: \(got)")
        feed.leave(silentID)
        feed.leave(readerID)
    }
}
