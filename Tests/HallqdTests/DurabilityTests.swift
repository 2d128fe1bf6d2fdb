import Foundation
import HallqClient
import HallqProtocol
import HallqStore
import HallqTestKit
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// "Acknowledged means on disk": a take's reply may leave hallqd only after the WAL frames that
/// hold it were `fdatasync`ed. kill -9 cannot show a missing sync (the page cache survives a
/// killed process), so the real hallqd runs under strace and the test reads the order of its
/// system calls: the request read from the kiosk socket, the WAL writes, the WAL sync, the reply.
/// (A sync of the WAL covers every frame written to it before the sync began.)
@Suite("durability: acknowledged means synced", .serialized, .onDaemonThreads)
struct DurabilityTests {
    @Test("the writer runs with synchronous = FULL, read back after GRDB's own WAL set-up")
    func writerReportsFull() throws {
        let dir = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("hq-sync-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let full = try HallStore(path: dir.appendingPathComponent("full.sqlite").path)
        #expect(try full.writerSynchronous() == 2)
        // The benchmarks' comparison row really is NORMAL: the option is not ignored either way.
        let normal = try HallStore(path: dir.appendingPathComponent("normal.sqlite").path, synchronous: .normal)
        #expect(try normal.writerSynchronous() == 1)
    }

    @Test("every acknowledged take's WAL frames are fdatasync'ed before its reply is written (hallqd under strace)")
    func takesSyncedBeforeReply() throws {
        let d = try DaemonHarness()
        let trace = d.root.appendingPathComponent("strace.txt").path
        try d.start(launcher: [
            "/usr/bin/strace", "-f", "-qq", "-yy", "-s", "96", "-o", trace,
            "-e", "trace=read,readv,recvfrom,recvmsg,write,writev,sendto,sendmsg,pwrite64,pwritev,fdatasync,fsync",
        ])
        let takes = 40
        let kiosk = try d.client(.kiosk)
        var acknowledged = 0
        for i in 1...takes {
            // The id first, so that strace's shortened copy of the bytes still names the request.
            try kiosk.sendRaw(Array("{\"id\":\(9000 + i),\"op\":\"take\",\"service\":\"A\"}\n".utf8))
            let reply = JSONValue.parse(Array((try kiosk.readLine() ?? "").utf8))
            if reply?["ok"]?.boolValue == true { acknowledged += 1 }
        }
        #expect(acknowledged == takes)
        // strace run with a command blocks SIGTERM for itself (-o FILE PROGRAM): hallqd, its
        // child, is the one to stop; strace then exits with hallqd's status.
        let tracer = try #require(d.process?.processIdentifier)
        let children = try String(contentsOfFile: "/proc/\(tracer)/task/\(tracer)/children", encoding: .utf8)
        let hallqd = try #require(children.split(separator: " ").first.flatMap { Int32($0) })
        kill(hallqd, SIGTERM)
        #expect(d.stop() == 0)

        let text = try String(contentsOfFile: trace, encoding: .utf8)
        let steps = StraceOrder.parse(text)
        let verdicts = StraceOrder.acknowledgements(steps, ids: (1...takes).map { 9000 + $0 })
        let mentions = text.split(separator: "\n").filter { $0.contains("9001") }.prefix(4).joined(separator: "\n")
        #expect(
            verdicts.count == takes,
            "replies found in the trace: \(verdicts.count) of \(takes); \(steps.count) steps; lines naming 9001:\n\(mentions)"
        )
        let unsynced = verdicts.filter { $0.writer == nil || !$0.synced }
        #expect(
            unsynced.count == 0,
            "\(unsynced.count) of \(verdicts.count) takes were acknowledged before their WAL frames were synced: ids \(unsynced.prefix(10).map(\.id))"
        )
    }
}

/// strace -f -yy output as the ordered steps the durability test needs. A call interrupted by
/// another thread's appears as "<unfinished ...>" and "<... name resumed>"; a step counts where
/// it completed (a sync) or where it began (a read or write's bytes are known at its start).
enum StraceOrder {
    enum Step: Equatable {
        /// A request's bytes read from a socket (its text, as strace shortened it).
        case socketRead(String)
        /// A reply's bytes written to a socket.
        case socketWrite(String)
        /// A write or a completed sync of the WAL, by the thread `tid`.
        case walWrite(tid: String)
        case walSyncDone(tid: String)
    }

