import Foundation
import HallqCore
import HallqStore
import Logging
import ServiceLifecycle

/// Forgets who took old tickets (docs/PRIVACY.md): at start and every hour, tickets issued more
/// than `[privacy] person_days` days ago lose their person key. The rules that use it (one live
/// ticket, the daily limit, a no-show count over weeks) look back no further than that.
public struct PersonRetention: Service {
    let hall: Hall
    let logger: Logger

    public init(hall: Hall, logger: Logger) {
        self.hall = hall
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                let n = try await Self.forget(hall)
                if n > 0 { logger.notice("person keys of old tickets removed", metadata: ["tickets": "\(n)"]) }
            } catch {
                logger.warning("old person keys not removed; next try in an hour", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(3600)) }
        }
    }

    /// Clears the person keys of tickets from before the retention window; how many.
    @discardableResult
    static func forget(_ hall: Hall) async throws -> Int {
        let (days, calendar) = await hall.read { ($0.config.personDays, $0.calendar) }
        let cutoff = calendar.day(hall.clock() - Millis(days) * 86_400_000)
        return try await hall.store.forgetPersons(before: cutoff)
    }
}

extension Hall {
    /// `PersonRetention`'s step, for the tests' faked clocks.
    public func forgetOldPersons() async throws -> Int { try await PersonRetention.forget(self) }
}
