import Domain
import Logging
import PostgresNIO

/// The vehicle registry in PostgreSQL: a terminal may register only if it is on file and bound
/// to a vehicle; registering issues a fresh auth code, kept in `terminals`.
public struct PostgresTerminalRegistry: TerminalRegistry {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    public func register(_ identity: TerminalIdentity) async throws -> RegistrationDecision {
        let rows = try await client.query("SELECT vehicle_id FROM terminals WHERE phone = \(identity.phone)", logger: logger)
        var found = false
        var vehicle: Int64?
        for try await v in rows.decode(Int64?.self) {
            found = true
            vehicle = v
        }
        guard found else { return .terminalUnknown }
        guard vehicle != nil else { return .vehicleUnknown }
        let code = Self.newAuthCode()
        try await client.query("""
            UPDATE terminals SET auth_code = \(code), registered_at = now(), manufacturer = \(identity.manufacturer),
                model = \(identity.model), terminal_id = \(identity.terminalID)
            WHERE phone = \(identity.phone)
            """, logger: logger)
        return .accepted(authCode: code)
    }

    public func authenticate(phone: String, authCode: String) async throws -> AuthenticatedTerminal? {
        let rows = try await client.query("""
            SELECT t.id, t.device_profile, coalesce(l.alarm, 0)
            FROM terminals t LEFT JOIN latest_positions l ON l.terminal_id = t.id
            WHERE t.phone = \(phone) AND t.auth_code = \(authCode) AND t.vehicle_id IS NOT NULL
            """, logger: logger)
        for try await (id, profile, alarm) in rows.decode((Int32, String?, Int32).self) {
            return AuthenticatedTerminal(id: id, phone: phone, deviceProfile: profile, alarm: UInt32(bitPattern: alarm))
        }
        return nil
    }

    /// Makes sure a vehicle with `plate` exists and `phone`'s terminal is bound to it (fleet
    /// provisioning: the demo, tests, imports).
    public func bind(phone: String, plate: String) async throws {
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query("INSERT INTO vehicles (plate) VALUES (\(plate)) ON CONFLICT (plate) DO NOTHING", logger: logger)
            try await connection.query("""
                INSERT INTO terminals (phone, vehicle_id) SELECT \(phone), id FROM vehicles WHERE plate = \(plate)
                ON CONFLICT (phone) DO UPDATE SET vehicle_id = EXCLUDED.vehicle_id
                """, logger: logger)
        }
    }

    /// 16 random hex digits.
    static func newAuthCode() -> String {
        var generator = SystemRandomNumberGenerator()
        let value = generator.next() as UInt64
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
