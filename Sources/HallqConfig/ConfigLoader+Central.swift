import HallqCore

/// `[central]` (docs/CENTRAL.md): where the hall's log goes in the province.
extension ConfigLoader {
    static func central(_ r: Reader, into c: inout HallConfig) throws(ConfigError) {
        guard let t = try r.table("central") else { return }
        try t.only(keys("central"))
        guard let url = try t.string("url") else { throw t.missing("url") }
        guard url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") else {
            throw ConfigError(key: "central.url", message: "must be a postgres:// URL (libpq's form)")
        }
        guard let id = try t.string("hall_id") else { throw t.missing("hall_id") }
        guard CentralConfig.validHallId(id) else {
            throw ConfigError(key: "central.hall_id", message: "must be 1 to 32 letters, digits or dashes")
        }
        var cc = CentralConfig(url: url, hallId: id)
        cc.batch = try t.int("batch", in: 1...10000) ?? cc.batch
        cc.lagWarnSeconds = try t.int("lag_warn_s", in: 10...86400) ?? cc.lagWarnSeconds
        cc.retryMaxSeconds = try t.int("retry_max_s", in: 1...3600) ?? cc.retryMaxSeconds
        c.central = cc
    }
}
