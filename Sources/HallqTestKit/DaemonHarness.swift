import Foundation
import HallqClient
import HallqProtocol

#if canImport(Glibc)
import Glibc
#endif

/// The real hallqd binary on a temporary directory: the integration tests drive it only through
/// its sockets and read its SQLite file back, as a hall's software would.
public final class DaemonHarness: @unchecked Sendable {
    public let root: URL
    public let stateDir: URL
    public let runtimeDir: URL
    public let configURL: URL
    public private(set) var process: Process?

    public static var binDir: URL {
        if let p = ProcessInfo.processInfo.environment["HALLQ_BIN_DIR"] { return URL(fileURLWithPath: p) }
        return Bundle.main.executableURL!.deletingLastPathComponent()
    }

    public init(config: String = DaemonHarness.demoConfig) throws {
        // Short paths: a Unix socket path must fit in 108 bytes.
        root = URL(fileURLWithPath: "/tmp/hq-\(UUID().uuidString.prefix(8))")
        stateDir = root.appendingPathComponent("state")
        runtimeDir = root.appendingPathComponent("run")
        configURL = root.appendingPathComponent("hallq.toml")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        // Load tests take hundreds of tickets per connection; the default take limits (a kiosk
        // button's pace) have their own test, which sets [limits] itself.
        let limits = config.contains("[limits]") ? "" : Self.generousLimits
        try Data((config + limits).utf8).write(to: configURL)
    }

    deinit {
        if let p = process, p.isRunning {
            kill(p.processIdentifier, SIGKILL)
            _ = p.exitStatus(within: 10)
        }
        try? FileManager.default.removeItem(at: root)
    }

    public var logURL: URL { root.appendingPathComponent("hallqd.log") }
    public var log: String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

    /// Starts hallqd and waits until the admin socket answers. `launcher` runs in front of it
    /// (e.g. systemd-socket-activate and its options), exec'ing hallqd in the same process.
    public func start(
        launcher: [String] = [], extraEnv: [String: String] = [:], waitFor socket: String? = nil,
        logLevel: String = "debug"
    ) throws {
        // umockdev's preload library (Debian 0.17.16) is not thread-safe in its stat() wrapper and
        // now and then aborts a process that starts several threads at once, with
        // "libumockdev-preload.c:…: is_emulated_device: Assertion `res > 0' failed". That is the
        // emulator failing, not hallqd: only that exact abort at start-up is retried, twice.
        for attempt in 1...3 {
            do {
                return try startOnce(launcher: launcher, extraEnv: extraEnv, waitFor: socket, logLevel: logLevel)
            } catch let e as HarnessError
                where attempt < 3 && e.description.contains("libumockdev-preload.c")
                && e.description.contains("is_emulated_device")
            {
                Swift.print("hallqd start \(attempt): umockdev preload abort, retrying")
            }
        }
    }

