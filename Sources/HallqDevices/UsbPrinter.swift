import CUSB
import Foundation
import HallqCore
import HallqEncoders
import Logging

/// An ESC/POS printer on USB through libusb: found by configured vendor/product id, else as
/// the first printer-class interface (class 7); bulk endpoints read from its descriptors; the
/// kernel's usblp driver detached; tickets on bulk OUT, `DLE EOT` replies on bulk IN.
///
/// libusb's events (hotplug, transfers) are pumped on a thread of their own; every call on the
/// device handle runs on the printer's serial queue. Hotplug brings the printer back at once after
/// an unplug or a power cycle; without hotplug the printer's one-second tick rescans.
public enum UsbPrinter {
    public static func make(
        vendor: Int?, product: Int?, profile: PrinterProfile, logger: Logger
    ) throws -> any TicketPrinter {
        let queue = DispatchQueue(label: "hallq.printer.usb")
        let transport = try LibusbTransport(vendor: vendor, product: product, logger: logger)
        let printer = EscPosPrinter(kind: "usb", transport: transport, queue: queue, profile: profile, logger: logger)
        transport.startEvents(queue: queue, printer: printer)
        return printer
    }
}

final class LibusbTransport: PrinterTransport, @unchecked Sendable {
    let vendor: Int?
    let product: Int?
    let logger: Logger
    private let ctx: OpaquePointer
    private var handle: OpaquePointer?
    private var device: OpaquePointer?
    private var interfaceNumber: Int32 = 0
    private var epOut: UInt8 = 0
    private var epIn: UInt8?
    private var hotplug: libusb_hotplug_callback_handle = 0
    private weak var printer: EscPosPrinter?
    private var queue: DispatchQueue?

    init(vendor: Int?, product: Int?, logger: Logger) throws {
        self.vendor = vendor
        self.product = product
        self.logger = logger
        var c: OpaquePointer?
        guard libusb_init(&c) == 0, let c else { throw PrintFailure("libusb_init failed") }
        ctx = c
        _ = hq_libusb_set_log_level(c, Int32(LIBUSB_LOG_LEVEL_NONE.rawValue))
    }

    /// Registers for hotplug and starts the event thread; events are handed to `queue`.
    func startEvents(queue: DispatchQueue, printer: EscPosPrinter) {
        self.queue = queue
        self.printer = printer
        if libusb_has_capability(UInt32(LIBUSB_CAP_HAS_HOTPLUG.rawValue)) != 0 {
            let events = Int32(LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED.rawValue | LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT.rawValue)
            let rc = libusb_hotplug_register_callback(
                ctx, events, 0, Int32(vendor ?? Int(LIBUSB_HOTPLUG_MATCH_ANY)),
                Int32(product ?? Int(LIBUSB_HOTPLUG_MATCH_ANY)),
                LIBUSB_HOTPLUG_MATCH_ANY,
                { _, dev, event, user in
                    Unmanaged<LibusbTransport>.fromOpaque(user!).takeUnretainedValue().hotplugEvent(dev, event)
                    return 0
                }, Unmanaged.passUnretained(self).toOpaque(), &hotplug)
            if rc != 0 {
                logger.warning("libusb hotplug unavailable; rescanning every second", metadata: ["rc": "\(rc)"])
            }
        }
        let t = Thread { [self] in
            var tv = timeval(tv_sec: 0, tv_usec: 100_000)
            while true { _ = libusb_handle_events_timeout_completed(ctx, &tv, nil) }
        }
        t.name = "hallq-libusb-events"
        t.start()
    }

    /// On the event thread: only hand over to the printer's queue.
    private func hotplugEvent(_ dev: OpaquePointer?, _ event: libusb_hotplug_event) {
        let id = dev.map { UInt(bitPattern: $0) }
        queue?.async { [self] in
            if event == LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT {
                if let d = device, UInt(bitPattern: d) == id { printer?.lost("unplugged (hotplug)") }
            } else {
                printer?.arrived()
            }
        }
    }

