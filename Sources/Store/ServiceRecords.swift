import Domain
import Foundation
import Logging
import PostgresNIO

/// The records the assessment's telematics and platform indicators are measured from: the
/// minutes the platform served, and each terminal's days (Sql/0011).
public struct ServiceRecords: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// The platform serves this minute.
    public func markMinute(_ now: Date) async throws {
        try await client.query("INSERT INTO platform_minutes (minute) VALUES (date_trunc('minute', \(now))) ON CONFLICT DO NOTHING", logger: logger)
    }

    /// Minutes served in [from, to), and the first minute ever served (the service began then).
    public func minutesServed(from: Date, to: Date) async throws -> (served: Int, firstEver: Date?) {
        let rows = try await client.query(
            """
            SELECT (SELECT count(*) FROM platform_minutes WHERE minute >= \(from) AND minute < \(to)), (SELECT min(minute) FROM platform_minutes)
            """, logger: logger)
        for try await (served, first) in rows.decode((Int64, Date?).self) { return (Int(served), first) }
        return (0, nil)
    }

    /// Rolls up `day` (China time) from the positions: per terminal, the reports and the reports
    /// missing. Between two reports more than `interval` × 1.5 apart where the vehicle moved
    /// more than about 200 m, each `interval` of the gap counts as a report missing; a vehicle
    /// standing still may report less often (the terminal sleeps).
    public func rollUp(_ day: CivilDate, interval: Int) async throws {
        let start = Date(timeIntervalSince1970: TimeInterval(day.chinaMidnight)), end = start.addingTimeInterval(86_400)
        try await client.query(
            """
            INSERT INTO terminal_days (day, terminal_id, reports, missing)
            SELECT \(day.description)::date, terminal_id, count(*),
                   coalesce(sum(CASE WHEN gap > \(Double(interval)) * 1.5 AND moved THEN round(gap / \(Double(interval)))::int - 1 ELSE 0 END), 0)
            FROM (
                SELECT terminal_id, extract(epoch FROM gnss_time - lag(gnss_time) OVER w)::float8 AS gap,
                       abs(lat_e6 - lag(lat_e6) OVER w) + abs(lon_e6 - lag(lon_e6) OVER w) > 2000 AS moved
                FROM positions WHERE gnss_time >= \(start) AND gnss_time < \(end)
                WINDOW w AS (PARTITION BY terminal_id ORDER BY gnss_time)
            ) p
            GROUP BY terminal_id
            ON CONFLICT (day, terminal_id) DO UPDATE SET reports = EXCLUDED.reports, missing = EXCLUDED.missing, rolled_up_at = now()
            """, logger: logger)
    }

    /// Rolls up the last two finished days (again: late reports), and any earlier day of the
    /// last `days` without a roll-up yet.
    public func rollUpFinishedDays(today: CivilDate, days: Int = 35, interval: Int) async throws {
        var rolled: Set<CivilDate> = []
        let first = CivilDate(daysSince1970: today.daysSince1970 - Int64(days))
        for try await text in try await client.query("SELECT DISTINCT day::text FROM terminal_days WHERE day >= \(first.description)::date", logger: logger)
            .decode(String.self)
        {
            if let day = CivilDate(text) { rolled.insert(day) }
        }
        for offset in 1...days {
            let day = CivilDate(daysSince1970: today.daysSince1970 - Int64(offset))
            if offset <= 2 || !rolled.contains(day) { try await rollUp(day, interval: interval) }
        }
    }

    /// Over the days [from, through]: terminal-days online, reports and reports missing, the
    /// terminals bound to vehicles now, and the days rolled up.
    public func terminalDays(from: CivilDate, through: CivilDate) async throws -> (online: Int, reports: Int, missing: Int, terminals: Int, days: Int) {
        let rows = try await client.query(
            """
            SELECT count(*) FILTER (WHERE reports > 0), coalesce(sum(reports), 0)::int8, coalesce(sum(missing), 0)::int8,
                   (SELECT count(*) FROM terminals WHERE vehicle_id IS NOT NULL), count(DISTINCT day)
            FROM terminal_days WHERE day >= \(from.description)::date AND day <= \(through.description)::date
              AND terminal_id IN (SELECT id FROM terminals WHERE vehicle_id IS NOT NULL)
            """, logger: logger)
        for try await (online, reports, missing, terminals, days) in rows.decode((Int64, Int64, Int64, Int64, Int64).self) {
            return (Int(online), Int(reports), Int(missing), Int(terminals), Int(days))
        }
        return (0, 0, 0, 0, 0)
    }
}
