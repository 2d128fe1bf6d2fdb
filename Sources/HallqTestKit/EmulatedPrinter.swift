/// One emulated USB ESC/POS printer (hq-printer-bed); hallqd drives it through the real libusb.
/// Ticket bytes land in the capture; the printer's state is set by commands.
public final class EmulatedPrinter: UMockdevHelper, @unchecked Sendable {
    public init() throws { try super.init(program: "hq-printer-bed") }

    /// online | paper-out | offline | unplug | plug | unplug-mid
    public func set(_ state: String) throws { try command(state) }
}

/// One emulated printer behind the kernel's usblp driver (hq-lp-bed): /dev/usb/lpN, named
/// /dev/hallq/printer by the udev rule.
public final class EmulatedLpPrinter: UMockdevHelper, @unchecked Sendable {
    public init() throws { try super.init(program: "hq-lp-bed") }

    /// online | paper-out | offline | unplug | plug
    public func set(_ state: String) throws { try command(state) }
}
