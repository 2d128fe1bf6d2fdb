import HallqCore
import HallqProtocol

/// What the application asks of the hall's hardware, and no more: whether a kiosk's printer can
/// take a ticket now, a reprint, the devices' report, the ID cards held on kiosk readers, a new
/// config. `HallqHardware.DeviceHub` is the real one; the application never links a driver (as
/// NUT's upsd talks to its drivers through one narrow socket protocol).
public protocol HallDevices: Sendable {
    /// ID cards placed on kiosk readers, held for the kiosk's next take.
    var cards: CardDesk { get }
    /// Why a ticket cannot be printed at `kiosk` now (paper out, offline), or nil.
    func printerRefusal(kiosk: String?) async -> HallError?
    /// Prints `t` again on its kiosk's printer (or `kiosk`'s).
    func reprint(_ t: Ticket, kiosk: String?) async -> Result<Void, HallError>
    /// Every device's health, for `devices`, `status` and the metrics.
    func report() async -> DeviceReport
    /// A reloaded config: new texts, scopes and windows.
    func reconfigure(_ config: HallConfig) async
}
