import Foundation
import HallqClient
import HallqProtocol
import HallqTestKit
import Testing

#if canImport(Glibc)
import Glibc
#endif

let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// Runs a program to completion; its exit status and combined output.
func runTool(_ path: String, _ args: [String]) throws -> (status: Int32, output: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = args
    let pipe = Pipe()
    p.standardOutput = pipe
    p.standardError = pipe
    try p.runSerially()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    return (try p.finish(), String(decoding: data, as: UTF8.self))
}

/// A datagram socket standing in for systemd's notify socket.
final class NotifyListener {
    let path: String
    let fd: Int32

    init(path: String) throws {
        self.path = path
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        let rc = withUnsafePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard rc == 0 else { throw HarnessError("bind \(path): errno \(errno)") }
        var tv = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit {
        close(fd)
        unlink(path)
    }

    /// Messages until `done` says enough or `seconds` pass; each datagram may carry several lines.
    func collect(seconds: Double, until done: ([String]) -> Bool) -> [String] {
        var lines: [String] = []
        let deadline = Date().addingTimeInterval(seconds)
        var buf = [UInt8](repeating: 0, count: 4096)
        while Date() < deadline && !done(lines) {
            let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 { lines += String(decoding: buf[..<n], as: UTF8.self).split(separator: "\n").map(String.init) }
        }
        return lines
    }
}

@Suite("systemd integration", .serialized, .onDaemonThreads)
struct SystemdTests {
    static let units = [
        "hallqd.service", "hallqd-kiosk.socket", "hallqd-clerk.socket", "hallqd-admin.socket", "hallq-central.service",
    ]

    /// The units as installed, with ExecStart pointing at the binary just built.
    func stagedUnits() throws -> URL {
        let dir = URL(fileURLWithPath: "/tmp/hq-units-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for u in Self.units {
            var text = try String(contentsOf: repoRoot.appendingPathComponent("systemd/\(u)"), encoding: .utf8)
            for program in ["hallqd", "hallq-central"] {
                text = text.replacingOccurrences(
                    of: "/usr/bin/\(program) ", with: DaemonHarness.binDir.appendingPathComponent(program).path + " ")
            }
            try Data(text.utf8).write(to: dir.appendingPathComponent(u))
        }
        return dir
    }

    @Test("every unit passes systemd-analyze verify")
    func verify() throws {
        let dir = try stagedUnits()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try runTool(
            "/usr/bin/systemd-analyze", ["verify"] + Self.units.map { dir.appendingPathComponent($0).path })
        #expect(r.status == 0, "\(r.output)")
        #expect(!r.output.contains("hallq"), "no warnings about our units: \(r.output)")
    }

    @Test(
        "the service's exposure stays at or under systemd/security-bar, and with the HTTP drop-in under security-bar-http",
        arguments: [("security-bar", false), ("security-bar-http", true)])
    func security(barFile: String, withHTTP: Bool) throws {
        let bar = try #require(
            Double(
                try String(contentsOf: repoRoot.appendingPathComponent("systemd/\(barFile)"), encoding: .utf8)
                    .trimmingCharacters(in: .whitespacesAndNewlines)))
        // Offline analysis reads one file: the drop-in's [Service] lines go at the unit's end
        // (the unit's last section is [Install], so they go into a [Service] of their own).
        var unit = try String(contentsOf: repoRoot.appendingPathComponent("systemd/hallqd.service"), encoding: .utf8)
        if withHTTP {
            unit +=
                "\n"
                + (try String(contentsOf: repoRoot.appendingPathComponent("systemd/hallqd-http.conf"), encoding: .utf8))
        }
        let dir = URL(fileURLWithPath: "/tmp/hq-unit-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("hallqd.service")
        try Data(unit.utf8).write(to: file)
        let r = try runTool("/usr/bin/systemd-analyze", ["security", "--offline=yes", "--no-pager", file.path])
        let line = try #require(
            r.output.split(separator: "\n").first { $0.contains("Overall exposure level") }, "\(r.output)")
        let score = try #require(line.split(separator: ":").last?.split(separator: " ").first.flatMap { Double($0) })
        #expect(score <= bar, "exposure \(score) > bar \(bar)")
        // The drop-in really opens the network (else the bar would be met by doing nothing).
        #expect(r.output.contains("Service may allocate Internet sockets") == withHTTP)
    }

