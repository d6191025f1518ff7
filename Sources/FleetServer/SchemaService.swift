import Domain
import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle
import Store

/// Brings the schema up to date when the process starts, creates today's partitions, reads what
/// must be read from the migrated schema, and opens the process's readiness; then waits for
/// shutdown. Every process does it (under the migrations' lock, the first one migrates); the
/// hourly upkeep is the maintenance duty's (`SchemaUpkeep`). Runs as the schema's owner: the
/// partitions and indexes are DDL, which the app role may not do.
struct SchemaService: Service {
    let client: PostgresClient
    let sqlDirectory: URL?
    let retention: PositionRetention
    let roles: DatabaseRoles
    let readiness: Readiness
    /// Which day "today" is, for the partitions.
    let clock: any WallClock
    /// What must be read from the migrated schema before the server opens.
    let beforeReady: @Sendable () async throws -> Void
    let logger: Logger

    func run() async throws {
        try await FleetServer.migrate(client: client, roles: roles, sqlDirectory: sqlDirectory, logger: logger)
        // Today's partitions must exist before the first report is accepted.
        _ = try await retention.maintain(client: client, today: PositionRetention.chinaDay(clock.now), logger: logger)
        try await beforeReady()
        readiness.open()
        logger.notice("fleet server ready", metadata: ["database": "\(roles.app)"])
        try await gracefulShutdown()
    }
}

/// The maintenance duty's hourly upkeep of the schema, as its owner: the terminals' finished days
/// rolled up and their partitions covered for reading tracks; the partitions of days ahead
/// created and those past retention dropped, with events and media past their 3 years (a day's
/// partitions are created days ahead, so an hour's delay never leaves a report without one).
struct SchemaUpkeep: Sendable {
    let client: PostgresClient
    let retention: PositionRetention
    /// Terminals' reporting interval while moving: what the tracks' completeness expects.
    let reportInterval: Int
    let clock: any WallClock
    let logger: Logger

    func finishedDays() async throws {
        try await ServiceRecords(client: client, logger: logger).rollUpFinishedDays(
            today: CivilDate(chinaDayOf: clock.now.epochSeconds), interval: reportInterval)
        _ = try await retention.coverFinishedDays(client: client, today: PositionRetention.chinaDay(clock.now), logger: logger)
    }

    func retentionDue() async throws {
        _ = try await retention.maintain(client: client, today: PositionRetention.chinaDay(clock.now), logger: logger)
        try await PostgresEventSink(client: client, logger: logger).purge()
        try await PostgresMediaSink(client: client, logger: logger).purge()
    }
}
