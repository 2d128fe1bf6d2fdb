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
import HallqTestKit

let args = CommandLine.arguments
let calls = args.count > 1 ? Int(args[1]) ?? 50 : 50
let baud = args.count > 2 ? Int(args[2]) ?? 9600 : 9600
let config =
    TestHallConfig.oneService(windows: 6, signs: true, scope: { "受理\($0)" })
    + TestHallConfig.onbonBus(baud: baud, refreshSeconds: 3600) + """

        [signs]
        call_hold_s = 600
        """ + DaemonHarness.generousLimits
// The emulated adapter, and hallqd on it (HallqTestKit, as the device tests run them).
let bus = try EmulatedSerial()
let daemon = try DaemonHarness(config: config)
try daemon.start(extraEnv: bus.environment, logLevel: "warning")
let kiosk = try daemon.client(.kiosk)
let clerk = try daemon.client(.clerk)
_ = try clerk.request(["op": "signin", "window": 3, "clerk": "bench"])
for _ in 0..<calls { _ = try kiosk.request(["op": "take", "service": "A"]) }

/// The first frame after `offset` whose text names `label`.
func frameEnds(after offset: Int, label: String) -> [UInt8]? {
    bus.frames(from: offset).first { $0.text.contains(label) }?.raw
}

usleep(500_000)  // let the start-up frames pass
var times: [Double] = []
var frameBytes = 0
for _ in 0..<calls {
    usleep(40_000)  // the sign's ACK to the previous call is in: time this call alone
    let offset = bus.captured
    let t0 = DispatchTime.now().uptimeNanoseconds
    let r = try clerk.request(["op": "call", "window": 3])
    guard let label = r["ticket"]?["label"]?.stringValue else { fatalError("call failed: \(r.text)") }
    var frame: [UInt8]?
    while frame == nil {
        frame = frameEnds(after: offset, label: label)
        if frame == nil { usleep(200) }
    }
    times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
    frameBytes = frame!.count
}
let sorted = times.sorted()
let line = Double(frameBytes * 10) * 1000 / Double(baud)
func pct(_ p: Double) -> Double { sorted[min(sorted.count - 1, Int(p * Double(sorted.count)))] }
print("calls: \(calls), Onbon frame: \(frameBytes) bytes, bus: \(baud) baud 8N1")
print(
    String(format: "call → frame out of hallqd (ms): median %.2f  p90 %.2f  max %.2f", pct(0.5), pct(0.9), sorted.last!)
)
print(String(format: "line time of that frame at %d baud (ms): %.2f", baud, line))
print(String(format: "expected call → sign shows it on a real bus (median, ms): %.2f", pct(0.5) + line))

// Burst: every window calls at once; hallqd talks to one sign at a time and waits for its ACK.
/// Ends of complete frames after `offset`: (destination, time first seen).
func scan(from offset: Int, seen: inout [(dst: UInt16, at: UInt64)], at now: UInt64) {
    for f in bus.frames(from: offset).dropFirst(seen.count) { seen.append((f.dst, now)) }
}
for w in [1, 2, 4, 5, 6] {
    _ = try clerk.request(["op": "signin", "window": .int(Int64(w)), "clerk": .string("bench\(w)")])
}
let rounds = 10
for _ in 0..<(rounds * 6) { _ = try kiosk.request(["op": "take", "service": "A"]) }
var gaps: [Double] = []
for _ in 0..<rounds {
    usleep(300_000)
    let offset = bus.captured
    var seen: [(dst: UInt16, at: UInt64)] = []
    for w in 1...6 { _ = try clerk.request(["op": "call", "window": .int(Int64(w))]) }
    let deadline = DispatchTime.now().uptimeNanoseconds + 5_000_000_000
    while seen.count < 6 && DispatchTime.now().uptimeNanoseconds < deadline {
        scan(from: offset, seen: &seen, at: DispatchTime.now().uptimeNanoseconds)
        usleep(200)
    }
    if seen.count < 6 { print("round: only \(seen.count) frames seen") }
    for k in seen.indices.dropFirst() { gaps.append(Double(seen[k].at - seen[k - 1].at) / 1e6) }
}
gaps.sort()
let ackLine = Double(31 * 10) * 1000 / Double(baud)
if !gaps.isEmpty {
    print(
        String(
            format: "burst to 6 answering signs, per-sign round trip (ms): median %.2f  p90 %.2f  max %.2f",
            gaps[gaps.count / 2], gaps[min(gaps.count - 1, gaps.count * 9 / 10)], gaps.last!))
    print(
        String(
            format: "floor on a real bus at %d baud (ms): frame %.2f + ACK %.2f + sign's answer delay 15 = %.2f",
            baud, line, ackLine, line + ackLine + 15))
}
