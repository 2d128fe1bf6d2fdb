import Foundation
import HallqClient
import HallqEncoders
import HallqProtocol
import HallqTestKit
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A network thermal printer's raw port, as far as hallqd can tell: a TCP listener that takes
/// ticket bytes and answers each `DLE EOT n` (10 04 n) with the status byte a printer in that
/// state sends. The bytes are from the ESC/POS status table (../shared/HARDWARE.md, after
/// Epson's real-time status command): idle 0x12 for every n; paper out 0x1A (n=1), 0x32 (n=2),
/// 0x72 (n=4).
final class NetworkPrinterReceiver: @unchecked Sendable {
    let port: Int
    private let listener: Int32
    let paperOut = Locked(false)
    let printed = Locked([UInt8]())
    let statusAsked = Locked(0)
    private let running = Locked(true)

    /// - port: 0 for any free one.
    init(port: Int = 0) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_addr.s_addr = inet_addr("127.0.0.1")
        a.sin_port = in_port_t(UInt16(port).bigEndian)
        let size = socklen_t(MemoryLayout<sockaddr_in>.size)
        guard
            withUnsafePointer(to: &a, { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, size) } })
                == 0,
            listen(fd, 4) == 0
        else { throw HarnessError("cannot listen") }
        var bound = sockaddr_in()
        var len = size
        _ = withUnsafeMutablePointer(to: &bound) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        listener = fd
        self.port = Int(UInt16(bigEndian: bound.sin_port))
        Thread { [self] in serve() }.start()
    }

    func stop() {
        running.with { $0 = false }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private func status(_ n: UInt8) -> UInt8 {
        guard paperOut.with({ $0 }) else { return 0x12 }
        switch n {
        case 1: return 0x1A
        case 2: return 0x32
        case 4: return 0x72
        default: return 0x12
        }
    }

    /// One connection at a time, as a printer's raw port takes them.
    private func serve() {
        while running.with({ $0 }) {
            let c = accept(listener, nil, nil)
            guard c >= 0 else { return }
            var pending: [UInt8] = []
            var buf = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = buf.withUnsafeMutableBytes { recv(c, $0.baseAddress, $0.count, 0) }
                if n <= 0 { break }
                pending += buf[0..<n]
                // Status requests are answered at once; everything else is paper.
                var i = 0
                var paper: [UInt8] = []
                while i < pending.count {
                    if pending[i] == 0x10, pending.count - i >= 3, pending[i + 1] == 0x04 {
                        var reply = [status(pending[i + 2])]
                        statusAsked.with { $0 += 1 }
                        _ = send(c, &reply, 1, Int32(MSG_NOSIGNAL))
                        i += 3
                    } else if pending[i] == 0x10 && pending.count - i < 3 {
                        break  // the rest of a status request is still on its way
                    } else {
                        paper.append(pending[i])
                        i += 1
                    }
                }
                pending.removeFirst(i)
                if !paper.isEmpty { printed.with { $0 += paper } }
            }
            close(c)
        }
    }
}

/// Two kiosks with a printer each: one on USB (the emulated printer, through the real libusb),
/// one on the network (ESC/POS over TCP). Each kiosk's tickets come out of its own printer, and
/// paper out on one refuses only that kiosk, naming the other.
@Suite("kiosks with their own printers", .serialized, .onDaemonThreads)
struct KioskPrintersTests {
    /// One service at one window: what every hall here shares before its printers.
    static let hall = """
        [hall]
        name = "省市场监管局政务服务大厅"

        [[service]]
        id = "A"
        name = "检验检测机构资质认定"

        [[window]]
        number = 1
        services = ["A"]
        """

    static func config(tcpPort: Int) -> String {
        hall + """

            [[printer]]
            name = "east"
            kind = "usb"
            vendor = 0x0416
            product = 0x5011

            [[printer]]
            name = "west"
            kind = "tcp"
            address = "127.0.0.1:\(tcpPort)"
            footer = "西门取号机"

            [[kiosk]]
            name = "k1"
            printer = "east"

            [[kiosk]]
            name = "k2"
            printer = "west"
            """ + DaemonHarness.generousLimits
    }

    func printers(_ d: DaemonHarness) throws -> [String: String] {
        var out: [String: String] = [:]
        for p in try d.ask(.admin, ["op": "devices"])["devices"]?["printers"]?.arrayValue ?? [] {
            if let n = p["name"]?.stringValue, let h = p["health"]?.stringValue { out[n] = h }
        }
        return out
    }

    func text(_ bytes: [UInt8]) -> String { GBText.decode(bytes.filter { $0 >= 0x20 || $0 == 0x0A }, .gb18030) ?? "" }

