import Domain
import Foundation
import PostgresNIO
import Store

#if canImport(Glibc)
import Glibc
#endif

/// A small fleet on file, bound to terminals and placed around a pick-up in Ningbo: what the
/// dispatch and API tests book against.
public enum TestFleet {
    public static let pickup = Place(latitude: 29.8683, longitude: 121.5440, address: "天一广场")

    /// Three crews filed, bound to terminals and placed `east` metres east of the pick-up:
    /// two saloons (1 km and 4 km away) and an SUV (500 m).
    public static func fleet(_ client: PostgresClient) async throws -> [(vehicleID: Int64, driverID: Int64, plate: String, terminal: Int32)] {
        let logger = TestPostgres.logger
        let files = FleetFiles(client: client, logger: logger), registry = PostgresTerminalRegistry(client: client, logger: logger)
        var crews: [(Int64, Int64, String, Int32)] = []
        for (index, east) in [(0, 1000.0), (1, 4000.0), (2, 500.0)] {
            let plate = "浙B0000\(index)D", phone = "01390000000\(index)"
            let (vehicle, driver) = try await SampleFiles.provision(plate: plate, index: index, files: files, now: Date())
            try await registry.bind(phone: phone, plate: plate, terminalID: String(phone.suffix(7)))
            let terminal = try await terminalID(client, phone)
            try await place(client, terminal: terminal, eastMetres: east)
            crews.append((vehicle, driver, plate, terminal))
        }
        return crews
    }

    public static func terminalID(_ client: PostgresClient, _ phone: String) async throws -> Int32 {
        for try await id in try await client.query("SELECT id FROM terminals WHERE phone = \(phone)", logger: TestPostgres.logger).decode(Int32.self) {
            return id
        }
        throw NoSuchRecord()
    }

    /// A fix of the terminal, `eastMetres` east of the pick-up: in the track (its day's
    /// partition made as the server does) and as the newest position, with the state of charge
    /// its terminal reports with it (nil: none).
    public static func place(_ client: PostgresClient, terminal: Int32, eastMetres: Double, at time: Date = Date(), charge: Int? = 90) async throws {
        let longitude = Int32(((pickup.longitude + eastMetres / (111_320 * cos(pickup.latitude * .pi / 180))) * 1e6).rounded())
        try await place(
            client, terminal: terminal, at: GeoPoint(latitudeE6: Int32(pickup.latitude * 1e6), longitudeE6: longitude), time: time, charge: charge)
    }

    /// A fix of the terminal at `point`: in the track and as the newest position, with the state
    /// of charge its terminal reports with it (nil: none).
    public static func place(_ client: PostgresClient, terminal: Int32, at point: GeoPoint, time: Date, charge: Int? = 90) async throws {
        let logger = TestPostgres.logger
        _ = try await PositionRetention().maintain(client: client, today: CivilDate(chinaDayOf: Int64(time.timeIntervalSince1970)).description, logger: logger)
        let (latitude, longitude) = (point.latitudeE6, point.longitudeE6)
        try await client.query(
            """
            INSERT INTO positions (terminal_id, gnss_time, received_at, lat_e6, lon_e6, altitude_m, speed_dkmh, course, alarm, status)
            VALUES (\(terminal), \(time), now(), \(latitude), \(longitude), 5, 300, 270, 0, 3)
            """, logger: logger)
        try await client.query(
            """
            INSERT INTO latest_positions (terminal_id, gnss_time, received_at, lat_e6, lon_e6, speed_dkmh, course, alarm, status)
            VALUES (\(terminal), \(time), now(), \(latitude), \(longitude), 300, 270, 0, 3)
            ON CONFLICT (terminal_id) DO UPDATE SET gnss_time = EXCLUDED.gnss_time, lat_e6 = EXCLUDED.lat_e6, lon_e6 = EXCLUDED.lon_e6
            """, logger: logger)
        guard let charge else { return }
        try await client.query(
            """
            INSERT INTO vehicle_charge (vehicle_id, percent, reported_at, source)
            SELECT vehicle_id, \(Int16(charge)), \(time), 'terminal' FROM terminals WHERE id = \(terminal) AND vehicle_id IS NOT NULL
            ON CONFLICT (vehicle_id) DO UPDATE SET percent = EXCLUDED.percent, reported_at = EXCLUDED.reported_at, source = EXCLUDED.source
            WHERE vehicle_charge.reported_at <= EXCLUDED.reported_at
            """, logger: logger)
    }
}
