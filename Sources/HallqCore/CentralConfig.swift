/// `[central]`: the hall's event log shipped to the province's PostgreSQL (docs/CENTRAL.md).
/// The hall never waits for it: takes and calls commit locally; a relay beside the writer ships
/// what committed, in order, and catches up by itself after an outage.
public struct CentralConfig: Sendable, Equatable {
    /// `postgres://role:password@host:port/database?sslmode=verify-full`, as libpq spells it.
    public var url: String
    /// The hall's stable id at the centre (the region code plus a number, e.g. `330106-01`): the
    /// rows it ships carry it and the centre lets this hall's role write only those.
    public var hallId: String
    /// Events per PostgreSQL transaction.
    public var batch = 1000
    /// A lag older than this many seconds goes onto systemd's STATUS line.
    public var lagWarnSeconds = 300
    /// Retries wait 1 s, then twice as long each time, up to this.
    public var retryMaxSeconds = 60

    public init(url: String, hallId: String) {
        self.url = url
        self.hallId = hallId
    }

    /// What a hall id may be: letters, digits and dashes, 1 to 32 of them (it names a role).
    public static func validHallId(_ s: String) -> Bool {
        !s.isEmpty && s.count <= 32 && s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
    }
}
