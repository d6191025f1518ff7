import Foundation
import NIOSSL
import PostgresNIO

/// `postgres://user:password@host:port/database?sslmode=…` to a PostgresClient configuration.
public struct DatabaseURL: Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    public var sslMode: String
    /// PEM file of the certificate authorities to trust (`sslrootcert`); the system's when nil.
    public var sslRootCertificate: String?

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
        self.sslRootCertificate = components.queryItems?.first { $0.name == "sslrootcert" }?.value
    }

    public var description: String { "postgres://\(user)@\(host):\(port)/\(database)" }

    /// The TLS this URL asks for: nil for none, and whether it may fall back to plain text.
    func tls() throws -> (configuration: TLSConfiguration, required: Bool)? {
        var config = TLSConfiguration.makeClientConfiguration()
        switch sslMode {
        case "disable": return nil
        case "prefer", "allow": return (config, false)
        case "require":
            config.certificateVerification = .none
            return (config, true)
        case "verify-ca", "verify-full":
            config.certificateVerification = sslMode == "verify-full" ? .fullVerification : .noHostnameVerification
            if let sslRootCertificate { config.trustRoots = .file(sslRootCertificate) }
            return (config, true)
        default:
            throw MigrationError(description: "sslmode \(sslMode) is not one of disable, prefer, require, verify-ca, verify-full")
        }
    }

    public func clientConfiguration() throws -> PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS = switch try self.tls() {
        case nil: .disable
        case (let config, false)?: .prefer(config)
        case (let config, true)?: .require(config)
        }
        return PostgresClient.Configuration(host: host, port: port, username: user, password: password, database: database, tls: tls)
    }

    /// The same connection for libpq (`key='value'` pairs; libpq reads sslmode and sslrootcert itself).
    var libpqConnectionString: String {
        var pairs = [("host", host), ("port", String(port)), ("user", user), ("dbname", database), ("sslmode", sslMode)]
        if let password { pairs.append(("password", password)) }
        if let sslRootCertificate { pairs.append(("sslrootcert", sslRootCertificate)) }
        func quoted(_ value: String) -> String {
            "'" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
        }
        return pairs.map { "\($0.0)=\(quoted($0.1))" }.joined(separator: " ")
    }

    /// For a single connection (no pool, no retries): a TLS failure surfaces at once.
    public func connectionConfiguration() throws -> PostgresConnection.Configuration {
        let tls: PostgresConnection.Configuration.TLS = switch try self.tls() {
        case nil: .disable
        case (let config, false)?: .prefer(try NIOSSLContext(configuration: config))
        case (let config, true)?: .require(try NIOSSLContext(configuration: config))
        }
        return PostgresConnection.Configuration(host: host, port: port, username: user, password: password, database: database, tls: tls)
    }
}
