import Foundation
import HallqCore
import Logging
import Synchronization

/// A device's health, written by its driver thread and read by
/// `devices` and `status`; a change is logged once, as the device's own message.
final class HealthCell: Sendable {
    private let health: Mutex<DeviceHealth>
    private let logger: Logger
    private let up: Logger.Message
    private let down: Logger.Message
    private let metadata: Logger.Metadata

    init(_ initial: DeviceHealth, logger: Logger, up: Logger.Message, down: Logger.Message, metadata: Logger.Metadata) {
        health = Mutex(initial)
        self.logger = logger
        self.up = up
        self.down = down
        self.metadata = metadata
    }

    var value: DeviceHealth { health.withLock { $0 } }

    func set(_ h: DeviceHealth) {
        let changed = health.withLock { old in
            defer { old = h }
            return old != h
        }
        guard changed else { return }
        if h.isOK {
            logger.notice(up, metadata: metadata)
        } else {
            logger.warning(down, metadata: metadata.merging(["error": .string(h.description)]) { $1 })
        }
    }
}

/// Why a device is down, as its driver's open or serve step says it.
struct DeviceDown: Error, CustomStringConvertible {
    var description: String
}

/// The life every input driver's thread lives, written once (as gpsd's and NUT's drivers share
/// theirs): open the device, report it up, serve it until it fails or hallqd stops, report it
/// down with the reason, close it, wait, open it again. A driver supplies the steps; the loop
/// owns the thread, the stop flag and the health cell. Keypads, ID-card readers and caller
/// lines run on it.
final class DeviceLoop: Sendable {
    let health: HealthCell
    private let stopped = Atomic<Bool>(false)

    init(health: HealthCell) { self.health = health }

    /// Ends the loop at its next step (a serve step looks at `isStopped` between reads).
    func stop() { stopped.store(true, ordering: .releasing) }

    var isStopped: Bool { stopped.load(ordering: .acquiring) }

    /// Starts the driver's thread.
    /// - open: the device, or why not. After a failed open, `afterOpenFailure(n)` waits (the
    ///   n-th failure in a row: a backoff, or a wait for the device node to come back).
    /// - serve: until the device fails (throws why) or `isStopped`; it may report health itself
    ///   once the device has proved it answers (then `upOnOpen` is false).
    /// - close: after serving, whatever happened. Then `afterFailure` waits before the next open,
    ///   so a device that fails at once does not spin.
    func start<Handle>(
        thread name: String, upOnOpen: Bool = true,
        open: @escaping @Sendable () throws(DeviceDown) -> Handle,
        serve: @escaping @Sendable (Handle) throws(DeviceDown) -> Void,
        close: @escaping @Sendable (Handle) -> Void = { _ in },
        afterOpenFailure: @escaping @Sendable (Int) -> Void,
        afterFailure: TimeInterval
    ) {
        let t = Thread { [self] in
            var failures = 0
            while !isStopped {
                let handle: Handle
                do throws(DeviceDown) {
                    handle = try open()
                } catch {
                    health.set(.down(error.description))
                    failures += 1
                    if !isStopped { afterOpenFailure(failures) }
                    continue
                }
                failures = 0
                if upOnOpen { health.set(.ok) }
                do throws(DeviceDown) {
                    try serve(handle)
                } catch {
                    health.set(.down(error.description))
                }
                close(handle)
                if !isStopped { Thread.sleep(forTimeInterval: afterFailure) }
            }
        }
        t.name = name
        t.start()
    }

    /// Doubling waits between failed opens: `first`, then twice as long, up to `limit` seconds.
    static func doubling(first: TimeInterval, limit: TimeInterval) -> @Sendable (Int) -> Void {
        { n in Thread.sleep(forTimeInterval: min(limit, first * pow(2, Double(n - 1)))) }
    }
}
