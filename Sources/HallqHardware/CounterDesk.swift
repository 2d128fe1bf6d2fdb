import Foundation
import HallqApp
import HallqCore
import HallqDevices
import HallqEncoders
import HallqProtocol
import Logging
import ServiceLifecycle

/// Turns presses on the counter hardware into ops, through the same dispatcher (and so the same
/// engine rules, printer check and limits) as a socket client, and keeps each caller's digits
/// current after every commit (hardware/HARDWARE.md, callers and keypads).
///
/// A window step runs with the window's signed-in clerk (the engine's rule); a refusal makes the
/// caller beep twice and changes nothing. Events record `role` "caller" or "keypad".
public actor CounterDesk: Service {
    let hall: Hall
    let devices: CounterDevices
    let dispatcher: Dispatcher
    let cards: CardDesk
    let logger: Logger
    private var callerFilters: [String: PressFilter] = [:]
    private var keypadFilters: [Int: PressFilter] = [:]
    /// Per kiosk keypad, its double-press rule (`DoublePress`).
    private var doublePress: [Int: DoublePress] = [:]
    private var windowKeypads: [Int: WindowKeypad] = [:]
    private var scanLines: [Int: ScanLine] = [:]
    private let commits: AsyncStream<QueueEngine>
    private let commitSink: AsyncStream<QueueEngine>.Continuation

    public init(hall: Hall, devices: DeviceHub, dispatcher: Dispatcher, logger: Logger) {
        self.hall = hall
        self.devices = devices.counters
        self.cards = devices.cards
        self.dispatcher = dispatcher
        self.logger = logger
        for (i, k) in self.devices.keypads.enumerated() {
            if case let .window(w, keys) = k.config.use { windowKeypads[i] = WindowKeypad(window: w, keys: keys) }
        }
        // Only the newest queue matters for the digits: older ones are skipped.
        (commits, commitSink) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    public func run() async throws {
        // A service of the group must not end before the group does, even with nothing to drive.
        guard
            !devices.callers.isEmpty || !devices.keypads.isEmpty || !devices.idcards.isEmpty
                || !devices.scanners.isEmpty
        else {
            return try await gracefulShutdown()
        }
        let sink = commitSink
        let subscription = hall.subscribe { sink.yield($0.engine) }
        defer { hall.unsubscribe(subscription) }
        showAll(hall.snapshotEngine())
        await withTaskGroup(of: Void.self) { group in
            group.addTask { for await e in self.commits { await self.showAll(e) } }
            group.addTask { for await input in self.devices.inputs { await self.handle(input) } }
            await withGracefulShutdownHandler {
                await group.waitForAll()
            } onGracefulShutdown: {
                self.commitSink.finish()
                self.devices.stop()
            }
        }
    }

    func handle(_ input: CounterInput) async {
        switch input {
        case let .caller(bus, address, callerInput, at):
            guard let c = devices.callers.first(where: { $0.bus == bus && $0.address == Int(address) }) else { return }
            let key = "\(callerInput)"
            guard callerFilters["\(bus)/\(address)", default: PressFilter()].accept(key, at: at) else { return }
            let source = "caller \(bus)/\(address)"
            switch callerInput.press(window: c.window) {
            case let .success(press):
                if await run(press, origin: Origin(role: "caller"), source: source) != nil {
                    devices.callerBuses[bus]?.beep(address, times: 2)
                }
            case let .failure(why):
                logger.notice("caller key not run", metadata: ["source": .string(source), "why": .string(why.message)])
                devices.callerBuses[bus]?.beep(address, times: 2)
            }
        case let .keypad(index, key, at):
            guard index < devices.keypads.count else { return }
            guard keypadFilters[index, default: PressFilter()].accept(key, at: at) else { return }
            let source = "keypad \(devices.keypads[index].config.device)"
            let press: CounterPress?
            var origin = Origin(role: "keypad")
            switch devices.keypads[index].config.use {
            case let .kiosk(keys, name):
                press = keys[key].map { service in
                    // A double press of the button is one ticket, as on the touchscreen.
                    let k = doublePress[index, default: DoublePress()].key(service: service, at: at) {
                        "button-" + UUID().uuidString.prefix(24).lowercased()
                    }
                    return .take(service: service, key: k)
                }
                origin.kiosk = name
            case .window: press = windowKeypads[index]?.press(key, at: at)
            }
            guard let press else { return }
            _ = await run(press, origin: origin, source: source)
        case let .scan(index, key, at):
            guard index < devices.scanners.count,
                let code = scanLines[index, default: ScanLine()].press(key, at: at)
            else { return }
            // A scanned booking code checks that booking in at the scanner's kiosk, as the
            // kiosk page's 预约签到 pad does; its ticket prints on that kiosk's printer.
            let kiosk = devices.scanners[index].config.kiosk
            do {
                _ = try await dispatcher.answer(
                    .command(.checkin(code: code, kiosk: kiosk)), origin: Origin(role: "scanner", kiosk: kiosk))
            } catch {
                let why = (error as? HallError).map { "\($0.token.rawValue): \($0.message)" } ?? "\(error)"
                logger.notice(
                    "scanned code not checked in",
                    metadata: ["scanner": .string(devices.scanners[index].config.device), "why": .string(why)])
            }
        case let .card(index, read, _):
            guard index < devices.idcards.count else { return }
            let reader = devices.idcards[index].config
            switch reader.use {
            case let .kiosk(name):
                // Held for the kiosk's next take; shown on its page and on `watch` (not stored).
                // Bookings (a later issue) check a booked person in here, by the person key.
                let config = hall.snapshotEngine().config
                guard let kiosk = config.kiosk(name)?.name else { return }
                cards.present(read, kiosk: kiosk, seconds: reader.holdSeconds)
                if let held = cards.current(kiosk: kiosk) {
                    let view = await dispatcher.cardView(held)
                    cards.announce(["type": "card", "card": view])
                }
            case let .window(w):
                // The ticket in hand at that window was this person's (no ticket in hand: nothing).
                do {
                    _ = try await dispatcher.answer(
                        .command(.person(window: w, person: read.person)), origin: Origin(role: "idcard"))
                } catch {
                    logger.notice(
                        "ID card at a window not attached",
                        metadata: ["window": .stringConvertible(w), "why": .string("\(error)")])
                }
            }
        }
    }

    /// Runs a press as its op; the refusal, or nil once it is committed.
    private func run(_ press: CounterPress, origin: Origin, source: String) async -> HallError? {
        let refusal: HallError?
        switch press.command(in: hall.snapshotEngine()) {
        case let .failure(e): refusal = e
        case let .success(cmd):
            do {
                _ = try await dispatcher.answer(.command(cmd), origin: origin)
                refusal = nil
            } catch let e as HallError {
                refusal = e
            } catch {
                refusal = HallError(.internal, "\(error)")
            }
        }
        if let refusal {
            logger.notice(
                "counter press refused",
                metadata: [
                    "source": .string(source), "press": .string("\(press)"), "token": .string(refusal.token.rawValue),
                    "why": .string(refusal.message),
                ])
        }
        return refusal
    }

    /// Every caller's digits: its window's waiting count and the ticket in hand.
    private func showAll(_ e: QueueEngine) {
        for c in devices.callers {
            guard let bus = devices.callerBuses[c.bus], let w = e.config.window(c.window) else { continue }
            let waiting = w.services.reduce(0) { $0 + e.waitingCount(service: $1) }
            let ticket = WindowView.of(c.window, in: e, now: nil).ticket?.number
            bus.show(CallerProtocol.display(address: UInt8(c.address), waiting: waiting, ticket: ticket))
        }
    }
}
