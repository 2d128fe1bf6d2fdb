import HallqCore
import Testing

@testable import HallqProtocol

@Suite("Wire protocol")
struct WireTests {
    func parse(_ s: String, _ role: Role = .admin) -> (id: JSONValue?, result: Result<Request, HallError>) {
        Wire.parse(Array(s.utf8), role: role)
    }

    func token(_ s: String, _ role: Role = .admin) -> String? {
        if case let .failure(e) = parse(s, role).result { return e.token.rawValue }
        return nil
    }

    @Test(
        "golden requests",
        arguments: [
            (
                #"{"id":1,"op":"take","service":"A","key":"kiosk-1-000731"}"#,
                Request.command(.take(service: "A", key: "kiosk-1-000731"))
            ),
            (#"{"op":"call","window":3}"#, .command(.call(window: 3, ticket: nil))),
            (#"{"op":"call","window":3,"ticket":"A012"}"#, .command(.call(window: 3, ticket: "A012"))),
            (#"{"op":"finish","window":2}"#, .command(.finish(window: 2, outcome: .served))),
            (#"{"op":"finish","window":2,"outcome":"incomplete"}"#, .command(.finish(window: 2, outcome: .incomplete))),
            (
                #"{"op":"transfer","window":2,"service":"B"}"#,
                .command(.transfer(window: 2, toService: "B", toWindow: nil))
            ),
            (
                #"{"op":"transfer","window":2,"to_window":5}"#,
                .command(.transfer(window: 2, toService: nil, toWindow: 5))
            ),
            (#"{"op":"signin","window":1,"clerk":"张三"}"#, .command(.signin(window: 1, clerk: "张三"))),
            (#"{"op":"rate","window":1,"score":5}"#, .command(.rate(window: 1, score: 5, reason: nil))),
            (
                #"{"op":"rate","window":1,"score":1,"contents":["101","103"],"channel":"window"}"#,
                .command(.rate(window: 1, RatingInput(score: 1, contents: ["101", "103"], channel: .window)))
            ),
            (
                #"{"op":"rate","window":1,"score":2,"contents":"201, 203"}"#,
                .command(.rate(window: 1, RatingInput(score: 2, contents: ["201", "203"], channel: .evaluator)))
            ),
            (
                #"{"op":"case","window":3,"case_no":"3301-0001","item_code":"T1","kind":"承诺件"}"#,
                .command(.attachCase(window: 3, TicketCase(caseNo: "3301-0001", itemCode: "T1", kind: .promised)))
            ),
            (#"{"op":"orders","overdue":true}"#, .orders(state: nil, overdue: true)),
            (#"{"op":"order","order":4}"#, .order(id: 4)),
            (
                #"{"op":"order_update","order":4,"action":"claim_invalid","reason":"误评","note":"按错键","account":"lead"}"#,
                .orderUpdate(id: 4, .claimInvalid(.mistaken), note: "按错键", account: "lead")
            ),
            (
                #"{"op":"order_update","order":4,"action":"revisit","contact":"phone","result":"满意","satisfied":true}"#,
                .orderUpdate(id: 4, .revisit(contact: .phone, result: "满意", satisfied: true), note: nil, account: nil)
            ),
            (
                #"{"op":"ratings","from":"2026-12-01","to":"2026-12-31"}"#,
                .ratings(from: "2026-12-01", to: "2026-12-31", format: "gbt39046")
            ),
            (#"{"op":"hall","mode":"close"}"#, .command(.hall(.closed))),
            (
                #"{"op":"stats","from":"2026-11-01","to":"2026-11-30","by":"clerk"}"#,
                .stats(from: "2026-11-01", to: "2026-11-30", by: .clerk)
            ),
            (#"{"op":"history","ticket":"A012","day":"2026-11-30"}"#, .history(ticket: "A012", day: "2026-11-30")),
            (#"{"op":"export","from":"2026-11-01","to":"2026-11-30"}"#, .export(from: "2026-11-01", to: "2026-11-30")),
            (#"  {"op":"status"}  "#, .status()),
            (#"{"op":"status","waiting":true}"#, .status(waiting: true)),
            (#"{"op":"take","service":"A","priority":true}"#, .command(.take(service: "A", key: nil, priority: true))),
        ])
    func golden(line: String, expected: Request) throws {
        #expect(try parse(line).result.get() == expected)
    }

    @Test("the id is echoed as given")
    func idEcho() {
        #expect(parse(#"{"id":"abc","op":"status"}"#).id == .string("abc"))
        #expect(parse(#"{"id":7,"op":"nope"}"#).id == .int(7))
        #expect(token(#"{"id":{"x":1},"op":"status"}"#) == "BAD-REQUEST")
    }

    @Test(
        "bad requests get BAD-REQUEST with a message naming the field",
        arguments: [
            ("not json", "not valid JSON"),
            ("[1,2]", "JSON object"),
            (#"{"id":1}"#, "missing field: op"),
            (#"{"op":5}"#, "op must be a string"),
            (#"{"op":"call"}"#, "missing field: window"),
            (#"{"op":"call","window":"3"}"#, "window must be an integer"),
            (#"{"op":"call","window":1.5}"#, "window must be an integer"),
            (#"{"op":"take","service":7}"#, "service must be a string"),
            (#"{"op":"take","service":""}"#, "service must be 1 to"),
            (#"{"op":"finish","window":1,"outcome":"noshow"}"#, "outcome must be one of"),
            (#"{"op":"stats","from":"2026-11-01","to":"yesterday"}"#, "to must be a date"),
            (#"{"op":"stats","from":"2026-11-01","to":"2026-11-02","by":"weather"}"#, "by must be one of"),
            (#"{"op":"hall","mode":"sometimes"}"#, "mode must be"),
            (#"{"op":"rate","window":1}"#, "missing field: score"),
            (#"{"op":"rate","window":1,"score":1,"channel":"fax"}"#, "channel must be one of"),
            (#"{"op":"case","window":1}"#, "missing field: case_no"),
            (#"{"op":"case","window":1,"case_no":"C1","kind":"soon"}"#, "kind must be immediate"),
            (#"{"op":"order_update","order":1,"action":"shred"}"#, "action must be one of"),
            (#"{"op":"order_update","order":1,"action":"claim_invalid"}"#, "missing field: reason"),
            (#"{"op":"order_update","order":1,"action":"postpone","due":"soon"}"#, "due must be a date"),
            (
                #"{"op":"order_update","order":1,"action":"revisit","contact":"phone","result":"x"}"#,
                "missing field: satisfied"
            ),
            (
                "{\"op\":\"take\",\"service\":\"A\",\"key\":\"" + String(repeating: "k", count: 65) + "\"}",
                "key must be 1 to 64"
            ),
        ])
    func badRequests(line: String, fragment: String) {
        guard case let .failure(e) = parse(line).result else {
            Issue.record("accepted: \(line)")
            return
        }
        #expect(e.token.rawValue == "BAD-REQUEST")
        #expect(e.message.contains(fragment), "\(e.message)")
    }

    @Test("unknown ops are UNKNOWN-OP on every socket")
    func unknownOp() {
        for role in Role.allCases { #expect(token(#"{"op":"format-disk"}"#, role) == "UNKNOWN-OP") }
    }

    @Test("each socket accepts only its role's ops")
    func roles() {
        #expect(token(#"{"op":"call","window":1}"#, .kiosk) == "NOT-ALLOWED")
        #expect(token(#"{"op":"stats","from":"2026-11-01","to":"2026-11-02"}"#, .clerk) == "NOT-ALLOWED")
        #expect(token(#"{"op":"users"}"#, .clerk) == "NOT-ALLOWED")
        #expect(token(#"{"op":"hall","mode":"open"}"#, .clerk) == "NOT-ALLOWED")
        #expect(token(#"{"op":"take","service":"A","priority":true}"#, .clerk) == nil)
        #expect(token(#"{"op":"take","service":"A"}"#, .kiosk) == nil)
        #expect(token(#"{"op":"call","window":1}"#, .clerk) == nil)
        // Written out, not derived: the table in docs/PROTOCOL.md is the contract.
        #expect(
            Set(Role.admin.ops.map(\.rawValue)) == [
                "take", "services", "status", "signin", "signout", "call", "recall", "noshow", "start",
                "finish", "transfer", "pause", "resume", "rate", "watch", "stats", "history", "export",
                "reprint", "devices", "hall", "reload", "useradd", "users", "passwd", "userdel", "card",
                "checkin", "book", "bookings", "case", "orders", "order", "order_update", "ratings",
            ])
        #expect(
            Set(Role.clerk.ops.map(\.rawValue)) == [
                "signin", "signout", "call", "recall", "noshow", "start", "finish", "transfer", "pause",
                "resume", "rate", "status", "services", "watch", "take", "checkin", "case",
            ])
        #expect(Set(Role.kiosk.ops.map(\.rawValue)) == ["take", "services", "status", "card", "checkin"])
        #expect(Set(Role.booking.ops.map(\.rawValue)) == ["book", "bookings"])
        #expect(Role.sockets == [.kiosk, .clerk, .admin])
    }

    @Test(
        "malformed bytes never trap",
        arguments: [[0xFF, 0xFE, 0x00], [0x7B], [0x22], Array("{\"op\":\"\u{0}\"}".utf8), []])
    func garbage(bytes: [UInt8]) {
        if case .success = Wire.parse(bytes, role: .admin).result { Issue.record("garbage accepted") }
    }

    /// Every integer field of every op, with values that overflow or sit at the edges.
    static let hostileIntegers = [
        "-9223372036854775808", "9223372036854775807", "-9223372036854775809",
        "2147483648", "-2147483649", "0", "-1", "1e308", "-1e400",
        "99999999999999999999999999999999", "1000000", "-1000000",
    ]
    static let integerFields: [(op: String, field: String, rest: String)] = [
        ("call", "window", ""), ("recall", "window", ""), ("noshow", "window", ""), ("start", "window", ""),
        ("finish", "window", ""), ("pause", "window", ""), ("resume", "window", ""), ("signout", "window", ""),
        ("signin", "window", #","clerk":"x""#), ("transfer", "window", ""), ("transfer", "to_window", #","window":1"#),
        ("rate", "window", #","score":5"#), ("rate", "score", #","window":1"#), ("status", "id", ""),
    ]

    @Test("integer fields: ±2^63, ±2^31, 0, −1 and huge decimals are range-checked, never trap")
    func hostileIntegerFields() {
        for (op, field, rest) in Self.integerFields {
            for v in Self.hostileIntegers {
                let line = #"{"op":"\#(op)","\#(field)":\#(v)\#(rest)}"#
                let r = Wire.parse(Array(line.utf8), role: .admin).result
                if case let .failure(e) = r { #expect(e.token.rawValue == "BAD-REQUEST", "\(line)") }
                if !["0", "-1"].contains(v) && field != "id" {
                    #expect(throws: HallError.self, "\(line)") { try r.get() }
                }
            }
        }
    }

    @Test("nesting beyond 16 levels is BAD-REQUEST; 16 is fine")
    func nesting() {
        func deep(_ n: Int) -> String {
            #"{"op":"status","x":"# + String(repeating: "[", count: n) + String(repeating: "]", count: n) + "}"
        }
        #expect(token(deep(15)) == nil)
        guard case let .failure(e) = parse(deep(511)).result else {
            Issue.record("511 deep accepted")
            return
        }
        #expect(e.token.rawValue == "BAD-REQUEST" && e.message.contains("deeper than 16"), "\(e.message)")
        #expect(
            token(
                #"{"op":"status","x":"# + String(repeating: #"{"a":"#, count: 40) + "1"
                    + String(repeating: "}", count: 41)) == "BAD-REQUEST")
    }

    @Test("a key named twice is BAD-REQUEST, whichever copy a proxy would read")
    func duplicateKeys() {
        guard case let .failure(e) = parse(#"{"op":"status","op":"reload"}"#, .admin).result else {
            Issue.record("accepted")
            return
        }
        #expect(e.token.rawValue == "BAD-REQUEST" && e.message.contains("\"op\" appears twice"), "\(e.message)")
        #expect(token(#"{"op":"take","service":"A","service":"B"}"#, .kiosk) == "BAD-REQUEST")
        #expect(token(#"{"op":"status","x":{"a":1,"a":2}}"#) == "BAD-REQUEST")
    }

    @Test(
        "control characters in text fields are BAD-REQUEST",
        arguments: [
            #"{"op":"signin","window":1,"clerk":"张\r三"}"#, #"{"op":"signin","window":1,"clerk":"a\u0000b"}"#,
            #"{"op":"signin","window":1,"clerk":"a\u007fb"}"#, #"{"op":"take","service":"A","key":"k\n1"}"#,
            #"{"op":"signin","window":1,"clerk":"a\u0085b"}"#, #"{"op":"history","ticket":"A\t1"}"#,
        ])
    func controlCharacters(line: String) {
        guard case let .failure(e) = parse(line, .admin).result else {
            Issue.record("accepted: \(line)")
            return
        }
        #expect(e.token.rawValue == "BAD-REQUEST" && e.message.contains("control characters"), "\(e.message)")
    }

    @Test(
        "the reader is strict JSON: escapes, surrogates, numbers",
        arguments: [
            (#"{"a":"\ud83d\ude00"}"#, true), (#"{"a":"\ud83d"}"#, false), (#"{"a":01}"#, false), (#"{"a":-}"#, false),
            (#"{"a":1.}"#, false), (#"{"a":1e5}"#, true), (#"{"a":"x"} x"#, false), (#"{"a":tru}"#, false),
            (#"{"a":"\x"}"#, false), (#"{"a":[1,2,]}"#, false), (#"{"a":1,}"#, false), (" {\"a\" : [ ] } ", true),
        ])
    func strictness(line: String, valid: Bool) {
        let r = JSONReader.read(Array(line.utf8))
        if case .success = r { #expect(valid, "\(line)") } else { #expect(!valid, "\(line)") }
    }

    @Test("golden replies: sorted keys, UTF-8 text, escapes")
    func replies() {
        #expect(
            Wire.hello(role: .clerk).text
                == #"{"proto":{"major":1,"minor":12},"role":"clerk","server":"hallqd","type":"hello","version":"0.1.0"}"#
        )
        #expect(
            Wire.error(id: 2, HallError(.queueEmpty, "no ticket is waiting for window 3")).text
                == #"{"error":"QUEUE-EMPTY","id":2,"message":"no ticket is waiting for window 3","ok":false}"#)
        #expect(
            Wire.ok(id: nil, ["text": "请A012号到3号窗口\n\"x\""]).text
                == #"{"ok":true,"text":"请A012号到3号窗口\n\"x\""}"#)
        #expect(JSONValue.from(1.23456).text == "1.235")
        #expect(JSONValue.double(5).text == "5.0")
    }

    @Test("replies parse back to what was sent")
    func roundTrip() {
        let v: JSONValue = ["a": [1, "二", true, nil], "b": ["c": .double(0.5)]]
        #expect(JSONValue.parse(Array(v.text.utf8)) == v)
    }
}
