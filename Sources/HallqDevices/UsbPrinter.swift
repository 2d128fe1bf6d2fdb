import CUSB
import Foundation
import HallqCore
import HallqEncoders
import Logging

/// An ESC/POS printer on USB through libusb: found by configured vendor/product id, else as
/// the first printer-class interface (class 7); endpoints read from its descriptors; the
/// kernel's usblp driver detached; bulk OUT for tickets, bulk IN for `DLE EOT` status.
///
/// Threads: every call on the device handle runs on one serial queue (`io`), and libusb's events
/// (hotplug, transfers) are pumped on a thread of their own. Nothing here runs on the cooperative
/// pool; callers only await a continuation. Hotplug (or, without it, a rescan every second)
/// reopens the printer after an unplug or a power cycle.
public final class UsbPrinter: TicketPrinter, @unchecked Sendable {
    public let kind = "usb"
    let vendor: Int?
    let product: Int?
    let profile: PrinterProfile
    let logger: Logger
    private let io = DispatchQueue(label: "hallq.printer.usb")
    private let lock = NSLock()
    // Guarded by `io`.
    private var ctx: OpaquePointer?
    private var handle: OpaquePointer?
    private var device: OpaquePointer?
    private var interfaceNumber: Int32 = 0
    private var epOut: UInt8 = 0
    private var epIn: UInt8?
    // Guarded by `lock`.
    private var cachedHealth: PrinterHealth = .offline
    private var running = true
    private var timer: DispatchSourceTimer?
    private var hotplug: libusb_hotplug_callback_handle = 0

    public init(vendor: Int?, product: Int?, profile: PrinterProfile, logger: Logger) throws {
        self.vendor = vendor
        self.product = product
        self.profile = profile
        self.logger = logger
        var c: OpaquePointer?
        guard libusb_init(&c) == 0, let c else { throw PrintFailure("libusb_init failed") }
        ctx = c
        _ = hq_libusb_set_log_level(c, Int32(LIBUSB_LOG_LEVEL_NONE.rawValue))
        if libusb_has_capability(UInt32(LIBUSB_CAP_HAS_HOTPLUG.rawValue)) != 0 {
            let events = Int32(LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED.rawValue | LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT.rawValue)
            let rc = libusb_hotplug_register_callback(
                c, events, 0,
                Int32(vendor ?? Int(LIBUSB_HOTPLUG_MATCH_ANY)), Int32(product ?? Int(LIBUSB_HOTPLUG_MATCH_ANY)),
                LIBUSB_HOTPLUG_MATCH_ANY, { _, dev, event, user in
                    let me = Unmanaged<UsbPrinter>.fromOpaque(user!).takeUnretainedValue()
                    me.hotplugEvent(dev, event)
                    return 0
                }, Unmanaged.passUnretained(self).toOpaque(), &hotplug)
            if rc != 0 { logger.warning("libusb hotplug unavailable; rescanning every second", metadata: ["rc": "\(rc)"]) }
        }
        let events = Thread { [unowned self] in self.pumpEvents() }
        events.name = "hallq-libusb-events"
        events.start()
        // Rescan while closed, status poll while open: every second.
        let t = DispatchSource.makeTimerSource(queue: io)
        t.schedule(deadline: .now(), repeating: .seconds(1))
        t.setEventHandler { [unowned self] in
            if self.handle == nil { self.openIfFound() } else if !self.busy { self.refreshHealth() }
        }
        t.resume()
        timer = t
    }

    private var busy = false

    private func pumpEvents() {
        var tv = timeval(tv_sec: 0, tv_usec: 100_000)
        while lock.withLock({ running }) {
            _ = libusb_handle_events_timeout_completed(ctx, &tv, nil)
        }
    }

