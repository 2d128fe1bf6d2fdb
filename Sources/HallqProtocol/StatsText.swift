import Foundation

/// A `stats` reply as the table people read (`hallqctl stats`, `hallq-central stats`): the two
/// print the same columns from the same reply shape.
public enum StatsText {
    public static func render(_ r: JSONValue) -> String {
        var out = ["\(s(r["from"])) … \(s(r["to"])) by \(s(r["by"]))  (wait and service in seconds)", ""]
        var t = Table([
            "key", "issued", "served", "noshow", "transf", "wait mean", "median", "p90", "max",
            "service mean", "median", "p90", "max", "rating", "5/4/3/2/1",
        ])
        func n(_ v: JSONValue?) -> String { v?.doubleValue.map { String(format: "%.1f", $0) } ?? "-" }
        for x in r["rows"]?.arrayValue ?? [] {
            let w = x["wait"]
            let sv = x["service"]
            t.add([
                s(x["key"]), s(x["issued"]), s(x["served"]), s(x["noshows"]), s(x["transferred"]),
                n(w?["mean_s"]), n(w?["median_s"]), n(w?["p90_s"]), n(w?["max_s"]),
                n(sv?["mean_s"]), n(sv?["median_s"]), n(sv?["p90_s"]), n(sv?["max_s"]),
                x["rating_mean"].flatMap {
                    $0.doubleValue.map { String(format: "%.2f (%d)", $0, Int(x["ratings"]?.intValue ?? 0)) }
                } ?? "-",
                // How many at each 好差评 level, best first.
                [5, 4, 3, 2, 1].map { s(x["rating_levels"]?[String($0)]) }.joined(separator: "/"),
            ])
        }
        out.append(t.text)
        return out.joined(separator: "\n")
    }

    static func s(_ v: JSONValue?) -> String {
        switch v {
        case nil, .null?: return "-"
        case let .string(x)?: return x
        case let .int(i)?: return String(i)
        case let .double(d)?: return String(format: "%.1f", d)
        default: return v!.text
        }
    }
}
