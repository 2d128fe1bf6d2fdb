import Foundation
import HallqApp
import Testing

/// These suites' tests block while they wait for hallqd, hallqctl, umockdev helpers and
/// PostgreSQL (sync tests, with `usleep` polls and pipes). Swift Testing runs a sync test on the
/// cooperative pool, which has one thread per core: two of them waiting left the rest of the run
/// (in-process HTTP servers, NIO bridges, every async test) without a thread, and their requests
/// timed out. With this trait a suite's tests run on two threads of their own instead, as many
/// as the cooperative pool had for them before, and the pool stays free.
struct OnDaemonThreads: SuiteTrait, TestTrait, TestScoping {
    static let threads = NicedThreads(name: "hallq-tests", threads: 2, nice: 0)

    var isRecursive: Bool { true }

    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        try await withTaskExecutorPreference(Self.threads) { try await function() }
    }
}

extension Trait where Self == OnDaemonThreads {
    /// Runs the suite's tests on `OnDaemonThreads.threads`, off the cooperative pool.
    static var onDaemonThreads: Self { Self() }
}

@Suite("the daemon suites' own threads", .onDaemonThreads)
struct OnDaemonThreadsTests {
    @Test("a sync test of these suites runs on hallq-tests, not on the cooperative pool")
    func threadName() throws {
        let comm = try String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)
        #expect(comm.trimmingCharacters(in: .whitespacesAndNewlines) == "hallq-tests")
    }
}
