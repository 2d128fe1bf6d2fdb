// signs-bench: how long from `call` on the clerk socket until the sign's frame has left hallqd,
// next to the physical floor: the frame's line time at the bus's baud rate.
//
//   swift build && .build/debug/signs-bench [calls] [baud]
//
// Runs hallqd against an emulated USB–RS-485 adapter (hq-serial-bed under umockdev-wrapper).
// The time is taken when the frame's last byte appears on the emulated adapter, so it includes
// the emulation's relay; a pty has no baud rate, so the line time is what a real bus adds.
// Then a burst to six signs on the one bus, each answering every frame (the emulated signs send
// the document's ACK 15 ms after a frame ends): the per-sign round trip, frame out to the next
// sign's frame out, beside its floor (frame and ACK line times plus the signs' 15 ms).
// A program that prints figures, not a test: nothing here passes or fails.
import Foundation
import HallqClient
import HallqEncoders
import HallqProtocol

let args = CommandLine.arguments
let calls = args.count > 1 ? Int(args[1]) ?? 50 : 50
let baud = args.count > 2 ? Int(args[2]) ?? 9600 : 9600
let bin = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
let dir = URL(fileURLWithPath: "/tmp/hq-bench-\(getpid())")
try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: dir) }
let capture = dir.appendingPathComponent("bus.bin")

let windows = (1...6).map {
    "[[window]]\nnumber = \($0)\nservices = [\"A\"]\nscope = \"受理\($0)\"\nsign = { bus = \"signs\", address = \($0) }\n"
}.joined()
let config = """
    [[service]]
    id = "A"
    name = "资质认定"
    \(windows)
    [printer]
    kind = "none"
    [[bus]]
    name = "signs"
    kind = "serial"
    path = "/dev/hallq/signs"
    baud = \(baud)
    protocol = "onbon"
    gap_ms = 0
    refresh_s = 3600
    [signs]
    call_hold_s = 600
    [limits]
    take_burst = 10000
    take_per_min_connection = 100000
    take_per_min_service = 100000
    """
try Data(config.utf8).write(to: dir.appendingPathComponent("hallq.toml"))

// The emulated adapter.
let helper = Process()
helper.executableURL = URL(fileURLWithPath: "/usr/bin/umockdev-wrapper")
helper.arguments = [bin.appendingPathComponent("hq-serial-bed").path, capture.path]
let helperIn = Pipe(), helperOut = Pipe()
helper.standardInput = helperIn
helper.standardOutput = helperOut
try helper.run()
var first = Data()
while !first.contains(0x0A) { first += helperOut.fileHandleForReading.availableData }
let root = String(decoding: first, as: UTF8.self).split(separator: "\n")[0].dropFirst(5)

// hallqd on it.
let daemon = Process()
daemon.executableURL = bin.appendingPathComponent("hallqd")
daemon.arguments = ["--config", dir.appendingPathComponent("hallq.toml").path, "--state-dir", dir.appendingPathComponent("state").path,
                    "--runtime-dir", dir.appendingPathComponent("run").path, "--log-level", "warning"]
var env = ProcessInfo.processInfo.environment
env["LD_PRELOAD"] = "libumockdev-preload.so.0"
env["UMOCKDEV_DIR"] = String(root)
daemon.environment = env
try daemon.run()
defer {
    daemon.terminate(); daemon.waitUntilExit()
    try? helperIn.fileHandleForWriting.write(contentsOf: Data("quit\n".utf8)); helper.waitUntilExit()
}

func connect(_ role: String) -> LineClient {
    for _ in 0..<200 {
        if let c = try? LineClient(path: dir.appendingPathComponent("run/\(role).sock").path, timeout: 10) { return c }
        usleep(50_000)
    }
    fatalError("hallqd did not come up")
}
let kiosk = connect("kiosk"), clerk = connect("clerk")
_ = try clerk.request(["op": "signin", "window": 3, "clerk": "bench"])
for _ in 0..<calls { _ = try kiosk.request(["op": "take", "service": "A"]) }

