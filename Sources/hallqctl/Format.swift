import Foundation
import HallqProtocol

/// Human renderings of replies. Times are shown in the hall's local time, durations in seconds.
enum Format {
    static func s(_ v: JSONValue?) -> String {
        switch v {
        case nil, .null?: return "-"
        case let .string(x)?: return x
        case let .int(i)?: return String(i)
        case let .double(d)?: return String(format: "%.1f", d)
        case let .bool(b)?: return b ? "yes" : "no"
        default: return v!.text
        }
    }

    /// The hall's wall-clock time from a `local` field: "2026-11-30T09:02:03+08:00" → "2026-11-30 09:02:03".
    static func local(_ v: JSONValue?) -> String {
        guard let str = v?.stringValue, str.count >= 19 else { return s(v) }
        return String(str.prefix(19)).replacingOccurrences(of: "T", with: " ")
    }

    static func ticket(_ r: JSONValue) -> String {
        guard let t = r["ticket"] else { return "ok" }
        var lines = [
            "ticket \(s(t["label"]))  service \(s(t["service"]))  state \(s(t["state"]))"
                + (t["green_channel"]?.boolValue == true ? "  绿色通道 (priority)" : "")
        ]
        if let ahead = t["ahead"] {
            let band = t["eta_range_min"]?.arrayValue?.compactMap(\.intValue) ?? []
            let wait = band.count == 2 && band[0] != band[1] ? "\(band[0])–\(band[1])" : s(t["eta_min"])
            lines.append(
                "ahead \(s(ahead))  likely wait \(wait) min  print \(s(t["print"]))"
                    + (t["duplicate"]?.boolValue == true ? "  (same ticket as the press just before)" : ""))
        }
        if let w = t["window"], w != .null {
            lines.append("window \(s(w))  clerk \(s(t["clerk"]))")
        }
        if let slot = t["slot_local"]?.stringValue { lines.append("预约 booked, slot \(slot)") }
        if let url = t["status_url"]?.stringValue { lines.append("status page \(url)") }
        return lines.joined(separator: "\n")
    }

    static func window(_ r: JSONValue) -> String {
        guard let w = r["window"] else { return "ok" }
        return "window \(s(w["window"]))  clerk \(s(w["clerk"]))  paused \(s(w["paused"]))  ticket \(s(w["ticket"]))"
    }

    static func status(_ r: JSONValue) -> String {
        let h = r["hall"]
        var out = ["\(s(h?["name"]))  \(local(h?["time"]))  mode \(s(h?["mode"]))  issuing \(s(h?["dispensing"]))", ""]
        var t = Table(["service", "name", "waiting", "next"])
        for x in r["services"]?.arrayValue ?? [] { t.add([s(x["id"]), s(x["name"]), s(x["waiting"]), s(x["next"])]) }
        out.append(t.text)
        out.append("")
        var w = Table(["window", "services", "clerk", "paused", "ticket", "state"])
        for x in r["windows"]?.arrayValue ?? [] {
            let svcs = (x["services"]?.arrayValue ?? []).map { s($0) }.joined(separator: ",")
            w.add([s(x["window"]), svcs, s(x["clerk"]), s(x["paused"]), s(x["ticket"]), s(x["ticket_state"])])
        }
        out.append(w.text)
        if let d = r["devices"] {
            out.append("")
            out.append(devices(["devices": d]))
        }
        return out.joined(separator: "\n")
    }

