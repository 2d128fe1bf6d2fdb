import Foundation
import Logging

/// A device's health as text ("ok", or what is wrong), written by its driver thread and read by
/// `devices` and `status`; a change is logged once, as the device's own message.
final class HealthCell: @unchecked Sendable {
    private let lock = NSLock()
    private var text: String
    private let logger: Logger
    private let up: Logger.Message
    private let down: Logger.Message
    private let metadata: Logger.Metadata

    init(_ initial: String, logger: Logger, up: Logger.Message, down: Logger.Message, metadata: Logger.Metadata) {
        text = initial
        self.logger = logger
        self.up = up
        self.down = down
        self.metadata = metadata
    }

    var value: String {
        lock.lock()
        defer { lock.unlock() }
        return text
    }

    func set(_ h: String) {
        lock.lock()
        let changed = h != text
        text = h
        lock.unlock()
        guard changed else { return }
        if h == "ok" {
            logger.notice(up, metadata: metadata)
        } else {
            logger.warning(down, metadata: metadata.merging(["error": .string(h)]) { $1 })
        }
    }
}
