import Foundation
import GRDB
import HallqClient
import HallqProtocol
import HallqTestKit
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// What a hostile or careless environment did to hallqd, reproduced against the real binary.
@Suite("hardening: hostile input and careless clients", .serialized, .onDaemonThreads)
struct HostileInputTests {
    @Test("Int.min and friends in every integer field are BAD-REQUEST on clerk.sock and admin.sock; hallqd lives")
    func hostileIntegers() throws {
        let d = try DaemonHarness()
        try d.start()
        let values = [
            "-9223372036854775808", "9223372036854775807", "2147483648", "-2147483649", "0", "-1",
            "99999999999999999999999999999999",
        ]
        let lines = [
            #"{"op":"call","window":V}"#, #"{"op":"rate","window":1,"score":V}"#,
            #"{"op":"transfer","window":1,"to_window":V}"#,
            #"{"op":"signin","window":V,"clerk":"x"}"#, #"{"op":"pause","window":V}"#, #"{"op":"recall","window":V}"#,
            #"{"op":"finish","window":V}"#, #"{"op":"resume","window":V}"#, #"{"op":"noshow","window":V}"#,
        ]
        for role in [Role.clerk, .admin] {
            let c = try d.client(role)
            for l in lines {
                for v in values {
                    try c.sendRaw(Array((l.replacingOccurrences(of: "V", with: v) + "\n").utf8))
                    let reply = try #require(try c.readLine().flatMap { JSONValue.parse(Array($0.utf8)) })
                    if reply["ok"] == false {
                        #expect(
                            [
                                "BAD-REQUEST", "UNKNOWN-WINDOW", "NOT-SIGNED-IN", "QUEUE-EMPTY", "NOTHING-TO-DO",
                                "WINDOW-PAUSED",
                                "NOT-SERVING", "NO-TICKET", "RATING-EXPIRED", "BAD-SCORE",
                            ].contains(reply["error"]?.stringValue ?? ""),
                            "\(l) \(v): \(reply.text)")
                    }
                }
            }
        }
        #expect(d.process?.isRunning == true)
        #expect(try d.ask(.kiosk, ["op": "status"]).ok)
        #expect(d.stop() == 0)
    }

    @Test("deep nesting is refused at once from every socket; duplicate keys are BAD-REQUEST")
    func nestingAndDuplicates() throws {
        let d = try DaemonHarness()
        try d.start()
        let deep =
            #"{"op":"status","x":"# + String(repeating: "[", count: 511) + String(repeating: "]", count: 511) + "}\n"
        for role in Role.sockets {
            let c = try d.client(role)
            for _ in 0..<20 {
                try c.sendRaw(Array(deep.utf8))
                let r = try #require(try c.readLine().flatMap { JSONValue.parse(Array($0.utf8)) })
                #expect(
                    r["error"] == "BAD-REQUEST" && r["message"]?.stringValue?.contains("deeper than 16") == true,
                    "\(r.text)")
            }
            try c.sendRaw(Array(#"{"op":"status","op":"reload"}"#.utf8) + [0x0A])
            #expect(try c.readLine()?.contains("appears twice") == true)
        }
        #expect(try d.ask(.admin, ["op": "status"]).ok)
        #expect(d.stop() == 0)
    }

    @Test("a client that half-closes after writing gets every answer: socat one-liners and shutdown(SHUT_WR)")
    func halfClose() throws {
        let d = try DaemonHarness()
        try d.start()
        // The README's one-liner, through the real socat.
        func socat(_ role: Role, _ input: String) throws -> [JSONValue] {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/socat")
            p.arguments = ["-t", "5", "-", "UNIX-CONNECT:\(d.path(role))"]
            let inPipe = Pipe()
            let outPipe = Pipe()
            p.standardInput = inPipe
            p.standardOutput = outPipe
            try p.runSerially()
            try inPipe.fileHandleForWriting.write(contentsOf: Data(input.utf8))
            try inPipe.fileHandleForWriting.close()
            let out = outPipe.fileHandleForReading.readDataToEndOfFile()
            try p.finish()
            return String(decoding: out, as: UTF8.self).split(separator: "\n").compactMap {
                JSONValue.parse(Array($0.utf8))
            }
        }
        let status = try socat(.admin, #"{"id":1,"op":"status"}"# + "\n")
        #expect(status.count == 2 && status.first?["type"] == "hello", "\(status)")
        #expect(status.last?["id"] == 1 && status.last?["ok"] == true)
        let takes = try socat(
            .kiosk, (1...10).map { #"{"id":\#($0),"op":"take","service":"A"}"# }.joined(separator: "\n") + "\n")
        #expect(
            takes.dropFirst().map { $0["id"] } == (1...10).map { JSONValue.int(Int64($0)) },
            "every take answered, in order")
        #expect(takes.dropFirst().allSatisfy { $0["ok"] == true })

        // A raw socket: five requests, shutdown(SHUT_WR), five answers, then the end of stream.
        let c = try d.client(.admin)
        for i in 1...5 { try c.send(["id": .int(Int64(i)), "op": "services"]) }
        c.finishSending()
        var ids: [JSONValue?] = []
        while let line = try c.readLine() { ids.append(JSONValue.parse(Array(line.utf8))?["id"]) }
        #expect(ids == (1...5).map { JSONValue.int(Int64($0)) })
        #expect(d.stop() == 0)
    }

    @Test(
        "every reply owed goes out before a close: 3,000 pipelined requests, a half-close or TOO-LONG, a slow reader",
        arguments: ["half-close", "too-long"])
    func repliesFlushedBeforeClose(ending: String) throws {
        let d = try DaemonHarness()
        try d.start()
        for _ in 0..<20 { _ = try d.ask(.kiosk, ["op": "take", "service": "A"]) }
        let c = try d.client(.kiosk)
        let n = 3000
        var bytes = Array((1...n).map { #"{"id":\#($0),"op":"status"}"# }.joined(separator: "\n").utf8) + [0x0A]
        if ending == "too-long" { bytes += [UInt8](repeating: 0x20, count: 70_000) + [0x0A] }
        // The sender blocks while hallqd waits for this client to read its replies: a thread of
        // its own, which ends the sending side when it is done.
        let payload = bytes
        let sender = Thread {
            try? c.sendRaw(payload)
            if ending == "half-close" { c.finishSending() }
        }
        sender.start()
        // Both cores busy (where the replies were lost) and a slow reader that keeps the
        // socket's buffer full, so replies are still queued in hallqd when it reads the end of
        // the requests (or the over-long line) and closes.
        let busy = Locked(true)
        for _ in 0..<2 { Thread { while busy.with({ $0 }) {} }.start() }
        defer { busy.with { $0 = false } }
        usleep(300_000)
        var ids = Set<Int64>()
        var tooLong = false
        var lines = 0
        while let line = try c.readLine() {
            lines += 1
            // About 2 lines a millisecond: slower than hallqd answers `status`.
            if lines % 2 == 0 { usleep(1_000) }
            guard let v = JSONValue.parse(Array(line.utf8)) else { continue }
            if case let .int(id)? = v["id"], v["ok"] == true { ids.insert(id) }
            if v["error"] == "TOO-LONG" { tooLong = true }
        }
        #expect(ids.count == n, "\(n - ids.count) of \(n) replies missing (\(ending))")
        #expect(tooLong == (ending == "too-long"))
        #expect(d.stop() == 0)
    }

    @Test("SIGTERM under pipelined load: every committed take was answered, every answered take is on disk")
    func drainOnTerm() throws {
        let d = try DaemonHarness()
        try d.start()
        let clients = 4
        let perClient = 100
        let answered = Locked([String: String]())  // key → label
        let group = DispatchGroup()
        let ready = DispatchSemaphore(value: 0)
        for n in 0..<clients {
            let c = try d.client(.kiosk)
            DispatchQueue.global().async(group: group) {
                let batch =
                    (0..<perClient).map { #"{"op":"take","service":"A","key":"c\#(n)-\#($0)"}"# }.joined(
                        separator: "\n") + "\n"
                try? c.sendRaw(Array(batch.utf8))
                ready.signal()
                // One connection answers its lines in order: the i-th reply is for key c<n>-<i>.
                var i = 0
                while let line = try? c.readLine(), let r = JSONValue.parse(Array(line.utf8)) {
                    if r["ok"] == true, let label = r["ticket"]?["label"]?.stringValue {
                        answered.with { $0["c\(n)-\(i)"] = label }
                    }
                    i += 1
                }
            }
        }
        for _ in 0..<clients { ready.wait() }
        // Stop while the load is under way: some takes answered, many still to come.
        #expect(eventually { answered.with { !$0.isEmpty } })
        #expect(d.stop() == 0)
        group.wait()
        let db = try DatabaseQueue(path: d.stateDir.appendingPathComponent("hallq.sqlite").path)
        let stored = try db.read { try Row.fetchAll($0, sql: "SELECT key, label FROM tickets WHERE key IS NOT NULL") }
        let onDisk = Dictionary(uniqueKeysWithValues: stored.map { ($0["key"] as String, $0["label"] as String) })
        let got = answered.with { $0 }
        #expect(!onDisk.isEmpty)
        #expect(
            Set(onDisk.keys).subtracting(got.keys).isEmpty,
            "committed but never answered: \(Set(onDisk.keys).subtracting(got.keys).count)")
        for (k, label) in got {
            #expect(onDisk[k] == label, "answered \(k) → \(label), on disk \(onDisk[k] ?? "nothing")")
        }
    }
}

/// Clients that hold slots, never read, or take too fast.
@Suite("hardening: slow and greedy clients", .serialized, .onDaemonThreads)
struct GreedyClientTests {
    @Test("a line that never ends is TOO-SLOW; a full socket lets its longest-idle connection go for a new kiosk")
    func slowLoris() throws {
        // 5 s: long enough that opening 256 connections on a loaded machine does not outlast it.
        let d = try DaemonHarness(
            config: DaemonHarness.demoConfig + "\n[limits]\nline_timeout_s = 5\ntake_burst = 1000\n")
        try d.start()
        // 256 connections that each start a line and never finish it: every slot taken.
        var slow: [LineClient] = []
        for _ in 0..<256 {
            let c = try d.client(.kiosk)
            try c.sendRaw(Array(#"{"op":"#.utf8))
            slow.append(c)
        }
        // A real kiosk still gets in (the idlest slow one gives way) and is served.
        let kiosk = try d.client(.kiosk)
        #expect(try kiosk.request(["op": "take", "service": "A"]).ok)
        #expect(try slow[0].readLine()?.contains("IDLE-CLOSED") == true, "the oldest idle connection made room")
        // And every unfinished line ends in TOO-SLOW and a close once its time is up.
        let last = try #require(try slow[255].readLine())
        #expect(last.contains("TOO-SLOW"), "\(last)")
        #expect(try slow[255].readLine() == nil, "closed")
        #expect(try kiosk.request(["op": "status"]).ok, "a client that completes its lines is not touched")
        #expect(d.stop() == 0)
    }

    @Test("a connection flood on a full socket never evicts a client that is asking: a status monitor every 100 ms")
    func floodSparesActiveClients() throws {
        let d = try DaemonHarness()
        try d.start()
        let monitor = try d.client(.kiosk)
        let running = Locked(true)
        let answers = Locked((ok: 0, other: [String]()))
        let finished = DispatchSemaphore(value: 0)
        let t = Thread {
            defer { finished.signal() }
            while running.with({ $0 }) {
                let r = try? monitor.request(["op": "status"])
                answers.with { a in
                    if r?.ok == true { a.ok += 1 } else { a.other.append(r?.text ?? "closed") }
                }
                usleep(100_000)
            }
        }
        t.start()
        // 8 threads open 800 connections that never ask anything, as fast as they can: the
        // socket fills, then each newcomer makes an idle one go (or is told BUSY), never the
        // monitor, although new connections arrive faster than it asks.
        let flood = Locked([LineClient]())
        let group = DispatchGroup()
        for _ in 0..<8 {
            group.enter()
            Thread {
                defer { group.leave() }
                for _ in 0..<100 {
                    if let c = try? LineClient(path: d.path(.kiosk), timeout: 10) { flood.with { $0.append(c) } }
                }
            }.start()
        }
        group.wait()
        running.with { $0 = false }
        #expect(finished.wait(timeout: .now() + 20) == .success)
        let a = answers.with { $0 }
        #expect(a.other.isEmpty, "the monitor was refused or cut: \(a.other.prefix(3))")
        #expect(a.ok > 0)
        #expect(try monitor.request(["op": "status"]).ok, "the monitor is still connected")
        #expect(d.stop() == 0)
    }

    @Test("hallqd raises its open-file limit to the hard limit: 768 socket and 512 HTTP connections fit")
    func openFileLimit() throws {
        let d = try DaemonHarness()
        try d.start()
        let pid = try #require(d.process?.processIdentifier)
        let limits = try String(contentsOfFile: "/proc/\(pid)/limits", encoding: .utf8)
        let row = try #require(limits.split(separator: "\n").first { $0.hasPrefix("Max open files") })
        let numbers = row.split(separator: " ").compactMap { Int($0) }
        #expect(numbers.count == 2)
        var mine = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &mine)
        #expect(numbers.first == min(Int(mine.rlim_max), 65536), "\(row)")
        #expect(d.stop() == 0)
    }

    @Test("one client looping take cannot spend a service's limit for the other kiosks; a reconnecting script waits")
    func fairTakes() throws {
        let d = try DaemonHarness(
            config: DaemonHarness.demoConfig
                + "\n[limits]\ntake_burst = 10000\ntake_per_min_connection = 100000\ntake_per_min_service = 60\n")
        try d.start()
        let kiosk = try d.client(.kiosk)
        #expect(try kiosk.request(["op": "take", "service": "A"]).ok, "the real kiosk's first ticket")
        // The flood: one connection taking as fast as it can, for the whole test.
        let flooding = Locked(true)
        let flood = Locked((ok: 0, limited: 0))
        let done = DispatchSemaphore(value: 0)
        let flooder = try d.client(.kiosk)
        Thread {
            defer { done.signal() }
            while flooding.with({ $0 }) {
                let r = try? flooder.request(["op": "take", "service": "A"])
                flood.with { if r?.ok == true { $0.ok += 1 } else { $0.limited += 1 } }
            }
        }.start()
        #expect(eventually { flood.with { $0.limited } > 0 }, "the flood empties the service's bucket")
        // The real kiosk, a ticket every half second for 10 s: every one is issued.
        var issued = 0
        for _ in 0..<20 {
            if try kiosk.request(["op": "take", "service": "A"]).ok { issued += 1 }
            usleep(500_000)
        }
        // A script that reconnects for each take has no share: it waits for the bucket.
        let newcomer = try d.client(.kiosk).request(["op": "take", "service": "A"])
        flooding.with { $0 = false }
        done.wait()
        #expect(issued == 20, "the real kiosk got \(issued) of 20")
        #expect(newcomer["error"] == "RATE-LIMITED", "\(newcomer.text)")
        let f = flood.with { $0 }
        #expect(f.ok <= 60 + 12 + 30, "the flood got \(f.ok): the bucket, its refill, at most its share")
        #expect(d.stop() == 0)
    }

    @Test("take is bounded per connection and per service with RATE-LIMITED; other connections and services go on")
    func takeRate() throws {
        let d = try DaemonHarness(
            config: DaemonHarness.demoConfig
                + "\n[limits]\ntake_burst = 5\ntake_per_min_connection = 6\ntake_per_min_service = 8\n")
        try d.start()
        let one = try d.client(.kiosk)
        let first = try (0..<6).map { _ in try one.request(["op": "take", "service": "A"]) }
        #expect(first.prefix(5).allSatisfy { $0.ok })
        #expect(first[5]["error"] == "RATE-LIMITED", "\(first[5].text)")
        let two = try d.client(.kiosk)
        let more = try (0..<5).map { _ in try two.request(["op": "take", "service": "A"]) }
        #expect(more.prefix(3).allSatisfy { $0.ok }, "the service still has 3 of its 8")
        #expect(more[3].ok, "the bucket is empty, but this connection has had 3 of its fair share of 4")
        #expect(
            more[4]["error"] == "RATE-LIMITED" && more[4]["message"]?.stringValue?.contains("service A") == true,
            "\(more[4].text)")
        #expect(try d.client(.kiosk).request(["op": "take", "service": "B"]).ok, "another service is not held up")
        #expect(d.stop() == 0)
    }
}

/// Where the password checks run in the real hallqd.
@Suite("hardening: password checks below the queue", .onDaemonThreads)
struct PasswordPriorityTests {
    @Test("bcrypt runs on two threads of its own at nice 10; every other thread of hallqd below that")
    func passwordThreadsNiced() throws {
        let d = try DaemonHarness()
        try d.start()
        // A hash: the password threads exist from the first one on.
        #expect(
            try d.ask(.admin, ["op": "useradd", "name": "li", "role": "clerk", "password": "change-me-1"]).ok)
        let pid = try #require(d.process?.processIdentifier)
        /// Each thread's name and nice value, from /proc.
        func threads() -> [(comm: String, nice: Int)] {
            let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
            return tasks.compactMap { task in
                let comm = (try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/comm", encoding: .utf8)) ?? ""
                guard let stat = try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/stat", encoding: .utf8),
                    let close = stat.lastIndex(of: ")")
                else { return nil }
                // Fields after the command: state is field 3, nice field 19.
                let fields = stat[stat.index(after: close)...].split(separator: " ")
                guard fields.count > 16, let nice = Int(fields[16]) else { return nil }
                return (comm.trimmingCharacters(in: .whitespacesAndNewlines), nice)
            }
        }
        // The second password thread may still be starting when the first hash is done.
        var seen: [(comm: String, nice: Int)] = []
        let settled = eventually {
            seen = threads()
            return seen.filter { $0.comm == "hallq-password" && $0.nice == 10 }.count == 2
        }
        #expect(settled, "password threads: \(seen.filter { $0.comm == "hallq-password" })")
        let others = seen.filter { $0.comm != "hallq-password" }.map(\.nice)
        // (libdispatch gives its QoS classes nice values of their own, 0 and below.)
        #expect(!others.isEmpty && others.allSatisfy { $0 < 10 }, "the other threads' nice values: \(others)")
        #expect(d.stop() == 0)
    }
}
