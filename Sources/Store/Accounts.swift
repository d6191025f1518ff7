import Domain
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

    public func agencies() async throws -> [Agency] {
        let rows = try await client.query("SELECT id, name, contact_name, contact_phone, requires_approval FROM agencies ORDER BY id", logger: logger)
        var out: [Agency] = []
        for try await (id, name, contact, phone, approval) in rows.decode((Int64, String, String?, String?, Bool).self) {
            out.append(Agency(id: id, name: name, contactName: contact, contactPhone: phone, requiresApproval: approval))
        }
        return out
    }

    /// Whether the agency's users' bookings wait for its approver; `NoSuchRecord` for an unknown agency.
    public func setRequiresApproval(agencyID: Int64, _ required: Bool, audit: AuditLine?) async throws {
        try await client.audited({ _ in audit }, logger: logger) { connection in
            _ = try await connection.returningID(
                "UPDATE agencies SET requires_approval = \(required) WHERE id = \(agencyID) RETURNING id", logger: logger)
        }
    }

    /// Adds an agency, or sets the contact of the one of that name: its id.
    public func saveAgency(name: String, contactName: String?, contactPhone: String?, audit: Audit<Int64>? = nil) async throws -> Int64 {
        try await client.audited(audit, logger: logger) { connection in
            try await connection.returningID(
                """
                INSERT INTO agencies (name, contact_name, contact_phone) VALUES (\(name), \(contactName), \(contactPhone))
                ON CONFLICT (name) DO UPDATE SET contact_name = EXCLUDED.contact_name, contact_phone = EXCLUDED.contact_phone RETURNING id
                """,
                logger: logger
            )
        }
    }

    /// A username is unique.
    public struct UsernameTaken: Error, Hashable {}

    /// Creates a user; throws `UsernameTaken` when the unique index refuses the name, and
    /// `NoSuchRecord` for an unknown agency.
    public func createUser(username: String, passwordHash: String, role: String, agencyID: Int64?, audit: Audit<User>? = nil) async throws -> User {
        do {
            return try await client.audited(audit, logger: logger) { connection in
                let id = try await connection.returningID(
                    """
                    INSERT INTO users (username, password_hash, role, agency_id) VALUES (\(username), \(passwordHash), \(role), \(agencyID))
                    RETURNING id
                    """,
                    logger: logger
                )
                return User(id: id, username: username, role: role, agencyID: agencyID)
            }
        } catch is DuplicateRecord {
            throw UsernameTaken()
        }
    }

    /// Every user, by id.
    public func users() async throws -> [User] {
        var out: [User] = []
        for try await (id, username, role, agency) in try await client.query("SELECT id, username, role, agency_id FROM users ORDER BY id", logger: logger)
            .decode(
                (Int64, String, String, Int64?).self
            )
        {
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

    public func storeToken(sha256: [UInt8], userID: Int64, expiresAt: Date, audit: AuditLine? = nil) async throws {
        try await client.audited({ _ in audit }, logger: logger) { connection in
            _ = try await connection.query(
                "INSERT INTO api_tokens (token_sha256, user_id, expires_at) VALUES (\(ByteBuffer(bytes: sha256)), \(userID), \(expiresAt))", logger: logger
            )
        }
    }

    /// The user a token belongs to, if it has neither expired nor gone unused for `idleTimeout`
    /// seconds, and the user is not disabled; the token counts as used now.
    public func user(tokenSHA256: [UInt8], idleTimeout: Double) async throws -> User? {
        let rows = try await client.query(
            """
            UPDATE api_tokens t SET last_used_at = now() FROM users u
            WHERE u.id = t.user_id AND t.token_sha256 = \(ByteBuffer(bytes: tokenSHA256)) AND t.expires_at > now()
                AND t.last_used_at > now() - make_interval(secs => \(idleTimeout)) AND NOT u.disabled
            RETURNING u.id, u.username, u.role, u.agency_id
            """,
            logger: logger
        )
        for try await (id, username, role, agency) in rows.decode((Int64, String, String, Int64?).self) {
            return User(id: id, username: username, role: role, agencyID: agency)
        }
        return nil
    }

    /// Signs a token out.
    public func deleteToken(sha256: [UInt8], audit: AuditLine? = nil) async throws {
        try await client.audited({ _ in audit }, logger: logger) { connection in
            _ = try await connection.query("DELETE FROM api_tokens WHERE token_sha256 = \(ByteBuffer(bytes: sha256))", logger: logger)
        }
    }

    /// Ends a user's sessions but `keeping`'s: how many ended.
    public func deleteTokens(userID: Int64, keeping: [UInt8]? = nil, audit: Audit<Int>? = nil) async throws -> Int {
        try await client.audited(audit, logger: logger) { connection in try await Self.deleteTokens(userID: userID, keeping: keeping, connection, logger) }
    }

    static func deleteTokens(userID: Int64, keeping: [UInt8]?, _ connection: PostgresConnection, _ logger: Logger) async throws -> Int {
        let keep = keeping.map { ByteBuffer(bytes: $0) }
        let rows = try await connection.query(
            "DELETE FROM api_tokens WHERE user_id = \(userID) AND (\(keep)::bytea IS NULL OR token_sha256 <> \(keep)) RETURNING 1", logger: logger
        )
        var ended = 0
        for try await _ in rows.decode(Int32.self) { ended += 1 }
        return ended
    }

    /// Disables a user and ends their sessions (how many), or enables them again (0); nil if
    /// there is no such user.
    public func setDisabled(userID: Int64, _ disabled: Bool, audit: Audit<Int?>? = nil) async throws -> Int? {
        try await client.audited(audit, logger: logger) { connection -> Int? in
            guard try await connection.touchedRow("UPDATE users SET disabled = \(disabled) WHERE id = \(userID) RETURNING id", logger: logger) else {
                return nil
            }
            return disabled ? try await Self.deleteTokens(userID: userID, keeping: nil, connection, logger) : 0
        }
    }

    /// A new bcrypt hash for a user's password; every session of theirs but `keeping` ends
    /// (how many).
    public func setPasswordHash(username: String, _ passwordHash: String, keeping: [UInt8]? = nil, audit: Audit<Int>? = nil) async throws -> Int {
        try await client.audited(audit, logger: logger) { connection in
            let id = try await connection.returningID(
                "UPDATE users SET password_hash = \(passwordHash) WHERE username = \(username) RETURNING id", logger: logger)
            return try await Self.deleteTokens(userID: id, keeping: keeping, connection, logger)
        }
    }

    /// One line of the audit trail; `detail` is a JSON object.
    public func audit(userID: Int64?, action: String, resource: String, detail: String? = nil) async throws {
        try await client.query(AuditLine(userID: userID, action: action, resource: resource, detail: detail).insertion, logger: logger)
    }

    /// Which audit lines to read: every criterion given must hold; `before` is the cursor (an id).
    public struct AuditFilter: Sendable, Hashable {
        public var actor: String?
        public var action: String?
        public var resource: String?
        public var from: Date?
        public var to: Date?
        public var before: Int64?
        public var limit: Int

        public init(
            actor: String? = nil, action: String? = nil, resource: String? = nil, from: Date? = nil, to: Date? = nil, before: Int64? = nil, limit: Int = 100
        ) {
            (self.actor, self.action, self.resource, self.from, self.to, self.before, self.limit) = (actor, action, resource, from, to, before, limit)
        }
    }

    public struct AuditEntry: Sendable, Hashable {
        public var id: Int64
        public var at: Date
        public var userID: Int64?
        /// The actor's username, for a line with a user.
        public var username: String?
        public var action: String
        public var resource: String
        /// A JSON object, as text.
        public var detail: String?
    }

    /// The audit lines `filter` selects, newest first.
    public func auditTrail(_ filter: AuditFilter) async throws -> [AuditEntry] {
        let rows = try await client.query(
            """
            SELECT a.id, a.at, a.user_id, u.username, a.action, a.resource, a.detail::text FROM audit_log a LEFT JOIN users u ON u.id = a.user_id
            WHERE (\(filter.actor)::text IS NULL OR u.username = \(filter.actor)) AND (\(filter.action)::text IS NULL OR a.action = \(filter.action))
                AND (\(filter.resource)::text IS NULL OR a.resource = \(filter.resource)) AND (\(filter.from)::timestamptz IS NULL OR a.at >= \(filter.from))
                AND (\(filter.to)::timestamptz IS NULL OR a.at < \(filter.to)) AND (\(filter.before)::int8 IS NULL OR a.id < \(filter.before))
            ORDER BY a.id DESC LIMIT \(filter.limit)
            """,
            logger: logger
        )
        var entries: [AuditEntry] = []
        for try await (id, at, user, username, action, resource, detail) in rows.decode((Int64, Date, Int64?, String?, String, String, String?).self) {
            entries.append(AuditEntry(id: id, at: at, userID: user, username: username, action: action, resource: resource, detail: detail))
        }
        return entries
    }

    /// The newest audit entries first.
    public func auditTrail(limit: Int = 100) async throws -> [AuditEntry] {
        try await auditTrail(AuditFilter(limit: limit))
    }
}

/// An INSERT ... RETURNING that returned nothing: the database misbehaved.
struct NoRowReturned: Error, CustomStringConvertible {
    var statement: String
    var description: String { "\(statement) returned no row" }
}
