import Foundation
import Logging
import NIOCore
import PostgresNIO

/// The API's users, their sessions and the audit log, in PostgreSQL. Passwords arrive hashed
/// (bcrypt, by the API) and tokens as their SHA-256: neither is ever stored in the clear.
public struct Accounts: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// A user as the API sees them.
    public struct User: Sendable, Hashable, Codable {
        public var id: Int64
        public var username: String
        public var role: String
        public var agencyID: Int64?

        public init(id: Int64, username: String, role: String, agencyID: Int64?) {
            self.id = id
            self.username = username
            self.role = role
            self.agencyID = agencyID
        }
    }

    public func createAgency(name: String) async throws -> Int64 {
        try await client.returningID(
            "INSERT INTO agencies (name) VALUES (\(name)) ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING id", logger: logger
        )
    }

    public struct Agency: Sendable, Hashable, Codable {
        public var id: Int64
        public var name: String
        public var contactName: String?
        public var contactPhone: String?

        public init(id: Int64, name: String, contactName: String?, contactPhone: String?) {
            (self.id, self.name, self.contactName, self.contactPhone) = (id, name, contactName, contactPhone)
        }
    }

    public func agencies() async throws -> [Agency] {
        let rows = try await client.query("SELECT id, name, contact_name, contact_phone FROM agencies ORDER BY id", logger: logger)
        var out: [Agency] = []
        for try await (id, name, contact, phone) in rows.decode((Int64, String, String?, String?).self) {
            out.append(Agency(id: id, name: name, contactName: contact, contactPhone: phone))
        }
        return out
    }

    public func setAgencyContact(_ id: Int64, name: String?, phone: String?) async throws {
        try await client.query("UPDATE agencies SET contact_name = \(name), contact_phone = \(phone) WHERE id = \(id)", logger: logger)
    }

    /// A username is unique.
    public struct UsernameTaken: Error, Hashable {}

    /// Creates a user; throws `UsernameTaken` when the unique index refuses the name, and
    /// `NoSuchRecord` for an unknown agency.
    public func createUser(username: String, passwordHash: String, role: String, agencyID: Int64?) async throws -> User {
        do {
            let rows = try await client.query(
                """
                INSERT INTO users (username, password_hash, role, agency_id) VALUES (\(username), \(passwordHash), \(role), \(agencyID))
                RETURNING id
                """,
                logger: logger
            )
            for try await id in rows.decode(Int64.self) { return User(id: id, username: username, role: role, agencyID: agencyID) }
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
            throw UsernameTaken()
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23503" {
            throw NoSuchRecord()
        }
        throw NoRowReturned(statement: "INSERT INTO users")
    }

    /// Every user, by id.
    public func users() async throws -> [User] {
        var out: [User] = []
        for try await (id, username, role, agency) in try await client.query("SELECT id, username, role, agency_id FROM users ORDER BY id", logger: logger).decode(
            (Int64, String, String, Int64?).self
        ) {
            out.append(User(id: id, username: username, role: role, agencyID: agency))
        }
        return out
    }

    /// The user and password hash for a login, unless unknown or disabled.
    public func credentials(username: String) async throws -> (user: User, passwordHash: String)? {
        let rows = try await client.query(
            "SELECT id, role, agency_id, password_hash FROM users WHERE username = \(username) AND NOT disabled", logger: logger
        )
        for try await (id, role, agency, hash) in rows.decode((Int64, String, Int64?, String).self) {
            return (User(id: id, username: username, role: role, agencyID: agency), hash)
        }
        return nil
    }

    public func storeToken(sha256: [UInt8], userID: Int64, expiresAt: Date) async throws {
        try await client.query(
            "INSERT INTO api_tokens (token_sha256, user_id, expires_at) VALUES (\(ByteBuffer(bytes: sha256)), \(userID), \(expiresAt))", logger: logger
        )
    }

    /// The user a token belongs to, if it has not expired and the user is not disabled.
    public func user(tokenSHA256: [UInt8]) async throws -> User? {
        let rows = try await client.query(
            """
            SELECT u.id, u.username, u.role, u.agency_id FROM api_tokens t JOIN users u ON u.id = t.user_id
            WHERE t.token_sha256 = \(ByteBuffer(bytes: tokenSHA256)) AND t.expires_at > now() AND NOT u.disabled
            """,
            logger: logger
        )
        for try await (id, username, role, agency) in rows.decode((Int64, String, String, Int64?).self) {
            return User(id: id, username: username, role: role, agencyID: agency)
        }
        return nil
    }

    /// One line of the audit trail; `detail` is a JSON object.
    public func audit(userID: Int64?, action: String, resource: String, detail: String? = nil) async throws {
        try await client.query(
            "INSERT INTO audit_log (user_id, action, resource, detail) VALUES (\(userID), \(action), \(resource), \(detail)::jsonb)", logger: logger
        )
    }

    public struct AuditEntry: Sendable, Hashable {
        public var userID: Int64?
        public var action: String
        public var resource: String
    }

    /// The newest audit entries first.
    public func auditTrail(limit: Int = 100) async throws -> [AuditEntry] {
        let rows = try await client.query(
            "SELECT user_id, action, resource FROM audit_log ORDER BY id DESC LIMIT \(limit)", logger: logger
        )
        var entries: [AuditEntry] = []
        for try await (user, action, resource) in rows.decode((Int64?, String, String).self) {
            entries.append(AuditEntry(userID: user, action: action, resource: resource))
        }
        return entries
    }
}

/// The record an id, a plate or a foreign key names does not exist.
public struct NoSuchRecord: Error, Hashable {
    public init() {}
}

/// An INSERT ... RETURNING that returned nothing: the database misbehaved.
struct NoRowReturned: Error, CustomStringConvertible {
    var statement: String
    var description: String { "\(statement) returned no row" }
}
