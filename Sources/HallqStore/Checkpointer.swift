import Foundation
import GRDB

/// Folds the write-ahead log into the database file in the background.
///
/// SQLite does it by itself in the committing connection once the WAL passes 1000 pages, which
/// makes one commit in a few hundred take milliseconds longer (the p99 of `take`). Here the
/// writer's automatic checkpoint waits for a far larger WAL (a safety net only), and a
/// connection of its own runs a PASSIVE checkpoint every second, which never blocks the writer
/// or the readers. Durability does not change: a commit is on disk once its WAL frames are synced.
final class Checkpointer: @unchecked Sendable {
    private let queue: DatabaseQueue
    private let timer: any DispatchSourceTimer
    private let lock = NSLock()
    private var stopped = false

    init(path: String, synchronous: HallStore.Synchronous, every seconds: Double = 1) throws {
        var c = Configuration()
        c.busyMode = .timeout(1)
        c.label = "hallq.checkpointer"
        // A checkpoint syncs the WAL before it copies pages into the file and the file after;
        // the same level as the writer says so (a DatabaseQueue keeps what is set here).
        c.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = \(synchronous.rawValue)") }
        queue = try DatabaseQueue(path: path, configuration: c)
        timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "hallq.checkpoint", qos: .utility))
        timer.schedule(deadline: .now() + seconds, repeating: seconds, leeway: .milliseconds(200))
        timer.setEventHandler { [weak self] in self?.checkpoint() }
        timer.resume()
    }

    private func checkpoint() {
        lock.lock()
        defer { lock.unlock() }
        guard !stopped else { return }
        _ = try? queue.writeWithoutTransaction { try $0.checkpoint(.passive) }
    }

    /// Stops the timer and closes the connection (waiting for a checkpoint in progress).
    func stop() {
        timer.cancel()
        lock.lock()
        stopped = true
        lock.unlock()
        try? queue.close()
    }

    /// The writer's own automatic checkpoint threshold, in pages, while a checkpointer runs.
    static let writerThresholdPages = 20_000
}
