/// The tickets not yet done (waiting, called, serving), with every queue kept in call order.
///
/// Why not a plain `[Int64: Ticket]`: the writer copies the engine once per commit round, and a
/// busy hall has thousands waiting. Here a copy copies references (each ticket sits in an
/// immutable box), and the questions every command asks — who is next for this window, how
/// many are ahead of this ticket, how many wait for this service — are answered from the
/// ordered queues in O(log n) or O(1), not by scanning and sorting every ticket.
public struct LiveTickets: Sendable, Equatable {
    final class Box: Sendable {
        let ticket: Ticket
        init(_ t: Ticket) { ticket = t }
    }

    /// One queue: a service's open queue (`target` nil), or the tickets transferred to one window.
    struct QueueKey: Hashable, Sendable {
        var service: String
        var target: Int?
    }

    /// A waiting ticket's place: priority (绿色通道, transferred) tickets first, then checked-in
    /// booked tickets by their slot, then walk-ins; within each by queue sequence.
    struct Place: Comparable, Sendable {
        var rank: Int
        /// The slot's start for a booked ticket, else 0.
        var slot: Int64
        var seq: Int64
        var id: Int64
        init(_ t: Ticket) {
            rank = Self.rank(t)
            slot = rank == Self.booked ? (t.slotStart ?? 0) : 0
            seq = t.queueSeq
            id = t.id
        }
        init(rank: Int, seq: Int64, id: Int64) {
            self.rank = rank
            self.slot = .min
            self.seq = seq
            self.id = id
        }
        static let priority = 0
        static let booked = 1
        static let walkIn = 2
        static func rank(_ t: Ticket) -> Int { t.priority ? priority : t.queuesAsBooked ? booked : walkIn }
        static func < (a: Place, b: Place) -> Bool {
            (a.rank, a.slot, a.seq, a.id) < (b.rank, b.slot, b.seq, b.id)
        }
    }

    /// The tickets by id in 64 shards: a commit round's copy of the engine copies 64 references,
    /// and a change copies one shard, not every ticket.
    private var shards = [[Int64: Box]](repeating: [:], count: 64)
    private var queues: [QueueKey: ChunkedQueue] = [:]
    private var waitingByService: [String: Int] = [:]
    /// Tickets waiting in every queue.
    public private(set) var waitingTotal = 0

    public init<S: Sequence<Ticket>>(_ tickets: S) {
        for t in tickets { self[t.id] = t }
    }

    public var count: Int { shards.reduce(0) { $0 + $1.count } }

    /// The same tickets (the queues follow from them).
    public static func == (a: LiveTickets, b: LiveTickets) -> Bool {
        a.count == b.count && a.shards.allSatisfy { $0.allSatisfy { b[$0.key] == $0.value.ticket } }
    }

    /// Every live ticket, in no particular order.
    public var values: [Ticket] { shards.flatMap { $0.values.map(\.ticket) } }

    private static func shard(_ id: Int64) -> Int { Int(UInt64(bitPattern: id) % 64) }

    public subscript(id: Int64) -> Ticket? {
        get { shards[Self.shard(id)][id]?.ticket }
        set {
            let k = Self.shard(id)
            if let old = shards[k][id]?.ticket, old.state == .waiting { unqueue(old) }
            if let t = newValue {
                shards[k][id] = Box(t)
                if t.state == .waiting { enqueue(t) }
            } else {
                shards[k][id] = nil
            }
        }
    }

    /// Waiting tickets of a service's open queue, in call order.
    public func waiting(service: String) -> [Ticket] {
        (queues[QueueKey(service: service, target: nil)]?.all ?? []).compactMap { self[$0.id] }
    }

    /// The first of them: who a window serving only this service would call next.
    public func nextWaiting(service: String) -> Ticket? {
        queues[QueueKey(service: service, target: nil)]?.first.flatMap { self[$0.id] }
    }

    /// Tickets of this service waiting anywhere (its open queue and transfers to a window).
    public func waitingCount(service: String) -> Int { waitingByService[service] ?? 0 }

    /// Waiting tickets ahead of `t` in its queue (`t` itself need not be live).
    public func ahead(of t: Ticket) -> Int {
        queues[QueueKey(service: t.service, target: t.targetWindow)]?.countBefore(Place(t)) ?? 0
    }

