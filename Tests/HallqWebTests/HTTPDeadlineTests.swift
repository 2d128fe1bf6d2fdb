import Foundation
import HallqClient
import HallqProtocol
import HallqTestKit
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The real hallqd's HTTP listener under clients that hold connections: slow heads and bodies
/// get 408 and a close within their deadlines, one host cannot take the pool, a full pool says
/// 503 at once, and the board is served throughout. 127.0.0.x stand in for the hall's LAN hosts.
@Suite("HTTP: deadlines and connection limits, on the real hallqd", .serialized)
struct HTTPDeadlineTests {
    /// hallqd with [http] on a free port and short deadlines; its port.
    func daemon(_ extra: String = "") throws -> (DaemonHarness, Int) {
        try Self.hallqd(http: "header_timeout_s = 2\nbody_timeout_s = 2\nidle_s = 2\n" + extra)
    }

    /// hallqd with [http] on a free port and `http` in that table; its port.
    static func hallqd(http: String = "") throws -> (DaemonHarness, Int) {
        let port = try freePort()
        let d = try DaemonHarness(
            config: DaemonHarness.demoConfig + "\n[http]\nlisten = \"127.0.0.1:\(port)\"\n" + http)
        try d.start()
        try awaitListener(port)
        return (d, port)
    }

    /// hallqd answers on its admin socket before its HTTP listener is bound: wait for a connect.
    static func awaitListener(_ port: Int) throws {
        guard eventually(20, { (try? RawClient(port: port)) != nil }) else {
            throw HarnessError("nothing listens on port \(port)")
        }
    }

