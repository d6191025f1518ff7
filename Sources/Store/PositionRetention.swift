import Foundation
import Logging
import PostgresNIO

/// Keeps the day partitions of `positions`: creates those of the retention window and the days
/// ahead, drops those older than the window (whole tables, so the cost does not grow with their
/// size). Runs `fleet_maintain_positions` (Sql/0002_positions.sql).
public struct PositionRetention: Sendable {
    /// Days of history kept before today (180: the track must be queryable that long).
    public var retentionDays: Int
    /// Days created ahead of today, so that a report never waits for its partition.
    public var aheadDays: Int

    public init(retentionDays: Int = 180, aheadDays: Int = 3) {
        self.retentionDays = retentionDays
        self.aheadDays = aheadDays
    }

    public struct Outcome: Sendable, Equatable {
        public var created: [String]
        public var dropped: [String]

        public init(created: [String], dropped: [String]) {
            self.created = created
            self.dropped = dropped
        }
    }

    /// Maintains the partitions as of `today`, a China-time calendar day (`YYYY-MM-DD`).
    public func maintain(client: PostgresClient, today: String, logger: Logger) async throws -> Outcome {
        var outcome = Outcome(created: [], dropped: [])
        let rows = try await client.query(
            "SELECT action, partition FROM fleet_maintain_positions(\(today)::date, \(retentionDays)::integer, \(aheadDays)::integer)",
            logger: logger
        )
        for try await (action, partition) in rows.decode((String, String).self) {
            if action == "dropped" { outcome.dropped.append(partition) } else { outcome.created.append(partition) }
        }
        if !outcome.created.isEmpty || !outcome.dropped.isEmpty {
            logger.info("position partitions maintained", metadata: [
                "created": "\(outcome.created.count)", "dropped": "\(outcome.dropped.count)", "today": "\(today)",
            ])
        }
        return outcome
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
