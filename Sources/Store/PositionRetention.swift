import Domain
import Foundation
import Logging
import PostgresNIO

/// Keeps the day partitions of `positions`: creates those of the retention window and the days
/// ahead, drops those older than the window (whole tables, so the cost does not grow with their
/// size) and purges the quarantine as old. Runs `fleet_maintain_positions` (Sql/0013).
///
/// A clock that jumped ahead must not erase the fleet's history: one run drops at most
/// `maximumDropDays` partitions, and none when more are due (they are reported as withheld).
public struct PositionRetention: Sendable {
    /// Days of history kept before today (180: the track must be queryable that long).
    public var retentionDays: Int
    /// Days created ahead of today, so that a report never waits for its partition.
    public var aheadDays: Int
    /// Day partitions one run may drop (normally one a day; two leave room for a missed run).
    public var maximumDropDays: Int

    /// The shortest retention a server accepts: tracks must stay queryable for 180 days.
    public static let minimumRetentionDays = 180

    public init(retentionDays: Int = 180, aheadDays: Int = 3, maximumDropDays: Int = 2) {
        self.retentionDays = retentionDays
        self.aheadDays = aheadDays
        self.maximumDropDays = maximumDropDays
    }

    public struct Outcome: Sendable, Equatable {
        public var created: [String]
        public var dropped: [String]
        /// Partitions due to be dropped but kept: more than `maximumDropDays` were due.
        public var withheld: [String]
        /// Quarantined reports purged (received before the retention window).
        public var purgedFromQuarantine: Int64

        public init(created: [String], dropped: [String], withheld: [String] = [], purgedFromQuarantine: Int64 = 0) {
            self.created = created
            self.dropped = dropped
            self.withheld = withheld
            self.purgedFromQuarantine = purgedFromQuarantine
        }
    }

    /// Maintains the partitions as of `today`, a China-time calendar day (`YYYY-MM-DD`).
    public func maintain(client: PostgresClient, today: String, logger: Logger) async throws -> Outcome {
        var outcome = Outcome(created: [], dropped: [])
        // Processes starting together each maintain: under the migrations' lock, as two
        // concurrent CREATE TABLE ... PARTITION OF the same day collide.
        let actions = try await client.transaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(Migrator.lockKey))", logger: logger)
            let rows = try await connection.query(
                """
                SELECT action, partition, rows_affected
                FROM fleet_maintain_positions(\(today)::date, \(retentionDays)::integer, \(aheadDays)::integer, \(maximumDropDays)::integer)
                """, logger: logger)
            return try await rows.decode((String, String, Int64?).self).reduce(into: []) { $0.append($1) }
        }
        for (action, partition, count) in actions {
            switch action {
            case "dropped":
                outcome.dropped.append(partition)
                logger.notice("position partition dropped", metadata: ["partition": "\(partition)", "rows": "\(count ?? 0)", "today": "\(today)"])
            case "withheld": outcome.withheld.append(partition)
            case "purged": outcome.purgedFromQuarantine = count ?? 0
            default: outcome.created.append(partition)
            }
        }
        if !outcome.withheld.isEmpty {
            logger.error(
                "position partitions not dropped: more are due than one run may drop (a clock that jumped?)",
                metadata: [
                    "due": "\(outcome.withheld.count)", "oldest": "\(outcome.withheld[0])", "maximum": "\(maximumDropDays)", "today": "\(today)",
                    "hint": "set FLEET_RETENTION_MAX_DROP_DAYS to allow it",
                ])
        }
        if !outcome.created.isEmpty || !outcome.dropped.isEmpty || outcome.purgedFromQuarantine > 0 {
            logger.info(
                "position partitions maintained",
                metadata: [
                    "created": "\(outcome.created.count)", "dropped": "\(outcome.dropped.count)", "quarantinePurged": "\(outcome.purgedFromQuarantine)",
                    "today": "\(today)",
                ])
        }
        return outcome
    }

    /// Gives each finished day's partition (a day before `today`, China time) a covering index
    /// of the track's columns, so that a day's track is an index-only scan instead of a page
    /// per point. Today's partition keeps only the narrow unique index: every entry of the
    /// covering one carries the track's columns, which would slow the bulk path that writes
    /// today (BENCHMARKS.md, "Track"). Built concurrently (late blind-zone reports still go
    /// in), then the partition vacuumed so its pages count as visible. Returns the partitions
    /// covered, newest first.
    public func coverFinishedDays(client: PostgresClient, today: String, logger: Logger) async throws -> [String] {
        var pending: [(partition: String, invalid: Bool)] = []
        let rows = try await client.query(
            """
            SELECT c.relname, ix.indisvalid
            FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            LEFT JOIN pg_class x ON x.relname = c.relname || '_track' LEFT JOIN pg_index ix ON ix.indexrelid = x.oid
            WHERE i.inhparent = 'positions'::regclass AND fleet_position_partition_day(c.relname) < \(today)::date
              AND (ix.indisvalid IS NULL OR NOT ix.indisvalid)
            ORDER BY c.relname DESC
            """, logger: logger)
        for try await (partition, valid) in rows.decode((String, Bool?).self) { pending.append((partition, valid == false)) }
        var covered: [String] = []
        for (n, part) in pending.enumerated() {
            // Identifiers cannot be bound: only names of the form the maintenance gives go in.
            guard part.partition.count == 18, part.partition.hasPrefix("positions_"), part.partition.dropFirst(10).allSatisfy(\.isNumber) else { continue }
            let started = ContinuousClock.now
            // A build that failed half-way leaves an invalid index: it goes first.
            if part.invalid { try await client.query(PostgresQuery(unsafeSQL: "DROP INDEX CONCURRENTLY IF EXISTS \(part.partition)_track"), logger: logger) }
            try await client.query(
                PostgresQuery(
                    unsafeSQL: """
                        CREATE INDEX CONCURRENTLY IF NOT EXISTS \(part.partition)_track ON \(part.partition)
                            (terminal_id, gnss_time) INCLUDE (lat_e6, lon_e6, altitude_m, speed_dkmh, course, alarm, status, mileage_hm, backfill)
                        """), logger: logger)
            try await client.query(PostgresQuery(unsafeSQL: "VACUUM (ANALYZE) \(part.partition)"), logger: logger)
            covered.append(part.partition)
            // Progress for the days that take time (a full day, seconds); empty ones go quietly.
            let took = ContinuousClock.now - started
            logger.log(
                level: took >= .seconds(1) ? .info : .debug, "finished day's positions covered for tracks",
                metadata: [
                    "partition": "\(part.partition)", "done": "\(n + 1)/\(pending.count)", "seconds": "\(took)",
                ])
        }
        if !covered.isEmpty { logger.info("finished days covered for tracks", metadata: ["partitions": "\(covered.count)"]) }
        return covered
    }

    /// The China-time calendar day of `date`, as `YYYY-MM-DD`.
    public static func chinaDay(_ date: Date) -> String {
        CivilTime.chinaDay(of: Int64(date.timeIntervalSince1970.rounded(.down)))
    }

    /// The GNSS times that have a partition on the day of `now`: from the first kept day to the
    /// last day ahead. Reports outside it are quarantined.
    public func window(now: Date) -> ClosedRange<Int64> {
        let dayStart = CivilTime.chinaDayStart(of: Int64(now.timeIntervalSince1970.rounded(.down)))
        return (dayStart - Int64(retentionDays) * 86_400)...(dayStart + Int64(aheadDays + 1) * 86_400 - 1)
    }
}
