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
