import Foundation
import HallqCore
import Logging
import ServiceLifecycle

/// Marks no-shows (docs/BOOKINGS.md): every 10 s, when a booking's check-in has closed
/// (`slot_end + late_min`) without the person, one `expireBookings` command makes every such
/// booking a no-show, each logged as a `booking` event the portal reads back, and lets the
/// engine drop days before yesterday (the store keeps them). Nothing is committed while nothing
/// is due, so a quiet hall's log does not grow.
public struct BookingSweeper: Service {
    let hall: Hall
    let logger: Logger

    public init(hall: Hall, logger: Logger) {
        self.hall = hall
        self.logger = logger
    }
    static let interval: Duration = .seconds(10)

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                let n = try await Self.sweep(hall)
                if n > 0 { logger.info("bookings became no-shows", metadata: ["bookings": "\(n)"]) }
            } catch {
                logger.warning("no-shows not marked; next try in 10 s", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: Self.interval) }
        }
    }

    /// Marks the bookings due now; how many became no-shows.
    @discardableResult
    static func sweep(_ hall: Hall) async throws -> Int {
        let now = hall.clock()
        guard await hall.read({ $0.bookingsDue(at: now) }) else { return 0 }
        let c = try await hall.submit(.expireBookings, origin: Origin(role: "system")).get()
        return c.effects.bookings.count
    }
}

extension Hall {
    /// `BookingSweeper`'s step, for the tests' faked clocks.
    public func markNoShows() async throws -> Int { try await BookingSweeper.sweep(self) }
}
