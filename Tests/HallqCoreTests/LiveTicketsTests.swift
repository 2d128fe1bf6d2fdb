import Testing

@testable import HallqCore

/// The indexed live tickets against the plain definition (filter and sort every ticket), after
/// random takes, calls, transfers to windows, priority requeues and ends.
@Suite("Live tickets keep their queues in call order")
struct LiveTicketsTests {
    @Test("queues, counts, heads and places ahead equal a scan of every ticket")
    func matchesScan() {
        var rng = SystemRandomNumberGenerator()
        var live = LiveTickets([])
        var plain: [Int64: Ticket] = [:]
        var seq: Int64 = 0
        let services = ["A", "B", "C"]
        // Enough that each queue spans several chunks (512 places each).
        for id in Int64(1)...5000 {
            // Mostly new tickets, sometimes a change to an existing one.
            if !plain.isEmpty && Int.random(in: 0..<3, using: &rng) == 0 {
                var t = plain.randomElement(using: &rng)!.value
                switch Int.random(in: 0..<5, using: &rng) {
                case 0: t.state = .called
                case 1:
                    live[t.id] = nil
                    plain[t.id] = nil
                    continue
                case 2:
                    seq += 1
                    t.state = .waiting
                    t.queueSeq = seq
                    t.priority = true
                    t.targetWindow = Int.random(in: 1...3, using: &rng)
                case 3:
                    seq += 1
                    t.state = .waiting
                    t.queueSeq = seq
                    t.service = services.randomElement(using: &rng)!
                    t.targetWindow = nil
                default: t.state = .serving
                }
                live[t.id] = t
                plain[t.id] = t
            }
            seq += 1
            let service = services.randomElement(using: &rng)!
            var t = Ticket(
                id: id, day: "2026-11-30", service: service, issuedService: service, number: Int(id),
                label: "\(service)\(id)", key: nil, issuedAt: 0, queuedAt: 0, state: .waiting, priority: false,
                recalls: 0, transfers: 0, noshows: 0, printStatus: .pending)
            t.queueSeq = seq
            live[id] = t
            plain[id] = t
        }
        let waiting = plain.values.filter { $0.state == .waiting }
        #expect(live.waitingTotal == waiting.count)
        #expect(live == LiveTickets(plain.values))
        for s in services {
            let open = waiting.filter { $0.service == s && $0.targetWindow == nil }.sorted(by: QueueEngine.queueOrder)
            #expect(live.waiting(service: s).map(\.id) == open.map(\.id))
            #expect(live.waitingCount(service: s) == waiting.filter { $0.service == s }.count)
        }
        for t in plain.values.shuffled(using: &rng).prefix(400) {
            let ahead = waiting.filter {
                $0.id != t.id && $0.service == t.service && $0.targetWindow == t.targetWindow
                    && QueueEngine.queueOrder($0, t)
            }.count
            #expect(live.ahead(of: t) == ahead, "ticket \(t.id)")
        }
        for w in 1...3 {
            let heads = Set(live.heads(window: w, services: ["A", "B"]).map(\.id))
            let expected = Set(
                ["A", "B"].compactMap { s in
                    waiting.filter { $0.service == s && $0.targetWindow == nil }.min(by: QueueEngine.queueOrder)?.id
                }
                    + services.compactMap { s in
                        waiting.filter { $0.service == s && $0.targetWindow == w }.min(by: QueueEngine.queueOrder)?.id
                    })
            #expect(heads == expected, "window \(w)")
        }
    }
}
