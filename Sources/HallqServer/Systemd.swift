import Dispatch
import Foundation
import HallqCore
import Logging
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#endif

/// sd_notify without libsystemd: one datagram to $NOTIFY_SOCKET. Silent when not under systemd.
public struct SystemdNotifier: Sendable {
    let path: String?
    let logger: Logger

    public init(environment: [String: String], logger: Logger) {
        self.path = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
        self.logger = logger
    }

    public var active: Bool { path != nil }

    public func send(_ state: String) {
        guard let path else { return }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        // "@name" is an abstract socket: a leading NUL byte instead of the @.
        var bytes = Array(path.utf8)
        if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: addr.sun_path)
        guard bytes.count < capacity else { return }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            raw.copyBytes(from: bytes)
        }
        let len = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count)
        let sent = Array(state.utf8).withUnsafeBytes { msg in
            withUnsafePointer(to: &addr) { p in
                p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                    sendto(fd, msg.baseAddress, msg.count, Int32(MSG_NOSIGNAL), sa, len)
                }
            }
        }
        if sent < 0 { logger.warning("sd_notify failed", metadata: ["errno": .stringConvertible(errno)]) }
    }
}

/// Sockets passed by systemd (LISTEN_FDS / LISTEN_FDNAMES), by name: "kiosk", "clerk", "admin".
public enum SocketActivation {
    public static func listeners(environment env: [String: String], pid: Int32 = getpid()) -> [String: Int32] {
        guard let p = env["LISTEN_PID"], Int32(p) == pid, let n = env["LISTEN_FDS"].flatMap(Int32.init), n > 0 else { return [:] }
        let names = (env["LISTEN_FDNAMES"] ?? "").split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        var out: [String: Int32] = [:]
        for i in 0..<n {
            let fd = 3 + i
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            let name = Int(i) < names.count ? names[Int(i)] : "unknown"
            out[name] = fd
        }
        return out
    }
}

/// WATCHDOG=1 at half of $WATCHDOG_USEC, sent only after the engine answered a read (a stuck
/// engine stops the pings and systemd restarts us); STATUS= when the summary changes; STOPPING=1
/// when the graceful shutdown begins.
struct WatchdogService: Service {
    let hall: Hall
    let notifier: SystemdNotifier
    let logger: Logger
    /// Device trouble worth showing in `systemctl status`, e.g. "printer paper-out".
    let deviceProblems: @Sendable () async -> [String]

    func run() async throws {
        let env = ProcessInfo.processInfo.environment
        var interval: Duration = .seconds(5)
        var pinging = false
        if let usec = env["WATCHDOG_USEC"].flatMap(Int64.init), usec > 0,
           env["WATCHDOG_PID"].flatMap(Int32.init).map({ $0 == getpid() }) ?? true {
            interval = .microseconds(usec / 2)
            pinging = true
        }
        let tick = min(interval, .seconds(5))
        var lastStatus = ""
        var sinceWatchdog: Duration = .zero
        await withGracefulShutdownHandler {
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                await hall.checkClock()
                let waiting = await hall.read { $0.waitingTotal }
                let problems = await deviceProblems()
                let status = "serving; \(waiting) waiting" + (problems.isEmpty ? "" : "; " + problems.joined(separator: ", "))
                if status != lastStatus {
                    notifier.send("STATUS=\(status)")
                    lastStatus = status
                }
                sinceWatchdog += tick
                if pinging && sinceWatchdog >= interval {
                    notifier.send("WATCHDOG=1")
                    sinceWatchdog = .zero
                }
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: tick) }
            }
        } onGracefulShutdown: {
            notifier.send("STOPPING=1\nSTATUS=draining")
            logger.notice("shutting down: no new connections, finishing work in flight")
        }
    }
}

/// SIGHUP reloads the config (as the `reload` op does); the queue stays as it is.
struct ReloadOnHangup: Service {
    let reload: @Sendable () async -> Result<Void, HallError>
    let notifier: SystemdNotifier

    func run() async throws {
        signal(SIGHUP, SIG_IGN)
        let (hups, sink) = AsyncStream<Void>.makeStream()
        let source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        source.setEventHandler { sink.yield() }
        source.resume()
        defer { source.cancel() }
        await withGracefulShutdownHandler {
            for await _ in hups {
                notifier.send("RELOADING=1")
                _ = await reload()
                notifier.send("READY=1")
            }
        } onGracefulShutdown: {
            sink.finish()
        }
    }
}
