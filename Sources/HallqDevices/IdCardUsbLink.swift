import CUSB
import Foundation

/// An ID-card reader on USB (`0400:c35a`, `0316:5020`): the same SAM frames over vendor-class
/// bulk endpoints, read in 64-byte chunks. Opened by id; an unplug shows as NO_DEVICE on the
/// next transfer, and the reader's thread opens it again when it is back (it rescans every
/// second while down).
final class UsbIdCardLink: IdCardLink {
    private let ctx: OpaquePointer
    private let handle: OpaquePointer
    private let interface: Int32
    private let epOut: UInt8
    private let epIn: UInt8
    private var gone = false

    init(vendor: UInt16, product: UInt16) throws(IdCardLinkFailure) {
        let id = String(format: "%04x:%04x", vendor, product)
        var c: OpaquePointer?
        guard libusb_init(&c) == 0, let c else { throw IdCardLinkFailure(description: "libusb_init failed") }
        _ = hq_libusb_set_log_level(c, Int32(LIBUSB_LOG_LEVEL_NONE.rawValue))
        guard let h = libusb_open_device_with_vid_pid(c, vendor, product) else {
            libusb_exit(c)
            throw IdCardLinkFailure(description: "usb \(id): not found (is the reader plugged in?)")
        }
        guard let found = Self.bulkEndpoints(libusb_get_device(h)) else {
            libusb_close(h)
            libusb_exit(c)
            throw IdCardLinkFailure(description: "usb \(id): no bulk IN and OUT endpoints")
        }
        _ = libusb_set_auto_detach_kernel_driver(h, 1)
        guard libusb_claim_interface(h, found.interface) == 0 else {
            libusb_close(h)
            libusb_exit(c)
            throw IdCardLinkFailure(description: "usb \(id): the interface is busy")
        }
        ctx = c
        handle = h
        interface = found.interface
        epOut = found.out
        epIn = found.in
    }

    deinit {
        libusb_release_interface(handle, interface)
        libusb_close(handle)
        libusb_exit(ctx)
    }

    private static func bulkEndpoints(_ dev: OpaquePointer?) -> (interface: Int32, out: UInt8, in: UInt8)? {
        var cfg: UnsafeMutablePointer<libusb_config_descriptor>?
        guard let dev, libusb_get_active_config_descriptor(dev, &cfg) == 0, let cfg else { return nil }
        defer { libusb_free_config_descriptor(cfg) }
        for i in 0..<Int(cfg.pointee.bNumInterfaces) {
            let itf = cfg.pointee.interface[i]
            for a in 0..<Int(itf.num_altsetting) {
                let alt = itf.altsetting[a]
                var out: UInt8?
                var inp: UInt8?
                for e in 0..<Int(alt.bNumEndpoints) {
                    let ep = alt.endpoint[e]
                    guard ep.bmAttributes & 0x03 == 0x02 else { continue }
                    if ep.bEndpointAddress & 0x80 != 0 {
                        inp = inp ?? ep.bEndpointAddress
                    } else {
                        out = out ?? ep.bEndpointAddress
                    }
                }
                if let out, let inp { return (Int32(alt.bInterfaceNumber), out, inp) }
            }
        }
        return nil
    }

    func write(_ bytes: [UInt8]) throws(IdCardLinkFailure) {
        var b = bytes
        var sent: Int32 = 0
        let rc = b.withUnsafeMutableBufferPointer {
            libusb_bulk_transfer(handle, epOut, $0.baseAddress, Int32($0.count), &sent, 500)
        }
        try check(rc, "write")
    }

    func read(max: Int, timeoutMs: UInt32) throws(IdCardLinkFailure) -> [UInt8] {
        var b = [UInt8](repeating: 0, count: 64)
        var got: Int32 = 0
        let rc = b.withUnsafeMutableBufferPointer {
            libusb_bulk_transfer(handle, epIn, $0.baseAddress, 64, &got, timeoutMs)
        }
        if rc == LIBUSB_ERROR_TIMEOUT.rawValue { return Array(b[..<Int(got)]) }
        try check(rc, "read")
        return Array(b[..<Int(got)])
    }

    private func check(_ rc: Int32, _ what: String) throws(IdCardLinkFailure) {
        guard rc != 0 else { return }
        if rc == LIBUSB_ERROR_NO_DEVICE.rawValue { gone = true }
        throw IdCardLinkFailure(description: "usb \(what): \(String(cString: libusb_error_name(rc)))")
    }

    var present: Bool { !gone }
}
