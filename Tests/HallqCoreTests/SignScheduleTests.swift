import Testing

@testable import HallqCore

/// The sign bus's scheduling rules on a made-up clock: microseconds, no port, no thread.
@Suite("Sign schedule")
struct SignScheduleTests {
    let idle = SignContent(lines: ["受理：资质认定"], effect: .scroll)
    func call(_ label: String) -> SignContent { SignContent(lines: ["请\(label)号到1号窗口"], effect: .flash) }
    let serving = SignContent(lines: ["正在办理 A001"], effect: .hold)

    /// Everything due now, in order, each reported sent at `now`.
    func drain(_ s: inout SignSchedule, now: Double) -> [Int] {
        var out: [Int] = []
        while case let .send(a, _) = s.next(now: now) {
            out.append(a)
            s.sent(address: a, at: now)
        }
        return out
    }

    @Test("a fresh call goes before idle texts queued earlier")
    func freshCallFirst() {
        var s = SignSchedule(refresh: 60)
        s.want(idle, address: 1)
        s.want(idle, address: 2)
        s.want(call("A001"), address: 3)
        #expect(drain(&s, now: 0) == [3, 1, 2])
    }

    @Test("only the latest content of a sign is sent: a burst is one frame")
    func latestWins() {
        var s = SignSchedule(refresh: 60)
        s.want(call("A001"), address: 1)
        s.want(serving, address: 1)
        s.want(call("A002"), address: 1)
        #expect(s.next(now: 0) == .send(address: 1, content: call("A002")))
        s.sent(address: 1, at: 0)
        #expect(s.next(now: 0) == .wait(until: 60))
        let changed = s.want(call("A002"), address: 1)
        #expect(!changed, "the same content again is no news")
        #expect(s.next(now: 1) == .wait(until: 60))
    }

    @Test("every sign is sent again after refresh seconds, the one written longest ago first")
    func refreshOldest() {
        var s = SignSchedule(refresh: 60)
        #expect(s.next(now: 0) == .wait(until: nil), "nothing to show, nothing due")
        s.want(idle, address: 1)
        s.want(idle, address: 2)
        #expect(s.next(now: 0) == .send(address: 1, content: idle))
        s.sent(address: 1, at: 0)
        #expect(s.next(now: 5) == .send(address: 2, content: idle))
        s.sent(address: 2, at: 5)
        #expect(s.next(now: 59.9) == .wait(until: 60))
        #expect(s.next(now: 60) == .send(address: 1, content: idle))
        s.sent(address: 1, at: 60)
        #expect(s.next(now: 61) == .wait(until: 65))
        #expect(s.next(now: 65) == .send(address: 2, content: idle))
    }

    @Test("a failed write goes first when the bus is back; a reconnect re-sends every sign")
    func requeueAndResend() {
        var s = SignSchedule(refresh: 60)
        s.want(idle, address: 1)
        s.want(idle, address: 2)
        #expect(drain(&s, now: 0) == [1, 2])
        s.want(serving, address: 2)
        s.want(idle, address: 3)
        guard case .send(2, _) = s.next(now: 1) else {
            Issue.record("2 should be next")
            return
        }
        s.failed(address: 2)
        s.resendAll()
        #expect(drain(&s, now: 2) == [2, 3, 1], "the failed one first, then the others by address")
        #expect(s.next(now: 2) == .wait(until: 62))
    }

    @Test("a fresh call for a sign already waiting in the routine line moves it to the front")
    func callOvertakesRoutine() {
        var s = SignSchedule(refresh: 60)
        s.want(idle, address: 1)
        s.want(idle, address: 2)
        s.want(call("A003"), address: 2)
        #expect(s.next(now: 0) == .send(address: 2, content: call("A003")))
        #expect(s.next(now: 0) == .send(address: 1, content: idle))
        #expect(s.next(now: 0) == .wait(until: nil), "a sign is queued once")
    }
}
