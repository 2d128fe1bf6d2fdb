import Foundation
import Testing

@testable import HallqCore

/// A small hall: three services, three windows, Shanghai time.
func testConfig(
    policy: QueueRules.CallPolicy = .serviceOrder, requeue: QueueRules.NoshowRequeue = .none,
    hours: BusinessHours? = nil
) -> HallConfig {
    var q = QueueRules()
    q.policy = policy
    q.noshowRequeue = requeue
    return HallConfig(
        name: "测试大厅", timeZone: "Asia/Shanghai", hours: hours, queue: q,
        services: [
            ServiceConfig(id: "A", name: "资质认定"), ServiceConfig(id: "B", name: "计量授权", first: 1, last: 3, width: 3),
            ServiceConfig(id: "C", name: "特种设备", width: 4),
        ],
        windows: [
            WindowConfig(number: 1, services: ["A", "B"]), WindowConfig(number: 2, services: ["B", "A"]),
            WindowConfig(number: 3, services: ["C"]),
        ])
}

/// 2026-11-30 09:00:00 in Shanghai (a Monday), as UTC milliseconds.
let monday9am: Millis = 1_796_000_400_000

/// Drives an engine with a clock that only moves when told to.
struct EngineDriver {
    var engine: QueueEngine
    var now: Millis

    init(_ config: HallConfig = testConfig(), at now: Millis = monday9am) {
        engine = QueueEngine(config: config)
        self.now = now
    }

    mutating func advance(seconds: Double) { now += Millis(seconds * 1000) }

    @discardableResult
    mutating func run(_ c: Command) throws(HallError) -> Effects { try engine.apply(c, at: now) }

    /// Runs a command that must fail and returns its token.
    mutating func token(_ c: Command) -> String? {
        do {
            _ = try engine.apply(c, at: now)
            return nil
        } catch { return error.token.rawValue }
    }

    mutating func take(_ s: String, key: String? = nil) throws -> Ticket {
        try #require(try run(.take(service: s, key: key)).subject.issued).ticket
    }

    mutating func call(_ w: Int, _ label: String? = nil) throws(HallError) -> Ticket {
        guard case let .ticket(t) = try run(.call(window: w, ticket: label)).subject else { fatalError("no ticket") }
        return t
    }

    mutating func staff(_ windows: [Int]) throws(HallError) {
        for w in windows { try run(.signin(window: w, clerk: "clerk\(w)")) }
    }
}
