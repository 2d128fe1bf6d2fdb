import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// One child process started at a time. The tests start hundreds (hallqd, hallqctl, curl,
/// chromedriver, umockdev helpers) from parallel tests; `Process.run()` walks /proc/self/fd to
/// close every inherited descriptor, and under a full run it crashed there (a `memmove` past
/// glibc's readdir buffer: swift-corelibs-foundation#5472; scripts/test's GLIBC_TUNABLES is the
/// fix). Starting them one at a time keeps each walk from racing another start's descriptors; the
/// processes themselves still run side by side.
extension Process {
    private static let launching = NSLock()

    public func runSerially() throws {
        try Process.launching.withLock {
            Self.waitForFewDescriptors()
            try run()
        }
    }

    /// `run()` lists /proc/self/fd and copies each entry's whole 256-byte name field
    /// (swift-corelibs-foundation#5472): a crash when an entry sits at the very end of glibc's
    /// 32 KB readdir buffer before an unmapped page. Entries are 24 bytes, so that end is only
    /// reached with about 1,350 descriptors open, and one test holds 2,000 connections (a crash
    /// was seen at descriptor 1,361, with the GLIBC_TUNABLES of scripts/test in place). A start
    /// waits, at most two minutes, until fewer than 1,000 are open.
    private static func waitForFewDescriptors() {
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline, openDescriptors() >= 1000 { usleep(50_000) }
    }

    /// This process's open descriptors (FileManager reads each name by its own length).
    private static func openDescriptors() -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0
    }

    /// The exit status (the signal's number if a signal ended it, as `terminationStatus`), or nil
    /// if the process still runs after `seconds`.
    ///
    /// The tests never call `waitUntilExit()`, which waits without a limit: a CI run hung for its
    /// whole 90 minutes when a hallqd did not stop (a deadlock at shutdown, since fixed) and two
    /// tests waited for it, the machine's two cooperative threads blocked and every other test
    /// stalled behind them. This waits with a deadline, and also asks the kernel directly
    /// (`waitid` with `WNOWAIT`, which leaves the child for Foundation to reap), so an exit that
    /// Foundation has not noticed yet still counts.
    public func exitStatus(within seconds: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        repeat {
            if !isRunning { return terminationStatus }
            if let status = Self.endedStatus(processIdentifier) { return status }
            usleep(2_000)
        } while Date() < deadline
        return nil
    }

    /// The status of a child that has ended and is not reaped yet; nil while it runs (or once
    /// Foundation has reaped it: `isRunning` says so on the next look).
    private static func endedStatus(_ pid: pid_t) -> Int32? {
        var info = siginfo_t()
        guard waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0,
            info._sifields._sigchld.si_pid == pid
        else { return nil }
        return info._sifields._sigchld.si_status
    }

    /// `exitStatus(within:)`, and past the deadline SIGKILL and an error that says so.
    @discardableResult
    public func finish(within seconds: Double = 120) throws -> Int32 {
        if let status = exitStatus(within: seconds) { return status }
        kill(processIdentifier, SIGKILL)
        _ = exitStatus(within: 10)
        throw HarnessError(
            "\(executableURL?.lastPathComponent ?? "a child") \(arguments ?? []) still ran after \(Int(seconds)) s; killed"
        )
    }

    /// Every thread's stack of a running process (gdb), for a test that found it stuck; the
    /// reason when gdb cannot tell.
    public static func stacks(of pid: pid_t) -> String {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/gdb") else { return "(no gdb)" }
        let gdb = Process()
        gdb.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
        gdb.arguments = ["60", "/usr/bin/gdb", "-p", "\(pid)", "-batch", "-nx", "-ex", "thread apply all bt"]
        let out = Pipe()
        gdb.standardOutput = out
        gdb.standardError = out
        do { try gdb.runSerially() } catch { return "(gdb: \(error))" }
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        _ = gdb.exitStatus(within: 70)
        return text
    }
}

/// What a program printed and how it ended.
public struct ProgramRun: Sendable {
    public var status: Int32
    public var out: String
    public var err: String
}

/// Runs `program` with `args` and `stdin` to its end (within `Process.finish`'s bound).
public func runProgram(_ program: URL, _ args: [String], stdin: String? = nil) throws -> ProgramRun {
    let p = Process()
    p.executableURL = program
    p.arguments = args
    let out = Pipe()
    let err = Pipe()
    let input = Pipe()
    p.standardOutput = out
    p.standardError = err
    p.standardInput = input
    try p.runSerially()
    try input.fileHandleForWriting.write(contentsOf: Data((stdin ?? "").utf8))
    try input.fileHandleForWriting.close()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    // Closed now, not when the Process object goes (a full run held hundreds of pipe ends, and a
    // start waits while too many descriptors are open).
    for h in [out.fileHandleForReading, err.fileHandleForReading, out.fileHandleForWriting, err.fileHandleForWriting] {
        try? h.close()
    }
    let status = try p.finish()
    return ProgramRun(status: status, out: String(decoding: o, as: UTF8.self), err: String(decoding: e, as: UTF8.self))
}

extension DaemonHarness {
    /// hallqctl, as people and scripts run it, against this hallqd.
    public func hallqctl(_ args: [String], stdin: String? = nil) throws -> ProgramRun {
        try runProgram(
            Self.binDir.appendingPathComponent("hallqctl"), ["--runtime-dir", runtimeDir.path] + args, stdin: stdin)
    }
}
