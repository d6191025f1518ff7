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
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Asia/Shanghai")!
        let c = calendar.dateComponents([.year, .month, .day], from: date)
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(c.year!)-\(two(c.month!))-\(two(c.day!))"
    }
}