    @Test("hallq-central.service's exposure stays at or under systemd/security-bar-central")
    func centralSecurity() throws {
        let bar = try #require(
            Double(
                try String(contentsOf: repoRoot.appendingPathComponent("systemd/security-bar-central"), encoding: .utf8)
                    .trimmingCharacters(in: .whitespacesAndNewlines)))
        let r = try runTool(
            "/usr/bin/systemd-analyze",
            [
                "security", "--offline=yes", "--no-pager",
                repoRoot.appendingPathComponent("systemd/hallq-central.service").path,
            ])
        let line = try #require(
            r.output.split(separator: "\n").first { $0.contains("Overall exposure level") }, "\(r.output)")
        let score = try #require(line.split(separator: ":").last?.split(separator: " ").first.flatMap { Double($0) })
        #expect(score <= bar, "exposure \(score) > bar \(bar)")
    }

    @Test("socket activation by name: three named fds in any order, each serving its role")
    func socketActivation() throws {
        let d = try DaemonHarness()
        let sockDir = d.root.appendingPathComponent("activated")
        try FileManager.default.createDirectory(at: sockDir, withIntermediateDirectories: true)
        let path = { (r: Role) in sockDir.appendingPathComponent("\(r.rawValue).sock").path }
        // Deliberately not in kiosk, clerk, admin order: hallqd must go by name.
        try d.start(
            launcher: [
                "/usr/bin/systemd-socket-activate", "-l", path(.admin), "-l", path(.kiosk), "-l", path(.clerk),
                "--fdname=admin:kiosk:clerk",
            ],
            waitFor: path(.admin))
        for role in Role.sockets {
            let c = try LineClient(path: path(role), timeout: 10)
            #expect(c.hello["role"]?.stringValue == role.rawValue)
        }
        #expect(try LineClient(path: path(.kiosk), timeout: 10).request(["op": "take", "service": "A"]).ok)
        #expect(
            try LineClient(path: path(.clerk), timeout: 10).request(["op": "call", "window": 1]).token
                == "NOT-SIGNED-IN")
        #expect(try LineClient(path: path(.admin), timeout: 10).request(["op": "history", "ticket": "A001"]).ok)
        #expect(!FileManager.default.fileExists(atPath: d.path(.kiosk)), "no sockets of its own when activated")
        #expect(d.log.contains("listening on inherited socket"))
        #expect(d.stop() == 0)
    }

    @Test("READY=1 after start, STATUS, WATCHDOG=1 while alive, STOPPING=1 on SIGTERM, exit 0")
    func notify() throws {
        let d = try DaemonHarness()
        let listener = try NotifyListener(path: d.root.appendingPathComponent("notify").path)
        try d.start(extraEnv: ["NOTIFY_SOCKET": listener.path, "WATCHDOG_USEC": "1000000"])
        let first = listener.collect(seconds: 10) { l in
            l.contains("READY=1") && l.filter { $0 == "WATCHDOG=1" }.count >= 2
        }
        #expect(first.contains("READY=1"))
        #expect(first.contains { $0.hasPrefix("STATUS=serving") })
        #expect(first.filter { $0 == "WATCHDOG=1" }.count >= 2, "\(first)")
        #expect(try d.ask(.kiosk, ["op": "take", "service": "A"]).ok)
        let status = listener.collect(seconds: 5) { $0.contains("STATUS=serving; 1 waiting") }
        #expect(status.contains("STATUS=serving; 1 waiting"))
        // Device trouble shows in the status line.
        try Data("paper-out".utf8).write(to: d.stateDir.appendingPathComponent("printer/status"))
        let trouble = listener.collect(seconds: 5) { $0.contains { $0.contains("printer paper-out") } }
        #expect(trouble.contains("STATUS=serving; 1 waiting; printer paper-out"))
        // SIGHUP reloads the config; the queue stays.
        let more = DaemonHarness.demoConfig + "\n[[service]]\nid = \"Z\"\nname = \"新业务\"\n"
        try Data(more.utf8).write(to: d.configURL)
        let p = try #require(d.process)
        kill(p.processIdentifier, SIGHUP)
        let reload = listener.collect(seconds: 5) { $0.contains("RELOADING=1") && $0.contains("READY=1") }
        #expect(reload.contains("RELOADING=1"))
        let services = try d.ask(.kiosk, ["op": "services"])["services"]?.arrayValue ?? []
        #expect(services.contains { $0["id"] == "Z" })
        #expect(services.first { $0["id"] == "A" }?["waiting"] == 1, "the queue survived the reload")
        // A broken config is refused by `reload`, and the running one stays.
        try Data("[hall]\ntimezone = 5\n".utf8).write(to: d.configURL)
        #expect(try d.ask(.admin, ["op": "reload"]).token == "BAD-CONFIG")
        #expect(try d.ask(.kiosk, ["op": "take", "service": "Z"]).token == "PRINTER-PAPER-OUT")
        kill(p.processIdentifier, SIGTERM)
        let last = listener.collect(seconds: 10) { $0.contains("STOPPING=1") }
        #expect(last.contains("STOPPING=1"))
        #expect(d.stop() == 0)
    }
}
