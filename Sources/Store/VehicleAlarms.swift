import Domain
import Foundation
import Logging
import PostgresNIO

/// The terminals' alarms as people handle them: listed newest first, each handled once, with
/// who handled it and how (kept 3 years with the event).
public struct VehicleAlarms: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// The first alarm of a kind in `kinds` the vehicle's terminal raised since `since`.
    public func first(of kinds: [String], vehicleID: Int64, since: Date) async throws -> String? {
        let rows = try await client.query(
            """
            SELECT e.kind FROM events e JOIN terminals t ON t.id = e.terminal_id
            WHERE t.vehicle_id = \(vehicleID) AND e.occurred_at >= \(since) AND e.kind = ANY(\(kinds)) ORDER BY e.occurred_at LIMIT 1
            """, logger: logger)
        for try await kind in rows.decode(String.self) { return kind }
        return nil
    }

    /// Newest first; `states`: only alarms in those states (open: neither cleared nor handled).
    public func list(states: Set<VehicleAlarm.State>, limit: Int) async throws -> [VehicleAlarm] {
        let rows = try await client.query(
            """
            SELECT e.id, v.plate, e.kind, e.occurred_at, e.lat_e6, e.lon_e6, e.speed_dkmh, e.cleared_at, e.cleared_lat_e6, e.cleared_lon_e6,
                   e.handled_at, e.handled_by, e.handling_note
            FROM events e LEFT JOIN terminals t ON t.id = e.terminal_id LEFT JOIN vehicles v ON v.id = t.vehicle_id
            WHERE CASE WHEN e.handled_at IS NOT NULL THEN 'handled' WHEN e.cleared_at IS NOT NULL THEN 'cleared' ELSE 'open' END = ANY(\(states.map(\.rawValue)))
            ORDER BY e.occurred_at DESC, e.id DESC LIMIT \(limit)
            """, logger: logger)
        var out: [VehicleAlarm] = []
        for try await (id, plate, kind, at, lat, lon, speed, clearedAt, clearedLat, clearedLon, handledAt, by, note) in rows.decode(
            (Int64, String?, String, Date, Int32, Int32, Int32, Date?, Int32?, Int32?, Date?, String?, String?).self)
        {
            out.append(
                VehicleAlarm(
                    id: id, plate: plate, kind: kind, occurredAt: at, latitude: Double(lat) / 1e6, longitude: Double(lon) / 1e6, speedKmh: Double(speed) / 10,
                    clearedAt: clearedAt, clearedLatitude: clearedLat.map { Double($0) / 1e6 }, clearedLongitude: clearedLon.map { Double($0) / 1e6 },
                    handledAt: handledAt, handledBy: by, handlingNote: note
                ))
        }
        return out
    }

    /// An alarm a dispatcher handled: which terminal raised it, of what kind, in which report.
    public struct Handled: Sendable, Hashable {
        /// The vehicle the terminal is bound to now, where a confirmation goes; nil if none.
        public var plate: String?
        public var kind: String
        public var reportSerial: UInt16?
    }

    /// Marks an alarm handled; nil if there is no such alarm or it was handled already.
    public func handle(_ id: Int64, by: String, note: String, audit: Audit<Handled?>? = nil) async throws -> Handled? {
        try await client.audited(audit, logger: logger) { connection in
            let rows = try await connection.query(
                """
                UPDATE events SET handled_at = now(), handled_by = \(by), handling_note = \(note) WHERE id = \(id) AND handled_at IS NULL
                RETURNING (SELECT v.plate FROM terminals t JOIN vehicles v ON v.id = t.vehicle_id WHERE t.id = events.terminal_id), kind, report_serial
                """,
                logger: logger
            )
            for try await (plate, kind, serial) in rows.decode((String?, String, Int32?).self) {
                return Handled(plate: plate, kind: kind, reportSerial: serial.map { UInt16(clamping: $0) })
            }
            return nil
        }
    }
}
