/// Who asked for an operation: stored on every event so the log answers "who did this" even
/// for steps that have no clerk (a kiosk press, an admin forcing the hall closed).
public struct Origin: Sendable, Equatable {
    public var role: String
    public var uid: Int?
    /// The staff account, for a step asked for over HTTP.
    public var account: String?
    /// The client's address, for a step asked for over HTTP.
    public var client: String?
    public init(role: String, uid: Int? = nil, account: String? = nil, client: String? = nil) {
        self.role = role
        self.uid = uid
        self.account = account
        self.client = client
    }
    public static let system = Origin(role: "system")
}
