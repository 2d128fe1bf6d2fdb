import Foundation

/// One child process started at a time. The tests start hundreds (hallqd, hallqctl, curl,
/// chromedriver, umockdev helpers) from parallel tests; `Process.run()` walks /proc/self/fd to
/// close every inherited descriptor, and under a full run it crashed there (a `memmove` past
/// glibc's readdir buffer: swift-corelibs-foundation#5472; scripts/test's GLIBC_TUNABLES is the
/// fix). Starting them one at a time keeps each walk from racing another start's descriptors; the
/// processes themselves still run side by side.
extension Process {
    private static let launching = NSLock()

    public func runSerially() throws {
        try Process.launching.withLock { try run() }
    }
}
