import Foundation
import GRDB
import HallqClient
import HallqProtocol
import HallqTestKit
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// What hallqd does with a damaged, read-only or world-readable state, started for real.
@Suite("hardening: the state on disk", .serialized, .onDaemonThreads)
struct StorageHardeningTests {
    var dbPath: (DaemonHarness) -> String { { $0.stateDir.appendingPathComponent("hallq.sqlite").path } }

    /// A hall with a little history, stopped, its WAL folded into the main file.
    func hallWithHistory() throws -> DaemonHarness {
        let d = try DaemonHarness()
        try d.start()
        for _ in 0..<30 { _ = try d.ask(.kiosk, ["op": "take", "service": "A"]) }
        #expect(d.stop() == 0)
        let q = try DatabaseQueue(path: dbPath(d))
        try q.writeWithoutTransaction { try $0.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        try q.close()
        return d
    }

    func fileBytes(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    @Test(
        "a damaged database is never written: hallqd exits 65 saying what to do, the file stays byte for byte",
        arguments: [
            (0, "the header page"), (4096 * 2, "a table page"),
        ])
    func damaged(offset: Int, what: String) throws {
        let d = try hallWithHistory()
        let path = dbPath(d)
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try h.seek(toOffset: UInt64(offset))
        try h.write(contentsOf: Data((0..<512).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }))
        try h.close()
        let before = try fileBytes(path)
        for _ in 0..<2 {
            let error = #expect(throws: HarnessError.self) { try d.start() }
            #expect(
                error?.description.contains("hallqd exited with 65") == true,
                "\(what): \(error?.description.prefix(300) ?? "")")
            #expect(try fileBytes(path) == before, "\(what): the damaged file was written to")
        }
        #expect(d.log.contains("is damaged") && d.log.contains(".recover") && d.log.contains("Keep a copy"))
    }

    @Test("a clean stop records the file it left; a start takes the record away; a crash leaves none")
    func cleanCloseRecord() throws {
        let d = try DaemonHarness()
        let record = dbPath(d) + ".clean"
        try d.start()
        #expect(try d.ask(.kiosk, ["op": "take", "service": "A"]).ok)
        #expect(d.stop() == 0)
        #expect(FileManager.default.fileExists(atPath: record), "after SIGTERM")
        try d.start()
        #expect(!FileManager.default.fileExists(atPath: record), "while running, the file is being written")
        #expect(try d.ask(.kiosk, ["op": "take", "service": "A"])["ticket"]?["label"] == "A002")
        d.kill9()
        #expect(!FileManager.default.fileExists(atPath: record), "a kill -9 leaves no record: the next start checks")
        try d.start()
        #expect(try d.ask(.kiosk, ["op": "take", "service": "A"])["ticket"]?["label"] == "A003")
        #expect(d.stop() == 0)
    }

    @Test("an immutable database is an error at start (exit 73), not a daemon that says ready")
    func immutable() throws {
        let d = try hallWithHistory()
        let path = dbPath(d)
        try run("/usr/bin/chattr", ["+i", path])
        defer { try? run("/usr/bin/chattr", ["-i", path]) }
        let logged = d.log.count
        let error = #expect(throws: HarnessError.self) { try d.start() }
        #expect(error?.description.contains("hallqd exited with 73") == true, "\(error?.description.prefix(400) ?? "")")
        let now = String(d.log.dropFirst(logged))
        #expect(now.contains("cannot be written") && !now.contains("hallqd ready"), "\(now)")
    }

    @Test("a read-only mount of the state directory is an error at start (exit 73)")
    func readOnlyMount() throws {
        let d = try hallWithHistory()
        let dir = d.stateDir.path
        let logged = d.log.count
        let error = #expect(throws: HarnessError.self) {
            try d.start(launcher: [
                "/usr/bin/unshare", "-m", "--", "/bin/sh", "-c",
                "mount --bind \(dir) \(dir) && mount -o remount,ro,bind \(dir) \(dir) && exec \"$@\"", "sh",
            ])
        }
        #expect(error?.description.contains("hallqd exited with 73") == true, "\(error?.description.prefix(400) ?? "")")
        let now = String(d.log.dropFirst(logged))
        #expect(now.contains("cannot be written") && !now.contains("hallqd ready"), "\(now)")
    }

    @Test("started by hand with umask 000, the state directory is 0750 and the database 0640")
    func fileModes() throws {
        let d = try DaemonHarness()
        try d.start(launcher: ["/bin/sh", "-c", "umask 000; exec \"$@\"", "sh"])
        _ = try d.ask(.kiosk, ["op": "take", "service": "A"])
        func mode(_ p: String) throws -> Int {
            (try FileManager.default.attributesOfItem(atPath: p)[.posixPermissions] as? Int) ?? -1
        }
        #expect(try mode(d.stateDir.path) == 0o750)
        #expect(try mode(dbPath(d)) == 0o640)
        #expect(try mode(dbPath(d) + "-wal") == 0o640)
        #expect(d.stop() == 0)
    }

    @Test("export cells that would start a formula get a leading quote")
    func csvInjection() throws {
        let d = try DaemonHarness()
        try d.start()
        _ = try d.ask(.kiosk, ["op": "take", "service": "A"])
        let clerk = try d.client(.clerk)
        #expect(try clerk.request(["op": "signin", "window": 1, "clerk": "=HYPERLINK(\"http://x\",\"y\")"]).ok)
        #expect(try clerk.request(["op": "call", "window": 1]).ok)
        #expect(try clerk.request(["op": "finish", "window": 1]).ok)
        let day = try #require(try d.ask(.admin, ["op": "status"])["hall"]?["day"]?.stringValue)
        let csv = try #require(try d.export(from: day, to: day).csv)
        #expect(csv.contains(#"'=HYPERLINK(""http://x"",""y"")"#), "\(csv)")
        #expect(!csv.contains(",=HYPERLINK"))
        #expect(d.stop() == 0)
    }

    func run(_ tool: String, _ args: [String]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = args
        try p.runSerially()
        let status = try p.finish()
        guard status == 0 else { throw HarnessError("\(tool) \(args) exited \(status)") }
    }
}
