import EmbeddedPostgres
import Foundation
import Logging
import PostgresNIO
import Store

/// The checkout this package sits in (for Sql/).
public let checkout = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../..").standardized

/// Runs `body` against a PostgreSQL cluster of the benchmark's own, started with fleetd's own
/// settings (fsync on, durable commits) and migrated; the cluster and its folder are removed
/// afterwards, whatever happens.
public func withBenchmarkDatabase<T>(
    _ name: String, logger: Logger, _ body: (PostgresClient, EmbeddedPostgres.Running) async throws -> T
) async throws -> T {
    let folder = URL(fileURLWithPath: "/var/tmp/fleet-\(name)-benchmark-\(getpid())")
    let cluster = EmbeddedPostgres(
        configuration: .init(dataDirectory: folder.appendingPathComponent("postgres"), database: name, settings: EmbeddedPostgres.serverSettings), logger: logger
    )
    print("starting PostgreSQL (fsync on, \(EmbeddedPostgres.serverSettings)) in \(folder.path)...")
    let running = try cluster.start()
    defer {
        cluster.destroy()
        try? FileManager.default.removeItem(at: folder)
    }
    let client = PostgresClient(configuration: try DatabaseURL(running.url).clientConfiguration(), backgroundLogger: logger)
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await client.run() }
        defer { group.cancelAll() }
        _ = try await Migrator(client: client, logger: logger).migrate(try Migration.load(directory: checkout.appendingPathComponent("Sql")))
        return try await body(client, running)
    }
}

/// A duration in seconds.
public func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

/// The first integer of `SQL`'s first row.
public func count(_ client: PostgresClient, _ sql: PostgresQuery, logger: Logger) async throws -> Int {
    for try await n in try await client.query(sql, logger: logger).decode(Int.self) { return n }
    return 0
}
