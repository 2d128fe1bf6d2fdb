// soak-fuzz: hostile clients on all three sockets while one well-behaved client asks `status`
// over and over; how long that client waits, and what hallqd's memory does.
//
//   swift build && .build/debug/soak-fuzz [seconds=20] [hostile_clients=6] [seed=1]
//
// The hostile clients send, from a seeded generator: ops with ±2^63, ±2^31, 0, −1 and huge
// decimals in every integer field, nesting 100–600 deep, duplicate keys, control characters,
// random bytes, over-long lines, lines left unfinished, and they reconnect when closed. The
// monitor's status latency (p50/p99/max, target p99 ≤ 100 ms), the reply tokens seen, and
// hallqd's RSS before, during and after are printed. 100 watchers that never read are connected
// for the whole run. Nothing here passes or fails.
import Foundation
import HallqClient
import HallqProtocol
import HallqTestKit

#if canImport(Glibc)
import Glibc
#endif

let args = CommandLine.arguments
let seconds = args.count > 1 ? Double(args[1]) ?? 20 : 20
let hostile = args.count > 2 ? Int(args[2]) ?? 6 : 6
let seed = args.count > 3 ? UInt64(args[3]) ?? 1 : 1
let daemon = try DaemonHarness(config: TestHallConfig.oneService() + "\n[limits]\nline_timeout_s = 2\n")
try daemon.start(logLevel: "critical")
func sock(_ role: Role) -> String { daemon.path(role) }

func rssKB() -> Int {
    let s =
        (try? String(contentsOfFile: "/proc/\(daemon.process?.processIdentifier ?? 0)/status", encoding: .utf8)) ?? ""
    return s.split(separator: "\n").first { $0.hasPrefix("VmRSS:") }.flatMap {
        Int($0.split(separator: " ").dropFirst().first ?? "")
    } ?? -1
}

extension SeededRandom {
    mutating func pick<T>(_ a: [T]) -> T { a[Int(next() % UInt64(a.count))] }
    mutating func int(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}

let ints = [
    "-9223372036854775808", "9223372036854775807", "2147483648", "-2147483649", "0", "-1", "1e400",
    "99999999999999999999999999", "3", "1.5", "\"3\"",
]
let ops = [
    "take", "call", "recall", "noshow", "start", "finish", "transfer", "pause", "resume", "signin", "signout", "rate",
    "status", "services", "stats", "history", "export", "devices", "hall", "watch", "nope",
]
let fields = ["window", "to_window", "score", "service", "clerk", "ticket", "key", "from", "to", "by", "mode", "id"]

func hostileLine(_ r: inout SeededRandom) -> [UInt8] {
    switch r.int(8) {
    case 0:  // every field of a random op with a hostile value
        let f = (0..<(1 + r.int(3))).map { _ in "\"\(r.pick(fields))\":\(r.pick(ints))" }.joined(separator: ",")
        return Array("{\"op\":\"\(r.pick(ops))\",\(f)}\n".utf8)
    case 1:  // deep nesting
        let n = 100 + r.int(500)
        return Array(
            ("{\"op\":\"status\",\"x\":" + String(repeating: "[", count: n) + String(repeating: "]", count: n) + "}\n")
                .utf8)
    case 2: return Array("{\"op\":\"status\",\"op\":\"reload\"}\n".utf8)
    case 3: return Array("{\"op\":\"signin\",\"window\":1,\"clerk\":\"a\\u0000\\r\\nb\"}\n".utf8)
    case 4: return (0..<(1 + r.int(200))).map { _ in UInt8(truncatingIfNeeded: r.next()) } + [0x0A]
    case 5: return Array(repeating: UInt8(ascii: "x"), count: 5000) + [0x0A]
    case 6: return Array("{\"op\":".utf8)  // left unfinished
    default: return Array("{\"op\":\"\(r.pick(ops))\"}\n".utf8)
    }
}

let rssBefore = rssKB()
let deadline = Date().addingTimeInterval(seconds)
// 100 watchers that never read: each is cut off at its byte budget, and none may slow the rest.
var silentWatchers: [LineClient] = []
for _ in 0..<100 {
    if let w = try? LineClient(path: sock(.clerk), timeout: 5) {
        try? w.send(["op": "watch"])
        silentWatchers.append(w)
    }
}
final class Counts: @unchecked Sendable {
    let lock = NSLock()
    var tokens: [String: Int] = [:]
    var sent = 0
    func add(_ t: String) {
        lock.lock()
        tokens[t, default: 0] += 1
        lock.unlock()
    }
    func sentOne() {
        lock.lock()
        sent += 1
        lock.unlock()
    }
}
let counts = Counts()
let group = DispatchGroup()
for h in 0..<hostile {
    DispatchQueue.global().async(group: group) {
        var r = SeededRandom(seed: seed &* 1000 &+ UInt64(h))
        let roles: [Role] = [.kiosk, .clerk, .admin]
        while Date() < deadline {
            guard let c = try? LineClient(path: sock(roles[h % 3]), timeout: 3) else {
                usleep(10_000)
                continue
            }
            for _ in 0..<(1 + r.int(50)) {
                let line = hostileLine(&r)
                guard (try? c.sendRaw(line)) != nil else { break }
                counts.sentOne()
                if line.last != 0x0A { break }  // an unfinished line: drop the connection
                guard let reply = try? c.readLine() else { break }
                counts.add(JSONValue.parse(Array(reply.utf8))?["error"]?.stringValue ?? "ok")
                if Date() >= deadline { break }
            }
        }
    }
}
var latencies: [Double] = []
var rssPeak = rssBefore
let monitor = try LineClient(path: sock(.kiosk), timeout: 10)
while Date() < deadline {
    let t0 = DispatchTime.now().uptimeNanoseconds
    guard (try? monitor.request(["op": "status"]))?["ok"] == true else {
        print("status failed")
        break
    }
    latencies.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
    rssPeak = max(rssPeak, rssKB())
    usleep(20_000)
}
group.wait()
silentWatchers.removeAll()
usleep(500_000)
let rssAfter = rssKB()
let sorted = latencies.sorted()
func pct(_ p: Double) -> Double { sorted[min(sorted.count - 1, Int(p * Double(sorted.count)))] }
print("hostile clients: \(hostile) for \(Int(seconds)) s, seed \(seed): \(counts.sent) lines sent")
print(
    "replies: " + counts.tokens.sorted { $0.value > $1.value }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
print(
    String(
        format: "well-behaved status (ms), %d requests: p50 %.2f  p99 %.2f  max %.2f", sorted.count, pct(0.5),
        pct(0.99), sorted.last ?? 0))
print("hallqd RSS (MB): before \(rssBefore / 1024), peak during \(rssPeak / 1024), after \(rssAfter / 1024)")
print("hallqd still running: \(daemon.process?.isRunning == true)")
