import HallqCore
import TOMLKit

/// The 好差评 sections (docs/HAOCHA.md): `[rating]`, `[[rating_content]]`, `[calendar]`,
/// `[haocha]` and `[[haocha_profile]]`.
extension ConfigLoader {
    static func rating(_ r: Reader, into c: inout HallConfig) throws(ConfigError) {
        if let t = try r.table("rating") {
            try t.only(keys("rating"))
            c.rating.rectifyDays = try t.int("rectify_days", in: 1...60) ?? c.rating.rectifyDays
            c.rating.secondDays = try t.int("second_days", in: 0...365) ?? c.rating.secondDays
        }
        let contents = try r.tables("rating_content")
        if !contents.isEmpty {
            var list: [RatingContent] = []
            for (i, t) in contents.enumerated() {
                try t.only(keys("rating_content"))
                guard let level = try t.int("level", in: 1...5) else { throw t.missing("level") }
                guard let code = try t.string("code"), !code.isEmpty, code.count <= 16, !code.contains(",") else {
                    throw ConfigError(
                        key: "rating_content[\(i)].code", message: "is required: 1 to 16 characters, no comma")
                }
                guard let text = try t.string("text"), !text.isEmpty, text.count <= 40 else {
                    throw ConfigError(key: "rating_content[\(i)].text", message: "is required: 1 to 40 characters")
                }
                if list.contains(where: { $0.code == code }) {
                    throw ConfigError(key: "rating_content[\(i)].code", message: "\"\(code)\" is listed twice")
                }
                list.append(RatingContent(level: level, code: code, text: text))
            }
            c.rating.contents = list
        }
        if let t = try r.table("calendar") {
            try t.only(keys("calendar"))
            for k in ["holidays", "workdays"] {
                for d in try t.strings(k) where WorkingCalendar.dayNumber(d) == nil {
                    throw ConfigError(key: "calendar.\(k)", message: "\"\(d)\" is not a date YYYY-MM-DD")
                }
            }
            c.workingCalendar = WorkingCalendar(
                holidays: Set(try t.strings("holidays")), workdays: Set(try t.strings("workdays")))
        }
    }

    static func haocha(_ r: Reader, into c: inout HallConfig) throws(ConfigError) {
        for (i, t) in try r.tables("haocha_profile").enumerated() {
            try t.only(keys("haocha_profile"))
            let at = "haocha_profile[\(i)]"
            guard let name = try t.string("name"), !name.isEmpty, name.count <= 32, !name.contains(" ") else {
                throw ConfigError(key: "\(at).name", message: "is required: 1 to 32 characters without spaces")
            }
            guard !c.haochaProfiles.contains(where: { $0.name == name }) else {
                throw ConfigError(key: "\(at).name", message: "\"\(name)\" is defined twice")
            }
            var p = HaochaProfile.gbt39046
            if let base = try t.string("base") {
                guard let b = HaochaProfile.builtIn.first(where: { $0.name == base }) else {
                    throw ConfigError(
                        key: "\(at).base",
                        message:
                            "\"\(base)\" is not one of \(HaochaProfile.builtIn.map(\.name).joined(separator: ", "))")
                }
                p = b
            }
            p.name = name
            p.direction = try t.choice("direction", HaochaProfile.Direction.self) ?? p.direction
            p.timeFormat = try t.choice("time_format", HaochaProfile.TimeFormat.self) ?? p.timeFormat
            if let f = try t.table("fields") {
                var fields: [HaochaProfile.Mapping] = []
                for field in HaochaProfile.Field.allCases {
                    if let n = try f.string(field.rawValue), !n.isEmpty { fields.append(.init(field, n)) }
                }
                try f.only(HaochaProfile.Field.allCases.map(\.rawValue))
                guard !fields.isEmpty else { throw ConfigError(key: "\(at).fields", message: "names no field") }
                p.fields = fields
            }
            if let ch = try t.table("channels") {
                try ch.only(RatingChannel.allCases.map(\.rawValue))
                for channel in RatingChannel.allCases {
                    if let code = try ch.string(channel.rawValue) { p.channels[channel] = code }
                }
            }
            c.haochaProfiles.append(p)
        }
        guard let t = try r.table("haocha") else { return }
        try t.only(keys("haocha"))
        guard let url = try t.string("url"), url.hasPrefix("http://") || url.hasPrefix("https://") else {
            throw ConfigError(key: "haocha.url", message: "is required: the province's http:// or https:// address")
        }
        let name = try t.string("profile") ?? "gbt39046"
        guard let profile = c.haochaProfile(named: name) else {
            throw ConfigError(key: "haocha.profile", message: "no profile is named \"\(name)\"")
        }
        guard let region = try t.string("region"), (6...12).contains(region.count), region.allSatisfy(\.isNumber)
        else {
            throw ConfigError(key: "haocha.region", message: "is required: the hall's region code (6 to 12 digits)")
        }
        var h = HaochaConfig(url: url, profile: profile, region: region, hallId: try t.string("hall_id") ?? region)
        if let headers = try t.table("headers") {
            for k in headers.table.keys {
                guard let v = try headers.string(k) else { continue }
                h.headers[k] = v
            }
        }
        h.timeoutSeconds = try t.int("timeout_s", in: 1...120) ?? h.timeoutSeconds
        h.retryMaxSeconds = try t.int("retry_max_s", in: 1...3600) ?? h.retryMaxSeconds
        c.haocha = h
    }
}