    private func startOnce(
        launcher: [String], extraEnv: [String: String], waitFor socket: String?, logLevel: String
    ) throws {
        let p = Process()
        let hallqd = Self.binDir.appendingPathComponent("hallqd").path
        let args = [
            "--config", configURL.path, "--state-dir", stateDir.path, "--runtime-dir", runtimeDir.path, "--log-level",
            logLevel,
        ]
        if let tool = launcher.first {
            p.executableURL = URL(fileURLWithPath: tool)
            p.arguments = Array(launcher.dropFirst()) + [hallqd] + args
        } else {
            p.executableURL = URL(fileURLWithPath: hallqd)
            p.arguments = args
        }
        var env = ProcessInfo.processInfo.environment
        // (GLIBC_TUNABLES: scripts/test sets it for the test process only, see there.)
        for k in ["NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", "WATCHDOG_USEC", "GLIBC_TUNABLES"] {
            env[k] = nil
        }
        env.merge(extraEnv) { _, b in b }
        p.environment = env
        if !FileManager.default.fileExists(atPath: logURL.path) {
            _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        }
        let fh = try FileHandle(forWritingTo: logURL)
        try fh.seekToEnd()
        p.standardError = fh
        p.standardOutput = fh
        try p.runSerially()
        // hallqd has its own copy; ours would stay open until the harness goes (a full run
        // leaked a hundred, and a start waits while too many descriptors are open).
        try? fh.close()
        process = p
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if let c = try? LineClient(path: socket ?? path(.admin), timeout: 5),
                c.hello["type"]?.stringValue == "hello"
            {
                return
            }
            guard p.isRunning else { throw HarnessError("hallqd exited with \(p.terminationStatus):\n\(log)") }
            usleep(5_000)  // fine-grained: hallq-bench times start → READY with this loop
        }
        throw HarnessError("hallqd did not come up:\n\(log)")
    }

    public func path(_ role: Role) -> String { runtimeDir.appendingPathComponent("\(role.rawValue).sock").path }

    public func client(_ role: Role) throws -> LineClient { try LineClient(path: path(role), timeout: 10) }

    /// One request on a fresh connection; the reply.
    public func ask(_ role: Role, _ request: JSONValue) throws -> JSONValue { try client(role).request(request) }

    /// `export` on a connection of its own, as a client writing a file reads it: every
    /// `csv_chunk` line in order, then the reply. The CSV (nil when the reply is an error) and
    /// the reply.
    public func export(from: String, to: String) throws -> (csv: String?, reply: JSONValue) {
        let c = try client(.admin)
        try c.send(["op": "export", "from": .string(from), "to": .string(to)])
        var csv = ""
        while let line = try c.readLine(), let v = JSONValue.parse(Array(line.utf8)) {
            if let chunk = v["csv_chunk"]?.stringValue {
                csv += chunk
                continue
            }
            return (v["ok"]?.boolValue == true ? csv : nil, v)
        }
        throw HarnessError("export: the connection closed before the reply")
    }

    public func kill9() {
        guard let p = process else { return }
        kill(p.processIdentifier, SIGKILL)
        _ = p.exitStatus(within: 10)
        process = nil
    }

    /// SIGTERM (unless sent already) and wait; the exit status. A hallqd still running a minute
    /// later is a defect: its threads' stacks and its log's end are printed, it is killed, and
    /// the status is -2, which no test takes for a clean stop.
    @discardableResult
    public func stop() -> Int32 {
        guard let p = process else { return -1 }
        process = nil
        if p.isRunning { p.terminate() }
        if let status = p.exitStatus(within: 60) { return status }
        let pid = p.processIdentifier
        Swift.print(
            "hallqd (pid \(pid)) still ran 60 s after SIGTERM; its threads:\n\(Process.stacks(of: pid))\n"
                + "the end of its log:\n\(log.suffix(6000))")
        kill(pid, SIGKILL)
        _ = p.exitStatus(within: 10)
        return -2
    }

    /// Appended to a test config without `[limits]`.
    public static let generousLimits =
        "\n[limits]\ntake_burst = 10000\ntake_per_min_connection = 100000\ntake_per_min_service = 100000\n"

    public static let demoConfig = """
        [hall]
        name = "测试大厅"
        timezone = "Asia/Shanghai"

        [queue]
        noshow_requeue = "none"

        [[service]]
        id = "A"
        name = "检验检测机构资质认定"

        [[service]]
        id = "B"
        name = "计量授权"

        [[service]]
        id = "C"
        name = "特种设备许可"

        [[window]]
        number = 1
        services = ["A", "B"]
        scope = "受理：资质认定"
        sign = { bus = "signs", address = 1 }

        [[window]]
        number = 2
        services = ["B", "A"]
        sign = { bus = "signs", address = 2 }

        [[window]]
        number = 3
        services = ["A", "B", "C"]
        sign = { bus = "signs", address = 3 }

        [[window]]
        number = 4
        services = ["C", "A"]

        [printer]
        kind = "virtual"

        [[bus]]
        name = "signs"
        kind = "virtual"

        [lobby]
        bus = "signs"
        address = 20
        scroll = "办理流程与收费标准"
        """
}

public struct HarnessError: Error, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}

extension JSONValue {
    public var ok: Bool { self["ok"]?.boolValue == true }
    public var token: String? { self["error"]?.stringValue }
}

/// Polls `f` until it is true or `seconds` pass; whether it became true. For state that follows
/// a device asynchronously; the bound is generous and is not a timing assertion.
public func eventually(_ seconds: Double = 10, _ f: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try f() { return true }
        usleep(20_000)
    }
    return try f()
}

extension DaemonHarness {
    /// The printer's health as `devices` reports it.
    public func printerHealth() throws -> JSONValue? {
        try ask(.admin, ["op": "devices"])["devices"]?["printer"]?["health"]
    }

    /// A ticket's print status as `history` reports it.
    public func printStatus(_ label: String) throws -> JSONValue? {
        try ask(.admin, ["op": "history", "ticket": .string(label)])["ticket"]?["print"]
    }
}

/// `eventually` for async state (the in-process hall): polls every 10 ms up to `seconds`. The
/// bound is generous: in a full parallel test run, blocking tests can hold the cooperative pool.
/// Runs blocking work (sockets with timeouts, waits, child programs) on a thread of its own. A
/// test's task must not block one of the few cooperative threads: in-process servers' handlers
/// run on them too, and two blocked tests on a 2-core machine would leave none.
public func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { c in Thread { c.resume(with: Result { try body() }) }.start() }
}

public func eventuallyAsync(_ seconds: Double = 60, _ f: () async throws -> Bool) async rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try await f() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return try await f()
}
