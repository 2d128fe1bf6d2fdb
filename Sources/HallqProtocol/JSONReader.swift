/// A strict JSON reader for request lines, linear in the input: every byte is looked at once,
/// nesting is bounded (`maxDepth`), and an object that names a key twice is refused, because
/// parsers that disagree on duplicates ("run the first" here, "the last" in a proxy) are how role
/// checks get bypassed. Foundation's decoder takes super-linear time on deep nesting and keeps
/// the first duplicate silently; this one does neither.
public enum JSONReader {
    public enum Failure: Error, Equatable, Sendable {
        case invalid(String)
        case tooDeep(Int)
        case duplicateKey(String)

        public var message: String {
            switch self {
            case let .invalid(why): return "the line is not valid JSON (\(why))"
            case let .tooDeep(n): return "JSON nested deeper than \(n) levels"
            case let .duplicateKey(k): return "the key \"\(k.prefix(40))\" appears twice in one object"
            }
        }
    }

    /// Deepest nesting a request may have: a request is one flat object, so 16 is generous.
    public static let requestDepth = 16

    public static func read(_ input: some Collection<UInt8>, maxDepth: Int = requestDepth) -> Result<JSONValue, Failure>
    {
        var r = Cursor(bytes: Array(input), maxDepth: maxDepth)
        do {
            r.skipSpace()
            let v = try r.value(depth: 0)
            r.skipSpace()
            guard r.i == r.bytes.count else { throw Failure.invalid("text after the value") }
            return .success(v)
        } catch let f as Failure {
            return .failure(f)
        } catch {
            return .failure(.invalid("\(error)"))
        }
    }

    struct Cursor {
        let bytes: [UInt8]
        let maxDepth: Int
        var i = 0

        init(bytes: [UInt8], maxDepth: Int) {
            self.bytes = bytes
            self.maxDepth = maxDepth
        }

        mutating func skipSpace() {
            while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x09 || bytes[i] == 0x0A || bytes[i] == 0x0D {
                i += 1
            }
        }

        mutating func expect(_ word: String, _ v: JSONValue) throws -> JSONValue {
            for b in word.utf8 {
                guard i < bytes.count, bytes[i] == b else { throw Failure.invalid("unexpected byte at \(i)") }
                i += 1
            }
            return v
        }

        mutating func value(depth: Int) throws -> JSONValue {
            guard i < bytes.count else { throw Failure.invalid("unexpected end") }
            switch bytes[i] {
            case UInt8(ascii: "{"): return try object(depth: depth + 1)
            case UInt8(ascii: "["): return try array(depth: depth + 1)
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): return try expect("true", .bool(true))
            case UInt8(ascii: "f"): return try expect("false", .bool(false))
            case UInt8(ascii: "n"): return try expect("null", .null)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
            default: throw Failure.invalid("unexpected byte at \(i)")
            }
        }

