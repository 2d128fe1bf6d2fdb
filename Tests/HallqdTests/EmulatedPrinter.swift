/// One emulated USB ESC/POS printer (hq-printer-bed); hallqd drives it through the real libusb.
/// Ticket bytes land in the capture; the printer's state is set by commands.
final class EmulatedPrinter: UMockdevHelper, @unchecked Sendable {
    init() throws { try super.init(program: "hq-printer-bed") }

    /// online | paper-out | offline | unplug | plug | unplug-mid
    func set(_ state: String) throws { try command(state) }
}
