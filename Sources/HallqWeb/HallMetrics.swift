import Foundation
import HallqCore
import HallqProtocol
import HallqServer
import Prometheus

/// Every Prometheus family hallq exports, in this one file (docs/HTTP.md lists them). Counters and
/// histograms follow committed changes; gauges are read from the committed queue and the device
/// report when `/metrics` is scraped. Labels are services, windows' call kinds, outcomes and
/// device names: never a ticket, a clerk or anyone else.
///
/// The families are made on swift-prometheus's registry with their HELP text (promtool's lint
/// asks for it; the swift-metrics factory cannot give one).
public final class HallMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let hall: Hall
    private let devices: DeviceHub

    static let secondsBuckets: [Double] = [5, 15, 30, 60, 120, 300, 600, 900, 1200, 1800, 2700, 3600, 5400, 7200]
    static let commitBuckets: [Double] = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1]

    private let wait: ValueHistogram
    private let service: ValueHistogram
    private let commit: ValueHistogram

    public init(hall: Hall, devices: DeviceHub, version: String) {
        self.hall = hall
        self.devices = devices
        wait = registry.makeValueHistogram(
            name: "hallq_wait_seconds", buckets: Self.secondsBuckets,
            help: "Wait of served tickets: from entering the queue to the call that led to service.")
        service = registry.makeValueHistogram(
            name: "hallq_service_seconds", buckets: Self.secondsBuckets,
            help: "Service time at a window: from the call to the end of the visit.")
        commit = registry.makeValueHistogram(
            name: "hallq_commit_seconds", buckets: Self.commitBuckets,
            help: "Time for one group commit of queue changes to reach the disk.")
        registry.makeGauge(name: "hallq_build_info", labels: [("version", version)], help: "The running hallqd.")
            .set(to: 1)
        // Every service's series exist from the start (zeros rather than gaps).
        for s in hall.snapshotEngine().config.services { touch(service: s.id) }
    }

    private func issued(_ service: String) -> Counter {
        registry.makeCounter(
            name: "hallq_tickets_issued_total", labels: [("service", service)], help: "Tickets issued, per service.")
    }

    private func calls(_ service: String, kind: String) -> Counter {
        registry.makeCounter(
            name: "hallq_calls_total", labels: [("service", service), ("kind", kind)],
            help: "Calls of tickets to windows (kind call or recall), per service.")
    }

    private func closed(_ service: String, outcome: String) -> Counter {
        registry.makeCounter(
            name: "hallq_tickets_closed_total", labels: [("service", service), ("outcome", outcome)],
            help: "Tickets that ended, per service and outcome (served, noshow, incomplete, referred, cancelled).")
    }

    private func waiting(_ service: String) -> Gauge {
        registry.makeGauge(
            name: "hallq_waiting_tickets", labels: [("service", service)], help: "Tickets waiting now, per service.")
    }

    private func oldest(_ service: String) -> Gauge {
        registry.makeGauge(
            name: "hallq_oldest_waiting_seconds", labels: [("service", service)],
            help: "How long the longest-waiting ticket of the service has waited, 0 when none waits.")
    }

    private func deviceUp(_ device: String) -> Gauge {
        registry.makeGauge(
            name: "hallq_device_up", labels: [("device", device)],
            help: "1 when the device (printer, sign bus, sign, voice) works, else 0.")
    }

    private func touch(service s: String) {
        _ = issued(s)
        _ = calls(s, kind: "call")
        _ = calls(s, kind: "recall")
        waiting(s).set(to: 0)
        oldest(s).set(to: 0)
    }

    /// Counts what a committed command did.
    public func follow(_ c: Committed) {
        if let s = c.commitSeconds { commit.record(s) }
        for e in c.effects.events {
            switch e.type {
            case .take: if let s = e.service { issued(s).increment() }
            case .call, .recall: if let s = e.service { calls(s, kind: e.type.rawValue).increment() }
            case .finish, .noshow:
                // A no-show that goes back into the queue has not ended.
                if let t = c.effects.tickets.first(where: { $0.id == e.ticketId }), t.state == .done,
                    let o = t.outcome
                {
                    closed(t.service, outcome: o.rawValue).increment()
                }
            default: break
            }
        }
        for l in c.effects.legs {
            if l.outcome == .served { wait.record(Double(l.waitMs) / 1000) }
            if l.outcome != .noshow && l.outcome != .transferred { service.record(Double(l.serviceMs) / 1000) }
        }
    }

    /// The text exposition format, with the gauges read now.
    public func render() async -> String {
        let e = hall.snapshotEngine()
        let now = hall.clock()
        for s in e.config.services {
            let queue = e.waiting(service: s.id)
            waiting(s.id).set(to: Double(queue.count))
            let first = queue.map(\.queuedAt).min()
            oldest(s.id).set(to: first.map { Double(max(0, now - $0)) / 1000 } ?? 0)
        }
        let report = await devices.report()
        deviceUp("printer").set(to: ["online", "paper-near-end"].contains(report.printer.health) ? 1 : 0)
        for b in report.buses {
            deviceUp("bus:\(b.name)").set(to: b.health.isOK ? 1 : 0)
            for (address, h) in b.signs { deviceUp("sign:\(b.name)/\(address)").set(to: h.isOK ? 1 : 0) }
        }
        if let v = report.voice { deviceUp("voice").set(to: v.health.isOK ? 1 : 0) }
        var out: [UInt8] = []
        registry.emit(into: &out)
        return String(decoding: out, as: UTF8.self)
    }
}
