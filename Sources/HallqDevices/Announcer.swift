import CALSA
import Foundation
import HallqCore
import HallqVoice
import Logging

/// One call to be said: which ticket at which window, the words, and when it was asked for.
public struct Announcement: Sendable {
    public var ticket: Ticket
    public var window: Int
    public var recall: Bool
    public var phrase: [String]
    /// Monotonic nanoseconds when the call was committed.
    public var queuedNs: UInt64

    public init(
        ticket: Ticket, window: Int, recall: Bool, phrase: [String],
        queuedNs: UInt64 = DispatchTime.now().uptimeNanoseconds
    ) {
        self.ticket = ticket
        self.window = window
        self.recall = recall
        self.phrase = phrase
        self.queuedNs = queuedNs
    }
}

/// Says calls through one ALSA device, strictly one after another in the order they were made.
///
/// Its own thread takes the oldest announcement, asks `isCurrent` (a call superseded meanwhile
/// by another call, a no-show or a transfer is dropped, not said late), renders it and writes it,
/// pacing itself on the sample clock: an announcement takes as long as it sounds whether or not
/// a card is there (ALSA's `file:` and `null` devices do not pace). When more than `maxBacklog`
/// seconds of audio wait, queued announcements are said once instead of `repeats` times. A
/// device that cannot be opened makes the announcer degraded; it is tried again for the next
/// announcement, so voice comes back by itself. `call` never waits for any of this.
public final class AlsaAnnouncer: @unchecked Sendable {
    /// How an announcement went, once it has been said or dropped: the delay from the call to its
    /// start, how many times it was said (0 when dropped), and why it was dropped.
    public typealias Report =
        @Sendable (_ a: Announcement, _ delayMs: Int64, _ repeats: Int, _ dropped: String?) -> Void

    let device: String
    let pack: Result<ClipPack, Wave.Failure>
    let repeats: Int
    let volume: Double
    let maxBacklog: Double
    let isCurrent: @Sendable (Announcement) -> Bool
    let report: Report
    let logger: Logger

    private let cond = NSCondition()
    private var queue: [Announcement] = []
    private var stopped = false
    private let healthCell: HealthCell

    public init(
        device: String, pack: Result<ClipPack, Wave.Failure>, repeats: Int, volume: Double, maxBacklog: Double,
        isCurrent: @escaping @Sendable (Announcement) -> Bool, report: @escaping Report, logger: Logger
    ) {
        self.device = device
        self.pack = pack
        self.repeats = repeats
        self.volume = volume
        self.maxBacklog = maxBacklog
        self.isCurrent = isCurrent
        self.report = report
        self.logger = logger
        let initial: DeviceHealth =
            switch pack {
            case .success: .ok
            case let .failure(f): .degraded("clip pack: \(f.description)")
            }
        healthCell = HealthCell(
            initial, logger: logger, up: "voice back", down: "voice degraded", metadata: ["device": .string(device)])
        let t = Thread { [unowned self] in self.loop() }
        t.name = "hallq-voice"
        t.start()
    }

    public func announce(_ a: Announcement) {
        cond.lock()
        queue.append(a)
        cond.signal()
        cond.unlock()
    }

    /// A NUL-terminated C message buffer as text.
    static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public func stop() {
        cond.lock()
        stopped = true
        cond.broadcast()
        cond.unlock()
    }

    /// ok, or degraded and why, for `devices`.
    public func health() -> DeviceHealth { healthCell.value }

    private func setHealth(_ h: DeviceHealth) { healthCell.set(h) }

    /// The oldest announcement, and whether the backlog behind it (itself included) is over the limit.
    private func next() -> (Announcement, Bool)? {
        cond.lock()
        defer { cond.unlock() }
        while queue.isEmpty && !stopped { cond.wait() }
        guard !stopped, !queue.isEmpty else { return nil }
        let a = queue.removeFirst()
        guard case let .success(p) = pack else { return (a, false) }
        let waiting = ([a] + queue).reduce(0.0) {
            $0 + Double(Renderer.length($1.phrase, pack: p, repeats: repeats)) / Double(p.rate)
        }
        return (a, waiting > maxBacklog)
    }

    private func loop() {
        var pcm: OpaquePointer?
        defer { if let pcm { hq_pcm_close(pcm) } }
        while let (a, behind) = next() {
            let delay = Int64((DispatchTime.now().uptimeNanoseconds &- a.queuedNs) / 1_000_000)
            guard isCurrent(a) else {
                report(a, delay, 0, "superseded")
                continue
            }
            guard case let .success(p) = pack else {
                report(a, delay, 0, "no clip pack")
                continue
            }
            let missing = p.missing(a.phrase)
            guard missing.isEmpty else {
                setHealth(.degraded("the clip pack lacks \(missing.joined(separator: " "))"))
                report(a, delay, 0, "clips missing")
                continue
            }
            if pcm == nil {
                var err = [CChar](repeating: 0, count: 256)
                pcm = hq_pcm_open(device, UInt32(p.rate), &err, err.count)
                guard pcm != nil else {
                    setHealth(.degraded(Self.text(err)))
                    report(a, delay, 0, "device unavailable")
                    continue
                }
            }
            let times = behind ? 1 : repeats
            let samples = Renderer.render(a.phrase, pack: p, repeats: times, volume: volume)
            if let failure = play(samples, rate: p.rate, on: pcm!) {
                hq_pcm_close(pcm)
                pcm = nil
                setHealth(.degraded(failure))
                report(a, delay, 0, "device failed")
            } else {
                setHealth(.ok)
                report(a, delay, times, nil)
            }
        }
    }

    /// Writes in tenth-of-a-second blocks and sleeps to keep to the sample clock: the next
    /// announcement cannot start before this one has been heard. nil, or why it failed.
    private func play(_ samples: [Int16], rate: Int, on pcm: OpaquePointer) -> String? {
        let start = DispatchTime.now().uptimeNanoseconds
        let block = max(1, rate / 10)
        var offset = 0
        var err = [CChar](repeating: 0, count: 256)
        while offset < samples.count {
            let n = min(block, samples.count - offset)
            let written = samples[offset..<(offset + n)].withUnsafeBufferPointer {
                hq_pcm_write(pcm, $0.baseAddress, UInt(n), &err, err.count)
            }
            if written < 0 { return Self.text(err) }
            offset += n
            let due = start + UInt64(offset) * 1_000_000_000 / UInt64(rate)
            let now = DispatchTime.now().uptimeNanoseconds
            if due > now { usleep(useconds_t((due - now) / 1000)) }
        }
        if hq_pcm_drain(pcm) < 0 { return "ALSA drain failed" }
        return nil
    }
}
