import Domain
import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle
import Store

/// Brings the schema up to date when the server starts, then keeps the position partitions:
/// once before the server is ready, then every hour (a day's partitions are created days ahead, so an hour's delay
/// never leaves a report without its partition), when events and media past their 3 years go too.
/// Runs as the schema's owner: the partitions and indexes are DDL, which the app role may not do.
struct SchemaService: Service {
    let client: PostgresClient
    let sqlDirectory: URL?
    let retention: PositionRetention
    let roles: DatabaseRoles
    /// Terminals' reporting interval while moving: what the tracks' completeness expects.
    let reportInterval: Int
    let readiness: Readiness
    /// Which day "today" is, for the partitions and the finished days.
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
        let records = ServiceRecords(client: client, logger: logger)
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                // The terminals' finished days, for the assessment (late reports included), and
                // their partitions covered for reading tracks.
                try await records.rollUpFinishedDays(today: CivilDate(chinaDayOf: clock.now.epochSeconds), interval: reportInterval)
                _ = try await retention.coverFinishedDays(client: client, today: PositionRetention.chinaDay(clock.now), logger: logger)
            } catch {
                logger.error("finished days not rolled up or covered; retrying in an hour", metadata: ["error": "\(String(reflecting: error))"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(3600)) }
            guard !Task.isShuttingDownGracefully, !Task.isCancelled else { return }
            do {
                _ = try await retention.maintain(client: client, today: PositionRetention.chinaDay(clock.now), logger: logger)
                try await PostgresEventSink(client: client, logger: logger).purge()
                try await PostgresMediaSink(client: client, logger: logger).purge()
            } catch {
                logger.error("retention maintenance failed; retrying in an hour", metadata: ["error": "\(String(reflecting: error))"])
            }
        }
    }
}
