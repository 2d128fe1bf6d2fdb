import Foundation
import HallqApp
import HallqCentral
import HallqCore
import HallqProtocol
import HallqStore
import HallqUpload
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
    private let devices: any HallDevices
    private let upload: HaochaUploader
    private let relay: CentralRelay

    /// Every family: hallq_<name>_<unit> and its HELP text.
    struct Family: Sendable {
        var name: String
        var unit: String
        var help: String
        var descriptor: MetricNameDescriptor {
            MetricNameDescriptor(namespace: "hallq", metricName: name, unitName: unit, helpText: help)
        }

        static let issued = Family(name: "tickets_issued", unit: "total", help: "Tickets issued, per service.")
        static let calls = Family(
            name: "calls", unit: "total", help: "Calls of tickets to windows (kind call or recall), per service.")
        static let closed = Family(
            name: "tickets_closed", unit: "total",
            help: "Tickets that ended, per service and outcome (served, noshow, incomplete, referred, cancelled).")
        static let waiting = Family(name: "waiting", unit: "tickets", help: "Tickets waiting now, per service.")
        static let oldest = Family(
            name: "oldest_waiting", unit: "seconds",
            help: "How long the longest-waiting ticket of the service has waited, 0 when none waits.")
        static let wait = Family(
            name: "wait", unit: "seconds",
            help: "Wait of served tickets: from entering the queue to the call that led to service.")
        static let service = Family(
            name: "service", unit: "seconds", help: "Service time at a window: from the call to the end of the visit.")
        static let commit = Family(
            name: "commit", unit: "seconds", help: "Time for one group commit of queue changes to reach the disk.")
        static let deviceUp = Family(
            name: "device", unit: "up",
            help: "1 when the device (printer, sign bus, sign, voice, keypad, ID-card reader) works, else 0.")
        static let build = Family(name: "build", unit: "info", help: "The running hallqd.")
        static let orders = Family(
            name: "rating", unit: "orders", help: "Bad-rating work orders (差评工单) in the store, per state.")
        static let overdue = Family(
            name: "rating_orders", unit: "overdue",
            help: "Bad-rating work orders whose rectification deadline (working days) has passed.")
        static let uploadPending = Family(
            name: "haocha_pending", unit: "ratings",
            help: "Case ratings not yet confirmed by the province's 好差评 system.")
        static let uploadSent = Family(
            name: "haocha_sent", unit: "ratings", help: "Case ratings the province confirmed since hallqd started.")
        static let uploadUp = Family(
            name: "haocha", unit: "up", help: "1 while the last upload to the province's 好差评 system succeeded, else 0.")
        static let centralUp = Family(
            name: "central", unit: "up",
            help: "1 while the last shipment to the province's PostgreSQL succeeded, else 0.")
        static let centralLagEvents = Family(
            name: "central_lag", unit: "events",
            help: "Events of the hall's log the province's centre has not confirmed.")
        static let centralLagSeconds = Family(
            name: "central_lag", unit: "seconds",
            help: "Age of the oldest event the centre has not confirmed, 0 when none.")
    }

    static let secondsBuckets: [Double] = [5, 15, 30, 60, 120, 300, 600, 900, 1200, 1800, 2700, 3600, 5400, 7200]
    static let commitBuckets: [Double] = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1]

    private let wait: ValueHistogram
    private let service: ValueHistogram
    private let commit: ValueHistogram

    public init(hall: Hall, devices: any HallDevices, upload: HaochaUploader, relay: CentralRelay, version: String) {
        self.hall = hall
        self.devices = devices
        self.upload = upload
        self.relay = relay
        wait = registry.makeValueHistogram(descriptor: Family.wait.descriptor, buckets: Self.secondsBuckets)
        service = registry.makeValueHistogram(descriptor: Family.service.descriptor, buckets: Self.secondsBuckets)
        commit = registry.makeValueHistogram(descriptor: Family.commit.descriptor, buckets: Self.commitBuckets)
        registry.makeGauge(descriptor: Family.build.descriptor, labels: [("version", version)]).set(to: 1)
        // Every service's series exist from the start (zeros rather than gaps).
        for s in hall.snapshotEngine().config.services { touch(service: s.id) }
    }

    private func issued(_ service: String) -> Counter {
        registry.makeCounter(descriptor: Family.issued.descriptor, labels: [("service", service)])
    }

    private func calls(_ service: String, kind: String) -> Counter {
        registry.makeCounter(descriptor: Family.calls.descriptor, labels: [("service", service), ("kind", kind)])
    }

    private func closed(_ service: String, outcome: String) -> Counter {
        registry.makeCounter(
            descriptor: Family.closed.descriptor, labels: [("service", service), ("outcome", outcome)])
    }

    private func waiting(_ service: String) -> Gauge {
        registry.makeGauge(descriptor: Family.waiting.descriptor, labels: [("service", service)])
    }

    private func oldest(_ service: String) -> Gauge {
        registry.makeGauge(descriptor: Family.oldest.descriptor, labels: [("service", service)])
    }

    private func deviceUp(_ device: String) -> Gauge {
        registry.makeGauge(descriptor: Family.deviceUp.descriptor, labels: [("device", device)])
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
        // A hall without a printer (kind none) has no printer to be down.
        for p in report.printers where p.kind != "none" {
            deviceUp(p.name == "printer" ? "printer" : "printer:\(p.name)").set(to: p.canPrint ? 1 : 0)
        }
        for b in report.buses {
            deviceUp("bus:\(b.name)").set(to: b.health.isOK ? 1 : 0)
            for (address, h) in b.signs { deviceUp("sign:\(b.name)/\(address)").set(to: h.isOK ? 1 : 0) }
        }
        if let v = report.voice { deviceUp("voice").set(to: v.health.isOK ? 1 : 0) }
        // Keypads as "keypad:<path>", ID-card readers (listed with them) as "idcard:<path or usb id>".
        for k in report.keypads {
            let name =
                k.use.hasPrefix("idcard") ? "idcard:" + k.device.dropFirst("idcard ".count) : "keypad:\(k.device)"
            deviceUp(name).set(to: k.health.isOK ? 1 : 0)
        }
        // 差评 work orders: every state's series from the start (zeros rather than gaps).
        let byState = (try? await hall.workOrderCounts()) ?? [:]
        for s in WorkOrder.State.allCases {
            registry.makeGauge(descriptor: Family.orders.descriptor, labels: [("state", s.rawValue)])
                .set(to: Double(byState[s.rawValue] ?? 0))
        }
        registry.makeGauge(descriptor: Family.overdue.descriptor).set(to: Double(e.overdueOrders(at: now).count))
        let u = upload.current
        if u.configured {
            registry.makeGauge(descriptor: Family.uploadPending.descriptor).set(to: Double(u.pending))
            registry.makeGauge(descriptor: Family.uploadSent.descriptor).set(to: Double(u.sent))
            registry.makeGauge(descriptor: Family.uploadUp.descriptor).set(to: u.lastError == nil ? 1 : 0)
        }
        let c = relay.current
        if c.configured {
            registry.makeGauge(descriptor: Family.centralUp.descriptor).set(to: c.connected ? 1 : 0)
            registry.makeGauge(descriptor: Family.centralLagEvents.descriptor).set(to: Double(c.lagEvents))
            registry.makeGauge(descriptor: Family.centralLagSeconds.descriptor).set(to: Double(c.lagSeconds))
        }
        var out: [UInt8] = []
        registry.emit(into: &out)
        return String(decoding: out, as: UTF8.self)
    }
}
