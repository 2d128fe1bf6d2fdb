import Foundation
import HallqApp
import HallqCore
import HallqProtocol
import NIOCore

/// The public event stream behind `GET /api/events`: committed changes turned into board events
/// (calls, waiting counts, window tiles, the hall open or closed), each with an id, fanned out to
/// every connected board and status page.
///
/// - A client joins with the id it last saw; its first event is always a full `snapshot`, made
///   from the same committed state the events after it follow, so nothing is missed or doubled.
///   When that id is from this run and still in the ring of recent events, the events it missed
///   follow the snapshot (`"resumed": true`), so a status page learns that its ticket was called
///   while the phone slept.
/// - A heartbeat goes to everyone every `heartbeat` (and the hall's open/closed state is checked
///   then, since opening hours change it without any command).
/// - Each client has a bounded queue: one that does not read is dropped (its connection closed),
///   never buffered without bound. It reconnects and starts again from a snapshot.
///
/// `WebFaces` hands it each commit (off the engine's writer); rendering happens here.
public final class BoardFeed: @unchecked Sendable {
    /// One connected client: where its events go, and how to close its connection.
    private struct Client {
        let sink: AsyncStream<ByteBuffer>.Continuation
        let drop: @Sendable () -> Void
    }

    private let hall: Hall
    public let heartbeat: Duration
    /// Events a client may have queued before it is dropped.
    let clientBacklog: Int
    /// This run's id: event ids are "<run>-<seq>".
    public let runID: String

    // Guarded by `lock`.
    private let lock = NSLock()
    private var clients: [UUID: Client] = [:]
    private var seq: Int64 = 0
    /// The last events with ids, oldest first, for resuming clients.
    private var ring: [(seq: Int64, bytes: ByteBuffer)] = []
    private var engine: QueueEngine
    private var calls: RecentCalls
    private var dispensing: Bool
    /// The waiting counts and estimates as last published: a `counts` event only when they move.
    private var counts: JSONValue
    /// Windows touched and whether the hall mode changed, in the round so far (a round's state is
    /// published once, after its last command: every notice of a round carries its final engine).
    private var roundWindows = Set<Int>()
    private var roundHall = false
    /// The last calls by sequence number, for their announcements (`/api/announcements`).
    private var announced: [RecentCalls.Call] = []
    /// Whether boards may play calls (`[voice]` with a clip pack): told in the snapshot.
    let voice: Bool
    private var closed = false
    static let ringSize = 512

    public init(
        hall: Hall, recentCalls: [RecentCalls.Call], heartbeat: Duration = .seconds(15), clientBacklog: Int = 256,
        voice: Bool = false
    ) {
        self.voice = voice
        self.hall = hall
        self.heartbeat = heartbeat
        self.clientBacklog = clientBacklog
        runID = String(UInt64(Hall.systemClock()), radix: 36)
        let e = hall.snapshotEngine()
        engine = e
        calls = RecentCalls(recentCalls, limit: Self.callsKept(e.config))
        dispensing = e.dispensing(at: hall.clock())
        counts = PublicView.services(e, now: hall.clock())
    }

    /// The board lists `[lobby] recent` calls (at least 5: the status page shows the latest too).
    static func callsKept(_ c: HallConfig) -> Int { max(5, c.lobby?.recent ?? 5) }

