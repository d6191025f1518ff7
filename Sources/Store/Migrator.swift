import Domain
import Foundation
import Logging
import PostgresNIO

/// One schema change: `Sql/NNNN_name.sql`.
public struct Migration: Sendable, Hashable {
    public var version: Int
    public var name: String
    public var sql: String

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }

    /// FNV-1a of the text: an applied migration must never change.
    public var checksum: String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in sql.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return String(h, radix: 16)
    }

    /// The migrations of a folder, in order. Files are `NNNN_name.sql`; anything else is an error.
    public static func load(directory: URL) throws -> [Migration] {
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".sql") }.sorted()
        var seen: [Int: String] = [:]
        return try files.map { file in
            let stem = file.dropLast(4)
            guard let underscore = stem.firstIndex(of: "_"), let version = Int(stem[..<underscore]) else {
                throw MigrationError(description: "\(file): migration files are named NNNN_name.sql")
            }
            if let other = seen[version] { throw MigrationError(description: "\(file) and \(other) share version \(version)") }
            seen[version] = file
            let sql = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
            return Migration(version: version, name: String(stem[stem.index(after: underscore)...]), sql: sql)
        }
    }
}

public struct MigrationError: Error, CustomStringConvertible {
    public var description: String
    public init(description: String) { self.description = description }
}

/// Applies migrations in order, each exactly once, each in its own transaction, recorded in
/// `schema_migrations`. Concurrent migrators (two servers starting together) serialise on an
/// advisory lock.
public struct Migrator: Sendable {
    let client: PostgresClient
    let logger: Logger

    /// Any constant shared by all Fleet processes: the advisory lock key.
    static let lockKey: Int64 = 0x0F1E_E7_808

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Applies what is missing; `progress` hears about each migration as it is applied.
    @discardableResult
    public func migrate(_ migrations: [Migration], progress: @Sendable (Migration) -> Void = { _ in }) async throws -> [Migration] {
        // Under the lock too: two concurrent CREATE TABLE IF NOT EXISTS can still collide.
        _ = try await locked { connection in
            try await connection.query(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version integer PRIMARY KEY,
                    name text NOT NULL,
                    checksum text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """, logger: logger)
        }
        var applied: [Migration] = []
        for migration in migrations.sorted(by: { $0.version < $1.version }) {
            let didApply = try await locked { connection -> Bool in
                let rows = try await connection.query("SELECT checksum FROM schema_migrations WHERE version = \(migration.version)", logger: logger)
                for try await checksum in rows.decode(String.self) {
                    guard checksum == migration.checksum else {
                        throw MigrationError(
                            description: "migration \(migration.version)_\(migration.name) was changed after it was applied; add a new migration instead")
                    }
                    return false
                }
                for statement in SQLScript.statements(migration.sql) {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES (\(migration.version), \(migration.name), \(migration.checksum))",
                    logger: logger
                )
                return true
            }
            if didApply {
                logger.info("applied migration", metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
                progress(migration)
                applied.append(migration)
            }
        }
        return applied
    }

    /// A transaction holding the migration lock; errors come out as thrown by `body`.
    private func locked<R: Sendable>(_ body: (PostgresConnection) async throws -> R) async throws -> R {
        do {
            return try await client.withTransaction(logger: logger) { connection in
                try await connection.query("SELECT pg_advisory_xact_lock(\(Self.lockKey))", logger: logger)
                return try await body(connection)
            }
        } catch let error as PostgresTransactionError {
            throw error.closureError ?? error.commitError ?? error.beginError ?? error
        }
    }

    /// Versions recorded as applied.
    public func appliedVersions() async throws -> [Int] {
        var versions: [Int] = []
        for try await v in try await client.query("SELECT version FROM schema_migrations ORDER BY version", logger: logger).decode(Int.self) {
            versions.append(v)
        }
        return versions
    }
}