    /// Runs on the event thread: only hand over to `io`.
    private func hotplugEvent(_ dev: OpaquePointer?, _ event: libusb_hotplug_event) {
        if event == LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT {
            let left = dev.map { UInt(bitPattern: $0) }
            io.async {
                guard let d = self.device, UInt(bitPattern: d) == left else { return }
                self.logger.notice("printer unplugged")
                self.close(health: .offline)
            }
        } else {
            io.async { if self.handle == nil { self.openIfFound() } }
        }
    }

    public func health() async -> PrinterHealth { lock.withLock { cachedHealth } }

    private func setHealth(_ h: PrinterHealth) { lock.withLock { cachedHealth = h } }

    public func print(_ ticket: TicketLayout) async throws(PrintFailure) {
        let bytes = EscPos.ticket(ticket, profile: profile)
        let result: Result<Void, PrintFailure> = await withCheckedContinuation { cont in
            io.async { cont.resume(returning: self.printNow(bytes)) }
        }
        try result.get()
    }

    // MARK: - On `io`

    private func printNow(_ bytes: [UInt8]) -> Result<Void, PrintFailure> {
        busy = true
        defer { busy = false }
        if handle == nil { openIfFound() }
        guard handle != nil else { return .failure(PrintFailure("offline: no printer found")) }
        refreshHealth()
        let before = lock.withLock { cachedHealth }
        guard before.canPrint else { return .failure(PrintFailure(before.rawValue)) }
        if case let .failure(f) = write(bytes, timeoutMs: 10_000) { return .failure(f) }
        // Paper can run out in the middle of a ticket: ask again once it is out.
        refreshHealth()
        let after = lock.withLock { cachedHealth }
        return after == .paperOut || after == .offline || after == .coverOpen
            ? .failure(PrintFailure("\(after.rawValue) while printing")) : .success(())
    }

    /// Sends all bytes; a transfer that stops part way (timeout, stall, unplug) is a failure
    /// that says how far it got.
    private func write(_ bytes: [UInt8], timeoutMs: UInt32) -> Result<Void, PrintFailure> {
        guard let h = handle else { return .failure(PrintFailure("offline")) }
        var sent = 0
        while sent < bytes.count {
            var transferred: Int32 = 0
            var chunk = Array(bytes[sent..<min(bytes.count, sent + 4096)])
            let rc = chunk.withUnsafeMutableBufferPointer {
                libusb_bulk_transfer(h, epOut, $0.baseAddress, Int32($0.count), &transferred, timeoutMs)
            }
            sent += Int(transferred)
            if rc == LIBUSB_ERROR_NO_DEVICE.rawValue {
                close(health: .offline)
                return .failure(PrintFailure("unplugged after \(sent) of \(bytes.count) bytes"))
            }
            if rc != 0 {
                return .failure(PrintFailure("usb write: \(String(cString: libusb_error_name(rc))) after \(sent) of \(bytes.count) bytes"))
            }
        }
        return .success(())
    }

    /// One DLE EOT n status byte, or nil when the printer does not answer.
    private func status(_ n: UInt8) -> UInt8? {
        guard let h = handle, let ep = epIn else { return nil }
        guard case .success = write(EscPos.status(n), timeoutMs: 1000) else { return nil }
        var b: [UInt8] = [0]
        var got: Int32 = 0
        let rc = b.withUnsafeMutableBufferPointer { libusb_bulk_transfer(h, ep, $0.baseAddress, 1, &got, 500) }
        if rc == LIBUSB_ERROR_NO_DEVICE.rawValue { close(health: .offline); return nil }
        guard rc == 0, got == 1, b[0] & 0x93 == 0x12 else { return nil }  // valid replies look like 0xx1xx10
        return b[0]
    }

