/// Who asked for an operation: stored on every event so the log answers "who did this" even
/// for steps that have no clerk (a kiosk press, an admin forcing the hall closed).
public struct Origin: Sendable, Equatable {
    public var role: String
    public var uid: Int?
    /// The staff account, for a step asked for over HTTP.
    public var account: String?
    /// The client's address, for a step asked for over HTTP.
    public var client: String?
    /// Which connection asked (a socket connection's number), for fair take limits only: not
    /// stored, since it means nothing after the connection ends.
    public var connection: Int?
    /// The kiosk a `take` came from (its printer prints it); not stored.
    public var kiosk: String?
    public init(
        role: String, uid: Int? = nil, account: String? = nil, client: String? = nil, connection: Int? = nil,
        kiosk: String? = nil
    ) {
        self.role = role
        self.uid = uid
        self.account = account
        self.client = client
        self.connection = connection
        self.kiosk = kiosk
    }

    /// The one asking, as far as fair take limits can tell: a socket connection, an account at
    /// an address, or a device's role.
    public var askerKey: String {
        if let connection { return "\(role)#\(connection)" }
        return [role, uid.map(String.init) ?? "", account ?? "", client ?? ""].joined(separator: "|")
    }
    public static let system = Origin(role: "system")
}
