import Domain
import Foundation
import Logging
import PostgresNIO

/// The service zones and the working-day calendar in PostgreSQL (migration 0018, seeded with
/// the compiled tables): what administrators set, each edit audited in its transaction.
public struct ZonesAndCalendarRecords: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// The city's areas, in the order they were set.
    public func zones() async throws -> ServiceZones {
        var areas: [ServiceZones.Area] = []
        let rows = try await client.query("SELECT name, latitudes_e6, longitudes_e6 FROM city_areas ORDER BY position", logger: logger)
        for try await (name, latitudes, longitudes) in rows.decode((String, [Int32], [Int32]).self) {
            areas.append(ServiceZones.Area(name: name, boundary: zip(latitudes, longitudes).map { GeoPoint(latitudeE6: $0, longitudeE6: $1) }))
        }
        return ServiceZones(city: areas)
    }

    /// Replaces the city's areas (checked by the caller: `ServiceZones.check`).
    public func setZones(_ zones: ServiceZones, by userID: Int64?, audit: AuditLine?) async throws {
        try await client.audited({ _ in audit }, logger: logger) { connection in
            try await connection.query("DELETE FROM city_areas", logger: logger)
            for (position, area) in zones.city.enumerated() {
                try await connection.query(
                    """
                    INSERT INTO city_areas (position, name, latitudes_e6, longitudes_e6, by_user)
                    VALUES (\(Int32(position)), \(area.name), \(area.boundary.map(\.latitudeE6)), \(area.boundary.map(\.longitudeE6)), \(userID))
                    """, logger: logger)
            }
        }
    }

    /// Every year an administrator (or the seed) set.
    public func calendar() async throws -> WorkingCalendar {
        var years: [Int: WorkingCalendar.Year] = [:]
        for try await (year, source) in try await client.query("SELECT year, source FROM calendar_years", logger: logger).decode((Int32, String).self) {
            years[Int(year)] = WorkingCalendar.Year(source: source, holidays: [], workingWeekends: [])
        }
        let rows = try await client.query("SELECT year, day::text, kind FROM calendar_days", logger: logger)
        for try await (year, text, kind) in rows.decode((Int32, String, String).self) {
            guard let day = CivilDate(text) else { continue }
            if kind == "holiday" { years[Int(year)]?.holidays.insert(day) } else { years[Int(year)]?.workingWeekends.insert(day) }
        }
        return WorkingCalendar(years: years)
    }

    /// Replaces a year's arrangement (checked by the caller: `WorkingCalendar.Year.check`).
    public func setYear(_ year: Int, _ arrangement: WorkingCalendar.Year, by userID: Int64?, audit: AuditLine?) async throws {
        let days = arrangement.holidays.map { ($0, "holiday") } + arrangement.workingWeekends.map { ($0, "workingWeekend") }
        try await client.audited({ _ in audit }, logger: logger) { connection in
            try await connection.query(
                """
                INSERT INTO calendar_years (year, source, by_user) VALUES (\(Int32(year)), \(arrangement.source), \(userID))
                ON CONFLICT (year) DO UPDATE SET source = EXCLUDED.source, set_at = now(), by_user = EXCLUDED.by_user
                """, logger: logger)
            try await connection.query("DELETE FROM calendar_days WHERE year = \(Int32(year))", logger: logger)
            try await connection.query(
                """
                INSERT INTO calendar_days (day, year, kind)
                SELECT d::date, \(Int32(year)), k FROM unnest(\(days.map { $0.0.description })::text[], \(days.map { $0.1 })::text[]) AS t (d, k)
                """, logger: logger)
        }
    }
}
