import Foundation
import HallqApp
import HallqCore
import HallqProtocol
import NIOCore

/// Fans committed events out to every `watch` connection. Each event is rendered once, outside
/// the engine's writer (which only hands the commit over), and each watcher has a byte budget of
/// unwritten events: a watcher that does not read is closed with TOO-SLOW when it is exceeded,
/// so a hundred silent watchers cost neither the commands' time nor unbounded memory.
final class EventFeed: @unchecked Sendable {
    private struct Watcher {
        let sink: AsyncStream<ByteBuffer?>.Continuation
        var pending = 0
    }

    private let lock = NSLock()
    private var watchers: [UUID: Watcher] = [:]
    private let limit: Int
    private let commits: AsyncStream<Committed>.Continuation
    private let subscription: UUID
    private let hall: Hall
    private let cards: CardDesk
    private var cardSubscription: UUID?

    /// `cards`: its notices (an ID card placed on a kiosk's reader: the masked name, for a few
    /// seconds) go out too, as `{"event":"card",…}` lines that are not events of the log.
    init(hall: Hall, cards: CardDesk, backlogBytes: Int) {
        self.hall = hall
        self.cards = cards
        limit = backlogBytes
        let (stream, sink) = AsyncStream<Committed>.makeStream(bufferingPolicy: .unbounded)
        commits = sink
        subscription = hall.subscribe { sink.yield($0) }
        Task { [weak self] in
            for await c in stream { self?.broadcast(c) }
        }
        cardSubscription = cards.watch { [weak self] notice in self?.send([SocketServer.line(notice)]) }
    }

    deinit {
        hall.unsubscribe(subscription)
        if let cardSubscription { cards.unwatch(cardSubscription) }
        commits.finish()
    }

    /// A new watcher's stream of rendered lines; nil in it means "fell behind, close".
    func join() -> (UUID, AsyncStream<ByteBuffer?>) {
        let (stream, sink) = AsyncStream<ByteBuffer?>.makeStream(bufferingPolicy: .unbounded)
        let id = UUID()
        lock.lock()
        watchers[id] = Watcher(sink: sink)
        lock.unlock()
        return (id, stream)
    }

    /// The watcher wrote `bytes` to its client.
    func written(_ id: UUID, _ bytes: Int) {
        lock.lock()
        watchers[id]?.pending -= bytes
        lock.unlock()
    }

    func leave(_ id: UUID) {
        lock.lock()
        let w = watchers.removeValue(forKey: id)
        lock.unlock()
        w?.sink.finish()
    }

    private func broadcast(_ c: Committed) {
        // Rendering costs more than the rest of a command's bookkeeping: only for someone.
        guard !c.effects.events.isEmpty, lock.withLock({ !watchers.isEmpty }) else { return }
        send(
            c.effects.events.map {
                SocketServer.line(Render.event($0, role: c.origin.role, uid: c.origin.uid, calendar: c.engine.calendar))
            })
    }

    /// Hands rendered lines to every watcher within its budget; closes the ones behind.
    private func send(_ lines: [ByteBuffer]) {
        guard lock.withLock({ !watchers.isEmpty }) else { return }
        let size = lines.reduce(0) { $0 + $1.readableBytes }
        lock.lock()
        var behind: [Watcher] = []
        for (id, var w) in watchers {
            if w.pending + size > limit {
                behind.append(w)
                watchers[id] = nil
                continue
            }
            w.pending += size
            watchers[id] = w
            for l in lines { w.sink.yield(l) }
        }
        lock.unlock()
        for w in behind {
            w.sink.yield(nil)
            w.sink.finish()
        }
    }
}
