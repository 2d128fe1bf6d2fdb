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

    /// A waiting ticket's place: transferred (priority) tickets first, then by queue sequence.
    struct Place: Comparable, Sendable {
        var rank: Int
        var seq: Int64
        var id: Int64
        init(_ t: Ticket) {
            rank = t.priority ? 0 : 1
            seq = t.queueSeq
            id = t.id
        }
        static func < (a: Place, b: Place) -> Bool { (a.rank, a.seq, a.id) < (b.rank, b.seq, b.id) }
    }

    private var byId: [Int64: Box] = [:]
    private var queues: [QueueKey: [Place]] = [:]
    private var waitingByService: [String: Int] = [:]
    /// Tickets waiting in every queue.
    public private(set) var waitingTotal = 0

    public init<S: Sequence<Ticket>>(_ tickets: S) {
        for t in tickets { self[t.id] = t }
    }

    public var count: Int { byId.count }

    /// The same tickets (the queues follow from them).
    public static func == (a: LiveTickets, b: LiveTickets) -> Bool {
        a.byId.count == b.byId.count && a.byId.allSatisfy { b.byId[$0.key]?.ticket == $0.value.ticket }
    }

    /// Every live ticket, in no particular order.
    public var values: [Ticket] { byId.values.map(\.ticket) }

    public subscript(id: Int64) -> Ticket? {
        get { byId[id]?.ticket }
        set {
            if let old = byId[id]?.ticket, old.state == .waiting { unqueue(old) }
            if let t = newValue {
                byId[id] = Box(t)
                if t.state == .waiting { enqueue(t) }
            } else {
                byId[id] = nil
            }
        }
    }

    /// Waiting tickets of a service's open queue, in call order.
    public func waiting(service: String) -> [Ticket] {
        (queues[QueueKey(service: service, target: nil)] ?? []).compactMap { byId[$0.id]?.ticket }
    }

    /// Tickets of this service waiting anywhere (its open queue and transfers to a window).
    public func waitingCount(service: String) -> Int { waitingByService[service] ?? 0 }

    /// Waiting tickets ahead of `t` in its queue (`t` itself need not be live).
    public func ahead(of t: Ticket) -> Int {
        guard let q = queues[QueueKey(service: t.service, target: t.targetWindow)] else { return 0 }
        return Self.lowerBound(q, Place(t))
    }

    /// The first ticket of each queue a window may call from: the open queues of `services`,
    /// and every queue of tickets transferred to `window`.
    func heads(window: Int, services: [String]) -> [Ticket] {
        var out: [Ticket] = []
        for s in services {
            if let p = queues[QueueKey(service: s, target: nil)]?.first, let t = byId[p.id]?.ticket { out.append(t) }
        }
        for (k, q) in queues where k.target == window {
            if let p = q.first, let t = byId[p.id]?.ticket { out.append(t) }
        }
        return out
    }

    private mutating func enqueue(_ t: Ticket) {
        let p = Place(t)
        let k = QueueKey(service: t.service, target: t.targetWindow)
        var q = queues.removeValue(forKey: k) ?? []
        if let last = q.last, p < last { q.insert(p, at: Self.lowerBound(q, p)) } else { q.append(p) }
        queues[k] = q
        waitingByService[t.service, default: 0] += 1
        waitingTotal += 1
    }

    private mutating func unqueue(_ t: Ticket) {
        let p = Place(t)
        let k = QueueKey(service: t.service, target: t.targetWindow)
        guard var q = queues.removeValue(forKey: k) else { return }
        let i = Self.lowerBound(q, p)
        if i < q.count, q[i] == p {
            q.remove(at: i)
            waitingByService[t.service, default: 1] -= 1
            waitingTotal -= 1
        }
        if !q.isEmpty { queues[k] = q }
    }

    /// How many places in the sorted `q` come before `p`.
    private static func lowerBound(_ q: [Place], _ p: Place) -> Int {
        var lo = 0
        var hi = q.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if q[mid] < p { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}
