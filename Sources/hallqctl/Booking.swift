import ArgumentParser
import Foundation
import HallqProtocol

/// `hallqctl booking import|list` and `hallqctl checkin`: bookings (预约) from the portal when it
/// hands them over as a file, the day's list the portal reads back, and a check-in by code
/// (docs/BOOKINGS.md).
struct Booking: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Bookings (预约): import a file, list a day's.", subcommands: [Import.self, List.self])

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Import bookings from a CSV (with a header row) or JSON (an array) file, or - for stdin: added, updated or cancelled by ref."
        )
        @OptionGroup var g: Global
        @Argument(help: "The file; fields ref, service, slot_start, slot_end, code, name_masked, id_number, cancelled.")
        var file: String
        func run() throws {
            let data: Data
            if file == "-" {
                data = FileHandle.standardInput.readDataToEndOfFile()
            } else {
                guard let d = FileManager.default.contents(atPath: file) else {
                    throw ValidationError("cannot read \(file)")
                }
                data = d
            }
            let rows = try BookingFile.read(data)
            // Requests stay under the protocol's line limit: a few dozen bookings each.
            var results: [JSONValue] = []
            var counts: [String: Int64] = [:]
            var batch: [JSONValue] = []
            var size = 0
            func flush() throws {
                guard !batch.isEmpty else { return }
                let r = try g.send("book", ["bookings": .array(batch)])
                results += r["results"]?.arrayValue ?? []
                for k in ["created", "updated", "unchanged", "cancelled", "refused"] {
                    counts[k, default: 0] += r[k]?.intValue ?? 0
                }
                batch = []
                size = 0
            }
            for row in rows {
                let bytes = row.text.utf8.count + 1
                if size + bytes > 3000 { try flush() }
                batch.append(row)
                size += bytes
            }
            try flush()
            var reply: [String: JSONValue] = ["ok": true, "results": .array(results)]
            for (k, v) in counts { reply[k] = .int(v) }
            g.output(.object(reply)) { r in
                var t = Table(["ref", "result", "message"])
                for x in r["results"]?.arrayValue ?? [] {
                    t.add([Format.s(x["ref"]), Format.s(x["result"]), Format.s(x["message"])])
                }
                let summary = ["created", "updated", "unchanged", "cancelled", "refused"].map {
                    "\($0) \(r[$0]?.intValue ?? 0)"
                }
                return t.text + "\n" + summary.joined(separator: ", ")
            }
            if (counts["refused"] ?? 0) > 0 { throw ExitCode(1) }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A day's bookings and what became of them.")
        @OptionGroup var g: Global
        @Option(help: "YYYY-MM-DD (default: today in the hall's time zone).") var day: String?
        @Option(help: "Only bookings in this state: booked, cancelled, checked_in, no_show.") var state: String?
        func run() throws {
            var f: [String: JSONValue] = [:]
            if let day { f["day"] = .string(day) }
            if let state { f["state"] = .string(state) }
            g.output(try g.send("bookings", f)) { r in
                var t = Table(["ref", "service", "slot", "code", "name", "state", "ticket"])
                for b in r["bookings"]?.arrayValue ?? [] {
                    let from = Format.s(b["slot_start"]).dropFirst(11).prefix(5)
                    let to = Format.s(b["slot_end"]).dropFirst(11).prefix(5)
                    t.add([
                        Format.s(b["ref"]), Format.s(b["service"]), "\(from)-\(to)", Format.s(b["code"]),
                        Format.s(b["name_masked"]), Format.s(b["state"]), Format.s(b["ticket"]),
                    ])
                }
                return t.text
            }
        }
    }
}

struct Checkin: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a booked person in by their code (as the kiosk's 预约签到 does).")
    @OptionGroup var g: Global
    @Argument(help: "The booking's code.") var code: String
    @Option(help: "The kiosk whose printer prints the ticket (default: the first).") var kiosk: String?
    func run() throws {
        var f: [String: JSONValue] = ["code": .string(code)]
        if let kiosk { f["kiosk"] = .string(kiosk) }
        g.output(try g.send("checkin", f), Format.ticket)
    }
}

/// A bookings file: a JSON array of objects, or CSV whose header names the fields.
enum BookingFile {
    static let fields = ["ref", "service", "slot_start", "slot_end", "code", "name_masked", "id_number", "cancelled"]

    static func read(_ data: Data) throws -> [JSONValue] {
        let bytes = Array(data)
        let text = String(decoding: bytes, as: UTF8.self)
        if text.drop(while: { $0.isWhitespace || $0 == "\u{FEFF}" }).first == "[" {
            guard let v = JSONValue.parse(Array(text.drop(while: { $0 == "\u{FEFF}" }).utf8)), let a = v.arrayValue
            else {
                throw ValidationError("the file is not a JSON array of bookings")
            }
            return a
        }
        let rows = csv(text)
        guard let header = rows.first else { return [] }
        let names = header.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        for n in names where !fields.contains(n) {
            throw ValidationError("unknown column \"\(n)\" (known: \(fields.joined(separator: ", ")))")
        }
        return rows.dropFirst().filter { !$0.allSatisfy(\.isEmpty) }.map { row in
            var o: [String: JSONValue] = [:]
            for (name, value) in zip(names, row) where !value.isEmpty {
                o[name] =
                    name == "cancelled" ? .bool(["1", "true", "yes"].contains(value.lowercased())) : .string(value)
            }
            return .object(o)
        }
    }

    /// RFC 4180 CSV: quoted fields may hold commas, quotes ("") and line breaks; a BOM is skipped.
    static func csv(_ text: String) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var quoted = false
        var chars = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = nil
        func next() -> Unicode.Scalar? {
            if let p = pending {
                pending = nil
                return p
            }
            return chars.next()
        }
        while let c = next() {
            if quoted {
                if c == "\"" {
                    if let n = next() {
                        if n == "\"" {
                            field.unicodeScalars.append("\"")
                        } else {
                            quoted = false
                            pending = n
                        }
                    } else {
                        quoted = false
                    }
                } else {
                    field.unicodeScalars.append(c)
                }
                continue
            }
            switch c {
            case "\u{FEFF}": continue
            case "\"": quoted = true
            case ",":
                row.append(field)
                field = ""
            case "\r": continue
            case "\n":
                row.append(field)
                rows.append(row)
                row = []
                field = ""
            default: field.unicodeScalars.append(c)
            }
        }
        if !field.isEmpty || !row.isEmpty {
            row.append(field)
            rows.append(row)
        }
        return rows
    }
}
