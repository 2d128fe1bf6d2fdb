import Foundation
import HallqApp
import HallqCore
import HallqDevices
import HallqEncoders
import HallqProtocol
import Logging

/// What a counter device reported, and when (seconds on the monotonic clock, taken as the
/// driver read it: key bounce is judged by arrival, not by when the desk got round to it).
enum CounterInput: Sendable {
    case caller(bus: String, address: UInt8, CallerInput, at: Double)
    case keypad(index: Int, key: String, at: Double)
    /// An ID card read on reader `index`, already reduced to what hallq keeps.
    case card(index: Int, CardRead, at: Double)
    /// A key a QR/barcode scanner (`[[scanner]]` `index`) typed.
    case scan(index: Int, key: String, at: Double)

    static func now() -> Double { ProcessInfo.processInfo.systemUptime }
}

/// The drivers of the hall's counter hardware (`[[caller]]` buses, `[[keypad]]` devices), opened
/// once at start like the sign buses. They only report presses into `inputs`; `CounterDesk`
/// turns them into ops. Owned by the device hub, so `devices` and `status` show them.
final class CounterDevices: Sendable {
    let callerBuses: [String: CallerBus]
    let keypads: [(config: KeypadConfig, driver: Keypad)]
    let callers: [CallerConfig]
    /// ID-card readers (`[[idcard]]`); none without a hall secret to key the cards with.
    let idcards: [(config: IdCardConfig, driver: IdCardReader)]
    /// QR/barcode scanners (`[[scanner]]`): keyboards to libevdev, read like the keypads.
    let scanners: [(config: ScannerConfig, driver: Keypad)]
    let inputs: AsyncStream<CounterInput>
    private let sink: AsyncStream<CounterInput>.Continuation

    init(config: HallConfig, persons: PersonKeys?, logger: Logger) {
        // Bounded: a stuck desk (never) or a flood of key frames cannot grow memory; presses
        // beyond a backlog of 256 are dropped like a key nobody heard.
        let (inputs, sink) = AsyncStream.makeStream(of: CounterInput.self, bufferingPolicy: .bufferingOldest(256))
        self.inputs = inputs
        self.sink = sink
        callers = config.callers
        var buses: [String: CallerBus] = [:]
        for bus in config.buses where bus.proto == BusConfig.callerProtocol {
            let addresses = config.callers.filter { $0.bus == bus.name }.map(\.address)
            buses[bus.name] = CallerBus(config: bus, addresses: addresses, logger: logger) { address, input in
                sink.yield(.caller(bus: bus.name, address: address, input, at: CounterInput.now()))
            }
        }
        callerBuses = buses
        keypads = config.keypads.enumerated().map { i, k in
            (
                k,
                Keypad(device: k.device, logger: logger) { key in
                    sink.yield(.keypad(index: i, key: key, at: CounterInput.now()))
                }
            )
        }
        scanners = config.scanners.enumerated().map { i, s in
            (
                s,
                Keypad(device: s.device, logger: logger) { key in
                    sink.yield(.scan(index: i, key: key, at: CounterInput.now()))
                }
            )
        }
        idcards =
            persons.map { persons in
                config.idcards.enumerated().map { i, c in
                    // The card's text is reduced to a key, a birth date and a masked name here,
                    // on the reader's thread: nothing else of it leaves the driver.
                    let onRead: @Sendable (IdCardText) -> Void = { card in
                        sink.yield(.card(index: i, persons.read(card), at: CounterInput.now()))
                    }
                    switch c.transport {
                    case let .serial(path, baud):
                        return (c, IdCardReader.serial(path: path, baud: baud, logger: logger, onRead: onRead))
                    case let .usb(v, p):
                        return (
                            c, IdCardReader.usb(vendor: v, product: p, name: c.name, logger: logger, onRead: onRead)
                        )
                    }
                }
            } ?? []
    }

    func stop() {
        sink.finish()
        for b in callerBuses.values { b.stop() }
        for k in keypads { k.driver.stop() }
        for r in idcards { r.driver.stop() }
        for s in scanners { s.driver.stop() }
    }

    /// The caller buses (with their callers) and the keypads, for `devices`.
    func report(
        _ config: HallConfig, calendar: HallCalendar
    ) -> (buses: [DeviceReport.Bus], keypads: [DeviceReport.Keypad]) {
        let buses = config.buses.compactMap { b -> DeviceReport.Bus? in
            guard let driver = callerBuses[b.name] else { return nil }
            let contact = driver.lastContact
            let callers = callers.filter { $0.bus == b.name }.map { c in
                DeviceReport.Caller(
                    address: c.address, window: c.window,
                    lastContact: contact[c.address].map {
                        let ms = Millis($0.timeIntervalSince1970 * 1000)
                        return (isoUTC(ms), calendar.localTimestamp(ms))
                    })
            }
            return DeviceReport.Bus(
                name: b.name, kind: b.kind.rawValue, proto: b.proto, path: b.path, health: driver.health, signs: [:],
                callers: callers)
        }
        let keypads = keypads.map { k in
            let use: String
            switch k.config.use {
            case let .window(w, _): use = "window \(w)"
            case .kiosk: use = "kiosk"
            }
            return DeviceReport.Keypad(device: k.config.device, use: use, health: k.driver.health)
        }
        // ID-card readers are listed with the keypads: input devices at a kiosk or a window.
        let readers = idcards.map { r in
            let use: String
            switch r.config.use {
            case let .window(w): use = "idcard window \(w)"
            case let .kiosk(name): use = "idcard kiosk" + (name.map { " \($0)" } ?? "")
            }
            return DeviceReport.Keypad(device: r.config.name, use: use, health: r.driver.health)
        }
        let scanners = scanners.map { s in
            DeviceReport.Keypad(
                device: s.config.device, use: "scanner kiosk" + (s.config.kiosk.map { " \($0)" } ?? ""),
                health: s.driver.health)
        }
        return (buses, keypads + readers + scanners)
    }

    /// Each driver's health by the name its `device` events carry.
    var healthByName: [(String, DeviceHealth)] {
        callerBuses.sorted { $0.key < $1.key }.map { ("callers \($0.key)", $0.value.health) }
            + keypads.map { ("keypad \($0.config.device)", $0.driver.health) }
            + idcards.map { ($0.config.name, $0.driver.health) }
            + scanners.map { ("scanner \($0.config.device)", $0.driver.health) }
    }
}