    static func parse(_ text: String) -> [Step] {
        var steps: [Step] = []
        // pid → the call it began and did not finish, with its first line.
        var pending: [String: String] = [:]
        for raw in text.split(separator: "\n") {
            let line = String(raw)
            let parts = line.split(separator: " ", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let pid = String(parts[0])
            // strace pads the pid to five columns: "5121  read(…" has two spaces.
            var call = String(parts[1].drop(while: { $0 == " " }))
            if call.hasSuffix("<unfinished ...>") {
                pending[pid] = call
                // A write's bytes are known now; a sync's completion is not.
                if let s = step(call, tid: pid, completed: false) { steps.append(s) }
                continue
            }
            if call.hasPrefix("<... ") {
                guard let begun = pending.removeValue(forKey: pid) else { continue }
                // Only a sync counts at its completion; reads and writes counted at the start.
                if begun.hasPrefix("fdatasync(") || begun.hasPrefix("fsync(") {
                    call = begun.replacingOccurrences(of: "<unfinished ...>", with: "") + call
                    if let s = step(call, tid: pid, completed: true) { steps.append(s) }
                } else if begun.hasPrefix("read") || begun.hasPrefix("recv") {
                    // A read's bytes are printed when it returns.
                    let returned = call.replacingOccurrences(of: "<... ", with: "")
                    if let s = step(returned, tid: pid, completed: true, readOf: begun) {
                        steps.append(s)
                    }
                }
                continue
            }
            if let s = step(call, tid: pid, completed: true) { steps.append(s) }
        }
        return steps
    }

    private static func step(_ call: String, tid: String, completed: Bool, readOf begun: String? = nil) -> Step? {
        let head = begun ?? call
        let onWAL = head.contains("hallq.sqlite-wal>")
        // Not a file of the state directory: a socket. (-yy names it UNIX-STREAM with its path,
        // but under load strace may fail to look a socket up and print socket:[inode]; the
        // request and reply texts say which they are.)
        let onSocket = !head.contains("</tmp") && !head.contains("<pipe") && !head.contains("<anon_inode")
        if head.hasPrefix("pwrite64(") || head.hasPrefix("pwritev(") {
            return onWAL ? .walWrite(tid: tid) : nil
        }
        if head.hasPrefix("fdatasync(") || head.hasPrefix("fsync(") {
            return onWAL && completed && call.contains("= 0") ? .walSyncDone(tid: tid) : nil
        }
        if onSocket && ["write(", "writev(", "sendto(", "sendmsg("].contains(where: head.hasPrefix) {
            return .socketWrite(call)
        }
        if onSocket && completed && ["read(", "readv(", "recvfrom(", "recvmsg("].contains(where: head.hasPrefix) {
            return .socketRead(call)
        }
        return nil
    }

    struct Verdict {
        var id: Int
        /// The thread that wrote the request's first WAL frame: SQLite writes a transaction's
        /// frames and (under FULL) syncs them in one call on one thread, so that thread's next
        /// completed WAL sync is the one that covers this transaction.
        var writer: String? = nil
        var synced = false
    }

    /// For each request id: between the read that brought `{"id":N,` and the write that answered
    /// `{"id":N,"ok":true`, did the thread that wrote its WAL frames complete a WAL sync? (Other
    /// commits, such as the printer's status after a take, may write the WAL in that interval
    /// too; their frames are not this request's.)
    static func acknowledgements(_ steps: [Step], ids: [Int]) -> [Verdict] {
        var verdicts: [Verdict] = []
        var open: [Int: Verdict] = [:]
        for s in steps {
            switch s {
            case .socketRead(let text):
                for id in ids where text.contains("{\\\"id\\\":\(id),") { open[id] = Verdict(id: id) }
            case .walWrite(let tid):
                for id in open.keys where open[id]!.writer == nil { open[id]!.writer = tid }
            case .walSyncDone(let tid):
                for id in open.keys where open[id]!.writer == tid { open[id]!.synced = true }
            case .socketWrite(let text):
                for id in ids where text.contains("{\\\"id\\\":\(id),\\\"ok\\\":true") {
                    if let v = open.removeValue(forKey: id) { verdicts.append(v) }
                }
            }
        }
        return verdicts
    }
}
