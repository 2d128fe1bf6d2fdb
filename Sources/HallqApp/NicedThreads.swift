import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A few threads of their own, at a lower CPU priority (a higher nice) than the rest of hallqd,
/// for work that strangers can ask for in bulk: password checks and HTTP. The queue's own work —
/// the sockets' requests, the writer's commits, the kiosks' replies — runs at the normal priority
/// on Swift's cooperative pool and so is scheduled first on a busy machine; a flood of logins or
/// of phones then takes its CPU from itself, not from the queue.
///
/// It is both a plain job runner (`run`) and a Swift `TaskExecutor`: code inside
/// `withTaskExecutorPreference(pool) { … }` and every child task it starts run their
/// non-isolated parts here (SE-0417), so a server started that way handles every request on
/// these threads.
public final class NicedThreads: TaskExecutor, @unchecked Sendable {
    private let condition = NSCondition()
    /// Waiting jobs from `head` on; the front is dropped in one go once it is large, so taking
    /// a job stays O(1) under a burst.
    private var jobs: [() -> Void] = []
    private var head = 0

    /// `name` is the kernel's name for each thread (top -H, /proc/<pid>/task/*/comm; 15 bytes).
    public init(name: String, threads: Int, nice: Int32) {
        for _ in 0..<threads {
            let t = Thread { [self] in
                // Named first, so a thread at the lower priority is always one of these; through
                // /proc (the kernel's own name), as Foundation's `Thread.name` now and then did
                // not reach it (a test saw one of two threads at nice 10 under another name).
                Self.nameThisThread(name)
                // Linux: nice is per thread, and PRIO_PROCESS with who 0 means the calling thread.
                _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, nice)
                self.work()
            }
            t.start()
        }
    }

    /// The calling thread's kernel name (15 bytes at most), as top -H and /proc show it.
    private static func nameThisThread(_ name: String) {
        let comm = Data(name.utf8.prefix(15))
        if (try? comm.write(to: URL(fileURLWithPath: "/proc/thread-self/comm"))) == nil { Thread.current.name = name }
    }

    private func work() {
        while true {
            condition.lock()
            while head == jobs.count { condition.wait() }
            let job = jobs[head]
            head += 1
            if head >= 256 && head * 2 >= jobs.count {
                jobs.removeFirst(head)
                head = 0
            }
            condition.unlock()
            job()
        }
    }

    private func submit(_ job: @escaping () -> Void) {
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Runs `body` on one of the threads and returns its result.
    public func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { c in submit { c.resume(returning: body()) } }
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        submit { unowned.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}

/// Where bcrypt runs: two threads at nice 10. A hash costs tens of milliseconds of CPU on
/// purpose; a flood of logins must take that CPU from other logins, not from the queue.
public enum PasswordThreads {
    public static let shared = NicedThreads(name: "hallq-password", threads: 2, nice: 10)
}

/// Where the HTTP faces' request handlers run (WebServer starts the server with this as its
/// task executor): two threads of their own, so a lobby of phones or a flood from the LAN queues
/// behind itself, not ahead of the sockets' requests on the cooperative pool. At the normal
/// priority: lowering it (nice 5) measured no gain for the queue (docs/BENCHMARKS.md) and left
/// the board and staff pages slow whenever anything else on the machine was busy.
public enum HTTPThreads {
    public static let shared = NicedThreads(name: "hallq-http", threads: 2, nice: 0)
}
