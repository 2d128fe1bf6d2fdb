import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Where bcrypt runs: two threads of their own at a lower CPU priority (nice 10) than the rest
/// of hallqd. A hash costs tens of milliseconds of CPU on purpose; a flood of logins must take
/// that CPU from other logins, not from the queue's commits and replies, which run at the
/// normal priority and so are scheduled first on a busy machine.
public final class PasswordThreads: @unchecked Sendable {
    public static let shared = PasswordThreads(threads: 2, nice: 10)

    private let condition = NSCondition()
    private var jobs: [@Sendable () -> Void] = []

    init(threads: Int, nice: Int32) {
        for _ in 0..<threads {
            let t = Thread { [self] in
                // The kernel's name for it (top -H, /proc/<pid>/task/*/comm): 15 bytes at most.
                // Named first, so a thread at the lower priority is always one of these.
                Thread.current.name = "hallq-password"
                // Linux: nice is per thread, and PRIO_PROCESS with who 0 means the calling thread.
                _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, nice)
                self.work()
            }
            t.start()
        }
    }

    private func work() {
        while true {
            condition.lock()
            while jobs.isEmpty { condition.wait() }
            let job = jobs.removeFirst()
            condition.unlock()
            job()
        }
    }

    /// Runs `body` on a password thread and returns its result.
    public func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { c in
            condition.lock()
            jobs.append { c.resume(returning: body()) }
            condition.signal()
            condition.unlock()
        }
    }
}