        mutating func object(depth: Int) throws -> JSONValue {
            guard depth <= maxDepth else { throw Failure.tooDeep(maxDepth) }
            i += 1
            var o: [String: JSONValue] = [:]
            skipSpace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "}") {
                i += 1
                return .object(o)
            }
            while true {
                skipSpace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else {
                    throw Failure.invalid("expected a key at \(i)")
                }
                let k = try string()
                skipSpace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else {
                    throw Failure.invalid("expected : at \(i)")
                }
                i += 1
                skipSpace()
                let v = try value(depth: depth)
                guard o.updateValue(v, forKey: k) == nil else { throw Failure.duplicateKey(k) }
                skipSpace()
                guard i < bytes.count else { throw Failure.invalid("unexpected end") }
                if bytes[i] == UInt8(ascii: ",") {
                    i += 1
                    continue
                }
                if bytes[i] == UInt8(ascii: "}") {
                    i += 1
                    return .object(o)
                }
                throw Failure.invalid("expected , or } at \(i)")
            }
        }

        mutating func array(depth: Int) throws -> JSONValue {
            guard depth <= maxDepth else { throw Failure.tooDeep(maxDepth) }
            i += 1
            var a: [JSONValue] = []
            skipSpace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "]") {
                i += 1
                return .array(a)
            }
            while true {
                skipSpace()
                a.append(try value(depth: depth))
                skipSpace()
                guard i < bytes.count else { throw Failure.invalid("unexpected end") }
                if bytes[i] == UInt8(ascii: ",") {
                    i += 1
                    continue
                }
                if bytes[i] == UInt8(ascii: "]") {
                    i += 1
                    return .array(a)
                }
                throw Failure.invalid("expected , or ] at \(i)")
            }
        }

        mutating func hex4() throws -> UInt32 {
            guard i + 4 <= bytes.count else { throw Failure.invalid("short \\u escape") }
            var v: UInt32 = 0
            for _ in 0..<4 {
                let b = bytes[i]
                let d: UInt32
                switch b {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(b - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(b - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(b - UInt8(ascii: "A") + 10)
                default: throw Failure.invalid("bad \\u escape at \(i)")
                }
                v = v << 4 | d
                i += 1
            }
            return v
        }

        mutating func string() throws -> String {
            i += 1
            var out: [UInt8] = []
            while true {
                guard i < bytes.count else { throw Failure.invalid("unterminated string") }
                let b = bytes[i]
                switch b {
                case UInt8(ascii: "\""):
                    i += 1
                    guard let s = String(validating: out, as: UTF8.self) else {
                        throw Failure.invalid("a string is not UTF-8")
                    }
                    return s
                case UInt8(ascii: "\\"):
                    i += 1
                    guard i < bytes.count else { throw Failure.invalid("unterminated escape") }
                    let e = bytes[i]
                    i += 1
                    switch e {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0C)
                    case UInt8(ascii: "n"): out.append(0x0A)
                    case UInt8(ascii: "r"): out.append(0x0D)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "u"):
                        var scalar = try hex4()
                        if (0xD800...0xDBFF).contains(scalar) {
                            guard i + 1 < bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u")
                            else {
                                throw Failure.invalid("lone surrogate")
                            }
                            i += 2
                            let low = try hex4()
                            guard (0xDC00...0xDFFF).contains(low) else { throw Failure.invalid("lone surrogate") }
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        } else if (0xDC00...0xDFFF).contains(scalar) {
                            throw Failure.invalid("lone surrogate")
                        }
                        guard let u = Unicode.Scalar(scalar) else { throw Failure.invalid("bad \\u escape") }
                        out += Array(String(Character(u)).utf8)
                    default: throw Failure.invalid("bad escape at \(i - 1)")
                    }
                case 0x00..<0x20:
                    throw Failure.invalid("raw control character in a string")
                default:
                    out.append(b)
                    i += 1
                }
            }
        }

        mutating func number() throws -> JSONValue {
            let start = i
            var isInteger = true
            if bytes[i] == UInt8(ascii: "-") { i += 1 }
            func digits(_ c: inout Cursor) -> Int {
                let s = c.i
                while c.i < c.bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c.bytes[c.i]) { c.i += 1 }
                return c.i - s
            }
            guard i < bytes.count else { throw Failure.invalid("bad number") }
            if bytes[i] == UInt8(ascii: "0") {
                i += 1
            } else if digits(&self) == 0 {
                throw Failure.invalid("bad number at \(start)")
            }
            if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
                isInteger = false
                i += 1
                guard digits(&self) > 0 else { throw Failure.invalid("bad number at \(start)") }
            }
            if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
                isInteger = false
                i += 1
                if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
                guard digits(&self) > 0 else { throw Failure.invalid("bad number at \(start)") }
            }
            let text = String(decoding: bytes[start..<i], as: UTF8.self)
            if isInteger, let n = Int64(text) { return .int(n) }
            guard let d = Double(text), d.isFinite else { throw Failure.invalid("number out of range at \(start)") }
            return .double(d)
        }
    }
}
