// signs-bench: how long from `call` on the clerk socket until the sign's frame has left hallqd,
// next to the physical floor: the frame's line time at the bus's baud rate.
//
//   swift build && .build/debug/signs-bench [calls] [baud]
//
// Runs hallqd against an emulated USB–RS-485 adapter (hq-serial-bed under umockdev-wrapper).
// The time is taken when the frame's last byte appears on the emulated adapter, so it includes
// the emulation's relay; a pty has no baud rate, so the line time is what a real bus adds.
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

let config = """
    [[service]]
    id = "A"
    name = "资质认定"
    [[window]]
    number = 3
    services = ["A"]
    scope = "受理：资质认定"
    sign = { bus = "signs", address = 3 }
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
