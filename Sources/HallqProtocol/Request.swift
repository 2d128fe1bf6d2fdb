import HallqCore

/// A parsed request: a queue command, or a read.
public enum Request: Sendable, Equatable {
    case command(Command)
    /// `take` with `id_number`: the dispatcher hashes the card into the take's person at once.
    case takeWithCard(Command, card: IdNumber)
    /// The ID card held at a kiosk now (`drop`: end the hold without a ticket).
    case card(kiosk: String?, drop: Bool)
    case services
    /// `waiting`: also every waiting ticket in call order (the staff pages' queues).
    case status(waiting: Bool = false)
    case watch
    case stats(from: String, to: String, by: StatsDimension)
    case history(ticket: String, day: String?)
    case export(from: String, to: String)
    case reprint(ticket: String, day: String?)
    case devices
    case reload
    case account(AccountRequest)
    /// Bookings to import; `cards[i]` is the ID number sent with `bookings[i]`, hashed by the
    /// dispatcher into its `person` at once and never kept.
    case book([BookingInput], cards: [IdNumber?])
    /// `checkin` with `card: true`: the booking of the ID card held at the kiosk (`[[idcard]]`).
    case checkinWithCard(kiosk: String?)
    /// The bookings of a day (default: today), optionally only those in one state.
    case bookings(day: String?, state: Booking.State?)
    /// Work orders: the held ones (open, and closed ones awaiting a second rating) and the store's
    /// others, optionally in one state or only overdue ones.
    case orders(state: WorkOrder.State?, overdue: Bool)
    case order(id: Int64)
    /// A step of a work order. `account`: who acts, as the admin socket names it (HTTP takes the
    /// session's account instead).
    case orderUpdate(id: Int64, WorkOrder.Change, note: String?, account: String?)
    /// Case ratings of local days from...to in an export profile (built in or `[[haocha_profile]]`).
    case ratings(from: String, to: String, format: String)
}

extension Request {
    /// A `take`, with or without a card: what the per-connection take limit counts.
    public var isTake: Bool {
        switch self {
        case .command(.take), .takeWithCard: return true
        default: return false
        }
    }
}

/// Staff accounts (`useradd`, `users`, `passwd`, `userdel`). Passwords travel only inside these
/// requests, are hashed by the server and never logged or echoed.
public enum AccountRequest: Sendable, Equatable {
    case add(name: String, role: Role, password: String)
    case list
    case passwd(name: String, password: String)
    case remove(name: String)

    /// Account names: 1–32 characters, no spaces or control characters (clerks' names, 张三, are fine).
    public static func validName(_ s: String) -> Bool {
        (1...32).contains(s.count) && !Wire.hasControlCharacters(s) && !s.contains(where: \.isWhitespace)
            && !s.contains("/")
    }
    /// Passwords: at least 8 characters and at most 72 bytes of UTF-8 (bcrypt reads no more: a
    /// longer password would log in with its first 72 bytes and any tail, so it is refused
    /// rather than cut), without control characters (bcrypt stops at a NUL: "secret\0anything"
    /// would be "secret").
    public static let passwordMinCharacters = 8
    public static let passwordMaxBytes = 72

    public static func validPassword(_ s: String) -> Bool {
        s.count >= passwordMinCharacters && s.utf8.count <= passwordMaxBytes && !Wire.hasControlCharacters(s)
    }

    public static let passwordRule =
        "password must be 8 characters to 72 bytes (a Chinese character takes 3) without control characters"
}

public enum Wire {
    public static let serverName = "hallqd"
    public static let version = "0.1.0"
    public static let protoMajor = 1
    public static let protoMinor = 12
    /// Longest request line in bytes, newline excluded; longer gets TOO-LONG and a close.
    public static let maxLineBytes = 4096

    public static func hello(role: Role) -> JSONValue {
        [
            "type": "hello", "server": .string(serverName), "version": .string(version),
            "proto": ["major": .int(Int64(protoMajor)), "minor": .int(Int64(protoMinor))],
            "role": .string(role.rawValue),
        ]
    }