    var isOpen: Bool { handle != nil }
    var canReadStatus: Bool { epIn != nil }
    func stillPresent() -> Bool { true }  // libusb reports an unplug as hotplug or NO_DEVICE

    func close() {
        if let h = handle {
            libusb_release_interface(h, interfaceNumber)
            libusb_close(h)
        }
        if let d = device { libusb_unref_device(d) }
        handle = nil
        device = nil
    }

    /// Sends all bytes; a transfer that stops part way (timeout, stall, unplug) is a failure
    /// that says how far it got.
    func write(_ bytes: [UInt8], timeoutMs: UInt32) -> Result<Void, PrintFailure> {
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
                close()
                return .failure(PrintFailure("unplugged after \(sent) of \(bytes.count) bytes"))
            }
            if rc != 0 {
                return .failure(
                    PrintFailure(
                        "usb write: \(String(cString: libusb_error_name(rc))) after \(sent) of \(bytes.count) bytes"))
            }
        }
        return .success(())
    }

    func readStatus(_ n: UInt8) -> UInt8? {
        guard let ep = epIn, case .success = write(EscPos.status(n), timeoutMs: 1000), let h = handle else {
            return nil
        }
        var b: [UInt8] = [0]
        var got: Int32 = 0
        let rc = b.withUnsafeMutableBufferPointer { libusb_bulk_transfer(h, ep, $0.baseAddress, 1, &got, 500) }
        if rc == LIBUSB_ERROR_NO_DEVICE.rawValue {
            close()
            return nil
        }
        guard rc == 0, got == 1, PrinterHealth.validStatus(b[0]) else { return nil }
        return b[0]
    }

    func openIfPresent() -> Bool {
        var list: UnsafeMutablePointer<OpaquePointer?>?
        let n = libusb_get_device_list(ctx, &list)
        guard n > 0, let list else { return false }
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
            logger.notice(
                "printer connected",
                metadata: [
                    "id": .string(String(format: "%04x:%04x", d.idVendor, d.idProduct)),
                    "out": .string(String(format: "0x%02x", found.out)),
                    "in": .string(found.in.map { String(format: "0x%02x", $0) } ?? "none"),
                ])
            return true
        }
        return false
    }

    /// The printer interface and its bulk endpoints, if this device is the printer we want.
    private func match(_ dev: OpaquePointer) -> (interface: Int32, out: UInt8, in: UInt8?)? {
        var d = libusb_device_descriptor()
        guard libusb_get_device_descriptor(dev, &d) == 0 else { return nil }
        if let vendor, Int(d.idVendor) != vendor { return nil }
        if let product, Int(d.idProduct) != product { return nil }
        var cfg: UnsafeMutablePointer<libusb_config_descriptor>?
        guard libusb_get_active_config_descriptor(dev, &cfg) == 0 || libusb_get_config_descriptor(dev, 0, &cfg) == 0,
            let cfg
        else { return nil }
        defer { libusb_free_config_descriptor(cfg) }
        for i in 0..<Int(cfg.pointee.bNumInterfaces) {
            let itf = cfg.pointee.interface[i]
            for a in 0..<Int(itf.num_altsetting) {
                let alt = itf.altsetting[a]
                // With an id configured, take its first interface with a bulk OUT endpoint;
                // otherwise only the printer class (7) qualifies.
                if vendor == nil && product == nil && alt.bInterfaceClass != 7 { continue }
                var out: UInt8?
                var inp: UInt8?
                for e in 0..<Int(alt.bNumEndpoints) {
                    let ep = alt.endpoint[e]
                    guard ep.bmAttributes & 0x03 == 0x02 else { continue }  // bulk
                    if ep.bEndpointAddress & 0x80 != 0 {
                        inp = inp ?? ep.bEndpointAddress
                    } else {
                        out = out ?? ep.bEndpointAddress
                    }
                }
                if let out { return (Int32(alt.bInterfaceNumber), out, inp) }
            }
        }
        return nil
    }
}