    /// Beats the heartbeat until cancelled.
    public func heartbeats() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: heartbeat)
            if !Task.isCancelled { beat() }
        }
    }

    /// Ends every client's stream (graceful shutdown: their responses finish, the server can stop).
    public func closeAll() {
        let all = lock.withLock {
            closed = true
            defer { clients = [:] }
            return Array(clients.values)
        }
        for c in all { c.sink.finish() }
    }

    /// The snapshot as JSON (`GET /api/board`).
    public func snapshot() -> JSONValue {
        lock.withLock { snapshotLocked() }
    }

    private func snapshotLocked() -> JSONValue {
        PublicView.board(
            engine, calls: calls, now: hall.clock(), runID: runID, lastSeq: seq, voice: voice,
            heartbeatSeconds: Double(heartbeat.components.seconds) + Double(heartbeat.components.attoseconds) * 1e-18)
    }

    /// A new client. `lastEventID` is what it saw last (the `Last-Event-ID` header); `drop`
    /// closes its connection when it falls behind.
    public func join(lastEventID: String?, drop: @escaping @Sendable () -> Void) -> (UUID, AsyncStream<ByteBuffer>) {
        let (stream, sink) = AsyncStream<ByteBuffer>.makeStream(bufferingPolicy: .bufferingOldest(clientBacklog))
        let id = UUID()
        lock.lock()
        defer { lock.unlock() }
        if closed {
            sink.finish()
            return (id, stream)
        }
        let missed = resumable(lastEventID)
        guard case var .object(snap) = snapshotLocked() else { return (id, stream) }
        snap["resumed"] = .bool(missed != nil)
        sink.yield(SSE.event("snapshot", id: PublicView.eventID(runID, seq), data: .object(snap), retryMs: 2000))
        for bytes in missed ?? [] { sink.yield(bytes) }
        clients[id] = Client(sink: sink, drop: drop)
        return (id, stream)
    }

    public func leave(_ id: UUID) {
        let c = lock.withLock { clients.removeValue(forKey: id) }
        c?.sink.finish()
    }

    public var clientCount: Int { lock.withLock { clients.count } }

    /// The sequence number of an event id ("<run>-<seq>") of this run; nil for another run's.
    func sequence(of id: String) -> Int64? {
        guard let dash = id.lastIndex(of: "-"), id[..<dash] == runID else { return nil }
        return Int64(id[id.index(after: dash)...])
    }

    /// A call of this run by its event id, while it is among the last 64.
    func call(id: String) -> RecentCalls.Call? {
        guard let n = sequence(of: id) else { return nil }
        return lock.withLock { announced.first { $0.seq == n } }
    }

    /// The events after `lastEventID` when it is from this run and still in the ring; else nil.
    private func resumable(_ lastEventID: String?) -> [ByteBuffer]? {
        guard let n = lastEventID.flatMap(sequence(of:)), n <= seq else { return nil }
        let oldest = ring.first?.seq ?? seq + 1
        guard n + 1 >= oldest else { return nil }
        return ring.filter { $0.seq > n }.map(\.bytes)
    }

    /// One commit: its calls at once; once its round is complete, the tiles of the windows the
    /// round touched, then the waiting counts and estimates and the hall's state when they
    /// changed (a sign-in changes estimates too).
    func follow(_ c: Committed) {
        let e = c.engine
        let now = hall.clock()
        lock.lock()
        defer { lock.unlock() }
        engine = e
        for ev in c.effects.events {
            switch ev.type {
            case .call, .recall:
                if let call = RecentCalls.call(ev, seq: seq + 1) {
                    seq += 1
                    calls.add(call)
                    announced.append(call)
                    if announced.count > 64 { announced.removeFirst() }
                    publishLocked("call", seq: seq, PublicView.call(call, runID: runID))
                }
            case .hall: roundHall = true
            case .device, .clock, .announce, .print, .rate: continue
            default: break
            }
            if let w = ev.window { roundWindows.insert(w) }
        }
        guard c.endsRound else { return }
        let windows = roundWindows
        let hallChanged = roundHall
        roundWindows = []
        roundHall = false
        for w in windows.sorted() where e.config.window(w) != nil {
            seq += 1
            publishLocked("window", seq: seq, PublicView.window(w, e))
        }
        let services = PublicView.services(e, now: now)
        if services != counts {
            counts = services
            seq += 1
            publishLocked("counts", seq: seq, ["services": services])
        }
        let open = e.dispensing(at: now)
        if hallChanged || open != dispensing {
            dispensing = open
            seq += 1
            publishLocked("hall", seq: seq, PublicView.hall(e, now: now))
        }
    }

    /// The heartbeat, and the hall's open/closed state when the hours changed it. A reloaded
    /// config (texts, scroll, windows, services) goes out as a fresh snapshot: boards left
    /// connected show it without reconnecting.
    private func beat() {
        let now = hall.clock()
        lock.lock()
        defer { lock.unlock() }
        let latest = hall.snapshotEngine().config
        if latest != engine.config {
            // The feed's own state with the new config: still exactly what its events followed.
            engine.reconfigure(latest)
            calls = RecentCalls(calls.calls, limit: Self.callsKept(latest))
            counts = PublicView.services(engine, now: now)
            seq += 1
            publishLocked("snapshot", seq: seq, snapshotLocked())
        }
        let e = engine
        // A quota period opening or ending changes the counts without a commit (only a hall with
        // quotas pays for the look).
        if e.config.services.contains(where: { !$0.quota.isEmpty }) {
            let services = PublicView.services(e, now: now)
            if services != counts {
                counts = services
                seq += 1
                publishLocked("counts", seq: seq, ["services": services])
            }
        }
        let open = e.dispensing(at: now)
        if open != dispensing {
            dispensing = open
            seq += 1
            publishLocked("hall", seq: seq, PublicView.hall(e, now: now))
        }
        sendLocked(
            SSE.event(
                "heartbeat", id: nil, data: ["now": .int(now), "utc_offset_s": .int(e.calendar.offset(at: now) / 1000)])
        )
    }

    private func publishLocked(_ name: String, seq: Int64, _ data: JSONValue) {
        let bytes = SSE.event(name, id: PublicView.eventID(runID, seq), data: data)
        ring.append((seq, bytes))
        if ring.count > Self.ringSize { ring.removeFirst(ring.count - Self.ringSize) }
        sendLocked(bytes)
    }

    /// To every client; one whose queue is full is dropped.
    private func sendLocked(_ bytes: ByteBuffer) {
        var behind: [UUID] = []
        for (id, c) in clients {
            if case .dropped = c.sink.yield(bytes) { behind.append(id) }
        }
        for id in behind {
            let c = clients.removeValue(forKey: id)
            c?.sink.finish()
            c?.drop()
        }
    }
}