    /// Parses one request line for a role. Returns the `id` to echo (when one could be read)
    /// and the request or the error to reply with. Never throws, never traps: any bytes are fine.
    public static func parse(
        _ line: some Collection<UInt8>, role: Role
    ) -> (id: JSONValue?, result: Result<Request, HallError>) {
        let json: JSONValue
        switch JSONReader.read(line) {
        case let .success(v): json = v
        case let .failure(f): return (nil, .failure(.badRequest(f.message)))
        }
        guard case let .object(o) = json else { return (nil, .failure(.badRequest("a request is a JSON object"))) }
        return parse(object: o, role: role)
    }

    /// Parses one request already read as a JSON object (the HTTP API's body with its op):
    /// the same checks, role table and errors as a socket line.
    public static func parse(
        object o: [String: JSONValue], role: Role
    ) -> (id: JSONValue?, result: Result<Request, HallError>) {
        let id = o["id"]
        if let id, !Self.validID(id) {
            return (nil, .failure(.badRequest("id must be a number or a string of at most 64 characters")))
        }
        guard let opValue = o["op"] else { return (id, .failure(.badRequest("missing field: op"))) }
        guard let name = opValue.stringValue else { return (id, .failure(.badRequest("op must be a string"))) }
        guard let op = Op(rawValue: name) else {
            return (id, .failure(.init(.unknownOp, "unknown op \"\(name.prefix(40))\"")))
        }
        guard role.allows(op) else {
            return (id, .failure(.init(.notAllowed, "op \(op.rawValue) is not allowed for the \(role.rawValue) role")))
        }
        do {
            return (id, .success(try request(op: op, Fields(o))))
        } catch {
            return (id, .failure(error))
        }
    }

    static func validID(_ v: JSONValue) -> Bool {
        switch v {
        case .int: return true
        case let .string(s): return s.count <= 64
        default: return false
        }
    }

