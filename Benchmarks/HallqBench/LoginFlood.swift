// hallq-bench --login-flood: what a flood of made-up logins does to the queue.
//
// hallqd (the build beside this program) with [http] on a free port; `take` on the kiosk socket
// from one client, idle, then with the cores busy at the lowest priority (the floor: what busy
// cores alone cost here), then while 8 threads from 8 addresses (127.0.5.1–8) post made-up logins
// as fast as the server answers them. Prints take p50/p99 each way, the flood's p99 against idle
// and against the floor, and what the flood got (401 wrong, 429 backoff, 503 busy). The issue asks
// for the flood within 2× of idle; it is printed, not asserted (docs/BENCHMARKS.md).
import Foundation
import HallqClient
import HallqCore
import HallqProtocol
import HallqTestKit

#if canImport(Glibc)
import Glibc
#endif

/// One login POST from `source`; the status code (0 when the connection failed).
func postLogin(port: Int, from source: String, body: String) -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return 0 }
    defer { close(fd) }
    var local = sockaddr_in()
    local.sin_family = sa_family_t(AF_INET)
    local.sin_addr.s_addr = inet_addr(source)
    var remote = sockaddr_in()
    remote.sin_family = sa_family_t(AF_INET)
    remote.sin_port = in_port_t(UInt16(port).bigEndian)
    remote.sin_addr.s_addr = inet_addr("127.0.0.1")
    let size = socklen_t(MemoryLayout<sockaddr_in>.size)
    guard
        withUnsafePointer(to: &local, { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, size) } })
            == 0,
        withUnsafePointer(
            to: &remote, { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, size) } })
            == 0
    else { return 0 }
    let request = Array(
        ("POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\n"
            + "Content-Length: \(body.utf8.count)\r\n\r\n\(body)").utf8)
    guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == request.count else {
        return 0
    }
    var buf = [UInt8](repeating: 0, count: 64)
    let n = recv(fd, &buf, buf.count, 0)
    guard n >= 12 else { return 0 }
    return Int(String(decoding: buf[9..<12], as: UTF8.self)) ?? 0
}

/// The flood's threads run only on CPU time nothing else wants (SCHED_IDLE): an attacker on
/// another host of the LAN spends its own CPU, not the hall's. What is measured is then what
/// hallqd spends on the flood, not the bench's own threads competing with the take client.
func floodOnIdleTime() {
    let schedIdle: Int32 = 5  // SCHED_IDLE, which Glibc's module does not export
    var param = sched_param(sched_priority: 0)
    _ = sched_setscheduler(0, schedIdle, &param)
}

func runLoginFlood() throws {
    let port = try freePort()
    let daemon = try DaemonHarness(
        config: TestHallConfig.oneService(windows: 6, last: 999_999, width: 6) + DaemonHarness.generousLimits
            + "\n[http]\nlisten = \"127.0.0.1:\(port)\"\n")
    try daemon.start(logLevel: "error")
    // The HTTP listener binds a moment after the admin socket answers.
    guard eventually(20, { postLogin(port: port, from: "127.0.0.1", body: "{}") != 0 }) else {
        throw HarnessError("nothing listens on port \(port)")
    }
    _ = try daemon.ask(.admin, ["op": "useradd", "name": "clerk", "role": "clerk", "password": "clerk-pass-1"])
    let kiosk = try daemon.client(.kiosk)
    let n = options.ops / 4
    func takes() throws -> Latencies {
        var l = Latencies()
        for _ in 0..<n {
            let t0 = now()
            _ = try kiosk.request(["op": "take", "service": "A"])
            l.add(t0)
        }
        return l
    }
    print("hallq-bench --login-flood: hallqd at \(DaemonHarness.binDir.path), \(n) takes each way")
    let idle = try takes()
    // The floor: two threads that only spin, at the lowest priority there is, on the two cores.
    // They ask nothing of hallqd; whatever they add to the takes is what busy cores cost on this
    // machine (on a VM, CPU time the host then does not give back at once), the least any flood
    // arriving here could cost.
    let spinning = Locked(true)
    let spinners = DispatchGroup()
    for _ in 0..<2 {
        spinners.enter()
        Thread {
            defer { spinners.leave() }
            floodOnIdleTime()
            var x: UInt64 = 1
            while spinning.with({ $0 }) {
                for _ in 0..<10_000 { x = x &* 6_364_136_223_846_793_005 &+ 1 }
            }
            if x == 0 { print("") }
        }.start()
    }
    let floor = try takes()
    spinning.with { $0 = false }
    spinners.wait()
    let flooding = Locked(true)
    let codes = Locked([Int: Int]())
    let group = DispatchGroup()
    for i in 1...8 {
        group.enter()
        Thread {
            defer { group.leave() }
            floodOnIdleTime()
            var k = 0
            while flooding.with({ $0 }) {
                k += 1
                let code = postLogin(
                    port: port, from: "127.0.5.\(i)", body: #"{"name":"guess\#(i)-\#(k)","password":"made-up-pw"}"#)
                codes.with { $0[code, default: 0] += 1 }
            }
        }.start()
    }
    usleep(500_000)
    let flood = try takes()
    flooding.with { $0 = false }
    group.wait()
    print("take, idle:               p50 \(f2(idle.p50)) ms  p99 \(f2(idle.p99)) ms")
    print("take, cores busy (floor): p50 \(f2(floor.p50)) ms  p99 \(f2(floor.p99)) ms")
    print(
        "take, login flood:        p50 \(f2(flood.p50)) ms  p99 \(f2(flood.p99)) ms"
            + "  (p99 \(String(format: "%.2f", flood.p99 / idle.p99))× idle, "
            + "\(String(format: "%.2f", flood.p99 / floor.p99))× the floor)")
    let c = codes.with { $0 }
    print(
        "the flood's answers: "
            + c.keys.sorted().map { "\($0 == 0 ? "failed" : String($0)) ×\(c[$0]!)" }.joined(separator: ", "))
    daemon.stop()
}
