import Domain
import Foundation
import Logging
import PostgresNIO

/// Named zones and the crossings of their boundaries in PostgreSQL (migration 0026).
public struct ZoneRecords: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    public func zones() async throws -> [NamedZone] {
        let rows = try await client.query("SELECT id, name, kind, latitudes_e6, longitudes_e6 FROM named_zones ORDER BY id", logger: logger)
        var zones: [NamedZone] = []
        for try await (id, name, kind, latitudes, longitudes) in rows.decode((Int64, String, String, [Int32], [Int32]).self) {
            guard let kind = NamedZone.Kind(rawValue: kind) else { continue }
            zones.append(
                NamedZone(id: id, name: name, kind: kind, boundary: zip(latitudes, longitudes).map { GeoPoint(latitudeE6: $0, longitudeE6: $1) }))
        }
        return zones
    }

    /// Stores a new zone (checked by the caller: `NamedZone.check`), or replaces zone `id`'s
    /// name, kind and boundary; its id. A name taken is `DuplicateRecord`, no zone `id` `NoSuchRecord`.
    public func save(_ zone: NamedZone, by userID: Int64?, audit: Audit<Int64>?) async throws -> Int64 {
        let (latitudes, longitudes) = (zone.boundary.map(\.latitudeE6), zone.boundary.map(\.longitudeE6))
        return try await client.audited(audit, logger: logger) { connection in
            guard zone.id != 0 else {
                return try await connection.returningID(
                    """
                    INSERT INTO named_zones (name, kind, latitudes_e6, longitudes_e6, by_user)
                    VALUES (\(zone.name), \(zone.kind.rawValue), \(latitudes), \(longitudes), \(userID)) RETURNING id
                    """, logger: logger)
            }
            return try await connection.returningID(
                """
                UPDATE named_zones SET name = \(zone.name), kind = \(zone.kind.rawValue), latitudes_e6 = \(latitudes), longitudes_e6 = \(longitudes),
                    set_at = now(), by_user = \(userID)
                WHERE id = \(zone.id) RETURNING id
                """, logger: logger)
        }
    }

    /// Stores crossings, once each (zone, terminal, time): a re-delivery changes nothing.
    public func record(_ crossings: [ZoneCrossing]) async throws {
        guard !crossings.isEmpty else { return }
        try await client.query(
            """
            INSERT INTO zone_crossings (zone_id, terminal_id, direction, at, lat_e6, lon_e6)
            SELECT zone, terminal, direction, to_timestamp(epoch), lat, lon
            FROM unnest(\(crossings.map(\.zoneID))::int8[], \(crossings.map(\.terminalID))::int4[], \(crossings.map(\.direction.rawValue))::text[],
                        \(crossings.map(\.at))::int8[], \(crossings.map(\.point.latitudeE6))::int4[], \(crossings.map(\.point.longitudeE6))::int4[])
                AS t(zone, terminal, direction, epoch, lat, lon)
            ON CONFLICT (zone_id, terminal_id, at) DO NOTHING
            """, logger: logger)
    }

    /// The zones each terminal is inside, as its newest crossing of each says.
    public func inside() async throws -> [Int32: (zones: Set<Int64>, at: Int64)] {
        let rows = try await client.query(
            """
            SELECT DISTINCT ON (zone_id, terminal_id) zone_id, terminal_id, direction, extract(epoch FROM at)::int8
            FROM zone_crossings ORDER BY zone_id, terminal_id, at DESC
            """, logger: logger)
        var inside: [Int32: (zones: Set<Int64>, at: Int64)] = [:]
        for try await (zone, terminal, direction, at) in rows.decode((Int64, Int32, String, Int64).self) {
            var known = inside[terminal] ?? (zones: [], at: .min)
            if direction == "entry" { known.zones.insert(zone) }
            known.at = max(known.at, at)
            inside[terminal] = known
        }
        return inside
    }

    /// A crossing as the API lists it: with the zone's name and kind and the vehicle's plate.
    public struct Listed: Sendable, Hashable {
        public var zoneID: Int64
        public var zone: String
        public var kind: NamedZone.Kind
        public var plate: String?
        public var direction: ZoneCrossing.Direction
        public var at: Date
        public var point: GeoPoint
    }

    /// Crossings between `from` and `to`, oldest first; of one vehicle's terminals if `vehicleID`.
    public func crossings(vehicleID: Int64?, from: Date, to: Date, limit: Int) async throws -> [Listed] {
        let rows = try await client.query(
            """
            SELECT c.zone_id, z.name, z.kind, v.plate, c.direction, c.at, c.lat_e6, c.lon_e6
            FROM zone_crossings c JOIN named_zones z ON z.id = c.zone_id
                LEFT JOIN terminals t ON t.id = c.terminal_id LEFT JOIN vehicles v ON v.id = t.vehicle_id
            WHERE c.at BETWEEN \(from) AND \(to) AND (\(vehicleID)::bigint IS NULL OR t.vehicle_id = \(vehicleID))
            ORDER BY c.at, c.zone_id LIMIT \(limit)
            """, logger: logger)
        var out: [Listed] = []
        for try await (zone, name, kind, plate, direction, at, lat, lon) in rows.decode((Int64, String, String, String?, String, Date, Int32, Int32).self) {
            guard let kind = NamedZone.Kind(rawValue: kind), let direction = ZoneCrossing.Direction(rawValue: direction) else { continue }
            out.append(
                Listed(zoneID: zone, zone: name, kind: kind, plate: plate, direction: direction, at: at, point: GeoPoint(latitudeE6: lat, longitudeE6: lon)))
        }
        return out
    }
}
