import Foundation
import HallqProtocol
import HallqTestKit
import NIOCore
import NIOHTTP1
import NIOPosix
import Testing

/// A stand-in for the province's 好差评 endpoint (we cannot run theirs): it takes one JSON object
/// per POST, checks the fields of the `zj-offlinereport` profile, keeps what it was sent with the
/// Idempotency-Key, and can be told to fail the next requests.
final class ProvinceReceiver: Sendable {
    struct Received: Sendable {
        var key: String
        var body: String
        var record: [String: JSONValue]
    }
    let received = Locked<[Received]>([])
    /// Problems with what was sent (a missing field, a bad code, a bad time).
    let problems = Locked<[String]>([])
    let failNext = Locked(0)

    var keys: [String] { received.with { $0.map(\.key) } }

    /// One request: its status, or nil to record it (after the failures asked for).
    func answer(key: String?, body: String) -> HTTPResponseStatus {
        if failNext.with({ n in
            defer { n = max(0, n - 1) }
            return n > 0
        }) {
            return .serviceUnavailable
        }
        guard let key, case let .object(o)? = JSONValue.parse(Array(body.utf8)) else {
            problems.with { $0.append("no key or not an object: \(body)") }
            return .badRequest
        }
        check(o, key: key)
        received.with { $0.append(Received(key: key, body: body, record: o)) }
        return .ok
    }

    /// The fields the profile promises, checked against what a province's interface expects.
    func check(_ o: [String: JSONValue], key: String) {
        var bad: [String] = []
        for k in [
            "projectNo", "taskCode", "taskName", "deptCode", "areaCode", "proManager", "pf", "evalDetail",
            "writingEvaluation", "assessTime",
        ]
        where o[k]?.stringValue == nil {
            bad.append("\(k) missing")
        }
        if o["projectNo"]?.stringValue?.isEmpty != false { bad.append("projectNo empty") }
        if o["areaCode"] != "330100" { bad.append("areaCode") }
        if !(1...5).contains(o["satisfaction"]?.intValue ?? 0) { bad.append("satisfaction") }
        if ![1, 2].contains(o["assessNumber"]?.intValue ?? 0) { bad.append("assessNumber") }
        let time = o["assessTime"]?.stringValue ?? ""
        if time.range(of: #"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$"#, options: .regularExpression) == nil {
            bad.append("assessTime \(time)")
        }
        if !key.hasPrefix("330100-01-") { bad.append("key \(key)") }
        if !bad.isEmpty { problems.with { $0.append("\(key): \(bad)") } }
    }

    /// Listens on `port` until the returned channel is closed. Plain SwiftNIO, served on its own
    /// threads: no request waits for the test's cooperative threads, which a loaded run keeps
    /// busy (a Hummingbird app starting there missed its 20 s once in a clean-clone run).
    func start(port: Int) async throws -> any Channel {
        try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Handler(self))
                }
            }
            .bind(host: "127.0.0.1", port: port).get()
    }

    final class Handler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let receiver: ProvinceReceiver
        var key: String?
        var body = ""
        init(_ r: ProvinceReceiver) { receiver = r }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case let .head(h):
                key = h.headers["Idempotency-Key"].first
                body = ""
            case let .body(b): body += String(buffer: b)
            case .end:
                let status = receiver.answer(key: key, body: body)
                let reply = status == .ok ? #"{"code":"0"}"# : ""
                var head = HTTPResponseHead(version: .http1_1, status: status)
                head.headers.add(name: "Content-Length", value: String(reply.utf8.count))
                context.write(wrapOutboundOut(.head(head)), promise: nil)
                context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: reply)))), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            }
        }
    }
}

