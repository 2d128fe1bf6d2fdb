import Foundation
import HallqCore
import HallqEncoders
import HallqProtocol
import HallqVoice
import TOMLKit

/// A config problem, naming the key: "service[2].last: must be at least first (1)".
public struct ConfigError: Error, CustomStringConvertible, Equatable {
    public var key: String
    public var message: String
    public var description: String { "\(key): \(message)" }
}

/// Reads the TOML config (docs/CONFIG.md) into a validated `HallConfig`. Unknown keys are errors:
/// a misspelt key silently ignored is a hall that opens at the wrong time.
public enum ConfigLoader {
    /// Every table and key the loader accepts ("window.sign" is the inline table in a window):
    /// the one list that unknown-key errors name and the docs check reads (docs/CONFIG.md).
    public static let schema: [(table: String, keys: [String])] = [
        ("hall", ["name", "timezone"]),
        ("hours", BusinessHours.weekdayKeys + ["dispense_cutoff_min"]),
        (
            "queue",
            [
                "policy", "noshow_requeue", "idempotency_s", "rating_s", "default_service_s", "issue_without_printer",
                "priority_ratio", "per_person_day", "priority_age", "booked_ratio",
            ]
        ),
        (
            "service",
            ["id", "name", "first", "last", "width", "priority", "per_person", "id_required", "priority_age", "quota"]
        ),
        (
            "bus",
            [
                "name", "kind", "path", "baud", "protocol", "data_bits", "parity", "stop_bits", "gap_ms", "refresh_s",
                "replies", "reply_timeout_ms", "display_mode", "pixel_units",
            ]
        ),
        ("window", ["number", "services", "scope", "sign"]),
        ("window.sign", ["bus", "address", "width", "height", "align"]),
        ("printer", ["name", "kind", "vendor", "product", "profile", "path", "address", "status", "qr", "footer"]),
        ("kiosk", ["name", "printer"]),
        ("lobby", ["bus", "address", "recent", "scroll", "width", "height", "align"]),
        ("texts", textKeys.map(\.key)),
        ("signs", ["call_hold_s"]),
        (
            "limits",
            ["line_timeout_s", "watch_backlog_kb", "take_burst", "take_per_min_connection", "take_per_min_service"]
        ),
        ("voice", ["device", "clips", "repeats", "number", "call", "recall", "volume", "max_backlog_s"]),
        (
            "http",
            [
                "listen", "public_url", "heartbeat_s", "tls_cert", "tls_key", "session_idle_min", "header_timeout_s",
                "body_timeout_s", "idle_s", "max_per_client", "max_connections", "max_streams",
            ]
        ),
        ("eta", ["method", "notify_ahead", "notify_min"]),
        ("caller", ["bus", "address", "window"]),
        ("keypad", ["device", "window", "kiosk", "keys"]),
        ("idcard", ["device", "baud", "usb", "kiosk", "window", "hold_s"]),
        ("privacy", ["person_days"]),
        ("booking", ["early_min", "late_min"]),
        ("scanner", ["device", "kiosk"]),
        ("rating", ["rectify_days", "second_days"]),
        ("rating_content", ["level", "code", "text"]),
        ("calendar", ["holidays", "workdays"]),
        ("haocha", ["url", "profile", "region", "hall_id", "headers", "timeout_s", "retry_max_s"]),
        ("haocha_profile", ["name", "base", "direction", "time_format", "fields", "channels"]),
        ("central", ["url", "hall_id", "batch", "lag_warn_s", "retry_max_s"]),
    ]

    static func keys(_ table: String) -> [String] { schema.first { $0.table == table }?.keys ?? [] }

    /// `[texts]`: each key and the template it sets.
    static var textKeys: [(key: String, path: WritableKeyPath<Texts, String>)] {
        [
            ("call", \.call), ("serving", \.serving), ("paused", \.paused), ("closed", \.closed),
            ("ahead", \.ahead), ("eta", \.eta), ("lobby_call", \.lobbyCall), ("lobby_waiting", \.lobbyWaiting),
            ("green_channel", \.greenChannel),
        ]
    }