    static func devices(_ r: JSONValue) -> String {
        let d = r["devices"]
        var t = Table(["device", "kind", "health", "detail"])
        // Each printer, and the kiosks that print on it.
        let kiosks = d?["kiosks"]?.arrayValue ?? []
        for p in d?["printers"]?.arrayValue ?? [d?["printer"] ?? .null] {
            let name = s(p["name"])
            let served = kiosks.filter { s($0["printer"]) == name }.map { s($0["name"]) }
            t.add([
                name == "printer" || name == "-" ? "printer" : "printer \(name)", s(p["kind"]), s(p["health"]),
                served.isEmpty ? "" : "kiosk " + served.joined(separator: ", "),
            ])
        }
        for b in d?["buses"]?.arrayValue ?? [] {
            t.add(["bus \(s(b["name"]))", s(b["kind"]), s(b["health"]), "\(s(b["protocol"])) \(s(b["path"]))"])
            for sign in b["signs"]?.arrayValue ?? [] {
                t.add(["  sign \(s(b["name"]))/\(s(sign["address"]))", "", s(sign["health"]), ""])
            }
            for c in b["callers"]?.arrayValue ?? [] {
                let seen = c["last_contact_local"]?.stringValue.map { "last key \($0)" } ?? "no key pressed yet"
                t.add(["  caller \(s(b["name"]))/\(s(c["address"]))", "window \(s(c["window"]))", "", seen])
            }
        }
        for k in d?["keypads"]?.arrayValue ?? [] {
            // ID-card readers come in this list as "idcard kiosk …" / "idcard window N".
            let use = s(k["use"])
            // …and QR scanners as "scanner kiosk …".
            let device = ["idcard", "scanner"].first { use.hasPrefix($0 + " ") }
            let kind = device.map { String(use.dropFirst($0.count + 1)) } ?? use
            t.add([device ?? "keypad", kind, s(k["health"]), s(k["device"])])
        }
        if let v = d?["voice"] { t.add(["voice", "alsa", s(v["health"]), s(v["device"])]) }
        return t.text
    }

    static func history(_ r: JSONValue) -> String {
        let t = r["ticket"]
        var out = [
            "ticket \(s(t?["label"])) of \(s(t?["day"]))  service \(s(t?["issued_service"]))→\(s(t?["service"]))  state \(s(t?["state"]))  outcome \(s(t?["outcome"]))  print \(s(t?["print"]))  rating \(s(t?["rating"]))\(t?["rating_reason"]?.stringValue.map { " (\($0))" } ?? "")",
            "",
        ]
        // "account": the staff account that asked (HTTP) beside the window's clerk, so a step by
        // an admin or at another's window is plain; "by": the transport's role and uid.
        var tab = Table(["time", "step", "window", "clerk", "account", "by", "details"])
        for e in r["events"]?.arrayValue ?? [] {
            let details = (e["details"]?.objectValue ?? [:]).sorted { $0.key < $1.key }.map {
                "\($0.key)=\(s($0.value))"
            }.joined(separator: " ")
            let by = s(e["role"]) + (e["uid"].map { " uid \(s($0))" } ?? "")
            tab.add([
                local(e["local"]), s(e["event"]), s(e["window"]), s(e["clerk"]), s(e["account"]), by, details,
            ])
        }
        out.append(tab.text)
        return out.joined(separator: "\n")
    }

    static func stats(_ r: JSONValue) -> String { StatsText.render(r) }

    static func event(_ e: JSONValue) -> String {
        // An ID card placed on a kiosk's reader (not an event of the log): who may take what.
        if e["type"] == "card", let c = e["card"] {
            let services = (c["services"]?.arrayValue ?? []).map { svc in
                s(svc["id"]) + (svc["allowed"] == true ? "" : " (" + s(svc["error"]) + ")")
            }
            return [
                "card", "kiosk " + s(c["kiosk"]), s(c["name"]), c["green_channel"] == true ? "绿色通道" : "",
                "services " + services.joined(separator: ", "),
            ].filter { !$0.isEmpty }.joined(separator: "  ")
        }
        let details = (e["details"]?.objectValue ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\(s($0.value))" }
            .joined(separator: " ")
        return [
            local(e["local"]), s(e["event"]), s(e["ticket"]),
            e["window"].map { $0 == .null ? "" : "window \(s($0))" } ?? "",
            e["clerk"].map { $0 == .null ? "" : s($0) } ?? "", details,
        ].filter { !$0.isEmpty }.joined(separator: "  ")
    }
}
