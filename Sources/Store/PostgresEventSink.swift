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

    public func record(_ events: [VehicleEvent]) async throws {
        guard !events.isEmpty else { return }
        try await client.query(
            """
            INSERT INTO events (terminal_id, kind, occurred_at, lat_e6, lon_e6, speed_dkmh)
            SELECT terminal_id, kind, to_timestamp(epoch), lat_e6, lon_e6, speed
            FROM unnest(\(events.map(\.terminalID))::int4[], \(events.map(\.kind))::text[], \(events.map(\.occurredAt))::int8[],
                        \(events.map(\.latitudeE6))::int4[], \(events.map(\.longitudeE6))::int4[], \(events.map { Int32($0.speed) })::int4[])
                AS t(terminal_id, kind, epoch, lat_e6, lon_e6, speed)
            ON CONFLICT (terminal_id, kind, occurred_at) DO NOTHING
            """, logger: logger)
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
