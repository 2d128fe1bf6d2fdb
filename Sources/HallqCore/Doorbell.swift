import Foundation

/// What wakes a service loop that otherwise sleeps (the 好差评 upload, the relay to the
/// province): `ring()` from a commit's callback, `wait(seconds:)` in the loop. A ring since the
/// last `reset()` ends the next wait at once, so nothing rung while the loop was busy is lost.
public final class Doorbell: @unchecked Sendable {
    private let lock = NSLock()
    private var rung = false
    private var waiter: CheckedContinuation<Void, Never>?

    public init() {}

    public func ring() {
        let w: CheckedContinuation<Void, Never>? = lock.withLock {
            rung = true
            defer { waiter = nil }
            return waiter
        }
        w?.resume()
    }

    /// Forgets the rings so far: the loop is about to look at everything anyway.
    public func reset() { lock.withLock { rung = false } }

    /// Waits `seconds`, or less when rung (since the last reset) or cancelled.
    public func wait(seconds: Int) async {
        await withTaskGroup(of: Void.self) { g in
            g.addTask { try? await Task.sleep(for: .seconds(seconds)) }
            g.addTask { await self.rang() }
            await g.next()
            g.cancelAll()
        }
    }

    private func rang() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let now: Bool = lock.withLock {
                    if rung || Task.isCancelled { return true }
                    waiter = c
                    return false
                }
                if now { c.resume() }
            }
        } onCancel: {
            self.ring()
        }
    }
}