    /// GET /api/board from `source`: the status, and how long the answer took.
    static func board(_ port: Int, from source: String = "127.0.0.1") throws -> (status: Int, ms: Double) {
        let t0 = DispatchTime.now().uptimeNanoseconds
        let c = try RawClient(port: port, from: source)
        try c.send("GET /api/board HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        let text = c.readAll(timeout: 10).text
        let ms = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6
        return (text.split(separator: " ", maxSplits: 2).dropFirst().first.flatMap { Int($0) } ?? 0, ms)
    }

    @Test(
        "512 slow bodies from 16 hosts: each gets 408 and a close within the body deadline; the board is served meanwhile"
    )
    func slowBodies() async throws {
        try await blocking {
            let (d, port) = try daemon()
            var slow: [RawClient] = []
            for host in 0..<16 {
                for _ in 0..<32 {
                    let c = try RawClient(port: port, from: "127.0.1.\(host + 10)")
                    try c.send(
                        "POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"na"
                    )
                    slow.append(c)
                }
            }
            let opened = DispatchTime.now().uptimeNanoseconds
            // While they hold their connections: the board, from the lobby TV's own address.
            var worst = 0.0
            for _ in 0..<5 {
                let b = try Self.board(port)
                #expect(b.status == 200)
                worst = max(worst, b.ms)
            }
            print("board beside 512 slow bodies: slowest of 5 answers \(Int(worst)) ms")
            // Every slow body: 408, then the close, by the deadline (2 s) and a margin for a busy machine.
            var timedOut = 0
            for c in slow {
                let r = c.readAll(timeout: 15)
                if r.closed && r.text.hasPrefix("HTTP/1.1 408") && r.text.contains("TOO-SLOW") { timedOut += 1 }
            }
            let took = Double(DispatchTime.now().uptimeNanoseconds - opened) / 1e9
            #expect(timedOut == 512, "\(timedOut) of 512 slow bodies got 408 and a close (in \(took) s)")
            #expect(took < 15, "closed by the deadline, not left open (\(took) s)")
            #expect(d.stop() == 0)
        }
    }

    @Test("a head that never ends, an idle keep-alive connection: closed by their deadlines")
    func slowHeadAndIdle() async throws {
        try await blocking {
            let (d, port) = try daemon()
            let head = try RawClient(port: port)
            try head.send("GET /api/board HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            let a = head.readAll(timeout: 10)
            #expect(a.closed && a.text.hasPrefix("HTTP/1.1 408"), "\(a.text.prefix(80))")
            // One request answered on a kept-alive connection, then silence: closed after idle_s.
            let idle = try RawClient(port: port)
            try idle.send("GET /api/board HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(idle.readAll(timeout: 10).text.hasPrefix("HTTP/1.1 200"))
            let b = idle.readAll(timeout: 10)
            #expect(b.closed && b.text.isEmpty, "closed without another answer")
            #expect(d.stop() == 0)
        }
    }

    @Test("an HTTP/0.9 request line is answered 400 and closed at once, not after the head deadline")
    func http09() async throws {
        try await blocking {
            // 400 is the check's answer; the head deadline's would be 408.
            let (d, port) = try daemon()
            let c = try RawClient(port: port)
            try c.send("GET /\r\n")
            let r = c.readAll(timeout: 5)
            #expect(r.text.hasPrefix("HTTP/1.1 400") && r.closed, "\(r.text.prefix(80))")
            // A request after blank lines is still a request.
            let ok = try RawClient(port: port)
            try ok.send("\r\n\r\nGET /api/board HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            #expect(ok.readAll(timeout: 5).text.hasPrefix("HTTP/1.1 200"))
            #expect(d.stop() == 0)
        }
    }

    @Test("one host may hold 32 connections: the 33rd gets 503 at once; another host is served")
    func perClient() async throws {
        try await blocking {
            let (d, port) = try daemon("max_per_client = 32")
            var held: [RawClient] = []
            for _ in 0..<32 { held.append(try RawClient(port: port, from: "127.0.2.7")) }
            // The 32 are counted once the server has accepted them: a request on each proves it.
            for c in held { try c.send("GET /api/board HTTP/1.1\r\nHost: x\r\n\r\n") }
            for c in held { #expect(c.readAll(timeout: 10).text.hasPrefix("HTTP/1.1 200")) }
            let extra = try RawClient(port: port, from: "127.0.2.7")
            let r = extra.readAll(timeout: 10)
            #expect(r.text.hasPrefix("HTTP/1.1 503") && r.text.contains("BUSY") && r.closed, "\(r.text.prefix(120))")
            #expect(try Self.board(port, from: "127.0.2.8").status == 200)
            #expect(d.stop() == 0)
        }
    }

    @Test("Expect: 100-continue is answered, then the request")
    func expectContinue() async throws {
        try await blocking {
            let (d, port) = try daemon()
            let c = try RawClient(port: port)
            let body = #"{"name":"nobody","password":"x-y-z-w"}"#
            try c.send(
                "POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nExpect: 100-continue\r\n\r\n"
            )
            // The interim answer has no length: whatever arrives within a second (the body's deadline is 2 s).
            let interim = c.readAll(timeout: 1).text
            #expect(interim.hasPrefix("HTTP/1.1 100"), "\(interim.prefix(80))")
            try c.send(body)
            let r = c.readAll(timeout: 10).text
            #expect(r.contains("HTTP/1.1 401"), "\(r.prefix(200))")
            #expect(d.stop() == 0)
        }
    }
}

/// Event streams have a budget of their own.
@Suite("HTTP: event streams beside requests, on the real hallqd", .serialized)
struct HTTPStreamBudgetTests {
    @Test(
        "2,000 phones following their tickets: the phones' share fills, the rest poll; the board still loads and streams"
    )
    func phonesDoNotCrowdOutTheBoard() async throws {
        try await blocking {
            // This process holds 2,000 connections too.
            var limit = rlimit()
            getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
            limit.rlim_cur = max(limit.rlim_cur, min(limit.rlim_max, 8192))
            setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
            let (d, port) = try HTTPDeadlineTests.hallqd()
            var phones: [RawClient] = []
            var refused = 0
            for i in 0..<2000 {
                let c = try RawClient(port: port, from: "127.0.\(3 + i / 250).\(1 + i % 250)")
                try c.send("GET /api/events?viewer=phone HTTP/1.1\r\nHost: x\r\n\r\n")
                let head = c.readHead(timeout: 10)
                if head.hasPrefix("HTTP/1.1 200") && head.contains("text/event-stream") {
                    phones.append(c)
                } else if head.hasPrefix("HTTP/1.1 503") {
                    refused += 1
                }
            }
            #expect(phones.count == 2000 - 64 && refused == 64, "streaming \(phones.count), refused \(refused)")
            // The board: its page loads, and its stream gets one of the reserved places.
            var worst = 0.0
            for _ in 0..<5 {
                let b = try HTTPDeadlineTests.board(port)
                #expect(b.status == 200)
                worst = max(worst, b.ms)
            }
            print("board beside \(phones.count) phone streams: slowest of 5 answers \(Int(worst)) ms")
            let board = try RawClient(port: port)
            try board.send("GET /api/events HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(board.readHead(timeout: 10).hasPrefix("HTTP/1.1 200"), "the board's own stream")
            #expect(d.stop() == 0)
        }
    }

    @Test("a stream reader that stops reading is dropped after a bounded backlog, not after megabytes")
    func stalledReaderDropped() async throws {
        try await blocking {
            let (d, port) = try HTTPDeadlineTests.hallqd()
            let stalled = try RawClient(port: port, receiveBuffer: 16 * 1024)
            try stalled.send("GET /api/events HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(stalled.readHead(timeout: 10).hasPrefix("HTTP/1.1 200"))
            // It reads nothing more while the hall issues 3,000 tickets (each a few events).
            let kiosk = try d.client(.kiosk)
            for _ in 0..<3000 { _ = try kiosk.request(["op": "take", "service": "A"]) }
            // Then it reads what it was sent: the stream must have ended (hallqd dropped it) after
            // a bounded amount, not megabytes.
            let r = stalled.readAll(timeout: 10)
            let (dropped, bytes) = (r.closed, r.text.utf8.count)
            #expect(dropped, "the stalled stream was dropped (\(bytes) bytes read)")
            #expect(bytes < 1_000_000, "\(bytes) bytes before the drop")
            print("stalled stream: \(bytes) bytes before hallqd dropped it")
            #expect(try HTTPDeadlineTests.board(port).status == 200)
            #expect(d.stop() == 0)
        }
    }

    @Test("with an open-file limit of 1,024 hallqd cannot raise, surplus clients get 503 at once, none is left waiting")
    func lowOpenFileLimit() async throws {
        try await blocking {
            let port = try freePort()
            let d = try DaemonHarness(
                config: DaemonHarness.demoConfig + "\n[http]\nlisten = \"127.0.0.1:\(port)\"\n")
            try d.start(launcher: ["/usr/bin/prlimit", "--nofile=1024:1024"])
            try HTTPDeadlineTests.awaitListener(port)
            #expect(d.log.contains("open-file limit leaves room for fewer connections"))
            // 300 clients from 10 hosts, each asking for the board and keeping its connection.
            var held: [RawClient] = []
            var answered = 0
            var busy = 0
            for i in 0..<300 {
                let c = try RawClient(port: port, from: "127.0.6.\(1 + i % 10)")
                try c.send("GET /api/board HTTP/1.1\r\nHost: x\r\n\r\n")
                let head = c.readHead(timeout: 5)
                if head.hasPrefix("HTTP/1.1 200") { answered += 1 } else if head.hasPrefix("HTTP/1.1 503") { busy += 1 }
                held.append(c)
            }
            #expect(answered + busy == 300, "every client got an answer: \(answered) served, \(busy) busy")
            #expect(answered > 0 && busy > 0)
            held.removeAll()
            // The socket side is untouched by it.
            #expect(try d.ask(.kiosk, ["op": "take", "service": "A"]).ok)
            #expect(d.stop() == 0)
        }
    }
}
