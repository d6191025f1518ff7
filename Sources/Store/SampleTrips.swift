import Domain
import Foundation
import Logging
import PostgresNIO

/// Trips of the past as the system would have recorded them, for the demo: the booking with
/// its signed transitions, the crew's GNSS track with an odometer, the callback. The demo's
/// first minutes then have settlement sheets, statements and reports to show.
public enum SampleTrips {
    /// A finished trip from `from` to `to` picked up at `pickup`, served by the crew; returns
    /// the booking's id. The crew drives at 30 km/h; the track has a fix every 30 s.
    public static func record(
        client: PostgresClient, logger: Logger, agencyID: Int64, crew: (vehicleID: Int64, driverID: Int64, terminalID: Int32), from: Place, to: Place,
        pickup: Date, contact: String, completion: Completion
    ) async throws -> Int64 {
        let bookings = Bookings(client: client, logger: logger)
        let metres = TrackDistance.meters(
            fromLatitudeE6: from.point.latitudeE6, longitudeE6: from.point.longitudeE6, toLatitudeE6: to.point.latitudeE6, longitudeE6: to.point.longitudeE6)
        let driving = max(300, metres / (30_000.0 / 3600))
        var request = BookingRequest(
            channel: .platform, agencyID: agencyID, contactName: contact, contactPhone: "0574-87180000", passengers: 2, vehicleClass: .sedan,
            pickupTime: pickup, pickup: from, destination: to, serviceEnd: pickup.addingTimeInterval(2 * 3600)
        )
        request.routeNotes = "sample trip"
        let agency = Actor(userID: nil, name: "demo agency"), dispatcher = Actor(userID: nil, name: "demo dispatcher"),
            driver = Actor(userID: nil, name: "demo driver")
        let id = try await bookings.create(request, agencyID: agencyID, receivedAt: pickup.addingTimeInterval(-90 * 60), by: agency).id
        let end = pickup.addingTimeInterval(driving)
        try await bookings.move(id, to: .confirmed, at: pickup.addingTimeInterval(-88 * 60), by: dispatcher)
        try await bookings.move(id, to: .matched, at: pickup.addingTimeInterval(-84 * 60), by: .engine, crew: (crew.vehicleID, crew.driverID))
        try await bookings.move(id, to: .notified, at: pickup.addingTimeInterval(-83 * 60), by: .engine)
        try await bookings.move(id, to: .enRoute, at: pickup.addingTimeInterval(-40 * 60), by: driver, note: "pre-trip check passed")
        try await bookings.move(id, to: .onSite, at: pickup.addingTimeInterval(-12 * 60), by: .gnss)
        try await bookings.move(id, to: .inService, at: pickup, by: driver)
        try await bookings.move(id, to: .completed, at: end, by: driver, completion: completion)
        _ = try await CustomerCare(client: client, logger: logger).callback(
            bookingID: id, at: end.addingTimeInterval(3 * 3600), satisfaction: 5, note: "sample", by: nil)

        // The track: a straight line at a steady speed, the odometer counting in 0.1 km.
        var times: [Double] = [], lats: [Int32] = [], lons: [Int32] = [], odometer: [Int64] = []
        let start = pickup.timeIntervalSince1970
        let steps = Int(driving / 30)
        for i in 0...steps {
            let share = Double(i) / Double(steps)
            times.append(start + driving * share)
            lats.append(from.point.latitudeE6 + Int32((Double(to.point.latitudeE6 - from.point.latitudeE6) * share).rounded()))
            lons.append(from.point.longitudeE6 + Int32((Double(to.point.longitudeE6 - from.point.longitudeE6) * share).rounded()))
            odometer.append(100_000 + Int64((metres * share / 100).rounded()))
        }
        try await client.query(
            """
            INSERT INTO positions (terminal_id, gnss_time, received_at, lat_e6, lon_e6, altitude_m, speed_dkmh, course, alarm, status, mileage_hm)
            SELECT \(crew.terminalID), to_timestamp(t), to_timestamp(t), lat, lon, 5, 300, 0, 0, 3, m
            FROM unnest(\(times)::float8[], \(lats)::int[], \(lons)::int[], \(odometer)::int8[]) AS u(t, lat, lon, m)
            ON CONFLICT DO NOTHING
            """, logger: logger)
        return id
    }
}

extension SampleTrips {
    /// The crews whose vehicle has a terminal bound, with the terminal's id.
    public static func crews(client: PostgresClient, logger: Logger) async throws -> [(vehicleID: Int64, driverID: Int64, terminalID: Int32)] {
        var crews: [(Int64, Int64, Int32)] = []
        let rows = try await client.query(
            "SELECT c.vehicle_id, c.driver_id, t.id FROM crews c JOIN terminals t ON t.vehicle_id = c.vehicle_id ORDER BY c.vehicle_id", logger: logger)
        for try await crew in rows.decode((Int64, Int64, Int32).self) { crews.append(crew) }
        return crews
    }

    /// Whether sample trips were recorded (on an earlier run of the demo: its database is kept).
    public static func recorded(client: PostgresClient, logger: Logger) async throws -> Bool {
        try await client.touchedRow("SELECT id FROM bookings WHERE route_notes = 'sample trip' LIMIT 1", logger: logger)
    }
}
