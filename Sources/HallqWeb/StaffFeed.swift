import Foundation
import HallqApp
import HallqCore
import HallqProtocol
import NIOCore

/// The staff pages' own event stream behind `GET /api/staff/events` (a session's, not public):
/// the hall as `status` with its waiting list answers it — windows, tickets in hand, the waiting
/// tickets, the devices, the 好差评 upload and the relay — rendered once per round of commits
/// from committed state and pushed to every open window terminal and admin page. A page never
/// asks for `status` itself: a click is one request (its op), and what changed comes here.
///
/// - Each client's first event is a `status` from the state now (with the hall clock's `now`
///   and the zone's offset, so the page's timers agree with the hall's).
/// - One rendering at a time: commits that arrive while one runs make one more after it, so a
///   burst of commits costs two renderings, not one per commit, and each client's latest event
///   is always the latest state.
/// - A `heartbeat` every `heartbeat`; a client whose session is gone (logged out, expired, its
///   account removed) is closed then (`stillValid`).
/// - A client that does not read is dropped after `clientBacklog` events, as on the board.
public final class StaffFeed: @unchecked Sendable {
    private struct Client {
        let sink: AsyncStream<ByteBuffer>.Continuation
        let stillValid: @Sendable () async -> Bool
    }

    let heartbeat: Duration
    let clientBacklog: Int
    private let render: @Sendable () async -> JSONValue

    // Guarded by `lock`.
    private let lock = NSLock()
    private var clients: [UUID: Client] = [:]
    private var rendering = false
    private var again = false
    private var closed = false

    /// - render: the `status` document (the dispatcher's `status` with `waiting`).
    init(heartbeat: Duration, clientBacklog: Int = 64, render: @escaping @Sendable () async -> JSONValue) {
        self.heartbeat = heartbeat
        self.clientBacklog = clientBacklog
        self.render = render
    }

    /// A committed change: the last command of a round makes one new `status` for everyone.
    func follow(_ c: Committed) {
        guard c.endsRound else { return }
        let start = lock.withLock { () -> Bool in
            guard !closed, !clients.isEmpty else { return false }
            if rendering {
                again = true
                return false
            }
            rendering = true
            return true
        }
        if start { Task { await self.renderAndSend() } }
    }

    private func renderAndSend() async {
        while true {
            // Only the clients there before the rendering starts: one that joins meanwhile got
            // a rendering of its own, newer than this one.
            let before = lock.withLock { Set(clients.keys) }
            let bytes = SSE.event("status", id: nil, data: await render())
            let sinks = lock.withLock { () -> [AsyncStream<ByteBuffer>.Continuation] in
                clients.filter { before.contains($0.key) }.map(\.value.sink)
            }
            for s in sinks { yield(bytes, to: s) }
            let more = lock.withLock { () -> Bool in
                if again {
                    again = false
                    return true
                }
                rendering = false
                return false
            }
            if !more { return }
        }
    }

    private func yield(_ bytes: ByteBuffer, to sink: AsyncStream<ByteBuffer>.Continuation) {
        if case .dropped = sink.yield(bytes) { sink.finish() }
    }

    /// A new client: its stream starts with the state now.
    func join(stillValid: @escaping @Sendable () async -> Bool) async -> (UUID, AsyncStream<ByteBuffer>) {
        let (stream, sink) = AsyncStream<ByteBuffer>.makeStream(bufferingPolicy: .bufferingOldest(clientBacklog))
        let id = UUID()
        let first = SSE.event("status", id: nil, data: await render(), retryMs: 2000)
        let open = lock.withLock { () -> Bool in
            guard !closed else { return false }
            clients[id] = Client(sink: sink, stillValid: stillValid)
            return true
        }
        if open { sink.yield(first) } else { sink.finish() }
        return (id, stream)
    }

    func leave(_ id: UUID) {
        let c = lock.withLock { clients.removeValue(forKey: id) }
        c?.sink.finish()
    }

    var clientCount: Int { lock.withLock { clients.count } }

    /// Heartbeats until cancelled; each also closes the streams whose session has ended.
    func heartbeats(now: @escaping @Sendable () -> Millis) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: heartbeat)
            if Task.isCancelled { return }
            let all = lock.withLock { Array(clients) }
            let beat = SSE.event("heartbeat", id: nil, data: ["now": .int(now())])
            for (id, c) in all {
                if await c.stillValid() { yield(beat, to: c.sink) } else { leave(id) }
            }
        }
    }

    /// Ends every stream (graceful shutdown).
    func closeAll() {
        let all = lock.withLock {
            closed = true
            defer { clients = [:] }
            return Array(clients.values)
        }
        for c in all { c.sink.finish() }
    }
}
