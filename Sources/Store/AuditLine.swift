import Foundation
import Logging
import PostgresNIO

/// One line of the audit trail (`audit_log`, append-only: Sql/0015_records.sql).
public struct AuditLine: Sendable, Hashable {
    public var userID: Int64?
    public var action: String
    public var resource: String
    /// A JSON object, or nil.
    public var detail: String?

    public init(userID: Int64?, action: String, resource: String, detail: String? = nil) {
        self.userID = userID
        self.action = action
        self.resource = resource
        self.detail = detail
    }

    /// With `detail` as a JSON object of strings (none when empty).
    public init(userID: Int64?, action: String, resource: String, fields: [String: String]) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding strings to strings cannot fail.
        let json = fields.isEmpty ? nil : (try? encoder.encode(fields)).map { String(decoding: $0, as: UTF8.self) }
        self.init(userID: userID, action: action, resource: resource, detail: json)
    }

    var insertion: PostgresQuery {
        "INSERT INTO audit_log (user_id, action, resource, detail) VALUES (\(userID), \(action), \(resource), \(detail)::jsonb)"
    }
}

/// The audit line of a write, named once the write's outcome is known (the id it created, or
/// whether it found its row); nil writes none.
public typealias Audit<Outcome> = @Sendable (Outcome) -> AuditLine?

extension PostgresClient {
    /// Runs `body` and writes the audit line `audit` names for its outcome in the same
    /// transaction: the action and its record stand or fall together.
    func audited<T: Sendable>(_ audit: Audit<T>?, logger: Logger, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await transaction(logger: logger) { connection in
            let outcome = try await body(connection)
            if let entry = audit?(outcome) { try await connection.query(entry.insertion, logger: logger) }
            return outcome
        }
    }
}
