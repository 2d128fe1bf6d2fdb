/// An error that crosses the wire. The token is *stable* (docs/PROTOCOL.md): clients switch on it,
/// so tokens are only ever added, never renamed. The message is for people and may change.
public struct HallError: Error, Sendable, Equatable, CustomStringConvertible {
    public var token: String
    public var message: String

    public init(_ token: String, _ message: String) {
        self.token = token
        self.message = message
    }

    public var description: String { "\(token): \(message)" }

    public static func badRequest(_ m: String) -> HallError { .init("BAD-REQUEST", m) }
    public static func rateLimited(_ m: String) -> HallError { .init("RATE-LIMITED", m) }
    public static func unknownService(_ s: String) -> HallError { .init("UNKNOWN-SERVICE", "no service \"\(s)\" is configured") }
    public static func unknownWindow(_ w: Int) -> HallError { .init("UNKNOWN-WINDOW", "no window \(w) is configured") }
    public static func unknownTicket(_ t: String) -> HallError { .init("UNKNOWN-TICKET", "no ticket \(t) is known") }
    public static func noActiveTicket(_ w: Int) -> HallError { .init("NO-ACTIVE-TICKET", "window \(w) has no ticket in hand") }
    public static func notSignedIn(_ w: Int) -> HallError { .init("NOT-SIGNED-IN", "no clerk is signed in at window \(w)") }
}
