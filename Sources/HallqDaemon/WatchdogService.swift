import Foundation
import HallqApp
import HallqCentral
import HallqCore
import Logging
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#endif

/// WATCHDOG=1 at half of $WATCHDOG_USEC, sent only after the engine answered a read (a stuck
/// engine stops the pings and systemd restarts us); STATUS= when the summary changes; STOPPING=1
/// when the graceful shutdown begins.
struct WatchdogService: Service {
    let hall: Hall
    let notifier: SystemdNotifier
    let logger: Logger
    /// Device trouble worth showing in `systemctl status`, e.g. "printer paper-out".
    let deviceProblems: @Sendable () async -> [String]
    /// The relay to the province's centre, when configured.
    let centralLag: @Sendable () -> CentralRelay.State?

    func run() async throws {
        let env = ProcessInfo.processInfo.environment
        var interval: Duration = .seconds(5)
        var pinging = false
        if let usec = env["WATCHDOG_USEC"].flatMap(Int64.init), usec > 0,
            env["WATCHDOG_PID"].flatMap(Int32.init).map({ $0 == getpid() }) ?? true
        {
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
                if waiting > 0 { hall.refreshEstimates() }
                var problems = await deviceProblems()
                // The province's centre behind by more than [central] lag_warn_s.
                if let c = centralLag(), c.lagSeconds > c.lagWarnSeconds {
                    problems.append("centre lag \(c.lagEvents) events, \(c.lagSeconds) s")
                }
                let status =
                    "serving; \(waiting) waiting" + (problems.isEmpty ? "" : "; " + problems.joined(separator: ", "))
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
