import Domain
import Logging
import PostgresNIO

extension PostgresClient {
    /// `withTransaction`, throwing the body's own error (not PostgresNIO's wrapper) so that
    /// callers can tell a refused transition or a missing row from a database failure.
    func transaction<T>(logger: Logger, _ body: (PostgresConnection) async throws -> sending T) async throws -> sending T {
        do {
            return try await withTransaction(logger: logger, body)
        } catch let error as PostgresTransactionError {
            throw error.closureError ?? error
        }
    }
}

/// A pool or one connection (inside a transaction): what runs a query.
protocol Queryable: Sendable {
    func rows(_ query: PostgresQuery, logger: Logger) async throws -> PostgresRowSequence
}

extension PostgresClient: Queryable {
    func rows(_ query: PostgresQuery, logger: Logger) async throws -> PostgresRowSequence { try await self.query(query, logger: logger) }
}

extension PostgresConnection: Queryable {
    func rows(_ query: PostgresQuery, logger: Logger) async throws -> PostgresRowSequence { try await self.query(query, logger: logger) }
}

extension Queryable {
    /// The id an INSERT (or UPDATE) ... RETURNING id gave; `NoSuchRecord` when it touched no
    /// row, and constraint violations typed (`constrained`).
    func returningID(_ query: PostgresQuery, logger: Logger) async throws -> Int64 {
        // Violations can surface while the rows are read: both inside `constrained`.
        try await constrained {
            for try await id in try await rows(query, logger: logger).decode(Int64.self) { return id }
            throw NoSuchRecord()
        }
    }

    /// Whether an UPDATE or INSERT ... RETURNING touched a row.
    func touchedRow(_ query: PostgresQuery, logger: Logger) async throws -> Bool {
        for try await _ in try await rows(query, logger: logger).decode(Int64.self) { return true }
        return false
    }
}

/// Runs `body`, turning a unique violation into `DuplicateRecord` and a foreign-key one into
/// `NoSuchRecord`. Violations can surface while rows are read: iterate them inside `body`.
func constrained<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
        throw DuplicateRecord()
    } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23503" {
        throw NoSuchRecord()
    }
}
