/// Who asked for an operation: stored on every event so the log answers "who did this" even
/// for steps that have no clerk (a kiosk press, an admin forcing the hall closed).
public struct Origin: Sendable, Equatable {
    public var role: String
    public var uid: Int?
    public init(role: String, uid: Int? = nil) {
        self.role = role
        self.uid = uid
    }
    public static let system = Origin(role: "system")
}
