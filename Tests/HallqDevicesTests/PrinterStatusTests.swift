import HallqCore
import Testing

@testable import HallqDevices

@Suite("printer status bytes")
struct PrinterStatusTests {
    /// Replies of a printer in a given state, per DLE EOT n (values from hardware/HARDWARE.md).
    func printer(_ replies: [UInt8: UInt8]) -> (UInt8) -> UInt8? { { replies[$0] } }

    @Test(
        "states read from the status bytes",
        arguments: [
            ([1: 0x12, 2: 0x12, 4: 0x12] as [UInt8: UInt8], PrinterHealth.online),
            ([1: 0x1A, 2: 0x32, 4: 0x72], .paperOut),
            ([1: 0x1A, 2: 0x32, 4: 0x7E], .paperOut),
            ([1: 0x1A, 2: 0x16, 4: 0x12], .coverOpen),
            ([1: 0x12, 2: 0x12, 4: 0x1E], .paperNearEnd),
            ([1: 0x1A, 2: 0x52, 3: 0x1A], .cutterError),
            ([1: 0x1A, 2: 0x12], .offline),
            ([:], .offline),
        ])
    func states(replies: [UInt8: UInt8], expected: PrinterHealth) {
        #expect(PrinterHealth.fromStatus(printer(replies)) == expected)
    }

    @Test func validity() {
        #expect(PrinterHealth.validStatus(0x12) && PrinterHealth.validStatus(0x72) && PrinterHealth.validStatus(0x1A))
        #expect(!PrinterHealth.validStatus(0x00) && !PrinterHealth.validStatus(0xFF))
    }

    @Test("only paper-out and the offline family refuse tickets")
    func refusals() {
        #expect(PrinterHealth.paperOut.refusal?.token.rawValue == "PRINTER-PAPER-OUT")
        #expect(PrinterHealth.coverOpen.refusal?.token.rawValue == "PRINTER-OFFLINE")
        #expect(PrinterHealth.paperNearEnd.refusal == nil && PrinterHealth.online.refusal == nil)
    }
}
