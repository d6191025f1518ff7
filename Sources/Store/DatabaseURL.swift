import Foundation
import PostgresNIO

/// `postgres://user:password@host:port/database?sslmode=…` to a PostgresClient configuration.
public struct DatabaseURL: Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    public var sslMode: String

    public init(_ text: String) throws {
        guard let components = URLComponents(string: text), ["postgres", "postgresql"].contains(components.scheme ?? ""),
              let host = components.host, !host.isEmpty
        else {
            throw MigrationError(description: "DATABASE_URL must look like postgres://user:password@host:5432/database, got \(text)")
        }
        self.host = host
        self.port = components.port ?? 5432
        self.user = components.user ?? "postgres"
        self.password = components.password
        let path = components.path.drop { $0 == "/" }
        self.database = path.isEmpty ? self.user : String(path)
        self.sslMode = components.queryItems?.first { $0.name == "sslmode" }?.value ?? "disable"
    }

    public var description: String { "postgres://\(user)@\(host):\(port)/\(database)" }

    public func clientConfiguration() throws -> PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS
        switch sslMode {
        case "disable": tls = .disable
        case "prefer", "allow": tls = .prefer(.makeClientConfiguration())
        case "require":
            var config = TLSConfiguration.makeClientConfiguration()
            config.certificateVerification = .none
            tls = .require(config)
        case "verify-ca", "verify-full":
            var config = TLSConfiguration.makeClientConfiguration()
            config.certificateVerification = sslMode == "verify-full" ? .fullVerification : .noHostnameVerification
            tls = .require(config)
        default:
            throw MigrationError(description: "sslmode \(sslMode) is not one of disable, prefer, require, verify-ca, verify-full")
        }
        return PostgresClient.Configuration(host: host, port: port, username: user, password: password, database: database, tls: tls)
    }
}
