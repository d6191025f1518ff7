import Foundation
import Logging
import PostgresNIO

/// The duties one process at a time does for the whole fleet: dispatch (matching rounds, the SLA
/// clocks, the arrival watch, notices) and maintenance (partitions and retention, the finished
/// days, billing's sweep, the platform's minutes).
public enum Duty: String, Sendable, CaseIterable, Codable {
    case dispatch, maintenance

    /// The duty's session-level advisory lock: held by the leader's own connection, so it is
    /// let go the moment that connection ends, however the process died.
    var lockKey: Int64 {
        switch self {
        case .dispatch: 0x0F1E_E7_0001
        case .maintenance: 0x0F1E_E7_0002
        }
    }
}

/// Who leads a duty, decided by PostgreSQL: the process whose dedicated connection holds the
/// duty's advisory lock. The holder's name goes in `leaders` for the health check and the
/// operators (Sql/0028); the lock, not the row, decides.
public struct LeaderLock: Sendable {
    public let duty: Duty
    /// This process, as `leaders` names it (host/pid).
    public let holder: String

    public init(duty: Duty, holder: String) { (self.duty, self.holder) = (duty, holder) }

    /// A dedicated connection for campaigning and holding: the server drops it (and the lock)
    /// within about 8 s of losing its peer without a word, and checks the client socket while
    /// it works, so a leader cut off from the database does not keep its duty for long.
    public static func connect(_ url: DatabaseURL, logger: Logger) async throws -> PostgresConnection {
        let connection = try await PostgresConnection.connect(configuration: try url.connectionConfiguration(), id: 0, logger: logger)
        do {
            for setting in ["tcp_keepalives_idle = 5", "tcp_keepalives_interval = 1", "tcp_keepalives_count = 3", "client_connection_check_interval = 1000"] {
                try await connection.query(PostgresQuery(unsafeSQL: "SET \(setting)"), logger: logger)
            }
            return connection
        } catch {
            try? await connection.close()
            throw error
        }
    }

    /// Takes the duty if no one holds it; true if this connection holds it now.
    public func tryAcquire(on connection: PostgresConnection, logger: Logger) async throws -> Bool {
        let rows = try await connection.query("SELECT pg_try_advisory_lock(\(duty.lockKey))", logger: logger)
        var acquired = false
        for try await held in rows.decode(Bool.self) { acquired = held }
        guard acquired else { return false }
        try await connection.query(
            """
            INSERT INTO leaders (duty, holder, since) VALUES (\(duty.rawValue), \(holder), now())
            ON CONFLICT (duty) DO UPDATE SET holder = excluded.holder, since = excluded.since
            """, logger: logger)
        return true
    }

    /// Whether this connection still answers (and so still holds the lock it took).
    public func confirm(on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("SELECT 1", logger: logger)
    }

    /// Each duty's leader now: those whose lock is held, by the holder `leaders` names.
    public static func leaders(client: PostgresClient, logger: Logger) async throws -> [Duty: String] {
        var leaders: [Duty: String] = [:]
        for duty in Duty.allCases {
            // An advisory lock on a bigint key shows in pg_locks as its two halves.
            let key = UInt64(bitPattern: duty.lockKey)
            let rows = try await client.query(
                """
                SELECT l.holder FROM leaders l
                WHERE l.duty = \(duty.rawValue) AND EXISTS (
                    SELECT 1 FROM pg_locks p WHERE p.locktype = 'advisory' AND p.granted AND p.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                    AND p.classid::int8 = \(Int64(key >> 32)) AND p.objid::int8 = \(Int64(key & 0xFFFF_FFFF)) AND p.objsubid = 1)
                """, logger: logger)
            for try await holder in rows.decode(String.self) { leaders[duty] = holder }
        }
        return leaders
    }
}