    private static func request(op: Op, _ f: Fields) throws(HallError) -> Request {
        switch op {
        case .take:
            let take = Command.take(
                service: try f.string("service"), key: try f.optionalString("key", max: 64),
                priority: try f.optionalBool("priority") ?? false, kiosk: try f.optionalString("kiosk", max: 32))
            guard let number = try f.optionalString("id_number", max: 32) else {
                guard try f.optionalString("id_type", max: 16) == nil else {
                    throw .badRequest("id_type needs id_number")
                }
                return .command(take)
            }
            return .takeWithCard(
                take, card: try IdNumber(type: try f.optionalString("id_type", max: 16), number: number))
        case .services: return .services
        case .card:
            return .card(kiosk: try f.optionalString("kiosk", max: 32), drop: try f.optionalBool("drop") ?? false)
        case .status: return .status(waiting: try f.optionalBool("waiting") ?? false)
        case .watch: return .watch
        case .call: return .command(.call(window: try f.window(), ticket: try f.optionalString("ticket", max: 16)))
        case .recall: return .command(.recall(window: try f.window()))
        case .noshow: return .command(.noshow(window: try f.window()))
        case .start: return .command(.start(window: try f.window()))
        case .finish:
            let w = try f.window()
            let name = try f.optionalString("outcome", max: 16) ?? "served"
            let allowed: [Leg.Outcome] = [.served, .incomplete, .referred, .cancelled]
            guard let o = Leg.Outcome(rawValue: name), allowed.contains(o) else {
                throw .badRequest("outcome must be one of \(allowed.map(\.rawValue).joined(separator: ", "))")
            }
            return .command(.finish(window: w, outcome: o))
        case .transfer:
            return .command(
                .transfer(
                    window: try f.window(), toService: try f.optionalString("service", max: 16),
                    toWindow: try f.optionalInt("to_window")))
        case .pause: return .command(.pause(window: try f.window()))
        case .resume: return .command(.resume(window: try f.window()))
        case .signin: return .command(.signin(window: try f.window(), clerk: try f.string("clerk", max: 64)))
        case .signout: return .command(.signout(window: try f.window()))
        case .rate:
            let w = try f.window()
            return .command(.rate(window: w, try rating(f, channel: .evaluator)))
        case .ticketCase:
            let w = try f.window()
            var kind: TicketCase.Kind?
            if let k = try f.optionalString("kind", max: 16) {
                switch k {
                case "immediate", "即办件", "1": kind = .immediate
                case "promised", "承诺件", "2": kind = .promised
                default: throw .badRequest("kind must be immediate (即办件) or promised (承诺件)")
                }
            }
            return .command(
                .attachCase(
                    window: w,
                    TicketCase(
                        caseNo: try f.string("case_no", max: 50), itemCode: try f.optionalString("item_code", max: 64),
                        itemName: try f.optionalString("item_name", max: 100),
                        deptCode: try f.optionalString("dept_code", max: 18), kind: kind)))
        case .orders:
            return .orders(
                state: try f.optionalChoice("state", WorkOrder.State.self),
                overdue: try f.optionalBool("overdue") ?? false)
        case .order:
            guard let id = try f.optionalInt("order"), id > 0 else { throw .badRequest("missing field: order") }
            return .order(id: Int64(id))
        case .orderUpdate:
            guard let id = try f.optionalInt("order"), id > 0 else { throw .badRequest("missing field: order") }
            let account = try f.optionalString("account", max: 32)
            if let account, !AccountRequest.validName(account) {
                throw .badRequest("account must be 1 to 32 characters without spaces or slashes")
            }
            return .orderUpdate(
                id: Int64(id), try orderChange(f), note: try f.optionalString("note", max: WorkOrder.maxNote),
                account: account)
        case .ratings:
            return .ratings(
                from: try f.day("from"), to: try f.day("to"),
                format: try f.optionalString("format", max: 32) ?? "gbt39046")
        case .stats:
            let by = try f.optionalString("by", max: 16) ?? "service"
            guard let dim = StatsDimension(rawValue: by) else {
                throw .badRequest(
                    "by must be one of \(StatsDimension.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return .stats(from: try f.day("from"), to: try f.day("to"), by: dim)
        case .history: return .history(ticket: try f.string("ticket", max: 16), day: try f.optionalDay("day"))
        case .export: return .export(from: try f.day("from"), to: try f.day("to"))
        case .reprint: return .reprint(ticket: try f.string("ticket", max: 16), day: try f.optionalDay("day"))
        case .devices: return .devices
        case .hall:
            let m = try f.string("mode", max: 8)
            let mode: HallMode? = m == "close" ? .closed : HallMode(rawValue: m)
            guard let mode else { throw .badRequest("mode must be open, close or auto") }
            return .command(.hall(mode))
        case .reload: return .reload
        case .useradd:
            let r = try f.string("role", max: 8)
            guard let role = Role(rawValue: r) else {
                throw .badRequest("role must be kiosk, clerk, admin or booking")
            }
            return .account(.add(name: try f.accountName(), role: role, password: try f.password()))
        case .users: return .account(.list)
        case .passwd: return .account(.passwd(name: try f.accountName(), password: try f.password()))
        case .userdel: return .account(.remove(name: try f.accountName()))
        case .checkin:
            if try f.optionalBool("card") == true {
                guard f.o["code"] == nil else { throw .badRequest("checkin takes a code or card: true, not both") }
                return .checkinWithCard(kiosk: try f.optionalString("kiosk", max: 32))
            }
            let code = try f.string("code", max: 64).filter { $0 != " " }
            guard BookingInput.validCode(code) else { throw .badRequest("code must be 4 to 32 letters or digits") }
            return .command(.checkin(code: code.uppercased(), kiosk: try f.optionalString("kiosk", max: 32)))
        case .book:
            guard let items = f.o["bookings"]?.arrayValue else {
                throw .badRequest("bookings must be an array of bookings")
            }
            guard items.count <= maxBookings else { throw .badRequest("at most \(maxBookings) bookings at once") }
            var inputs: [BookingInput] = []
            var cards: [IdNumber?] = []
            for (i, item) in items.enumerated() {
                let (input, card) = try booking(item, index: i)
                inputs.append(input)
                cards.append(card)
            }
            return .book(inputs, cards: cards)
        case .bookings:
            return .bookings(day: try f.optionalDay("day"), state: try f.optionalChoice("state", Booking.State.self))
        }
    }

    /// A rating's fields: `score`, `reason`, `contents` (content codes, an array or a comma list)
    /// and `channel` (default: the transport's).
    public static func rating(_ o: [String: JSONValue], channel: RatingChannel) throws(HallError) -> RatingInput {
        try rating(Fields(o), channel: channel)
    }

    static func rating(_ f: Fields, channel: RatingChannel) throws(HallError) -> RatingInput {
        guard let score = try f.optionalInt("score") else { throw .badRequest("missing field: score") }
        var contents: [String] = []
        switch f.o["contents"] {
        case nil, .null?: break
        case let .string(s)?: contents = s.split(separator: ",").map { String($0.filter { $0 != " " }) }
        case let .array(items)?:
            for item in items {
                guard let s = item.stringValue else { throw .badRequest("contents must be content codes") }
                contents.append(s)
            }
        default: throw .badRequest("contents must be an array of content codes")
        }
        guard contents.count <= 10, contents.allSatisfy({ !$0.isEmpty && $0.count <= 16 }) else {
            throw .badRequest("contents must be at most 10 codes of at most 16 characters")
        }
        return RatingInput(
            score: score, reason: try f.optionalString("reason", max: Rating.maxReason), contents: contents,
            channel: try f.optionalChoice("channel", RatingChannel.self) ?? channel)
    }

    /// `order_update`'s `action` and what it needs.
    static func orderChange(_ f: Fields) throws(HallError) -> WorkOrder.Change {
        let action = try f.string("action", max: 16)
        switch action {
        case "verify": return .verify
        case "claim_invalid":
            let r = try f.string("reason", max: 16)
            switch r {
            case "mistaken", "误评": return .claimInvalid(.mistaken)
            case "malicious", "恶意差评": return .claimInvalid(.malicious)
            default: throw .badRequest("reason must be mistaken (误评) or malicious (恶意差评)")
            }
        case "approve": return .approve
        case "reject": return .reject
        case "rectify": return .rectify
        case "rectified": return .rectified
        case "postpone": return .postpone(due: try f.day("due"))
        case "claim_cannot": return .claimCannot
        case "revisit":
            guard let contact = try f.optionalChoice("contact", WorkOrder.Contact.self) else {
                throw .badRequest("missing field: contact")
            }
            guard let satisfied = try f.optionalBool("satisfied") else { throw .badRequest("missing field: satisfied") }
            return .revisit(
                contact: contact, result: try f.string("result", max: WorkOrder.maxNote), satisfied: satisfied)
        case "close": return .close
        default:
            throw .badRequest("action must be one of \(WorkOrder.Change.actions.joined(separator: ", "))")
        }
    }

    /// Bookings one `book` request may carry.
    public static let maxBookings = 1000

    /// One booking of a `book` request; errors name it (`bookings[3].code: …`).
    static func booking(_ v: JSONValue, index i: Int) throws(HallError) -> (BookingInput, IdNumber?) {
        guard case let .object(o) = v else { throw .badRequest("bookings[\(i)] must be an object") }
        let f = Fields(o)
        do {
            let input = BookingInput(
                ref: try f.string("ref", max: 64), service: try f.string("service", max: 16),
                slotStart: try f.string("slot_start", max: 40), slotEnd: try f.string("slot_end", max: 40),
                code: try f.string("code", max: 32).uppercased(),
                nameMasked: try f.optionalString("name_masked", max: 16),
                cancelled: try f.optionalBool("cancelled") ?? false)
            let card = try f.optionalString("id_number", max: 32).map { n throws(HallError) in
                try IdNumber(type: try f.optionalString("id_type", max: 16), number: n)
            }
            return (input, card)
        } catch {
            throw .badRequest("bookings[\(i)]: \(error.message)")
        }
    }

    /// Typed access to request fields with messages that name the field.
    struct Fields {
        let o: [String: JSONValue]
        init(_ o: [String: JSONValue]) { self.o = o }

        func optionalString(_ k: String, max: Int = 256) throws(HallError) -> String? {
            guard let v = o[k], v != .null else { return nil }
            guard let s = v.stringValue else { throw .badRequest("\(k) must be a string") }
            guard !s.isEmpty, s.count <= max else { throw .badRequest("\(k) must be 1 to \(max) characters") }
            guard !Wire.hasControlCharacters(s) else {
                throw .badRequest("\(k) must not contain control characters")
            }
            return s
        }
        func string(_ k: String, max: Int = 256) throws(HallError) -> String {
            guard let s = try optionalString(k, max: max) else { throw .badRequest("missing field: \(k)") }
            return s
        }
        func optionalInt(_ k: String) throws(HallError) -> Int? {
            guard let v = o[k], v != .null else { return nil }
            // A range check, never abs(): abs(Int.min) traps, and one such line would end the daemon.
            guard let i = v.intValue, (-999_999...999_999).contains(i) else {
                throw .badRequest("\(k) must be an integer between -999999 and 999999")
            }
            return Int(i)
        }
        /// One of an enumeration's *stable* names; a wrong one is refused naming them all.
        func optionalChoice<E: RawRepresentable & CaseIterable>(_ k: String, _: E.Type) throws(HallError) -> E?
        where E.RawValue == String {
            guard let s = try optionalString(k, max: 32) else { return nil }
            guard let e = E(rawValue: s) else {
                throw .badRequest("\(k) must be one of \(E.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return e
        }
        func optionalBool(_ k: String) throws(HallError) -> Bool? {
            guard let v = o[k], v != .null else { return nil }
            guard case let .bool(b) = v else { throw .badRequest("\(k) must be true or false") }
            return b
        }
        func accountName() throws(HallError) -> String {
            let s = try string("name", max: 32)
            guard AccountRequest.validName(s) else {
                throw .badRequest("name must be 1 to 32 characters without spaces or slashes")
            }
            return s
        }
        /// Never echoed: the message names the rule, not the value.
        func password() throws(HallError) -> String {
            guard let v = o["password"], let s = v.stringValue else { throw .badRequest("missing field: password") }
            guard AccountRequest.validPassword(s) else { throw .badRequest(AccountRequest.passwordRule) }
            return s
        }
        func window() throws(HallError) -> Int {
            guard let w = try optionalInt("window") else { throw .badRequest("missing field: window") }
            return w
        }
        func optionalDay(_ k: String) throws(HallError) -> String? {
            guard let s = try optionalString(k, max: 10) else { return nil }
            guard Wire.isDay(s) else {
                throw .badRequest("\(k) must be a date YYYY-MM-DD")
            }
            return s
        }
        func day(_ k: String) throws(HallError) -> String {
            guard let d = try optionalDay(k) else { throw .badRequest("missing field: \(k)") }
            return d
        }
    }

    /// A name with a CR splits an export row, a NUL is cut off by C strings: no text field of
    /// any transport may hold control characters (C0, DEL, C1).
    public static func hasControlCharacters(_ s: String) -> Bool {
        s.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }
    }

    /// `YYYY-MM-DD` in ASCII digits: the shape of a business day on every transport.
    public static func isDay(_ s: String) -> Bool {
        s.utf8.count == 10
            && s.utf8.enumerated().allSatisfy { i, c in
                (i == 4 || i == 7) ? c == UInt8(ascii: "-") : (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c)
            }
    }

    // MARK: - Replies

    public static func ok(id: JSONValue?, _ fields: [String: JSONValue] = [:]) -> JSONValue {
        var o = fields
        o["ok"] = true
        if let id { o["id"] = id }
        return .object(o)
    }

    public static func error(id: JSONValue?, _ e: HallError) -> JSONValue {
        var o: [String: JSONValue] = ["ok": false, "error": .string(e.token.rawValue), "message": .string(e.message)]
        if let id { o["id"] = id }
        return .object(o)
    }
}