func size() -> Int { (try? FileManager.default.attributesOfItem(atPath: capture.path)[.size] as? Int) ?? 0 }
func frameEnds(after offset: Int, label: String) -> [UInt8]? {
    guard let data = try? Data(contentsOf: capture), data.count > offset else { return nil }
    let bytes = [UInt8](data[offset...])
    guard let start = bytes.firstIndex(of: 0xA5), let end = bytes[start...].firstIndex(of: 0x5A) else { return nil }
    let frame = Array(bytes[start...end])
    guard let d = OnbonEncoder.decode(frame), let t = OnbonDynamicArea.text(in: d.data),
          GBText.decode(t)?.contains(label) == true else { return nil }
    return frame
}

usleep(500_000)  // let the start-up frames pass
var times: [Double] = []
var frameBytes = 0
for _ in 0..<calls {
    usleep(40_000)  // the sign's ACK to the previous call is in: time this call alone
    let offset = size()
    let t0 = DispatchTime.now().uptimeNanoseconds
    let r = try clerk.request(["op": "call", "window": 3])
    guard let label = r["ticket"]?["label"]?.stringValue else { fatalError("call failed: \(r.text)") }
    var frame: [UInt8]?
    while frame == nil { frame = frameEnds(after: offset, label: label); if frame == nil { usleep(200) } }
    times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
    frameBytes = frame!.count
}
let sorted = times.sorted()
let line = Double(frameBytes * 10) * 1000 / Double(baud)
func pct(_ p: Double) -> Double { sorted[min(sorted.count - 1, Int(p * Double(sorted.count)))] }
print("calls: \(calls), Onbon frame: \(frameBytes) bytes, bus: \(baud) baud 8N1")
print(String(format: "call → frame out of hallqd (ms): median %.2f  p90 %.2f  max %.2f", pct(0.5), pct(0.9), sorted.last!))
print(String(format: "line time of that frame at %d baud (ms): %.2f", baud, line))
print(String(format: "expected call → sign shows it on a real bus (median, ms): %.2f", pct(0.5) + line))

// Burst: every window calls at once; hallqd talks to one sign at a time and waits for its ACK.
/// Ends of complete frames after `offset`: (destination, time seen).
func scan(from offset: Int, into found: inout Set<Int>, seen: inout [(dst: UInt16, at: UInt64)], at now: UInt64) {
    guard let data = try? Data(contentsOf: capture), data.count > offset else { return }
    let bytes = [UInt8](data[offset...])
    var i = 0
    var n = 0
    while let start = bytes[i...].firstIndex(of: 0xA5), let end = bytes[start...].firstIndex(where: { $0 == 0x5A }) {
        if let d = OnbonEncoder.decode(Array(bytes[start...end])), !found.contains(n) {
            found.insert(n)
            seen.append((d.dst, now))
        }
        n += 1
        i = end + 1
        if i >= bytes.count { break }
    }
}
for w in [1, 2, 4, 5, 6] { _ = try clerk.request(["op": "signin", "window": .int(Int64(w)), "clerk": .string("bench\(w)")]) }
let rounds = 10
for _ in 0..<(rounds * 6) { _ = try kiosk.request(["op": "take", "service": "A"]) }
var gaps: [Double] = []
for _ in 0..<rounds {
    usleep(300_000)
    let offset = size()
    var seen: [(dst: UInt16, at: UInt64)] = []
    var found = Set<Int>()
    for w in 1...6 { _ = try clerk.request(["op": "call", "window": .int(Int64(w))]) }
    let deadline = DispatchTime.now().uptimeNanoseconds + 5_000_000_000
    while seen.count < 6 && DispatchTime.now().uptimeNanoseconds < deadline {
        scan(from: offset, into: &found, seen: &seen, at: DispatchTime.now().uptimeNanoseconds)
        usleep(200)
    }
    if seen.count < 6 { print("round: only \(seen.count) frames seen") }
    for k in seen.indices.dropFirst() { gaps.append(Double(seen[k].at - seen[k - 1].at) / 1e6) }
}
gaps.sort()
let ackLine = Double(31 * 10) * 1000 / Double(baud)
if !gaps.isEmpty {
    print(String(format: "burst to 6 answering signs, per-sign round trip (ms): median %.2f  p90 %.2f  max %.2f",
                 gaps[gaps.count / 2], gaps[min(gaps.count - 1, gaps.count * 9 / 10)], gaps.last!))
    print(String(format: "floor on a real bus at %d baud (ms): frame %.2f + ACK %.2f + sign's answer delay 15 = %.2f",
                 baud, line, ackLine, line + ackLine + 15))
}