    /// The first ticket of each queue a window may call from: the open queues of `services`,
    /// and every queue of tickets transferred to `window`.
    func heads(window: Int, services: [String]) -> [Ticket] {
        var out: [Ticket] = []
        for s in services {
            if let p = queues[QueueKey(service: s, target: nil)]?.first, let t = self[p.id] { out.append(t) }
        }
        for (k, q) in queues where k.target == window {
            if let p = q.first, let t = self[p.id] { out.append(t) }
        }
        return out
    }

    /// The first ticket of each of those queues that is not priority (`Place.booked`: booked or
    /// walk-in) or is a walk-in (`Place.walkIn`).
    func heads(window: Int, services: [String], from rank: Int) -> [Ticket] {
        let first = Place(rank: rank, seq: .min, id: .min)
        var out: [Ticket] = []
        for (k, q) in queues where k.target == window || (k.target == nil && services.contains(k.service)) {
            if let p = q.first(atLeast: first), let t = self[p.id] { out.append(t) }
        }
        return out
    }

    private mutating func enqueue(_ t: Ticket) {
        let k = QueueKey(service: t.service, target: t.targetWindow)
        queues[k, default: ChunkedQueue()].insert(Place(t))
        waitingByService[t.service, default: 0] += 1
        waitingTotal += 1
    }

    private mutating func unqueue(_ t: Ticket) {
        let k = QueueKey(service: t.service, target: t.targetWindow)
        guard queues[k]?.remove(Place(t)) == true else { return }
        if queues[k]?.isEmpty == true { queues[k] = nil }
        waitingByService[t.service, default: 1] -= 1
        waitingTotal -= 1
    }
}

/// A sorted sequence of places in chunks of at most 512: inserting, removing and copying on
/// write touch one chunk and the short list of chunks, whatever the queue's length.
struct ChunkedQueue: Sendable {
    private var chunks: [[LiveTickets.Place]] = []
    static let chunkSize = 512

    var isEmpty: Bool { chunks.isEmpty }
    var first: LiveTickets.Place? { chunks.first?.first }
    var all: [LiveTickets.Place] { chunks.flatMap { $0 } }

    /// The first place not before `p`.
    func first(atLeast p: LiveTickets.Place) -> LiveTickets.Place? {
        for c in chunks {
            guard let last = c.last, last < p else { return c[Self.lowerBound(c, p)] }
        }
        return nil
    }

    /// How many places come before `p`.
    func countBefore(_ p: LiveTickets.Place) -> Int {
        var n = 0
        for c in chunks {
            guard let last = c.last, last < p else { return n + Self.lowerBound(c, p) }
            n += c.count
        }
        return n
    }

    mutating func insert(_ p: LiveTickets.Place) {
        // The chunk it belongs in: the first whose last place is not before it (else the last).
        guard !chunks.isEmpty else {
            chunks = [[p]]
            return
        }
        var i = chunks.count - 1
        if let last = chunks[i].last, p < last {
            var lo = 0
            var hi = chunks.count - 1
            while lo < hi {
                let mid = (lo + hi) / 2
                if let l = chunks[mid].last, l < p { lo = mid + 1 } else { hi = mid }
            }
            i = lo
        }
        chunks[i].insert(p, at: Self.lowerBound(chunks[i], p))
        if chunks[i].count > Self.chunkSize {
            let half = chunks[i].count / 2
            let tail = Array(chunks[i][half...])
            chunks[i].removeSubrange(half...)
            chunks.insert(tail, at: i + 1)
        }
    }

    /// Removes `p`; whether it was there.
    mutating func remove(_ p: LiveTickets.Place) -> Bool {
        for i in chunks.indices {
            guard let last = chunks[i].last, !(last < p) else { continue }
            let j = Self.lowerBound(chunks[i], p)
            guard j < chunks[i].count, chunks[i][j] == p else { return false }
            chunks[i].remove(at: j)
            if chunks[i].isEmpty { chunks.remove(at: i) }
            return true
        }
        return false
    }

    private static func lowerBound(_ q: [LiveTickets.Place], _ p: LiveTickets.Place) -> Int {
        var lo = 0
        var hi = q.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if q[mid] < p { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}
