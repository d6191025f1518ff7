import Domain
import Foundation
import Logging
import PostgresNIO

/// Incidents entered by an assessor for a month, with their reasons: added to what the system
/// measured; corrected only by another entry.
public struct AssessmentIncidents: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    public func enter(month: CivilDate, itemID: String, count: Int, reason: String, by userID: Int64?, audit: Audit<Int64>? = nil) async throws -> Int64 {
        try await client.audited(audit, logger: logger) { connection in
            try await connection.returningID(
                """
                INSERT INTO assessment_incidents (month, item_id, count, reason, by_user) VALUES (\(month.description)::date, \(itemID), \(Int32(count)), \(reason), \(userID))
                RETURNING id
                """, logger: logger)
        }
    }

    public func entries(month: CivilDate) async throws -> [AssessmentEntry] {
        let rows = try await client.query(
            "SELECT id, item_id, count, reason, entered_at FROM assessment_incidents WHERE month = \(month.description)::date ORDER BY id", logger: logger
        )
        var out: [AssessmentEntry] = []
        for try await (id, item, count, reason, at) in rows.decode((Int64, String, Int32, String, Date).self) {
            out.append(AssessmentEntry(id: id, itemID: item, count: Int(count), reason: reason, enteredAt: at))
        }
        return out
    }
}