    @Test("a take at each kiosk prints on that kiosk's printer; paper out on the network one refuses only its kiosk")
    func ownPrinters() throws {
        let usb = try EmulatedPrinter()
        let net = try NetworkPrinterReceiver()
        defer { net.stop() }
        let d = try DaemonHarness(config: Self.config(tcpPort: net.port))
        try d.start(extraEnv: usb.environment)
        #expect(
            try eventually { try printers(d) == ["east": "online", "west": "online"] }, "\((try? printers(d)) ?? [:])")
        #expect(net.statusAsked.with { $0 } > 0, "hallqd asks the network printer for its status")

        let one = try d.ask(.kiosk, ["op": "take", "service": "A", "kiosk": "k1"])
        #expect(one["ticket"]?["label"] == "A001")
        #expect(try eventually { try d.printStatus("A001") == "printed" })
        #expect(text(usb.bytes).contains("A001") && !text(net.printed.with { $0 }).contains("A001"))

        let two = try d.ask(.kiosk, ["op": "take", "service": "A", "kiosk": "k2"])
        #expect(two["ticket"]?["label"] == "A002")
        #expect(try eventually { try d.printStatus("A002") == "printed" })
        let west = text(net.printed.with { $0 })
        #expect(west.contains("A002") && west.contains("西门取号机") && west.contains("检验检测机构资质认定"), "\(west)")
        #expect(!text(usb.bytes).contains("A002"))
        #expect(net.printed.with { $0 }.suffix(4) == [0x1D, 0x56, 0x42, 0x00], "cut")

        // Paper out on the network printer: k2 is refused and told where to go; k1 goes on.
        net.paperOut.with { $0 = true }
        #expect(try eventually { try printers(d)["west"] == "paper-out" })
        let refused = try d.ask(.kiosk, ["op": "take", "service": "A", "kiosk": "k2"])
        #expect(refused.token == "PRINTER-PAPER-OUT")
        #expect(refused["message"]?.stringValue?.contains("kiosk k1") == true, "\(refused.text)")
        let kiosks = try d.ask(.kiosk, ["op": "status"])["devices"]?["kiosks"]?.arrayValue ?? []
        #expect(kiosks.first { $0["name"] == "k2" }?["health"] == "paper-out")
        #expect(kiosks.first { $0["name"] == "k1" }?["health"] == "online")
        let three = try d.ask(.kiosk, ["op": "take", "service": "A", "kiosk": "k1"])
        #expect(three["ticket"]?["label"] == "A003", "the refused take issued no number")
        #expect(try eventually { try d.printStatus("A003") == "printed" })
        #expect(text(usb.bytes).contains("A003"))
        // A take that names no kiosk is the first kiosk's; a kiosk nobody configured is refused.
        #expect(try d.ask(.kiosk, ["op": "take", "service": "A"])["ticket"]?["label"] == "A004")
        #expect(try d.ask(.kiosk, ["op": "take", "service": "A", "kiosk": "k9"]).token == "BAD-REQUEST")

        // Paper back: within seconds k2 issues again, on its own printer.
        net.paperOut.with { $0 = false }
        #expect(try eventually { try printers(d)["west"] == "online" })
        #expect(try d.ask(.kiosk, ["op": "take", "service": "A", "kiosk": "k2"])["ticket"]?["label"] == "A005")
        #expect(try eventually { text(net.printed.with { $0 }).contains("A005") })
        // The log names the printer that changed.
        let history = try d.ask(.admin, ["op": "history", "ticket": "A002"])
        #expect(history["ticket"]?["print"] == "printed")
        #expect(d.log.contains("printer=west"), "the network printer's log lines name it")
        #expect(d.stop() == 0)
    }

    @Test("the network printer unreachable is offline, and comes back on its own")
    func unreachable() throws {
        let port = try freePort()
        let d = try DaemonHarness(
            config: Self.hall + """

                [[printer]]
                name = "net"
                kind = "tcp"
                address = "127.0.0.1:\(port)"
                """)
        try d.start()
        #expect(try eventually { try printers(d)["net"] == "offline" })
        #expect(try d.ask(.kiosk, ["op": "take", "service": "A"]).token == "PRINTER-OFFLINE")
        // The printer is switched on: hallqd finds it on its one-second tick.
        let net = try NetworkPrinterReceiver(port: port)
        defer { net.stop() }
        #expect(try eventually { try printers(d)["net"] == "online" })
        #expect(try d.ask(.kiosk, ["op": "take", "service": "A"])["ticket"]?["label"] == "A001")
        #expect(d.stop() == 0)
    }
}
