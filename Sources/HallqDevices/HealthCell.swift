import Foundation
import HallqCore
import Logging

/// A device's health, written by its driver thread and read by
/// `devices` and `status`; a change is logged once, as the device's own message.
final class HealthCell: @unchecked Sendable {
    private let lock = NSLock()
    private var health: DeviceHealth
    private let logger: Logger
    private let up: Logger.Message
    private let down: Logger.Message
    private let metadata: Logger.Metadata

    init(_ initial: DeviceHealth, logger: Logger, up: Logger.Message, down: Logger.Message, metadata: Logger.Metadata) {
        health = initial
        self.logger = logger
        self.up = up
        self.down = down
        self.metadata = metadata
    }

    var value: DeviceHealth {
        lock.lock()
        defer { lock.unlock() }
        return health
    }

    func set(_ h: DeviceHealth) {
        lock.lock()
        let changed = h != health
        health = h
        lock.unlock()
        guard changed else { return }
        if h.isOK {
            logger.notice(up, metadata: metadata)
        } else {
            logger.warning(down, metadata: metadata.merging(["error": .string(h.description)]) { $1 })
        }
    }
}

/// A driver thread's "stop now", set from any thread and read by the thread between steps.
final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var stopped = false

    func set() {
        lock.lock()
        stopped = true
        lock.unlock()
    }

    var isSet: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopped
    }
}