    public static func load(path: String) throws(ConfigError) -> HallConfig {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8)
        else {
            throw ConfigError(key: path, message: "cannot read the file (missing, unreadable or not UTF-8)")
        }
        return try parse(text)
    }

    public static func parse(_ text: String) throws(ConfigError) -> HallConfig {
        let root: TOMLTable
        do { root = try TOMLTable(string: text) } catch let e as TOMLParseError {
            throw ConfigError(key: "line \(e.source.begin.line)", message: "TOML syntax: \(e.description)")
        } catch {
            throw ConfigError(key: "file", message: "TOML syntax: \(error)")
        }
        let r = Reader(root, "")
        try r.only(schema.map(\.table).filter { !$0.contains(".") })

        var c = HallConfig(services: [], windows: [])
        try hall(r, into: &c)
        try hours(r, into: &c)
        try queue(r, into: &c)
        try services(r, into: &c)
        try buses(r, into: &c)
        try windows(r, into: &c)
        try printers(r, into: &c)
        try lobby(r, into: &c)
        try texts(r, into: &c)
        try signs(r, into: &c)
        try limits(r, into: &c)
        try voice(r, into: &c)
        try http(r, into: &c)
        try eta(r, into: &c)
        try callers(r, into: &c)
        try keypads(r, into: &c)
        try idcards(r, into: &c)
        try privacy(r, into: &c)
        try booking(r, into: &c)
        try scanners(r, into: &c)
        try rating(r, into: &c)
        try haocha(r, into: &c)
        try central(r, into: &c)
        try checkSignTexts(c)
        try checkTicketTexts(c)
        return c
    }

    /// `[hall]`: the name and the time zone.
    static func hall(_ r: Reader, into c: inout HallConfig) throws(ConfigError) {
        guard let h = try r.table("hall") else { return }
        try h.only(keys("hall"))
        c.name = try h.string("name") ?? c.name
        c.timeZone = try h.string("timezone") ?? c.timeZone
        guard TimeZone(identifier: c.timeZone) != nil else {
            throw ConfigError(
                key: "hall.timezone", message: "unknown time zone \"\(c.timeZone)\" (use a name like Asia/Shanghai)")
        }
    }

    /// `[hours]`: opening hours per weekday and the dispensing cut-off.
    static func hours(_ r: Reader, into c: inout HallConfig) throws(ConfigError) {
        guard let h = try r.table("hours") else { return }
        try h.only(keys("hours"))
        var days: [ClosedRange<Int>?] = Array(repeating: nil, count: 7)
        for (i, k) in BusinessHours.weekdayKeys.enumerated() {
            guard let s = try h.string(k) else { continue }
            guard let parsed = BusinessHours.parseRange(s) else {
                throw ConfigError(
                    key: "hours.\(k)", message: "\"\(s)\" is not HH:MM-HH:MM (opening before closing) or \"\"")
            }
            days[i] = parsed
        }
        let cutoff = try h.int("dispense_cutoff_min", in: 0...600) ?? 0
        c.hours = BusinessHours(days: days, dispenseCutoffMinutes: cutoff)
    }

    /// `[queue]`: call policy, no-show rule, idempotency and rating windows.
    static func queue(_ r: Reader, into c: inout HallConfig) throws(ConfigError) {
        guard let q = try r.table("queue") else { return }
        try q.only(keys("queue"))
        c.queue.policy = try q.choice("policy", QueueRules.CallPolicy.self) ?? c.queue.policy
        c.queue.noshowRequeue = try q.choice("noshow_requeue", QueueRules.NoshowRequeue.self) ?? c.queue.noshowRequeue
        c.queue.idempotencySeconds = try q.int("idempotency_s", in: 0...3600) ?? c.queue.idempotencySeconds
        c.queue.ratingSeconds = try q.int("rating_s", in: 0...86400) ?? c.queue.ratingSeconds
        c.queue.defaultServiceSeconds = try q.int("default_service_s", in: 1...86400) ?? c.queue.defaultServiceSeconds
        c.queue.issueWithoutPrinter = try q.bool("issue_without_printer") ?? c.queue.issueWithoutPrinter
        c.queue.priorityRatio = try q.int("priority_ratio", in: 0...100) ?? c.queue.priorityRatio
        c.queue.perPersonDay = try q.int("per_person_day", in: 0...100) ?? c.queue.perPersonDay
        c.queue.priorityAge = try q.int("priority_age", in: 0...150) ?? c.queue.priorityAge
        c.queue.bookedRatio = try q.int("booked_ratio", in: 0...100) ?? c.queue.bookedRatio
    }

    /// `[eta]`: the estimate's method and the near-turn alert's thresholds.
    static func eta(_ r: Reader, into c: inout HallConfig) throws(ConfigError) {
        guard let t = try r.table("eta") else { return }
        try t.only(keys("eta"))
        c.eta.method = try t.choice("method", EtaConfig.Method.self) ?? c.eta.method
        c.eta.notifyAhead = try t.int("notify_ahead", in: 0...100) ?? c.eta.notifyAhead
        c.eta.notifyMinutes = try t.int("notify_min", in: 0...240) ?? c.eta.notifyMinutes
    }

    /// `[[service]]`: at least one; ids that cannot collide.
    static func services(_ r: Reader, into c: inout HallConfig) throws(ConfigError) {
        for (i, s) in try r.tables("service").enumerated() {
            try s.only(keys("service"))
            guard let id = try s.string("id") else { throw s.missing("id") }
            guard (1...4).contains(id.count), id.allSatisfy({ $0.isASCII && ($0.isUppercase || $0.isNumber) }) else {
                throw ConfigError(
                    key: "service[\(i)].id",
                    message: "\"\(id)\" must be 1 to 4 capital letters or digits (it is printed before the number)")
            }
            guard !c.services.contains(where: { $0.id == id }) else {
                throw ConfigError(key: "service[\(i)].id", message: "\"\(id)\" is configured twice")
            }
            guard let name = try s.string("name"), !name.isEmpty else { throw s.missing("name") }
            let first = try s.int("first", in: 0...999_999) ?? 1
            let last = try s.int("last", in: 0...999_999) ?? 999
            guard last >= first else {
                throw ConfigError(key: "service[\(i)].last", message: "must be at least first (\(first))")
            }
            let width = try s.int("width", in: 1...6) ?? 3
            var svc = ServiceConfig(
                id: id, name: name, first: first, last: last, width: width, priority: try s.bool("priority") ?? false)
            svc.perPerson = try s.int("per_person", in: 0...100) ?? svc.perPerson
            svc.idRequired = try s.bool("id_required") ?? false
            svc.priorityAge = try s.int("priority_age", in: 0...150)
            svc.quota = try quota(s, service: i)
            c.services.append(svc)
        }
        guard !c.services.isEmpty else {
            throw ConfigError(key: "service", message: "at least one [[service]] is needed")
        }
        // "C" + 105 and "C1" + 05 are both C105: a prefix that another id extends with digits
        // could issue the same label twice on one day, and `history C105` could find only one.
        for (i, s) in c.services.enumerated() {
            for o in c.services
            where o.id != s.id && s.id.hasPrefix(o.id) && s.id.dropFirst(o.id.count).allSatisfy(\.isNumber) {
                throw ConfigError(
                    key: "service[\(i)].id",
                    message:
                        "\"\(s.id)\" is \"\(o.id)\" followed by digits: their labels could collide (\(o.id)\(s.id.dropFirst(o.id.count))05 …); choose ids that are not digit extensions of each other"
                )
            }
        }
    }

    /// `[[bus]]`: sign buses, their protocol (one of `SignEncoders.all`) and line settings.
    static func buses(_ r: Reader, into c: inout HallConfig) throws(ConfigError) {
        guard let b = try r.tables("bus").nonEmpty else { return }
        for (i, t) in b.enumerated() {
            try t.only(keys("bus"))
            guard let name = try t.string("name") else { throw t.missing("name") }
            // The name becomes part of file names (<state>/signs/<bus>-<address>.txt): a safe
            // alphabet only, so no "../" can lead outside the state directory.
            guard (1...32).contains(name.count),
                name.unicodeScalars.allSatisfy({
                    ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "-"
                        || $0 == "_"
                }), name.first != "-"
            else {
                throw ConfigError(
                    key: "bus[\(i)].name",
                    message: "\"\(name)\" must be 1 to 32 letters, digits, - or _ (it is used in file names)")
            }
            guard !c.buses.contains(where: { $0.name == name }) else {
                throw ConfigError(key: "bus[\(i)].name", message: "\"\(name)\" is configured twice")
            }
            let kind = try t.choice("kind", BusConfig.Kind.self) ?? .serial
            let path = try t.string("path") ?? ""
            if kind == .serial, path.isEmpty { throw t.missing("path") }
            let baud = try t.int("baud", in: 300...4_000_000) ?? 9600
            let proto = try t.string("protocol") ?? "plain"
            let protocols = SignEncoders.names + [BusConfig.callerProtocol]
            guard protocols.contains(proto) else {
                throw ConfigError(
                    key: "bus[\(i)].protocol",
                    message: "\"\(proto)\" is not one of \(protocols.joined(separator: ", "))")
            }
            if proto == BusConfig.callerProtocol, kind != .serial {
                throw ConfigError(
                    key: "bus[\(i)].kind", message: "a bus of callers is a serial line (kind = \"serial\")")
            }
            var bus = BusConfig(name: name, kind: kind, path: path, baud: baud, proto: proto)
            bus.dataBits = try t.int("data_bits", in: 5...8) ?? 8
            bus.parity = try t.choice("parity", BusConfig.Parity.self) ?? .none
            bus.stopBits = try t.int("stop_bits", in: 1...2) ?? 1
            bus.gapMs = try t.int("gap_ms", in: 0...1000) ?? 20
            bus.refreshSeconds = try t.int("refresh_s", in: 1...3600) ?? 60
            bus.replies = try t.bool("replies") ?? true
            bus.replyTimeoutMs = try t.int("reply_timeout_ms", in: 10...5000) ?? 500
            bus.displayMode = try t.choice("display_mode", BusConfig.DisplayMode.self) ?? .dynamic
            bus.pixelUnits = try t.bool("pixel_units") ?? false
            c.buses.append(bus)
        }
    }

    /// `[[window]]`: at least one; services and signs already configured.
    static func windows(_ r: Reader, into c: inout HallConfig) throws(ConfigError) {
        for (i, w) in try r.tables("window").enumerated() {
            try w.only(keys("window"))
            guard let n = try w.int("number", in: 1...999) else { throw w.missing("number") }
            guard !c.windows.contains(where: { $0.number == n }) else {
                throw ConfigError(key: "window[\(i)].number", message: "window \(n) is configured twice")
            }
            let services = try w.strings("services")
            guard !services.isEmpty else { throw w.missing("services") }
            for s in services where c.service(s) == nil {
                throw ConfigError(key: "window[\(i)].services", message: "service \"\(s)\" is not configured")
            }
            var sign: SignAddress?
            if let st = try w.table("sign") {
                try st.only(keys("window.sign"))
                guard let bus = try st.string("bus") else { throw st.missing("bus") }
                try signBus(bus, in: c, key: "window[\(i)].sign.bus")
                guard let a = try st.int("address", in: 0...65535) else { throw st.missing("address") }
                sign = SignAddress(
                    bus: bus, address: a, width: try st.int("width", in: 8...4096) ?? 128,
                    height: try st.int("height", in: 8...1024) ?? 16,
                    align: try st.choice("align", SignAlign.self) ?? .center)
            }
            c.windows.append(
                WindowConfig(number: n, services: services, scope: try w.string("scope") ?? "", sign: sign))
        }
        guard !c.windows.isEmpty else { throw ConfigError(key: "window", message: "at least one [[window]] is needed") }
    }

    /// A sign's bus: configured, and a bus of signs (not of callers).
    static func signBus(_ name: String, in c: HallConfig, key: String) throws(ConfigError) {
        guard let bus = c.buses.first(where: { $0.name == name }) else {
            throw ConfigError(key: key, message: "bus \"\(name)\" is not configured")
        }
        guard bus.proto != BusConfig.callerProtocol else {
            throw ConfigError(key: key, message: "bus \"\(name)\" is a bus of callers, not of signs")
        }
    }

    /// `[[caller]]`: a window caller on a bus of callers; one per window, one per address.
    static func callers(_ r: Reader, into c: inout HallConfig) throws(ConfigError) {
        for (i, t) in try r.tables("caller").enumerated() {
            try t.only(keys("caller"))
            guard let bus = try t.string("bus") else { throw t.missing("bus") }
            guard c.buses.contains(where: { $0.name == bus && $0.proto == BusConfig.callerProtocol }) else {
                throw ConfigError(
                    key: "caller[\(i)].bus", message: "no bus \"\(bus)\" with protocol = \"caller\" is configured")
            }
            guard let address = try t.int("address", in: 1...255) else { throw t.missing("address") }
            guard let window = try t.int("window", in: 1...999) else { throw t.missing("window") }
            guard c.window(window) != nil else {
                throw ConfigError(key: "caller[\(i)].window", message: "window \(window) is not configured")
            }
            if c.callers.contains(where: { $0.bus == bus && $0.address == address }) {
                throw ConfigError(
                    key: "caller[\(i)].address", message: "address \(address) on \(bus) is configured twice")
            }
            if c.callers.contains(where: { $0.window == window }) {
                throw ConfigError(key: "caller[\(i)].window", message: "window \(window) already has a caller")
            }
            c.callers.append(CallerConfig(bus: bus, address: address, window: window))
        }
    }

    /// `[[idcard]]`: an ID-card reader on a serial port (`device`, `baud`) or USB (`usb`), for a
    /// kiosk (`kiosk = true` or a kiosk's name) or a window (`window = N`).
    static func idcards(_ r: Reader, into c: inout HallConfig) throws(ConfigError) {
        for (i, t) in try r.tables("idcard").enumerated() {
            try t.only(keys("idcard"))
            let transport: IdCardConfig.Transport
            if let usb = try t.string("usb") {
                let parts = usb.split(separator: ":")
                guard parts.count == 2, let v = UInt16(parts[0], radix: 16), let p = UInt16(parts[1], radix: 16) else {
                    throw ConfigError(
                        key: "idcard[\(i)].usb", message: "\"\(usb)\" is not vendor:product in hex (0400:c35a)")
                }
                guard try t.string("device") == nil else {
                    throw ConfigError(key: "idcard[\(i)]", message: "a reader has a device or a usb id, not both")
                }
                transport = .usb(vendor: v, product: p)
            } else if let device = try t.string("device"), device.hasPrefix("/") {
                transport = .serial(path: device, baud: try t.int("baud", in: 1200...921_600) ?? 115_200)
            } else {
                throw ConfigError(
                    key: "idcard[\(i)].device", message: "is required: the serial port's path (or usb = \"vvvv:pppp\")")
            }
            let use: IdCardConfig.Use
            let kioskName = t.table["kiosk"]?.string
            if let kioskName, c.kiosk(kioskName) == nil {
                throw ConfigError(key: "idcard[\(i)].kiosk", message: "no kiosk is named \"\(kioskName)\"")
            }
            let window = try t.int("window", in: 1...999)
            let kioskFlag = kioskName == nil ? try t.bool("kiosk") : true
            if kioskFlag == true {
                guard window == nil else {
                    throw ConfigError(key: "idcard[\(i)]", message: "a reader serves a window or a kiosk, not both")
                }
                use = .kiosk(kioskName)
            } else if let window {
                guard c.window(window) != nil else {
                    throw ConfigError(key: "idcard[\(i)].window", message: "window \(window) is not configured")
                }
                use = .window(window)
            } else {
                throw ConfigError(key: "idcard[\(i)]", message: "needs kiosk = true (or a kiosk's name) or window = N")
            }
            c.idcards.append(
                IdCardConfig(transport: transport, use: use, holdSeconds: try t.int("hold_s", in: 3...300) ?? 20))
        }
    }

    /// `[privacy]`: how long tickets keep the person they were taken for.
    static func privacy(_ r: Reader, into c: inout HallConfig) throws(ConfigError) {
        guard let t = try r.table("privacy") else { return }
        try t.only(keys("privacy"))
        c.personDays = try t.int("person_days", in: 1...3650) ?? c.personDays
    }

    /// `[[service]] quota = { "08:30-12:00" = 40, "13:30-17:30" = 40 }`: walk-in tickets per
    /// period of the day; periods may not overlap.
    static func quota(_ s: Reader, service i: Int) throws(ConfigError) -> [QuotaPeriod] {
        guard let q = try s.table("quota") else { return [] }
        var periods: [QuotaPeriod] = []
        for k in q.table.keys {
            guard case let .some(.some(range)) = BusinessHours.parseRange(k) else {
                throw ConfigError(key: "service[\(i)].quota.\(k)", message: "is not a period like \"08:30-12:00\"")
            }
            guard let n = try q.int(k, in: 0...99_999) else { continue }
            let p = QuotaPeriod(start: range.lowerBound, end: range.upperBound, tickets: n)
            if let other = periods.first(where: { $0.start < p.end && p.start < $0.end }) {
                throw ConfigError(key: "service[\(i)].quota.\(k)", message: "overlaps \(other.name)")
            }
            periods.append(p)
        }
        return periods.sorted { $0.start < $1.start }
    }

    /// `[booking]`: when a booked person may check in around the slot.
    static func booking(_ r: Reader, into c: inout HallConfig) throws(ConfigError) {
        guard let t = try r.table("booking") else { return }
        try t.only(keys("booking"))
        c.booking.earlyMinutes = try t.int("early_min", in: 0...1440) ?? c.booking.earlyMinutes
        c.booking.lateMinutes = try t.int("late_min", in: 0...1440) ?? c.booking.lateMinutes
    }

    /// `[[scanner]]`: a QR/barcode scanner (keyboard wedge) at a kiosk (`kiosk`: its name, else
    /// the first).
    static func scanners(_ r: Reader, into c: inout HallConfig) throws(ConfigError) {
        for (i, t) in try r.tables("scanner").enumerated() {
            try t.only(keys("scanner"))
            guard let device = try t.string("device"), device.hasPrefix("/") else {
                throw ConfigError(key: "scanner[\(i)].device", message: "is required: the input device's path")
            }
            let kiosk = try t.string("kiosk")
            if let kiosk, c.kiosk(kiosk) == nil {
                throw ConfigError(key: "scanner[\(i)].kiosk", message: "no kiosk is named \"\(kiosk)\"")
            }
            c.scanners.append(ScannerConfig(device: device, kiosk: kiosk))
        }
    }

    /// `[[keypad]]`: a window keypad (`window`, optional `keys` of steps) or a kiosk button box
    /// (`kiosk = true`, `keys` of services). Key names are libevdev's (KEY_KP1, BTN_0, …).
    static func keypads(_ r: Reader, into c: inout HallConfig) throws(ConfigError) {
        for (i, t) in try r.tables("keypad").enumerated() {
            try t.only(keys("keypad"))
            guard let device = try t.string("device"), device.hasPrefix("/") else {
                throw ConfigError(key: "keypad[\(i)].device", message: "is required: the input device's path")
            }
            let names = try t.table("keys")
            var keys: [String: String] = [:]
            for k in names?.table.keys ?? [] {
                guard let v = try names?.string(k) else { continue }
                guard KeyNames.isKey(k) else {
                    throw ConfigError(
                        key: "keypad[\(i)].keys.\(k)", message: "not a key name (use libevdev's, like KEY_KP1 or BTN_0)"
                    )
                }
                keys[k] = v
            }
            let use: KeypadConfig.Use
            // `kiosk = true` (the first kiosk) or `kiosk = "k1"` (that kiosk's printer).
            let kioskName = t.table["kiosk"]?.string
            if let kioskName, c.kiosk(kioskName) == nil {
                throw ConfigError(key: "keypad[\(i)].kiosk", message: "no kiosk is named \"\(kioskName)\"")
            }
            let kioskFlag = kioskName == nil ? try t.bool("kiosk") : true
            if kioskFlag == true {
                guard try t.int("window", in: 1...999) == nil else {
                    throw ConfigError(key: "keypad[\(i)]", message: "a keypad serves a window or a kiosk, not both")
                }
                guard !keys.isEmpty else { throw t.missing("keys") }
                for (k, service) in keys where c.service(service) == nil {
                    throw ConfigError(
                        key: "keypad[\(i)].keys.\(k)", message: "service \"\(service)\" is not configured")
                }
                use = .kiosk(keys: keys, name: kioskName)
            } else {
                guard let window = try t.int("window", in: 1...999) else {
                    throw ConfigError(key: "keypad[\(i)].window", message: "is required (or kiosk = true)")
                }
                guard c.window(window) != nil else {
                    throw ConfigError(key: "keypad[\(i)].window", message: "window \(window) is not configured")
                }
                var steps = keys.isEmpty ? WindowKeypad.defaultKeys : [:]
                for (k, step) in keys {
                    guard let a = CounterAction(rawValue: step) else {
                        throw ConfigError(
                            key: "keypad[\(i)].keys.\(k)",
                            message:
                                "\"\(step)\" is not one of \(CounterAction.allCases.map(\.rawValue).joined(separator: ", "))"
                        )
                    }
                    steps[k] = a
                }
                use = .window(window, keys: steps)
            }
            if c.keypads.contains(where: { $0.device == device }) {
                throw ConfigError(key: "keypad[\(i)].device", message: "\(device) is configured twice")
            }
            c.keypads.append(KeypadConfig(device: device, use: use))
        }
    }

    /// `[printer]` (the one printer) or `[[printer]]` (several, each with a `name`), then
    /// `[[kiosk]]`, each naming its printer. Without `[[kiosk]]` there is one kiosk, "kiosk",
    /// with the first printer, so a hall configured for one printer runs as before.
    static func printers(_ r: Reader, into c: inout HallConfig) throws(ConfigError) {
        if r.table["printer"]?.table != nil {
            guard let p = try r.table("printer") else { return }
            c.printers = [try printer(p, name: "printer")]
        } else {
            var all: [PrinterConfig] = []
            for (i, p) in try r.tables("printer").enumerated() {
                guard let name = try p.string("name"), AccountRequest.validName(name) else {
                    throw ConfigError(key: "printer[\(i)].name", message: "is required: 1–32 characters, no spaces")
                }
                guard !all.contains(where: { $0.name == name }) else {
                    throw ConfigError(key: "printer[\(i)].name", message: "\"\(name)\" is configured twice")
                }
                all.append(try printer(p, name: name))
            }
            if !all.isEmpty { c.printers = all }
        }
        var kiosks: [KioskConfig] = []
        for (i, k) in try r.tables("kiosk").enumerated() {
            try k.only(keys("kiosk"))
            guard let name = try k.string("name"), AccountRequest.validName(name) else {
                throw ConfigError(key: "kiosk[\(i)].name", message: "is required: 1–32 characters, no spaces")
            }
            guard !kiosks.contains(where: { $0.name == name }) else {
                throw ConfigError(key: "kiosk[\(i)].name", message: "\"\(name)\" is configured twice")
            }
            let printer = try k.string("printer")
            if let printer, c.printer(named: printer) == nil {
                throw ConfigError(key: "kiosk[\(i)].printer", message: "no printer is named \"\(printer)\"")
            }
            kiosks.append(KioskConfig(name: name, printer: printer))
        }
        c.kiosks = kiosks.isEmpty ? [KioskConfig(name: "kiosk", printer: c.printer.name)] : kiosks
    }

    /// One printer table and its profile (one of `PrinterProfile.all`).
    static func printer(_ p: Reader, name: String) throws(ConfigError) -> PrinterConfig {
        try p.only(keys("printer"))
        var o = PrinterConfig()
        o.name = name
        o.kind = try p.choice("kind", PrinterConfig.Kind.self) ?? o.kind
        o.vendor = try p.int("vendor", in: 0...0xFFFF)
        o.product = try p.int("product", in: 0...0xFFFF)
        o.profile = try p.string("profile") ?? o.profile
        o.path = try p.string("path")
        o.address = try p.string("address")
        o.status = try p.bool("status") ?? o.status
        o.qr = try p.string("qr")
        o.footer = try p.string("footer")
        guard PrinterProfile.named(o.profile) != nil else {
            throw ConfigError(
                key: p.key("profile"),
                message: "\"\(o.profile)\" is not one of \(PrinterProfile.all.map(\.name).joined(separator: ", "))")
        }
        if o.kind == .tcp {
            guard let a = o.address, PrinterConfig.tcpEndpoint(a) != nil else {
                throw ConfigError(
                    key: p.key("address"),
                    message: "is required for kind = \"tcp\": \"host:port\", like \"192.168.1.50:9100\"")
            }
        }
        return o
    }

    /// `[lobby]`: the lobby screen on a configured bus.
    static func lobby(_ r: Reader, into c: inout HallConfig) throws(ConfigError) {
        guard let l = try r.table("lobby") else { return }
        try l.only(keys("lobby"))
        // Without a bus the lobby is the web board only: its scroll text and recent calls.
        let bus = try l.string("bus")
        if let bus { try signBus(bus, in: c, key: "lobby.bus") }
        let address = try l.int("address", in: 0...65535)
        if bus != nil, address == nil { throw l.missing("address") }
        let a = address ?? 0
        c.lobby = LobbyConfig(
            bus: bus, address: a, recent: try l.int("recent", in: 1...20) ?? 5, scroll: try l.string("scroll") ?? "",
            width: try l.int("width", in: 8...4096) ?? 256, height: try l.int("height", in: 8...1024) ?? 64,
            align: try l.choice("align", SignAlign.self) ?? .left)
    }

    /// `[http]`: `listen` is a host:port (IPv6 in brackets); `public_url` an http(s) address.
    static func http(_ r: Reader, into c: inout HallConfig) throws(ConfigError) {
        guard let h = try r.table("http") else { return }
        try h.only(keys("http"))
        guard let listen = try h.string("listen") else { throw h.missing("listen") }
        guard let (host, port) = parseListen(listen) else {
            throw ConfigError(
                key: "http.listen", message: "\"\(listen)\" is not host:port (e.g. 127.0.0.1:8080 or [::]:8080)")
        }
        var publicURL = try h.string("public_url")
        if let u = publicURL {
            let lower = u.lowercased()
            guard lower.hasPrefix("http://") || lower.hasPrefix("https://"), u.count <= 200,
                u.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }), !u.contains("?"), !u.contains("#")
            else {
                throw ConfigError(
                    key: "http.public_url",
                    message: "\"\(u)\" must be an http:// or https:// address without spaces, query or fragment")
            }
            while publicURL?.hasSuffix("/") == true { publicURL?.removeLast() }
        }
        var http = HTTPConfig(
            host: host, port: port, publicURL: publicURL, heartbeatSeconds: try h.int("heartbeat_s", in: 1...60) ?? 15)
        http.tlsCert = try h.string("tls_cert")
        http.tlsKey = try h.string("tls_key")
        guard (http.tlsCert == nil) == (http.tlsKey == nil) else {
            throw ConfigError(key: "http.tls_key", message: "tls_cert and tls_key go together")
        }
        for (k, path) in [("tls_cert", http.tlsCert), ("tls_key", http.tlsKey)] {
            if let path, !FileManager.default.isReadableFile(atPath: path) {
                throw ConfigError(key: "http.\(k)", message: "cannot read \(path)")
            }
        }
        http.sessionIdleMinutes = try h.int("session_idle_min", in: 1...1440) ?? 30
        http.headerTimeoutSeconds = try h.int("header_timeout_s", in: 1...300) ?? http.headerTimeoutSeconds
        http.bodyTimeoutSeconds = try h.int("body_timeout_s", in: 1...300) ?? http.bodyTimeoutSeconds
        http.idleSeconds = try h.int("idle_s", in: 1...3600) ?? http.idleSeconds
        http.maxPerClient = try h.int("max_per_client", in: 1...4096) ?? http.maxPerClient
        http.maxConnections = try h.int("max_connections", in: 16...16384) ?? http.maxConnections
        http.maxStreams = try h.int("max_streams", in: 16...30000) ?? http.maxStreams
        c.http = http
    }

    /// "127.0.0.1:8080", "0.0.0.0:80", "[::1]:8080" → host and port.
    static func parseListen(_ s: String) -> (String, Int)? {
        guard let colon = s.lastIndex(of: ":"), let port = Int(s[s.index(after: colon)...]), (0...65535).contains(port)
        else { return nil }
        var host = String(s[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, !host.contains(" ") else { return nil }
        return (host, port)
    }

    /// `[texts]`: what signs and tickets say.
    static func texts(_ r: Reader, into c: inout HallConfig) throws(ConfigError) {
        guard let t = try r.table("texts") else { return }
        try t.only(Self.keys("texts"))
        for (k, path) in textKeys { if let v = try t.string(k) { c.texts[keyPath: path] = v } }
    }

    /// `[signs]`: how long a fresh call flashes.
    static func signs(_ r: Reader, into c: inout HallConfig) throws(ConfigError) {
        guard let sg = try r.table("signs") else { return }
        try sg.only(keys("signs"))
        c.callHoldSeconds = try sg.int("call_hold_s", in: 0...600) ?? c.callHoldSeconds
    }

    /// `[limits]`: per-client bounds.
    static func limits(_ r: Reader, into c: inout HallConfig) throws(ConfigError) {
        guard let l = try r.table("limits") else { return }
        try l.only(keys("limits"))
        c.limits.lineTimeoutSeconds = try l.int("line_timeout_s", in: 1...600) ?? c.limits.lineTimeoutSeconds
        c.limits.watchBacklogBytes =
            (try l.int("watch_backlog_kb", in: 16...65536)).map { $0 * 1024 } ?? c.limits.watchBacklogBytes
        c.limits.takeBurst = try l.int("take_burst", in: 1...10_000) ?? c.limits.takeBurst
        c.limits.takesPerMinutePerConnection =
            try l.int("take_per_min_connection", in: 1...100_000) ?? c.limits.takesPerMinutePerConnection
        c.limits.takesPerMinutePerService =
            try l.int("take_per_min_service", in: 1...100_000) ?? c.limits.takesPerMinutePerService
    }

    /// `[voice]`: voice calling; every word of a template must have a clip.
    static func voice(_ r: Reader, into c: inout HallConfig) throws(ConfigError) {
        guard let v = try r.table("voice") else { return }
        try v.only(keys("voice"))
        var voice = VoiceConfig()
        voice.device = try v.string("device") ?? voice.device
        voice.clips = try v.string("clips")
        voice.repeats = try v.int("repeats", in: 1...5) ?? voice.repeats
        voice.number = try v.string("number") ?? voice.number
        guard let reading = NumberReading(rawValue: voice.number) else {
            throw ConfigError(key: "voice.number", message: "\"\(voice.number)\" is not one of digits, number")
        }
        voice.volume = try v.int("volume", in: 0...100) ?? voice.volume
        voice.maxBacklogSeconds = Double(try v.int("max_backlog_s", in: 0...600) ?? Int(voice.maxBacklogSeconds))
        for (key, path) in [("call", \VoiceConfig.call), ("recall", \VoiceConfig.recall)] {
            if let t = try v.string(key) { voice[keyPath: path] = t }
            // Every word of a template must have a clip: found here, not in silence at a window.
            do {
                _ = try PhraseBuilder.clips(template: voice[keyPath: path], ticket: "A012", window: 3, reading: reading)
            } catch { throw ConfigError(key: "voice.\(key)", message: error.description) }
        }
        c.voice = voice
    }

    /// Every text a sign may show must be showable by that sign's protocol (GB2312 for Onbon and
    /// plain, ASCII for Alpha): found here, not on the sign in front of the public.
    static func checkSignTexts(_ c: HallConfig) throws(ConfigError) {
        let templates = [
            ("texts.call", c.texts.call), ("texts.serving", c.texts.serving), ("texts.paused", c.texts.paused),
        ]
        for (i, w) in c.windows.enumerated() {
            guard let sign = w.sign, let bus = c.buses.first(where: { $0.name == sign.bus }),
                let enc = SignEncoders.make(for: bus)
            else { continue }
            for (key, text) in [("window[\(i)].scope", w.scope)] + templates {
                if let p = enc.problem(with: text) {
                    throw ConfigError(key: key, message: "\"\(text)\" \(p) (bus \(bus.name))")
                }
            }
        }
        if let l = c.lobby, let bus = c.buses.first(where: { $0.name == l.bus }), let enc = SignEncoders.make(for: bus)
        {
            let texts =
                [
                    ("lobby.scroll", l.scroll), ("texts.lobby_call", c.texts.lobbyCall),
                    ("texts.lobby_waiting", c.texts.lobbyWaiting),
                ]
                + c.services.enumerated().map { ("service[\($0.offset)].name", $0.element.name) }
            for (key, text) in texts {
                if let p = enc.problem(with: text) {
                    throw ConfigError(key: key, message: "\"\(text)\" \(p) (bus \(bus.name))")
                }
            }
        }
    }

    /// Every text printed on a ticket must print: checked here, not discovered on paper.
    static func checkTicketTexts(_ c: HallConfig) throws(ConfigError) {
        guard c.printers.contains(where: { $0.kind != .none }) else { return }
        var texts = [("hall.name", c.name), ("texts.ahead", c.texts.ahead), ("texts.eta", c.texts.eta)]
        texts += c.services.enumerated().map { ("service[\($0.offset)].name", $0.element.name) }
        for p in c.printers { if let f = p.footer { texts.append(("printer.footer", f)) } }
        for (key, text) in texts {
            if let p = EscPos.problem(with: text) { throw ConfigError(key: key, message: "\"\(text)\" \(p)") }
        }
    }

    /// Typed, key-naming access to one TOML table.
    struct Reader {
        let table: TOMLTable
        let path: String
        init(_ t: TOMLTable, _ path: String) {
            table = t
            self.path = path
        }

        func key(_ k: String) -> String { path.isEmpty ? k : "\(path).\(k)" }
        func missing(_ k: String) -> ConfigError { ConfigError(key: key(k), message: "is required") }
        func wrong(_ k: String, _ what: String) -> ConfigError {
            ConfigError(key: key(k), message: "must be \(what), found \(table[k]!.type)")
        }

        func only(_ allowed: [String]) throws(ConfigError) {
            for k in table.keys where !allowed.contains(k) {
                throw ConfigError(key: key(k), message: "unknown key (known here: \(allowed.joined(separator: ", ")))")
            }
        }
        func string(_ k: String) throws(ConfigError) -> String? {
            guard let v = table[k] else { return nil }
            guard let s = v.string else { throw wrong(k, "a string") }
            return s
        }
        func int(_ k: String, in range: ClosedRange<Int>) throws(ConfigError) -> Int? {
            guard let v = table[k] else { return nil }
            guard let i = v.int else { throw wrong(k, "an integer") }
            guard range.contains(i) else {
                throw ConfigError(key: key(k), message: "\(i) is outside \(range.lowerBound)...\(range.upperBound)")
            }
            return i
        }
        func bool(_ k: String) throws(ConfigError) -> Bool? {
            guard let v = table[k] else { return nil }
            guard let b = v.bool else { throw wrong(k, "true or false") }
            return b
        }
        func choice<E: RawRepresentable & CaseIterable>(_ k: String, _: E.Type) throws(ConfigError) -> E?
        where E.RawValue == String {
            guard let s = try string(k) else { return nil }
            guard let e = E(rawValue: s) else {
                throw ConfigError(
                    key: key(k), message: "\"\(s)\" is not one of \(E.allCases.map(\.rawValue).joined(separator: ", "))"
                )
            }
            return e
        }
        func strings(_ k: String) throws(ConfigError) -> [String] {
            guard let v = table[k] else { return [] }
            guard let a = v.array else { throw wrong(k, "an array of strings") }
            var out: [String] = []
            for e in a {
                guard let s = e.string else { throw ConfigError(key: key(k), message: "must be an array of strings") }
                out.append(s)
            }
            return out
        }
        func table(_ k: String) throws(ConfigError) -> Reader? {
            guard let v = table[k] else { return nil }
            guard let t = v.table else { throw wrong(k, "a table") }
            return Reader(t, key(k))
        }
        func tables(_ k: String) throws(ConfigError) -> [Reader] {
            guard let v = table[k] else { return [] }
            guard let a = v.array else { throw wrong(k, "an array of tables ([[\(k)]])") }
            var out: [Reader] = []
            for (i, e) in a.enumerated() {
                guard let t = e.table else { throw ConfigError(key: "\(key(k))[\(i)]", message: "must be a table") }
                out.append(Reader(t, "\(key(k))[\(i)]"))
            }
            return out
        }
    }
}

extension Array {
    var nonEmpty: Self? { isEmpty ? nil : self }
}
