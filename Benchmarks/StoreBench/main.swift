// store-bench: what durability costs. Commits queue operations through the engine and the
// SQLite store exactly as hallqd does (one transaction per operation), with synchronous=FULL
// (what hallqd uses: a commit survives power loss) and NORMAL (survives a crash, may lose the
// last commits on power loss), and prints the time per acknowledged operation.
//
//   swift build && .build/debug/store-bench [operations=600] [directory=/tmp]
//
// A program that prints figures, not a test. Run it on the disk the hall will use.
import Foundation
import HallqCore
import HallqStore

let ops = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 600 : 600
let base = CommandLine.arguments.count > 2 ? CommandLine.arguments[2] : NSTemporaryDirectory()

let config = HallConfig(
    services: [ServiceConfig(id: "A", name: "甲", last: 99_999, width: 5)],
    windows: [WindowConfig(number: 1, services: ["A"])])

for mode in [HallStore.Synchronous.full, .normal] {
    let dir = URL(fileURLWithPath: base).appendingPathComponent("hallq-store-bench-\(getpid())-\(mode.rawValue)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let store = try HallStore(path: dir.appendingPathComponent("hallq.sqlite").path, synchronous: mode)
    // What the writer really runs with (GRDB's WAL set-up once overrode it silently).
    let inForce = try store.writerSynchronous() ?? -1
    var engine = QueueEngine(config: config)
    var now: Millis = 1_796_000_400_000
    func commit(_ c: Command) throws {
        now += 1000
        var next = engine
        try store.commit(try next.apply(c, at: now), origin: Origin(role: "bench"))
        engine = next
    }
    try commit(.signin(window: 1, clerk: "bench"))
    var times: [Double] = []
    for i in 0..<ops {
        let cmd: Command = i % 2 == 0 ? .take(service: "A", key: nil) : .call(window: 1, ticket: nil)
        let t0 = DispatchTime.now().uptimeNanoseconds
        try commit(cmd)
        times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
    }
    times.sort()
    let mean = times.reduce(0, +) / Double(times.count)
    print(
        String(
            format:
                "synchronous=%-6@ (read back %d) %d ops (take/call): mean %.2f ms  median %.2f  p90 %.2f  max %.2f  → %.0f ops/s",
            mode.rawValue, inForce, ops, mean, times[times.count / 2], times[times.count * 9 / 10], times.last!,
            1000 / mean))
}
