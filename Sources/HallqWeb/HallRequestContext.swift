import Hummingbird
import NIOCore

/// Every request's context: Hummingbird's core plus the connection, whose peer address decides
/// who may read `/metrics` and which the event stream closes when a client falls behind.
public struct HallRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    public var remoteAddress: SocketAddress? { channel.remoteAddress }

    /// Request bodies here are small JSON objects (a rating, a login, an op's fields); the
    /// bookings import, an array of up to 1,000, reads its own larger limit.
    public var maxUploadSize: Int { 8 * 1024 }

    /// Whether the client is on this machine (127.0.0.0/8 or ::1).
    public var isLoopback: Bool {
        guard let ip = remoteAddress?.ipAddress else { return false }
        return ip.hasPrefix("127.") || ip == "::1" || ip.hasPrefix("::ffff:127.")
    }
}
