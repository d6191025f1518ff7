import Domain
import Logging
import PostgresNIO

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

extension AuditLine {
    var insertion: PostgresQuery {
        "INSERT INTO audit_log (user_id, action, resource, detail) VALUES (\(userID), \(action), \(resource), \(detail)::jsonb)"
    }
}
