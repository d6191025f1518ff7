import Domain
import Foundation
import Logging
import PostgresNIO

/// The tariffs and each agency's agreement as an administrator set them; the defaults of
/// `TariffBook.standard` and `Agreement.framework` until then.
public struct BillingTerms: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Every stored tariff version, or the standard book if none was set.
    public func book() async throws -> TariffBook {
        var tariffs: [Tariff] = []
        let decoder = JSONDecoder()
        for try await text in try await client.query("SELECT tariff::text FROM tariffs ORDER BY vehicle_class, valid_from", logger: logger).decode(String.self)
        {
            tariffs.append(try decoder.decode(Tariff.self, from: Data(text.utf8)))
        }
        return tariffs.isEmpty ? .standard : TariffBook(tariffs: tariffs)
    }

    /// A new version of a class's tariff from its day on (replacing one set for the same day).
    public func set(_ tariff: Tariff, by userID: Int64?, audit: AuditLine? = nil) async throws {
        try await client.audited({ _ in audit }, logger: logger) { connection in
            _ = try await connection.query(
                """
                INSERT INTO tariffs (vehicle_class, valid_from, tariff, by_user) VALUES (\(tariff.vehicleClass.rawValue), \(tariff.validFrom.description)::date, \(try Self.json(tariff))::jsonb, \(userID))
                ON CONFLICT (vehicle_class, valid_from) DO UPDATE SET tariff = EXCLUDED.tariff, set_at = now(), by_user = EXCLUDED.by_user
                """, logger: logger)
        }
    }

    /// The agency's agreement, or the framework's terms.
    public func agreement(agencyID: Int64) async throws -> Agreement {
        for try await text in try await client.query("SELECT agreement::text FROM agreements WHERE agency_id = \(agencyID)", logger: logger).decode(String.self)
        {
            return try JSONDecoder().decode(Agreement.self, from: Data(text.utf8))
        }
        return .framework
    }

    public func set(_ agreement: Agreement, agencyID: Int64, by userID: Int64?, audit: AuditLine? = nil) async throws {
        try await client.audited({ _ in audit }, logger: logger) { connection in
            _ = try await connection.returningID(
                """
                INSERT INTO agreements (agency_id, agreement, by_user) VALUES (\(agencyID), \(try Self.json(agreement))::jsonb, \(userID))
                ON CONFLICT (agency_id) DO UPDATE SET agreement = EXCLUDED.agreement, set_at = now(), by_user = EXCLUDED.by_user RETURNING agency_id
                """, logger: logger)
        }
    }

    static func json(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