    private func refreshHealth() {
        guard handle != nil else { setHealth(.offline); return }
        guard epIn != nil else { setHealth(.online); return }  // OUT-only printers cannot tell
        guard let s1 = status(1) else { setHealth(.offline); return }
        var h = PrinterHealth.online
        if s1 & 0x08 != 0 {
            let s2 = status(2) ?? 0
            if s2 & 0x04 != 0 { h = .coverOpen }
            else if s2 & 0x20 != 0 { h = .paperOut }
            else if s2 & 0x40 != 0, let s3 = status(3), s3 & 0x08 != 0 { h = .cutterError }
            else { h = .offline }
        }
        if h == .online, let s4 = status(4) {
            if s4 & 0x60 == 0x60 { h = .paperOut } else if s4 & 0x0C == 0x0C { h = .paperNearEnd }
        }
        let old = lock.withLock { () -> PrinterHealth in let o = cachedHealth; cachedHealth = h; return o }
        if old != h { logger.notice("printer status", metadata: ["health": .string(h.rawValue)]) }
    }

    private func close(health: PrinterHealth) {
        if let h = handle {
            libusb_release_interface(h, interfaceNumber)
            libusb_close(h)
        }
        if let d = device { libusb_unref_device(d) }
        handle = nil
        device = nil
        setHealth(health)
    }

    /// Finds, opens and claims the printer if it is there.
    private func openIfFound() {
        guard let ctx else { return }
        var list: UnsafeMutablePointer<OpaquePointer?>?
        let n = libusb_get_device_list(ctx, &list)
        guard n > 0, let list else { return }
        defer { libusb_free_device_list(list, 1) }
        for i in 0..<n {
            guard let dev = list[i], let found = match(dev) else { continue }
            var h: OpaquePointer?
            guard libusb_open(dev, &h) == 0, let h else { continue }
            _ = libusb_set_auto_detach_kernel_driver(h, 1)
            if libusb_claim_interface(h, found.interface) != 0 {
                libusb_close(h)
                continue
            }
            handle = h
            device = libusb_ref_device(dev)
            interfaceNumber = found.interface
            epOut = found.out
            epIn = found.in
            var d = libusb_device_descriptor()
            _ = libusb_get_device_descriptor(dev, &d)
            logger.notice("printer connected", metadata: [
                "id": .string(String(format: "%04x:%04x", d.idVendor, d.idProduct)),
                "out": .string(String(format: "0x%02x", found.out)), "in": .string(found.in.map { String(format: "0x%02x", $0) } ?? "none"),
            ])
            refreshHealth()
            return
        }
    }

    /// The printer interface and its bulk endpoints, if this device is the printer we want.
    private func match(_ dev: OpaquePointer) -> (interface: Int32, out: UInt8, in: UInt8?)? {
        var d = libusb_device_descriptor()
        guard libusb_get_device_descriptor(dev, &d) == 0 else { return nil }
        if let vendor, Int(d.idVendor) != vendor { return nil }
        if let product, Int(d.idProduct) != product { return nil }
        var cfg: UnsafeMutablePointer<libusb_config_descriptor>?
        guard libusb_get_active_config_descriptor(dev, &cfg) == 0 || libusb_get_config_descriptor(dev, 0, &cfg) == 0,
              let cfg else { return nil }
        defer { libusb_free_config_descriptor(cfg) }
        for i in 0..<Int(cfg.pointee.bNumInterfaces) {
            let itf = cfg.pointee.interface[i]
            for a in 0..<Int(itf.num_altsetting) {
                let alt = itf.altsetting[a]
                // With an id configured, take its first interface with a bulk OUT endpoint;
                // otherwise only the printer class (7) qualifies.
                if vendor == nil && product == nil && alt.bInterfaceClass != 7 { continue }
                var out: UInt8?, inp: UInt8?
                for e in 0..<Int(alt.bNumEndpoints) {
                    let ep = alt.endpoint[e]
                    guard ep.bmAttributes & 0x03 == 0x02 else { continue }  // bulk
                    if ep.bEndpointAddress & 0x80 != 0 { inp = inp ?? ep.bEndpointAddress } else { out = out ?? ep.bEndpointAddress }
                }
                if let out { return (Int32(alt.bInterfaceNumber), out, inp) }
            }
        }
        return nil
    }
}
