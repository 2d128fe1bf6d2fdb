import HallqCore

/// Every device's health at one moment, as `devices`, `status` and systemd's STATUS line show it.
/// Gathered by the device layer, rendered here: the JSON and the one-line summary are pure.
public struct DeviceReport: Sendable, Equatable {
    public struct Printer: Sendable, Equatable {
        /// "printer" for the single `[printer]`, else its `[[printer]]` name.
        public var name: String
        public var kind: String
        /// A `PrinterHealth` raw value, or "none" when no printer is configured.
        public var health: String
        public init(name: String = "printer", kind: String, health: String) {
            self.name = name
            self.kind = kind
            self.health = health
        }
        /// Whether a ticket can be printed on it now.
        public var canPrint: Bool { PrinterHealth(rawValue: health)?.canPrint ?? false }
    }

    /// A kiosk and whether it can issue tickets now (its printer's health, or "none").
    public struct Kiosk: Sendable, Equatable {
        public var name: String
        public var printer: String?
        public var health: String
        public init(name: String, printer: String?, health: String) {
            self.name = name
            self.printer = printer
            self.health = health
        }
    }

    public struct Bus: Sendable, Equatable {
        public var name: String
        public var kind: String
        public var proto: String
        public var path: String
        public var health: DeviceHealth
        /// Each answering sign's health by address.
        public var signs: [Int: DeviceHealth]
        /// On a bus of callers: each configured caller.
        public var callers: [Caller]
        public init(
            name: String, kind: String, proto: String, path: String, health: DeviceHealth, signs: [Int: DeviceHealth],
            callers: [Caller] = []
        ) {
            self.name = name
            self.kind = kind
            self.proto = proto
            self.path = path
            self.health = health
            self.signs = signs
            self.callers = callers
        }
    }

    /// A window caller: a caller only speaks when a key is pressed, so its health is when it
    /// last did (nil: not since hallqd started), in UTC and in the hall's local time.
    public struct Caller: Sendable, Equatable {
        public var address: Int
        public var window: Int
        public var lastContact: (utc: String, local: String)?
        public init(address: Int, window: Int, lastContact: (utc: String, local: String)?) {
            self.address = address
            self.window = window
            self.lastContact = lastContact
        }
        public static func == (a: Self, b: Self) -> Bool {
            a.address == b.address && a.window == b.window && a.lastContact?.utc == b.lastContact?.utc
                && a.lastContact?.local == b.lastContact?.local
        }
    }

    public struct Keypad: Sendable, Equatable {
        public var device: String
        /// "window 3" or "kiosk".
        public var use: String
        public var health: DeviceHealth
        public init(device: String, use: String, health: DeviceHealth) {
            self.device = device
            self.use = use
            self.health = health
        }
    }

    public struct Voice: Sendable, Equatable {
        public var device: String
        public var health: DeviceHealth
        public init(device: String, health: DeviceHealth) {
            self.device = device
            self.health = health
        }
    }

    /// Every printer, the first being `printer`.
    public var printers: [Printer]
    public var kiosks: [Kiosk]
    public var buses: [Bus]
    public var voice: Voice?
    public var keypads: [Keypad]

    /// The first printer (the only one with a single `[printer]`).
    public var printer: Printer { printers.first ?? Printer(kind: "none", health: "none") }

    public init(printers: [Printer], kiosks: [Kiosk] = [], buses: [Bus], voice: Voice?, keypads: [Keypad] = []) {
        self.printers = printers
        self.kiosks = kiosks
        self.buses = buses
        self.voice = voice
        self.keypads = keypads
    }

    /// Devices that are not fine, in a few words each ("printer paper-out", "bus signs down: …").
    public var problems: [String] {
        var out: [String] = []
        for p in printers where !["online", "none"].contains(p.health) {
            out.append((p.name == "printer" ? "printer " : "printer \(p.name) ") + p.health)
        }
        if let voice, !voice.health.isOK { out.append("voice \(voice.health)") }
        for b in buses {
            if !b.health.isOK { out.append("bus \(b.name) \(b.health)") }
            for (address, h) in b.signs.sorted(by: { $0.key < $1.key }) where !h.isOK {
                out.append("sign \(b.name)/\(address) \(h)")
            }
        }
        // ID-card readers are listed with the keypads under their own name ("idcard …").
        for k in keypads where !k.health.isOK {
            out.append((k.use.hasPrefix("idcard") ? "" : "keypad ") + "\(k.device) \(k.health)")
        }
        return out
    }
}

extension Render {
    /// `devices` (docs/PROTOCOL.md).
    public static func devices(_ r: DeviceReport) -> JSONValue {
        func printer(_ p: DeviceReport.Printer) -> JSONValue {
            ["name": .string(p.name), "kind": .string(p.kind), "health": .string(p.health)]
        }
        var out: [String: JSONValue] = [
            "printer": printer(r.printer),
            "printers": .array(r.printers.map(printer)),
            "kiosks": .array(
                r.kiosks.map {
                    [
                        "name": .string($0.name), "printer": $0.printer.map(JSONValue.string) ?? .null,
                        "health": .string($0.health),
                    ]
                }),
            "buses": .array(
                r.buses.map { b in
                    [
                        "name": .string(b.name), "kind": .string(b.kind), "protocol": .string(b.proto),
                        "path": .string(b.path),
                        "health": .string(b.health.description),
                        "signs": .array(
                            b.signs.sorted { $0.key < $1.key }.map {
                                ["address": .int(Int64($0.key)), "health": .string($0.value.description)]
                            }),
                        "callers": .array(
                            b.callers.map {
                                [
                                    "address": .int(Int64($0.address)), "window": .int(Int64($0.window)),
                                    "last_contact": .from($0.lastContact?.utc),
                                    "last_contact_local": .from($0.lastContact?.local),
                                ]
                            }),
                    ]
                }),
            "keypads": .array(
                r.keypads.map {
                    ["device": .string($0.device), "use": .string($0.use), "health": .string($0.health.description)]
                }),
        ]
        if let v = r.voice { out["voice"] = ["device": .string(v.device), "health": .string(v.health.description)] }
        return .object(out)
    }
}
