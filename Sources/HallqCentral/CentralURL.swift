import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO

/// A `postgres://` URL as libpq reads it (user, password, host, port, database, and the query
/// parameters `sslmode` and `sslrootcert`), turned into postgres-nio's connection settings.
///
/// `sslmode` as libpq spells it: `disable`, `prefer` (TLS if offered, not verified), `require`
/// (TLS, not verified), `verify-ca` (the chain checked against `sslrootcert` or the system's
/// roots), `verify-full` (that and the host name). libpq's default is `prefer`; so is ours.
public struct CentralURL: Sendable, Equatable {
    public enum SSLMode: String, Sendable, CaseIterable {
        case disable, allow, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    public var user: String
    public var password: String?
    public var host: String
    public var port: Int
    public var database: String
    public var sslMode: SSLMode
    public var sslRootCert: String?

    public struct Invalid: Error, CustomStringConvertible {
        public var description: String
    }

    public init(_ text: String) throws {
        guard text.hasPrefix("postgres://") || text.hasPrefix("postgresql://"),
            let c = URLComponents(string: text), let host = c.host, !host.isEmpty
        else { throw Invalid(description: "not a postgres://user:password@host:port/database URL") }
        user = c.user.flatMap { $0.removingPercentEncoding } ?? "postgres"
        password = c.password.flatMap { $0.removingPercentEncoding }
        self.host = host
        port = c.port ?? 5432
        let path = c.path.hasPrefix("/") ? String(c.path.dropFirst()) : c.path
        database = path.isEmpty ? user : (path.removingPercentEncoding ?? path)
        sslMode = .prefer
        for item in c.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let m = item.value.flatMap(SSLMode.init(rawValue:)) else {
                    throw Invalid(
                        description:
                            "sslmode must be one of \(SSLMode.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                sslMode = m
            case "sslrootcert": sslRootCert = item.value
            case "application_name", "connect_timeout": break
            default: throw Invalid(description: "unknown URL parameter \(item.name)")
            }
        }
    }

    /// The same URL with another role and password (the `[central]` section `hall add` prints).
    public func with(user: String, password: String) -> String {
        var c = URLComponents()
        c.scheme = "postgres"
        c.user = user
        c.password = password
        c.host = host
        c.port = port
        c.path = "/" + database
        var q = [URLQueryItem(name: "sslmode", value: sslMode.rawValue)]
        if let r = sslRootCert { q.append(URLQueryItem(name: "sslrootcert", value: r)) }
        c.queryItems = q
        return c.string ?? ""
    }

    /// The URL without its password, for logs and `status`.
    public var redacted: String { "postgres://\(user)@\(host):\(port)/\(database)?sslmode=\(sslMode.rawValue)" }

    public func configuration() throws -> PostgresConnection.Configuration {
        var tls: PostgresConnection.Configuration.TLS = .disable
        if sslMode != .disable {
            var t = TLSConfiguration.makeClientConfiguration()
            switch sslMode {
            case .verifyFull: t.certificateVerification = .fullVerification
            case .verifyCA: t.certificateVerification = .noHostnameVerification
            default: t.certificateVerification = .none
            }
            if let root = sslRootCert { t.trustRoots = .file(root) }
            let context = try NIOSSLContext(configuration: t)
            tls = (sslMode == .allow || sslMode == .prefer) ? .prefer(context) : .require(context)
        }
        var c = PostgresConnection.Configuration(
            host: host, port: port, username: user, password: password, database: database, tls: tls)
        c.options.connectTimeout = .seconds(10)
        if sslMode == .verifyFull { c.options.tlsServerName = host }
        return c
    }

    /// A connection on the shared event loops.
    public func connect(logger: Logger) async throws -> PostgresConnection {
        try await PostgresConnection.connect(
            on: MultiThreadedEventLoopGroup.singleton.any(), configuration: configuration(), id: 1, logger: logger
        ).get()
    }
}
