import Foundation

/// One child process started at a time. swift-corelibs-foundation's `Process.run()` copies the
/// arguments and the environment into buffers while other threads may be doing the same; under a
/// full parallel test run that was seen to crash (a bad pointer in `memmove` inside `run()`). The
/// tests start hundreds of processes (hallqd, hallqctl, curl, chromedriver, umockdev helpers), so
/// they all start them through here; the processes themselves still run side by side.
extension Process {
    private static let launching = NSLock()

    public func runSerially() throws {
        try Process.launching.withLock { try run() }
    }
}
