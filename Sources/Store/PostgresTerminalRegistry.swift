import Domain
import Logging
import PostgresNIO

/// The vehicle registry in PostgreSQL: a terminal may register only as what it was bound as
/// (its terminal ID, its vehicle's plate or VIN: `TerminalOnFile`); registering issues a fresh
/// auth code, kept in `terminals`. What a refused registration claimed is never written.
public struct PostgresTerminalRegistry: TerminalRegistry {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    public func register(_ identity: TerminalIdentity) async throws -> RegistrationDecision {
        let rows = try await client.query(
            """
            SELECT t.terminal_id, v.plate, v.vin FROM terminals t LEFT JOIN vehicles v ON v.id = t.vehicle_id WHERE t.phone = \(identity.phone)
            """, logger: logger)
        var onFile: TerminalOnFile?
        for try await (terminalID, plate, vin) in rows.decode((String?, String?, String?).self) {
            onFile = TerminalOnFile(terminalID: terminalID, plate: plate, vin: vin)
        }
        guard let onFile else { return .terminalUnknown }
        if let refusal = onFile.refusal(of: identity) { return refusal }
        let code = Self.newAuthCode()
        try await client.query("UPDATE terminals SET auth_code = \(code), registered_at = now() WHERE phone = \(identity.phone)", logger: logger)
        return .accepted(authCode: code)
    }

    public func authenticate(phone: String, authCode: String) async throws -> AuthenticatedTerminal? {
        let rows = try await client.query(
            """
            SELECT t.id, t.device_profile, coalesce(l.alarm, 0), extract(epoch FROM l.gnss_time)::int8
            FROM terminals t LEFT JOIN latest_positions l ON l.terminal_id = t.id
            WHERE t.phone = \(phone) AND t.auth_code = \(authCode) AND t.vehicle_id IS NOT NULL
            """, logger: logger)
        for try await (id, profile, alarm, alarmAt) in rows.decode((Int32, String?, Int32, Int64?).self) {
            return AuthenticatedTerminal(id: id, phone: phone, deviceProfile: profile, alarm: UInt32(bitPattern: alarm), alarmAt: alarmAt)
        }
        return nil
    }

    /// Makes sure a vehicle with `plate` exists and `phone`'s terminal, whose terminal ID is
    /// `terminalID`, is bound to it (fleet provisioning: `fleetd terminal bind`, the demo, tests,
    /// imports). Binding again with another terminal ID (a replaced device) voids the old auth
    /// code: the new device registers afresh. `deviceProfile` names the file in DeviceProfiles/
    /// its frames are read by from its next authentication (nil: the one it has is kept).
    public func bind(phone: String, plate: String, terminalID: String, deviceProfile: String? = nil) async throws {
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query("INSERT INTO vehicles (plate) VALUES (\(plate)) ON CONFLICT (plate) DO NOTHING", logger: logger)
            try await connection.query(
                """
                INSERT INTO terminals (phone, vehicle_id, terminal_id, device_profile)
                SELECT \(phone), id, \(terminalID), \(deviceProfile) FROM vehicles WHERE plate = \(plate)
                ON CONFLICT (phone) DO UPDATE SET vehicle_id = EXCLUDED.vehicle_id, terminal_id = EXCLUDED.terminal_id,
                    device_profile = coalesce(EXCLUDED.device_profile, terminals.device_profile),
                    auth_code = CASE WHEN terminals.terminal_id IS DISTINCT FROM EXCLUDED.terminal_id THEN NULL ELSE terminals.auth_code END
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
