import Domain
import Logging
import PostgresNIO

/// Events in PostgreSQL, once each (terminal, kind and time).
public struct PostgresEventSink: EventSink {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Raised alarms become events; a cleared one gives the newest event of its kind before it
    /// its clearing time and place, unless it has them already (a re-delivery changes nothing).
    public func record(_ events: [VehicleEvent]) async throws {
        guard !events.isEmpty else { return }
        let raised = events.filter { !$0.cleared }
        let cleared = events.filter(\.cleared).sorted { $0.occurredAt < $1.occurredAt }
        try await client.transaction(logger: logger) { connection in
            if !raised.isEmpty {
                // A batch's reports share one serial: -1 stands for none (arrays of optionals do not bind).
                try await connection.query(
                    """
                    INSERT INTO events (terminal_id, kind, occurred_at, lat_e6, lon_e6, speed_dkmh, report_serial)
                    SELECT terminal_id, kind, to_timestamp(epoch), lat_e6, lon_e6, speed, nullif(serial, -1)
                    FROM unnest(\(raised.map(\.terminalID))::int4[], \(raised.map(\.kind))::text[], \(raised.map(\.occurredAt))::int8[],
                                \(raised.map(\.latitudeE6))::int4[], \(raised.map(\.longitudeE6))::int4[], \(raised.map { Int32($0.speed) })::int4[],
                                \(raised.map { $0.reportSerial.map { Int32($0) } ?? -1 })::int4[])
                        AS t(terminal_id, kind, epoch, lat_e6, lon_e6, speed, serial)
                    ON CONFLICT (terminal_id, kind, occurred_at) DO NOTHING
                    """, logger: logger)
            }
            for event in cleared {
                try await connection.query(
                    """
                    UPDATE events SET cleared_at = to_timestamp(\(event.occurredAt)), cleared_lat_e6 = \(event.latitudeE6), cleared_lon_e6 = \(event.longitudeE6)
                    WHERE id = (SELECT id FROM events WHERE terminal_id = \(event.terminalID) AND kind = \(event.kind)
                                AND occurred_at <= to_timestamp(\(event.occurredAt)) ORDER BY occurred_at DESC LIMIT 1)
                      AND cleared_at IS NULL
                    """, logger: logger)
            }
        }
    }

    /// Deletes events older than `days` (3 years by default, as the supervision rules keep them);
    /// returns how many went.
    @discardableResult
    public func purge(olderThanDays days: Int = 3 * 366) async throws -> Int {
        try await deleteOlder(than: days, from: "events", by: "occurred_at", client: client, logger: logger)
    }
}

/// Deletes the rows of `table` whose `column` is more than `days` ago; returns how many went.
/// `table` and `column` are our own constants, never input.
func deleteOlder(than days: Int, from table: String, by column: String, client: PostgresClient, logger: Logger) async throws -> Int {
    let rows = try await client.query(
        """
        WITH gone AS (DELETE FROM \(unescaped: table) WHERE \(unescaped: column) < now() - make_interval(days => \(Int32(days))) RETURNING 1)
        SELECT count(*)::int8 FROM gone
        """, logger: logger)
    for try await n in rows.decode(Int64.self) { return Int(n) }
    return 0
}