/// The upload to the province (docs/HAOCHA.md, "Upload") from the real hallqd to a local
/// receiver: in order, retried while the province is down or failing, nothing lost across a
/// kill -9, a repeat always the same bytes, and the outage logged once.
@Suite(.serialized) struct HaochaUploadTests {
    @Test(
        "case ratings reach the province in order, retried through an outage and 503s, complete after kill -9, never different"
    )
    func upload() async throws {
        // Below the ephemeral range: while the province is down, no other connection of a busy
        // test run can take its port.
        let port = try freeServerPort()
        let d = try DaemonHarness(
            config: DaemonHarness.demoConfig + """

                [haocha]
                url = "http://127.0.0.1:\(port)/offlinereport"
                profile = "zj-offlinereport"
                region = "330100"
                hall_id = "330100-01"
                retry_max_s = 2
                """)
        try d.start()
        func ok(_ role: Role, _ r: JSONValue) throws -> JSONValue {
            let reply = try d.ask(role, r)
            guard reply.ok else { throw HarnessError("\(r.text) → \(reply.text)") }
            return reply
        }
        func status() -> JSONValue? { try? d.ask(.admin, ["op": "status"])["haocha"] }
        _ = try ok(.clerk, ["op": "signin", "window": 1, "clerk": "王五"])
        var served: [(cases: [String], score: Int)] = []
        func serve(_ cases: [String], score: Int) throws {
            _ = try ok(.kiosk, ["op": "take", "service": "A"])
            _ = try ok(.clerk, ["op": "call", "window": 1])
            for c in cases {
                _ = try ok(
                    .clerk,
                    [
                        "op": "case", "window": 1, "case_no": .string(c), "item_code": .string("T-\(c)"),
                        "item_name": "计量授权",
                    ])
            }
            _ = try ok(.clerk, ["op": "finish", "window": 1])
            let content = "\(score)01"  // the first option of the level
            _ = try ok(.clerk, ["op": "rate", "window": 1, "score": .int(Int64(score)), "contents": .string(content)])
            served.append((cases, score))
        }

        // The province is down: the ratings wait in the outbox and status says why.
        try serve(["330100-C1", "330100-C2"], score: 1)
        #expect(eventually(20) { status()?["pending"] == 2 && status()?["last_error"] != .null })
        // It comes up failing twice with 503, then takes them.
        let receiver = ProvinceReceiver()
        receiver.failNext.with { $0 = 2 }
        var server = try await receiver.start(port: port)
        #expect(await eventuallyAsync(60) { receiver.keys.count >= 2 && status()?["pending"] == 0 }, "\(d.log)")
        #expect(receiver.failNext.with { $0 } == 0)
        try serve(["330100-C3"], score: 5)
        #expect(eventually(20) { receiver.keys.count >= 3 })

        // kill -9 right after two more ratings were acknowledged; the restart sends what the
        // province had not confirmed.
        try serve(["330100-C4", "330100-C5"], score: 3)
        d.kill9()
        try await server.close().get()
        server = try await receiver.start(port: port)
        try d.start()
        #expect(eventually(60) { Set(receiver.keys).count == 5 && status()?["pending"] == 0 }, "\(receiver.keys)")

        let got = receiver.received.with { $0 }
        #expect(receiver.problems.with { $0 } == [])
        // In order: each rating's first arrival after the one before it.
        var firstSeen: [String] = []
        for r in got where !firstSeen.contains(r.key) { firstSeen.append(r.key) }
        #expect(firstSeen == (1...5).map { "330100-01-\($0)" })
        // A rating sent twice is the same bytes twice.
        for r in got { #expect(got.filter { $0.key == r.key }.allSatisfy { $0.body == r.body }, "\(r.key)") }
        // Each case, its level as Zhejiang codes it (5 = 非常满意), the evaluator's channel (4).
        let expected = served.flatMap { s in s.cases.map { ($0, s.score) } }
        for (i, (caseNo, score)) in expected.enumerated() {
            let r = got.first { $0.key == "330100-01-\(i + 1)" }?.record
            #expect(r?["projectNo"] == .string(caseNo) && r?["satisfaction"] == .int(Int64(score)), "\(i)")
            #expect(r?["pf"] == "4" && r?["proManager"] == "王五" && r?["taskCode"] == .string("T-\(caseNo)"))
            #expect(r?["evalDetail"] == .string("\(score)01"))
        }
        // One warning for the outage, one notice for the recovery: not one per try.
        #expect(d.log.components(separatedBy: "好差评 upload failing").count - 1 == 1, "\(d.log)")
        #expect(d.stop() == 0)
        try await server.close().get()
    }
}
