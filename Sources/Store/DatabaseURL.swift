import Domain
import Foundation
import NIOSSL
import PostgresNIO

/// `postgres://user:password@host:port/database?sslmode=…` to a PostgresClient configuration.
/// A host beyond this machine gets `sslmode=verify-full` unless the URL says otherwise; the
/// password never appears in `description` or in an error.
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
        // The text is never repeated in an error: it may hold a password.
        guard let components = URLComponents(string: text), ["postgres", "postgresql"].contains(components.scheme ?? "") else {
            throw MigrationError(description: "DATABASE_URL must look like postgres://user:password@host:5432/database?sslmode=verify-full")
        }
        let query = components.queryItems ?? []
        // libpq's `?host=/run/postgresql` names a socket's folder; so does a host beginning with '/'.
        guard let host = query.first(where: { $0.name == "host" })?.value ?? components.host, !host.isEmpty else {
            throw MigrationError(description: "DATABASE_URL has no host: postgres://user:password@host:5432/database, or ?host=/socket/folder")
        }
        self.host = host
        self.port = components.port ?? 5432
        self.user = components.user ?? "postgres"
        self.password = components.password
        let path = components.path.drop { $0 == "/" }
        self.database = path.isEmpty ? self.user : String(path)
        // Beyond this machine the connection is encrypted and the server's certificate checked
        // unless the URL asks otherwise (`sslmode=disable` for plain text).
        self.sslMode = query.first { $0.name == "sslmode" }?.value ?? (Self.isLocal(host) ? "disable" : "verify-full")
        guard Self.sslModes.contains(sslMode) else {
            throw MigrationError(description: "sslmode \(sslMode) is not one of \(Self.sslModes.joined(separator: ", "))")
        }
        self.sslRootCertificate = query.first { $0.name == "sslrootcert" }?.value
    }

    static let sslModes = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]

    /// A unix socket's folder.
    var isSocket: Bool { host.hasPrefix("/") }

    /// A socket or a loopback address: the connection never leaves this machine.
    static func isLocal(_ host: String) -> Bool {
        if host.hasPrefix("/") || host == "localhost" || host == "::1" || host == "[::1]" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }

    /// Without the password: what logs and errors may show.
    public var description: String { "postgres://\(user)@\(host):\(port)/\(database)?sslmode=\(sslMode)" }

    /// The URL with its password, for a child process's settings: never for a log.
    public var urlWithPassword: String {
        var components = URLComponents()
        components.scheme = "postgres"
        components.user = user
        components.password = password
        components.host = isSocket ? "" : host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        components.port = port
        components.path = "/" + database
        components.queryItems =
            [URLQueryItem(name: "sslmode", value: sslMode)] + (isSocket ? [URLQueryItem(name: "host", value: host)] : [])
            + (sslRootCertificate.map { [URLQueryItem(name: "sslrootcert", value: $0)] } ?? [])
        return components.string ?? description
    }

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
            throw MigrationError(description: "sslmode \(sslMode) is not one of \(Self.sslModes.joined(separator: ", "))")
        }
    }

    public func clientConfiguration() throws -> PostgresClient.Configuration {
        if isSocket { return PostgresClient.Configuration(unixSocketPath: socketPath, username: user, password: password, database: database) }
        let tls: PostgresClient.Configuration.TLS =
            switch try self.tls() {
            case nil: .disable
            case (let config, false)?: .prefer(config)
            case (let config, true)?: .require(config)
            }
        return PostgresClient.Configuration(host: host, port: port, username: user, password: password, database: database, tls: tls)
    }

    /// The socket file in the folder `host` names, as libpq finds it.
    var socketPath: String { "\(host)/.s.PGSQL.\(port)" }

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
        if isSocket { return PostgresConnection.Configuration(unixSocketPath: socketPath, username: user, password: password, database: database) }
        let tls: PostgresConnection.Configuration.TLS =
            switch try self.tls() {
            case nil: .disable
            case (let config, false)?: .prefer(try NIOSSLContext(configuration: config))
            case (let config, true)?: .require(try NIOSSLContext(configuration: config))
            }
        return PostgresConnection.Configuration(host: host, port: port, username: user, password: password, database: database, tls: tls)
    }
}
