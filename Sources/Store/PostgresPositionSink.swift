import Domain
import Foundation
import Logging
import PostgresNIO

/// Stores positions in PostgreSQL, durably, exactly once per terminal and GNSS time; returns
/// when the transaction has committed. Reports outside the partitions' window (absurd clocks)
/// go to `positions_quarantine` instead.
///
/// One statement per call, arrays bound as parameters (`unnest`): the first, simple bulk path.
/// Group commit across connections and COPY are the ingest issue's next steps.
public struct PostgresPositionSink: PositionSink {
    let client: PostgresClient
    let retention: PositionRetention
    let logger: Logger
    let now: @Sendable () -> Date

    public init(client: PostgresClient, retention: PositionRetention, logger: Logger, now: @escaping @Sendable () -> Date = Date.init) {
        self.client = client
        self.retention = retention
        self.logger = logger
        self.now = now
    }

    /// The GNSS times that have a partition: from the first kept day to the last day ahead.
    func window() -> ClosedRange<Int64> {
        let today = now().timeIntervalSince1970
        // Day boundaries in China time, as the partitions are cut.
        let dayStart = (Int64(today) + 8 * 3600) / 86_400 * 86_400 - 8 * 3600
        return (dayStart - Int64(retention.retentionDays) * 86_400)...(dayStart + Int64(retention.aheadDays + 1) * 86_400 - 1)
    }

    public func store(_ positions: [PositionRecord]) async throws {
        guard !positions.isEmpty else { return }
        let window = window()
        let kept = positions.filter { window.contains($0.gnssTime) }
        let quarantined = positions.filter { !window.contains($0.gnssTime) }
        try await client.withTransaction(logger: logger) { connection in
            if !kept.isEmpty { try await insert(kept, on: connection) }
            for record in quarantined {
                let reason = record.gnssTime < window.lowerBound ? "before the retention window" : "in the future"
                let report = "{\"lat_e6\":\(record.latitudeE6),\"lon_e6\":\(record.longitudeE6),\"speed_dkmh\":\(record.speed),\"course\":\(record.course),\"alarm\":\(record.alarm),\"status\":\(record.status),\"epoch\":\(record.gnssTime)}"
                try await connection.query("""
                    INSERT INTO positions_quarantine (terminal_id, gnss_time, received_at, reason, report)
                    VALUES (\(record.terminalID), to_timestamp(\(Double(record.gnssTime))), now(), \(reason), \(report)::jsonb)
                    """, logger: logger)
            }
        }
        if !quarantined.isEmpty {
            logger.warning("positions quarantined", metadata: ["count": "\(quarantined.count)"])
        }
    }

    private func insert(_ records: [PositionRecord], on connection: PostgresConnection) async throws {
        let terminal = records.map(\.terminalID)
        let epoch = records.map(\.gnssTime)
        let lat = records.map(\.latitudeE6)
        let lon = records.map(\.longitudeE6)
        let altitude = records.map(\.altitude)
        let speed = records.map { Int32($0.speed) }
        let course = records.map { Int16(truncatingIfNeeded: $0.course) }
        let alarm = records.map { Int32(bitPattern: $0.alarm) }
        let status = records.map { Int32(bitPattern: $0.status) }
        // -1 stands for "no odometer" in the array (arrays of optionals cannot be bound).
        let mileage = records.map { $0.mileage.map(Int64.init) ?? -1 }
        let backfill = records.map(\.backfill)
        try await connection.query("""
            WITH incoming AS (
                SELECT * FROM unnest(\(terminal)::int4[], \(epoch)::int8[], \(lat)::int4[], \(lon)::int4[], \(altitude)::int2[],
                                     \(speed)::int4[], \(course)::int2[], \(alarm)::int4[], \(status)::int4[], \(mileage)::int8[], \(backfill)::bool[])
                    AS t(terminal_id, epoch, lat_e6, lon_e6, altitude_m, speed_dkmh, course, alarm, status, mileage_hm, backfill)
            ), stored AS (
                INSERT INTO positions (terminal_id, gnss_time, received_at, lat_e6, lon_e6, altitude_m, speed_dkmh, course, alarm, status, mileage_hm, backfill)
                SELECT terminal_id, to_timestamp(epoch), now(), lat_e6, lon_e6, altitude_m, speed_dkmh, course, alarm, status, NULLIF(mileage_hm, -1), backfill
                FROM incoming
                ON CONFLICT (terminal_id, gnss_time) DO NOTHING
            )
            INSERT INTO latest_positions (terminal_id, gnss_time, received_at, lat_e6, lon_e6, speed_dkmh, course, alarm, status)
            SELECT DISTINCT ON (terminal_id) terminal_id, to_timestamp(epoch), now(), lat_e6, lon_e6, speed_dkmh, course, alarm, status
            FROM incoming ORDER BY terminal_id, epoch DESC
            ON CONFLICT (terminal_id) DO UPDATE SET
                gnss_time = EXCLUDED.gnss_time, received_at = EXCLUDED.received_at, lat_e6 = EXCLUDED.lat_e6, lon_e6 = EXCLUDED.lon_e6,
                speed_dkmh = EXCLUDED.speed_dkmh, course = EXCLUDED.course, alarm = EXCLUDED.alarm, status = EXCLUDED.status
            WHERE latest_positions.gnss_time < EXCLUDED.gnss_time
            """, logger: logger)
    }
}
