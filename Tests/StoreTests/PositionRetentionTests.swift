import Foundation
import PostgresNIO
import PostgresTestSupport
import Store
import Testing

@Suite struct PositionRetentionTests {
    let logger = TestPostgres.logger

    func partitions(_ client: PostgresClient) async throws -> [String] {
        var names: [String] = []
        let rows = try await client.query(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'positions'::regclass ORDER BY 1",
            logger: logger
        )
        for try await name in rows.decode(String.self) { names.append(name) }
        return names
    }

    /// `positions_YYYYMMDD` for the days `from...to` around 2026-11-22.
    func names(_ days: ClosedRange<Int>) -> [String] {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let base = calendar.date(from: DateComponents(year: 2026, month: 11, day: 22))!
        return days.map { offset in
            let c = calendar.dateComponents([.year, .month, .day], from: calendar.date(byAdding: .day, value: offset, to: base)!)
            return String(format: "positions_%04d%02d%02d", c.year!, c.month!, c.day!)
        }
    }

    @Test func keepsExactlyTheRetentionWindowTodayAndTheDaysAhead() async throws {
        try await TestPostgres.withDatabase { client, _ in
            // History spanning 200 days before today, as if the server had kept everything.
            let history = try await PositionRetention(retentionDays: 200, aheadDays: 0).maintain(client: client, today: "2026-11-22", logger: logger)
            #expect(history.created == names(-200...0))
            // One old report (to be dropped) and one recent (to stay), at China-time day edges.
            try await client.query(
                """
                INSERT INTO positions (terminal_id, gnss_time, received_at, lat_e6, lon_e6, altitude_m, speed_dkmh, course, alarm, status)
                VALUES (1, '2026-05-06 23:59:59+08', now(), 29868336, 121543990, 5, 300, 90, 0, 3),
                       (1, '2026-05-26 00:00:00+08', now(), 29868336, 121543990, 5, 300, 90, 0, 3)
                """, logger: logger)

            // Twenty days are due: more than one run drops unless told to.
            let told = PositionRetention(retentionDays: 180, aheadDays: 3, maximumDropDays: 20)
            let outcome = try await told.maintain(client: client, today: "2026-11-22", logger: logger)
            #expect(outcome.dropped == names(-200 ... -181))
            #expect(outcome.created == names(1...3))
            // The last 180 days, today and three days ahead: 184 partitions.
            #expect(try await partitions(client) == names(-180...3))
            let rows = try await client.query("SELECT gnss_time FROM positions", logger: logger)
            var kept: [Date] = []
            for try await t in rows.decode(Date.self) { kept.append(t) }
            #expect(kept == [ISO8601DateFormatter().date(from: "2026-05-25T16:00:00Z")!])

            // Maintenance is idempotent.
            #expect(
                try await PositionRetention(retentionDays: 180, aheadDays: 3).maintain(client: client, today: "2026-11-22", logger: logger)
                    == .init(created: [], dropped: []))
        }
    }

    @Test func finishedDaysAreCoveredForTracksAndTodayIsNot() async throws {
        try await TestPostgres.withDatabase { client, _ in
            _ = try await PositionRetention(retentionDays: 2, aheadDays: 1).maintain(client: client, today: "2026-11-22", logger: logger)
            try await client.query(
                """
                INSERT INTO positions (terminal_id, gnss_time, received_at, lat_e6, lon_e6, altitude_m, speed_dkmh, course, alarm, status)
                SELECT 1, '2026-11-21 00:00:00+08'::timestamptz + s * interval '10 seconds', now(), 29868336, 121543990, 5, 300, 90, 0, 3
                FROM generate_series(0, 8639) AS s
                UNION ALL SELECT 1, '2026-11-22 08:00:00+08', now(), 29868336, 121543990, 5, 300, 90, 0, 3
                """, logger: logger)
            // The two finished days, newest first; not today, not tomorrow; once only.
            let covered = try await PositionRetention().coverFinishedDays(client: client, today: "2026-11-22", logger: logger)
            #expect(covered == ["positions_20261121", "positions_20261120"])
            #expect(try await PositionRetention().coverFinishedDays(client: client, today: "2026-11-22", logger: logger).isEmpty)
            // A finished day's track is read from the covering index alone; today's is not covered.
            func plan(_ day: String) async throws -> String {
                var lines: [String] = []
                for try await line in try await client.query(
                    PostgresQuery(
                        unsafeSQL: """
                            EXPLAIN SELECT lat_e6, lon_e6, altitude_m, speed_dkmh, course, alarm, status, mileage_hm, backfill FROM positions
                            WHERE terminal_id = 1 AND gnss_time >= '\(day) 00:00+08' AND gnss_time < '\(day) 23:59+08' ORDER BY gnss_time
                            """), logger: logger
                ).decode(String.self) { lines.append(line) }
                return lines.joined(separator: "\n")
            }
            let finished = try await plan("2026-11-21")
            #expect(finished.contains("Index Only Scan using positions_20261121_track"), "\(finished)")
            #expect(!(try await plan("2026-11-22")).contains("_track"))
            // A build that failed half-way (an invalid index) is built again.
            try await client.query("UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'positions_20261120_track'::regclass", logger: logger)
            #expect(try await PositionRetention().coverFinishedDays(client: client, today: "2026-11-22", logger: logger) == ["positions_20261120"])
        }
    }

    @Test func aReportWithNoPartitionIsRefusedNotMisfiled() async throws {
        try await TestPostgres.withDatabase { client, _ in
            _ = try await PositionRetention(retentionDays: 1, aheadDays: 0).maintain(client: client, today: "2026-11-22", logger: logger)
            // Years ahead: no partition, and no default partition to swallow it.
            await #expect(throws: PSQLError.self) {
                try await client.query(
                    """
                    INSERT INTO positions (terminal_id, gnss_time, received_at, lat_e6, lon_e6, altitude_m, speed_dkmh, course, alarm, status)
                    VALUES (1, '2031-01-01 00:00:00+08', now(), 0, 0, 0, 0, 0, 0, 0)
                    """, logger: logger)
            }
        }
    }

    @Test func aRetransmittedReportIsStoredOnce() async throws {
        try await TestPostgres.withDatabase { client, _ in
            _ = try await PositionRetention(retentionDays: 1, aheadDays: 0).maintain(client: client, today: "2026-11-22", logger: logger)
            for _ in 0..<2 {
                try await client.query(
                    """
                    INSERT INTO positions (terminal_id, gnss_time, received_at, lat_e6, lon_e6, altitude_m, speed_dkmh, course, alarm, status)
                    VALUES (7, '2026-11-22 08:00:00+08', now(), 29868336, 121543990, 5, 300, 90, 0, 3)
                    ON CONFLICT (terminal_id, gnss_time) DO NOTHING
                    """, logger: logger)
            }
            let rows = try await client.query("SELECT count(*) FROM positions WHERE terminal_id = 7", logger: logger)
            for try await n in rows.decode(Int.self) { #expect(n == 1) }
        }
    }

    @Test func chinaDayFollowsUTCPlusEight() {
        // 2026-11-21T16:00:00Z is midnight in Beijing.
        #expect(PositionRetention.chinaDay(Date(timeIntervalSince1970: 1_795_276_800)) == "2026-11-22")
        #expect(PositionRetention.chinaDay(Date(timeIntervalSince1970: 1_795_276_799)) == "2026-11-21")
    }

    /// Issue 14: a clock that jumped ahead must not erase the fleet's history. One run drops at
    /// most two days (the usual one, and one missed), none when more are due, and the quarantine
    /// goes with the positions.
    @Test func aClockThatJumpedDoesNotEraseTheHistory() async throws {
        try await TestPostgres.withDatabase { client, _ in
            _ = try await PositionRetention(retentionDays: 200, aheadDays: 0).maintain(client: client, today: "2026-11-22", logger: logger)
            try await client.query(
                """
                INSERT INTO positions (terminal_id, gnss_time, received_at, lat_e6, lon_e6, altitude_m, speed_dkmh, course, alarm, status)
                SELECT 1, '2026-05-06 08:00:00+08'::timestamptz + s * interval '1 day', now(), 29868336, 121543990, 5, 300, 90, 0, 3
                FROM generate_series(0, 199) AS s
                """, logger: logger)
            try await client.query(
                """
                INSERT INTO positions_quarantine (terminal_id, gnss_time, received_at, reason, report)
                VALUES (1, '2099-12-31 08:00:00+08', '2026-05-12 08:00:00+08', 'ahead', '{}'), (1, '2099-12-31 08:00:00+08', now(), 'ahead', '{}')
                """, logger: logger)
            let before = try await partitions(client)
            // The clock says a year later: everything would go. Nothing does.
            let jumped = try await PositionRetention(retentionDays: 180, aheadDays: 0).maintain(client: client, today: "2027-11-22", logger: logger)
            #expect(jumped.dropped.isEmpty && jumped.withheld.count == 201 && jumped.purgedFromQuarantine == 0)
            #expect(try await partitions(client).starts(with: before))
            for try await n in try await client.query("SELECT count(*) FROM positions_quarantine", logger: logger).decode(Int.self) { #expect(n == 2) }
            // Back on time, two days due: dropped, the quarantine received before them purged.
            let onTime = try await PositionRetention(retentionDays: 198, aheadDays: 0).maintain(client: client, today: "2026-11-22", logger: logger)
            #expect(onTime.dropped == names(-200 ... -199) && onTime.withheld.isEmpty)
            #expect(try await partitions(client).filter { $0 < "positions_2027" } == names(-198...0))
            // Told to, an operator's run drops more.
            let operatorsRun = PositionRetention(retentionDays: 190, aheadDays: 0, maximumDropDays: 8)
            let told = try await operatorsRun.maintain(client: client, today: "2026-11-22", logger: logger)
            #expect(told.dropped == names(-198 ... -191))
            #expect(told.purgedFromQuarantine == 1)
            for try await n in try await client.query("SELECT count(*) FROM positions_quarantine", logger: logger).decode(Int.self) { #expect(n == 1) }
        }
    }

}
